//! Congestion: whether a reveal window's blocks could carry its reveals.
//!
//! A committer that does not reveal is slashed, so an attacker that fills the blocks of a
//! reveal window would turn honest commitments into slashes. Three things stand against
//! that. FL calls are dispatched in the operational class, so ordinary transactions cannot
//! take the block space and pool priority they need (the runtime); fees rise under sustained
//! full blocks (the runtime's targeted fee adjustment); and, here, a reveal window whose
//! blocks were congested is extended, and slashes nobody if it stays congested.
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
//! sure fit the window). At the deadline, more congested blocks than that, and a missing reveal
//! may be the congestion's doing: the window is **extended** by the difference
//! ([`Event::RevealExtended`]), up to [`Config::MaxPhaseBlocks`] blocks in all, and checked
//! again at its new end. Only a window still that congested at the longest phase **excuses**
//! the committers that did not reveal — not slashed, deposits returned
//! ([`Event::RevealsExcused`]).
//!
//! So a committer that wants its own silence excused must congest every block up to the
//! longest phase (an hour on the runtime), past the 75 % ordinary transactions are held to,
//! paying the fees of each; and an honest trainer whose reveal was crowded out gets more
//! blocks to reveal in rather than a pass.

use crate::{pallet::*, tensor_codec, RoundInfoOf};
use fedledger_primitives::{ModelId, RoundIndex};
use frame_support::{dispatch::DispatchClass, pallet_prelude::*};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::{SaturatedConversion, Saturating};

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
		RevealCongestion::<T>::insert((model, round), (Self::now(), CongestedBlocks::<T>::get()));
	}

	/// At a reveal deadline `now`: the window's congested blocks and by how many they exceed
	/// its slack (see the module docs), if they do; with the window's first block.
	fn congestion_past_slack(
		model: ModelId,
		round: RoundIndex,
		info: &RoundInfoOf<T>,
		now: BlockNumberFor<T>,
	) -> Option<(u32, u64, BlockNumberFor<T>)> {
		let (start, at_start) = RevealCongestion::<T>::get((model, round))?;
		let congested = CongestedBlocks::<T>::get().saturating_sub(at_start);
		let length: u64 = now.saturating_sub(start).saturated_into();
		let payload_len = tensor_codec::HEADER_LEN as u64 + 4 * u64::from(info.parameter_count);
		// A payload no block can carry leaves no slack at all.
		let needed = Self::blocks_to_carry(info.commits, payload_len).unwrap_or(u64::MAX);
		let slack = length.saturating_sub(needed);
		let excess = u64::from(congested).checked_sub(slack).filter(|e| *e > 0)?;
		Some((congested, excess, start))
	}

	/// At a reveal deadline `now`: extends a window congested past its slack by the excess,
	/// within [`Config::MaxPhaseBlocks`] of its start; returns the new deadline, or `None` if
	/// the window closes now.
	pub(crate) fn extend_congested_reveal(
		model: ModelId,
		round: RoundIndex,
		info: &mut RoundInfoOf<T>,
		now: BlockNumberFor<T>,
	) -> Option<BlockNumberFor<T>> {
		let (congested, excess, start) = Self::congestion_past_slack(model, round, info, now)?;
		let longest = start.saturating_add(T::MaxPhaseBlocks::get().into());
		if now >= longest {
			return None;
		}
		let wanted = now.saturating_add(excess.saturated_into());
		let phase_ends_at = wanted.min(longest);
		info.phase_ends_at = phase_ends_at;
		Self::deposit_event(Event::RevealExtended {
			model,
			round,
			congested,
			phase_ends_at,
		});
		Some(phase_ends_at)
	}

	/// When a reveal window closes: its congested blocks if they still exceed its slack (it
	/// reached the longest phase that way), which excuses the committers that did not reveal.
	pub(crate) fn excusing_congestion(
		model: ModelId,
		round: RoundIndex,
		info: &RoundInfoOf<T>,
	) -> Option<u32> {
		Self::congestion_past_slack(model, round, info, Self::now())
			.map(|(congested, ..)| congested)
	}
}
