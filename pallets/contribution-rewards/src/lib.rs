//! # Contribution rewards pallet
//!
//! Reward pools of the models, the per-round reward split, score consensus, pending balances,
//! claims and the attribution ledger.
//!
//! ## Overview
//!
//! Anyone can fund a model's reward pool with [`Pallet::fund_model`]; each funder's share of
//! what it paid in is recorded, and when the model is retired its remaining pool goes back to
//! its funders pro rata ([`Pallet::claim_refund`]). Slashed bonds never enter a pool (the
//! round pallet burns them), so a model's owner cannot profit from faults it provokes. All pools and all pending rewards are held by one account, the **pot**
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
//! - [`Pallet::fund_model`] — anyone adds to a model's pool;
//! - [`Pallet::claim_rewards`] — an account is paid its pending rewards;
//! - [`Pallet::claim_refund`] — a funder of a retired model is paid its share of the pool.
//!
//! Each call's own documentation lists its origin, effects, errors and events.
//!
//! ## Invariants (checked by `try_state`)
//!
//! - [`TotalPending`] equals the sum of [`PendingRewards`];
//! - the pot's balance covers every pool plus every pending reward;
//! - each model's [`TotalFunding`] equals the sum of its [`Funding`].
//!
//! ## Code layout
//!
//! `lib.rs` holds the configuration, storage, genesis, events, errors, hooks and the calls,
//! each of which hands over to a `do_*` function: `pools.rs` (the pot and funding pools),
//! `refunds.rs` (a retired model's pool back to its funders),
//! `distribution.rs` (the [`RoundRewards`] side the round logic calls: the split of a round's
//! reward and the credits), `claims.rs` (paying pending rewards), `consensus.rs` (the integer
//! arithmetic of the median and the proportional shares), `invariants.rs` (the `try_state`
//! checks); `types.rs` the stored types; `weights.rs` (generated), `benchmarking.rs`,
//! `mock.rs` and `tests/`.
//!
//! [`RoundRewards`]: fedledger_primitives::traits::RoundRewards
//! [`RoundRewards::reward_round`]: fedledger_primitives::traits::RoundRewards::reward_round
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod claims;
pub mod consensus;
mod distribution;
mod invariants;
#[cfg(test)]
mod mock;
mod pools;
mod refunds;
#[cfg(test)]
mod tests;
mod types;
pub mod weights;

use fedledger_primitives::{traits::ModelProvider, ModelId, RoundIndex};
use frame_support::{
	pallet_prelude::*,
	traits::fungible::{Inspect, Mutate},
	PalletId,
};
use frame_system::pallet_prelude::*;

/// The target of this pallet's log messages.
pub(crate) const LOG_TARGET: &str = "runtime::contribution-rewards";

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

	/// What each account paid into a model's pool: `(model, funder)` → amount. Its share of a
	/// retired model's remaining pool; removed when refunded.
	#[pallet::storage]
	pub type Funding<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		ModelId,
		Blake2_128Concat,
		T::AccountId,
		BalanceOf<T>,
		ValueQuery,
	>;

	/// The sum of a model's [`Funding`] not yet refunded.
	#[pallet::storage]
	pub type TotalFunding<T: Config> =
		StorageMap<_, Twox64Concat, ModelId, BalanceOf<T>, ValueQuery>;

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
		/// A funder of a retired model was paid its share of the remaining pool.
		RefundClaimed {
			model: ModelId,
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
		/// The model is not retired: its pool still pays its rounds.
		NotRetired,
		/// The caller did not fund the model, or was already refunded.
		NothingToRefund,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// Checks that the constants allow the pallet to work.
		fn integrity_test() {
			let emission = T::EmissionPerRound::get();
			assert!(
				emission.is_zero() || emission >= T::Currency::minimum_balance(),
				"EmissionPerRound must be zero or at least the existential deposit: minting less \
				 into an empty pot fails, and the round's emission would be lost"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Adds `amount` from the caller to `model`'s reward pool.
		///
		/// ## Origin
		///
		/// Any signed account (the owner or any other funder).
		///
		/// ## Effects
		///
		/// Transfers `amount` from the caller (who must stay alive) into the pot and credits it
		/// to `model`'s pool, and records it as the caller's [`Funding`]. Each finalized round
		/// of the model releases up to its `reward_per_round` from the pool; once the model is
		/// retired, what is left goes back to its funders pro rata ([`Pallet::claim_refund`]).
		///
		/// ## Errors
		///
		/// - [`Error::ZeroAmount`]: `amount` is zero;
		/// - [`Error::UnknownModel`]: no such model, or it is retired;
		/// - [`Error::InsufficientBalance`]: the caller cannot pay `amount` and stay alive.
		///
		/// ## Events
		///
		/// [`Event::PoolFunded`].
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::fund_model())]
		pub fn fund_model(
			origin: OriginFor<T>,
			model: ModelId,
			amount: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_fund_model(who, model, amount)
		}

		/// Pays the caller all its pending rewards.
		///
		/// ## Origin
		///
		/// Any signed account with pending rewards (an owner, validator or trainer credited by
		/// finalized rounds).
		///
		/// ## Effects
		///
		/// Transfers the caller's whole [`PendingRewards`] from the pot to the caller and
		/// clears them. A refused claim changes nothing: the rewards stay pending.
		///
		/// ## Errors
		///
		/// - [`Error::NothingToClaim`]: the caller has no pending rewards;
		/// - [`Error::BelowExistentialDeposit`]: the pending rewards are below the existential
		///   deposit and the caller's account does not exist yet (or the pot cannot pay).
		///
		/// ## Events
		///
		/// [`Event::RewardsClaimed`].
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::claim_rewards())]
		pub fn claim_rewards(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_claim_rewards(who)
		}
		/// Pays the caller its share of a retired model's remaining pool.
		///
		/// ## Origin
		///
		/// Any signed account that funded `model` ([`Pallet::fund_model`]).
		///
		/// ## Effects
		///
		/// Transfers `pool · funding / unclaimed funding` from the pot to the caller (the
		/// whole remaining pool to the last funder), takes it from the pool and removes the
		/// caller's [`Funding`]. A retired model releases no more rewards, so nothing else
		/// can take the pool; the shares do not depend on the order in which funders claim.
		///
		/// ## Errors
		///
		/// - [`Error::UnknownModel`]: no such model;
		/// - [`Error::NotRetired`]: the model is not retired;
		/// - [`Error::NothingToRefund`]: the caller did not fund it or was already refunded;
		/// - [`Error::BelowExistentialDeposit`]: the share is below the existential deposit
		///   and the caller's account does not exist.
		///
		/// ## Events
		///
		/// [`Event::RefundClaimed`] (also for a share of zero, which clears the funding).
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::claim_refund())]
		pub fn claim_refund(origin: OriginFor<T>, model: ModelId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_claim_refund(who, model)
		}
	}
}
