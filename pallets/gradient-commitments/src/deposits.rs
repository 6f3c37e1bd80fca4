//! Commitment deposits.
//!
//! A commitment holds the round's deposit ([`Pallet::commit_deposit`]) from the committer's
//! free balance, under [`HoldReason::CommitDeposit`]. It is returned when the update is
//! revealed, when the commitment is not drawn (`lottery.rs`), when the round is excused
//! (paused by its owner, or a congested reveal window: `congestion.rs`) and when a retired
//! model's abandoned round is pruned. It is forfeited to [`Config::OnSlash`] when a drawn
//! commitment is not revealed: a slot taken and left empty costs at least the reward it
//! could have earned, so squatting slots costs more than the round pays.

use crate::{pallet::*, BalanceOf, RoundInfoOf, LOG_TARGET};
use fedledger_primitives::{model::Schedule, ModelId, RoundIndex};
use frame_support::{
	pallet_prelude::*,
	traits::{fungible::MutateHold, tokens::Precision},
};
use sp_runtime::traits::Zero;

impl<T: Config> Pallet<T> {
	/// The deposit a commitment to the round `info` holds: the larger of
	/// [`Config::CommitDeposit`] and the round's reward per update slot
	/// (`reward_per_round / MaxUpdatesPerRound`). The round snapshots its configuration when
	/// it opens, so every commitment of a round holds the same deposit. A buffered round's
	/// commitments hold none: they claim no slot (the buffer takes updates as they come), so
	/// there is nothing to squat, and not submitting forfeits nothing.
	pub fn commit_deposit(info: &RoundInfoOf<T>) -> BalanceOf<T> {
		if matches!(info.config.schedule, Schedule::BufferedAsync { .. }) {
			return Zero::zero();
		}
		let per_slot = info.config.reward_per_round / T::MaxUpdatesPerRound::get().max(1).into();
		per_slot.max(T::CommitDeposit::get())
	}

	/// Holds `amount` from `who` as a commitment deposit.
	pub(crate) fn hold_deposit(who: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		if amount.is_zero() {
			return Ok(());
		}
		T::Currency::hold(&HoldReason::CommitDeposit.into(), who, amount)
			.map_err(|_| Error::<T>::InsufficientBalance.into())
	}

	/// Returns a commitment deposit of `amount` to `who`.
	pub(crate) fn release_deposit(
		model: ModelId,
		round: RoundIndex,
		who: &T::AccountId,
		amount: BalanceOf<T>,
	) {
		if amount.is_zero() {
			return;
		}
		// Every commitment holds the round's deposit (a `try_state` invariant): the release
		// is exact unless that was broken, and then best effort returns what is held.
		if let Err(e) = T::Currency::release(
			&HoldReason::CommitDeposit.into(),
			who,
			amount,
			Precision::BestEffort,
		) {
			log::error!(
				target: LOG_TARGET,
				"model {model} round {round}: deposit of {who:?} not returned: {e:?}",
			);
		}
	}

	/// Forfeits `who`'s deposit of `amount` for a drawn commitment it did not reveal.
	pub(crate) fn forfeit_deposit(
		model: ModelId,
		round: RoundIndex,
		who: &T::AccountId,
		amount: BalanceOf<T>,
	) {
		let amount = Self::slash_hold(HoldReason::CommitDeposit, who, model, amount);
		Self::deposit_event(Event::DepositForfeited {
			model,
			round,
			trainer: who.clone(),
			amount,
		});
	}
}
