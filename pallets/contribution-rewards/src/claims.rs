//! Paying out pending rewards.

use crate::{pallet::*, LOG_TARGET};
use frame_support::{
	pallet_prelude::*,
	traits::{fungible::Mutate, tokens::Preservation},
};
use sp_runtime::{
	traits::{Saturating, Zero},
	TokenError,
};

impl<T: Config> Pallet<T> {
	/// [`Pallet::claim_rewards`].
	pub(crate) fn do_claim_rewards(who: T::AccountId) -> DispatchResult {
		let amount = PendingRewards::<T>::get(&who);
		ensure!(!amount.is_zero(), Error::<T>::NothingToClaim);
		T::Currency::transfer(&Self::pot_account(), &who, amount, Preservation::Expendable)
			.map_err(|e| {
				// Below the existential deposit is the caller's case; anything else means the
				// pot cannot pay what it owes (a `try_state` invariant).
				if e != TokenError::BelowMinimum.into() {
					log::error!(
						target: LOG_TARGET,
						"paying {amount:?} pending rewards to {who:?} failed: {e:?}",
					);
				}
				Error::<T>::BelowExistentialDeposit
			})?;
		PendingRewards::<T>::remove(&who);
		TotalPending::<T>::mutate(|t| *t = t.saturating_sub(amount));
		Self::deposit_event(Event::RewardsClaimed { who, amount });
		Ok(())
	}
}
