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
