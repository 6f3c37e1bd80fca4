//! Congestion: whether a reveal window's blocks could carry its reveals.
//!
//! A committer that does not reveal is slashed, so an attacker that fills the blocks of a
//! reveal window would turn honest commitments into slashes. Three things stand against
//! that. FL calls are dispatched in the operational class, so ordinary transactions cannot
//! take the block space and pool priority they need (the runtime); fees rise under sustained
//! full blocks (the runtime's targeted fee adjustment); and, here, a reveal window whose
//! blocks were congested slashes nobody.
//!
//! A block is **congested** when what it spent on anything but recorded updates (reveals and
//! buffered submissions, noted by [`Pallet::note_update_usage`]) reaches
//! [`Config::CongestionThreshold`] of the block's weight or length: ordinary transactions,
//! failed FL calls, other pallets' hooks. `on_finalize` counts such blocks in
//! [`CongestedBlocks`]; a round records the count when its reveal window opens
//! ([`RevealCongestion`]), so the window's congested blocks are the difference at its end.
//!
//! The window's **slack** is its length minus the blocks its drawn commitments' reveals need
//! at the normal class's capacity ([`Pallet::blocks_to_carry`], which `check_schedule` made
//! sure fit the window). More congested blocks than that, and a missing reveal may be the
//! congestion's doing: committers that did not reveal are excused — not slashed, deposits
//! returned ([`Event::RevealsExcused`]).
//!
//! A committer could buy its own excuse by congesting more than the slack's blocks itself;
//! that costs it the fees of that many blocks filled past the threshold, at the multiplier
//! the fee adjustment raises block after block, against a slash and deposit it saves.

use crate::{pallet::*, tensor_codec, RoundInfoOf};
use fedledger_primitives::{model::Schedule, ModelId, RoundIndex};
use frame_support::{dispatch::DispatchClass, pallet_prelude::*};

impl<T: Config> Pallet<T> {
	/// Notes that the current block spent `weight` and `bytes` on a recorded update.
	pub(crate) fn note_update_usage(weight: Weight, bytes: u32) {
		BlockUpdateUsage::<T>::mutate(|(w, b)| {
			w.saturating_accrue(weight);
			*b = b.saturating_add(bytes);
		});
	}

	/// `on_finalize`: counts the block in [`CongestedBlocks`] if it is congested.
	pub(crate) fn note_block_usage() {
		let (update_weight, update_bytes) = BlockUpdateUsage::<T>::take();
		if Self::is_congested(update_weight, update_bytes) {
			CongestedBlocks::<T>::mutate(|count| *count = count.saturating_add(1));
		}
	}

	/// Whether the current block, less `update_weight` and `update_bytes` spent on recorded
	/// updates, used [`Config::CongestionThreshold`] of its weight or length.
	fn is_congested(update_weight: Weight, update_bytes: u32) -> bool {
		let threshold = T::CongestionThreshold::get();
		let used = frame_system::Pallet::<T>::block_weight()
			.total()
			.saturating_sub(update_weight);
		let max = <T as frame_system::Config>::BlockWeights::get().max_block;
		let length = frame_system::Pallet::<T>::block_size().saturating_sub(update_bytes);
		// The operational class's length limit is the whole block's.
		let max_length = *<T as frame_system::Config>::BlockLength::get()
			.max
			.get(DispatchClass::Operational);
		used.ref_time() >= threshold * max.ref_time()
			|| used.proof_size() >= threshold * max.proof_size()
			|| length >= threshold * max_length
	}

	/// The round's reveal window opens now.
	pub(crate) fn open_reveal_window(model: ModelId, round: RoundIndex) {
		RevealCongestion::<T>::insert((model, round), CongestedBlocks::<T>::get());
	}

	/// At the reveal deadline: the reveal window's congested blocks, if they exceed its slack
	/// (see the module docs); `None` if the window was not congested that much.
	pub(crate) fn excusing_congestion(
		model: ModelId,
		round: RoundIndex,
		info: &RoundInfoOf<T>,
	) -> Option<u32> {
		let Schedule::Sync { reveal_blocks, .. } = info.config.schedule else {
			return None;
		};
		let congested =
			CongestedBlocks::<T>::get().saturating_sub(RevealCongestion::<T>::get((model, round)));
		let payload_len = tensor_codec::HEADER_LEN as u64 + 4 * u64::from(info.parameter_count);
		// A payload no block can carry leaves no slack at all.
		let needed = Self::blocks_to_carry(info.commits, payload_len).unwrap_or(u64::MAX);
		let slack = u64::from(reveal_blocks).saturating_sub(needed);
		(u64::from(congested) > slack).then_some(congested)
	}
}
