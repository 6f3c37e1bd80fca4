//! Returning a retired model's pool to the accounts that funded it.
//!
//! A retired model releases no more rewards, so what is left of its pool belongs to its
//! funders: each may claim `pool · funded / total funded`, computed over what is still
//! unclaimed, so the shares do not depend on the order of the claims and the last claimer
//! takes the rounding dust (the pool ends at zero exactly).

use crate::{pallet::*, BalanceOf};
use fedledger_primitives::{
	traits::{ModelProvider, ModelStatus},
	ModelId,
};
use frame_support::pallet_prelude::*;
use sp_runtime::{
	helpers_128bit::multiply_by_rational_with_rounding,
	traits::{SaturatedConversion, Saturating, Zero},
	Rounding,
};

impl<T: Config> Pallet<T> {
	/// [`Pallet::claim_refund`].
	pub(crate) fn do_claim_refund(who: T::AccountId, model: ModelId) -> DispatchResult {
		let view = T::Models::model(model).ok_or(Error::<T>::UnknownModel)?;
		ensure!(view.status == ModelStatus::Retired, Error::<T>::NotRetired);
		let funded = Funding::<T>::get(model, &who);
		ensure!(!funded.is_zero(), Error::<T>::NothingToRefund);
		let unclaimed = TotalFunding::<T>::get(model);
		let pool = Pools::<T>::get(model);
		let amount = Self::refund_share(pool, funded, unclaimed);
		if !amount.is_zero() {
			Self::pay_from_pot(&who, amount, "a retired model's pool")?;
		}
		Pools::<T>::insert(model, pool.saturating_sub(amount));
		TotalFunding::<T>::insert(model, unclaimed.saturating_sub(funded));
		Funding::<T>::remove(model, &who);
		Self::deposit_event(Event::RefundClaimed { model, who, amount });
		Ok(())
	}

	/// `pool · funded / unclaimed`, rounding down; the whole pool for the last funder
	/// (`funded == unclaimed`).
	pub(crate) fn refund_share(
		pool: BalanceOf<T>,
		funded: BalanceOf<T>,
		unclaimed: BalanceOf<T>,
	) -> BalanceOf<T> {
		if funded >= unclaimed {
			return pool;
		}
		let (pool, funded, unclaimed): (u128, u128, u128) = (
			pool.saturated_into(),
			funded.saturated_into(),
			unclaimed.saturated_into(),
		);
		// `funded < unclaimed`, so the share is below `pool` and fits the balance type.
		multiply_by_rational_with_rounding(pool, funded, unclaimed, Rounding::Down)
			.unwrap_or(0)
			.saturated_into()
	}
}
