//! Paying out pending rewards.

use crate::pallet::*;
use frame_support::pallet_prelude::*;
use sp_runtime::traits::{Saturating, Zero};

impl<T: Config> Pallet<T> {
	/// [`Pallet::claim_rewards`].
	pub(crate) fn do_claim_rewards(who: T::AccountId) -> DispatchResult {
		let amount = PendingRewards::<T>::get(&who);
		ensure!(!amount.is_zero(), Error::<T>::NothingToClaim);
		Self::pay_from_pot(&who, amount, "pending rewards")?;
		PendingRewards::<T>::remove(&who);
		TotalPending::<T>::mutate(|t| *t = t.saturating_sub(amount));
		Self::deposit_event(Event::RewardsClaimed { who, amount });
		Ok(())
	}
}
