//! The pot holding every pool and pending reward: funding a model's pool, and paying out of
//! the pot.

use crate::{pallet::*, BalanceOf, LOG_TARGET};
use fedledger_primitives::{
	traits::{ModelProvider, ModelStatus},
	ModelId,
};
use frame_support::{
	pallet_prelude::*,
	traits::{fungible::Mutate, tokens::Preservation},
};
use sp_runtime::{
	traits::{AccountIdConversion, Saturating, Zero},
	TokenError,
};

impl<T: Config> Pallet<T> {
	/// The account holding every pool and pending reward.
	pub fn pot_account() -> T::AccountId {
		T::PalletId::get().into_account_truncating()
	}

	/// [`Pallet::fund_model`].
	pub(crate) fn do_fund_model(
		who: T::AccountId,
		model: ModelId,
		amount: BalanceOf<T>,
	) -> DispatchResult {
		ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
		let view = T::Models::model(model).ok_or(Error::<T>::UnknownModel)?;
		ensure!(
			view.status != ModelStatus::Retired,
			Error::<T>::UnknownModel
		);
		T::Currency::transfer(&who, &Self::pot_account(), amount, Preservation::Preserve)
			.map_err(|_| Error::<T>::InsufficientBalance)?;
		Pools::<T>::mutate(model, |p| *p = p.saturating_add(amount));
		Funding::<T>::mutate(model, &who, |f| *f = f.saturating_add(amount));
		TotalFunding::<T>::mutate(model, |t| *t = t.saturating_add(amount));
		Self::deposit_event(Event::PoolFunded { model, who, amount });
		Ok(())
	}

	/// Pays `amount` (`what`, for the log) from the pot to `who`. Below the existential
	/// deposit of a new account is the caller's case; anything else means the pot cannot pay
	/// what it owes (a `try_state` invariant) and is logged.
	pub(crate) fn pay_from_pot(
		who: &T::AccountId,
		amount: BalanceOf<T>,
		what: &str,
	) -> DispatchResult {
		T::Currency::transfer(&Self::pot_account(), who, amount, Preservation::Expendable)
			.map_err(|e| {
				if e != TokenError::BelowMinimum.into() {
					log::error!(
						target: LOG_TARGET,
						"paying {amount:?} of {what} to {who:?} failed: {e:?}",
					);
				}
				Error::<T>::BelowExistentialDeposit
			})?;
		Ok(())
	}
}
