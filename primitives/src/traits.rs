//! The small interfaces through which the three fedledger pallets talk to each other.
//!
//! Each pallet names what it needs as an associated type bound by one of these traits; the
//! runtime wires the implementing pallet in. No pallet reads another pallet's storage.

use crate::{
	model::{Schedule, TrainingConfig},
	Digest, ModelId, RoundIndex, VersionIndex,
};
use alloc::vec::Vec;

/// Lifecycle status of a model.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	codec::Encode,
	codec::Decode,
	codec::DecodeWithMemTracking,
	codec::MaxEncodedLen,
	scale_info::TypeInfo,
)]
pub enum ModelStatus {
	/// Rounds open and close by the schedule.
	Active,
	/// The round in flight finishes; no new round opens until resumed.
	Paused,
	/// Permanently closed; the version chain stays readable.
	Retired,
}

/// What the round and reward logic needs to know about a model.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ModelView<AccountId, Balance> {
	/// Who registered the model and earns the owner share.
	pub owner: AccountId,
	/// Lifecycle status.
	pub status: ModelStatus,
	/// The current training configuration (a round snapshots it when it opens).
	pub config: TrainingConfig<Balance>,
	/// Number of parameters of the network.
	pub parameter_count: u32,
	/// Index of the current global version.
	pub version: VersionIndex,
	/// sha3-256 of the current global weights (canonical codec bytes).
	pub version_hash: Digest,
}

/// Read access to registered models and the one write the round logic makes: appending a
/// finalized version to the version chain. Implemented by the model registry.
pub trait ModelProvider<AccountId, Balance> {
	/// The model, if registered.
	fn model(model: ModelId) -> Option<ModelView<AccountId, Balance>>;

	/// Appends `new_hash` as the version that round `round` produced; returns its index, or
	/// `None` if the model is unknown or retired.
	fn append_version(model: ModelId, round: RoundIndex, new_hash: Digest) -> Option<VersionIndex>;
}

/// Why the round scheduler refuses a model's schedule or its activation.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ScheduleError {
	/// A commit, aggregate or buffer window is shorter than the protocol minimum: a worker
	/// sees a phase only once it has imported the block that opened it.
	PhaseTooShort,
	/// A window is longer than the runtime's bound on a phase.
	PhaseTooLong,
	/// The reveal (or buffer) window cannot carry the round's updates at this model's payload
	/// size at the runtime's normal block length and weight, plus one block of latency.
	WindowTooShortForPayload,
	/// `min_updates` or `buffer_size` exceeds the round's update slots.
	MoreUpdatesThanSlots,
	/// Every agenda slot is taken by a model with rounds in flight.
	AgendaFull,
}

/// The round protocol's side of a model's lifecycle: whether a schedule can be met on this
/// chain, and scheduling (or unscheduling) a model's rounds. Implemented by the
/// gradient-commitments pallet.
pub trait RoundScheduler {
	/// Checks that `schedule` can run for a model of `parameter_count` parameters.
	fn check_schedule(schedule: &Schedule, parameter_count: u32) -> Result<(), ScheduleError>;

	/// `model` was registered or resumed: schedule its next round, or fail with
	/// [`ScheduleError::AgendaFull`] (the caller's call then fails and changes nothing).
	fn on_model_activated(model: ModelId) -> Result<(), ScheduleError>;

	/// `model` was retired: free its agenda slot; its round in flight is abandoned (nobody is
	/// slashed or paid for a round its owner ended).
	fn on_model_retired(model: ModelId);

	/// `model` was paused: its round in flight runs to its end, but if it still takes updates
	/// nobody is slashed for not revealing in it (the owner interrupted it, not the trainers).
	fn on_model_paused(model: ModelId);
}

impl RoundScheduler for () {
	fn check_schedule(_: &Schedule, _: u32) -> Result<(), ScheduleError> {
		Ok(())
	}
	fn on_model_activated(_: ModelId) -> Result<(), ScheduleError> {
		Ok(())
	}
	fn on_model_retired(_: ModelId) {}
	fn on_model_paused(_: ModelId) {}
}

/// One trainer's scores for a finalized round: every matching validator report's score
/// (parts per billion) with the reporting validator's stake.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct TrainerScores<AccountId, Balance> {
	/// The trainer.
	pub trainer: AccountId,
	/// `(score in parts per billion, validator stake)` per report; empty or all-zero scores
	/// earn nothing.
	pub scores: Vec<(u32, Balance)>,
}

/// The reward side of a finalized round. Implemented by the contribution-rewards pallet.
pub trait RoundRewards<AccountId, Balance> {
	/// The account that holds every model's pool and all pending rewards.
	fn pot() -> AccountId;

	/// Releases `model`'s round reward from its pool and credits it, split by `config`'s shares,
	/// to the owner, to `validators` (by stake) and to trainers (by the stake-weighted median of
	/// their scores). Returns the amount released.
	fn reward_round(
		model: ModelId,
		round: RoundIndex,
		owner: &AccountId,
		config: &TrainingConfig<Balance>,
		validators: &[(AccountId, Balance)],
		trainers: &[TrainerScores<AccountId, Balance>],
	) -> Balance;
}

/// Creates models for the benchmarks of pallets that need one (the registry itself is not
/// reachable through [`ModelProvider`]). Implemented by the runtime on top of the registry;
/// used only when benchmarking.
pub trait BenchmarkModels<AccountId, Balance> {
	/// Registers a model owned by `owner` (already funded for the deposit) with `config`.
	fn create_model(owner: AccountId, config: TrainingConfig<Balance>) -> ModelId;

	/// `funder` (already funded) pays `amount` into `model`'s reward pool.
	fn fund_pool(model: ModelId, funder: AccountId, amount: Balance);

	/// `owner` retires its `model`.
	fn retire_model(owner: AccountId, model: ModelId);
}
