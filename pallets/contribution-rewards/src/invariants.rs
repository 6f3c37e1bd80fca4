//! The invariants `try_state` checks (listed in the crate docs).

use crate::{pallet::*, BalanceOf};
use frame_support::{ensure, traits::fungible::Inspect};
use sp_runtime::traits::{Saturating, Zero};

impl<T: Config> Pallet<T> {
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
		for (model, total) in TotalFunding::<T>::iter() {
			let funded = Funding::<T>::iter_prefix_values(model)
				.fold(BalanceOf::<T>::zero(), |acc, f| acc.saturating_add(f));
			ensure!(
				funded == total,
				"TotalFunding differs from the sum of a model's funding"
			);
		}
		Ok(())
	}
}
