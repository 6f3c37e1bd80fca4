//! Slashing of provable faults: committed-but-unrevealed updates and validator reports that
//! contradict the finalized hash. Slashed funds leave the hold as a credit handed to
//! [`Config::OnSlash`] (the runtime burns them); they never reach the slashed model's pool or
//! any account its owner controls, so nobody profits from provoking a fault.
//!
//! A round the owner interrupted by pausing the model ([`InterruptedRound`]) slashes nobody
//! for not revealing.

use crate::{pallet::*, BalanceOf, Fault, RoundInfoOf, RoundPhase, LOG_TARGET};
use alloc::vec::Vec;
use fedledger_primitives::{ModelId, RoundIndex};
use frame_support::traits::{fungible::BalancedHold, Get, Imbalance, OnUnbalanced};
use sp_runtime::traits::{Saturating, Zero};

impl<T: Config> Pallet<T> {
	/// At the reveal deadline: every trainer whose (drawn) commitment in `round` has no
	/// update recorded forfeits its deposit and is slashed — unless the owner paused the model
	/// during the round, or the reveal window was congested (`congestion.rs`): then they are
	/// excused and get their deposits back.
	pub(crate) fn slash_unrevealed(model: ModelId, round: RoundIndex, info: &RoundInfoOf<T>) {
		let faulty: Vec<T::AccountId> = Commitments::<T>::iter_key_prefix((model, round))
			.filter(|who| !Updates::<T>::contains_key((model, round), who))
			.collect();
		if faulty.is_empty() {
			return;
		}
		let deposit = Self::commit_deposit(info);
		let excused = InterruptedRound::<T>::get(model) == Some(round)
			|| Self::excusing_congestion(model, round, info).is_some_and(|congested| {
				Self::deposit_event(Event::RevealsExcused {
					model,
					round,
					congested,
				});
				true
			});
		for who in faulty {
			if excused {
				Self::release_deposit(model, round, &who, deposit);
			} else {
				Self::forfeit_deposit(model, round, &who, deposit);
				Self::slash_trainer(model, round, &who, Fault::NotRevealed);
			}
		}
	}

	/// The owner paused `model`: if its round in flight still takes commitments, reveals or
	/// buffered updates, nobody is slashed for not revealing in it (a trainer that stops at
	/// the pause, or whose reveal the owner timed the pause against, did nothing wrong).
	pub(crate) fn interrupt_round(model: ModelId) {
		let Some(round) = CurrentRound::<T>::get(model) else {
			return;
		};
		let taking_updates = Rounds::<T>::get(model, round).is_some_and(|info| {
			matches!(
				info.phase,
				RoundPhase::Commit | RoundPhase::Reveal | RoundPhase::Buffer
			)
		});
		if taking_updates {
			InterruptedRound::<T>::insert(model, round);
			Self::deposit_event(Event::RoundInterrupted { model, round });
		}
	}

	/// Slashes [`Config::TrainerSlash`] of `who`'s bond for `model`.
	pub(crate) fn slash_trainer(
		model: ModelId,
		round: RoundIndex,
		who: &T::AccountId,
		fault: Fault,
	) {
		let Some(mut bond) = TrainerBonds::<T>::get(model, who) else {
			// The trainer unbonded and withdrew after committing: possible when the round
			// lasts longer than `UnbondingDelay`.
			log::warn!(
				target: LOG_TARGET,
				"model {model} round {round}: trainer {who:?} has no bond left to slash for {fault:?}",
			);
			return;
		};
		let amount = Self::slash_hold(
			HoldReason::TrainerBond,
			who,
			model,
			T::TrainerSlash::get() * bond.amount,
		);
		bond.amount = bond.amount.saturating_sub(amount);
		TrainerBonds::<T>::insert(model, who, bond);
		Self::deposit_event(Event::TrainerSlashed {
			model,
			round,
			trainer: who.clone(),
			amount,
			fault,
		});
	}

	/// Slashes [`Config::ValidatorSlash`] of `who`'s validator bond for a contradicting report.
	pub(crate) fn slash_validator(model: ModelId, round: RoundIndex, who: &T::AccountId) {
		let Some(mut bond) = ValidatorBonds::<T>::get(who) else {
			// The validator unregistered and withdrew after the round's snapshot.
			log::warn!(
				target: LOG_TARGET,
				"model {model} round {round}: validator {who:?} has no bond left to slash",
			);
			return;
		};
		let amount = Self::slash_hold(
			HoldReason::ValidatorBond,
			who,
			model,
			T::ValidatorSlash::get() * bond.amount,
		);
		bond.amount = bond.amount.saturating_sub(amount);
		ValidatorBonds::<T>::insert(who, bond);
		Self::deposit_event(Event::ValidatorSlashed {
			model,
			round,
			validator: who.clone(),
			amount,
			fault: Fault::ContradictingReport,
		});
	}

	/// Slashes up to `amount` of `who`'s held `reason` funds into [`Config::OnSlash`];
	/// returns what was slashed (less than `amount` only if less is held).
	pub(crate) fn slash_hold(
		reason: HoldReason,
		who: &T::AccountId,
		model: ModelId,
		amount: BalanceOf<T>,
	) -> BalanceOf<T> {
		if amount.is_zero() {
			return amount;
		}
		let (credit, missing) = T::Currency::slash(&reason.into(), who, amount);
		if !missing.is_zero() {
			log::warn!(
				target: LOG_TARGET,
				"model {model}: {who:?} held {missing:?} less than the {amount:?} slashed",
			);
		}
		let slashed = credit.peek();
		T::OnSlash::on_unbalanced(credit);
		slashed
	}
}
