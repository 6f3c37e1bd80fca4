//! Registration: what is stored and held, and every kind of refused configuration or
//! weights.

use super::*;

#[test]
fn register_stores_model_version_zero_and_holds_deposit() {
	new_test_ext().execute_with(|| {
		let id = register(ALICE);
		assert_eq!(id, 0);
		let info = Models::<Test>::get(0).unwrap();
		assert_eq!(info.owner, ALICE);
		assert_eq!(info.status, ModelStatus::Active);
		assert_eq!(info.parameter_count, 7850);
		assert_eq!(info.version, 0);
		assert_eq!(info.version_hash, initial());
		let v0 = Versions::<Test>::get(0, 0).unwrap();
		assert_eq!(
			(v0.hash, v0.parent, v0.round, v0.block),
			(initial(), None, None, 1)
		);
		assert_eq!(held(ALICE), 100);
		assert_eq!(NextModelId::<Test>::get(), 1);
		assert_eq!(activated(), vec![0]);
		System::assert_last_event(
			Event::ModelRegistered {
				model: 0,
				owner: ALICE,
				parameter_count: 7850,
				initial_hash: initial(),
			}
			.into(),
		);
		assert_ok!(ModelRegistry::do_try_state());
	});
}

#[test]
fn register_rejects_every_kind_of_invalid_config() {
	new_test_ext().execute_with(|| {
		let cases: Vec<(TrainingConfig<Balance>, Error<Test>)> = vec![
			(
				{
					let mut c = config();
					c.architecture.classes = 1;
					c
				},
				Error::InvalidArchitecture,
			),
			(
				{
					let mut c = config();
					c.architecture.kind = ModelKind::Mlp { hidden: [0, 8] };
					c
				},
				Error::InvalidArchitecture,
			),
			(
				{
					let mut c = config();
					c.hyper_params.batch_size = 0;
					c
				},
				Error::InvalidHyperParams,
			),
			(
				{
					let mut c = config();
					c.schedule = Schedule::Sync {
						commit_blocks: 0,
						reveal_blocks: 1,
						aggregate_blocks: 1,
						min_updates: 3,
					};
					c
				},
				Error::InvalidSchedule,
			),
			(
				{
					let mut c = config();
					c.reward_split.trainers -= 1;
					c
				},
				Error::InvalidRewardSplit,
			),
			(
				// Krum with f = 1 needs 5 updates; the schedule guarantees 3.
				{
					let mut c = config();
					c.aggregation = AggregationSpec::plain(AggregationRule::Krum { f: 1 });
					c
				},
				Error::RuleNeedsMoreUpdates,
			),
			(
				{
					let mut c = config();
					c.aggregation =
						AggregationSpec::plain(AggregationRule::TrimmedMean { beta: 600_000_000 });
					c
				},
				Error::InvalidRuleParams,
			),
		];
		for (bad, error) in cases {
			assert_noop!(
				ModelRegistry::register_model(RuntimeOrigin::signed(ALICE), bad, weights(), None),
				error
			);
		}
		assert!(activated().is_empty());
	});
}

#[test]
fn register_refuses_malformed_or_misshapen_weights() {
	new_test_ext().execute_with(|| {
		let mut truncated = weights().into_inner();
		truncated.pop();
		let mut not_finite = weights().into_inner();
		let last = not_finite.len() - 4;
		not_finite[last..].copy_from_slice(&f32::NAN.to_le_bytes());
		let too_small = tensor_codec::encode_f32(&[0.0; 10], &[10]).unwrap();
		let cases = [
			(truncated, Error::<Test>::MalformedWeights),
			(not_finite, Error::<Test>::MalformedWeights),
			(b"not a tensor".to_vec(), Error::<Test>::MalformedWeights),
			(too_small, Error::<Test>::WeightsShapeMismatch),
		];
		for (bytes, error) in cases {
			assert_noop!(
				ModelRegistry::register_model(
					RuntimeOrigin::signed(ALICE),
					config(),
					bytes.try_into().unwrap(),
					None
				),
				error
			);
		}
		assert!(activated().is_empty());
	});
}

#[test]
fn register_needs_the_deposit_and_a_signed_origin() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			ModelRegistry::register_model(RuntimeOrigin::signed(POOR), config(), weights(), None),
			Error::<Test>::InsufficientDeposit
		);
		assert_noop!(
			ModelRegistry::register_model(RuntimeOrigin::root(), config(), weights(), None),
			sp_runtime::DispatchError::BadOrigin
		);
	});
}

/// v1 → v2: a stored model's configuration gains update bounds and the aggregation pipeline:
/// the same rule and buckets, now unweighted.
#[test]
fn v1_models_are_migrated_unweighted_with_generous_bounds() {
	use crate::migrations::v2::MigrateV1ToV2;
	use codec::Encode;
	use fedledger_primitives::{
		model::{legacy, UpdateBounds},
		rules::{Mixing, SampleWeighting},
		traits::ModelStatus,
	};
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};
	new_test_ext().execute_with(|| {
		let current = TrainingConfig::<u128>::example(4, 2, 3, 1_000);
		let old_config = legacy::TrainingConfigV1 {
			architecture: current.architecture,
			hyper_params: current.hyper_params,
			aggregation: legacy::AggregationSpecV1 {
				rule: current.aggregation.rule,
				bucketing: Some(3),
			},
			scorer: current.scorer,
			schedule: current.schedule,
			reward_per_round: current.reward_per_round,
			reward_split: current.reward_split,
		};
		// A version-1 `ModelInfo`: its fields in order.
		let old = (
			7u64,
			ModelStatus::Active,
			old_config,
			10u32,
			None::<[u8; 32]>,
			5u128,
			1u64,
			0u32,
			[4u8; 32],
		);
		sp_io::storage::set(&Models::<Test>::hashed_key_for(0), &old.encode());
		StorageVersion::new(1).put::<ModelRegistry>();
		MigrateV1ToV2::<Test>::on_runtime_upgrade();
		let info = Models::<Test>::get(0).expect("decodes as a v2 model");
		assert_eq!(info.owner, 7);
		assert_eq!(info.version_hash, [4u8; 32]);
		assert_eq!(
			info.config.aggregation.mixing,
			Some(Mixing::Bucketing { size: 3 })
		);
		assert_eq!(
			info.config.aggregation.weighting,
			SampleWeighting::Unweighted
		);
		assert_eq!(info.config.update_bounds, UpdateBounds::GENEROUS);
		assert_eq!(
			ModelRegistry::on_chain_storage_version(),
			StorageVersion::new(2)
		);
	});
}
