//! Storage migrations of the model registry, one module per storage version.

/// Version 1 → 2: a model's configuration gains update bounds and the aggregation pipeline
/// (clipping, mixing, sample weighting); see [`fedledger_primitives::model::legacy`].
pub mod v2 {
	use crate::{pallet::*, BalanceOf, ModelInfo};
	use core::marker::PhantomData;
	use fedledger_primitives::{
		model::legacy::TrainingConfigV1, traits::ModelStatus, Digest, VersionIndex,
	};
	use frame_support::{
		migrations::VersionedMigration, pallet_prelude::*, traits::UncheckedOnRuntimeUpgrade,
	};
	use frame_system::pallet_prelude::BlockNumberFor;

	/// `ModelInfo` as stored in version 1.
	#[derive(Encode, Decode)]
	pub struct ModelInfoV1<AccountId, Balance, BlockNumber> {
		owner: AccountId,
		status: ModelStatus,
		config: TrainingConfigV1<Balance>,
		parameter_count: u32,
		validation_set_hash: Option<Digest>,
		deposit: Balance,
		registered_at: BlockNumber,
		version: VersionIndex,
		version_hash: Digest,
	}

	/// The translation itself; run it through [`MigrateV1ToV2`].
	pub struct InnerMigrateV1ToV2<T>(PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV1ToV2<T> {
		/// Every model's configuration is upgraded: the same rule and buckets, unweighted,
		/// with `UpdateBounds::GENEROUS` (`TrainingConfigV1::upgrade`). Registering needs a
		/// deposit, so the map is small; one block carries it.
		fn on_runtime_upgrade() -> Weight {
			let mut translated = 0u64;
			Models::<T>::translate::<ModelInfoV1<T::AccountId, BalanceOf<T>, BlockNumberFor<T>>, _>(
				|_id, old| {
					translated += 1;
					Some(ModelInfo {
						owner: old.owner,
						status: old.status,
						config: old.config.upgrade(),
						parameter_count: old.parameter_count,
						validation_set_hash: old.validation_set_hash,
						deposit: old.deposit,
						registered_at: old.registered_at,
						version: old.version,
						version_hash: old.version_hash,
					})
				},
			);
			T::DbWeight::get().reads_writes(translated, translated)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<alloc::vec::Vec<u8>, sp_runtime::TryRuntimeError> {
			Ok((Models::<T>::iter_keys().count() as u64).encode())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			let before = u64::decode(&mut &state[..]).map_err(|_| "pre_upgrade state")?;
			ensure!(
				before == Models::<T>::iter().count() as u64,
				"models lost in the migration"
			);
			Ok(())
		}
	}

	/// The migration to add to the runtime's `Executive` migrations: runs
	/// [`InnerMigrateV1ToV2`] only on storage version 1, then sets version 2.
	pub type MigrateV1ToV2<T> = VersionedMigration<
		1,
		2,
		InnerMigrateV1ToV2<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}
