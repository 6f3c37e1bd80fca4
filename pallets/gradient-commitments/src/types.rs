//! Storage types of the gradient-commitments pallet.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use fedledger_primitives::{model::TrainingConfig, Digest, VersionIndex};
use frame_support::{traits::Get, BoundedVec};
use scale_info::TypeInfo;

pub use fedledger_primitives::round::{FailReason, RoundPhase};

/// A provable fault, punished by slashing part of a bond.
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
pub enum Fault {
	/// The trainer committed but did not reveal a valid update by the deadline. A reveal that
	/// does not match its commitment, a malformed payload and a copied payload are all
	/// refused at reveal time, so they end here.
	NotRevealed,
	/// The validator reported a model hash other than the one the round finalized with.
	ContradictingReport,
}

/// One training round of one model.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct RoundInfo<Balance, BlockNumber> {
	/// The model version the round trains from.
	pub base_version: VersionIndex,
	/// Its hash.
	pub base_hash: Digest,
	/// The model's configuration when the round opened (later changes apply to later rounds).
	pub config: TrainingConfig<Balance>,
	/// Parameter count every update must have.
	pub parameter_count: u32,
	/// Block the round opened in.
	pub opened_at: BlockNumber,
	/// Current phase.
	pub phase: RoundPhase,
	/// First block in which the current phase is over (`on_initialize` moves it on).
	pub phase_ends_at: BlockNumber,
	/// Commitments received.
	pub commits: u32,
	/// Updates revealed or submitted.
	pub updates: u32,
	/// Stake of the validators that may report (snapshot when aggregation starts).
	pub validator_stake: Balance,
	/// Randomness fixed when the round stopped taking updates (zero before): derived from the
	/// hash of the last block of the reveal (or buffer) window, which no reveal can choose.
	/// Validators seed the bucketing permutation with it.
	pub aggregation_seed: Digest,
	/// The finalized model hash.
	pub finalized_hash: Option<Digest>,
}

/// A trainer's commitment to its update of a round: `sha3_256(payload ‖ salt ‖ account)`
/// and the block it was made in. In buffered mode the submission must come in a later block
/// than its commitment (see `updates.rs`), so the block is kept.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Commitment<BlockNumber> {
	/// The committed digest.
	pub digest: Digest,
	/// Block the commitment was made in.
	pub at: BlockNumber,
}

/// A revealed (or, in buffered mode, submitted) update. The payload itself is in the block
/// body of `block`, as argument of extrinsic `extrinsic_index`.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct UpdateRecord<BlockNumber> {
	/// sha3-256 of the payload's canonical bytes.
	pub payload_hash: Digest,
	/// Block that carries the payload.
	pub block: BlockNumber,
	/// Index of the extrinsic in that block.
	pub extrinsic_index: u32,
	/// Training samples the trainer declares (weights sample-weighted rules; self-declared).
	pub num_samples: u32,
	/// Version the update was computed against.
	pub base_version: VersionIndex,
}

/// A validator's report for a round.
#[derive(Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo)]
#[scale_info(skip_type_params(MaxUpdates))]
#[codec(mel_bound(Balance: MaxEncodedLen, BlockNumber: MaxEncodedLen))]
pub struct Report<Balance, BlockNumber, MaxUpdates: Get<u32>> {
	/// sha3-256 of the new global weights the validator computed.
	pub model_hash: Digest,
	/// Indices (in reveal order) of the updates the robust rule accepted, increasing.
	pub accepted: BoundedVec<u32, MaxUpdates>,
	/// Attribution score of every update in reveal order, parts per billion.
	pub scores: BoundedVec<u32, MaxUpdates>,
	/// The validator's stake in the round's snapshot.
	pub stake: Balance,
	/// Block of the report.
	pub block: BlockNumber,
}

impl<B: Clone, N: Clone, M: Get<u32>> Clone for Report<B, N, M> {
	fn clone(&self) -> Self {
		Self {
			model_hash: self.model_hash,
			accepted: self.accepted.clone(),
			scores: self.scores.clone(),
			stake: self.stake.clone(),
			block: self.block.clone(),
		}
	}
}

impl<B: PartialEq, N: PartialEq, M: Get<u32>> PartialEq for Report<B, N, M> {
	fn eq(&self, other: &Self) -> bool {
		self.model_hash == other.model_hash
			&& self.accepted == other.accepted
			&& self.scores == other.scores
			&& self.stake == other.stake
			&& self.block == other.block
	}
}

impl<B: core::fmt::Debug, N: core::fmt::Debug, M: Get<u32>> core::fmt::Debug for Report<B, N, M> {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		f.debug_struct("Report")
			.field("model_hash", &self.model_hash)
			.field("accepted", &self.accepted)
			.field("scores", &self.scores)
			.field("stake", &self.stake)
			.field("block", &self.block)
			.finish()
	}
}

/// A bond held from a trainer (per model) or a validator.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Bond<Balance, BlockNumber> {
	/// Amount held.
	pub amount: Balance,
	/// Once unbonding: the block from which the bond can be withdrawn.
	pub unbonding_at: Option<BlockNumber>,
}
