//! The reward side of a finalized round ([`RoundRewards`]): releasing the round's reward from
//! the pool (plus emission), splitting it among owner, validators and trainers, and crediting
//! pending rewards and the attribution ledger. Slashed bonds are credited to pools here too.

use crate::{consensus, pallet::*, BalanceOf, Role, LOG_TARGET};
use alloc::vec::Vec;
use fedledger_primitives::{
	model::TrainingConfig,
	traits::{RoundRewards, TrainerScores},
	ModelId, RoundIndex,
};
use frame_support::traits::{fungible::Mutate, Get};
use sp_runtime::{
	traits::{Saturating, Zero},
	Perbill, SaturatedConversion,
};

impl<T: Config> Pallet<T> {
	/// Credits `amount` to `who` as pending reward and in the attribution ledger.
	fn credit(
		model: ModelId,
		round: RoundIndex,
		who: &T::AccountId,
		role: Role,
		amount: BalanceOf<T>,
	) {
		if amount.is_zero() {
			return;
		}
		PendingRewards::<T>::mutate(who, |p| *p = p.saturating_add(amount));
		TotalPending::<T>::mutate(|t| *t = t.saturating_add(amount));
		Attributions::<T>::mutate(model, who, |a| {
			match role {
				Role::Owner => a.as_owner = a.as_owner.saturating_add(amount),
				Role::Validator => a.as_validator = a.as_validator.saturating_add(amount),
				Role::Trainer => a.as_trainer = a.as_trainer.saturating_add(amount),
			}
			a.rounds = a.rounds.saturating_add(1);
		});
		Self::deposit_event(Event::RewardCredited {
			model,
			round,
			who: who.clone(),
			role,
			amount,
		});
	}

	/// Pays `amount` out over `weights` in proportion, rounding down; returns what is left.
	fn distribute(
		model: ModelId,
		round: RoundIndex,
		role: Role,
		amount: BalanceOf<T>,
		weights: &[(T::AccountId, u128)],
	) -> BalanceOf<T> {
		let shares = consensus::proportional_shares(amount.saturated_into::<u128>(), weights);
		let mut paid = BalanceOf::<T>::zero();
		for ((who, _), share) in weights.iter().zip(shares) {
			let share: BalanceOf<T> = share.saturated_into();
			Self::credit(model, round, who, role, share);
			paid = paid.saturating_add(share);
		}
		amount.saturating_sub(paid)
	}
}

impl<T: Config> RoundRewards<T::AccountId, BalanceOf<T>> for Pallet<T> {
	fn pot() -> T::AccountId {
		Self::pot_account()
	}

	fn reward_round(
		model: ModelId,
		round: RoundIndex,
		owner: &T::AccountId,
		config: &TrainingConfig<BalanceOf<T>>,
		validators: &[(T::AccountId, BalanceOf<T>)],
		trainers: &[TrainerScores<T::AccountId, BalanceOf<T>>],
	) -> BalanceOf<T> {
		let pool = Pools::<T>::get(model);
		let from_pool = config.reward_per_round.min(pool);
		let emission = T::EmissionPerRound::get();
		let minted = if emission.is_zero() {
			emission
		} else {
			// Fails only if the issuance would overflow, or the emission is below the
			// existential deposit and the pot is empty (`integrity_test` rules that out).
			T::Currency::mint_into(&Self::pot_account(), emission).unwrap_or_else(|e| {
				log::error!(
					target: LOG_TARGET,
					"model {model} round {round}: minting the emission {emission:?} failed ({e:?}); \
					 the round releases its pool share only",
				);
				Zero::zero()
			})
		};
		let released = from_pool.saturating_add(minted);

		let split = config.reward_split;
		let owner_part = Perbill::from_parts(split.owner) * released;
		let validator_part = Perbill::from_parts(split.validators) * released;
		let trainer_part = released
			.saturating_sub(owner_part)
			.saturating_sub(validator_part);

		Self::credit(model, round, owner, Role::Owner, owner_part);
		let validator_weights: Vec<(T::AccountId, u128)> = validators
			.iter()
			.map(|(v, s)| (v.clone(), (*s).saturated_into::<u128>()))
			.collect();
		let mut returned = Self::distribute(
			model,
			round,
			Role::Validator,
			validator_part,
			&validator_weights,
		);

		let trainer_weights: Vec<(T::AccountId, u128)> = trainers
			.iter()
			.map(|t| {
				let scores: Vec<(u32, u128)> = t
					.scores
					.iter()
					.map(|(s, stake)| (*s, (*stake).saturated_into::<u128>()))
					.collect();
				let score = consensus::stake_weighted_median(&scores);
				Self::deposit_event(Event::TrainerScored {
					model,
					round,
					trainer: t.trainer.clone(),
					score,
				});
				(t.trainer.clone(), score as u128)
			})
			.collect();
		returned = returned.saturating_add(Self::distribute(
			model,
			round,
			Role::Trainer,
			trainer_part,
			&trainer_weights,
		));

		Pools::<T>::insert(
			model,
			pool.saturating_sub(from_pool).saturating_add(returned),
		);
		Self::deposit_event(Event::RoundRewarded {
			model,
			round,
			released,
			returned,
		});
		released.saturating_sub(returned)
	}
}
