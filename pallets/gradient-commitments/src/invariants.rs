//! The invariants `try_state` checks (listed in the crate docs).

use crate::{pallet::*, BalanceOf};
use alloc::collections::btree_map::BTreeMap;
use frame_support::{
	ensure,
	traits::{fungible::InspectHold, Get},
};
use sp_runtime::traits::{Saturating, Zero};

impl<T: Config> Pallet<T> {
	/// Invariants: bonds equal holds; the active set has bonds that are not unbonding; every
	/// current round exists; update counts match the reveal order.
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
		for (model, round) in CurrentRound::<T>::iter() {
			let info = Rounds::<T>::get(model, round).ok_or("current round missing")?;
			ensure!(
				UpdateOrder::<T>::get((model, round)).len() as u32 == info.updates,
				"update count differs from the reveal order"
			);
			ensure!(
				info.updates <= T::MaxUpdatesPerRound::get(),
				"round over capacity"
			);
		}
		Ok(())
	}
}
