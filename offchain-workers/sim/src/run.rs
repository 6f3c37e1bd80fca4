//! The simulation loop: many trainers, some Byzantine, one global model, no chain.
//!
//! Each round's global-model step goes through [`fedledger_ml::aggregation::aggregate`], the same
//! deterministic code a validator runs. Trainers train in parallel (rayon) but each trainer's
//! randomness comes from its own seed, so results do not depend on the thread count.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use fedledger_ml::attacks::{self, Attack};
use fedledger_ml::consensus::{next_model, NextModel, RoundInputs, RoundUpdate};
use fedledger_ml::data::{self, partition, Dataset};
use fedledger_ml::model::{DenseNet, Evaluation};
use fedledger_ml::scoring::{self, GtgConfig, Metric, ValidationUtility};
use fedledger_ml::training::{train_local, LocalUpdate, TrainError};
use fedledger_primitives::model::{Architecture, Scorer, UpdateBounds};
use fedledger_primitives::{ModelId, RoundIndex, VersionIndex};

use crate::config::{Mode, PartitionKind, SimConfig};

/// Why a simulation could not run.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
	#[error("configuration: {0}")]
	Config(String),
	#[error(transparent)]
	Data(#[from] data::DataError),
	#[error("partition: {0}")]
	Partition(#[from] partition::PartitionError),
	#[error("training: {0}")]
	Train(#[from] TrainError),
	#[error("aggregation failed in round {round}: {message}")]
	Aggregation { round: usize, message: String },
}

/// Training pool, scorer validation set and test set.
#[derive(Debug, Clone)]
pub struct SimData {
	/// Samples partitioned among trainers.
	pub train: Dataset,
	/// Held out of `train` for the data-based scorers (LOO, GTG-Shapley).
	pub validation: Dataset,
	/// Accuracy/loss reported per round.
	pub test: Dataset,
}

impl SimData {
	/// Shuffles `train` with `seed`, holds out `validation` samples, keeps at most `train_limit`
	/// of the rest, and at most `test_limit` test samples (the first ones).
	pub fn split(
		train: &Dataset,
		test: &Dataset,
		validation: usize,
		train_limit: Option<usize>,
		test_limit: Option<usize>,
		seed: u64,
	) -> Result<Self, SimError> {
		if validation >= train.len() {
			return Err(SimError::Config(format!(
				"validation size {validation} leaves no training data out of {}",
				train.len()
			)));
		}
		let mut order: Vec<usize> = (0..train.len()).collect();
		rand::seq::SliceRandom::shuffle(order.as_mut_slice(), &mut ChaCha8Rng::seed_from_u64(seed));
		let (val_idx, rest) = order.split_at(validation);
		let rest = &rest[..train_limit.unwrap_or(usize::MAX).min(rest.len())];
		Ok(Self {
			train: train.subset(rest),
			validation: train.subset(val_idx),
			test: test.head(test_limit.unwrap_or(usize::MAX)),
		})
	}
}

/// What happened in one round (one aggregation).
#[derive(Debug, Clone, PartialEq)]
pub struct RoundRecord {
	/// 1-based round (model version produced); round 0 is the initial model.
	pub round: usize,
	/// Test accuracy and loss of the global model after the round.
	pub eval: Evaluation,
	/// Mean local training loss of the honest trainers in the round.
	pub train_loss: f64,
	/// Trainer indices aggregated this round, in aggregation order.
	pub members: Vec<usize>,
	/// Whether the rule accepted each member's update.
	pub accepted: Vec<bool>,
	/// Whether each member is Byzantine.
	pub byzantine: Vec<bool>,
	/// Attribution score of each member (0 for rejected updates).
	pub scores: Vec<f64>,
	/// Async only: arrivals dropped for exceeding the maximum staleness.
	pub dropped_stale: usize,
	/// Async only: mean staleness of the aggregated updates.
	pub mean_staleness: f64,
}

impl RoundRecord {
	/// Accepted members.
	pub fn accepted_count(&self) -> usize {
		self.accepted.iter().filter(|&&a| a).count()
	}

	/// Accepted Byzantine members.
	pub fn byzantine_accepted(&self) -> usize {
		self.accepted
			.iter()
			.zip(&self.byzantine)
			.filter(|(&a, &b)| a && b)
			.count()
	}

	/// Mean score of honest (`false`) or Byzantine (`true`) members; NaN if there are none.
	pub fn mean_score(&self, byzantine: bool) -> f64 {
		let s: Vec<f64> = self
			.scores
			.iter()
			.zip(&self.byzantine)
			.filter(|(_, &b)| b == byzantine)
			.map(|(&s, _)| s)
			.collect();
		if s.is_empty() {
			f64::NAN
		} else {
			s.iter().sum::<f64>() / s.len() as f64
		}
	}
}

/// A finished simulation.
#[derive(Debug, Clone)]
pub struct SimOutcome {
	/// Test metrics of the initial model.
	pub initial: Evaluation,
	pub rounds: Vec<RoundRecord>,
	/// Final global parameters.
	pub params: Array1<f32>,
	/// What went into the last aggregation, for offline re-verification.
	pub last_round: Option<RoundInputs>,
}

/// Mixes a base seed with tags into an independent 64-bit seed (SplitMix64 finaliser).
pub fn derive_seed(base: u64, tags: &[u64]) -> u64 {
	let mut z = base;
	for &t in tags {
		z = z.wrapping_add(0x9E37_79B9_7F4A_7C15).wrapping_add(t);
		z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
		z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
		z ^= z >> 31;
	}
	z
}

const TAG_INIT: u64 = 1;
const TAG_PARTITION: u64 = 2;
const TAG_TRAIN: u64 = 3;
const TAG_ATTACK: u64 = 4;
const TAG_SPEED: u64 = 5;
const TAG_GTG: u64 = 6;

/// One simulated trainer.
struct Trainer {
	data: Dataset,
	byzantine: bool,
}

/// Shared, read-only state of a run.
struct Ctx<'a> {
	cfg: &'a SimConfig,
	arch: DenseNet,
	trainers: Vec<Trainer>,
	data: &'a SimData,
}

/// Runs the simulation, calling `on_round` after every aggregation.
pub fn run(
	cfg: &SimConfig,
	data: &SimData,
	on_round: &mut dyn FnMut(&RoundRecord),
) -> Result<SimOutcome, SimError> {
	let ctx = setup(cfg, data)?;
	let global = ctx.arch.init(derive_seed(cfg.seed, &[TAG_INIT]));
	let initial = evaluate(&ctx, global.view());
	match cfg.mode {
		Mode::Sync => run_sync(&ctx, global, initial, on_round),
		Mode::Async { .. } => run_async(&ctx, global, initial, on_round),
	}
}

fn setup<'a>(cfg: &'a SimConfig, data: &'a SimData) -> Result<Ctx<'a>, SimError> {
	let (n, f) = (cfg.trainers, cfg.byzantine);
	if n == 0 || f > n {
		return Err(SimError::Config(format!(
			"{f} Byzantine out of {n} trainers"
		)));
	}
	if f == n && !matches!(cfg.attack, Attack::None) {
		return Err(SimError::Config(
			"an attack needs at least one honest trainer".into(),
		));
	}
	let inputs = data.train.feature_count();
	let classes = data.train.classes();
	let arch = DenseNet::from_architecture(&Architecture {
		kind: cfg.model,
		input_dim: u32::try_from(inputs).unwrap_or(u32::MAX),
		classes: u32::try_from(classes).unwrap_or(u32::MAX),
	})
	.map_err(|e| SimError::Config(e.to_string()))?;
	let per_round = match cfg.mode {
		Mode::Sync => n,
		Mode::Async { buffer, .. } => buffer,
	};
	if per_round == 0 {
		return Err(SimError::Config(
			"async buffer must hold at least 1 update".into(),
		));
	}
	cfg.spec.validate(per_round as u32).map_err(|e| {
		SimError::Config(format!(
			"rule {} with {per_round} updates per round: {e}",
			cfg.spec
		))
	})?;
	let pseed = derive_seed(cfg.seed, &[TAG_PARTITION]);
	let labels = data.train.labels();
	let parts = match cfg.partition {
		PartitionKind::Iid => partition::iid(labels.len(), n, pseed)?,
		PartitionKind::Dirichlet { alpha } => partition::dirichlet(
			labels,
			classes,
			n,
			alpha,
			cfg.train.batch_size.min(10),
			pseed,
		)?,
		PartitionKind::Shards { per_client } => {
			partition::label_shards(labels, n, per_client, pseed)?
		}
	};
	let trainers = parts
		.iter()
		.enumerate()
		.map(|(i, idx)| {
			let byzantine = i >= n - f;
			let mut d = data.train.subset(idx);
			if byzantine && cfg.attack.flips_labels() {
				attacks::flip_labels(d.labels_mut(), classes);
			}
			Trainer { data: d, byzantine }
		})
		.collect();
	Ok(Ctx {
		cfg,
		arch,
		trainers,
		data,
	})
}

fn evaluate(ctx: &Ctx, params: ArrayView1<f32>) -> Evaluation {
	ctx.arch
		.evaluate(params, ctx.data.test.features(), ctx.data.test.labels())
		.expect("test set matches the model")
}

/// A trainer's job within a round: which trainer, against which parameters, with which seed.
struct Job<'p> {
	trainer: usize,
	base: ArrayView1<'p, f32>,
	seed: u64,
	staleness: u32,
}

/// Trains the jobs that need training (honest ones, and attackers whose attack uses their own
/// update) in parallel; order of the result = order of `jobs`.
fn train_jobs(ctx: &Ctx, jobs: &[Job]) -> Result<Vec<Option<LocalUpdate>>, SimError> {
	jobs.par_iter()
		.map(|job| {
			let t = &ctx.trainers[job.trainer];
			if t.byzantine && !ctx.cfg.attack.trains() {
				return Ok(None);
			}
			train_local(&ctx.arch, job.base, &t.data, &ctx.cfg.train, job.seed)
				.map(Some)
				.map_err(SimError::from)
		})
		.collect()
}

/// Replaces the Byzantine members' updates by the attack's output.
fn craft(
	ctx: &Ctx,
	members: &[usize],
	trained: &[Option<LocalUpdate>],
	round: usize,
) -> Vec<Array1<f32>> {
	let d = ctx.arch.param_count();
	let honest_rows: Vec<ArrayView1<f32>> = members
		.iter()
		.zip(trained)
		.filter(|(&i, _)| !ctx.trainers[i].byzantine)
		.filter_map(|(_, u)| u.as_ref().map(|u| u.delta.view()))
		.collect();
	let honest: Array2<f32> = if honest_rows.is_empty() {
		Array2::zeros((0, d))
	} else {
		ndarray::stack(Axis(0), &honest_rows).expect("same length")
	};
	let n = ctx.cfg.trainers;
	let f = ctx.cfg.byzantine.max(1);
	let has_honest = honest.nrows() > 0;
	// Shared crafted vectors: every attacker sends the same one (that is what makes ALIE/IPM
	// and mimic hard to detect).
	let shared = match ctx.cfg.attack {
		Attack::Alie { z } if has_honest => Some(attacks::alie(
			honest.view(),
			z.unwrap_or_else(|| attacks::alie_z_max(n, f)),
		)),
		Attack::Ipm { epsilon } if has_honest => Some(attacks::ipm(honest.view(), epsilon)),
		Attack::Mimic if has_honest => Some(attacks::mimic(honest.view())),
		_ => None,
	};
	members
		.iter()
		.zip(trained)
		.map(|(&i, up)| {
			let own = up.as_ref().map(|u| u.delta.view());
			if !ctx.trainers[i].byzantine {
				return own.expect("honest trainers train").to_owned();
			}
			let mut rng = ChaCha8Rng::seed_from_u64(derive_seed(
				ctx.cfg.seed,
				&[TAG_ATTACK, round as u64, i as u64],
			));
			// Every attacker sends the shared vector of an omniscient attack, or its own.
			ctx.cfg
				.attack
				.local_update(own, d, n as f32 / f as f32, &mut rng)
				.unwrap_or_else(|| shared.clone().unwrap_or_else(|| Array1::zeros(d)))
		})
		.collect()
}

/// The model id the simulator's rounds carry in their context (bucketing seed).
pub const SIM_MODEL: ModelId = 0;

/// Aggregates, scores and applies one buffer of updates through the validators' consensus
/// step ([`next_model`]); returns the record and the round's inputs.
///
/// The round is the chain's: model [`SIM_MODEL`], round index `round`, base version
/// `round − 1`, each update hashed as its canonical-codec payload (so the bucketing seed is
/// the one the chain's payloads give), its trainer's sample count as declared samples and
/// its base version for staleness. Only the server step ([`SimConfig::server_lr`]) is a
/// simulator knob, and at 1.0 it is the chain's.
fn aggregate_round(
	ctx: &Ctx,
	global: &mut Array1<f32>,
	round: usize,
	jobs: &[Job],
	trained: &[Option<LocalUpdate>],
	dropped_stale: usize,
) -> Result<(RoundRecord, RoundInputs), SimError> {
	let members: Vec<usize> = jobs.iter().map(|j| j.trainer).collect();
	let rows = craft(ctx, &members, trained, round);
	let current = (round - 1) as VersionIndex;
	let updates = rows
		.into_iter()
		.zip(jobs)
		.map(|(row, j)| {
			let trainer = &ctx.trainers[j.trainer];
			let real = trainer.data.len().min(u32::MAX as usize) as u32;
			// The simulated chain admits what `UpdateBounds::GENEROUS` admits.
			let samples = if trainer.byzantine {
				ctx.cfg
					.attack
					.declared_samples(real, UpdateBounds::GENEROUS.max_samples)
			} else {
				real
			};
			RoundUpdate::from_values(row.to_vec(), samples, current - j.staleness)
		})
		.collect::<Result<Vec<_>, _>>()
		.map_err(|e| SimError::Aggregation {
			round,
			message: format!("encoding an update: {e:?}"),
		})?;
	let inputs = RoundInputs {
		model: SIM_MODEL,
		round: round as RoundIndex,
		spec: ctx.cfg.spec,
		staleness: match ctx.cfg.mode {
			Mode::Sync => None,
			Mode::Async { staleness, .. } => Some(staleness),
		},
		base: global.to_vec(),
		base_version: current,
		updates,
		seed: simulated_chain_seed(round),
		server_lr: ctx.cfg.server_lr,
	};
	let next = next_model(&inputs).map_err(|e| SimError::Aggregation {
		round,
		message: e.to_string(),
	})?;
	let matrix = inputs.matrix().expect("checked by next_model");
	let scores = score(
		ctx,
		global.view(),
		matrix.view(),
		&inputs.sample_weights(),
		&next,
		round,
	);
	*global = Array1::from(next.values());
	let honest_losses: Vec<f64> = members
		.iter()
		.zip(trained)
		.filter(|(&i, _)| !ctx.trainers[i].byzantine)
		.filter_map(|(_, u)| u.as_ref().map(|u| u.train_loss))
		.collect();
	let record = RoundRecord {
		round,
		eval: evaluate(ctx, global.view()),
		train_loss: honest_losses.iter().sum::<f64>() / honest_losses.len().max(1) as f64,
		byzantine: members.iter().map(|&i| ctx.trainers[i].byzantine).collect(),
		members,
		accepted: next.accepted,
		scores,
		dropped_stale,
		mean_staleness: jobs.iter().map(|j| j.staleness as f64).sum::<f64>() / jobs.len() as f64,
	};
	Ok((record, inputs))
}

/// Attribution scores; rejected updates score 0 (a rejected update earns nothing).
fn score(
	ctx: &Ctx,
	global: ArrayView1<f32>,
	updates: ArrayView2<f32>,
	weights: &[f64],
	next: &NextModel,
	round: usize,
) -> Vec<f64> {
	let accepted = &next.accepted;
	let n = updates.nrows();
	let kept: Vec<usize> = (0..n).filter(|&i| accepted[i]).collect();
	let raw: Vec<f64> = match ctx.cfg.scorer {
		None => return vec![0.0; n],
		// What validators report (clipped to [0, 1], parts per billion), as a fraction.
		Some(Scorer::CosineToAggregate) => next.scores.iter().map(|&s| s as f64 / 1e9).collect(),
		Some(Scorer::LeaveOneOut | Scorer::GtgShapley) => {
			// Coalitions are valued with FedAvg over their accepted members: the robust rule
			// has already decided who is in; the scorer divides the credit among them.
			let sub = updates.select(Axis(0), &kept);
			let w: Vec<f64> = kept.iter().map(|&i| weights[i]).collect();
			let mut utility = ValidationUtility::new(
				&ctx.arch,
				// Views are invariant over their lifetime: shorten it to this scope.
				global.reborrow(),
				&ctx.data.validation,
				sub.view(),
				&w,
				|u: ArrayView2<f32>, w: &[f64]| Some(scoring::weighted_mean(u, w)),
				Metric::Accuracy,
			);
			let kept_scores = if ctx.cfg.scorer == Some(Scorer::LeaveOneOut) {
				scoring::leave_one_out(kept.len(), &mut |s| utility.value(s))
			} else {
				let cfg = GtgConfig {
					within_truncation: 1e-3,
					tolerance: 0.1,
					max_cycles: 5,
					seed: derive_seed(ctx.cfg.seed, &[TAG_GTG, round as u64]),
					..Default::default()
				};
				scoring::gtg_shapley(kept.len(), &mut |s| utility.value(s), &cfg).scores
			};
			let mut full = vec![0.0; n];
			for (&i, s) in kept.iter().zip(kept_scores) {
				full[i] = s;
			}
			full
		}
	};
	raw.iter()
		.zip(accepted)
		.map(|(&s, &a)| if a { s } else { 0.0 })
		.collect()
}

fn run_sync(
	ctx: &Ctx,
	mut global: Array1<f32>,
	initial: Evaluation,
	on_round: &mut dyn FnMut(&RoundRecord),
) -> Result<SimOutcome, SimError> {
	let mut rounds = Vec::with_capacity(ctx.cfg.rounds);
	let mut last_round = None;
	for round in 1..=ctx.cfg.rounds {
		let base = global.clone();
		let jobs: Vec<Job> = (0..ctx.cfg.trainers)
			.map(|i| Job {
				trainer: i,
				base: base.view(),
				seed: derive_seed(ctx.cfg.seed, &[TAG_TRAIN, round as u64, i as u64]),
				staleness: 0,
			})
			.collect();
		let trained = train_jobs(ctx, &jobs)?;
		let (record, inputs) = aggregate_round(ctx, &mut global, round, &jobs, &trained, 0)?;
		last_round = Some(inputs);
		on_round(&record);
		rounds.push(record);
	}
	Ok(SimOutcome {
		initial,
		rounds,
		params: global,
		last_round,
	})
}

/// A trainer's in-flight computation in async mode.
#[derive(Debug, Clone, Copy)]
struct InFlight {
	trainer: usize,
	base_version: usize,
	finish: f64,
	job_no: u64,
}

/// FedBuff: trainers at heterogeneous speeds; every `buffer` fresh-enough arrivals make a new
/// model version; each trainer restarts from the newest version as soon as it delivers.
fn run_async(
	ctx: &Ctx,
	mut global: Array1<f32>,
	initial: Evaluation,
	on_round: &mut dyn FnMut(&RoundRecord),
) -> Result<SimOutcome, SimError> {
	let Mode::Async {
		buffer,
		max_staleness,
		..
	} = ctx.cfg.mode
	else {
		unreachable!("run_async is only called in async mode")
	};
	let n = ctx.cfg.trainers;
	let mut rng = ChaCha8Rng::seed_from_u64(derive_seed(ctx.cfg.seed, &[TAG_SPEED]));
	// Per-trainer mean job duration: a 4× spread between the fastest and slowest trainers.
	let speed: Vec<f64> = (0..n).map(|_| rng.gen_range(0.5..2.0)).collect();
	let duration = |i: usize, rng: &mut ChaCha8Rng| speed[i] * rng.gen_range(0.8..1.25);
	let mut in_flight: Vec<InFlight> = (0..n)
		.map(|i| InFlight {
			trainer: i,
			base_version: 0,
			finish: duration(i, &mut rng),
			job_no: 0,
		})
		.collect();
	// Model history, so a stale job trains against the version it started from.
	let mut versions: Vec<Array1<f32>> = vec![global.clone()];
	let mut rounds = Vec::with_capacity(ctx.cfg.rounds);
	let mut last_round = None;
	for round in 1..=ctx.cfg.rounds {
		let current = round - 1;
		let mut arrivals: Vec<InFlight> = Vec::with_capacity(buffer);
		let mut dropped = 0;
		while arrivals.len() < buffer {
			// Earliest finisher; ties by trainer index, so the order is deterministic.
			let k = (0..n)
				.min_by(|&a, &b| in_flight[a].finish.total_cmp(&in_flight[b].finish))
				.expect("n > 0");
			let done = in_flight[k];
			in_flight[k] = InFlight {
				trainer: k,
				base_version: current,
				finish: done.finish + duration(k, &mut rng),
				job_no: done.job_no + 1,
			};
			if current - done.base_version > max_staleness as usize {
				dropped += 1;
				continue;
			}
			arrivals.push(done);
		}
		let jobs: Vec<Job> = arrivals
			.iter()
			.map(|a| Job {
				trainer: a.trainer,
				base: versions[a.base_version].view(),
				seed: derive_seed(ctx.cfg.seed, &[TAG_TRAIN, a.job_no, a.trainer as u64]),
				staleness: (current - a.base_version) as u32,
			})
			.collect();
		let trained = train_jobs(ctx, &jobs)?;
		let (record, inputs) = aggregate_round(ctx, &mut global, round, &jobs, &trained, dropped)?;
		last_round = Some(inputs);
		drop(jobs);
		versions.push(global.clone());
		// Versions older than the staleness bound can never be trained against again.
		let oldest_needed = in_flight
			.iter()
			.map(|f| f.base_version)
			.min()
			.unwrap_or(round);
		for v in versions.iter_mut().take(oldest_needed) {
			if !v.is_empty() {
				*v = Array1::zeros(0);
			}
		}
		on_round(&record);
		rounds.push(record);
	}
	Ok(SimOutcome {
		initial,
		rounds,
		params: global,
		last_round,
	})
}

/// What the chain's aggregation seed is to a simulated round: a value fixed per round that no
/// update enters (on chain, the hash of the reveal window's last block).
fn simulated_chain_seed(round: usize) -> fedledger_primitives::Digest {
	let mut b = b"fedledger-sim/aggregation-seed".to_vec();
	b.extend_from_slice(&(round as u64).to_le_bytes());
	fedledger_primitives::tensor_codec::sha3_256(&b)
}
