//! `fedledger-sim`: federated learning with simulated trainers, Byzantine attacks and robust
//! rules, without a chain; and `aggregate`, the offline verifier of a round's aggregate.
//!
//! ```text
//! fedledger-sim run --attack alie --rule median --bucketing 2 --partition dir0.5
//! fedledger-sim sweep --attacks none,ipm --rules fedavg,krum --partitions iid,dir0.5
//! fedledger-sim aggregate --rule median --model 0 --round 3 u1.fltc u2.fltc u3.fltc
//! fedledger-sim evaluate --weights model.fltc          # e.g. weights from fedledger_modelWeights
//! ```

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

use fedledger_ml::data::{load_fashion_mnist, Split};
use fedledger_ml::model::model_kind;
use fedledger_ml::scoring::parse_scorer;
use fedledger_ml::training::TrainConfig;
use fedledger_primitives::model::{ModelKind, Scorer};
use fedledger_sim::{
	self as sim, accuracy_series, parse_rule, parse_staleness, verify, Attack, Mode, PartitionKind,
	RuleParams, SimConfig, SimData, SimError,
};

#[derive(Parser)]
#[command(
	name = "fedledger-sim",
	version,
	about = "Simulate fedledger federated learning without a chain"
)]
struct Cli {
	#[command(subcommand)]
	cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
	/// One experiment: per-round CSV and an SVG accuracy plot.
	Run(RunArgs),
	/// Many experiments (attack × rule × bucketing × partition) on the same data; writes a
	/// summary CSV and Markdown tables of final test accuracy.
	Sweep(SweepArgs),
	/// Rebuild a round from update payloads (canonical codec) through the validators'
	/// consensus step and print the aggregate's and the new model's sha3-256.
	Aggregate(AggregateArgs),
	/// Test accuracy and loss of model weights (canonical codec) on the Fashion-MNIST test
	/// split, as one JSON line.
	Evaluate(EvaluateArgs),
}

#[derive(Args)]
struct EvaluateArgs {
	/// Weights file in the canonical codec (raw bytes, or `0x…` hex as the RPC returns).
	#[arg(long)]
	weights: PathBuf,
	/// Directory of the Fashion-MNIST IDX files.
	#[arg(long, default_value = "/usr/share/datasets/fashion-mnist")]
	data: PathBuf,
	/// Hidden-layer widths of an MLP, comma-separated; none for logistic regression.
	#[arg(long, value_delimiter = ',')]
	hidden: Vec<usize>,
}

#[derive(Clone, Copy, ValueEnum)]
enum ModelArg {
	Logreg,
	Mlp,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ModeArg {
	Sync,
	Async,
}

#[derive(Args, Clone)]
struct RuleArgs {
	/// Byzantine updates (or buckets) tolerated by krum / multi-krum / bulyan [default: --byzantine].
	#[arg(long)]
	f: Option<u32>,
	/// Trimmed-mean fraction cut from each end [default: byzantine / trainers].
	#[arg(long)]
	beta: Option<f64>,
	/// Multi-Krum selection size [default: inputs − f].
	#[arg(long)]
	m: Option<u32>,
	/// Geometric median: Weiszfeld iterations.
	#[arg(long, default_value_t = 8)]
	gm_iters: u32,
	/// Geometric median: distance floor ν.
	#[arg(long, default_value_t = 1e-6)]
	gm_eps: f64,
	/// Centered clipping: radius τ (in update-norm units).
	#[arg(long, default_value_t = 0.5)]
	cc_tau: f64,
	/// Centered clipping: iterations.
	#[arg(long, default_value_t = 3)]
	cc_iters: u32,
	/// Norm bounding: maximum L2 norm of an update.
	#[arg(long, default_value_t = 1.0)]
	max_norm: f64,
}

impl RuleArgs {
	fn params(&self, trainers: usize, byzantine: usize) -> RuleParams {
		RuleParams {
			f: self.f.unwrap_or(byzantine as u32),
			beta: self
				.beta
				.unwrap_or(byzantine as f64 / trainers.max(1) as f64),
			m: self.m,
			gm_iters: self.gm_iters,
			gm_eps: self.gm_eps,
			cc_tau: self.cc_tau,
			cc_iters: self.cc_iters,
			max_norm: self.max_norm,
		}
	}
}

#[derive(Args, Clone)]
struct Common {
	/// Directory with {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz].
	#[arg(long, default_value = "/usr/share/datasets/fashion-mnist")]
	data_dir: PathBuf,
	/// Trainers n.
	#[arg(long, default_value_t = 25)]
	trainers: usize,
	/// Byzantine trainers f (the last f indices).
	#[arg(long, default_value_t = 5)]
	byzantine: usize,
	#[arg(long, value_enum, default_value = "logreg")]
	model: ModelArg,
	/// MLP hidden widths, comma-separated (1 or 2 layers).
	#[arg(long, value_delimiter = ',', default_value = "64")]
	hidden: Vec<usize>,
	/// Rounds (sync) or model versions (async).
	#[arg(long, default_value_t = 30)]
	rounds: usize,
	#[arg(long, default_value_t = 1)]
	local_epochs: usize,
	#[arg(long, default_value_t = 32)]
	batch_size: usize,
	/// Local SGD learning rate.
	#[arg(long, default_value_t = 0.05)]
	lr: f32,
	/// FedProx μ.
	#[arg(long, default_value_t = 0.0)]
	prox_mu: f32,
	/// Clip each update to this L2 norm.
	#[arg(long)]
	clip: Option<f32>,
	/// DP noise multiplier σ (noise std σ·clip per coordinate; needs --clip).
	#[arg(long, default_value_t = 0.0)]
	dp_sigma: f32,
	/// Server step size applied to the aggregate.
	#[arg(long, default_value_t = 1.0)]
	server_lr: f32,
	#[arg(long, value_enum, default_value = "sync")]
	mode: ModeArg,
	/// Async: updates per aggregation (K).
	#[arg(long, default_value_t = 10)]
	buffer: usize,
	/// Async: drop updates more than this many versions old.
	#[arg(long, default_value_t = 4)]
	max_staleness: u32,
	/// Async: constant | poly:<a> | hinge:<a>,<b>.
	#[arg(long, default_value = "poly:0.5")]
	staleness: String,
	/// Attribution scorer: none | cosine | loo | gtg.
	// Spelled `std::option::Option` so that clap hands the whole value to the parser
	// (`none` is a value here, not a missing flag).
	#[arg(long, default_value = "cosine", value_parser = parse_scorer)]
	scorer: std::option::Option<Scorer>,
	/// Use at most this many training samples (after holding out the validation set).
	#[arg(long)]
	train_limit: Option<usize>,
	/// Use at most this many test samples.
	#[arg(long)]
	test_limit: Option<usize>,
	/// Training samples held out as the scorers' validation set.
	#[arg(long, default_value_t = 1000)]
	validation_size: usize,
	#[arg(long, default_value_t = 1)]
	seed: u64,
	#[command(flatten)]
	rule: RuleArgs,
	/// No progress bar.
	#[arg(long)]
	quiet: bool,
}

#[derive(Args)]
struct RunArgs {
	#[command(flatten)]
	common: Common,
	/// none | sign-flip | gaussian[:σ] | label-flip | alie[:z] | ipm[:ε] | mimic | scaling[:γ]
	#[arg(long, default_value = "none")]
	attack: Attack,
	/// fedavg | median | trimmed-mean[:beta] | krum[:f] | multi-krum[:f[:m]] | bulyan[:f] |
	/// geometric-median[:iters[:eps]] | centered-clipping[:tau[:iters]] | norm-bounding[:max_norm],
	/// optionally +bucket:<s>. A bare name takes its parameters from the experiment (f from
	/// --byzantine, m from the inputs, … see --f, --beta, --m, --gm-iters …).
	#[arg(long, default_value = "fedavg")]
	rule: String,
	/// Bucket size s in front of the rule.
	#[arg(long)]
	bucketing: Option<u32>,
	/// iid | dir<α> | shards<k>
	#[arg(long, default_value = "dir0.5")]
	partition: PartitionKind,
	/// Per-round CSV.
	#[arg(long, default_value = "fedledger-sim.csv")]
	out_csv: PathBuf,
	/// Accuracy plot (SVG).
	#[arg(long, default_value = "fedledger-sim.svg")]
	plot: PathBuf,
	/// Write the last round's inputs (global.fltc, u*.fltc, aggregate-args.txt) here, for
	/// re-verification with `fedledger-sim aggregate`.
	#[arg(long)]
	dump_last_round: Option<PathBuf>,
}

#[derive(Args)]
struct SweepArgs {
	#[command(flatten)]
	common: Common,
	#[arg(
		long,
		value_delimiter = ',',
		default_value = "none,sign-flip,gaussian,label-flip,alie,ipm,mimic,scaling"
	)]
	attacks: Vec<Attack>,
	#[arg(
		long,
		value_delimiter = ',',
		default_value = "fedavg,median,trimmed-mean,krum,multi-krum,bulyan,geometric-median,centered-clipping,norm-bounding"
	)]
	rules: Vec<String>,
	/// Bucket sizes; `none` for no bucketing.
	#[arg(long, value_delimiter = ',', default_value = "none,2")]
	bucketing: Vec<String>,
	#[arg(long, value_delimiter = ',', default_value = "iid,dir0.5")]
	partitions: Vec<PartitionKind>,
	/// One line per run.
	#[arg(long, default_value = "sweep.csv")]
	summary_csv: PathBuf,
	/// Markdown tables (one per partition × bucketing).
	#[arg(long, default_value = "sweep.md")]
	markdown: PathBuf,
}

#[derive(Args)]
struct AggregateArgs {
	/// Rule (as for `run`; a bare name derives f and β from --byzantine and the file count).
	#[arg(long)]
	rule: String,
	#[command(flatten)]
	params: RuleArgs,
	/// Byzantine count used for rule defaults (f, β).
	#[arg(long, default_value_t = 0)]
	byzantine: usize,
	#[arg(long)]
	bucketing: Option<u32>,
	/// Round context: the model id (enters the bucketing seed, as on chain).
	#[arg(long, default_value_t = 0)]
	model: u32,
	/// Round context: the round index (enters the bucketing seed, as on chain).
	#[arg(long, default_value_t = 0)]
	round: u32,
	/// Declared sample counts, comma-separated, one per file [default: all 1].
	#[arg(long, value_delimiter = ',')]
	samples: Option<Vec<u32>>,
	/// Buffered-async round: constant | poly:<a> | hinge:<a>,<b> [default: synchronous].
	#[arg(long)]
	staleness: Option<String>,
	/// The round's base version (staleness is measured from it).
	#[arg(long, default_value_t = 0)]
	base_version: u32,
	/// Base version of each update, comma-separated [default: all --base-version].
	#[arg(long, value_delimiter = ',')]
	base_versions: Option<Vec<u32>>,
	/// Server step size (the chain's is 1).
	#[arg(long, default_value_t = 1.0)]
	server_lr: f32,
	/// The round's aggregation seed as 64 hex digits (the chain's `aggregationSeed`; it seeds
	/// bucketing) [default: zero].
	#[arg(long, value_parser = parse_digest)]
	aggregation_seed: Option<[u8; 32]>,
	/// Current global model payload: also print the hash of global + aggregate.
	#[arg(long)]
	global: Option<PathBuf>,
	/// Write the aggregate payload here.
	#[arg(long)]
	out: Option<PathBuf>,
	/// Update payloads, in round order.
	#[arg(required = true)]
	files: Vec<PathBuf>,
}

fn main() -> Result<()> {
	match Cli::parse().cmd {
		Cmd::Run(a) => cmd_run(a),
		Cmd::Sweep(a) => cmd_sweep(a),
		Cmd::Aggregate(a) => cmd_aggregate(a),
		Cmd::Evaluate(a) => cmd_evaluate(a),
	}
}

fn cmd_evaluate(a: EvaluateArgs) -> Result<()> {
	use fedledger_ml::model::DenseNet;
	use fedledger_primitives::tensor_codec;

	let raw = std::fs::read(&a.weights)
		.with_context(|| format!("{}: cannot read", a.weights.display()))?;
	let text = std::str::from_utf8(&raw).map(str::trim).ok();
	let bytes = match text.and_then(|t| t.strip_prefix("0x")) {
		Some(hex) => fedledger_ml::hex::from_hex(hex)
			.with_context(|| format!("{}: invalid hex", a.weights.display()))?,
		None => raw,
	};
	let weights = tensor_codec::decode(&bytes, u32::MAX).map_err(|e| {
		anyhow::anyhow!(
			"{}: not a canonical tensor payload: {e:?}",
			a.weights.display()
		)
	})?;
	let test = load_fashion_mnist(&a.data, Split::Test)
		.with_context(|| format!("{}: loading the test split", a.data.display()))?;
	let arch = DenseNet::from_architecture(&fedledger_primitives::model::Architecture {
		kind: model_kind(&a.hidden)?,
		input_dim: test.feature_count() as u32,
		classes: test.classes() as u32,
	})?;
	if arch.param_count() != weights.values.len() {
		bail!(
			"{}: {} parameters, the architecture (hidden {:?}) has {}",
			a.weights.display(),
			weights.values.len(),
			a.hidden,
			arch.param_count()
		);
	}
	let params = ndarray::Array1::from(weights.values);
	let eval = arch.evaluate(params.view(), test.features(), test.labels())?;
	println!(
		"{{\"accuracy\":{:.6},\"loss\":{:.6},\"samples\":{}}}",
		eval.accuracy,
		eval.loss,
		test.len()
	);
	Ok(())
}

fn load(common: &Common) -> Result<SimData> {
	let train = load_fashion_mnist(&common.data_dir, Split::Train).context(
		"loading the training set (install Debian's dataset-fashion-mnist or pass --data-dir)",
	)?;
	let test = load_fashion_mnist(&common.data_dir, Split::Test).context("loading the test set")?;
	Ok(SimData::split(
		&train,
		&test,
		common.validation_size,
		common.train_limit,
		common.test_limit,
		common.seed,
	)?)
}

fn config(
	c: &Common,
	attack: Attack,
	rule: &str,
	bucketing: Option<u32>,
	partition: PartitionKind,
) -> Result<SimConfig, String> {
	let per_round = match c.mode {
		ModeArg::Sync => c.trainers,
		ModeArg::Async => c.buffer,
	};
	let spec = parse_rule(
		rule,
		&c.rule.params(c.trainers, c.byzantine),
		bucketing,
		per_round as u32,
	)?;
	let model = match c.model {
		ModelArg::Logreg => ModelKind::Logistic,
		ModelArg::Mlp => model_kind(&c.hidden).map_err(|e| e.to_string())?,
	};
	let mode = match c.mode {
		ModeArg::Sync => Mode::Sync,
		ModeArg::Async => Mode::Async {
			buffer: c.buffer,
			max_staleness: c.max_staleness,
			staleness: parse_staleness(&c.staleness)?,
		},
	};
	Ok(SimConfig {
		trainers: c.trainers,
		byzantine: c.byzantine,
		attack,
		spec,
		model,
		partition,
		rounds: c.rounds,
		train: TrainConfig {
			epochs: c.local_epochs,
			batch_size: c.batch_size,
			learning_rate: c.lr,
			prox_mu: c.prox_mu,
			clip_norm: c.clip,
			noise_multiplier: c.dp_sigma,
		},
		mode,
		scorer: c.scorer,
		server_lr: c.server_lr,
		seed: c.seed,
	})
}

fn bar(len: u64, quiet: bool, unit: &str) -> ProgressBar {
	if quiet {
		return ProgressBar::hidden();
	}
	let pb = ProgressBar::new(len);
	pb.set_style(
		ProgressStyle::with_template(&format!(
			"{{elapsed_precise}} [{{wide_bar}}] {{pos}}/{{len}} {unit} {{msg}}"
		))
		.expect("valid template")
		.progress_chars("=> "),
	);
	pb
}

fn cmd_run(a: RunArgs) -> Result<()> {
	let cfg = config(&a.common, a.attack, &a.rule, a.bucketing, a.partition)
		.map_err(anyhow::Error::msg)?;
	let data = load(&a.common)?;
	let pb = bar(cfg.rounds as u64, a.common.quiet, "rounds");
	let outcome = sim::run(&cfg, &data, &mut |r| {
		pb.set_message(format!(
			"acc {:.4} loss {:.4} accepted {}/{} (byz {})",
			r.eval.accuracy,
			r.eval.loss,
			r.accepted_count(),
			r.members.len(),
			r.byzantine_accepted()
		));
		pb.inc(1);
	})?;
	pb.finish();
	sim::write_csv(&a.out_csv, &outcome)
		.with_context(|| format!("writing {}", a.out_csv.display()))?;
	let title = format!(
		"{} · {} · {} · n={} f={}",
		a.attack, cfg.spec, a.partition, cfg.trainers, cfg.byzantine
	);
	sim::write_accuracy_plot(
		&a.plot,
		&title,
		&[(cfg.spec.to_string(), accuracy_series(&outcome))],
	)
	.map_err(anyhow::Error::msg)
	.with_context(|| format!("writing {}", a.plot.display()))?;
	if let Some(dir) = &a.dump_last_round {
		let inputs = outcome.last_round.as_ref().context("no rounds were run")?;
		sim::dump_round(dir, inputs).with_context(|| format!("writing {}", dir.display()))?;
		let model = fedledger_primitives::tensor_codec::encode_f32(
			outcome.params.as_slice().expect("contiguous"),
			&[outcome.params.len() as u32],
		)
		.map_err(|e| anyhow::anyhow!("{e:?}"))?;
		println!(
			"final model sha3-256 {} (last round's inputs in {})",
			verify::hex(&fedledger_primitives::tensor_codec::digest(&model)),
			dir.display()
		);
	}
	let last = outcome.rounds.last().map_or(outcome.initial, |r| r.eval);
	println!(
		"final test accuracy {:.4}, loss {:.4} after {} rounds ({} → {})",
		last.accuracy,
		last.loss,
		outcome.rounds.len(),
		a.out_csv.display(),
		a.plot.display()
	);
	Ok(())
}

/// One cell of the sweep.
struct SweepRow {
	partition: String,
	bucketing: String,
	/// The rule as the sweep names it (a column label) …
	rule: String,
	/// … and the spec it ran with, every parameter shown (`None`: it did not parse).
	spec: Option<String>,
	attack: String,
	result: std::result::Result<(f64, f64, f64), String>,
	seconds: f64,
}

fn cmd_sweep(a: SweepArgs) -> Result<()> {
	let bucketings: Vec<Option<u32>> = a
		.bucketing
		.iter()
		.map(|b| {
			if b == "none" {
				Ok(None)
			} else {
				b.parse().map(Some)
			}
		})
		.collect::<std::result::Result<_, _>>()
		.context("--bucketing takes `none` or bucket sizes")?;
	let data = load(&a.common)?;
	let total = a.partitions.len() * bucketings.len() * a.rules.len() * a.attacks.len();
	let pb = bar(total as u64, a.common.quiet, "runs");
	let mut rows = Vec::with_capacity(total);
	for &partition in &a.partitions {
		for &bucketing in &bucketings {
			for rule in &a.rules {
				for &attack in &a.attacks {
					let b = bucketing.map_or("none".to_string(), |s| s.to_string());
					pb.set_message(format!("{partition} bucket={b} {rule} {attack}"));
					let start = Instant::now();
					let cfg = config(&a.common, attack, rule, bucketing, partition);
					let spec = cfg.as_ref().ok().map(|c| c.spec.to_string());
					let result = cfg
						.map_err(|e| e.to_string())
						.and_then(|cfg| {
							sim::run(&cfg, &data, &mut |_| {}).map_err(|e| match e {
								SimError::Config(m) => m,
								other => other.to_string(),
							})
						})
						.map(|o| {
							let last = o.rounds.last().map_or(o.initial, |r| r.eval);
							let submitted: usize = o
								.rounds
								.iter()
								.map(|r| r.byzantine.iter().filter(|&&b| b).count())
								.sum();
							let accepted: usize =
								o.rounds.iter().map(|r| r.byzantine_accepted()).sum();
							// Share of Byzantine updates the rule let through.
							let byz = accepted as f64 / submitted.max(1) as f64;
							(last.accuracy, last.loss, byz)
						});
					rows.push(SweepRow {
						partition: partition.to_string(),
						bucketing: b,
						rule: rule.clone(),
						spec,
						attack: attack.to_string(),
						result,
						seconds: start.elapsed().as_secs_f64(),
					});
					pb.inc(1);
				}
			}
		}
	}
	pb.finish();
	write_sweep_csv(&a.summary_csv, &rows)?;
	write_sweep_markdown(&a.markdown, &rows, &a.rules, &a.attacks)?;
	println!(
		"{} runs → {} and {}",
		rows.len(),
		a.summary_csv.display(),
		a.markdown.display()
	);
	Ok(())
}

fn write_sweep_csv(path: &Path, rows: &[SweepRow]) -> Result<()> {
	let mut s = String::from(
		"partition,bucketing,rule,attack,final_accuracy,final_loss,byzantine_accept_rate,seconds,error\n",
	);
	for r in rows {
		let (acc, loss, byz, err) = match &r.result {
			Ok((a, l, b)) => (
				format!("{a:.4}"),
				format!("{l:.4}"),
				format!("{b:.3}"),
				String::new(),
			),
			Err(e) => (
				String::new(),
				String::new(),
				String::new(),
				e.replace(',', ";"),
			),
		};
		s.push_str(&format!(
			"{},{},{},{},{acc},{loss},{byz},{:.1},{err}\n",
			r.partition, r.bucketing, r.rule, r.attack, r.seconds
		));
	}
	std::fs::write(path, s).with_context(|| format!("writing {}", path.display()))
}

fn write_sweep_markdown(
	path: &Path,
	rows: &[SweepRow],
	rules: &[String],
	attacks: &[Attack],
) -> Result<()> {
	let mut s = String::new();
	let mut groups: Vec<(String, String)> = Vec::new();
	for r in rows {
		let g = (r.partition.clone(), r.bucketing.clone());
		if !groups.contains(&g) {
			groups.push(g);
		}
	}
	for (partition, bucketing) in groups {
		let b = if bucketing == "none" {
			"no bucketing".into()
		} else {
			format!("bucketing s={bucketing}")
		};
		s.push_str(&format!("#### {partition}, {b}\n\n| rule |"));
		for at in attacks {
			s.push_str(&format!(" {at} |"));
		}
		s.push_str("\n|---|");
		s.push_str(&"---:|".repeat(attacks.len()));
		s.push('\n');
		for rule in rules {
			s.push_str(&format!("| {rule} |"));
			for at in attacks {
				let cell = rows
					.iter()
					.find(|r| {
						r.partition == partition
							&& r.bucketing == bucketing
							&& &r.rule == rule && r.attack == at.to_string()
					})
					.map_or("".into(), |r| match &r.result {
						Ok((acc, _, _)) => format!("{:.1}", acc * 100.0),
						Err(_) => "n/a".into(),
					});
				s.push_str(&format!(" {cell} |"));
			}
			s.push('\n');
		}
		// What the bare names ran with here (the parameters derived from the experiment).
		let specs: Vec<String> = rules
			.iter()
			.filter_map(|rule| {
				rows.iter()
					.find(|r| {
						r.partition == partition && r.bucketing == bucketing && &r.rule == rule
					})
					.and_then(|r| r.spec.clone())
			})
			.map(|spec| format!("`{spec}`"))
			.collect();
		s.push_str(&format!("\nRules as run: {}.\n\n", specs.join(", ")));
	}
	let errors: Vec<String> = rows
		.iter()
		.filter_map(|r| r.result.as_ref().err().map(|e| (r, e)))
		.map(|(r, e)| {
			format!(
				"- {} / {} / bucketing {}: {e}",
				r.partition, r.rule, r.bucketing
			)
		})
		.collect::<std::collections::BTreeSet<_>>()
		.into_iter()
		.collect();
	if !errors.is_empty() {
		s.push_str("n/a cells (configuration rejected by the rule):\n\n");
		s.push_str(&errors.join("\n"));
		s.push('\n');
	}
	std::fs::write(path, s).with_context(|| format!("writing {}", path.display()))
}

fn cmd_aggregate(a: AggregateArgs) -> Result<()> {
	let n = a.files.len();
	let spec = parse_rule(
		&a.rule,
		&a.params.params(n, a.byzantine),
		a.bucketing,
		n as u32,
	)
	.map_err(anyhow::Error::msg)?;
	let ctx = verify::RoundContext {
		model: a.model,
		round: a.round,
		samples: a.samples.clone(),
		staleness: a
			.staleness
			.as_deref()
			.map(parse_staleness)
			.transpose()
			.map_err(anyhow::Error::msg)?,
		base_version: a.base_version,
		base_versions: a.base_versions.clone(),
		server_lr: a.server_lr,
		seed: a.aggregation_seed.unwrap_or([0; 32]),
	};
	let rebuilt = verify::rebuild_aggregate(&spec, &a.files, &ctx, a.global.as_deref())?;
	for (f, d) in a.files.iter().zip(&rebuilt.update_digests) {
		eprintln!("{}  {}", verify::hex(d), f.display());
	}
	let accepted: String = rebuilt
		.accepted
		.iter()
		.map(|&b| if b { '1' } else { '0' })
		.collect();
	eprintln!("rule {spec}, accepted {accepted}");
	if let Some(out) = &a.out {
		std::fs::write(out, &rebuilt.aggregate_payload)
			.with_context(|| format!("writing {}", out.display()))?;
	}
	println!("aggregate {}", verify::hex(&rebuilt.aggregate_digest));
	if let Some((_, h)) = &rebuilt.new_model {
		println!("new_model {}", verify::hex(h));
	}
	if rebuilt.accepted.is_empty() {
		bail!("no updates");
	}
	Ok(())
}

/// A 32-byte digest from 64 hex digits.
fn parse_digest(text: &str) -> Result<[u8; 32], String> {
	fedledger_ml::hex::digest_from_hex(text).ok_or_else(|| format!("{text:?} is not 64 hex digits"))
}
