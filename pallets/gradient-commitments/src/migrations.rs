//! Storage migrations of the gradient-commitments pallet, one module per storage version.

/// Version 1 → 2: a commitment records the block it was made in ([`crate::Commitment`]),
/// so that a buffered submission can be required to follow its commitment.
pub mod v2 {
	use crate::{pallet::*, Commitment};
	use core::marker::PhantomData;
	use fedledger_primitives::Digest;
	use frame_support::{
		migrations::VersionedMigration, pallet_prelude::*, traits::UncheckedOnRuntimeUpgrade,
	};
	use sp_runtime::traits::Zero;

	/// The translation itself; run it through [`MigrateV1ToV2`], which checks and bumps the
	/// storage version.
	pub struct InnerMigrateV1ToV2<T>(PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV1ToV2<T> {
		/// Every stored digest becomes a commitment made at block 0. In version 1 only
		/// synchronous rounds took commitments, and they never read the block, so any block
		/// before the upgrade is as good as the real one. The map holds at most
		/// [`Config::MaxCommitsPerRound`] entries per round still open (closed rounds are
		/// cleared), so one block carries the translation.
		fn on_runtime_upgrade() -> Weight {
			let mut translated = 0u64;
			Commitments::<T>::translate::<Digest, _>(|_round, _who, digest| {
				translated += 1;
				Some(Commitment {
					digest,
					at: Zero::zero(),
				})
			});
			T::DbWeight::get().reads_writes(translated, translated)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<alloc::vec::Vec<u8>, sp_runtime::TryRuntimeError> {
			use codec::Encode;
			let count = Commitments::<T>::iter_keys().count() as u64;
			Ok(count.encode())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			use codec::Decode;
			let before = u64::decode(&mut &state[..]).map_err(|_| "pre_upgrade state")?;
			let after = Commitments::<T>::iter().count() as u64;
			ensure!(before == after, "commitments lost in the migration");
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

/// Version 2 → 3: a round's configuration snapshot gains update bounds and the aggregation
/// pipeline ([`fedledger_primitives::model::legacy`]), and a round records the seed its
/// aggregation draws ([`crate::RoundInfo::aggregation_seed`]).
pub mod v3 {
	use crate::{pallet::*, BalanceOf, RoundInfo};
	use core::marker::PhantomData;
	use fedledger_primitives::{model::legacy::TrainingConfigV1, Digest, VersionIndex};
	use frame_support::{
		migrations::VersionedMigration, pallet_prelude::*, traits::UncheckedOnRuntimeUpgrade,
	};
	use frame_system::pallet_prelude::BlockNumberFor;
	use sp_runtime::traits::Hash;

	/// `RoundInfo` as stored in version 2.
	#[derive(Encode, Decode)]
	pub struct RoundInfoV2<Balance, BlockNumber> {
		base_version: VersionIndex,
		base_hash: Digest,
		config: TrainingConfigV1<Balance>,
		parameter_count: u32,
		opened_at: BlockNumber,
		phase: crate::RoundPhase,
		phase_ends_at: BlockNumber,
		commits: u32,
		updates: u32,
		validator_stake: Balance,
		finalized_hash: Option<Digest>,
	}

	/// The translation itself; run it through [`MigrateV2ToV3`].
	pub struct InnerMigrateV2ToV3<T>(PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV2ToV3<T> {
		/// Every stored round's configuration is upgraded (unweighted, generous bounds: see
		/// `TrainingConfigV1::upgrade`). Every round gets a seed derived from its base hash,
		/// which was fixed before any commitment, so no payload chose it either. `Rounds` holds
		/// at most `RoundRetention` rounds per model (pruned in `on_idle`), so one block
		/// carries the translation.
		fn on_runtime_upgrade() -> Weight {
			let mut translated = 0u64;
			Rounds::<T>::translate::<RoundInfoV2<BalanceOf<T>, BlockNumberFor<T>>, _>(
				|model, round, old| {
					translated += 1;
					let seed = sp_runtime::traits::BlakeTwo256::hash_of(&(
						b"fedledger/aggregation-seed/migrated",
						model,
						round,
						old.base_hash,
					))
					.0;
					Some(RoundInfo {
						base_version: old.base_version,
						base_hash: old.base_hash,
						config: old.config.upgrade(),
						parameter_count: old.parameter_count,
						opened_at: old.opened_at,
						phase: old.phase,
						phase_ends_at: old.phase_ends_at,
						commits: old.commits,
						updates: old.updates,
						validator_stake: old.validator_stake,
						aggregation_seed: seed,
						finalized_hash: old.finalized_hash,
					})
				},
			);
			T::DbWeight::get().reads_writes(translated, translated)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<alloc::vec::Vec<u8>, sp_runtime::TryRuntimeError> {
			Ok((Rounds::<T>::iter_keys().count() as u64).encode())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			let before = u64::decode(&mut &state[..]).map_err(|_| "pre_upgrade state")?;
			ensure!(
				before == Rounds::<T>::iter().count() as u64,
				"rounds lost in the migration"
			);
			Ok(())
		}
	}

	/// The migration to add to the runtime's `Executive` migrations: runs
	/// [`InnerMigrateV2ToV3`] only on storage version 2, then sets version 3.
	pub type MigrateV2ToV3<T> = VersionedMigration<
		2,
		3,
		InnerMigrateV2ToV3<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}
