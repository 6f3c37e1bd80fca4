//! The slot lottery: which commitments of an oversubscribed round may reveal.
//!
//! A round takes up to [`Config::MaxCommitsPerRound`] commitments but has only
//! [`Config::MaxUpdatesPerRound`] update slots. Slots used to go to the first commitments in,
//! so a swarm placing its commitments first (a tip, or transactions waiting in the pool
//! before the round opened) took every slot. Now, when more trainers commit than there are
//! slots, the slots are drawn at the commit deadline: every committer gets the ticket
//! `blake2_256(seed ‖ account)` and the lowest tickets win. Arrival order plays no part, so
//! a trainer's chance is `slots / commitments`, whoever commits first.
//!
//! The entries are bounded, so that the draw fits a block. A full lottery takes a new
//! commitment only from a trainer bonded more than the smallest-bonded committer, whose
//! commitment it replaces ([`Event::CommitmentEvicted`]; the deposit is returned): a swarm
//! that fills the entries at the minimum bond keeps out no trainer that bonds more, and keeping
//! everyone out costs the bound times the largest honest bond, held.
//!
//! The seed is `blake2_256("fedledger/slot-draw" ‖ model ‖ round ‖ parent hash)`, drawn in
//! the first block after the commit window, whose parent is the last block that took
//! commitments. No committer knows it when committing: grinding salts or choosing which of
//! one's bonded accounts commit gains nothing. What remains is the author of that last
//! commit block, who can try variants of its block (which transactions, in which order)
//! before publishing one: a block author colluding with committers can bias the draw of a
//! round whose last commit block it authors. The chain has no verifiable randomness
//! (Aura, no VRF); a BABE-style VRF output, or a commit–reveal beacon among validators,
//! would remove that bias and fits behind the same `draw_seed`.

use crate::{pallet::*, RoundInfoOf};
use alloc::vec::Vec;
use fedledger_primitives::{ModelId, RoundIndex};
use frame_support::pallet_prelude::*;
use sp_runtime::traits::{Hash, Zero};

impl<T: Config> Pallet<T> {
	/// At `round`'s commit deadline: if it has more commitments than slots, keeps the
	/// [`Config::MaxUpdatesPerRound`] with the lowest tickets and returns the others with their
	/// deposits. Updates `info.commits` to the commitments that remain. Returns the number of
	/// commitments the draw read (0 if there was no draw).
	pub(crate) fn draw_slots(model: ModelId, round: RoundIndex, info: &mut RoundInfoOf<T>) -> u32 {
		let slots = T::MaxUpdatesPerRound::get();
		if info.commits <= slots {
			return 0;
		}
		let seed = Self::draw_seed(model, round);
		let mut entries: Vec<([u8; 32], T::AccountId)> =
			Commitments::<T>::iter_key_prefix((model, round))
				.map(|who| (Self::ticket(&seed, &who), who))
				.collect();
		// Tickets differ but for a hash collision; the account breaks that tie.
		entries.sort_unstable();
		let committed = entries.len() as u32;
		let deposit = Self::commit_deposit(info);
		for (_, who) in entries.iter().skip(slots as usize) {
			Commitments::<T>::remove((model, round), who);
			Self::release_deposit(model, round, who, deposit);
			Self::deposit_event(Event::CommitmentNotDrawn {
				model,
				round,
				trainer: who.clone(),
			});
		}
		info.commits = slots.min(committed);
		Self::deposit_event(Event::SlotsDrawn {
			model,
			round,
			committed,
			drawn: info.commits,
		});
		committed
	}

	/// A full lottery: makes room for `who` by returning the commitment of the smallest-bonded
	/// committer, if `who`'s bond for `model` exceeds it; `RoundFull` otherwise. Among equal
	/// smallest bonds, the first in storage order goes.
	pub(crate) fn evict_smallest_entry(
		model: ModelId,
		round: RoundIndex,
		info: &mut RoundInfoOf<T>,
		who: &T::AccountId,
	) -> DispatchResult {
		let bond_of = |account: &T::AccountId| {
			TrainerBonds::<T>::get(model, account).map_or_else(Zero::zero, |b| b.amount)
		};
		let (smallest, smallest_bond) = Commitments::<T>::iter_key_prefix((model, round))
			.map(|account| {
				let bond = bond_of(&account);
				(account, bond)
			})
			.reduce(|best, next| if next.1 < best.1 { next } else { best })
			.ok_or(Error::<T>::RoundFull)?;
		ensure!(bond_of(who) > smallest_bond, Error::<T>::RoundFull);
		Commitments::<T>::remove((model, round), &smallest);
		Self::release_deposit(model, round, &smallest, Self::commit_deposit(info));
		info.commits = info.commits.saturating_sub(1);
		Self::deposit_event(Event::CommitmentEvicted {
			model,
			round,
			trainer: smallest,
			by: who.clone(),
		});
		Ok(())
	}

	/// The draw's seed (see the module docs). Called in the block after the commit window.
	fn draw_seed(model: ModelId, round: RoundIndex) -> [u8; 32] {
		let parent = frame_system::Pallet::<T>::parent_hash();
		sp_runtime::traits::BlakeTwo256::hash_of(&(b"fedledger/slot-draw", model, round, parent)).0
	}

	/// `who`'s ticket in a draw with `seed`: the lowest tickets win.
	pub fn ticket(seed: &[u8; 32], who: &T::AccountId) -> [u8; 32] {
		sp_runtime::traits::BlakeTwo256::hash_of(&(seed, who)).0
	}
}
