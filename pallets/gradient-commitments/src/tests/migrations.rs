//! Storage migrations: v1 → v2 (commitments record their block).

use super::*;
use crate::migrations::v2::MigrateV1ToV2;
use codec::Encode;
use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};

#[test]
fn v1_commitments_become_commitments_made_at_block_zero() {
	new_test_ext().execute_with(|| {
		let (key, who, digest): (RoundKey, AccountId, fedledger_primitives::Digest) =
			((0, 3), 10, [7u8; 32]);
		// A version-1 entry: the bare digest.
		sp_io::storage::set(
			&Commitments::<Test>::hashed_key_for(key, who),
			&digest.encode(),
		);
		StorageVersion::new(1).put::<GradientCommitments>();
		MigrateV1ToV2::<Test>::on_runtime_upgrade();
		assert_eq!(
			Commitments::<Test>::get(key, who),
			Some(Commitment { digest, at: 0 })
		);
		assert_eq!(
			GradientCommitments::on_chain_storage_version(),
			StorageVersion::new(2)
		);
		// At version 2 it does nothing: a v2 entry is not read as a digest again.
		let after = Commitments::<Test>::get(key, who);
		MigrateV1ToV2::<Test>::on_runtime_upgrade();
		assert_eq!(Commitments::<Test>::get(key, who), after);
	});
}
