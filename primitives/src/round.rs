//! The life of a training round, as the round pallet stores it and the native worker reads it.
//!
//! Defined here, once, so the pallet, the runtime API, the worker and dApps (through the
//! metadata) share one name and one set of variants.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// Where a round is in its life.
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
pub enum RoundPhase {
	/// Synchronous mode: bonded trainers commit to their update.
	Commit,
	/// Synchronous mode: trainers reveal the update they committed to.
	Reveal,
	/// Buffered asynchronous mode: trainers submit updates against a recent version.
	Buffer,
	/// Validators report the aggregate they computed.
	Aggregate,
	/// Validators holding ≥ 2/3 of the round's validator stake reported the same model hash.
	Finalized,
	/// The round closed without a new version.
	Failed,
}

impl RoundPhase {
	/// Whether the round is over (finalized or failed).
	pub fn is_closed(self) -> bool {
		matches!(self, RoundPhase::Finalized | RoundPhase::Failed)
	}
}

/// Why a round failed.
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
pub enum FailReason {
	/// Fewer updates than the schedule's minimum arrived.
	TooFewUpdates,
	/// No model hash reached the stake quorum before the aggregate deadline.
	NoQuorum,
	/// The model was retired before the round could be recorded.
	ModelRetired,
}
