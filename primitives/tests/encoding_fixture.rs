//! The bytes the JavaScript helpers (`scripts/e2e/lib/chain.mjs`) must produce, as the Rust
//! types produce them: `scripts/e2e/test/fixtures/encoding.json` holds, for a list of rule/spec
//! texts, the canonical text and the SCALE bytes of the parsed [`AggregationSpec`]; texts both
//! sides must refuse; the SCALE bytes of [`TrainingConfig<u128>`]s built as `logisticConfig(…)`
//! builds them; and canonical tensor-codec bytes and digests of small weight vectors.
//!
//! This test regenerates the fixture and fails if the committed file differs, so it cannot go
//! stale; `scripts/e2e/test/encoding.test.mjs` checks the JavaScript side against it. After an
//! intended change, rewrite it with
//!
//! ```text
//! UPDATE_FIXTURES=1 cargo test -p fedledger-primitives --test encoding_fixture
//! ```

use codec::Encode;
use fedledger_primitives::{
	model::{
		Architecture, HyperParams, ModelKind, RewardSplit, Schedule, Scorer, TrainingConfig,
		UpdateBounds,
	},
	rules::{AggregationSpec, Mixing, MICRO, PARTS_PER_BILLION},
	tensor_codec,
};
use std::fmt::Write as _;

const FIXTURE: &str = concat!(
	env!("CARGO_MANIFEST_DIR"),
	"/../scripts/e2e/test/fixtures/encoding.json"
);

/// Rule/spec texts: every rule bare (defaults), with parameters, non-canonical spellings,
/// bucketing and extreme values.
const SPEC_TEXTS: &[&str] = &[
	"fedavg",
	"median",
	"trimmed-mean",
	"trimmed-mean:0.25",
	"trimmed-mean:0.1",
	"trimmed-mean:0.000000001",
	"trimmed-mean:0.340000000",
	"trimmed-mean:4.294967295",
	"krum",
	"krum:2",
	"krum:4294967295",
	"multi-krum",
	"multi-krum:2",
	"multi-krum:1:9",
	"bulyan",
	"bulyan:3",
	"geometric-median",
	"geometric-median:20",
	"geometric-median:5:0.01",
	"centered-clipping",
	"centered-clipping:1.5",
	"centered-clipping:0.25:10",
	"norm-bounding",
	"norm-bounding:2.75",
	"norm-bounding:007.500",
	"norm-bounding:4294.967295",
	"median+bucket:2",
	"krum:1+bucket:2",
	"trimmed-mean:0.2+bucket:3",
	"geometric-median+bucket:4294967295",
	"fedavg+bucket:0",
	"median+arc",
	"median+arc:3+nnm:3",
	"krum:2+clip:0.5+bucket:2+weighted:1.5",
	"fedavg+weighted",
	"geometric-median+clip:4294.967295+nnm",
	"trimmed-mean+nnm:0",
];

/// Texts both parsers must refuse.
const INVALID_TEXTS: &[&str] = &[
	"",
	"geomed",
	"Krum",
	"fedavg:1",
	"krum:",
	"krum:1:2",
	"krum:-1",
	"krum:+1",
	"krum:1+1",
	"median+bucket:2:3",
	"krum:1.0",
	"krum:4294967296",
	"trimmed-mean:.5",
	"trimmed-mean:5.",
	"trimmed-mean:0.0000000001",
	"trimmed-mean:4.294967296",
	"geometric-median:8:1e-6",
	"geometric-median:8:0.0000001",
	"centered-clipping:fast",
	"norm-bounding:4294.967296",
	"norm-bounding: 1",
	"median+bucket:",
	"median+bucket:x",
	"median+bucket:2+bucket:3",
	"median+buckets:2",
	"median+",
	"+bucket:2",
	"median+bucket:2+arc",
	"median+nnm+bucket:2",
	"median+arc+clip:1",
	"median+weighted+weighted",
	"median+clip",
	"median+bucket",
	"median+clip:x",
	"median+arc:1.5",
	"median+weighted:-1",
	"median+nnm:",
];

/// The options of `logisticConfig` in scripts/e2e/lib/chain.mjs, with its defaults.
#[derive(Clone)]
struct Options {
	hidden: Option<Vec<u32>>,
	epochs: u16,
	batch_size: u32,
	/// micro units
	learning_rate: u32,
	/// micro units
	fedprox_mu: u32,
	commit: u32,
	reveal: u32,
	aggregate: u32,
	min_updates: u32,
	/// `None`: the default rule, `DEFAULT_RULE` (trimmed-mean:0.34).
	rule: Option<&'static str>,
	bucketing: Option<u32>,
	bounds: UpdateBounds,
	scorer: Scorer,
	reward: u128,
	/// parts per billion
	split_owner: u32,
	/// parts per billion
	split_validators: u32,
}

const UNIT: u128 = 1_000_000_000_000;

impl Default for Options {
	fn default() -> Self {
		Self {
			hidden: None,
			epochs: 1,
			batch_size: 32,
			learning_rate: 100_000,
			fedprox_mu: 0,
			commit: 4,
			reveal: 4,
			aggregate: 4,
			min_updates: 3,
			rule: None,
			bucketing: None,
			bounds: UpdateBounds::GENEROUS,
			scorer: Scorer::CosineToAggregate,
			reward: 1_000 * UNIT,
			split_owner: 100_000_000,
			split_validators: 200_000_000,
		}
	}
}

impl Options {
	/// What `logisticConfig(options)` builds.
	fn config(&self) -> TrainingConfig<u128> {
		let mut aggregation: AggregationSpec =
			self.rule.unwrap_or("trimmed-mean:0.34").parse().unwrap();
		if aggregation.mixing.is_none() {
			aggregation.mixing = self.bucketing.map(|size| Mixing::Bucketing { size });
		}
		TrainingConfig {
			architecture: Architecture {
				kind: match &self.hidden {
					None => ModelKind::Logistic,
					Some(h) => ModelKind::Mlp {
						hidden: [
							h.first().copied().unwrap_or(0),
							h.get(1).copied().unwrap_or(0),
						],
					},
				},
				input_dim: 784,
				classes: 10,
			},
			hyper_params: HyperParams {
				local_epochs: self.epochs,
				batch_size: self.batch_size,
				learning_rate: self.learning_rate,
				fedprox_mu: self.fedprox_mu,
				dp: None,
			},
			aggregation,
			update_bounds: self.bounds,
			scorer: self.scorer,
			schedule: Schedule::Sync {
				commit_blocks: self.commit,
				reveal_blocks: self.reveal,
				aggregate_blocks: self.aggregate,
				min_updates: self.min_updates,
			},
			reward_per_round: self.reward,
			reward_split: RewardSplit {
				owner: self.split_owner,
				validators: self.split_validators,
				trainers: PARTS_PER_BILLION - self.split_owner - self.split_validators,
			},
		}
	}

	/// The options as the JSON object to pass to `logisticConfig` (only those not at their
	/// default; real numbers as decimals, the reward as a decimal string of plancks).
	fn json(&self) -> String {
		let d = Options::default();
		let mut fields: Vec<String> = Vec::new();
		if let Some(h) = &self.hidden {
			let widths: Vec<String> = h.iter().map(u32::to_string).collect();
			fields.push(format!("\"hidden\": [{}]", widths.join(", ")));
		}
		let mut num = |name: &str, value: u32, default: u32, text: String| {
			if value != default {
				fields.push(format!("\"{name}\": {text}"));
			}
		};
		num(
			"epochs",
			self.epochs.into(),
			d.epochs.into(),
			self.epochs.to_string(),
		);
		num(
			"batchSize",
			self.batch_size,
			d.batch_size,
			self.batch_size.to_string(),
		);
		num(
			"learningRate",
			self.learning_rate,
			d.learning_rate,
			decimal(self.learning_rate, MICRO),
		);
		num(
			"fedproxMu",
			self.fedprox_mu,
			d.fedprox_mu,
			decimal(self.fedprox_mu, MICRO),
		);
		num("commit", self.commit, d.commit, self.commit.to_string());
		num("reveal", self.reveal, d.reveal, self.reveal.to_string());
		num(
			"aggregate",
			self.aggregate,
			d.aggregate,
			self.aggregate.to_string(),
		);
		num(
			"minUpdates",
			self.min_updates,
			d.min_updates,
			self.min_updates.to_string(),
		);
		if let Some(rule) = self.rule {
			fields.push(format!("\"rule\": {}", json_str(rule)));
		}
		if let Some(s) = self.bucketing {
			fields.push(format!("\"bucketing\": {s}"));
		}
		if self.bounds != d.bounds {
			fields.push(format!(
				"\"bounds\": {{ \"maxSamples\": {}, \"maxValue\": {}, \"maxNorm\": {} }}",
				self.bounds.max_samples,
				decimal(self.bounds.max_value, MICRO),
				decimal(self.bounds.max_norm, MICRO)
			));
		}
		if self.scorer != d.scorer {
			fields.push(format!("\"scorer\": \"{:?}\"", self.scorer));
		}
		if self.reward != d.reward {
			fields.push(format!("\"reward\": \"{}\"", self.reward));
		}
		if (self.split_owner, self.split_validators) != (d.split_owner, d.split_validators) {
			fields.push(format!(
				"\"split\": {{ \"owner\": {}, \"validators\": {} }}",
				decimal(self.split_owner, PARTS_PER_BILLION),
				decimal(self.split_validators, PARTS_PER_BILLION)
			));
		}
		if fields.is_empty() {
			return "{}".into();
		}
		format!("{{ {} }}", fields.join(", "))
	}
}

fn config_cases() -> Vec<Options> {
	let d = Options::default;
	vec![
		d(),
		Options {
			rule: Some("median"),
			min_updates: 5,
			..d()
		},
		Options {
			hidden: Some(vec![64]),
			rule: Some("krum:1+bucket:2"),
			epochs: 2,
			batch_size: 16,
			learning_rate: 50_000,
			fedprox_mu: 10_000,
			commit: 3,
			reveal: 2,
			aggregate: 5,
			min_updates: 9,
			scorer: Scorer::GtgShapley,
			reward: 2_500 * UNIT + 1,
			split_owner: 50_000_000,
			split_validators: 250_000_000,
			..d()
		},
		Options {
			hidden: Some(vec![128, 32]),
			rule: Some("centered-clipping:1.5:4"),
			bucketing: Some(3),
			scorer: Scorer::LeaveOneOut,
			split_owner: 0,
			split_validators: 0,
			..d()
		},
		Options {
			rule: Some("geometric-median"),
			learning_rate: 1,
			..d()
		},
		Options {
			rule: Some("median+arc:1+nnm:1+weighted:2"),
			bounds: UpdateBounds {
				max_samples: 5_000,
				max_value: 2_500_000,
				max_norm: 40_000_000,
			},
			..d()
		},
	]
}

/// Weight vectors whose canonical dense-f32 bytes `encodeTensorF32` must reproduce.
fn tensor_cases() -> Vec<Vec<f32>> {
	vec![
		vec![0.0],
		vec![0.0, 1.0, -1.0, 0.5, -2.25, 100.0],
		vec![
			std::f32::consts::PI,
			0.1,
			1e-3,
			-0.0,
			f32::MAX,
			f32::MIN,
			f32::MIN_POSITIVE,
			f32::from_bits(1),
			-123_456.79,
		],
	]
}

/// `value` units of `1/scale` as a plain decimal (the grammar's canonical form).
fn decimal(value: u32, scale: u32) -> String {
	let places = scale.ilog10() as usize;
	let (whole, frac) = (value / scale, value % scale);
	if frac == 0 {
		return whole.to_string();
	}
	let text = format!("{whole}.{frac:0places$}");
	text.trim_end_matches('0').to_string()
}

fn hex(bytes: &[u8]) -> String {
	let mut s = String::with_capacity(2 + 2 * bytes.len());
	s.push_str("0x");
	for b in bytes {
		write!(s, "{b:02x}").unwrap();
	}
	s
}

fn json_str(s: &str) -> String {
	let mut out = String::from("\"");
	for c in s.chars() {
		match c {
			'"' => out.push_str("\\\""),
			'\\' => out.push_str("\\\\"),
			c if (c as u32) < 0x20 => write!(out, "\\u{:04x}", c as u32).unwrap(),
			c => out.push(c),
		}
	}
	out.push('"');
	out
}

/// An f32 as a JSON number that parses (as an f64) to exactly that value: the shortest
/// scientific spelling of the f32 widened to f64 (which holds every f32 exactly).
fn json_f32(x: f32) -> String {
	format!("{:e}", f64::from(x))
}

fn generate() -> String {
	let mut out = String::new();
	out.push_str("{\n");
	out.push_str(
		"  \"about\": \"Generated by primitives/tests/encoding_fixture.rs from the Rust types; \
		 do not edit (UPDATE_FIXTURES=1 cargo test -p fedledger-primitives --test \
		 encoding_fixture rewrites it). scripts/e2e/test/encoding.test.mjs checks the \
		 JavaScript helpers against it.\",\n",
	);

	out.push_str("  \"specs\": [\n");
	let specs: Vec<String> = SPEC_TEXTS
		.iter()
		.map(|text| {
			let spec: AggregationSpec = text.parse().unwrap_or_else(|e| panic!("{text:?}: {e}"));
			format!(
				"    {{ \"text\": {}, \"canonical\": {}, \"scale\": \"{}\" }}",
				json_str(text),
				json_str(&spec.to_string()),
				hex(&spec.encode())
			)
		})
		.collect();
	out.push_str(&specs.join(",\n"));
	out.push_str("\n  ],\n");

	out.push_str("  \"invalid\": [\n");
	let invalid: Vec<String> = INVALID_TEXTS
		.iter()
		.map(|text| {
			let error = text
				.parse::<AggregationSpec>()
				.expect_err(&format!("{text:?} must not parse"));
			format!(
				"    {{ \"text\": {}, \"error\": {} }}",
				json_str(text),
				json_str(&error.to_string())
			)
		})
		.collect();
	out.push_str(&invalid.join(",\n"));
	out.push_str("\n  ],\n");

	out.push_str("  \"configs\": [\n");
	let configs: Vec<String> = config_cases()
		.iter()
		.map(|o| {
			let config = o.config();
			format!(
				"    {{ \"options\": {}, \"scale\": \"{}\" }}",
				o.json(),
				hex(&config.encode())
			)
		})
		.collect();
	out.push_str(&configs.join(",\n"));
	out.push_str("\n  ],\n");

	out.push_str("  \"tensors\": [\n");
	let mut tensors: Vec<String> = tensor_cases()
		.iter()
		.map(|values| {
			let bytes = tensor_codec::encode_f32(values, &[values.len() as u32]).unwrap();
			let numbers: Vec<String> = values.iter().copied().map(json_f32).collect();
			format!(
				"    {{ \"values\": [{}], \"bytes\": \"{}\", \"sha3\": \"{}\" }}",
				numbers.join(", "),
				hex(&bytes),
				hex(&tensor_codec::digest(&bytes))
			)
		})
		.collect();
	for zeros in [1u32, 7] {
		let bytes = tensor_codec::encode_zeros(zeros).unwrap();
		tensors.push(format!(
			"    {{ \"zeros\": {zeros}, \"bytes\": \"{}\", \"sha3\": \"{}\" }}",
			hex(&bytes),
			hex(&tensor_codec::digest(&bytes))
		));
	}
	out.push_str(&tensors.join(",\n"));
	out.push_str("\n  ]\n}\n");
	out
}

#[test]
fn committed_fixture_matches_the_rust_encoding() {
	let fresh = generate();
	if std::env::var_os("UPDATE_FIXTURES").is_some_and(|v| !v.is_empty() && v != "0") {
		std::fs::write(FIXTURE, &fresh).unwrap();
		return;
	}
	let committed = std::fs::read_to_string(FIXTURE).unwrap_or_else(|e| {
		panic!("{FIXTURE}: {e}; create it with UPDATE_FIXTURES=1 cargo test -p fedledger-primitives --test encoding_fixture")
	});
	if committed != fresh {
		let line = committed
			.lines()
			.zip(fresh.lines())
			.position(|(a, b)| a != b)
			.unwrap_or(committed.lines().count().min(fresh.lines().count()));
		panic!(
			"{FIXTURE} is stale (first difference on line {}):\n  committed: {}\n  expected:  {}\n\
			 if the change is intended, run UPDATE_FIXTURES=1 cargo test -p fedledger-primitives --test encoding_fixture",
			line + 1,
			committed.lines().nth(line).unwrap_or("<end of file>"),
			fresh.lines().nth(line).unwrap_or("<end of file>"),
		);
	}
}

#[test]
fn tensor_cases_decode_to_their_values() {
	for values in tensor_cases() {
		let bytes = tensor_codec::encode_f32(&values, &[values.len() as u32]).unwrap();
		let decoded = tensor_codec::decode(&bytes, u32::MAX).unwrap();
		let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
		assert_eq!(bits(&decoded.values), bits(&values));
		// Each value survives the JSON spelling of the fixture bit for bit.
		for x in &values {
			let back: f64 = json_f32(*x).parse().unwrap();
			assert_eq!(back, f64::from(*x), "{x:e}");
		}
	}
	assert_eq!(decimal(340_000_000, PARTS_PER_BILLION), "0.34");
	assert_eq!(decimal(100_000, MICRO), "0.1");
	assert_eq!(decimal(1, MICRO), "0.000001");
	assert_eq!(decimal(3 * MICRO, MICRO), "3");
}
