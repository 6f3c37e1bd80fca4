use super::*;
use fedledger_primitives::rules::{AggregationRule, Clipping, Mixing, SampleWeighting};

fn update(values: Vec<f32>, tag: u8) -> RoundUpdate {
	RoundUpdate {
		payload_hash: [tag; 32],
		values,
		num_samples: 10,
		base_version: 0,
	}
}

/// A synchronous round of `model` / `round` on chain (server step 1.0).
fn sync_round(
	model: ModelId,
	round: RoundIndex,
	spec: AggregationSpec,
	base: Vec<f32>,
	updates: Vec<RoundUpdate>,
) -> RoundInputs {
	RoundInputs {
		model,
		round,
		spec,
		staleness: None,
		base,
		base_version: 0,
		updates,
		seed: [0x5e; 32],
		server_lr: CHAIN_SERVER_LR,
	}
}

#[test]
fn multi_krum_rejects_the_outlier_and_scores_it_zero() {
	let base = vec![0.5f32; 4];
	let honest = |k: f32| vec![0.1 + k, 0.1, -0.1, 0.2 - k];
	let updates = vec![
		update(honest(0.0), 1),
		update(honest(0.01), 2),
		update(vec![-5.0, -5.0, 5.0, -5.0], 3),
		update(honest(-0.01), 4),
		update(honest(0.02), 5),
	];
	let spec = AggregationSpec::plain(AggregationRule::MultiKrum { f: 1, m: 3 });
	let next = next_model(&sync_round(0, 1, spec, base, updates)).unwrap();
	assert!(!next.accepted[2]);
	assert_eq!(next.scores[2], 0);
	assert!(next.scores[0] > 900_000_000);
	assert_eq!(accepted_indices(&next.accepted).len(), 3);
	let w = decode_weights(&next.weights, 4).unwrap();
	assert!((w[0] - 0.6).abs() < 0.05, "{w:?}");
	assert_eq!(next.hash, tensor_codec::digest(&next.weights));
	assert_eq!(next.values(), w);
}

fn thread_count_round(spec: AggregationSpec) -> RoundInputs {
	let d = 5_000;
	let base: Vec<f32> = (0..d).map(|i| (i as f32 * 0.37).sin()).collect();
	let updates: Vec<RoundUpdate> = (0..7u8)
		.map(|k| {
			let values = (0..d)
				.map(|i| ((i * (k as usize + 3)) as f32 * 0.011).cos() * 0.1)
				.collect();
			RoundUpdate {
				payload_hash: [k; 32],
				values,
				num_samples: 10 + k as u32,
				base_version: 0,
			}
		})
		.collect();
	sync_round(3, 9, spec, base, updates)
}

/// Validators run with different core counts: the reported hash must not depend on it.
#[test]
fn the_next_model_is_bit_identical_across_thread_counts() {
	for rule in [
		AggregationRule::FedAvg,
		AggregationRule::TrimmedMean { beta: 200_000_000 },
		AggregationRule::MultiKrum { f: 2, m: 3 },
		AggregationRule::GeometricMedian { iters: 8, eps: 1 },
	] {
		for spec in [
			AggregationSpec::plain(rule),
			AggregationSpec::bucketed(rule, 2),
			AggregationSpec {
				clipping: Some(Clipping::Adaptive { f: 1 }),
				mixing: Some(Mixing::NearestNeighbours { f: 1 }),
				weighting: SampleWeighting::Capped { cap: 1_500_000 },
				..AggregationSpec::plain(rule)
			},
		] {
			if spec.validate(7).is_err() {
				continue; // Multi-Krum with f = 2 needs 7 inputs, 4 buckets are too few
			}
			let inputs = thread_count_round(spec);
			let run = |threads: usize| {
				rayon::ThreadPoolBuilder::new()
					.num_threads(threads)
					.build()
					.unwrap()
					.install(|| next_model(&inputs).unwrap())
			};
			let one = run(1);
			let many = run(4);
			assert_eq!(one.hash, many.hash, "{spec}");
			assert_eq!(one.accepted, many.accepted, "{spec}");
		}
	}
}

#[test]
fn same_inputs_give_the_same_hash_and_a_shape_error_names_the_update() {
	let base = vec![0.0f32; 3];
	let updates: Vec<_> = (0..3)
		.map(|i| update(vec![i as f32, 1.0, 2.0], i as u8))
		.collect();
	let spec = AggregationSpec::plain(AggregationRule::Median);
	let inputs = sync_round(2, 5, spec, base, updates);
	let a = next_model(&inputs).unwrap();
	let b = next_model(&inputs).unwrap();
	assert_eq!(a.hash, b.hash);
	let mut bad = inputs.clone();
	bad.updates[1].values.pop();
	let err = next_model(&bad).unwrap_err();
	assert!(
		matches!(err, ConsensusError::Shape { index: 1, .. }),
		"{err}"
	);
}

/// A buffered-async round with bucketing and a synchronous one, pinned so that no change to the
/// consensus step goes unnoticed. Last changed on purpose when rules became unweighted by
/// default and the bucketing seed moved to the chain's randomness (issue #13); before that
/// the hashes had held since the validator's step became the one shared function (15b4e45).
#[test]
fn the_chain_step_keeps_its_hashes() {
	let d = 64;
	let base: Vec<f32> = (0..d).map(|i| (i as f32 * 0.13).sin()).collect();
	let updates: Vec<RoundUpdate> = (0..6u32)
		.map(|k| {
			let values: Vec<f32> = (0..d)
				.map(|i| ((i as u32 * (k + 2)) as f32 * 0.07).cos() * 0.05)
				.collect();
			RoundUpdate::from_values(values, 5 + 3 * k, 4 - k % 3).unwrap()
		})
		.collect();
	let mut inputs = RoundInputs {
		model: 7,
		round: 11,
		spec: AggregationSpec::bucketed(AggregationRule::TrimmedMean { beta: 200_000_000 }, 2),
		staleness: Some(StalenessFn::Polynomial { a: 500_000 }),
		base,
		base_version: 4,
		updates,
		seed: [0x5e; 32],
		server_lr: CHAIN_SERVER_LR,
	};
	let hex = |d: &Digest| crate::hex::to_hex(d);
	assert_eq!(hex(&next_model(&inputs).unwrap().hash), GOLDEN_ASYNC);
	inputs.staleness = None;
	inputs.spec.rule = AggregationRule::MultiKrum { f: 0, m: 2 };
	assert_eq!(hex(&next_model(&inputs).unwrap().hash), GOLDEN_SYNC);
	// A simulator knob, not a second code path: a server step of 1 is the chain's step.
	inputs.server_lr = 0.5;
	assert_ne!(hex(&next_model(&inputs).unwrap().hash), GOLDEN_SYNC);
}

const GOLDEN_ASYNC: &str = "c6bad3b3afd3d7b74c7a1b0dc39030fdb1e37a5739df480748bf309c2b01a0b8";
const GOLDEN_SYNC: &str = "cb45dd01014c2d4db8426d3a297f4839d1e227d7978ce594671de577e5a57ae0";

/// The giant model of issue #11: an MLP 784-[5 000 000]-10 whose weights are a 32-byte
/// top-k-sparse payload with k = 0.
const GIANT: u32 = 3_975_000_010;

#[test]
fn capped_decode_refuses_a_giant_sparse_payload_before_allocating() {
	let payload = tensor_codec::encode_sparse(&[], &[], &[GIANT]).unwrap();
	assert_eq!(payload.len(), 32);
	let cap = fedledger_primitives::model::MAX_PARAMETERS;
	assert!(matches!(
		decode_capped(&payload, GIANT, cap),
		Err(ConsensusError::TooManyParameters { count: GIANT, cap: c }) if c == cap
	));
	// A payload declaring more than the model has is a typed error too (no allocation: the
	// header is checked against the model's count first).
	assert!(matches!(
		decode_capped(&payload, 10, cap),
		Err(ConsensusError::Payload(
			tensor_codec::CodecError::TooManyParams { .. }
		))
	));
}

#[test]
fn capped_decode_needs_exactly_the_models_parameter_count() {
	let values = [1.0f32, -2.0, 0.5, 0.0];
	let dense = tensor_codec::encode_f32(&values, &[4]).unwrap();
	assert_eq!(decode_capped(&dense, 4, 4).unwrap(), values);
	assert_eq!(
		decode_capped(&dense, 4, 4).unwrap(),
		decode_weights(&dense, 4).unwrap()
	);
	let sparse = tensor_codec::encode_sparse(&[1], &[3.0], &[4]).unwrap();
	assert_eq!(
		decode_capped(&sparse, 4, 100).unwrap(),
		[0.0, 3.0, 0.0, 0.0]
	);
	// Fewer values than the model has: a shape error (tensor_codec::decode accepts it).
	assert!(matches!(
		decode_capped(&dense, 5, 100),
		Err(ConsensusError::Shape {
			expected: 5,
			got: 4,
			..
		})
	));
	assert!(matches!(
		decode_capped(&dense, 4, 3),
		Err(ConsensusError::TooManyParameters { count: 4, cap: 3 })
	));
	assert!(matches!(
		decode_capped(&dense[..20], 4, 4),
		Err(ConsensusError::Payload(_))
	));
}

// ---------- what one trainer's claims can do to the round ----------

/// Four honest trainers reveal Δ ≈ +1.02, one attacker Δ = −10 declaring four billion samples
/// (what the issue measured on a dev node: the geometric median finalized the attacker's
/// model). Declared counts weigh nothing unless the model caps them.
fn inflated_round(rule: &str) -> RoundInputs {
	let d = 16;
	let mut updates: Vec<RoundUpdate> = (0..4u8)
		.map(|k| update(vec![1.0 + 0.01 * k as f32; d], k + 1))
		.collect();
	let mut attacker = update(vec![-10.0; d], 9);
	attacker.num_samples = 4_000_000_000;
	updates.push(attacker);
	sync_round(0, 1, rule.parse().unwrap(), vec![0.0; d], updates)
}

fn mean(v: &[f32]) -> f32 {
	v.iter().sum::<f32>() / v.len() as f32
}

#[test]
fn an_inflated_sample_count_does_not_move_the_geometric_median() {
	let next = next_model(&inflated_round("geometric-median")).unwrap();
	let m = mean(&next.values());
	assert!((0.9..1.1).contains(&m), "mean coordinate {m}");
}

#[test]
fn an_inflated_sample_count_does_not_drag_centered_clipping() {
	let next = next_model(&inflated_round("centered-clipping")).unwrap();
	let m = mean(&next.values());
	// τ = 0.5 from the median (≈ 1.01) with 3 iterations: the attacker moves it by at most
	// 3 · 0.5 / 5 = 0.3 (the issue measured +1.02 → +0.54 under the inflated claim).
	assert!(m > 0.7, "mean coordinate {m}");
}

#[test]
fn capped_weighting_bounds_an_inflated_claim() {
	// FedAvg weighted, capped at 2 × the median count (10): the attacker weighs 20 of 60.
	let next = next_model(&inflated_round("fedavg+weighted:2")).unwrap();
	let expected = (10.0 * (1.0 + 1.01 + 1.02 + 1.03) - 20.0 * 10.0) / 60.0;
	let m = mean(&next.values());
	assert!(
		(m - expected).abs() < 1e-4,
		"mean coordinate {m}, expected {expected}"
	);
}

/// The step saturates instead of overflowing, so the next model is always encodable.
#[test]
fn the_model_step_saturates_at_the_f32_range() {
	let d = 4;
	let base = vec![f32::MAX, -f32::MAX, 1.0, f32::MAX];
	let updates = vec![
		update(vec![f32::MAX, -f32::MAX, 2.0, -1.0], 1),
		update(vec![f32::MAX, -f32::MAX, 2.0, -1.0], 2),
	];
	let inputs = sync_round(0, 1, "fedavg".parse().unwrap(), base, updates);
	let next = next_model(&inputs).unwrap();
	let w = next.values();
	// MAX + MAX overflows and saturates; MAX − 1 rounds back to MAX.
	assert_eq!(w[..d], [f32::MAX, -f32::MAX, 3.0, f32::MAX]);
}

/// The bucketing permutation must not depend on what the trainers revealed.
#[test]
fn the_bucketing_seed_does_not_depend_on_the_payloads() {
	let mut inputs = inflated_round("median+bucket:2");
	let before = inputs.bucket_seed();
	inputs.updates[4].payload_hash = [0xee; 32];
	inputs.updates.swap(0, 1);
	assert_eq!(inputs.bucket_seed(), before);
}
