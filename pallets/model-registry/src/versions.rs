//! The version chain and the [`ModelProvider`] other pallets read models through.

use crate::{pallet::*, BalanceOf, VersionRecord};
use fedledger_primitives::{
	traits::{ModelProvider, ModelStatus, ModelView},
	Digest, ModelId, RoundIndex, VersionIndex,
};
use frame_support::traits::Defensive;

impl<T: Config> ModelProvider<T::AccountId, BalanceOf<T>> for Pallet<T> {
	fn model(model: ModelId) -> Option<ModelView<T::AccountId, BalanceOf<T>>> {
		Pallet::<T>::model_info(model).map(|info| ModelView {
			owner: info.owner,
			status: info.status,
			config: info.config,
			parameter_count: info.parameter_count,
			version: info.version,
			version_hash: info.version_hash,
		})
	}

	/// Appends `new_hash` as the next version of `model`, finalized by `round`; `None` if the
	/// model is gone or retired.
	fn append_version(model: ModelId, round: RoundIndex, new_hash: Digest) -> Option<VersionIndex> {
		Models::<T>::mutate(model, |slot| {
			let info = slot.as_mut()?;
			if info.status == ModelStatus::Retired {
				return None;
			}
			// One version per finalized round: `u32::MAX` versions are out of reach.
			let version = info
				.version
				.checked_add(1)
				.defensive_proof("a model's version count cannot overflow")?;
			let parent = info.version_hash;
			Versions::<T>::insert(
				model,
				version,
				VersionRecord {
					hash: new_hash,
					parent: Some(parent),
					round: Some(round),
					block: frame_system::Pallet::<T>::block_number(),
				},
			);
			info.version = version;
			info.version_hash = new_hash;
			Pallet::<T>::deposit_event(Event::VersionAppended {
				model,
				version,
				round,
				hash: new_hash,
				parent,
			});
			Some(version)
		})
	}
}
