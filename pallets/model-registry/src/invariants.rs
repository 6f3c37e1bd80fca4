//! The invariants `try_state` checks (listed in the crate docs).

use crate::{pallet::*, BalanceOf};
use fedledger_primitives::{traits::ModelStatus, Digest};
use frame_support::traits::fungible::InspectHold;

impl<T: Config> Pallet<T> {
	/// Checks the invariants listed in the crate docs.
	pub fn do_try_state() -> Result<(), frame_support::sp_runtime::TryRuntimeError> {
		use alloc::collections::btree_map::BTreeMap;
		use frame_support::ensure;
		let next = NextModelId::<T>::get();
		let mut deposits: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		for (model, info) in Models::<T>::iter() {
			ensure!(model < next, "model id at or above NextModelId");
			let mut parent: Option<Digest> = None;
			for v in 0..=info.version {
				let record = Versions::<T>::get(model, v).ok_or("missing version in chain")?;
				ensure!(
					record.parent == parent,
					"version does not link to its parent"
				);
				ensure!(
					(v == 0) == record.round.is_none(),
					"only version 0 has no round"
				);
				parent = Some(record.hash);
			}
			ensure!(
				parent == Some(info.version_hash),
				"model hash is not the chain head"
			);
			ensure!(
				Versions::<T>::get(model, info.version.saturating_add(1)).is_none(),
				"version beyond the chain head"
			);
			if info.status != ModelStatus::Retired {
				let d = deposits.entry(info.owner.clone()).or_default();
				*d += info.deposit;
			}
		}
		for (owner, total) in deposits {
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::ModelDeposit.into(), &owner) == total,
				"held deposit differs from the owner's models' deposits"
			);
		}
		Ok(())
	}
}
