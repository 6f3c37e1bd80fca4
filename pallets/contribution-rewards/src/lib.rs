//! # Contribution rewards pallet
//!
//! Reward pools of the models, the per-round reward split, score consensus, pending balances,
//! claims and the attribution ledger.
//!
//! ## Overview
//!
//! Anyone can fund a model's reward pool with [`Pallet::fund_model`]. Slashed bonds flow into
//! the same pool. All pools and all pending rewards are held by one account, the **pot**
//! ([`Config::PalletId`]); storage records how much of it belongs to which pool and to whom.
//!
//! When a round finalizes, the round logic calls [`RoundRewards::reward_round`]: the round's
//! reward — `reward_per_round` from the model's pool (or what is left of it) plus the
//! optional per-round emission [`Config::EmissionPerRound`], newly minted — is split by the
//! model's `reward_split`:
//!
//! - the **owner share** to the model's owner;
//! - the **validator share** among the validators that reported the finalized hash, in
//!   proportion to their stake;
//! - the **trainer share** among the accepted trainers, in proportion to their consensus
//!   score: the **stake-weighted median** of the scores the matching validators gave
//!   (Yuma-style: a minority of validators cannot move it).
//!
//! Amounts are computed in integers, rounding down; whatever rounding leaves over, and any
//! share nobody qualifies for, goes back to the model's pool. So **no unit is created or
//! lost**: pool before + emission = pool after + credited, exactly (property-tested).
//! Credits accrue as pending balances, paid out by [`Pallet::claim_rewards`], and are added
//! to the attribution ledger [`Attributions`] per (model, account).
//!
//! ## Calls
//!
//! - [`Pallet::fund_model`] — origin: any signed account. Moves `amount` into the pot and
//!   credits the model's pool. Errors: [`Error::UnknownModel`], [`Error::ZeroAmount`],
//!   [`Error::InsufficientBalance`]. Event: [`Event::PoolFunded`].
//! - [`Pallet::claim_rewards`] — origin: any signed account. Pays all its pending rewards from
//!   the pot. Errors: [`Error::NothingToClaim`], [`Error::BelowExistentialDeposit`]. Event:
//!   [`Event::RewardsClaimed`].
//!
//! ## Invariants (checked by `try_state`)
//!
//! - [`TotalPending`] equals the sum of [`PendingRewards`];
//! - the pot's balance covers every pool plus every pending reward.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
pub mod consensus;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
mod types;
pub mod weights;

use alloc::vec::Vec;
use fedledger_primitives::{
	model::TrainingConfig,
	traits::{ModelProvider, ModelStatus, RoundRewards, TrainerScores},
	ModelId, RoundIndex,
};
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::{Inspect, Mutate},
		tokens::Preservation,
	},
	PalletId,
};
use frame_system::pallet_prelude::*;
use sp_runtime::{
	traits::{AccountIdConversion, Saturating, Zero},
	Perbill, SaturatedConversion,
};

/// The balance type of the reward currency.
pub type BalanceOf<T> =
	<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

#[frame_support::pallet]
pub mod pallet {
	use super::*;

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Configuration of the contribution-rewards pallet.
	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The reward currency.
		type Currency: Mutate<Self::AccountId>;

		/// Derives the pot account holding every pool and pending reward.
		#[pallet::constant]
		type PalletId: Get<PalletId>;

		/// Minted into the round's reward on top of the pool's release (may be zero).
		#[pallet::constant]
		type EmissionPerRound: Get<BalanceOf<Self>>;

		/// The model registry.
		type Models: ModelProvider<Self::AccountId, BalanceOf<Self>>;

		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;

		/// Creates the models the benchmarks fund.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: fedledger_primitives::traits::BenchmarkModels<
			Self::AccountId,
			BalanceOf<Self>,
		>;
	}

	/// Each model's reward pool (its part of the pot).
	#[pallet::storage]
	pub type Pools<T: Config> = StorageMap<_, Twox64Concat, ModelId, BalanceOf<T>, ValueQuery>;

	/// Rewards credited to an account and not yet claimed.
	#[pallet::storage]
	pub type PendingRewards<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, BalanceOf<T>, ValueQuery>;

	/// Sum of all pending rewards.
	#[pallet::storage]
	pub type TotalPending<T: Config> = StorageValue<_, BalanceOf<T>, ValueQuery>;

	/// The attribution ledger: what each account earned from each model, by role.
	#[pallet::storage]
	pub type Attributions<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		ModelId,
		Blake2_128Concat,
		T::AccountId,
		Attribution<BalanceOf<T>>,
		ValueQuery,
	>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		#[serde(skip)]
		pub _config: core::marker::PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			// The pot must never be reaped, whatever its balance.
			frame_system::Pallet::<T>::inc_providers(&Pallet::<T>::pot_account());
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// `amount` was added to the model's pool by `who`.
		PoolFunded {
			model: ModelId,
			who: T::AccountId,
			amount: BalanceOf<T>,
		},
		/// Slashed funds were added to the model's pool.
		PoolCredited {
			model: ModelId,
			amount: BalanceOf<T>,
		},
		/// A finalized round's reward was split: `released` left the pool (plus emission),
		/// `returned` (rounding and unclaimed shares) went back to it.
		RoundRewarded {
			model: ModelId,
			round: RoundIndex,
			released: BalanceOf<T>,
			returned: BalanceOf<T>,
		},
		/// An account was credited for a round.
		RewardCredited {
			model: ModelId,
			round: RoundIndex,
			who: T::AccountId,
			role: Role,
			amount: BalanceOf<T>,
		},
		/// A trainer's consensus score for a round (parts per billion).
		TrainerScored {
			model: ModelId,
			round: RoundIndex,
			trainer: T::AccountId,
			score: u32,
		},
		/// Pending rewards were paid out.
		RewardsClaimed {
			who: T::AccountId,
			amount: BalanceOf<T>,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No such model, or it is retired.
		UnknownModel,
		/// The amount must be positive.
		ZeroAmount,
		/// The caller cannot pay this amount (and stay alive).
		InsufficientBalance,
		/// The caller has no pending rewards.
		NothingToClaim,
		/// The pending rewards are below the existential deposit of a new account.
		BelowExistentialDeposit,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Adds `amount` from the caller to `model`'s reward pool.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::fund_model())]
		pub fn fund_model(
			origin: OriginFor<T>,
			model: ModelId,
			amount: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
			let view = T::Models::model(model).ok_or(Error::<T>::UnknownModel)?;
			ensure!(
				view.status != ModelStatus::Retired,
				Error::<T>::UnknownModel
			);
			T::Currency::transfer(&who, &Self::pot_account(), amount, Preservation::Preserve)
				.map_err(|_| Error::<T>::InsufficientBalance)?;
			Pools::<T>::mutate(model, |p| *p = p.saturating_add(amount));
			Self::deposit_event(Event::PoolFunded { model, who, amount });
			Ok(())
		}

		/// Pays the caller all its pending rewards.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::claim_rewards())]
		pub fn claim_rewards(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let amount = PendingRewards::<T>::get(&who);
			ensure!(!amount.is_zero(), Error::<T>::NothingToClaim);
			T::Currency::transfer(&Self::pot_account(), &who, amount, Preservation::Expendable)
				.map_err(|_| Error::<T>::BelowExistentialDeposit)?;
			PendingRewards::<T>::remove(&who);
			TotalPending::<T>::mutate(|t| *t = t.saturating_sub(amount));
			Self::deposit_event(Event::RewardsClaimed { who, amount });
			Ok(())
		}
	}
}

impl<T: Config> Pallet<T> {
	/// The account holding every pool and pending reward.
	pub fn pot_account() -> T::AccountId {
		T::PalletId::get().into_account_truncating()
	}

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

	/// Invariants listed in the crate docs.
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		let pending = PendingRewards::<T>::iter_values()
			.fold(BalanceOf::<T>::zero(), |acc, p| acc.saturating_add(p));
		ensure!(
			pending == TotalPending::<T>::get(),
			"TotalPending differs from the sum of pending"
		);
		let pools =
			Pools::<T>::iter_values().fold(BalanceOf::<T>::zero(), |acc, p| acc.saturating_add(p));
		ensure!(
			T::Currency::balance(&Self::pot_account()) >= pools.saturating_add(pending),
			"the pot does not cover pools and pending rewards"
		);
		Ok(())
	}
}

impl<T: Config> RoundRewards<T::AccountId, BalanceOf<T>> for Pallet<T> {
	fn pot() -> T::AccountId {
		Self::pot_account()
	}

	fn credit_pool(model: ModelId, amount: BalanceOf<T>) {
		Pools::<T>::mutate(model, |p| *p = p.saturating_add(amount));
		Self::deposit_event(Event::PoolCredited { model, amount });
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
			T::Currency::mint_into(&Self::pot_account(), emission).unwrap_or_else(|_| Zero::zero())
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
