//! The pot holding every pool and pending reward, and funding a model's pool.

use crate::{pallet::*, BalanceOf};
use fedledger_primitives::{
	traits::{ModelProvider, ModelStatus},
	ModelId,
};
use frame_support::{
	pallet_prelude::*,
	traits::{fungible::Mutate, tokens::Preservation},
};
use sp_runtime::traits::{AccountIdConversion, Saturating, Zero};

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
}
