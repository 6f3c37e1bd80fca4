//! Slashing of provable faults: committed-but-unrevealed updates and validator reports that
//! contradict the finalized hash. Slashed funds move from the hold into the rewards pot and
//! are credited to the model's pool, never to an account.

use crate::{pallet::*, BalanceOf, Fault, LOG_TARGET};
use alloc::vec::Vec;
use fedledger_primitives::{traits::RoundRewards, ModelId, RoundIndex};
use frame_support::traits::{
	fungible::MutateHold,
	tokens::{Fortitude, Precision, Restriction},
	Get,
};
use sp_runtime::traits::{Saturating, Zero};

impl<T: Config> Pallet<T> {
	/// Slashes every trainer that committed in `round` but has no update recorded.
	pub(crate) fn slash_unrevealed(model: ModelId, round: RoundIndex) {
		let faulty: Vec<T::AccountId> = Commitments::<T>::iter_key_prefix((model, round))
			.filter(|who| !Updates::<T>::contains_key((model, round), who))
			.collect();
		for who in faulty {
			Self::slash_trainer(model, round, &who, Fault::NotRevealed);
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

	/// Moves up to `amount` of `who`'s held `reason` funds into the rewards pot and credits
	/// them to `model`'s pool; returns what was moved.
	///
	/// A transfer the currency refuses (for instance a slash below the existential deposit
	/// into an empty pot) moves nothing: it is logged and the slash counts as zero.
	fn slash_hold(
		reason: HoldReason,
		who: &T::AccountId,
		model: ModelId,
		amount: BalanceOf<T>,
	) -> BalanceOf<T> {
		if amount.is_zero() {
			return amount;
		}
		let moved = T::Currency::transfer_on_hold(
			&reason.into(),
			who,
			&T::Rewards::pot(),
			amount,
			Precision::BestEffort,
			Restriction::Free,
			Fortitude::Force,
		)
		.unwrap_or_else(|e| {
			log::error!(
				target: LOG_TARGET,
				"model {model}: slashing {amount:?} held from {who:?} failed ({e:?}); nothing moved",
			);
			Zero::zero()
		});
		if !moved.is_zero() {
			T::Rewards::credit_pool(model, moved);
		}
		moved
	}
}
