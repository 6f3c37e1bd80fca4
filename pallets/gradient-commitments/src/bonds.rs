//! Trainer and FL-validator bonds: holding, unbonding and withdrawing them.
//!
//! A trainer bonds per model (the hold is the sum over its models); a validator bonds once
//! and joins [`ActiveValidators`], a set ranked by bond: when it is full, a larger bond
//! evicts the smallest. Both unbond over [`Config::UnbondingDelay`] so that a fault
//! in the round in flight can still be slashed (see `slashing.rs`).

use crate::{pallet::*, BalanceOf, Bond};
use fedledger_primitives::{model::Schedule, ModelId};
use frame_support::{
	pallet_prelude::*,
	traits::{fungible::MutateHold, tokens::Precision},
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::{Saturating, Zero};

impl<T: Config> Pallet<T> {
	/// [`Pallet::bond_trainer`].
	pub(crate) fn do_bond_trainer(
		who: T::AccountId,
		model: ModelId,
		amount: BalanceOf<T>,
	) -> DispatchResult {
		ensure!(!amount.is_zero(), Error::<T>::ZeroBond);
		Self::ensure_not_retired(model)?;
		// A first bond starts from zero.
		let mut bond = TrainerBonds::<T>::get(model, &who).unwrap_or(Bond {
			amount: Zero::zero(),
			unbonding_at: None,
		});
		ensure!(bond.unbonding_at.is_none(), Error::<T>::Unbonding);
		bond.amount = bond.amount.saturating_add(amount);
		ensure!(
			bond.amount >= T::MinTrainerBond::get(),
			Error::<T>::BondTooSmall
		);
		T::Currency::hold(&HoldReason::TrainerBond.into(), &who, amount)
			.map_err(|_| Error::<T>::InsufficientBalance)?;
		let total = bond.amount;
		TrainerBonds::<T>::insert(model, &who, bond);
		Self::deposit_event(Event::TrainerBonded {
			model,
			trainer: who,
			total,
		});
		Ok(())
	}

	/// [`Pallet::unbond_trainer`].
	pub(crate) fn do_unbond_trainer(who: T::AccountId, model: ModelId) -> DispatchResult {
		let at = Self::now().saturating_add(T::UnbondingDelay::get());
		TrainerBonds::<T>::try_mutate(model, &who, |slot| -> DispatchResult {
			let bond = slot.as_mut().ok_or(Error::<T>::NotBonded)?;
			ensure!(bond.unbonding_at.is_none(), Error::<T>::Unbonding);
			bond.unbonding_at = Some(at);
			Ok(())
		})?;
		Self::deposit_event(Event::TrainerUnbonding {
			model,
			trainer: who,
			at,
		});
		Ok(())
	}

	/// [`Pallet::withdraw_trainer_bond`].
	pub(crate) fn do_withdraw_trainer_bond(who: T::AccountId, model: ModelId) -> DispatchResult {
		let bond = TrainerBonds::<T>::get(model, &who).ok_or(Error::<T>::NotBonded)?;
		let at = bond.unbonding_at.ok_or(Error::<T>::NotUnbonding)?;
		ensure!(Self::now() >= at, Error::<T>::StillUnbonding);
		ensure!(
			!Self::committed_in_open_round(model, &who),
			Error::<T>::InOpenRound
		);
		T::Currency::release(
			&HoldReason::TrainerBond.into(),
			&who,
			bond.amount,
			Precision::Exact,
		)?;
		TrainerBonds::<T>::remove(model, &who);
		Self::deposit_event(Event::TrainerWithdrawn {
			model,
			trainer: who,
			amount: bond.amount,
		});
		Ok(())
	}

	/// [`Pallet::register_validator`] (also the genesis build's).
	pub(crate) fn do_register_validator(who: T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		ensure!(
			!ValidatorBonds::<T>::contains_key(&who),
			Error::<T>::AlreadyValidator
		);
		ensure!(
			amount >= T::MinValidatorBond::get(),
			Error::<T>::BondTooSmall
		);
		let mut set = ActiveValidators::<T>::get();
		if set.is_full() {
			let (index, smallest) =
				Self::smallest_seat(&set).ok_or(Error::<T>::BondBelowSmallestSeat)?;
			ensure!(amount > smallest, Error::<T>::BondBelowSmallestSeat);
			let evicted = set.remove(index);
			let at = Self::start_validator_unbonding(&evicted)?;
			Self::deposit_event(Event::ValidatorEvicted {
				validator: evicted,
				by: who.clone(),
				at,
			});
		}
		// Not full any more: an eviction above made room.
		set.try_push(who.clone())
			.map_err(|_| Error::<T>::BondBelowSmallestSeat)?;
		T::Currency::hold(&HoldReason::ValidatorBond.into(), &who, amount)
			.map_err(|_| Error::<T>::InsufficientBalance)?;
		ActiveValidators::<T>::put(set);
		ValidatorBonds::<T>::insert(
			&who,
			Bond {
				amount,
				unbonding_at: None,
			},
		);
		Self::deposit_event(Event::ValidatorRegistered {
			validator: who,
			bond: amount,
		});
		Ok(())
	}

	/// The seat a full set gives up to a larger bond: the smallest bond, and among equal
	/// smallest bonds the later-registered validator (an incumbent keeps its seat against an
	/// equal bid). `None` only for an empty set.
	fn smallest_seat(set: &[T::AccountId]) -> Option<(usize, BalanceOf<T>)> {
		set.iter()
			.enumerate()
			.map(|(i, v)| {
				// Every active validator has a bond (a `try_state` invariant).
				let bond = ValidatorBonds::<T>::get(v).map_or(Zero::zero(), |b| b.amount);
				(i, bond)
			})
			.reduce(|best, next| if next.1 <= best.1 { next } else { best })
	}

	/// [`Pallet::bond_validator_extra`].
	pub(crate) fn do_bond_validator_extra(
		who: T::AccountId,
		amount: BalanceOf<T>,
	) -> DispatchResult {
		ensure!(!amount.is_zero(), Error::<T>::ZeroBond);
		let total = ValidatorBonds::<T>::try_mutate(&who, |slot| {
			let bond = slot.as_mut().ok_or(Error::<T>::NotValidator)?;
			ensure!(bond.unbonding_at.is_none(), Error::<T>::Unbonding);
			T::Currency::hold(&HoldReason::ValidatorBond.into(), &who, amount)
				.map_err(|_| Error::<T>::InsufficientBalance)?;
			bond.amount = bond.amount.saturating_add(amount);
			Ok::<_, DispatchError>(bond.amount)
		})?;
		Self::deposit_event(Event::ValidatorBonded {
			validator: who,
			total,
		});
		Ok(())
	}

	/// Marks `who`'s validator bond unbonding from now (the caller removes it from the set);
	/// returns the block from which it can be withdrawn.
	pub(crate) fn start_validator_unbonding(
		who: &T::AccountId,
	) -> Result<BlockNumberFor<T>, DispatchError> {
		let at = Self::now().saturating_add(T::UnbondingDelay::get());
		ValidatorBonds::<T>::try_mutate(who, |slot| -> DispatchResult {
			let bond = slot.as_mut().ok_or(Error::<T>::NotValidator)?;
			ensure!(bond.unbonding_at.is_none(), Error::<T>::Unbonding);
			bond.unbonding_at = Some(at);
			Ok(())
		})?;
		Ok(at)
	}

	/// [`Pallet::unregister_validator`].
	pub(crate) fn do_unregister_validator(who: T::AccountId) -> DispatchResult {
		let at = Self::start_validator_unbonding(&who)?;
		ActiveValidators::<T>::mutate(|set| set.retain(|v| v != &who));
		Self::deposit_event(Event::ValidatorUnbonding { validator: who, at });
		Ok(())
	}

	/// [`Pallet::withdraw_validator_bond`].
	pub(crate) fn do_withdraw_validator_bond(who: T::AccountId) -> DispatchResult {
		let bond = ValidatorBonds::<T>::get(&who).ok_or(Error::<T>::NotValidator)?;
		let at = bond.unbonding_at.ok_or(Error::<T>::NotUnbonding)?;
		ensure!(Self::now() >= at, Error::<T>::StillUnbonding);
		ensure!(!Self::seated_in_open_round(&who), Error::<T>::InOpenRound);
		T::Currency::release(
			&HoldReason::ValidatorBond.into(),
			&who,
			bond.amount,
			Precision::Exact,
		)?;
		ValidatorBonds::<T>::remove(&who);
		MissedReports::<T>::remove(&who);
		Self::deposit_event(Event::ValidatorWithdrawn {
			validator: who,
			amount: bond.amount,
		});
		Ok(())
	}

	/// `who` may commit or submit to `model`'s rounds: bonded, not unbonding, and bonded at
	/// least [`Config::MinTrainerBond`] (slashes may have taken it below).
	pub(crate) fn ensure_bonded(model: ModelId, who: &T::AccountId) -> DispatchResult {
		let bond = TrainerBonds::<T>::get(model, who).ok_or(Error::<T>::NotBonded)?;
		ensure!(bond.unbonding_at.is_none(), Error::<T>::Unbonding);
		ensure!(
			bond.amount >= T::MinTrainerBond::get(),
			Error::<T>::BondTooSmall
		);
		Ok(())
	}

	/// Whether `who` has a commitment in `model`'s round in flight: it is slashed if it does
	/// not reveal, so its bond must stay until the round closes. (A retired model's abandoned
	/// round slashes nobody, and a buffered commitment owes no update.)
	pub(crate) fn committed_in_open_round(model: ModelId, who: &T::AccountId) -> bool {
		let Some(round) = CurrentRound::<T>::get(model) else {
			return false;
		};
		let open = Rounds::<T>::get(model, round).is_some_and(|info| {
			!info.phase.is_closed() && matches!(info.config.schedule, Schedule::Sync { .. })
		});
		open && Commitments::<T>::contains_key((model, round), who) && Self::is_live(model)
	}

	/// Whether `who` sits in the validator snapshot of a round still aggregating (taking
	/// report commitments or reveals): a report contradicting its finalized hash is slashed,
	/// so the bond must stay until it closes.
	/// Only models on the agenda have a round in flight, so this reads at most
	/// [`Config::MaxActiveModels`] rounds.
	pub(crate) fn seated_in_open_round(who: &T::AccountId) -> bool {
		Agenda::<T>::get().iter().any(|(model, _)| {
			CurrentRound::<T>::get(model).is_some_and(|round| {
				Rounds::<T>::get(model, round).is_some_and(|info| {
					matches!(
						info.phase,
						crate::RoundPhase::Aggregate | crate::RoundPhase::ReportReveal
					)
				}) && RoundValidators::<T>::get((*model, round))
					.iter()
					.any(|(v, _)| v == who)
			})
		})
	}
}
