//! Storage types of the model registry.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use fedledger_primitives::{
	model::{RewardSplit, TrainingConfig},
	traits::ModelStatus,
	Digest, RoundIndex, VersionIndex,
};
use scale_info::TypeInfo;

/// A registered model.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct ModelInfo<AccountId, Balance, BlockNumber> {
	/// Who registered the model: may pause, resume, retire and reconfigure it; earns the owner
	/// share of each round's reward.
	pub owner: AccountId,
	/// Lifecycle status.
	pub status: ModelStatus,
	/// Training configuration; a round snapshots it when it opens, so an update applies from
	/// the next round on.
	pub config: TrainingConfig<Balance>,
	/// Parameter count of the architecture (fixed for the model's life).
	pub parameter_count: u32,
	/// sha3-256 of the validation set scorers evaluate on, if the owner published one.
	pub validation_set_hash: Option<Digest>,
	/// Deposit held from the owner while the model is not retired.
	pub deposit: Balance,
	/// Block of registration.
	pub registered_at: BlockNumber,
	/// Index of the current global version (0 = the initial weights).
	pub version: VersionIndex,
	/// sha3-256 of the current global weights.
	pub version_hash: Digest,
}

/// One link of a model's version chain.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct VersionRecord<BlockNumber> {
	/// sha3-256 of this version's weights (canonical codec bytes).
	pub hash: Digest,
	/// Hash of the version it was trained from; `None` for version 0, the initial weights.
	pub parent: Option<Digest>,
	/// The round that produced it; `None` for version 0.
	pub round: Option<RoundIndex>,
	/// Block in which the version was recorded.
	pub block: BlockNumber,
}

/// Reward terms an owner set with `update_config`, waiting out [`crate::Config::RewardTermsDelay`]
/// before rounds use them.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct PendingRewardTerms<Balance, BlockNumber> {
	/// The new `reward_per_round`.
	pub reward_per_round: Balance,
	/// The new `reward_split`.
	pub reward_split: RewardSplit,
	/// First block whose rounds open with the new terms.
	pub effective_at: BlockNumber,
}
