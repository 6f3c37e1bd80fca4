//! # Model registry pallet
//!
//! The registry of the models fedledger trains.
//!
//! ## Overview
//!
//! A model owner registers a model with its whole training configuration
//! ([`TrainingConfig`]): the network architecture, local-training hyper-parameters, the robust
//! aggregation rule (optionally bucketed), the attribution scorer, the round schedule
//! (synchronous commit/reveal or buffered asynchronous), the reward per round and the reward
//! split among owner, validators and trainers. The configuration is validated as a whole: a
//! rule that cannot work with the schedule's minimum update count (Krum with `n < 2f + 3`, for
//! example) is refused. Registering holds [`Config::ModelDeposit`] from the owner until the
//! model is retired.
//!
//! The registry also keeps each model's **version chain**: version 0 is the initial weights
//! the owner registered; every finalized round appends a version recording its hash, its
//! parent's hash, the round and the block. Any full node can rebuild every version from chain
//! data and check it against these hashes.
//!
//! Other pallets reach the registry only through [`ModelProvider`] (read a model, append a
//! version); the registry tells the round logic that a model became trainable through
//! [`Config::Activation`].
//!
//! ## Calls
//!
//! - [`Pallet::register_model`] — origin: any signed account. Validates the configuration
//!   and the initial weights, holds the deposit, stores the model as `Active` with version 0
//!   (the sha3-256 of the initial weights), and schedules its first round. The weights
//!   themselves are not stored: they stay in the block body, where every node reads them to
//!   rebuild version 0. Errors: [`Error::InvalidArchitecture`], [`Error::InvalidHyperParams`],
//!   [`Error::InvalidSchedule`], [`Error::InvalidRewardSplit`], [`Error::RuleNeedsMoreUpdates`],
//!   [`Error::InvalidRuleParams`], [`Error::MalformedWeights`], [`Error::WeightsShapeMismatch`],
//!   [`Error::InsufficientDeposit`]. Event: [`Event::ModelRegistered`].
//! - [`Pallet::pause_model`] — origin: the owner. `Active` → `Paused`: the round in flight
//!   finishes, no new round opens. Errors: [`Error::UnknownModel`], [`Error::NotOwner`],
//!   [`Error::NotActive`]. Event: [`Event::ModelPaused`].
//! - [`Pallet::resume_model`] — origin: the owner. `Paused` → `Active` and the next round is
//!   scheduled. Errors: [`Error::UnknownModel`], [`Error::NotOwner`], [`Error::NotPaused`].
//!   Event: [`Event::ModelResumed`].
//! - [`Pallet::retire_model`] — origin: the owner. Permanently closes the model and releases
//!   the deposit; the version chain stays. Errors: [`Error::UnknownModel`],
//!   [`Error::NotOwner`], [`Error::AlreadyRetired`]. Event: [`Event::ModelRetired`].
//! - [`Pallet::update_config`] — origin: the owner. Replaces the training configuration from
//!   the next round on; the architecture cannot change (the version chain's weights would no
//!   longer fit). Errors: as for registration, plus [`Error::UnknownModel`],
//!   [`Error::NotOwner`], [`Error::AlreadyRetired`], [`Error::ArchitectureChanged`]. Event:
//!   [`Event::ConfigUpdated`].
//!
//! ## Invariants (checked by `try_state`)
//!
//! - every model's versions `0..=version` exist, each links to its predecessor's hash, and the
//!   model's `version_hash` is the last one's hash;
//! - every model id is below [`NextModelId`];
//! - the deposit held from each owner equals the deposits of their non-retired models.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
mod types;
pub mod weights;

use fedledger_primitives::{
	model::{ConfigError, TrainingConfig},
	rules::RuleConfigError,
	tensor_codec,
	traits::{ModelActivation, ModelProvider, ModelStatus, ModelView},
	Digest, ModelId, RoundIndex, VersionIndex,
};
use frame_support::traits::{
	fungible::{Inspect, InspectHold, MutateHold},
	tokens::Precision,
};

/// The balance type of the currency the deposit is held in.
pub type BalanceOf<T> =
	<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

/// Initial weights as passed to [`Pallet::register_model`]: canonical tensor codec bytes.
pub type InitialWeightsOf<T> = frame_support::BoundedVec<u8, <T as Config>::MaxWeightsLen>;

/// A model as stored for runtime `T`.
pub type ModelInfoOf<T> = ModelInfo<
	<T as frame_system::Config>::AccountId,
	BalanceOf<T>,
	frame_system::pallet_prelude::BlockNumberFor<T>,
>;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::pallet_prelude::*;
	use frame_system::pallet_prelude::*;

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Why funds of an account are held by this pallet.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// The deposit of a registered, not yet retired model.
		#[codec(index = 0)]
		ModelDeposit,
	}

	/// Configuration of the model registry.
	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The currency deposits are held in.
		type Currency: MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ InspectHold<Self::AccountId>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;

		/// Deposit held from the owner for each registered model, until it is retired.
		#[pallet::constant]
		type ModelDeposit: Get<BalanceOf<Self>>;

		/// Longest initial-weights payload `register_model` accepts, in bytes (bounds the
		/// extrinsic; the weights are hashed, not stored).
		#[pallet::constant]
		type MaxWeightsLen: Get<u32>;

		/// Told when a model becomes trainable (registered or resumed).
		type Activation: ModelActivation;

		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;
	}

	/// The identifier the next registered model receives.
	#[pallet::storage]
	pub type NextModelId<T> = StorageValue<_, ModelId, ValueQuery>;

	/// Registered models.
	#[pallet::storage]
	pub type Models<T: Config> = StorageMap<_, Twox64Concat, ModelId, ModelInfoOf<T>, OptionQuery>;

	/// The version chain: `(model, version)` → hash, parent hash, round and block.
	#[pallet::storage]
	pub type Versions<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		ModelId,
		Twox64Concat,
		VersionIndex,
		VersionRecord<BlockNumberFor<T>>,
		OptionQuery,
	>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A model was registered; its version 0 is `initial_hash`.
		ModelRegistered {
			model: ModelId,
			owner: T::AccountId,
			parameter_count: u32,
			initial_hash: Digest,
		},
		/// The owner paused the model.
		ModelPaused { model: ModelId },
		/// The owner resumed the model.
		ModelResumed { model: ModelId },
		/// The owner retired the model; its deposit was released.
		ModelRetired { model: ModelId },
		/// The owner replaced the training configuration (effective from the next round).
		ConfigUpdated { model: ModelId },
		/// A finalized round appended a version to the chain.
		VersionAppended {
			model: ModelId,
			version: VersionIndex,
			round: RoundIndex,
			hash: Digest,
			parent: Digest,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No model with this id.
		UnknownModel,
		/// Only the model's owner may do this.
		NotOwner,
		/// The model is not active.
		NotActive,
		/// The model is not paused.
		NotPaused,
		/// The model is retired.
		AlreadyRetired,
		/// The architecture has no valid parameter count (zero inputs, fewer than two classes,
		/// an MLP without a first hidden layer, or more than `u32::MAX` parameters).
		InvalidArchitecture,
		/// A hyper-parameter is out of range (zero epochs, batch size or learning rate, or a
		/// zero DP clip).
		InvalidHyperParams,
		/// A schedule phase has zero blocks, `min_updates` is zero, or the async buffer is
		/// smaller than `min_updates`.
		InvalidSchedule,
		/// The reward split does not sum to 100 %.
		InvalidRewardSplit,
		/// The aggregation rule's parameters are invalid (zero bucket size, trim of 50 % or
		/// more, zero selection or iterations, or a zero real parameter).
		InvalidRuleParams,
		/// The aggregation rule needs more updates (or buckets) than the schedule's
		/// `min_updates` guarantees.
		RuleNeedsMoreUpdates,
		/// A configuration update may not change the architecture.
		ArchitectureChanged,
		/// The owner cannot pay the model deposit.
		InsufficientDeposit,
		/// No more model ids.
		ModelIdOverflow,
		/// The initial weights are not a canonical tensor payload (bad header, trailing
		/// bytes, NaN or infinite values, …).
		MalformedWeights,
		/// The initial weights do not have the architecture's parameter count.
		WeightsShapeMismatch,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		#[cfg(feature = "try-runtime")]
		fn try_state(
			_n: BlockNumberFor<T>,
		) -> Result<(), frame_support::sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Registers a model with its training configuration and initial weights.
		///
		/// Origin: any signed account, which becomes the owner. `initial_weights` are the
		/// version-0 parameters in the canonical tensor codec; only their sha3-256 is stored.
		/// Holds [`Config::ModelDeposit`]; the first round is scheduled right away.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register_model(initial_weights.len() as u32))]
		pub fn register_model(
			origin: OriginFor<T>,
			config: TrainingConfig<BalanceOf<T>>,
			initial_weights: InitialWeightsOf<T>,
			validation_set_hash: Option<Digest>,
		) -> DispatchResult {
			let owner = ensure_signed(origin)?;
			let parameter_count = config.validate().map_err(Error::<T>::from)?;
			// The length check in `validate` already bounds the work by the payload's size.
			let header = tensor_codec::validate(&initial_weights, u32::MAX)
				.map_err(|_| Error::<T>::MalformedWeights)?;
			ensure!(
				header.param_count == parameter_count,
				Error::<T>::WeightsShapeMismatch
			);
			let initial_hash = tensor_codec::digest(&initial_weights);
			let model = NextModelId::<T>::get();
			let next = model.checked_add(1).ok_or(Error::<T>::ModelIdOverflow)?;
			let deposit = T::ModelDeposit::get();
			T::Currency::hold(&HoldReason::ModelDeposit.into(), &owner, deposit)
				.map_err(|_| Error::<T>::InsufficientDeposit)?;

			let now = frame_system::Pallet::<T>::block_number();
			Versions::<T>::insert(
				model,
				0,
				VersionRecord {
					hash: initial_hash,
					parent: None,
					round: None,
					block: now,
				},
			);
			Models::<T>::insert(
				model,
				ModelInfo {
					owner: owner.clone(),
					status: ModelStatus::Active,
					config,
					parameter_count,
					validation_set_hash,
					deposit,
					registered_at: now,
					version: 0,
					version_hash: initial_hash,
				},
			);
			NextModelId::<T>::put(next);
			T::Activation::on_model_activated(model);
			Self::deposit_event(Event::ModelRegistered {
				model,
				owner,
				parameter_count,
				initial_hash,
			});
			Ok(())
		}

		/// Pauses an active model: the round in flight finishes, no new round opens.
		///
		/// Origin: the model's owner.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::pause_model())]
		pub fn pause_model(origin: OriginFor<T>, model: ModelId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::mutate_owned(&who, model, |info| {
				ensure!(info.status == ModelStatus::Active, Error::<T>::NotActive);
				info.status = ModelStatus::Paused;
				Ok(())
			})?;
			Self::deposit_event(Event::ModelPaused { model });
			Ok(())
		}

		/// Resumes a paused model; its next round is scheduled.
		///
		/// Origin: the model's owner.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::resume_model())]
		pub fn resume_model(origin: OriginFor<T>, model: ModelId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::mutate_owned(&who, model, |info| {
				ensure!(info.status == ModelStatus::Paused, Error::<T>::NotPaused);
				info.status = ModelStatus::Active;
				Ok(())
			})?;
			T::Activation::on_model_activated(model);
			Self::deposit_event(Event::ModelResumed { model });
			Ok(())
		}

		/// Retires a model for good and releases its deposit. The version chain stays.
		///
		/// Origin: the model's owner.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::retire_model())]
		pub fn retire_model(origin: OriginFor<T>, model: ModelId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let deposit = Self::mutate_owned(&who, model, |info| {
				ensure!(
					info.status != ModelStatus::Retired,
					Error::<T>::AlreadyRetired
				);
				info.status = ModelStatus::Retired;
				Ok(info.deposit)
			})?;
			T::Currency::release(
				&HoldReason::ModelDeposit.into(),
				&who,
				deposit,
				Precision::BestEffort,
			)?;
			Self::deposit_event(Event::ModelRetired { model });
			Ok(())
		}

		/// Replaces the training configuration from the next round on. The architecture must
		/// stay the same.
		///
		/// Origin: the model's owner.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::update_config())]
		pub fn update_config(
			origin: OriginFor<T>,
			model: ModelId,
			config: TrainingConfig<BalanceOf<T>>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			config.validate().map_err(Error::<T>::from)?;
			Self::mutate_owned(&who, model, |info| {
				ensure!(
					info.status != ModelStatus::Retired,
					Error::<T>::AlreadyRetired
				);
				ensure!(
					info.config.architecture == config.architecture,
					Error::<T>::ArchitectureChanged
				);
				info.config = config;
				Ok(())
			})?;
			Self::deposit_event(Event::ConfigUpdated { model });
			Ok(())
		}
	}
}

impl<T: Config> From<ConfigError> for Error<T> {
	fn from(e: ConfigError) -> Self {
		match e {
			ConfigError::BadArchitecture => Error::InvalidArchitecture,
			ConfigError::BadHyperParams => Error::InvalidHyperParams,
			ConfigError::BadSchedule => Error::InvalidSchedule,
			ConfigError::BadRewardSplit => Error::InvalidRewardSplit,
			ConfigError::Rule(RuleConfigError::TooFewUpdates { .. }) => Error::RuleNeedsMoreUpdates,
			ConfigError::Rule(_) => Error::InvalidRuleParams,
		}
	}
}

impl<T: Config> Pallet<T> {
	/// Applies `f` to `model` if `who` owns it; nothing is written when `f` fails.
	fn mutate_owned<R>(
		who: &T::AccountId,
		model: ModelId,
		f: impl FnOnce(&mut ModelInfoOf<T>) -> Result<R, frame_support::pallet_prelude::DispatchError>,
	) -> Result<R, frame_support::pallet_prelude::DispatchError> {
		Models::<T>::try_mutate(model, |slot| {
			let info = slot.as_mut().ok_or(Error::<T>::UnknownModel)?;
			frame_support::ensure!(&info.owner == who, Error::<T>::NotOwner);
			f(info)
		})
	}

	/// Checks the invariants listed in the crate docs.
	pub fn do_try_state() -> Result<(), frame_support::sp_runtime::TryRuntimeError> {
		use alloc::collections::btree_map::BTreeMap;
		use frame_support::ensure;
		let next = NextModelId::<T>::get();
		let mut deposits: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		for (model, info) in Models::<T>::iter() {
			ensure!(model < next, "model id at or above NextModelId");
			let mut parent: Option<Digest> = None;
			for v in 0..=info.version {
				let record = Versions::<T>::get(model, v).ok_or("missing version in chain")?;
				ensure!(
					record.parent == parent,
					"version does not link to its parent"
				);
				ensure!(
					(v == 0) == record.round.is_none(),
					"only version 0 has no round"
				);
				parent = Some(record.hash);
			}
			ensure!(
				parent == Some(info.version_hash),
				"model hash is not the chain head"
			);
			ensure!(
				Versions::<T>::get(model, info.version.saturating_add(1)).is_none(),
				"version beyond the chain head"
			);
			if info.status != ModelStatus::Retired {
				let d = deposits.entry(info.owner.clone()).or_default();
				*d += info.deposit;
			}
		}
		for (owner, total) in deposits {
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::ModelDeposit.into(), &owner) == total,
				"held deposit differs from the owner's models' deposits"
			);
		}
		Ok(())
	}
}

impl<T: Config> ModelProvider<T::AccountId, BalanceOf<T>> for Pallet<T> {
	fn model(model: ModelId) -> Option<ModelView<T::AccountId, BalanceOf<T>>> {
		Models::<T>::get(model).map(|info| ModelView {
			owner: info.owner,
			status: info.status,
			config: info.config,
			parameter_count: info.parameter_count,
			version: info.version,
			version_hash: info.version_hash,
		})
	}

	fn append_version(model: ModelId, round: RoundIndex, new_hash: Digest) -> Option<VersionIndex> {
		Models::<T>::mutate(model, |slot| {
			let info = slot.as_mut()?;
			if info.status == ModelStatus::Retired {
				return None;
			}
			let version = info.version.checked_add(1)?;
			let parent = info.version_hash;
			Versions::<T>::insert(
				model,
				version,
				VersionRecord {
					hash: new_hash,
					parent: Some(parent),
					round: Some(round),
					block: frame_system::Pallet::<T>::block_number(),
				},
			);
			info.version = version;
			info.version_hash = new_hash;
			Pallet::<T>::deposit_event(Event::VersionAppended {
				model,
				version,
				round,
				hash: new_hash,
				parent,
			});
			Some(version)
		})
	}
}
