//! The simulator and the validator run one consensus step: a round the simulator ran, fed to
//! a validator worker as revealed updates on a chain, is reported with the very hash (and
//! accepted set) the simulator's model has.

use fedledger_ml::consensus::{accepted_indices, RoundInputs};
use fedledger_ml::data::Dataset;
use fedledger_ml::training::TrainConfig;
use fedledger_primitives::model::{ModelKind, Scorer};
use fedledger_primitives::rules::{AggregationRule, AggregationSpec, StalenessFn};
use fedledger_sim::{Attack, Mode, PartitionKind, SimConfig, SimData, SIM_MODEL};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;

/// Gaussian blobs: 6 features, 4 classes (as in the simulator's own tests).
fn blobs(n: usize, seed: u64) -> Dataset {
	let mut rng = ChaCha8Rng::seed_from_u64(seed);
	let labels: Vec<u32> = (0..n).map(|_| rng.gen_range(0..4)).collect();
	let x = Array2::from_shape_fn((n, 6), |(r, c)| {
		(if c as u32 == labels[r] { 1.5 } else { 0.0 }) + rng.gen_range(-0.6f32..0.6)
	});
	Dataset::new(x, labels, 4).unwrap()
}

fn sim_config(spec: AggregationSpec, mode: Mode, rounds: usize) -> SimConfig {
	SimConfig {
		trainers: 10,
		byzantine: 3,
		attack: Attack::Alie { z: None },
		spec,
		model: ModelKind::Logistic,
		partition: PartitionKind::Dirichlet { alpha: 0.5 },
		rounds,
		train: TrainConfig {
			epochs: 1,
			batch_size: 16,
			learning_rate: 0.1,
			..Default::default()
		},
		mode,
		scorer: Some(Scorer::CosineToAggregate),
		server_lr: 1.0,
		seed: 9,
	}
}

/// Runs the simulation, then gives its last round to a validator on a mock chain; returns
/// (the simulator's final-model hash, the validator's reported hash) and checks the verdicts.
fn sim_and_validator(cfg: &SimConfig, schedule: Schedule) -> (Digest, Digest, RoundInputs) {
	let data = SimData::split(&blobs(1400, 1), &blobs(400, 2), 100, None, None, 3).unwrap();
	let out = fedledger_sim::run(cfg, &data, &mut |_| {}).unwrap();
	let inputs: &RoundInputs = out.last_round.as_ref().unwrap();
	assert_eq!(inputs.model, SIM_MODEL);
	let sim_bytes =
		tensor_codec::encode_f32(out.params.as_slice().unwrap(), &[out.params.len() as u32])
			.unwrap();

	let dir = tempfile::tempdir().unwrap();
	let chain = MockChain::with_weights(schedule, inputs.spec, &inputs.base);
	chain.open_round(inputs.round, RoundPhase::Reveal);
	chain.set_base_version(inputs.base_version);
	chain.set_aggregation_seed(inputs.seed);
	for (i, u) in inputs.updates.iter().enumerate() {
		chain.reveal_foreign_update([i as u8 + 1; 32], &u.values, u.num_samples, u.base_version);
	}
	let mut w = validator(chain.clone(), dir.path());
	w.on_block().unwrap(); // registers
	chain.include_pending();
	chain.set_phase(RoundPhase::Aggregate);
	w.on_block().unwrap();
	chain.open_report_reveal_of(0);
	w.on_block().unwrap();
	let calls = chain.sent_calls();
	let Some(FlCall::ReportAggregate {
		round,
		model_hash,
		accepted,
		..
	}) = calls.last().cloned()
	else {
		panic!("expected a report, got {calls:?}");
	};
	assert_eq!(round, inputs.round);
	assert_eq!(
		accepted,
		accepted_indices(&out.rounds.last().unwrap().accepted)
	);
	(tensor_codec::digest(&sim_bytes), model_hash, inputs.clone())
}

#[test]
fn a_simulated_sync_round_is_the_validators_round() {
	let spec = AggregationSpec::bucketed(AggregationRule::TrimmedMean { beta: 200_000_000 }, 2);
	let (sim, validator, _) = sim_and_validator(&sim_config(spec, Mode::Sync, 3), sync_schedule());
	assert_eq!(sim, validator);
}

#[test]
fn a_simulated_buffered_async_round_is_the_validators_round() {
	let staleness = StalenessFn::Polynomial { a: 500_000 };
	let mode = Mode::Async {
		buffer: 4,
		max_staleness: 1,
		staleness,
	};
	let schedule = Schedule::BufferedAsync {
		buffer_size: 4,
		max_staleness: 1,
		staleness,
		buffer_blocks: 10,
		aggregate_blocks: 3,
		min_updates: 3,
	};
	let spec = AggregationSpec::bucketed(AggregationRule::Median, 2);
	let (sim, validator, inputs) = sim_and_validator(&sim_config(spec, mode, 8), schedule);
	assert_eq!(sim, validator);
	// The round had stale updates, so the staleness discount (and its step) was exercised.
	assert!(inputs
		.updates
		.iter()
		.any(|u| u.base_version < inputs.base_version));
}
