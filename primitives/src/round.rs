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
	/// Validators compute the aggregate and commit to their report of it
	/// (`commit_report`); nobody's report is readable yet.
	Aggregate,
	/// Validators holding ≥ 2/3 of the round's validator stake reported the same model hash.
	Finalized,
	/// The round closed without a new version.
	Failed,
	/// Validators that committed reveal their reports (`report_aggregate`); the round settles
	/// at the end of this window, or once every committed report is revealed. (Last, so that
	/// the earlier variants keep their encoding.)
	ReportReveal,
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

/// The root of a round's update set before any update: what [`extend_update_root`] starts
/// from.
pub const EMPTY_UPDATE_ROOT: crate::Digest = [0u8; 32];

/// The update-set root after one more update: `sha3_256(root ‖ payload_hash)`. The round
/// pallet extends it as updates are recorded, in reveal order; a validator's report carries
/// the root of the set it aggregated, so a report computed on a fork (another set of updates)
/// is refused instead of being counted, or slashed, as a contradiction.
pub fn extend_update_root(root: &crate::Digest, payload_hash: &crate::Digest) -> crate::Digest {
	let mut buf = [0u8; 64];
	buf[..32].copy_from_slice(root);
	buf[32..].copy_from_slice(payload_hash);
	crate::tensor_codec::sha3_256(&buf)
}

/// The root of the update set whose payload hashes are `hashes`, in reveal order.
pub fn update_set_root<'a>(hashes: impl IntoIterator<Item = &'a crate::Digest>) -> crate::Digest {
	hashes
		.into_iter()
		.fold(EMPTY_UPDATE_ROOT, |root, h| extend_update_root(&root, h))
}

/// A validator's commitment to its report of a round:
/// `sha3_256(SCALE(model_hash, accepted, scores) ‖ salt ‖ account)`.
///
/// Validators commit to their reports before anyone reveals one, so a validator that did not
/// aggregate cannot copy another's report out of the pool; the account makes a copied
/// commitment useless too. `accepted` and `scores` encode as the pallet's bounded vectors do
/// (a compact length, then the `u32`s). The update-set root is not in it: the commitment
/// carries the root in the clear, and the pallet checks it there.
pub fn report_commitment(
	model_hash: &crate::Digest,
	accepted: &[u32],
	scores: &[u32],
	salt: &[u8; 32],
	account: &[u8],
) -> crate::Digest {
	let report = (model_hash, accepted, scores).encode();
	crate::tensor_codec::commitment(&report, salt, account)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_report_commitment_binds_every_field_and_the_account() {
		let (hash, salt) = ([7u8; 32], [1u8; 32]);
		let base = report_commitment(&hash, &[0, 1], &[5, 6], &salt, &[9u8; 32]);
		assert_ne!(
			base,
			report_commitment(&[8u8; 32], &[0, 1], &[5, 6], &salt, &[9u8; 32])
		);
		assert_ne!(
			base,
			report_commitment(&hash, &[0], &[5, 6], &salt, &[9u8; 32])
		);
		assert_ne!(
			base,
			report_commitment(&hash, &[0, 1], &[6, 5], &salt, &[9u8; 32])
		);
		assert_ne!(
			base,
			report_commitment(&hash, &[0, 1], &[5, 6], &[2u8; 32], &[9u8; 32])
		);
		assert_ne!(
			base,
			report_commitment(&hash, &[0, 1], &[5, 6], &salt, &[8u8; 32])
		);
		// Moving a value between the two lists changes the bytes hashed (length prefixes).
		assert_ne!(
			report_commitment(&hash, &[0, 1], &[5], &salt, &[9u8; 32]),
			report_commitment(&hash, &[0], &[1, 5], &salt, &[9u8; 32])
		);
	}

	#[test]
	fn the_update_root_commits_to_the_set_and_its_order() {
		let (a, b) = ([1u8; 32], [2u8; 32]);
		assert_eq!(update_set_root([]), EMPTY_UPDATE_ROOT);
		assert_eq!(
			update_set_root([&a, &b]),
			extend_update_root(&extend_update_root(&EMPTY_UPDATE_ROOT, &a), &b)
		);
		assert_ne!(update_set_root([&a, &b]), update_set_root([&b, &a]));
		assert_ne!(update_set_root([&a]), update_set_root([&a, &b]));
	}
}
