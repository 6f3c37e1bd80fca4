//! # Gradient commitments pallet
//!
//! The round protocol of fedledger: bonds, commit/reveal of model updates, aggregate reports
//! from validators, quorum, and slashing of provable faults.
//!
//! ## Overview
//!
//! Each active model (see the model registry) runs rounds one after the other. A round
//! snapshots the model's configuration when it opens, so configuration changes apply from the
//! next round on. In **synchronous** mode a round goes through:
//!
//! 1. **Commit** — a trainer bonded for the model submits `commit_update` with
//!    `sha3_256(payload ‖ salt ‖ account)`. Nobody has seen any update yet, so nobody can copy
//!    one.
//! 2. **Reveal** — `reveal_update` carries the payload (canonical tensor codec) and the salt.
//!    The runtime checks the commitment, the codec, the shape (the model's parameter count),
//!    that every value is finite and that the payload is not a copy of one already revealed in
//!    the round. Only the payload's hash, the block and extrinsic index, the declared sample
//!    count and the base version are kept in state: the payload lives in the block body.
//! 3. **Aggregate** — if at least `min_updates` updates were revealed, the round snapshots the
//!    FL-validator set and its stake. Each validator rebuilds the updates from block bodies,
//!    runs the model's robust rule and scorer natively and submits `report_aggregate` with the
//!    new model's hash, the accepted updates and a score per update.
//! 4. **Finalize** — as soon as validators holding ≥ 2/3 of the snapshot stake report the same
//!    hash, the registry appends the new version, each accepted trainer's score is the
//!    stake-weighted median of the matching reports (computed by the rewards pallet), the
//!    round's reward is released and validators that reported another hash are slashed. The
//!    next round opens in the next block.
//!
//! In **buffered asynchronous** mode (FedBuff) a round is a buffer: `submit_update` carries the
//! payload directly with the version it was computed against; updates staler than
//! `max_staleness` versions are refused; the buffer closes after `buffer_size` updates, or at
//! its deadline with at least `min_updates`, and aggregation proceeds as above.
//!
//! Deadlines are in blocks. A round with too few updates, or without quorum by its aggregate
//! deadline, **fails cleanly**: the model stays at its version and the next round opens.
//!
//! ### Slashing
//!
//! Only provable faults are slashed, by [`Config::TrainerSlash`] / [`Config::ValidatorSlash`]
//! of the bond; slashed funds go to the model's reward pool:
//!
//! - a commitment without a valid reveal by the reveal deadline ([`Fault::NotRevealed`]). A
//!   reveal that does not match its commitment, a malformed payload (bad codec, wrong shape,
//!   NaN/Inf, oversize) and a copied payload are each refused with a typed error and change
//!   nothing, so the commitment stays unrevealed and is slashed at the deadline;
//! - a validator report whose hash contradicts the finalized hash
//!   ([`Fault::ContradictingReport`]), whether it came before or after finalization.
//!
//! An update the robust rule merely rejects earns nothing but is not slashed.
//!
//! ## Calls
//!
//! All calls take a signed origin.
//!
//! - [`Pallet::bond_trainer`] — holds `amount` (at least [`Config::MinTrainerBond`] in total)
//!   as the caller's trainer bond for a model. Errors: [`Error::UnknownModel`],
//!   [`Error::BondTooSmall`], [`Error::Unbonding`], [`Error::InsufficientBalance`]. Event:
//!   [`Event::TrainerBonded`].
//! - [`Pallet::unbond_trainer`] — starts the [`Config::UnbondingDelay`]; the trainer can no
//!   longer commit. Errors: [`Error::NotBonded`], [`Error::Unbonding`]. Event:
//!   [`Event::TrainerUnbonding`].
//! - [`Pallet::withdraw_trainer_bond`] — releases the bond after the delay. Errors:
//!   [`Error::NotBonded`], [`Error::NotUnbonding`], [`Error::StillUnbonding`]. Event:
//!   [`Event::TrainerWithdrawn`].
//! - [`Pallet::register_validator`] — holds `amount` (at least [`Config::MinValidatorBond`])
//!   and joins the FL-validator set. Errors: [`Error::AlreadyValidator`],
//!   [`Error::BondTooSmall`], [`Error::TooManyValidators`], [`Error::InsufficientBalance`].
//!   Event: [`Event::ValidatorRegistered`].
//! - [`Pallet::unregister_validator`] — leaves the set and starts the unbonding delay. Errors:
//!   [`Error::NotValidator`], [`Error::Unbonding`]. Event: [`Event::ValidatorUnbonding`].
//! - [`Pallet::withdraw_validator_bond`] — releases the bond after the delay. Errors:
//!   [`Error::NotValidator`], [`Error::NotUnbonding`], [`Error::StillUnbonding`]. Event:
//!   [`Event::ValidatorWithdrawn`].
//! - [`Pallet::commit_update`] — Errors: [`Error::UnknownRound`], [`Error::WrongPhase`],
//!   [`Error::NotBonded`], [`Error::Unbonding`], [`Error::AlreadyCommitted`],
//!   [`Error::RoundFull`]. Event: [`Event::UpdateCommitted`].
//! - [`Pallet::reveal_update`] — Errors: [`Error::UnknownRound`], [`Error::WrongPhase`],
//!   [`Error::NotCommitted`], [`Error::AlreadyRevealed`], [`Error::CommitmentMismatch`],
//!   [`Error::MalformedPayload`], [`Error::ShapeMismatch`], [`Error::DuplicatePayload`],
//!   [`Error::ZeroSamples`]. Event: [`Event::UpdateRevealed`].
//! - [`Pallet::submit_update`] — buffered mode. Errors: as `reveal_update` (but for the
//!   commitment ones), plus [`Error::NotBonded`], [`Error::Unbonding`],
//!   [`Error::FutureVersion`], [`Error::TooStale`], [`Error::RoundFull`]. Events:
//!   [`Event::UpdateRevealed`], [`Event::AggregationStarted`] when the buffer fills.
//! - [`Pallet::report_aggregate`] — origin: a validator in the round's snapshot. Errors:
//!   [`Error::UnknownRound`], [`Error::WrongPhase`], [`Error::NotRoundValidator`],
//!   [`Error::AlreadyReported`], [`Error::ScoresLengthMismatch`],
//!   [`Error::ScoreOutOfRange`], [`Error::InvalidAcceptedSet`]. Events:
//!   [`Event::AggregateReported`], then possibly [`Event::RoundFinalized`] (with
//!   [`Event::ValidatorSlashed`] for contradicting reports).
//!
//! Round phases move in `on_initialize` by the schedule: [`Event::RoundOpened`],
//! [`Event::RevealStarted`], [`Event::AggregationStarted`], [`Event::RoundFailed`],
//! [`Event::TrainerSlashed`].
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

use alloc::vec::Vec;
use codec::Encode;
use fedledger_primitives::{
	model::Schedule,
	tensor_codec,
	traits::{ModelActivation, ModelProvider, ModelStatus, RoundRewards, TrainerScores},
	Digest, ModelId, RoundIndex, VersionIndex,
};
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::{Inspect, InspectHold, MutateHold},
		tokens::{Fortitude, Precision, Restriction},
	},
};
use frame_system::pallet_prelude::*;
use sp_runtime::{
	traits::{Saturating, Zero},
	Perbill,
};

/// The balance type of the bonded currency.
pub type BalanceOf<T> =
	<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

/// A round as stored for runtime `T`.
pub type RoundInfoOf<T> = RoundInfo<BalanceOf<T>, BlockNumberFor<T>>;

/// A validator report as stored for runtime `T`.
pub type ReportOf<T> = Report<BalanceOf<T>, BlockNumberFor<T>, <T as Config>::MaxUpdatesPerRound>;

/// A bond as stored for runtime `T`.
pub type BondOf<T> = Bond<BalanceOf<T>, BlockNumberFor<T>>;

/// An update payload as carried by `reveal_update` and `submit_update`.
pub type PayloadOf<T> = BoundedVec<u8, <T as Config>::MaxPayloadLen>;

/// `(model, round)`: the key of per-round storage.
pub type RoundKey = (ModelId, RoundIndex);

#[frame_support::pallet]
pub mod pallet {
	use super::*;

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Why funds of an account are held by this pallet.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A trainer's bond (the sum over the models it trains).
		#[codec(index = 0)]
		TrainerBond,
		/// An FL validator's bond.
		#[codec(index = 1)]
		ValidatorBond,
	}

	/// Configuration of the gradient-commitments pallet.
	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The currency bonds are held in.
		type Currency: MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ InspectHold<Self::AccountId>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;

		/// The model registry.
		type Models: ModelProvider<Self::AccountId, BalanceOf<Self>>;

		/// The reward side: pools and the distribution of a finalized round.
		type Rewards: RoundRewards<Self::AccountId, BalanceOf<Self>>;

		/// Smallest trainer bond per model.
		#[pallet::constant]
		type MinTrainerBond: Get<BalanceOf<Self>>;

		/// Smallest FL-validator bond.
		#[pallet::constant]
		type MinValidatorBond: Get<BalanceOf<Self>>;

		/// Blocks between unbonding and withdrawing a bond; longer than a round, so a fault in
		/// the round in flight can still be slashed.
		#[pallet::constant]
		type UnbondingDelay: Get<BlockNumberFor<Self>>;

		/// Largest update payload in bytes.
		#[pallet::constant]
		type MaxPayloadLen: Get<u32>;

		/// Most commitments (and so updates) a round takes.
		#[pallet::constant]
		type MaxUpdatesPerRound: Get<u32>;

		/// Most FL validators.
		#[pallet::constant]
		type MaxValidators: Get<u32>;

		/// Most models with a round in flight at once.
		#[pallet::constant]
		type MaxActiveModels: Get<u32>;

		/// Share of a trainer's bond slashed for a fault.
		#[pallet::constant]
		type TrainerSlash: Get<Perbill>;

		/// Share of a validator's bond slashed for a contradicting report.
		#[pallet::constant]
		type ValidatorSlash: Get<Perbill>;

		/// Weights of this pallet's calls and hooks.
		type WeightInfo: WeightInfo;

		/// Creates the models the benchmarks run rounds of.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: fedledger_primitives::traits::BenchmarkModels<
			Self::AccountId,
			BalanceOf<Self>,
		>;
	}

	/// Trainer bonds: `(model, trainer)` → bond.
	#[pallet::storage]
	pub type TrainerBonds<T: Config> =
		StorageDoubleMap<_, Twox64Concat, ModelId, Blake2_128Concat, T::AccountId, BondOf<T>>;

	/// FL-validator bonds (active and unbonding).
	#[pallet::storage]
	pub type ValidatorBonds<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, BondOf<T>>;

	/// The active FL validators, in registration order.
	#[pallet::storage]
	pub type ActiveValidators<T: Config> =
		StorageValue<_, BoundedVec<T::AccountId, T::MaxValidators>, ValueQuery>;

	/// The latest round of each model.
	#[pallet::storage]
	pub type CurrentRound<T: Config> = StorageMap<_, Twox64Concat, ModelId, RoundIndex>;

	/// Every round: `(model, round)` → round info.
	#[pallet::storage]
	pub type Rounds<T: Config> =
		StorageDoubleMap<_, Twox64Concat, ModelId, Twox64Concat, RoundIndex, RoundInfoOf<T>>;

	/// Commitments of the round: `((model, round), trainer)` → commitment. Cleared when the
	/// round closes.
	#[pallet::storage]
	pub type Commitments<T: Config> =
		StorageDoubleMap<_, Twox64Concat, RoundKey, Blake2_128Concat, T::AccountId, Digest>;

	/// Revealed / submitted updates: `((model, round), trainer)` → record.
	#[pallet::storage]
	pub type Updates<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		RoundKey,
		Blake2_128Concat,
		T::AccountId,
		UpdateRecord<BlockNumberFor<T>>,
	>;

	/// The trainers of a round's updates in reveal order: the order validators aggregate in
	/// and index `accepted` and `scores` by.
	#[pallet::storage]
	pub type UpdateOrder<T: Config> = StorageMap<
		_,
		Twox64Concat,
		RoundKey,
		BoundedVec<T::AccountId, T::MaxUpdatesPerRound>,
		ValueQuery,
	>;

	/// Payload hashes seen in a round (copy detection). Cleared when the round closes.
	#[pallet::storage]
	pub type SeenPayloads<T: Config> =
		StorageDoubleMap<_, Twox64Concat, RoundKey, Identity, Digest, (), OptionQuery>;

	/// The validators allowed to report for a round, with their stake (snapshot when the
	/// round's aggregation starts).
	#[pallet::storage]
	pub type RoundValidators<T: Config> = StorageMap<
		_,
		Twox64Concat,
		RoundKey,
		BoundedVec<(T::AccountId, BalanceOf<T>), T::MaxValidators>,
		ValueQuery,
	>;

	/// Validator reports: `((model, round), validator)` → report.
	#[pallet::storage]
	pub type Reports<T: Config> =
		StorageDoubleMap<_, Twox64Concat, RoundKey, Blake2_128Concat, T::AccountId, ReportOf<T>>;

	/// Stake behind each reported model hash of a round. Cleared when the round closes.
	#[pallet::storage]
	pub type HashStake<T: Config> =
		StorageDoubleMap<_, Twox64Concat, RoundKey, Identity, Digest, BalanceOf<T>, ValueQuery>;

	/// When each model with a live schedule needs `on_initialize` next: `(model, block)`.
	#[pallet::storage]
	pub type Agenda<T: Config> =
		StorageValue<_, BoundedVec<(ModelId, BlockNumberFor<T>), T::MaxActiveModels>, ValueQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A trainer bonded (or added to its bond) for a model.
		TrainerBonded {
			model: ModelId,
			trainer: T::AccountId,
			total: BalanceOf<T>,
		},
		/// A trainer started unbonding; withdrawable from `at`.
		TrainerUnbonding {
			model: ModelId,
			trainer: T::AccountId,
			at: BlockNumberFor<T>,
		},
		/// A trainer withdrew its bond.
		TrainerWithdrawn {
			model: ModelId,
			trainer: T::AccountId,
			amount: BalanceOf<T>,
		},
		/// An account joined the FL-validator set.
		ValidatorRegistered {
			validator: T::AccountId,
			bond: BalanceOf<T>,
		},
		/// A validator left the set; its bond is withdrawable from `at`.
		ValidatorUnbonding {
			validator: T::AccountId,
			at: BlockNumberFor<T>,
		},
		/// A validator withdrew its bond.
		ValidatorWithdrawn {
			validator: T::AccountId,
			amount: BalanceOf<T>,
		},
		/// A round opened in the commit (sync) or buffer (async) phase.
		RoundOpened {
			model: ModelId,
			round: RoundIndex,
			base_version: VersionIndex,
			base_hash: Digest,
			phase_ends_at: BlockNumberFor<T>,
		},
		/// The commit phase ended; reveals are open until `phase_ends_at`.
		RevealStarted {
			model: ModelId,
			round: RoundIndex,
			phase_ends_at: BlockNumberFor<T>,
		},
		/// Enough updates arrived; validators report until `phase_ends_at`.
		AggregationStarted {
			model: ModelId,
			round: RoundIndex,
			updates: u32,
			validator_stake: BalanceOf<T>,
			phase_ends_at: BlockNumberFor<T>,
		},
		/// A trainer committed to an update.
		UpdateCommitted {
			model: ModelId,
			round: RoundIndex,
			trainer: T::AccountId,
		},
		/// An update was revealed (or submitted); `index` is its position in reveal order.
		UpdateRevealed {
			model: ModelId,
			round: RoundIndex,
			trainer: T::AccountId,
			index: u32,
			payload_hash: Digest,
		},
		/// A validator reported an aggregate.
		AggregateReported {
			model: ModelId,
			round: RoundIndex,
			validator: T::AccountId,
			model_hash: Digest,
		},
		/// The round finalized with a new version; `reward` left the model's pool.
		RoundFinalized {
			model: ModelId,
			round: RoundIndex,
			version: VersionIndex,
			model_hash: Digest,
			accepted: u32,
			rejected: u32,
			reward: BalanceOf<T>,
		},
		/// The round closed without a new version.
		RoundFailed {
			model: ModelId,
			round: RoundIndex,
			reason: FailReason,
		},
		/// A trainer was slashed for a provable fault.
		TrainerSlashed {
			model: ModelId,
			round: RoundIndex,
			trainer: T::AccountId,
			amount: BalanceOf<T>,
			fault: Fault,
		},
		/// A validator was slashed for a contradicting report.
		ValidatorSlashed {
			model: ModelId,
			round: RoundIndex,
			validator: T::AccountId,
			amount: BalanceOf<T>,
			fault: Fault,
		},
		/// A model could not be scheduled because [`Config::MaxActiveModels`] models already
		/// are; pause and resume it later to retry.
		ScheduleFull { model: ModelId },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No such model.
		UnknownModel,
		/// No such round, or not the model's current round.
		UnknownRound,
		/// The round is not in the phase this call belongs to.
		WrongPhase,
		/// The bond is below the minimum.
		BondTooSmall,
		/// The account cannot pay the bond.
		InsufficientBalance,
		/// The caller has no trainer bond for this model.
		NotBonded,
		/// The bond is unbonding.
		Unbonding,
		/// The bond is not unbonding.
		NotUnbonding,
		/// The unbonding delay has not passed yet.
		StillUnbonding,
		/// The caller is already an FL validator (or still unbonding from being one).
		AlreadyValidator,
		/// The caller is not an FL validator.
		NotValidator,
		/// The FL-validator set is full.
		TooManyValidators,
		/// The caller already committed in this round.
		AlreadyCommitted,
		/// The round has taken its maximum number of updates.
		RoundFull,
		/// The caller did not commit in this round.
		NotCommitted,
		/// The caller already revealed (or submitted) in this round.
		AlreadyRevealed,
		/// `sha3_256(payload ‖ salt ‖ account)` differs from the commitment.
		CommitmentMismatch,
		/// The payload is not valid canonical codec bytes (truncated, bad header, unknown
		/// version or kind, NaN/Inf, bad sparse indices, …).
		MalformedPayload,
		/// The payload's parameter count differs from the model's.
		ShapeMismatch,
		/// The same payload was already revealed in this round.
		DuplicatePayload,
		/// An update must declare at least one training sample.
		ZeroSamples,
		/// The update's base version is newer than the model's current version.
		FutureVersion,
		/// The update's base version is more than `max_staleness` versions old.
		TooStale,
		/// The caller is not in the round's validator snapshot.
		NotRoundValidator,
		/// The caller already reported for this round.
		AlreadyReported,
		/// `scores` must have exactly one entry per update of the round.
		ScoresLengthMismatch,
		/// A score is above 100 % (1_000_000_000 parts per billion).
		ScoreOutOfRange,
		/// `accepted` must be strictly increasing indices of the round's updates.
		InvalidAcceptedSet,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// Moves every due round to its next phase (see the crate docs).
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let agenda = Agenda::<T>::get();
			let due: Vec<ModelId> = agenda
				.iter()
				.filter(|(_, at)| *at <= now)
				.map(|(m, _)| *m)
				.collect();
			let mut weight = T::WeightInfo::on_initialize_idle();
			for model in due {
				weight
					.saturating_accrue(T::WeightInfo::advance_round(T::MaxUpdatesPerRound::get()));
				match Self::advance(model, now) {
					Some(at) => Self::schedule(model, at),
					None => Self::unschedule(model),
				}
			}
			weight
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Bonds `amount` (added to any existing bond) as the caller's trainer bond for `model`.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::bond_trainer())]
		pub fn bond_trainer(
			origin: OriginFor<T>,
			model: ModelId,
			amount: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let view = T::Models::model(model).ok_or(Error::<T>::UnknownModel)?;
			ensure!(
				view.status != ModelStatus::Retired,
				Error::<T>::UnknownModel
			);
			let mut bond = TrainerBonds::<T>::get(model, &who).unwrap_or(Bond {
				amount: Zero::zero(),
				unbonding_at: None,
			});
			ensure!(bond.unbonding_at.is_none(), Error::<T>::Unbonding);
			bond.amount = bond.amount.saturating_add(amount);
			ensure!(
				bond.amount >= T::MinTrainerBond::get(),
				Error::<T>::BondTooSmall
			);
			T::Currency::hold(&HoldReason::TrainerBond.into(), &who, amount)
				.map_err(|_| Error::<T>::InsufficientBalance)?;
			let total = bond.amount;
			TrainerBonds::<T>::insert(model, &who, bond);
			Self::deposit_event(Event::TrainerBonded {
				model,
				trainer: who,
				total,
			});
			Ok(())
		}

		/// Starts unbonding the caller's trainer bond for `model`.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::unbond_trainer())]
		pub fn unbond_trainer(origin: OriginFor<T>, model: ModelId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let at = Self::now().saturating_add(T::UnbondingDelay::get());
			TrainerBonds::<T>::try_mutate(model, &who, |slot| -> DispatchResult {
				let bond = slot.as_mut().ok_or(Error::<T>::NotBonded)?;
				ensure!(bond.unbonding_at.is_none(), Error::<T>::Unbonding);
				bond.unbonding_at = Some(at);
				Ok(())
			})?;
			Self::deposit_event(Event::TrainerUnbonding {
				model,
				trainer: who,
				at,
			});
			Ok(())
		}

		/// Releases the caller's unbonded trainer bond for `model`.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::withdraw_trainer_bond())]
		pub fn withdraw_trainer_bond(origin: OriginFor<T>, model: ModelId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let bond = TrainerBonds::<T>::get(model, &who).ok_or(Error::<T>::NotBonded)?;
			let at = bond.unbonding_at.ok_or(Error::<T>::NotUnbonding)?;
			ensure!(Self::now() >= at, Error::<T>::StillUnbonding);
			T::Currency::release(
				&HoldReason::TrainerBond.into(),
				&who,
				bond.amount,
				Precision::Exact,
			)?;
			TrainerBonds::<T>::remove(model, &who);
			Self::deposit_event(Event::TrainerWithdrawn {
				model,
				trainer: who,
				amount: bond.amount,
			});
			Ok(())
		}

		/// Joins the FL-validator set with a bond of `amount`.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::register_validator())]
		pub fn register_validator(origin: OriginFor<T>, amount: BalanceOf<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(
				!ValidatorBonds::<T>::contains_key(&who),
				Error::<T>::AlreadyValidator
			);
			ensure!(
				amount >= T::MinValidatorBond::get(),
				Error::<T>::BondTooSmall
			);
			ActiveValidators::<T>::try_mutate(|set| set.try_push(who.clone()))
				.map_err(|_| Error::<T>::TooManyValidators)?;
			T::Currency::hold(&HoldReason::ValidatorBond.into(), &who, amount)
				.map_err(|_| Error::<T>::InsufficientBalance)?;
			ValidatorBonds::<T>::insert(
				&who,
				Bond {
					amount,
					unbonding_at: None,
				},
			);
			Self::deposit_event(Event::ValidatorRegistered {
				validator: who,
				bond: amount,
			});
			Ok(())
		}

		/// Leaves the FL-validator set; the bond unbonds over [`Config::UnbondingDelay`].
		/// Rounds whose snapshot already includes the caller still accept its report.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::unregister_validator())]
		pub fn unregister_validator(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let at = Self::now().saturating_add(T::UnbondingDelay::get());
			ValidatorBonds::<T>::try_mutate(&who, |slot| -> DispatchResult {
				let bond = slot.as_mut().ok_or(Error::<T>::NotValidator)?;
				ensure!(bond.unbonding_at.is_none(), Error::<T>::Unbonding);
				bond.unbonding_at = Some(at);
				Ok(())
			})?;
			ActiveValidators::<T>::mutate(|set| set.retain(|v| v != &who));
			Self::deposit_event(Event::ValidatorUnbonding { validator: who, at });
			Ok(())
		}

		/// Releases the caller's unbonded validator bond.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::withdraw_validator_bond())]
		pub fn withdraw_validator_bond(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let bond = ValidatorBonds::<T>::get(&who).ok_or(Error::<T>::NotValidator)?;
			let at = bond.unbonding_at.ok_or(Error::<T>::NotUnbonding)?;
			ensure!(Self::now() >= at, Error::<T>::StillUnbonding);
			T::Currency::release(
				&HoldReason::ValidatorBond.into(),
				&who,
				bond.amount,
				Precision::Exact,
			)?;
			ValidatorBonds::<T>::remove(&who);
			Self::deposit_event(Event::ValidatorWithdrawn {
				validator: who,
				amount: bond.amount,
			});
			Ok(())
		}

		/// Commits to an update for the current round of `model`:
		/// `commitment = sha3_256(payload ‖ salt ‖ account)`.
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::commit_update())]
		pub fn commit_update(
			origin: OriginFor<T>,
			model: ModelId,
			round: RoundIndex,
			commitment: Digest,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut info = Self::current_round_in(model, round, RoundPhase::Commit)?;
			Self::ensure_bonded(model, &who)?;
			ensure!(
				!Commitments::<T>::contains_key((model, round), &who),
				Error::<T>::AlreadyCommitted
			);
			ensure!(
				info.commits < T::MaxUpdatesPerRound::get(),
				Error::<T>::RoundFull
			);
			info.commits += 1;
			Commitments::<T>::insert((model, round), &who, commitment);
			Rounds::<T>::insert(model, round, info);
			Self::deposit_event(Event::UpdateCommitted {
				model,
				round,
				trainer: who,
			});
			Ok(())
		}

		/// Reveals the update committed to in this round.
		///
		/// `num_samples` is the number of local training samples the trainer declares; it
		/// weights sample-weighted rules (FedAvg) and cannot be verified on chain.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::reveal_update(payload.len() as u32))]
		pub fn reveal_update(
			origin: OriginFor<T>,
			model: ModelId,
			round: RoundIndex,
			payload: PayloadOf<T>,
			salt: [u8; 32],
			num_samples: u32,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let info = Self::current_round_in(model, round, RoundPhase::Reveal)?;
			let commitment =
				Commitments::<T>::get((model, round), &who).ok_or(Error::<T>::NotCommitted)?;
			ensure!(
				!Updates::<T>::contains_key((model, round), &who),
				Error::<T>::AlreadyRevealed
			);
			ensure!(
				tensor_codec::commitment(&payload, &salt, &who.encode()) == commitment,
				Error::<T>::CommitmentMismatch
			);
			let base_version = info.base_version;
			Self::accept_update(model, round, info, who, &payload, num_samples, base_version)?;
			Ok(())
		}

		/// Buffered asynchronous mode: submits an update computed against `base_version`.
		/// The buffer closes (and aggregation starts) when it holds `buffer_size` updates.
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::submit_update(payload.len() as u32))]
		pub fn submit_update(
			origin: OriginFor<T>,
			model: ModelId,
			round: RoundIndex,
			base_version: VersionIndex,
			payload: PayloadOf<T>,
			num_samples: u32,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let info = Self::current_round_in(model, round, RoundPhase::Buffer)?;
			Self::ensure_bonded(model, &who)?;
			ensure!(
				!Updates::<T>::contains_key((model, round), &who),
				Error::<T>::AlreadyRevealed
			);
			ensure!(
				info.updates < T::MaxUpdatesPerRound::get(),
				Error::<T>::RoundFull
			);
			ensure!(base_version <= info.base_version, Error::<T>::FutureVersion);
			if let Schedule::BufferedAsync { max_staleness, .. } = info.config.schedule {
				ensure!(
					info.base_version - base_version <= max_staleness,
					Error::<T>::TooStale
				);
			}
			Self::accept_update(model, round, info, who, &payload, num_samples, base_version)?;
			Ok(())
		}

		/// Reports the aggregate a validator computed for a round in its aggregate phase (or,
		/// late, after it finalized: a matching late report is recorded, a contradicting one is
		/// slashed).
		///
		/// `accepted` are the indices (reveal order) the robust rule accepted, increasing;
		/// `scores` holds one attribution score per update, parts per billion.
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::report_aggregate(
			T::MaxValidators::get(),
			T::MaxUpdatesPerRound::get(),
		))]
		pub fn report_aggregate(
			origin: OriginFor<T>,
			model: ModelId,
			round: RoundIndex,
			model_hash: Digest,
			accepted: BoundedVec<u32, T::MaxUpdatesPerRound>,
			scores: BoundedVec<u32, T::MaxUpdatesPerRound>,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let info = Rounds::<T>::get(model, round).ok_or(Error::<T>::UnknownRound)?;
			ensure!(
				matches!(info.phase, RoundPhase::Aggregate | RoundPhase::Finalized),
				Error::<T>::WrongPhase
			);
			let stake = RoundValidators::<T>::get((model, round))
				.into_iter()
				.find_map(|(v, s)| (v == who).then_some(s))
				.ok_or(Error::<T>::NotRoundValidator)?;
			ensure!(
				!Reports::<T>::contains_key((model, round), &who),
				Error::<T>::AlreadyReported
			);
			ensure!(
				scores.len() as u32 == info.updates,
				Error::<T>::ScoresLengthMismatch
			);
			ensure!(
				scores.iter().all(|s| *s <= Perbill::one().deconstruct()),
				Error::<T>::ScoreOutOfRange
			);
			ensure!(
				accepted.windows(2).all(|w| w[0] < w[1])
					&& accepted.last().is_none_or(|i| *i < info.updates),
				Error::<T>::InvalidAcceptedSet
			);

			let report = Report {
				model_hash,
				accepted,
				scores,
				stake,
				block: Self::now(),
			};
			Reports::<T>::insert((model, round), &who, report);
			Self::deposit_event(Event::AggregateReported {
				model,
				round,
				validator: who.clone(),
				model_hash,
			});

			if let Some(finalized) = info.finalized_hash {
				if finalized != model_hash {
					Self::slash_validator(model, round, &who);
				}
				return Ok(Some(T::WeightInfo::report_aggregate(1, info.updates)).into());
			}
			let backing = HashStake::<T>::mutate((model, round), model_hash, |s| {
				*s = s.saturating_add(stake);
				*s
			});
			if Self::is_quorum(backing, info.validator_stake) {
				Self::finalize(model, round, info, model_hash);
				return Ok(().into());
			}
			Ok(Some(T::WeightInfo::report_aggregate(1, info.updates)).into())
		}
	}
}

impl<T: Config> ModelActivation for Pallet<T> {
	/// Schedules the model's next round for the next block, unless it is already scheduled.
	fn on_model_activated(model: ModelId) {
		if Agenda::<T>::get().iter().any(|(m, _)| *m == model) {
			return;
		}
		Self::schedule(model, Self::now().saturating_add(1u32.into()));
	}
}

impl<T: Config> Pallet<T> {
	fn now() -> BlockNumberFor<T> {
		frame_system::Pallet::<T>::block_number()
	}

	/// `round` is `model`'s current round and in `phase`.
	fn current_round_in(
		model: ModelId,
		round: RoundIndex,
		phase: RoundPhase,
	) -> Result<RoundInfoOf<T>, DispatchError> {
		ensure!(
			CurrentRound::<T>::get(model) == Some(round),
			Error::<T>::UnknownRound
		);
		let info = Rounds::<T>::get(model, round).ok_or(Error::<T>::UnknownRound)?;
		ensure!(info.phase == phase, Error::<T>::WrongPhase);
		Ok(info)
	}

	fn ensure_bonded(model: ModelId, who: &T::AccountId) -> DispatchResult {
		let bond = TrainerBonds::<T>::get(model, who).ok_or(Error::<T>::NotBonded)?;
		ensure!(bond.unbonding_at.is_none(), Error::<T>::Unbonding);
		ensure!(
			bond.amount >= T::MinTrainerBond::get(),
			Error::<T>::BondTooSmall
		);
		Ok(())
	}

	/// Checks an update payload and records it (shared by reveal and submit).
	fn accept_update(
		model: ModelId,
		round: RoundIndex,
		mut info: RoundInfoOf<T>,
		who: T::AccountId,
		payload: &[u8],
		num_samples: u32,
		base_version: VersionIndex,
	) -> DispatchResult {
		ensure!(num_samples > 0, Error::<T>::ZeroSamples);
		let header =
			tensor_codec::validate(payload, info.parameter_count).map_err(|e| match e {
				tensor_codec::CodecError::TooManyParams { .. } => Error::<T>::ShapeMismatch,
				_ => Error::<T>::MalformedPayload,
			})?;
		ensure!(
			header.param_count == info.parameter_count,
			Error::<T>::ShapeMismatch
		);
		let payload_hash = tensor_codec::digest(payload);
		ensure!(
			!SeenPayloads::<T>::contains_key((model, round), payload_hash),
			Error::<T>::DuplicatePayload
		);
		let index = info.updates;
		UpdateOrder::<T>::try_mutate((model, round), |order| order.try_push(who.clone()))
			.map_err(|_| Error::<T>::RoundFull)?;
		SeenPayloads::<T>::insert((model, round), payload_hash, ());
		Updates::<T>::insert(
			(model, round),
			&who,
			UpdateRecord {
				payload_hash,
				block: Self::now(),
				extrinsic_index: frame_system::Pallet::<T>::extrinsic_index().unwrap_or_default(),
				num_samples,
				base_version,
			},
		);
		info.updates += 1;
		let buffer_full = matches!(
			info.config.schedule,
			Schedule::BufferedAsync { buffer_size, .. } if info.updates >= buffer_size
		);
		Self::deposit_event(Event::UpdateRevealed {
			model,
			round,
			trainer: who,
			index,
			payload_hash,
		});
		if buffer_full {
			let at = Self::start_aggregation(model, round, &mut info);
			Self::schedule(model, at);
		}
		Rounds::<T>::insert(model, round, info);
		Ok(())
	}

	/// Whether `backing` is at least two thirds of `total` (and `total` is not zero).
	fn is_quorum(backing: BalanceOf<T>, total: BalanceOf<T>) -> bool {
		!total.is_zero() && backing.saturating_mul(3u32.into()) >= total.saturating_mul(2u32.into())
	}

	/// Moves `model`'s round on at `now`; returns when it needs attention next, or `None` to
	/// drop it from the agenda (model paused, retired or gone, with no round in flight).
	pub(crate) fn advance(model: ModelId, now: BlockNumberFor<T>) -> Option<BlockNumberFor<T>> {
		let current = CurrentRound::<T>::get(model);
		let Some((round, mut info)) = current
			.and_then(|r| Rounds::<T>::get(model, r).map(|info| (r, info)))
			.filter(|(_, info)| !matches!(info.phase, RoundPhase::Finalized | RoundPhase::Failed))
		else {
			return Self::open_round(model, current.map_or(0, |r| r.saturating_add(1)), now);
		};
		let next = match info.phase {
			RoundPhase::Commit => {
				let reveal_blocks = match info.config.schedule {
					Schedule::Sync { reveal_blocks, .. } => reveal_blocks,
					Schedule::BufferedAsync { .. } => 1,
				};
				info.phase = RoundPhase::Reveal;
				info.phase_ends_at = now.saturating_add(reveal_blocks.into());
				Self::deposit_event(Event::RevealStarted {
					model,
					round,
					phase_ends_at: info.phase_ends_at,
				});
				info.phase_ends_at
			}
			RoundPhase::Reveal | RoundPhase::Buffer => {
				Self::slash_unrevealed(model, round);
				if info.updates >= info.config.schedule.min_updates() {
					Self::start_aggregation(model, round, &mut info)
				} else {
					Self::fail(model, round, &mut info, FailReason::TooFewUpdates);
					now.saturating_add(1u32.into())
				}
			}
			// The aggregate deadline passed without quorum (or the round is already closed).
			RoundPhase::Aggregate | RoundPhase::Finalized | RoundPhase::Failed => {
				Self::fail(model, round, &mut info, FailReason::NoQuorum);
				now.saturating_add(1u32.into())
			}
		};
		Rounds::<T>::insert(model, round, info);
		Some(next)
	}

	/// Opens round `round` of `model` if the model is active.
	fn open_round(
		model: ModelId,
		round: RoundIndex,
		now: BlockNumberFor<T>,
	) -> Option<BlockNumberFor<T>> {
		let view = T::Models::model(model).filter(|v| v.status == ModelStatus::Active)?;
		let (phase, blocks) = match view.config.schedule {
			Schedule::Sync { commit_blocks, .. } => (RoundPhase::Commit, commit_blocks),
			Schedule::BufferedAsync { buffer_blocks, .. } => (RoundPhase::Buffer, buffer_blocks),
		};
		let phase_ends_at = now.saturating_add(blocks.into());
		Rounds::<T>::insert(
			model,
			round,
			RoundInfo {
				base_version: view.version,
				base_hash: view.version_hash,
				config: view.config,
				parameter_count: view.parameter_count,
				opened_at: now,
				phase,
				phase_ends_at,
				commits: 0,
				updates: 0,
				validator_stake: Zero::zero(),
				finalized_hash: None,
			},
		);
		CurrentRound::<T>::insert(model, round);
		Self::deposit_event(Event::RoundOpened {
			model,
			round,
			base_version: view.version,
			base_hash: view.version_hash,
			phase_ends_at,
		});
		Some(phase_ends_at)
	}

	/// Snapshots the validator set and moves the round to its aggregate phase; returns the
	/// aggregate deadline.
	fn start_aggregation(
		model: ModelId,
		round: RoundIndex,
		info: &mut RoundInfoOf<T>,
	) -> BlockNumberFor<T> {
		let snapshot: BoundedVec<(T::AccountId, BalanceOf<T>), T::MaxValidators> =
			BoundedVec::truncate_from(
				ActiveValidators::<T>::get()
					.into_iter()
					.filter_map(|v| {
						ValidatorBonds::<T>::get(&v)
							.filter(|b| b.unbonding_at.is_none())
							.map(|b| (v, b.amount))
					})
					.collect(),
			);
		let total = snapshot
			.iter()
			.fold(BalanceOf::<T>::zero(), |acc, (_, s)| acc.saturating_add(*s));
		RoundValidators::<T>::insert((model, round), snapshot);
		let aggregate_blocks = match info.config.schedule {
			Schedule::Sync {
				aggregate_blocks, ..
			}
			| Schedule::BufferedAsync {
				aggregate_blocks, ..
			} => aggregate_blocks,
		};
		info.phase = RoundPhase::Aggregate;
		info.validator_stake = total;
		info.phase_ends_at = Self::now().saturating_add(aggregate_blocks.into());
		Self::deposit_event(Event::AggregationStarted {
			model,
			round,
			updates: info.updates,
			validator_stake: total,
			phase_ends_at: info.phase_ends_at,
		});
		info.phase_ends_at
	}

	fn fail(model: ModelId, round: RoundIndex, info: &mut RoundInfoOf<T>, reason: FailReason) {
		info.phase = RoundPhase::Failed;
		Self::clear_round_scratch(model, round);
		Self::deposit_event(Event::RoundFailed {
			model,
			round,
			reason,
		});
	}

	/// Commitments, seen payloads and hash stakes are only needed while the round is open.
	fn clear_round_scratch(model: ModelId, round: RoundIndex) {
		let limit = T::MaxUpdatesPerRound::get();
		let _ = Commitments::<T>::clear_prefix((model, round), limit, None);
		let _ = SeenPayloads::<T>::clear_prefix((model, round), limit, None);
		let _ = HashStake::<T>::clear_prefix((model, round), T::MaxValidators::get(), None);
	}

	/// Slashes every trainer that committed in `round` but has no update recorded.
	fn slash_unrevealed(model: ModelId, round: RoundIndex) {
		let faulty: Vec<T::AccountId> = Commitments::<T>::iter_key_prefix((model, round))
			.filter(|who| !Updates::<T>::contains_key((model, round), who))
			.collect();
		for who in faulty {
			Self::slash_trainer(model, round, &who, Fault::NotRevealed);
		}
	}

	fn slash_trainer(model: ModelId, round: RoundIndex, who: &T::AccountId, fault: Fault) {
		let Some(mut bond) = TrainerBonds::<T>::get(model, who) else {
			return;
		};
		let amount = Self::slash_hold(
			HoldReason::TrainerBond,
			who,
			model,
			T::TrainerSlash::get() * bond.amount,
		);
		bond.amount = bond.amount.saturating_sub(amount);
		TrainerBonds::<T>::insert(model, who, bond);
		Self::deposit_event(Event::TrainerSlashed {
			model,
			round,
			trainer: who.clone(),
			amount,
			fault,
		});
	}

	fn slash_validator(model: ModelId, round: RoundIndex, who: &T::AccountId) {
		let Some(mut bond) = ValidatorBonds::<T>::get(who) else {
			return;
		};
		let amount = Self::slash_hold(
			HoldReason::ValidatorBond,
			who,
			model,
			T::ValidatorSlash::get() * bond.amount,
		);
		bond.amount = bond.amount.saturating_sub(amount);
		ValidatorBonds::<T>::insert(who, bond);
		Self::deposit_event(Event::ValidatorSlashed {
			model,
			round,
			validator: who.clone(),
			amount,
			fault: Fault::ContradictingReport,
		});
	}

	/// Moves up to `amount` of `who`'s held `reason` funds into the rewards pot and credits
	/// them to `model`'s pool; returns what was moved.
	fn slash_hold(
		reason: HoldReason,
		who: &T::AccountId,
		model: ModelId,
		amount: BalanceOf<T>,
	) -> BalanceOf<T> {
		if amount.is_zero() {
			return amount;
		}
		let moved = T::Currency::transfer_on_hold(
			&reason.into(),
			who,
			&T::Rewards::pot(),
			amount,
			Precision::BestEffort,
			Restriction::Free,
			Fortitude::Force,
		)
		.unwrap_or_else(|_| Zero::zero());
		if !moved.is_zero() {
			T::Rewards::credit_pool(model, moved);
		}
		moved
	}

	/// Records the finalized version, slashes contradicting validators, settles the accepted
	/// set and pays the round's rewards.
	fn finalize(model: ModelId, round: RoundIndex, mut info: RoundInfoOf<T>, model_hash: Digest) {
		let Some(view) = T::Models::model(model) else {
			Self::fail(model, round, &mut info, FailReason::ModelRetired);
			Rounds::<T>::insert(model, round, info);
			return;
		};
		let Some(version) = T::Models::append_version(model, round, model_hash) else {
			Self::fail(model, round, &mut info, FailReason::ModelRetired);
			Rounds::<T>::insert(model, round, info);
			return;
		};
		info.phase = RoundPhase::Finalized;
		info.finalized_hash = Some(model_hash);

		let mut matching: Vec<(T::AccountId, ReportOf<T>)> = Vec::new();
		for (validator, report) in Reports::<T>::iter_prefix((model, round)) {
			if report.model_hash == model_hash {
				matching.push((validator, report));
			} else {
				Self::slash_validator(model, round, &validator);
			}
		}
		// Deterministic order regardless of storage iteration order.
		matching.sort_by(|a, b| a.0.cmp(&b.0));
		let matching_stake = matching.iter().fold(BalanceOf::<T>::zero(), |acc, (_, r)| {
			acc.saturating_add(r.stake)
		});

		let order = UpdateOrder::<T>::get((model, round));
		let mut trainers = Vec::new();
		for (index, trainer) in order.iter().enumerate() {
			let index = index as u32;
			let accept_stake = matching
				.iter()
				.filter(|(_, r)| r.accepted.binary_search(&index).is_ok())
				.fold(BalanceOf::<T>::zero(), |acc, (_, r)| {
					acc.saturating_add(r.stake)
				});
			// Accepted if the matching reports accepting it hold a strict stake majority.
			if accept_stake.saturating_mul(2u32.into()) > matching_stake {
				let scores = matching
					.iter()
					.map(|(_, r)| (r.scores.get(index as usize).copied().unwrap_or(0), r.stake))
					.collect();
				trainers.push(TrainerScores {
					trainer: trainer.clone(),
					scores,
				});
			}
		}
		let validators: Vec<(T::AccountId, BalanceOf<T>)> =
			matching.into_iter().map(|(v, r)| (v, r.stake)).collect();
		let reward = T::Rewards::reward_round(
			model,
			round,
			&view.owner,
			&info.config,
			&validators,
			&trainers,
		);

		let accepted = trainers.len() as u32;
		let rejected = info.updates.saturating_sub(accepted);
		Self::clear_round_scratch(model, round);
		Rounds::<T>::insert(model, round, info);
		Self::schedule(model, Self::now().saturating_add(1u32.into()));
		Self::deposit_event(Event::RoundFinalized {
			model,
			round,
			version,
			model_hash,
			accepted,
			rejected,
			reward,
		});
	}

	/// Sets when `model` needs `on_initialize` next (replacing any earlier entry).
	fn schedule(model: ModelId, at: BlockNumberFor<T>) {
		let full = Agenda::<T>::mutate(|agenda| {
			if let Some(entry) = agenda.iter_mut().find(|(m, _)| *m == model) {
				entry.1 = at;
				false
			} else {
				agenda.try_push((model, at)).is_err()
			}
		});
		if full {
			Self::deposit_event(Event::ScheduleFull { model });
		}
	}

	fn unschedule(model: ModelId) {
		Agenda::<T>::mutate(|agenda| agenda.retain(|(m, _)| *m != model));
	}

	/// Invariants: bonds equal holds; the active set has bonds that are not unbonding; every
	/// current round exists; update counts match the reveal order.
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use alloc::collections::btree_map::BTreeMap;
		let mut trainer_totals: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		for (_, who, bond) in TrainerBonds::<T>::iter() {
			let total = trainer_totals.entry(who).or_insert_with(Zero::zero);
			*total = total.saturating_add(bond.amount);
		}
		for (who, total) in trainer_totals {
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::TrainerBond.into(), &who) == total,
				"trainer hold differs from the sum of its bonds"
			);
		}
		for (who, bond) in ValidatorBonds::<T>::iter() {
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::ValidatorBond.into(), &who)
					== bond.amount,
				"validator hold differs from its bond"
			);
		}
		for v in ActiveValidators::<T>::get() {
			let bond = ValidatorBonds::<T>::get(&v).ok_or("active validator without bond")?;
			ensure!(bond.unbonding_at.is_none(), "active validator is unbonding");
		}
		for (model, round) in CurrentRound::<T>::iter() {
			let info = Rounds::<T>::get(model, round).ok_or("current round missing")?;
			ensure!(
				UpdateOrder::<T>::get((model, round)).len() as u32 == info.updates,
				"update count differs from the reveal order"
			);
			ensure!(
				info.updates <= T::MaxUpdatesPerRound::get(),
				"round over capacity"
			);
		}
		Ok(())
	}
}
