//! End-to-end simulation tests on small generated data (fast; Fashion-MNIST is exercised by
//! `scripts/results.sh`, not here).

use fedledger_primitives::model::{ModelKind, Scorer};
use fedledger_primitives::rules::{AggregationRule, AggregationSpec, Mixing, StalenessFn};
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;
use fedledger_ml::data::Dataset;
use fedledger_ml::training::TrainConfig;

fn blobs(n: usize, seed: u64) -> Dataset {
	let mut rng = ChaCha8Rng::seed_from_u64(seed);
	let labels: Vec<u32> = (0..n).map(|_| rng.gen_range(0..4)).collect();
	let x = Array2::from_shape_fn((n, 6), |(r, c)| {
		(if c as u32 == labels[r] { 1.5 } else { 0.0 }) + rng.gen_range(-0.6f32..0.6)
	});
	Dataset::new(x, labels, 4).unwrap()
}

fn data() -> SimData {
	SimData::split(&blobs(1400, 1), &blobs(400, 2), 100, None, None, 3).unwrap()
}

fn cfg(attack: Attack, rule: AggregationRule) -> SimConfig {
	SimConfig {
		trainers: 10,
		byzantine: 3,
		attack,
		spec: AggregationSpec::plain(rule),
		model: ModelKind::Logistic,
		partition: PartitionKind::Iid,
		rounds: 6,
		train: TrainConfig {
			epochs: 1,
			batch_size: 16,
			learning_rate: 0.1,
			..Default::default()
		},
		mode: Mode::Sync,
		scorer: Some(Scorer::CosineToAggregate),
		server_lr: 1.0,
		seed: 9,
	}
}

fn final_accuracy(c: &SimConfig) -> f64 {
	run(c, &data(), &mut |_| {})
		.unwrap()
		.rounds
		.last()
		.unwrap()
		.eval
		.accuracy
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
	let d = data();
	let mut c = cfg(Attack::Alie { z: None }, AggregationRule::Median);
	c.partition = PartitionKind::Dirichlet { alpha: 0.5 };
	c.spec.mixing = Some(Mixing::Bucketing { size: 2 });
	let go = |threads| {
		rayon::ThreadPoolBuilder::new()
			.num_threads(threads)
			.build()
			.unwrap()
			.install(|| run(&c, &d, &mut |_| {}).unwrap())
	};
	let (a, b) = (go(1), go(4));
	assert_eq!(a.params.to_vec(), b.params.to_vec());
	assert_eq!(a.rounds, b.rounds);
}

#[test]
fn clean_training_learns() {
	let acc = final_accuracy(&cfg(Attack::None, AggregationRule::FedAvg));
	assert!(acc > 0.9, "accuracy {acc}");
}

#[test]
fn model_replacement_breaks_fedavg_but_not_median() {
	let fedavg = final_accuracy(&cfg(
		Attack::Scaling { gamma: None },
		AggregationRule::FedAvg,
	));
	let median = final_accuracy(&cfg(
		Attack::Scaling { gamma: None },
		AggregationRule::Median,
	));
	assert!(median > 0.85, "median {median}");
	assert!(fedavg < median - 0.2, "fedavg {fedavg} vs median {median}");
}

/// Inflation declares the most samples the chain admits with a boosted sign-flipped update:
/// the robust rules are unweighted, so the claim buys nothing.
#[test]
fn an_inflated_sample_count_buys_nothing_against_the_geometric_median() {
	let gm = AggregationRule::GeometricMedian { iters: 8, eps: 1 };
	let acc = final_accuracy(&cfg(Attack::Inflate { gamma: None }, gm));
	assert!(acc > 0.85, "geometric median under inflation: {acc}");
}

#[test]
fn krum_rejects_gaussian_attackers_and_records_it() {
	let c = cfg(
		Attack::Gaussian { sigma: 1.0 },
		AggregationRule::Krum { f: 3 },
	);
	let out = run(&c, &data(), &mut |_| {}).unwrap();
	for r in &out.rounds {
		assert_eq!(r.members, (0..10).collect::<Vec<_>>());
		assert_eq!(r.byzantine, (0..10).map(|i| i >= 7).collect::<Vec<_>>());
		assert_eq!(r.accepted_count(), 1);
		assert_eq!(r.byzantine_accepted(), 0);
		// Rejected updates score zero.
		for (s, a) in r.scores.iter().zip(&r.accepted) {
			if !a {
				assert_eq!(*s, 0.0);
			}
		}
	}
}

#[test]
fn async_mode_respects_buffer_and_staleness_bounds() {
	let mut c = cfg(
		Attack::SignFlip,
		AggregationRule::TrimmedMean { beta: 200_000_000 },
	);
	c.mode = Mode::Async {
		buffer: 4,
		max_staleness: 1,
		staleness: StalenessFn::Polynomial { a: 500_000 },
	};
	c.rounds = 12;
	let mut seen = 0;
	let out = run(&c, &data(), &mut |_| seen += 1).unwrap();
	assert_eq!(seen, 12);
	assert!(out
		.rounds
		.iter()
		.all(|r| r.members.len() == 4 && r.mean_staleness <= 1.0));
	// Trainers run at different speeds: with max staleness 1 some arrivals get dropped.
	assert!(out.rounds.iter().map(|r| r.dropped_stale).sum::<usize>() > 0);
	assert!(out.rounds.last().unwrap().eval.accuracy > 0.8);
}

#[test]
fn data_scorers_run_on_accepted_updates() {
	for scorer in [Scorer::LeaveOneOut, Scorer::GtgShapley] {
		let mut c = cfg(Attack::LabelFlip, AggregationRule::FedAvg);
		c.scorer = Some(scorer);
		c.rounds = 2;
		let out = run(&c, &data(), &mut |_| {}).unwrap();
		let r = &out.rounds[0];
		// Label-flipped trainers make the model worse: they score below the honest mean.
		assert!(
			r.mean_score(true) < r.mean_score(false),
			"{scorer:?}: {:?}",
			r.scores
		);
	}
}

#[test]
fn infeasible_rule_is_a_config_error() {
	let mut c = cfg(Attack::None, AggregationRule::Bulyan { f: 3 });
	assert!(matches!(
		run(&c, &data(), &mut |_| {}),
		Err(SimError::Config(_))
	));
	c.spec = AggregationSpec::plain(AggregationRule::Krum { f: 3 });
	assert!(run(&c, &data(), &mut |_| {}).is_ok());
}

#[test]
fn csv_and_svg_are_written() {
	let out = run(
		&cfg(Attack::None, AggregationRule::Median),
		&data(),
		&mut |_| {},
	)
	.unwrap();
	let dir = tempfile::tempdir().unwrap();
	let csv = dir.path().join("r.csv");
	write_csv(&csv, &out).unwrap();
	let text = std::fs::read_to_string(&csv).unwrap();
	assert_eq!(text.lines().count(), 1 + 1 + 6);
	assert!(text.starts_with(CSV_HEADER));
	let svg = dir.path().join("r.svg");
	write_accuracy_plot(&svg, "test", &[("median".into(), accuracy_series(&out))]).unwrap();
	assert!(std::fs::read_to_string(&svg).unwrap().contains("<svg"));
}

#[test]
fn cli_strings_parse() {
	assert_eq!("ipm:2".parse::<Attack>(), Ok(Attack::Ipm { epsilon: 2.0 }));
	assert_eq!("alie".parse::<Attack>(), Ok(Attack::Alie { z: None }));
	assert!("bogus".parse::<Attack>().is_err());
	assert_eq!(
		"dir0.3".parse::<PartitionKind>(),
		Ok(PartitionKind::Dirichlet { alpha: 0.3 })
	);
	assert_eq!(
		parse_staleness("hinge:0.5,3"),
		Ok(StalenessFn::Hinge { a: 500_000, b: 3 })
	);
	let p = RuleParams {
		f: 2,
		beta: 0.1,
		m: None,
		gm_iters: 5,
		gm_eps: 1e-6,
		cc_tau: 0.5,
		cc_iters: 2,
		max_norm: 1.0,
	};
	let spec = parse_rule("multi-krum", &p, Some(2), 10).unwrap();
	// 10 updates in buckets of 2 → 5 inputs; m = 5 − f.
	assert_eq!(spec.rule, AggregationRule::MultiKrum { f: 2, m: 3 });
	assert_eq!(
		parse_rule("trimmed-mean", &p, None, 10).unwrap().rule,
		AggregationRule::TrimmedMean { beta: 100_000_000 }
	);
	// The one rule vocabulary: parameters as written, `+bucket:<s>`, names of primitives.
	let spec = parse_rule("multi-krum:1:4+bucket:2", &p, None, 10).unwrap();
	assert_eq!(spec.rule, AggregationRule::MultiKrum { f: 1, m: 4 });
	assert_eq!(spec.bucket_size(), Some(2));
	assert_eq!(spec.to_string(), "multi-krum:1:4+bucket:2");
	let gm = parse_rule("geometric-median", &p, None, 10).unwrap();
	assert_eq!(gm.to_string(), "geometric-median:5:0.000001");
	assert_eq!(gm.to_string().parse::<AggregationSpec>(), Ok(gm));
	assert!(parse_rule("geomed", &p, None, 10).is_err());
	assert!(parse_rule("median+bucket:2", &p, Some(3), 10).is_err());
}

#[test]
fn last_round_rebuilds_offline_to_the_same_model_hash() {
	use fedledger_primitives::tensor_codec;
	let mut c = cfg(
		Attack::Alie { z: None },
		AggregationRule::TrimmedMean { beta: 200_000_000 },
	);
	c.spec.mixing = Some(Mixing::Bucketing { size: 2 });
	let out = run(&c, &data(), &mut |_| {}).unwrap();
	let dir = tempfile::tempdir().unwrap();
	let inputs = out.last_round.as_ref().unwrap();
	let files = dump_round(dir.path(), inputs).unwrap();
	// The dumped context flags describe the round the simulator ran.
	let args = std::fs::read_to_string(dir.path().join(DUMP_ARGS)).unwrap();
	let flag = |name: &str| {
		let mut words = args.split_whitespace();
		words
			.find(|w| *w == name)
			.and(words.next())
			.unwrap()
			.to_string()
	};
	let samples: Vec<u32> = flag("--samples")
		.split(',')
		.map(|w| w.parse().unwrap())
		.collect();
	let declared: Vec<u32> = inputs.updates.iter().map(|u| u.num_samples).collect();
	assert_eq!(samples, declared);
	let ctx = verify::RoundContext {
		model: flag("--model").parse().unwrap(),
		round: flag("--round").parse().unwrap(),
		samples: Some(samples),
		seed: fedledger_ml::hex::digest_from_hex(&flag("--aggregation-seed")).unwrap(),
		..Default::default()
	};
	assert_eq!((ctx.model, ctx.round), (SIM_MODEL, 6));
	let rebuilt =
		verify::rebuild_aggregate(&c.spec, &files, &ctx, Some(&dir.path().join("global.fltc")))
			.unwrap();
	let final_bytes =
		tensor_codec::encode_f32(out.params.as_slice().unwrap(), &[out.params.len() as u32])
			.unwrap();
	assert_eq!(
		rebuilt.new_model.unwrap().1,
		tensor_codec::digest(&final_bytes)
	);
	assert_eq!(rebuilt.accepted, out.rounds.last().unwrap().accepted);
}
