//! What a simulation runs: trainers, attack, rule, model, data split, schedule.

use std::fmt;
use std::str::FromStr;

use fedledger_primitives::rules::{
	micro_to_f64, AggregationRule, AggregationSpec, Mixing, RuleParseError, StalenessFn, MICRO,
};

use fedledger_ml::training::TrainConfig;
use fedledger_primitives::model::{ModelKind, Scorer};

/// How the training set is split among trainers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PartitionKind {
	Iid,
	Dirichlet { alpha: f64 },
	Shards { per_client: usize },
}

impl fmt::Display for PartitionKind {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		match self {
			Self::Iid => write!(f, "iid"),
			Self::Dirichlet { alpha } => write!(f, "dir{alpha}"),
			Self::Shards { per_client } => write!(f, "shards{per_client}"),
		}
	}
}

impl FromStr for PartitionKind {
	type Err = String;
	/// `iid`, `dir<α>` (e.g. `dir0.5`), `shards<k>`.
	fn from_str(s: &str) -> Result<Self, String> {
		if s == "iid" {
			return Ok(Self::Iid);
		}
		if let Some(a) = s.strip_prefix("dir") {
			let alpha = a.parse().map_err(|_| format!("bad Dirichlet α in {s:?}"))?;
			return Ok(Self::Dirichlet { alpha });
		}
		if let Some(k) = s.strip_prefix("shards") {
			let per_client = k.parse().map_err(|_| format!("bad shard count in {s:?}"))?;
			return Ok(Self::Shards { per_client });
		}
		Err(format!("unknown partition {s:?} (iid, dir<α>, shards<k>)"))
	}
}

/// Synchronous rounds, or FedBuff-style buffered asynchronous aggregation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mode {
	/// Every trainer trains on the current model each round.
	Sync,
	/// Trainers run at their own speeds; the server aggregates every `buffer` arrivals; an
	/// update more than `max_staleness` versions old is dropped; fresher ones are weighted by
	/// `staleness`.
	Async {
		buffer: usize,
		max_staleness: u32,
		staleness: StalenessFn,
	},
}

/// Rule parameters shared by every rule name (fixed units as in `primitives::rules`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RuleParams {
	/// Byzantine updates (or buckets) tolerated by Krum, Multi-Krum and Bulyan.
	pub f: u32,
	/// Trimmed-mean fraction from each end.
	pub beta: f64,
	/// Multi-Krum selection size; `None`: (inputs − f).
	pub m: Option<u32>,
	/// Geometric-median Weiszfeld iterations and smoothing ν.
	pub gm_iters: u32,
	pub gm_eps: f64,
	/// Centered clipping radius τ and iterations.
	pub cc_tau: f64,
	pub cc_iters: u32,
	/// Norm-bounding radius.
	pub max_norm: f64,
}

fn micro(x: f64) -> u32 {
	(x * MICRO as f64).round().clamp(1.0, u32::MAX as f64) as u32
}

/// Builds a spec from a rule in the one rule vocabulary, the `FromStr` of
/// `fedledger_primitives::rules::{AggregationRule, AggregationSpec}` (`fedavg`, `median`,
/// `trimmed-mean[:beta]`, `krum[:f]`, `multi-krum[:f[:m]]`, `bulyan[:f]`,
/// `geometric-median[:iters[:eps]]`, `centered-clipping[:tau[:iters]]`,
/// `norm-bounding[:max_norm]`, optionally followed by `+bucket:<s>`).
///
/// A rule written with its parameters (`krum:5`) runs as written. A bare name takes them from
/// the experiment, as the sweep always has: `f` (Krum, Multi-Krum, Bulyan) and β (trimmed
/// mean) from `p` (by default the Byzantine count and Byzantine fraction), Multi-Krum's `m`
/// as `p.m` or the rule's inputs minus `f` — the inputs being `inputs` updates, or
/// `⌈inputs / s⌉` buckets with bucketing — and the iterative rules' parameters from `p`.
/// Bucketing comes from `+bucket:<s>` or, without one, from `bucketing`; the other pipeline
/// stages (`+clip`, `+arc`, `+nnm`, `+weighted`) come from the text.
pub fn parse_rule(
	text: &str,
	p: &RuleParams,
	bucketing: Option<u32>,
	inputs: u32,
) -> Result<AggregationSpec, String> {
	// The whole text is a spec (rule, then pipeline stages); a bare rule name then takes its
	// parameters from the experiment below.
	let mut spec: AggregationSpec = text.parse().map_err(|e: RuleParseError| e.to_string())?;
	match (bucketing, spec.bucket_size()) {
		(Some(b), Some(s)) if b != s => {
			return Err(format!("{text:?} and --bucketing {b} disagree"));
		}
		(Some(b), None) if spec.mixing.is_some() => {
			return Err(format!(
				"{text:?} mixes by NNM; --bucketing {b} cannot apply too"
			));
		}
		(Some(b), None) => spec.mixing = Some(Mixing::Bucketing { size: b }),
		_ => {}
	}
	let bucketing = spec.bucket_size();
	let rule_text = text.split('+').next().unwrap_or_default();
	if rule_text.contains(':') {
		return Ok(spec);
	}
	let effective = match bucketing {
		Some(s) if s > 0 => inputs.div_ceil(s),
		_ => inputs,
	};
	// Checked against the vocabulary first, so an unknown name gets the parser's message.
	let named: AggregationRule = rule_text
		.parse()
		.map_err(|e: RuleParseError| e.to_string())?;
	let rule = match named {
		AggregationRule::FedAvg => AggregationRule::FedAvg,
		AggregationRule::Median => AggregationRule::Median,
		AggregationRule::TrimmedMean { .. } => AggregationRule::TrimmedMean {
			beta: (p.beta * 1e9).round() as u32,
		},
		AggregationRule::Krum { .. } => AggregationRule::Krum { f: p.f },
		AggregationRule::MultiKrum { .. } => AggregationRule::MultiKrum {
			f: p.f,
			m: p.m.unwrap_or(effective.saturating_sub(p.f).max(1)),
		},
		AggregationRule::Bulyan { .. } => AggregationRule::Bulyan { f: p.f },
		AggregationRule::GeometricMedian { .. } => AggregationRule::GeometricMedian {
			iters: p.gm_iters,
			eps: micro(p.gm_eps),
		},
		AggregationRule::CenteredClipping { .. } => AggregationRule::CenteredClipping {
			tau: micro(p.cc_tau),
			iters: p.cc_iters,
		},
		AggregationRule::NormBounding { .. } => AggregationRule::NormBounding {
			max_norm: micro(p.max_norm),
		},
	};
	Ok(AggregationSpec { rule, ..spec })
}

/// The name [`parse_staleness`] reads back: `constant`, `poly:<a>`, `hinge:<a>,<b>`.
pub fn staleness_name(s: &StalenessFn) -> String {
	match *s {
		StalenessFn::Constant => "constant".into(),
		StalenessFn::Polynomial { a } => format!("poly:{}", micro_to_f64(a)),
		StalenessFn::Hinge { a, b } => format!("hinge:{},{b}", micro_to_f64(a)),
	}
}

/// Parses `constant`, `poly:<a>` or `hinge:<a>,<b>`.
pub fn parse_staleness(s: &str) -> Result<StalenessFn, String> {
	let bad = || format!("bad staleness function {s:?} (constant, poly:<a>, hinge:<a>,<b>)");
	if s == "constant" {
		return Ok(StalenessFn::Constant);
	}
	if let Some(a) = s.strip_prefix("poly:") {
		let a: f64 = a.parse().map_err(|_| bad())?;
		return Ok(StalenessFn::Polynomial {
			a: (a * MICRO as f64).round() as u32,
		});
	}
	if let Some(rest) = s.strip_prefix("hinge:") {
		let (a, b) = rest.split_once(',').ok_or_else(bad)?;
		let a: f64 = a.parse().map_err(|_| bad())?;
		let b: u32 = b.parse().map_err(|_| bad())?;
		return Ok(StalenessFn::Hinge {
			a: (a * MICRO as f64).round() as u32,
			b,
		});
	}
	Err(bad())
}

/// Everything one simulation run needs.
#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
	/// Total trainers n.
	pub trainers: usize,
	/// Byzantine trainers f (the last f trainer indices).
	pub byzantine: usize,
	pub attack: fedledger_ml::attacks::Attack,
	pub spec: AggregationSpec,
	/// The network (hidden widths; inputs and classes come from the data).
	pub model: ModelKind,
	pub partition: PartitionKind,
	/// Synchronous rounds, or aggregations (model versions) in async mode.
	pub rounds: usize,
	pub train: TrainConfig,
	pub mode: Mode,
	/// Attribution scorer; `None` scores nothing.
	pub scorer: Option<Scorer>,
	/// Server step size applied to the aggregate.
	pub server_lr: f32,
	pub seed: u64,
}
