//! Registrations a hostile owner would send to stall every node that follows the model: each
//! is refused with a typed error and changes nothing (issue #11: bounded models and compute).

use super::*;
use fedledger_primitives::{
	model::{MAX_BATCH_SIZE, MAX_LOCAL_EPOCHS, MAX_STALENESS},
	rules::{StalenessFn, MAX_RULE_ITERATIONS},
	traits::ScheduleError,
};

/// A 32-byte top-k payload with k = 0 that claims `params` parameters in one dimension (the
/// codec's header layout, written out): what a hostile owner sends so that every decoder that
/// trusts the header allocates one f32 per claimed parameter.
fn sparse_claiming(params: u32) -> Vec<u8> {
	let mut bytes = Vec::with_capacity(tensor_codec::HEADER_LEN);
	bytes.extend_from_slice(&tensor_codec::MAGIC);
	bytes.extend_from_slice(&[tensor_codec::VERSION, 3, 1, 0]); // top-k, one dimension
	bytes.extend_from_slice(&params.to_le_bytes()); // param_count
	bytes.extend_from_slice(&params.to_le_bytes()); // dims[0]
	bytes.extend_from_slice(&[0; 12]); // dims[1..4]
	bytes.extend_from_slice(&0u32.to_le_bytes()); // k = 0: no body
	let header = tensor_codec::validate(&bytes, u32::MAX).expect("a canonical payload");
	assert_eq!(header.param_count, params);
	bytes
}

fn refused(config: TrainingConfig<Balance>, weights: Vec<u8>, error: Error<Test>) {
	assert_noop!(
		ModelRegistry::register_model(
			RuntimeOrigin::signed(ALICE),
			config,
			weights.try_into().expect("fits MaxWeightsLen"),
			None
		),
		error
	);
}

#[test]
fn a_giant_model_with_tiny_sparse_weights_is_refused() {
	new_test_ext().execute_with(|| {
		// MLP 784-[5 000 000]-10: 3 975 000 010 parameters, registered with 32 bytes of weights.
		let mut giant = config();
		giant.architecture.kind = ModelKind::Mlp {
			hidden: [5_000_000, 0],
		};
		assert_eq!(giant.architecture.parameter_count(), Some(3_975_000_010));
		refused(
			giant,
			sparse_claiming(3_975_000_010),
			Error::TooManyParameters,
		);
		assert!(activated().is_empty());
	});
}

#[test]
fn unbounded_compute_is_refused() {
	new_test_ext().execute_with(|| {
		let with = |f: &dyn Fn(&mut TrainingConfig<Balance>)| {
			let mut c = config();
			f(&mut c);
			c
		};
		let cases = [
			(
				with(&|c| {
					c.aggregation = AggregationSpec::plain(AggregationRule::GeometricMedian {
						iters: u32::MAX,
						eps: 1,
					})
				}),
				Error::TooManyRuleIterations,
			),
			(
				with(&|c| {
					c.aggregation = AggregationSpec::plain(AggregationRule::CenteredClipping {
						tau: 500_000,
						iters: MAX_RULE_ITERATIONS + 1,
					})
				}),
				Error::TooManyRuleIterations,
			),
			(
				with(&|c| {
					c.hyper_params.local_epochs = u16::MAX;
					c.hyper_params.batch_size = 1;
				}),
				Error::TooMuchLocalWork,
			),
			(
				with(&|c| c.hyper_params.local_epochs = MAX_LOCAL_EPOCHS + 1),
				Error::TooMuchLocalWork,
			),
			(
				with(&|c| c.hyper_params.batch_size = MAX_BATCH_SIZE + 1),
				Error::TooMuchLocalWork,
			),
			(
				// 2 inputs, one hidden layer of 5 000 units: 65 010 parameters, but too wide.
				with(&|c| {
					c.architecture.input_dim = 2;
					c.architecture.kind = ModelKind::Mlp { hidden: [5_000, 0] };
				}),
				Error::HiddenLayerTooWide,
			),
			(
				with(&|c| {
					c.schedule = Schedule::BufferedAsync {
						buffer_size: 3,
						max_staleness: MAX_STALENESS + 1,
						staleness: StalenessFn::Constant,
						buffer_blocks: 4,
						aggregate_blocks: 4,
						min_updates: 3,
					}
				}),
				Error::StalenessTooLarge,
			),
		];
		for (bad, error) in cases {
			refused(bad, weights().into_inner(), error);
		}
		assert!(activated().is_empty());
	});
}

#[test]
fn the_bounds_themselves_are_accepted() {
	new_test_ext().execute_with(|| {
		let mut c = config();
		c.hyper_params.local_epochs = MAX_LOCAL_EPOCHS;
		c.hyper_params.batch_size = MAX_BATCH_SIZE;
		c.aggregation = AggregationSpec::plain(AggregationRule::GeometricMedian {
			iters: MAX_RULE_ITERATIONS,
			eps: 1,
		});
		assert_ok!(ModelRegistry::register_model(
			RuntimeOrigin::signed(ALICE),
			c,
			weights(),
			None
		));
	});
}

#[test]
fn sparse_initial_weights_are_refused_even_for_a_small_model() {
	new_test_ext().execute_with(|| {
		// The example model (7 850 parameters) with its weights top-k encoded.
		let sparse = tensor_codec::encode_topk(&[0.5; 7850], &[7850], 10).unwrap();
		refused(config(), sparse, Error::SparseInitialWeights);
		assert!(activated().is_empty());
	});
}

#[test]
fn the_round_schedulers_refusals_are_typed_registry_errors() {
	new_test_ext().execute_with(|| {
		let cases = [
			(ScheduleError::PhaseTooShort, Error::<Test>::PhaseTooShort),
			(ScheduleError::PhaseTooLong, Error::PhaseTooLong),
			(
				ScheduleError::WindowTooShortForPayload,
				Error::RevealWindowTooShort,
			),
			(
				ScheduleError::MoreUpdatesThanSlots,
				Error::MoreUpdatesThanSlots,
			),
			(ScheduleError::AgendaFull, Error::AgendaFull),
		];
		for (refusal, error) in cases {
			scheduler_refuses(Some(refusal));
			refused(config(), weights().into_inner(), error);
			assert_eq!(held(ALICE), 0);
		}
		scheduler_refuses(None);
		let id = register(ALICE);
		// Reconfiguring goes through the same schedule check.
		scheduler_refuses(Some(ScheduleError::PhaseTooShort));
		assert_noop!(
			ModelRegistry::update_config(RuntimeOrigin::signed(ALICE), id, config()),
			Error::<Test>::PhaseTooShort
		);
	});
}

#[test]
fn resuming_into_a_full_agenda_fails_and_stays_paused() {
	new_test_ext().execute_with(|| {
		let id = register(ALICE);
		assert_ok!(ModelRegistry::pause_model(RuntimeOrigin::signed(ALICE), id));
		scheduler_refuses(Some(ScheduleError::AgendaFull));
		assert_noop!(
			ModelRegistry::resume_model(RuntimeOrigin::signed(ALICE), id),
			Error::<Test>::AgendaFull
		);
		assert_eq!(Models::<Test>::get(id).unwrap().status, ModelStatus::Paused);
	});
}

#[test]
fn retiring_tells_the_round_scheduler() {
	new_test_ext().execute_with(|| {
		let id = register(ALICE);
		assert_ok!(ModelRegistry::retire_model(
			RuntimeOrigin::signed(ALICE),
			id
		));
		assert_eq!(retired(), vec![id]);
	});
}
