//! The invariants `try_state` checks (listed in the crate docs).

use crate::{pallet::*, BalanceOf};
use alloc::collections::btree_map::BTreeMap;
use frame_support::{
	ensure,
	traits::{fungible::InspectHold, Get},
};
use sp_runtime::traits::{Saturating, Zero};

impl<T: Config> Pallet<T> {
	/// Invariants: bonds and unrevealed commitments' deposits equal holds; open rounds
	/// count their commitments, drawn ones within the slots; the active set has bonds that are not unbonding; missed
	/// reports are counted for bonded validators below the removal threshold; every
	/// current round of a live model exists; update counts match the reveal order; the agenda
	/// holds live models once each; no reveal order or validator snapshot outlives its round.
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
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
		// Misses are tracked for bonded validators only, and below the removal threshold.
		for (who, missed) in MissedReports::<T>::iter() {
			ensure!(
				ValidatorBonds::<T>::contains_key(&who),
				"missed reports of a validator without bond"
			);
			ensure!(
				missed < T::MaxMissedReports::get(),
				"a validator missed more rounds than it may"
			);
		}
		for (model, round) in CurrentRound::<T>::iter() {
			// A retired model's rounds, its current one included, are pruned (`pruning.rs`).
			let Some(info) = Rounds::<T>::get(model, round) else {
				ensure!(!Self::is_live(model), "current round missing");
				continue;
			};
			ensure!(
				UpdateOrder::<T>::get((model, round)).len() as u32 == info.updates,
				"update count differs from the reveal order"
			);
			ensure!(
				info.updates <= T::MaxUpdatesPerRound::get(),
				"round over capacity"
			);
			// An open round counts its commitments (after the draw, the drawn ones: at most the
			// slots; in a buffer, those not yet consumed by a submission).
			if matches!(
				info.phase,
				crate::RoundPhase::Commit | crate::RoundPhase::Reveal | crate::RoundPhase::Buffer
			) {
				ensure!(
					Commitments::<T>::iter_key_prefix((model, round)).count() as u32
						== info.commits,
					"commit count differs from the round's commitments"
				);
				ensure!(
					info.commits <= T::MaxCommitsPerRound::get(),
					"more commitments than the lottery takes"
				);
			}
			if info.phase == crate::RoundPhase::Reveal {
				ensure!(
					info.commits <= T::MaxUpdatesPerRound::get(),
					"more drawn commitments than slots"
				);
			}
		}
		// Every unrevealed commitment of a round before its reveal deadline holds the round's
		// deposit.
		let mut deposits: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		for ((model, round), who, _) in Commitments::<T>::iter() {
			let info = Rounds::<T>::get(model, round).ok_or("commitment of a pruned round")?;
			// From the reveal deadline on, every deposit of the round has been settled.
			let settled = !matches!(
				info.phase,
				crate::RoundPhase::Commit | crate::RoundPhase::Reveal
			);
			if !settled && !Updates::<T>::contains_key((model, round), &who) {
				let total = deposits.entry(who).or_insert_with(Zero::zero);
				*total = total.saturating_add(Self::commit_deposit(&info));
			}
		}
		for (who, total) in deposits {
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::CommitDeposit.into(), &who) == total,
				"deposit hold differs from the account's unrevealed commitments"
			);
		}
		// The agenda holds each model once, and no retired model (retiring frees the slot).
		let agenda = Agenda::<T>::get();
		for (i, (model, _)) in agenda.iter().enumerate() {
			ensure!(
				agenda[..i].iter().all(|(m, _)| m != model),
				"a model is twice on the agenda"
			);
			ensure!(
				Self::is_live(*model),
				"a retired model holds an agenda slot"
			);
		}
		// An open round's report count is its number of reports (settling clears both).
		for ((model, round), count) in ReportCount::<T>::iter() {
			ensure!(
				Reports::<T>::iter_prefix((model, round)).count() as u32 == count,
				"report count differs from the round's reports"
			);
		}
		// An open round's report-commitment count is its number of report commitments, and
		// every report revealed one of them.
		for ((model, round), count) in ReportCommitCount::<T>::iter() {
			ensure!(
				ReportCommitments::<T>::iter_prefix((model, round)).count() as u32 == count,
				"report-commitment count differs from the round's report commitments"
			);
		}
		for ((model, round), who, _) in Reports::<T>::iter() {
			let open = Rounds::<T>::get(model, round).is_some_and(|info| !info.phase.is_closed());
			ensure!(
				!open || ReportCommitments::<T>::contains_key((model, round), &who),
				"a report of an open round without its commitment"
			);
		}
		// Pruning removes a round's storage with its record: nothing outlives its round.
		for (model, round) in UpdateOrder::<T>::iter_keys() {
			ensure!(
				Rounds::<T>::contains_key(model, round),
				"reveal order of a pruned round"
			);
		}
		for (model, round) in RoundValidators::<T>::iter_keys() {
			ensure!(
				Rounds::<T>::contains_key(model, round),
				"validator snapshot of a pruned round"
			);
		}
		Ok(())
	}
}
