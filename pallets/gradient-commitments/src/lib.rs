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
//!    `sha3_256(payload ‖ salt ‖ account)`, from the block after the one that opened the round,
//!    and holds the round's deposit. Nobody has seen any update yet, so nobody can copy one.
//!    A round takes up to [`Config::MaxCommitsPerRound`] commitments for its
//!    [`Config::MaxUpdatesPerRound`] slots; if more trainers commit than there are slots, the
//!    slots are drawn by lottery at the commit deadline (`lottery.rs`), so arriving first buys
//!    nothing.
//! 2. **Reveal** — `reveal_update` carries the payload (canonical tensor codec) and the salt.
//!    The runtime checks the commitment, the codec, the shape (the model's parameter count),
//!    that every value is finite and that the payload is not a copy of one already revealed in
//!    the round. Only the payload's hash, the block and extrinsic index, the declared sample
//!    count and the base version are kept in state: the payload lives in the block body.
//! 3. **Aggregate** — if at least `min_updates` updates were revealed, the round snapshots the
//!    FL-validator set and its stake. Each validator rebuilds the updates from block bodies,
//!    runs the model's robust rule and scorer natively and commits to its report with
//!    `commit_report`: the root of the update set it aggregated, in the clear, and
//!    `sha3_256(SCALE(model hash, accepted, scores) ‖ salt ‖ account)`. Nobody's report is
//!    readable yet, so a validator that did not aggregate has nothing to copy.
//! 4. **Report reveal** — at the aggregate deadline, or as soon as every snapshot validator
//!    has committed, the report-reveal window opens (as long as the aggregate window):
//!    `report_aggregate` carries the committed report and its salt.
//! 5. **Settle** — at the end of the report-reveal window, or as soon as every committed
//!    report is revealed, the reports are settled together: if validators holding ≥ 2/3 of
//!    the snapshot stake reported the same hash, the registry appends the new version, each
//!    update accepted by a stake majority of *all* matching reports is scored by their
//!    stake-weighted median (computed by the rewards pallet), the round's reward is released
//!    and validators that reported another hash are slashed. Reports that came first carry no
//!    more weight than later ones in the window. Snapshot validators that did not report are
//!    not paid for the round (a commitment left unrevealed is a missed report);
//!    [`Config::MaxMissedReports`] misses in a row cost the seat. The next round opens in the
//!    next block.
//!
//! In **buffered asynchronous** mode (FedBuff) a round is a buffer with no commit deadline, but
//! an update is still bound to its submitter before anyone can read it: the trainer commits
//! with `commit_update` (no deposit: a buffered commitment claims no slot), and in a later
//! block `submit_update` carries the payload, the salt and the version it was computed
//! against. A copier who takes a submission from the pool has no earlier commitment to it, so
//! its copy is refused, and the original is included first. Updates staler than
//! `max_staleness` versions are refused; the buffer closes after `buffer_size` updates, or at
//! its deadline with at least `min_updates`, and aggregation proceeds as above.
//!
//! Deadlines are in blocks. A round with too few updates, or without quorum by its aggregate
//! deadline, **fails cleanly**: the model stays at its version and the next round opens.
//!
//! ### Bounds
//!
//! The registry asks this pallet (as its `RoundScheduler`) whether a schedule can be met: every
//! window at least two blocks and at most [`Config::MaxPhaseBlocks`], `min_updates` and
//! `buffer_size` within [`Config::MaxUpdatesPerRound`], and a reveal window that carries every
//! slot's dense payload at the normal block length and weight plus one block. At most
//! [`Config::MaxActiveModels`] models hold a slot of the [`Agenda`]; a full agenda refuses
//! registration; retiring frees the slot at once and abandons the round in flight. Closed
//! rounds more than [`Config::RoundRetention`] rounds old, and all rounds of retired models,
//! are pruned in `on_idle`.
//!
//! ### Slashing
//!
//! Only provable faults are slashed, by [`Config::TrainerSlash`] / [`Config::ValidatorSlash`]
//! of the bond; slashed funds go to [`Config::OnSlash`] (the runtime burns them), never to the
//! model's pool, so a model's owner gains nothing from faults it provokes:
//!
//! - a commitment without a valid reveal by the reveal deadline ([`Fault::NotRevealed`]). A
//!   reveal that does not match its commitment, a malformed payload (bad codec, wrong shape,
//!   NaN/Inf, oversize) and a copied payload are each refused with a typed error and change
//!   nothing, so the commitment stays unrevealed and is slashed at the deadline;
//! - a validator report whose hash contradicts the finalized hash
//!   ([`Fault::ContradictingReport`]).
//!
//! A drawn commitment left unrevealed also forfeits its deposit (`deposits.rs`). A reveal
//! window congested past its slack is extended, and one still congested at
//! [`Config::MaxPhaseBlocks`] slashes nobody (`congestion.rs`). FL calls are dispatched in the
//! operational class, and the runtime's [`PrioritizeFlCalls`] extension puts them first in the
//! pool in their phase (`priority.rs`).
//!
//! An update the robust rule merely rejects earns nothing but is not slashed. Pausing a model
//! while its round takes commitments or reveals interrupts that round ([`InterruptedRound`]):
//! nobody is slashed for not revealing in it.
//!
//! ### The FL-validator set
//!
//! At most [`Config::MaxValidators`] validators, ranked by bond: a bond that exceeds the
//! smallest in a full set evicts it (it unbonds), so the set cannot be squatted at the minimum
//! bond, and holding two thirds of its stake costs twice the stake of the honest validators
//! that keep their seats. The genesis config seats a chain's first validators. A validator that
//! misses [`Config::MaxMissedReports`] settled rounds in a row is removed (not slashed) and
//! unbonds, so silent stake cannot hold every round below quorum for free.
//!
//! ## Calls
//!
//! All calls take a signed origin; each call's own documentation lists its effects, errors
//! and events.
//!
//! - bonds: [`Pallet::bond_trainer`], [`Pallet::unbond_trainer`],
//!   [`Pallet::withdraw_trainer_bond`], [`Pallet::register_validator`],
//!   [`Pallet::bond_validator_extra`], [`Pallet::unregister_validator`],
//!   [`Pallet::withdraw_validator_bond`];
//! - updates: [`Pallet::commit_update`], [`Pallet::reveal_update`] (synchronous mode),
//!   [`Pallet::submit_update`] (buffered mode);
//! - reports: [`Pallet::commit_report`], [`Pallet::report_aggregate`].
//!
//! Round phases move in `on_initialize` by the schedule: [`Event::RoundOpened`],
//! [`Event::RevealStarted`], [`Event::AggregationStarted`], [`Event::ReportRevealStarted`],
//! [`Event::RoundFailed`], [`Event::TrainerSlashed`], and at a report-reveal deadline the
//! settlement's events
//! ([`Event::RoundFinalized`], [`Event::ValidatorSlashed`], [`Event::ReportMissed`],
//! [`Event::ValidatorRemoved`]).
//!
//! ## Invariants (checked by `try_state`)
//!
//! - the trainer-bond hold of each account equals the sum of its bonds, the validator-bond
//!   hold equals its bond;
//! - every active validator has a bond that is not unbonding; missed reports are counted only
//!   for bonded validators, and below [`Config::MaxMissedReports`];
//! - an open round's report count equals its number of reports, its report-commitment count
//!   its number of report commitments, and every report has its commitment;
//! - an unrevealed commitment before its reveal deadline holds the round's deposit; an open
//!   round counts its commitments, at most the slots once drawn;
//! - every current round of a live model exists, its update count equals its reveal order's
//!   length and stays within [`Config::MaxUpdatesPerRound`];
//! - the agenda holds each model at most once and no retired model;
//! - no reveal order or validator snapshot outlives its round's record (pruning removes them
//!   together).
//!
//! ## Code layout
//!
//! `lib.rs` holds the configuration, storage, events, errors, hooks and the calls, each of
//! which hands over to a `do_*` function in the file named for what it does:
//!
//! - `bonds.rs` — trainer and validator bonds;
//! - `schedule.rs` — the agenda and the phase machine (open, reveal, aggregate, fail);
//! - `updates.rs` — commitments, reveals and buffered submissions;
//! - `lottery.rs` — the draw of update slots among a round's commitments;
//! - `deposits.rs` — commitment deposits (held, returned, forfeited);
//! - `congestion.rs` — congested blocks, and reveal windows that excuse non-revealers;
//! - `priority.rs` — [`PrioritizeFlCalls`], the transaction extension that puts FL calls in
//!   their phase first in the pool;
//! - `reports.rs` — validator report commitments and reports, settlement (quorum) and
//!   finalization;
//! - `absence.rs` — validators that did not report, and their removal;
//! - `slashing.rs` — slashing of provable faults (to [`Config::OnSlash`]) and interrupted rounds;
//! - `pruning.rs` — removal of old rounds' storage in `on_idle`;
//! - `invariants.rs` — the `try_state` checks;
//! - `migrations.rs` — storage migrations between versions;
//! - `types.rs` — the stored types; `weights.rs` (generated), `benchmarking.rs`, `mock.rs` and
//!   `tests/` (split like the code).
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use priority::{PrioritizeFlCalls, FL_PHASE_PRIORITY};
pub use schedule::LONGEST_ROUND_PHASES;
pub use types::*;
pub use weights::WeightInfo;

mod absence;
#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod bonds;
mod congestion;
mod deposits;
mod invariants;
mod lottery;
pub mod migrations;
#[cfg(test)]
mod mock;
mod priority;
mod pruning;
mod reports;
mod schedule;
mod slashing;
#[cfg(test)]
mod tests;
mod types;
mod updates;
pub mod weights;

use fedledger_primitives::{
	tensor_codec,
	traits::{ModelProvider, RoundRewards},
	Digest, ModelId, RoundIndex, VersionIndex,
};
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::{BalancedHold, Credit, Inspect, InspectHold, MutateHold},
		OnUnbalanced,
	},
};
use frame_system::pallet_prelude::*;
use sp_runtime::Perbill;

/// The target of this pallet's log messages.
pub(crate) const LOG_TARGET: &str = "runtime::gradient-commitments";

/// The balance type of the bonded currency.
pub type BalanceOf<T> =
	<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

/// Slashed funds on their way to [`Config::OnSlash`].
pub type CreditOf<T> = Credit<<T as frame_system::Config>::AccountId, <T as Config>::Currency>;

/// A round as stored for runtime `T`.
pub type RoundInfoOf<T> = RoundInfo<BalanceOf<T>, BlockNumberFor<T>>;

/// A validator report as stored for runtime `T`.
pub type ReportOf<T> = Report<BalanceOf<T>, BlockNumberFor<T>, <T as Config>::MaxUpdatesPerRound>;

/// A commitment as stored for runtime `T`.
pub type CommitmentOf<T> = Commitment<BlockNumberFor<T>>;

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
	/// Version 2: a commitment records the block it was made in (`migrations::v2`).
	/// Version 3: a round's configuration has update bounds and the aggregation pipeline, and
	/// a round records its aggregation seed (`migrations::v3`).
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(3);

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
		/// A commitment's deposit: returned when the update is revealed (or the commitment is
		/// not drawn, or its round excused), forfeited if a drawn commitment is not revealed.
		#[codec(index = 2)]
		CommitDeposit,
	}

	/// Configuration of the gradient-commitments pallet.
	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The currency bonds are held in.
		type Currency: MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ InspectHold<Self::AccountId>
			+ BalancedHold<Self::AccountId>;

		/// Where slashed bonds go. Never the slashed model's own pool: its owner could
		/// otherwise provoke faults (pause mid-reveal, an unmeetable window) and collect them
		/// through a raised owner share. `()` burns them.
		type OnSlash: OnUnbalanced<CreditOf<Self>>;

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

		/// Most updates a round takes: its update slots. In synchronous mode, when more
		/// trainers commit, this many commitments are drawn by lottery at the commit deadline
		/// (see `lottery.rs`); only those may reveal.
		#[pallet::constant]
		type MaxUpdatesPerRound: Get<u32>;

		/// Most commitments a round takes (at least [`Config::MaxUpdatesPerRound`]): the
		/// lottery's entries. Larger than the slots, so that taking every slot takes more
		/// than arriving first; bounded, so that the draw fits a block.
		#[pallet::constant]
		type MaxCommitsPerRound: Get<u32>;

		/// Smallest deposit a commitment holds. A round's deposit is the larger of this and
		/// its `reward_per_round` divided by [`Config::MaxUpdatesPerRound`], so that drawn
		/// slots left unrevealed forfeit at least the reward they could have earned.
		#[pallet::constant]
		type CommitDeposit: Get<BalanceOf<Self>>;

		/// Share of a block's weight or length that, used by anything but recorded updates,
		/// makes the block congested (see `congestion.rs`). A reveal window with more congested
		/// blocks than its slack is extended; one still that congested at
		/// [`Config::MaxPhaseBlocks`] slashes nobody.
		#[pallet::constant]
		type CongestionThreshold: Get<Perbill>;

		/// Most FL validators.
		#[pallet::constant]
		type MaxValidators: Get<u32>;

		/// Most models with a round in flight at once (the agenda's slots). Registering or
		/// resuming a model with a full agenda fails; retiring a model frees its slot at once,
		/// pausing one frees it when the round in flight closes.
		#[pallet::constant]
		type MaxActiveModels: Get<u32>;

		/// Longest commit, reveal, buffer or aggregate window a model may configure, in
		/// blocks. Bounds how long a round (and the bonds committed to it) can be held up.
		#[pallet::constant]
		type MaxPhaseBlocks: Get<u32>;

		/// Closed rounds kept in full per model behind its current round; older ones are
		/// pruned in `on_idle` (see `pruning.rs`). Workers rebuild the versions of these
		/// rounds from chain state; the registry's version chain stays for every round.
		#[pallet::constant]
		type RoundRetention: Get<u32>;

		/// Closed rounds back whose revealed payloads a new update may not repeat: an exact
		/// replay of an update from any of them is refused ([`Error::ReplayedPayload`]).
		/// At most [`Config::RoundRetention`] (their seen payloads are pruned with them).
		#[pallet::constant]
		type ReplayWindow: Get<u32>;

		/// Settled rounds in a row (of any models) a validator of their snapshots may miss
		/// reporting in before it is removed from the set and starts unbonding.
		#[pallet::constant]
		type MaxMissedReports: Get<u32>;

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

	/// Commitments of the round: `((model, round), trainer)` → commitment. Each holds the
	/// round's deposit ([`HoldReason::CommitDeposit`], zero in buffered mode). After the draw
	/// only the drawn remain; in buffered mode a submission consumes its commitment. Cleared
	/// when the round closes.
	#[pallet::storage]
	pub type Commitments<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		RoundKey,
		Blake2_128Concat,
		T::AccountId,
		Commitment<BlockNumberFor<T>>,
	>;

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

	/// Payload hashes seen in a round (copy and replay detection). Cleared once
	/// [`Config::ReplayWindow`] later rounds have closed.
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

	/// Validators' commitments to their reports (see [`Pallet::commit_report`]):
	/// `((model, round), validator)` → `sha3_256(SCALE(model_hash, accepted, scores) ‖ salt ‖
	/// account)`. Cleared when the round closes.
	#[pallet::storage]
	pub type ReportCommitments<T: Config> =
		StorageDoubleMap<_, Twox64Concat, RoundKey, Blake2_128Concat, T::AccountId, Digest>;

	/// How many validators of the round's snapshot committed to a report: when all have, the
	/// report-reveal window opens without waiting for the aggregate deadline; when every
	/// committed report is revealed, the round settles. Cleared when the round closes.
	#[pallet::storage]
	pub type ReportCommitCount<T: Config> = StorageMap<_, Twox64Concat, RoundKey, u32, ValueQuery>;

	/// Stake behind each reported model hash of a round. Cleared when the round closes.
	#[pallet::storage]
	pub type HashStake<T: Config> =
		StorageDoubleMap<_, Twox64Concat, RoundKey, Identity, Digest, BalanceOf<T>, ValueQuery>;

	/// How many validators of the round's snapshot have revealed their reports; when all that
	/// committed have, the round settles without waiting for its deadline. Cleared when the
	/// round closes.
	#[pallet::storage]
	pub type ReportCount<T: Config> = StorageMap<_, Twox64Concat, RoundKey, u32, ValueQuery>;

	/// Settled rounds in a row each validator missed reporting in (absent: none). Only
	/// bonded validators have an entry (at most the set and those unbonding from it): it goes
	/// when the validator reports again, is removed, or withdraws its bond.
	#[pallet::storage]
	pub type MissedReports<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

	/// When each model with a live schedule needs `on_initialize` next: `(model, block)`.
	#[pallet::storage]
	pub type Agenda<T: Config> =
		StorageValue<_, BoundedVec<(ModelId, BlockNumberFor<T>), T::MaxActiveModels>, ValueQuery>;

	/// The root of each round's update set, extended with every recorded update's payload
	/// hash in reveal order ([`fedledger_primitives::round::extend_update_root`]). Reports
	/// carry the root of the set they aggregated and are refused if it differs.
	#[pallet::storage]
	pub type UpdateSetRoot<T: Config> = StorageMap<_, Twox64Concat, RoundKey, Digest, ValueQuery>;

	/// Congested blocks so far (see `congestion.rs`): a running count, so that a reveal
	/// window's congested blocks are the difference between its end and its start.
	#[pallet::storage]
	pub type CongestedBlocks<T: Config> = StorageValue<_, u32, ValueQuery>;

	/// Weight and bytes the current block spent on recorded updates (reveals and
	/// submissions), left out of its congestion. Cleared in `on_finalize`.
	#[pallet::storage]
	pub type BlockUpdateUsage<T: Config> = StorageValue<_, (Weight, u32), ValueQuery>;

	/// When each round's reveal window opened, and [`CongestedBlocks`] then. Cleared when
	/// the round closes.
	#[pallet::storage]
	pub type RevealCongestion<T: Config> =
		StorageMap<_, Twox64Concat, RoundKey, (BlockNumberFor<T>, u32)>;

	/// The round that was in flight when the model's owner last paused it. Nobody is slashed
	/// for not revealing in it: the owner, not the trainers, interrupted it (and could
	/// otherwise time a pause to make honest trainers miss the reveal window).
	#[pallet::storage]
	pub type InterruptedRound<T: Config> = StorageMap<_, Twox64Concat, ModelId, RoundIndex>;

	/// Where `on_idle`'s walk over [`Rounds`] resumes: the raw storage key of the last round
	/// it visited (`None`: from the start).
	#[pallet::storage]
	pub type PruneCursor<T: Config> = StorageValue<_, BoundedVec<u8, ConstU32<128>>, OptionQuery>;

	/// The FL validators a chain starts with, and their bonds (held from their balances).
	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// `(validator, bond)`; each bond at least [`Config::MinValidatorBond`], at most
		/// [`Config::MaxValidators`] entries, no account twice.
		pub validators: alloc::vec::Vec<(T::AccountId, BalanceOf<T>)>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			for (validator, bond) in &self.validators {
				// A chain spec that cannot be honoured must not produce a chain.
				Pallet::<T>::do_register_validator(validator.clone(), *bond)
					.expect("genesis FL validator: unique, funded, bond ≥ MinValidatorBond");
			}
		}
	}

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
		/// A validator committed to its report (its content stays hidden until the
		/// report-reveal window).
		ReportCommitted {
			model: ModelId,
			round: RoundIndex,
			validator: T::AccountId,
		},
		/// Report commitments closed (the aggregate deadline passed, or every snapshot
		/// validator committed); validators reveal their reports until `phase_ends_at`.
		ReportRevealStarted {
			model: ModelId,
			round: RoundIndex,
			committed: u32,
			phase_ends_at: BlockNumberFor<T>,
		},
		/// A validator revealed the report it committed to.
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
		/// A model could not be rescheduled because [`Config::MaxActiveModels`] models already
		/// are. Defensive: activation checks the agenda first
		/// ([`fedledger_primitives::traits::ScheduleError::AgendaFull`]), and a scheduled
		/// model keeps its slot until it leaves the agenda.
		ScheduleFull { model: ModelId },
		/// A validator added to its bond.
		ValidatorBonded {
			validator: T::AccountId,
			total: BalanceOf<T>,
		},
		/// The set was full and `by` bonded more than `validator`, the smallest bond in it:
		/// `validator` left the set and its bond is withdrawable from `at`.
		ValidatorEvicted {
			validator: T::AccountId,
			by: T::AccountId,
			at: BlockNumberFor<T>,
		},
		/// The model was paused while this round took commitments or reveals: nobody is
		/// slashed for not revealing in it.
		RoundInterrupted { model: ModelId, round: RoundIndex },
		/// A validator of the round's snapshot had not reported when the round settled: it
		/// is not paid for it. `missed` is its run of missed rounds.
		ReportMissed {
			model: ModelId,
			round: RoundIndex,
			validator: T::AccountId,
			missed: u32,
		},
		/// More trainers committed than the round has slots: `drawn` of the `committed`
		/// commitments were drawn (see `lottery.rs`); the others were returned with their
		/// deposits ([`Event::CommitmentNotDrawn`]).
		SlotsDrawn {
			model: ModelId,
			round: RoundIndex,
			committed: u32,
			drawn: u32,
		},
		/// The round's lottery was full and `by`, bonded more than `trainer` (the smallest bond
		/// among its committers), took its place: `trainer`'s commitment is returned with its
		/// deposit, unslashed.
		CommitmentEvicted {
			model: ModelId,
			round: RoundIndex,
			trainer: T::AccountId,
			by: T::AccountId,
		},
		/// The trainer's commitment was not drawn: it may not reveal in this round, is not
		/// slashed, and its deposit is returned.
		CommitmentNotDrawn {
			model: ModelId,
			round: RoundIndex,
			trainer: T::AccountId,
		},
		/// A drawn commitment was not revealed: its deposit is forfeited (as well as the
		/// slash of [`Event::TrainerSlashed`]).
		DepositForfeited {
			model: ModelId,
			round: RoundIndex,
			trainer: T::AccountId,
			amount: BalanceOf<T>,
		},
		/// `congested` of the reveal window's blocks were congested, more than its slack: the
		/// window is extended to `phase_ends_at` (at most [`Config::MaxPhaseBlocks`] in all).
		RevealExtended {
			model: ModelId,
			round: RoundIndex,
			congested: u32,
			phase_ends_at: BlockNumberFor<T>,
		},
		/// The reveal window reached [`Config::MaxPhaseBlocks`] with more congested blocks
		/// (`congested`) than its slack: committers that did not reveal are not slashed and get
		/// their deposits back.
		RevealsExcused {
			model: ModelId,
			round: RoundIndex,
			congested: u32,
		},
		/// A validator missed [`Config::MaxMissedReports`] rounds in a row: it left the set,
		/// and its bond is withdrawable from `at`.
		ValidatorRemoved {
			validator: T::AccountId,
			missed: u32,
			at: BlockNumberFor<T>,
		},
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
		/// The FL-validator set is full and the bond does not exceed its smallest bond (the
		/// set is ranked by bond: joining a full set evicts the smallest).
		BondBelowSmallestSeat,
		/// The caller already committed in this round.
		AlreadyCommitted,
		/// The round has taken its maximum number of updates ([`Config::MaxUpdatesPerRound`]),
		/// or of commitments ([`Config::MaxCommitsPerRound`]) and the caller's bond does not
		/// exceed the smallest committer's.
		RoundFull,
		/// The caller did not commit in this round, or its commitment was not drawn.
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
		/// The model is retired: its round in flight is abandoned and it takes no bonds.
		ModelRetired,
		/// A zero bond changes nothing.
		ZeroBond,
		/// The bond is still needed by a round in flight: a commitment not yet revealed, or a
		/// seat in the validator snapshot of a round still aggregating. Withdraw once it closes.
		InOpenRound,
		/// The same payload was revealed in one of the last [`Config::ReplayWindow`] rounds.
		ReplayedPayload,
		/// The report's update-set root is not the round's: it aggregated another set of
		/// updates (for instance on a fork that lost). Refused, not slashed.
		WrongUpdateSet,
		/// The round opened in this block: no commitment or update is taken in it, so that
		/// none can be placed in the pool before the round exists and be first in line.
		RoundJustOpened,
		/// A buffered submission in the block of its own commitment: the commitment must be in
		/// an earlier block, before anyone could have read the payload. Submit in a later one.
		CommittedThisBlock,
		/// The caller already committed to a report for this round.
		ReportAlreadyCommitted,
		/// The caller did not commit to a report in this round's aggregate window, so it has
		/// no report to reveal.
		ReportNotCommitted,
		/// `sha3_256(SCALE(model_hash, accepted, scores) ‖ salt ‖ account)` differs from the
		/// caller's report commitment.
		ReportCommitmentMismatch,
		/// `num_samples` is above the model's `update_bounds.max_samples`.
		TooManySamples,
		/// A coordinate of the update is larger in absolute value than the model's
		/// `update_bounds.max_value`.
		ValueOutOfBounds,
		/// The update's L2 norm is above the model's `update_bounds.max_norm`.
		NormOutOfBounds,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// Moves every due round to its next phase (see the crate docs).
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			// `on_finalize` has no weight of its own: it is charged here.
			Self::do_on_initialize(now).saturating_add(T::WeightInfo::note_block_usage())
		}

		/// Counts the block as congested if anything but recorded updates used more than
		/// [`Config::CongestionThreshold`] of its weight or length (see `congestion.rs`).
		fn on_finalize(_now: BlockNumberFor<T>) {
			Self::note_block_usage();
		}

		/// Prunes closed rounds past [`Config::RoundRetention`] with the weight left over.
		fn on_idle(_now: BlockNumberFor<T>, remaining: Weight) -> Weight {
			Self::do_on_idle(remaining)
		}

		/// Checks that the constants allow the protocol to work.
		fn integrity_test() {
			assert!(
				!T::MinTrainerBond::get().is_zero(),
				"MinTrainerBond must be positive: a trainer must stake something to be slashed"
			);
			assert!(
				!T::MinValidatorBond::get().is_zero(),
				"MinValidatorBond must be positive: quorum is two thirds of validator stake, \
				 and a round whose validators hold no stake can never reach it"
			);
			assert!(
				!T::UnbondingDelay::get().is_zero(),
				"UnbondingDelay must be positive: a bond must stay slashable for the round in \
				 flight"
			);
			assert!(
				T::MaxPayloadLen::get() as usize >= tensor_codec::HEADER_LEN + 4,
				"MaxPayloadLen must hold the tensor codec header and at least one value"
			);
			assert!(
				T::MaxUpdatesPerRound::get() > 0,
				"MaxUpdatesPerRound must be positive: every schedule needs min_updates ≥ 1"
			);
			assert!(
				T::MaxValidators::get() > 0,
				"MaxValidators must be positive: no round finalizes without a validator"
			);
			assert!(
				T::MaxActiveModels::get() > 0,
				"MaxActiveModels must be positive: no model could ever run a round"
			);
			// `Perbill` saturates at 100 %; the slashing code relies on `slash · bond ≤ bond`.
			assert!(
				T::TrainerSlash::get() <= Perbill::one(),
				"TrainerSlash above 100 %"
			);
			assert!(
				T::ValidatorSlash::get() <= Perbill::one(),
				"ValidatorSlash above 100 %"
			);
			// A bond must stay slashable for the whole round its holder took part in: commit,
			// reveal (extended at most to MaxPhaseBlocks), aggregate and report reveal.
			let longest_round = T::MaxPhaseBlocks::get().saturating_mul(LONGEST_ROUND_PHASES);
			assert!(
				T::UnbondingDelay::get() >= longest_round.into(),
				"UnbondingDelay is shorter than the longest round (4 × MaxPhaseBlocks)"
			);
			assert!(
				T::MaxMissedReports::get() > 0,
				"MaxMissedReports must be positive: a validator that reported would be removed"
			);
			assert!(
				T::ReplayWindow::get() <= T::RoundRetention::get(),
				"ReplayWindow exceeds RoundRetention: older rounds' seen payloads are pruned"
			);
			assert!(
				T::MaxPhaseBlocks::get() >= schedule::MIN_PHASE_BLOCKS,
				"MaxPhaseBlocks below the shortest window: no schedule could be registered"
			);
			assert!(
				T::WeightInfo::prune_round().all_lte(T::BlockWeights::get().max_block),
				"pruning one round exceeds a block: on_idle could never prune"
			);
			assert!(
				T::MaxCommitsPerRound::get() >= T::MaxUpdatesPerRound::get(),
				"MaxCommitsPerRound below MaxUpdatesPerRound: slots could never all be taken"
			);
			assert!(
				T::CongestionThreshold::get() > Perbill::zero(),
				"CongestionThreshold of zero: every block would be congested, nobody slashed"
			);
			// The worst `on_initialize`: every scheduled model due at once, each drawing the
			// slots of a full lottery, slashing a full round of silent committers or settling
			// a full round at its deadline; and `on_finalize`'s congestion count.
			let worst = T::WeightInfo::on_initialize_idle()
				.saturating_add(T::WeightInfo::note_block_usage())
				.saturating_add(
					T::WeightInfo::advance_round(T::MaxUpdatesPerRound::get())
						.max(Pallet::<T>::deadline_settlement_weight())
						.max(T::WeightInfo::draw_slots(T::MaxCommitsPerRound::get()))
						.saturating_mul(T::MaxActiveModels::get().into()),
				);
			assert!(
				worst.all_lte(T::BlockWeights::get().max_block),
				"MaxActiveModels rounds advancing in one block ({worst:?}) exceed the block weight"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Bonds `amount` (added to any existing bond) as the caller's trainer bond for `model`.
		///
		/// ## Origin
		///
		/// Signed by the trainer.
		///
		/// ## Effects
		///
		/// Holds `amount` of the caller's free balance under [`HoldReason::TrainerBond`] and
		/// adds it to the caller's bond for `model`, which must then be at least
		/// [`Config::MinTrainerBond`]. A bonded trainer may commit (or submit) updates to the
		/// model's rounds; a fault slashes [`Config::TrainerSlash`] of the bond.
		///
		/// ## Errors
		///
		/// - [`Error::ZeroBond`]: `amount` is zero;
		/// - [`Error::UnknownModel`]: no such model;
		/// - [`Error::ModelRetired`]: the model is retired;
		/// - [`Error::Unbonding`]: the caller's bond for `model` is unbonding;
		/// - [`Error::BondTooSmall`]: the bond would stay below [`Config::MinTrainerBond`];
		/// - [`Error::InsufficientBalance`]: the caller cannot hold `amount`.
		///
		/// ## Events
		///
		/// [`Event::TrainerBonded`] with the bond's new total.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::bond_trainer())]
		pub fn bond_trainer(
			origin: OriginFor<T>,
			model: ModelId,
			amount: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_bond_trainer(who, model, amount)
		}

		/// Starts unbonding the caller's trainer bond for `model`.
		///
		/// ## Origin
		///
		/// Signed by a trainer bonded for `model`.
		///
		/// ## Effects
		///
		/// Marks the bond withdrawable after [`Config::UnbondingDelay`] blocks. From now on the
		/// caller cannot commit or submit updates to `model`; a commitment already made must
		/// still be revealed, and the bond can still be slashed until it is withdrawn.
		///
		/// ## Errors
		///
		/// - [`Error::NotBonded`]: the caller has no bond for `model`;
		/// - [`Error::Unbonding`]: the bond is already unbonding.
		///
		/// ## Events
		///
		/// [`Event::TrainerUnbonding`] with the block from which the bond can be withdrawn.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::unbond_trainer())]
		pub fn unbond_trainer(origin: OriginFor<T>, model: ModelId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_unbond_trainer(who, model)
		}

		/// Releases the caller's unbonded trainer bond for `model`.
		///
		/// ## Origin
		///
		/// Signed by a trainer whose bond for `model` is unbonding.
		///
		/// ## Effects
		///
		/// Once [`Config::UnbondingDelay`] has passed, releases the held bond to the caller's
		/// free balance and removes the bond.
		///
		/// ## Errors
		///
		/// - [`Error::NotBonded`]: the caller has no bond for `model`;
		/// - [`Error::NotUnbonding`]: the bond is not unbonding (call `unbond_trainer` first);
		/// - [`Error::StillUnbonding`]: the unbonding delay has not passed yet;
		/// - [`Error::InOpenRound`]: the caller has an unrevealed commitment in the model's
		///   round in flight (it would escape the slash for not revealing).
		///
		/// ## Events
		///
		/// [`Event::TrainerWithdrawn`] with the amount released.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::withdraw_trainer_bond())]
		pub fn withdraw_trainer_bond(origin: OriginFor<T>, model: ModelId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_withdraw_trainer_bond(who, model)
		}

		/// Joins the FL-validator set with a bond of `amount`.
		///
		/// ## Origin
		///
		/// Signed by the validator (its account, not its session key).
		///
		/// ## Effects
		///
		/// Holds `amount` (at least [`Config::MinValidatorBond`]) under
		/// [`HoldReason::ValidatorBond`] and appends the caller to [`ActiveValidators`]. Rounds
		/// whose aggregation starts from now on include the caller in their validator snapshot,
		/// with its bond as stake. A report contradicting a finalized hash slashes
		/// [`Config::ValidatorSlash`] of the bond.
		///
		/// The set is ranked by bond, like staking's election: when it already has
		/// [`Config::MaxValidators`] members, `amount` must exceed the smallest bond in it, and
		/// that validator (the later-registered one among equal smallest bonds) is evicted — it
		/// leaves the set and unbonds as if it had called `unregister_validator`. So seats
		/// cannot be squatted at the minimum bond: taking ≥ 2/3 of the set's stake costs at
		/// least twice the stake of the honest validators that keep their seats, and evicting
		/// one costs more than its bond.
		///
		/// ## Errors
		///
		/// - [`Error::AlreadyValidator`]: the caller is a validator, or still unbonding from
		///   being one;
		/// - [`Error::BondTooSmall`]: `amount` is below [`Config::MinValidatorBond`];
		/// - [`Error::BondBelowSmallestSeat`]: the set is full and `amount` does not exceed its
		///   smallest bond;
		/// - [`Error::InsufficientBalance`]: the caller cannot hold `amount`.
		///
		/// ## Events
		///
		/// [`Event::ValidatorEvicted`] if the set was full, then
		/// [`Event::ValidatorRegistered`].
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::register_validator())]
		pub fn register_validator(origin: OriginFor<T>, amount: BalanceOf<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_register_validator(who, amount)
		}

		/// Leaves the FL-validator set; the bond unbonds over [`Config::UnbondingDelay`].
		///
		/// ## Origin
		///
		/// Signed by an active FL validator.
		///
		/// ## Effects
		///
		/// Removes the caller from [`ActiveValidators`] and marks its bond withdrawable after
		/// the delay. Rounds whose snapshot already includes the caller still accept its
		/// report, and the bond can still be slashed until it is withdrawn.
		///
		/// ## Errors
		///
		/// - [`Error::NotValidator`]: the caller has no validator bond;
		/// - [`Error::Unbonding`]: the caller is already unbonding.
		///
		/// ## Events
		///
		/// [`Event::ValidatorUnbonding`] with the block from which the bond can be withdrawn.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::unregister_validator())]
		pub fn unregister_validator(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_unregister_validator(who)
		}

		/// Releases the caller's unbonded validator bond.
		///
		/// ## Origin
		///
		/// Signed by a validator that unregistered.
		///
		/// ## Effects
		///
		/// Once [`Config::UnbondingDelay`] has passed, releases the held bond to the caller's
		/// free balance and removes it; the caller may register again afterwards.
		///
		/// ## Errors
		///
		/// - [`Error::NotValidator`]: the caller has no validator bond;
		/// - [`Error::NotUnbonding`]: the caller is still active (call `unregister_validator`
		///   first);
		/// - [`Error::StillUnbonding`]: the unbonding delay has not passed yet;
		/// - [`Error::InOpenRound`]: the caller sits in the validator snapshot of a round still
		///   aggregating (it would escape the slash for a contradicting report).
		///
		/// ## Events
		///
		/// [`Event::ValidatorWithdrawn`] with the amount released.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::withdraw_validator_bond())]
		pub fn withdraw_validator_bond(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_withdraw_validator_bond(who)
		}

		/// Commits to an update for the current round of `model`:
		/// `commitment = sha3_256(payload ‖ salt ‖ account)`.
		///
		/// In buffered mode the commitment binds the caller's next [`Pallet::submit_update`]
		/// to the round's buffer (see "Buffered mode" below).
		///
		/// ## Origin
		///
		/// Signed by a trainer bonded for `model` (at least [`Config::MinTrainerBond`], not
		/// unbonding).
		///
		/// ## Effects
		///
		/// Records the commitment for `round`, which must be `model`'s current round and in its
		/// commit phase (from the block after the one that opened it), and holds the round's
		/// deposit ([`Pallet::commit_deposit`]) from the caller's free balance. If more
		/// trainers commit than the round has slots, [`Config::MaxUpdatesPerRound`] of the
		/// commitments are drawn at the commit deadline; the others are returned with their
		/// deposits, unslashed. A drawn caller must reveal a matching update in the reveal
		/// phase, or [`Config::TrainerSlash`] of its bond is slashed and its deposit forfeited
		/// at the reveal deadline ([`Fault::NotRevealed`]), unless the window was congested
		/// (see `congestion.rs`) or the owner paused the model.
		///
		/// ### Buffered mode
		///
		/// The round must be a buffer still taking updates (from the block after the one that
		/// opened it). No deposit is held: a buffered commitment claims no slot, the buffer
		/// takes updates in the order they are submitted. It lets the caller submit the
		/// committed update with [`Pallet::submit_update`] from the next block on, which
		/// consumes it. The same bound and eviction by bond apply to the commitments not yet
		/// consumed.
		///
		/// Dispatched in the operational class: it has pool priority over ordinary
		/// transactions and the block space they cannot take.
		///
		/// ## Errors
		///
		/// - [`Error::UnknownRound`]: `round` is not `model`'s current round;
		/// - [`Error::WrongPhase`]: the round is not in its commit phase (buffered mode: not
		///   a buffer still taking updates);
		/// - [`Error::ModelRetired`]: the model was retired (its round is abandoned);
		/// - [`Error::NotBonded`], [`Error::Unbonding`], [`Error::BondTooSmall`]: the caller
		///   has no usable bond for `model`;
		/// - [`Error::RoundJustOpened`]: the round opened in this block;
		/// - [`Error::AlreadyCommitted`]: the caller already committed in this round;
		/// - [`Error::RoundFull`]: the round has [`Config::MaxCommitsPerRound`] commitments and
		///   the caller's bond does not exceed the smallest committer's (a larger bond takes
		///   that committer's place: [`Event::CommitmentEvicted`]);
		/// - [`Error::InsufficientBalance`]: the caller cannot hold the deposit.
		///
		/// ## Events
		///
		/// [`Event::UpdateCommitted`].
		#[pallet::call_index(6)]
		#[pallet::weight((T::WeightInfo::commit_update(), DispatchClass::Operational))]
		pub fn commit_update(
			origin: OriginFor<T>,
			model: ModelId,
			round: RoundIndex,
			commitment: Digest,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_commit_update(who, model, round, commitment)
		}

		/// Reveals the update committed to in this round (synchronous mode).
		///
		/// `payload` is the update in the canonical tensor codec, `salt` the one committed to.
		/// `num_samples` is the number of local training samples the trainer declares; it
		/// weights sample-weighted rules (FedAvg) and cannot be verified on chain.
		///
		/// ## Origin
		///
		/// Signed by a trainer that committed in `round`.
		///
		/// ## Effects
		///
		/// Checks the payload against the commitment, the codec, the model's parameter count
		/// and the payloads already revealed in the round, then records its hash, block,
		/// extrinsic index, `num_samples` and the round's base version, and appends the caller
		/// to [`UpdateOrder`], and returns the commitment's deposit. The payload itself stays
		/// in the block body. A refused reveal changes nothing: the commitment stays
		/// unrevealed (and is slashed at the deadline unless a valid reveal follows).
		///
		/// ## Errors
		///
		/// - [`Error::UnknownRound`]: `round` is not `model`'s current round;
		/// - [`Error::WrongPhase`]: the round is not in its reveal phase;
		/// - [`Error::ModelRetired`]: the model was retired (its round is abandoned);
		/// - [`Error::NotCommitted`]: the caller did not commit in this round;
		/// - [`Error::AlreadyRevealed`]: the caller already revealed;
		/// - [`Error::CommitmentMismatch`]: `sha3_256(payload ‖ salt ‖ account)` differs from
		///   the commitment;
		/// - [`Error::ZeroSamples`]: `num_samples` is zero;
		/// - [`Error::TooManySamples`]: `num_samples` is above the model's `max_samples`;
		/// - [`Error::MalformedPayload`]: not canonical codec bytes (or NaN/Inf values);
		/// - [`Error::ShapeMismatch`]: the payload's parameter count is not the model's;
		/// - [`Error::ValueOutOfBounds`], [`Error::NormOutOfBounds`]: a coordinate or the L2
		///   norm is above the model's `update_bounds` (the round's configuration snapshot);
		/// - [`Error::DuplicatePayload`]: the same payload was already revealed in the round;
		/// - [`Error::ReplayedPayload`]: the same payload was revealed in one of the last
		///   [`Config::ReplayWindow`] rounds;
		/// - [`Error::RoundFull`]: the round already holds [`Config::MaxUpdatesPerRound`]
		///   updates.
		///
		/// ## Events
		///
		/// [`Event::UpdateRevealed`] with the update's index in reveal order.
		#[pallet::call_index(7)]
		#[pallet::weight((
			T::WeightInfo::reveal_update(payload.len() as u32),
			DispatchClass::Operational,
		))]
		pub fn reveal_update(
			origin: OriginFor<T>,
			model: ModelId,
			round: RoundIndex,
			payload: PayloadOf<T>,
			salt: [u8; 32],
			num_samples: u32,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_reveal_update(who, model, round, payload, salt, num_samples)
		}

		/// Submits an update computed against `base_version` (buffered asynchronous mode).
		///
		/// `payload`, `salt` and `num_samples` are as for [`Pallet::reveal_update`]: the
		/// payload must match the caller's commitment in this round, made in an earlier block.
		/// A copier who reads the payload in the pool can commit to it only from then on, and
		/// its copy would come after the original: it is refused as a duplicate.
		///
		/// ## Origin
		///
		/// Signed by a trainer bonded for `model` (at least [`Config::MinTrainerBond`], not
		/// unbonding) that committed in `round` ([`Pallet::commit_update`]).
		///
		/// ## Effects
		///
		/// Checks the payload against the commitment and like a reveal, and that
		/// `base_version` is not newer than the round's base version nor more than the
		/// schedule's `max_staleness` versions older, then records it like a reveal and
		/// consumes the commitment. The update that fills the buffer (`buffer_size` updates)
		/// closes it: the validator set is snapshot and aggregation starts.
		///
		/// ## Errors
		///
		/// - [`Error::UnknownRound`]: `round` is not `model`'s current round;
		/// - [`Error::WrongPhase`]: the round is not a buffer still taking updates;
		/// - [`Error::RoundJustOpened`]: the buffer opened in this block;
		/// - [`Error::ModelRetired`]: the model was retired (its round is abandoned);
		/// - [`Error::NotBonded`], [`Error::Unbonding`], [`Error::BondTooSmall`]: the caller
		///   has no usable bond for `model`;
		/// - [`Error::AlreadyRevealed`]: the caller already submitted to this round;
		/// - [`Error::NotCommitted`]: the caller has no commitment in this round;
		/// - [`Error::CommittedThisBlock`]: the commitment was made in this block;
		/// - [`Error::CommitmentMismatch`]: `sha3_256(payload ‖ salt ‖ account)` differs from
		///   the commitment;
		/// - [`Error::RoundFull`]: the round holds [`Config::MaxUpdatesPerRound`] updates;
		/// - [`Error::FutureVersion`]: `base_version` is newer than the model's version;
		/// - [`Error::TooStale`]: `base_version` is more than `max_staleness` versions old;
		/// - [`Error::ZeroSamples`], [`Error::TooManySamples`], [`Error::MalformedPayload`],
		///   [`Error::ShapeMismatch`], [`Error::ValueOutOfBounds`], [`Error::NormOutOfBounds`],
		///   [`Error::DuplicatePayload`], [`Error::ReplayedPayload`]: as for
		///   [`Pallet::reveal_update`].
		///
		/// ## Events
		///
		/// [`Event::UpdateRevealed`], then [`Event::AggregationStarted`] if the update filled
		/// the buffer.
		#[pallet::call_index(8)]
		#[pallet::weight((
			T::WeightInfo::submit_update(payload.len() as u32),
			DispatchClass::Operational,
		))]
		pub fn submit_update(
			origin: OriginFor<T>,
			model: ModelId,
			round: RoundIndex,
			base_version: VersionIndex,
			payload: PayloadOf<T>,
			salt: [u8; 32],
			num_samples: u32,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_submit_update(who, model, round, base_version, payload, salt, num_samples)
		}

		/// Commits to the report a validator computed for a round in its aggregate phase,
		/// without revealing it.
		///
		/// `updates_root` is the root of the update set the validator aggregated
		/// ([`UpdateSetRoot`]), in the clear: everyone knows the round's root, and a report
		/// computed over another set (on a fork that lost) is refused here, where the validator
		/// can still recompute and commit again. `commitment` is
		/// [`fedledger_primitives::round::report_commitment`]:
		/// `sha3_256(SCALE(model_hash, accepted, scores) ‖ salt ‖ account)`.
		///
		/// ## Origin
		///
		/// Signed by a validator in the round's snapshot ([`RoundValidators`]), taken when
		/// the round's aggregation started, and still bonded.
		///
		/// ## Effects
		///
		/// Records the commitment ([`ReportCommitments`]). When every snapshot validator has
		/// committed, the report-reveal window opens at once (for the round's aggregate
		/// window's length); otherwise it opens at the aggregate deadline. Only a committed
		/// report can be revealed, so nobody can copy a report it read in the pool.
		///
		/// ## Errors
		///
		/// - [`Error::UnknownRound`]: no such round;
		/// - [`Error::WrongPhase`]: the round is not in its aggregate phase;
		/// - [`Error::NotRoundValidator`]: the caller is not in the round's snapshot;
		/// - [`Error::NotValidator`]: the caller withdrew its bond since the snapshot (it can no
		///   longer be slashed, so it may not vote);
		/// - [`Error::ReportAlreadyCommitted`]: the caller already committed in this round;
		/// - [`Error::WrongUpdateSet`]: `updates_root` is not the round's update-set root: the
		///   report was computed over other updates (e.g. on a fork); refused, not slashed.
		///
		/// ## Events
		///
		/// [`Event::ReportCommitted`]; [`Event::ReportRevealStarted`] when it completes the
		/// snapshot.
		#[pallet::call_index(11)]
		#[pallet::weight((T::WeightInfo::commit_report(), DispatchClass::Operational))]
		pub fn commit_report(
			origin: OriginFor<T>,
			model: ModelId,
			round: RoundIndex,
			updates_root: Digest,
			commitment: Digest,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_commit_report(who, model, round, updates_root, commitment)
		}

		/// Reveals the report a validator committed to with [`Pallet::commit_report`], in the
		/// round's report-reveal window.
		///
		/// `model_hash` is the sha3-256 of the new global weights; `accepted` are the indices
		/// (reveal order) the robust rule accepted, increasing; `scores` holds one attribution
		/// score per update, parts per billion; `salt` is the commitment's.
		///
		/// ## Origin
		///
		/// Signed by a validator of the round's snapshot that committed to a report in it.
		///
		/// ## Effects
		///
		/// Records the report with the caller's snapshot stake and adds the stake to
		/// `model_hash`'s backing. Reports are settled together, at the report-reveal deadline
		/// (in `on_initialize`) or by the reveal of the last committed report: if one hash has
		/// two thirds of the snapshot stake, the registry appends the new version, validators
		/// that reported another hash are slashed [`Config::ValidatorSlash`] of their bond,
		/// each update accepted by a stake majority of the matching reports is scored by the
		/// stake-weighted median of their scores, the round's reward is paid out as pending
		/// rewards, and the next round is scheduled for the next block; otherwise the round
		/// fails without quorum. Snapshot validators that did not report (including those that
		/// committed and did not reveal) are recorded as absent ([`MissedReports`]). The actual
		/// weight is refunded when the report does not settle the round.
		///
		/// ## Errors
		///
		/// - [`Error::UnknownRound`]: no such round;
		/// - [`Error::WrongPhase`]: the round is not in its report-reveal window (it settled,
		///   or still takes report commitments);
		/// - [`Error::NotRoundValidator`]: the caller is not in the round's snapshot;
		/// - [`Error::NotValidator`]: the caller withdrew its bond since the snapshot;
		/// - [`Error::AlreadyReported`]: the caller already reported for this round;
		/// - [`Error::ReportNotCommitted`]: the caller did not commit to a report;
		/// - [`Error::ReportCommitmentMismatch`]: the report and salt are not what it committed
		///   to;
		/// - [`Error::ScoresLengthMismatch`]: `scores` does not have one entry per update;
		/// - [`Error::ScoreOutOfRange`]: a score is above 1 000 000 000 (100 %);
		/// - [`Error::InvalidAcceptedSet`]: `accepted` is not strictly increasing indices of
		///   the round's updates.
		///
		/// ## Events
		///
		/// [`Event::AggregateReported`]; when it is the last committed report, the
		/// settlement's: [`Event::ValidatorSlashed`] for each contradicting report,
		/// [`Event::ReportMissed`] for each absent validator, the rewards pallet's payout
		/// events and [`Event::RoundFinalized`], or [`Event::RoundFailed`] (no quorum, or the
		/// model was retired meanwhile).
		#[pallet::call_index(9)]
		#[pallet::weight((Pallet::<T>::report_aggregate_worst_case(), DispatchClass::Operational))]
		pub fn report_aggregate(
			origin: OriginFor<T>,
			model: ModelId,
			round: RoundIndex,
			model_hash: Digest,
			accepted: BoundedVec<u32, T::MaxUpdatesPerRound>,
			scores: BoundedVec<u32, T::MaxUpdatesPerRound>,
			salt: [u8; 32],
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let report = reports::ReportInput {
				model_hash,
				accepted,
				scores,
				salt,
			};
			Self::do_report_aggregate(who, model, round, report)
		}

		/// Adds `amount` to the caller's validator bond (and so to its stake in rounds whose
		/// aggregation starts from now on), for instance to keep its seat in a full, ranked set.
		///
		/// ## Origin
		///
		/// Signed by an active FL validator.
		///
		/// ## Effects
		///
		/// Holds `amount` more under [`HoldReason::ValidatorBond`] and adds it to the bond.
		///
		/// ## Errors
		///
		/// - [`Error::ZeroBond`]: `amount` is zero;
		/// - [`Error::NotValidator`]: the caller has no validator bond;
		/// - [`Error::Unbonding`]: the caller is unbonding (or was evicted);
		/// - [`Error::InsufficientBalance`]: the caller cannot hold `amount`.
		///
		/// ## Events
		///
		/// [`Event::ValidatorBonded`] with the bond's new total.
		#[pallet::call_index(10)]
		#[pallet::weight(T::WeightInfo::bond_validator_extra())]
		pub fn bond_validator_extra(origin: OriginFor<T>, amount: BalanceOf<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_bond_validator_extra(who, amount)
		}
	}
}
