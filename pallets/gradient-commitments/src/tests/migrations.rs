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

/// v2 → v3: a stored round's configuration gains update bounds and the pipeline (unweighted,
/// same buckets) and the round gets an aggregation seed from its base hash.
#[test]
fn v2_rounds_get_the_pipeline_unweighted_and_a_seed() {
	use crate::migrations::v3::MigrateV2ToV3;
	use fedledger_primitives::{
		model::{legacy, UpdateBounds},
		rules::{Mixing, SampleWeighting},
	};
	new_test_ext().execute_with(|| {
		let current = config(3);
		let old_config = legacy::TrainingConfigV1 {
			architecture: current.architecture,
			hyper_params: current.hyper_params,
			aggregation: legacy::AggregationSpecV1 {
				rule: current.aggregation.rule,
				bucketing: Some(2),
			},
			scorer: current.scorer,
			schedule: current.schedule,
			reward_per_round: current.reward_per_round,
			reward_split: current.reward_split,
		};
		let base_hash = [9u8; 32];
		// A version-2 `RoundInfo`: its fields in order (a struct encodes as the tuple).
		let old = (
			(
				0u32,
				base_hash,
				old_config,
				10u32,
				2u64,
				RoundPhase::Aggregate,
				11u64,
			),
			(3u32, 3u32, 3_000u128, None::<[u8; 32]>),
		);
		let bytes = {
			let mut b = old.0.encode();
			b.extend(old.1.encode());
			b
		};
		sp_io::storage::set(&Rounds::<Test>::hashed_key_for(0, 4), &bytes);
		StorageVersion::new(2).put::<GradientCommitments>();
		MigrateV2ToV3::<Test>::on_runtime_upgrade();
		let info = Rounds::<Test>::get(0, 4).expect("decodes as a v3 round");
		assert_eq!(info.base_hash, base_hash);
		assert_eq!(info.phase, RoundPhase::Aggregate);
		assert_eq!(info.validator_stake, 3_000);
		assert_eq!(
			info.config.aggregation.mixing,
			Some(Mixing::Bucketing { size: 2 })
		);
		assert_eq!(
			info.config.aggregation.weighting,
			SampleWeighting::Unweighted
		);
		assert_eq!(info.config.update_bounds, UpdateBounds::GENEROUS);
		assert_ne!(info.aggregation_seed, [0; 32]);
		assert_eq!(
			GradientCommitments::on_chain_storage_version(),
			StorageVersion::new(3)
		);
	});
}
