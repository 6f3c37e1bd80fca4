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
