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
//! [`Config::Scheduler`].
//!
//! ## Calls
//!
//! - [`Pallet::register_model`] — origin: any signed account. Validates the configuration
//!   and the initial weights, holds the deposit, stores the model as `Active` with version 0
//!   (the sha3-256 of the initial weights), and schedules its first round. The weights
//!   themselves are not stored: they stay in the block body, where every node reads them to
//!   rebuild version 0. Errors: [`Error::InvalidArchitecture`], [`Error::InvalidHyperParams`],
//!   [`Error::InvalidSchedule`], [`Error::InvalidRewardSplit`], [`Error::RuleNeedsMoreUpdates`],
//!   [`Error::InvalidRuleParams`], the compute bounds ([`Error::TooManyParameters`], …), the
//!   schedule checks of the round protocol ([`Error::PhaseTooShort`], …, [`Error::AgendaFull`]),
//!   [`Error::MalformedWeights`], [`Error::WeightsShapeMismatch`],
//!   [`Error::InsufficientDeposit`]. Event: [`Event::ModelRegistered`].
//! - [`Pallet::pause_model`] — origin: the owner. `Active` → `Paused`: the round in flight
//!   finishes, no new round opens. Errors: [`Error::UnknownModel`], [`Error::NotOwner`],
//!   [`Error::NotActive`]. Event: [`Event::ModelPaused`].
//! - [`Pallet::resume_model`] — origin: the owner. `Paused` → `Active` and the next round is
//!   scheduled. Errors: [`Error::UnknownModel`], [`Error::NotOwner`], [`Error::NotPaused`],
//!   [`Error::AgendaFull`].
//!   Event: [`Event::ModelResumed`].
//! - [`Pallet::retire_model`] — origin: the owner. Permanently closes the model, frees its
//!   agenda slot and releases the deposit; the version chain stays. Errors: [`Error::UnknownModel`],
//!   [`Error::NotOwner`], [`Error::AlreadyRetired`]. Event: [`Event::ModelRetired`].
//! - [`Pallet::update_config`] — origin: the owner. Replaces the training configuration from
//!   the next round on; the architecture cannot change (the version chain's weights would no
//!   longer fit). Errors: as for registration, plus [`Error::UnknownModel`],
//!   [`Error::NotOwner`], [`Error::AlreadyRetired`], [`Error::ArchitectureChanged`]. Event:
//!   [`Event::ConfigUpdated`].
//!
//! Each call's own documentation lists its origin, effects, errors and events.
//!
//! ## Invariants (checked by `try_state`)
//!
//! - every model's versions `0..=version` exist, each links to its predecessor's hash, and the
//!   model's `version_hash` is the last one's hash;
//! - every model id is below [`NextModelId`];
//! - the deposit held from each owner equals the deposits of their non-retired models.
//!
//! ## Code layout
//!
//! `lib.rs` holds the configuration, storage, events, errors, hooks and the calls, each of
//! which hands over to a `do_*` function in `models.rs` (registration and the owner's
//! lifecycle calls); `versions.rs` is the version chain and the [`ModelProvider`] other
//! pallets read models through; `invariants.rs` the `try_state` checks; `types.rs` the stored
//! types; `weights.rs` (generated), `benchmarking.rs`, `mock.rs` and `tests/`.
//!
//! [`ModelProvider`]: fedledger_primitives::traits::ModelProvider
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod invariants;
pub mod migrations;
#[cfg(test)]
mod mock;
mod models;
#[cfg(test)]
mod tests;
mod types;
mod versions;
pub mod weights;

use fedledger_primitives::{
	model::{Architecture, ModelKind, TrainingConfig},
	tensor_codec,
	traits::RoundScheduler,
	Digest, ModelId, RoundIndex, VersionIndex,
};
use frame_support::traits::fungible::{Inspect, InspectHold, MutateHold};

/// The target of this pallet's log messages.
pub(crate) const LOG_TARGET: &str = "runtime::model-registry";

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

/// Pending reward terms as stored for runtime `T`.
pub type PendingRewardTermsOf<T> =
	PendingRewardTerms<BalanceOf<T>, frame_system::pallet_prelude::BlockNumberFor<T>>;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::pallet_prelude::*;
	use frame_system::pallet_prelude::*;

	/// The in-code storage version.
	/// Version 2: a model's configuration has update bounds and the aggregation pipeline
	/// (`migrations::v2`).
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(2);

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

		/// The round protocol: checks that a schedule can be met on this chain, schedules a
		/// model's rounds when it becomes trainable (registered or resumed) and frees its
		/// agenda slot when it is retired.
		type Scheduler: RoundScheduler;

		/// Blocks before a change of a model's `reward_per_round` or `reward_split` applies.
		/// At least the unbonding delay plus the longest round: trainers, validators and
		/// funders who object see the change coming and can finish their round, unbond and
		/// leave before it pays anyone differently (the runtime checks this in a test).
		#[pallet::constant]
		type RewardTermsDelay: Get<BlockNumberFor<Self>>;

		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;
	}

	/// The identifier the next registered model receives.
	#[pallet::storage]
	pub type NextModelId<T> = StorageValue<_, ModelId, ValueQuery>;

	/// Registered models.
	#[pallet::storage]
	pub type Models<T: Config> = StorageMap<_, Twox64Concat, ModelId, ModelInfoOf<T>, OptionQuery>;

	/// Reward terms a model's owner changed, not yet in effect (see
	/// [`Config::RewardTermsDelay`]); [`Pallet::model_info`] applies them once due.
	#[pallet::storage]
	pub type PendingTerms<T: Config> =
		StorageMap<_, Twox64Concat, ModelId, PendingRewardTermsOf<T>, OptionQuery>;

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
		/// The owner changed the reward terms: rounds opening from `effective_at` on use them
		/// (until then, the current terms).
		RewardTermsScheduled {
			model: ModelId,
			reward_per_round: BalanceOf<T>,
			reward_split: fedledger_primitives::model::RewardSplit,
			effective_at: BlockNumberFor<T>,
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
		/// The architecture has more than `fedledger_primitives::model::MAX_PARAMETERS`
		/// parameters: its dense updates would not fit a payload.
		TooManyParameters,
		/// A hidden layer is wider than `fedledger_primitives::model::MAX_HIDDEN_WIDTH`.
		HiddenLayerTooWide,
		/// More local epochs than `MAX_LOCAL_EPOCHS` or a batch larger than `MAX_BATCH_SIZE`
		/// (`fedledger_primitives::model`): every trainer would run it each round.
		TooMuchLocalWork,
		/// A buffered-async `max_staleness` above `fedledger_primitives::model::MAX_STALENESS`.
		StalenessTooLarge,
		/// An iterative rule asks for more iterations than
		/// `fedledger_primitives::rules::MAX_RULE_ITERATIONS`: every validator runs them.
		TooManyRuleIterations,
		/// The initial weights use the sparse codec. They must be dense, so that their size is
		/// what the parameter count claims.
		SparseInitialWeights,
		/// A commit, aggregate or buffer window is under two blocks: a worker sees a phase
		/// only after importing the block that opened it.
		PhaseTooShort,
		/// A window is longer than the round protocol's `MaxPhaseBlocks`.
		PhaseTooLong,
		/// The reveal (or buffer) window is too short to carry every update slot's payload
		/// of this model at the normal block length and weight, plus one block of latency (a
		/// buffer: plus one block for the commitments its submissions follow).
		RevealWindowTooShort,
		/// `min_updates` or `buffer_size` is above the round's update slots
		/// (`MaxUpdatesPerRound`): no round could ever aggregate.
		MoreUpdatesThanSlots,
		/// Every agenda slot is taken by a model with rounds in flight; nothing was held.
		AgendaFull,
		/// An `update_bounds` field is zero: no update could ever be revealed.
		InvalidUpdateBounds,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// Checks that the constants allow the registry to work.
		fn integrity_test() {
			assert!(
				!T::ModelDeposit::get().is_zero(),
				"ModelDeposit must be positive: it is what a registration costs, and models \
				 are never removed from storage"
			);
			// The smallest model: logistic regression over one input into two classes.
			let smallest = Architecture {
				kind: ModelKind::Logistic,
				input_dim: 1,
				classes: 2,
			}
			.parameter_count()
			.expect("the smallest architecture is valid");
			assert!(
				T::MaxWeightsLen::get() as usize
					>= tensor_codec::HEADER_LEN + 4 * smallest as usize,
				"MaxWeightsLen must fit the initial weights of the smallest model"
			);
		}

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
		/// `initial_weights` are the version-0 parameters in the canonical tensor codec;
		/// `validation_set_hash` optionally commits to the validation data validators score
		/// with.
		///
		/// ## Origin
		///
		/// Any signed account, which becomes the model's owner.
		///
		/// ## Effects
		///
		/// Validates the configuration as a whole (architecture, hyper-parameters, schedule,
		/// reward split, and that the aggregation rule can work with the schedule's
		/// `min_updates`) and the initial weights (canonical codec, the architecture's
		/// parameter count). Holds [`Config::ModelDeposit`] from the owner until the model is
		/// retired, stores the model as `Active` at version 0 (the sha3-256 of the initial
		/// weights) and schedules its first round. The weights themselves are not stored:
		/// they stay in the block body, where every node reads them to rebuild version 0.
		///
		/// ## Errors
		///
		/// - [`Error::InvalidArchitecture`], [`Error::InvalidHyperParams`],
		///   [`Error::InvalidSchedule`], [`Error::InvalidRewardSplit`],
		///   [`Error::InvalidRuleParams`], [`Error::RuleNeedsMoreUpdates`],
		///   [`Error::InvalidUpdateBounds`]: the configuration is invalid;
		/// - [`Error::TooManyParameters`], [`Error::HiddenLayerTooWide`],
		///   [`Error::TooMuchLocalWork`], [`Error::StalenessTooLarge`],
		///   [`Error::TooManyRuleIterations`]: the model would cost every node more than the
		///   bounds in `fedledger_primitives` allow;
		/// - [`Error::PhaseTooShort`], [`Error::PhaseTooLong`], [`Error::RevealWindowTooShort`],
		///   [`Error::MoreUpdatesThanSlots`]: the round protocol cannot meet the schedule on
		///   this chain ([`Config::Scheduler`]);
		/// - [`Error::AgendaFull`]: every agenda slot is taken (nothing is held);
		/// - [`Error::MalformedWeights`]: the initial weights are not a canonical tensor;
		/// - [`Error::SparseInitialWeights`]: they are not dense;
		/// - [`Error::WeightsShapeMismatch`]: they do not have the architecture's parameter
		///   count;
		/// - [`Error::ModelIdOverflow`]: no model ids are left;
		/// - [`Error::InsufficientDeposit`]: the owner cannot pay the deposit.
		///
		/// ## Events
		///
		/// [`Event::ModelRegistered`] (and the round pallet's events when it schedules the
		/// first round).
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register_model(initial_weights.len() as u32))]
		pub fn register_model(
			origin: OriginFor<T>,
			config: TrainingConfig<BalanceOf<T>>,
			initial_weights: InitialWeightsOf<T>,
			validation_set_hash: Option<Digest>,
		) -> DispatchResult {
			let owner = ensure_signed(origin)?;
			Self::do_register_model(owner, config, initial_weights, validation_set_hash)
		}

		/// Pauses an active model: the round in flight finishes, no new round opens.
		///
		/// ## Origin
		///
		/// Signed by the model's owner.
		///
		/// ## Effects
		///
		/// `Active` → `Paused`. Nobody is slashed for the pause: the round in flight runs to
		/// its end under its snapshot configuration.
		///
		/// ## Errors
		///
		/// - [`Error::UnknownModel`]: no such model;
		/// - [`Error::NotOwner`]: the caller is not the owner;
		/// - [`Error::NotActive`]: the model is not active.
		///
		/// ## Events
		///
		/// [`Event::ModelPaused`].
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::pause_model())]
		pub fn pause_model(origin: OriginFor<T>, model: ModelId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_pause_model(who, model)
		}

		/// Resumes a paused model; its next round is scheduled.
		///
		/// ## Origin
		///
		/// Signed by the model's owner.
		///
		/// ## Effects
		///
		/// `Paused` → `Active`, and the round logic is told to schedule the next round
		/// ([`Config::Scheduler`]).
		///
		/// ## Errors
		///
		/// - [`Error::UnknownModel`]: no such model;
		/// - [`Error::NotOwner`]: the caller is not the owner;
		/// - [`Error::NotPaused`]: the model is not paused;
		/// - [`Error::AgendaFull`]: every agenda slot is taken; the model stays paused.
		///
		/// ## Events
		///
		/// [`Event::ModelResumed`].
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::resume_model())]
		pub fn resume_model(origin: OriginFor<T>, model: ModelId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_resume_model(who, model)
		}

		/// Retires a model for good and releases its deposit. The version chain stays.
		///
		/// ## Origin
		///
		/// Signed by the model's owner.
		///
		/// ## Effects
		///
		/// Sets the model `Retired` and releases the held deposit to the owner. The round
		/// protocol frees the model's agenda slot at once and abandons its round in flight
		/// (no further updates, nobody slashed or paid); its round storage is pruned. The model
		/// and its versions stay in storage.
		///
		/// ## Errors
		///
		/// - [`Error::UnknownModel`]: no such model;
		/// - [`Error::NotOwner`]: the caller is not the owner;
		/// - [`Error::AlreadyRetired`]: the model is already retired.
		///
		/// ## Events
		///
		/// [`Event::ModelRetired`].
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::retire_model())]
		pub fn retire_model(origin: OriginFor<T>, model: ModelId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_retire_model(who, model)
		}

		/// Replaces the training configuration from the next round on. The architecture must
		/// stay the same.
		///
		/// ## Origin
		///
		/// Signed by the model's owner.
		///
		/// ## Effects
		///
		/// Validates `config` as for registration and stores it; the round in flight keeps the
		/// configuration it snapshot when it opened. A change of `reward_per_round` or
		/// `reward_split` is not applied now but scheduled ([`PendingTerms`]): rounds opening
		/// [`Config::RewardTermsDelay`] blocks from now on use it, earlier ones the current
		/// terms — so an owner cannot raise its share (or the payout) and drain the pool before
		/// trainers and funders can react. A later update replaces a pending change (and
		/// restarts the delay); one that restates the current terms cancels it.
		///
		/// ## Errors
		///
		/// - as for [`Pallet::register_model`]'s configuration checks;
		/// - [`Error::UnknownModel`]: no such model;
		/// - [`Error::NotOwner`]: the caller is not the owner;
		/// - [`Error::AlreadyRetired`]: the model is retired;
		/// - [`Error::ArchitectureChanged`]: `config` has another architecture (the version
		///   chain's weights would no longer fit).
		///
		/// ## Events
		///
		/// [`Event::ConfigUpdated`], and [`Event::RewardTermsScheduled`] for changed reward
		/// terms.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::update_config())]
		pub fn update_config(
			origin: OriginFor<T>,
			model: ModelId,
			config: TrainingConfig<BalanceOf<T>>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_update_config(who, model, config)
		}
	}
}
