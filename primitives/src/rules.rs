//! Configuration of the robust aggregation rule and of the staleness function of a model.
//!
//! These types are stored on chain (model configuration) and read by the native worker, so they
//! carry **no floating point**: every real-valued parameter is an integer in a documented fixed
//! unit.
//!
//! * fractions (`TrimmedMean::beta`) are in parts per billion, like `Perbill`
//!   ([`PARTS_PER_BILLION`] = 100 %);
//! * real numbers (`eps`, `tau`, `max_norm`, the staleness exponent/slope `a`) are in
//!   millionths ([`MICRO`] = 1.0), so `tau: 1_500_000` means τ = 1.5.
//!
//! The native side converts with [`micro_to_f64`] / [`ppb_to_f64`], which are exact
//! IEEE-754 divisions and therefore identical on every validator.
//!
//! Rules and specs have one text form, used by the simulator CLI, the scripts and logs:
//! `FromStr`/`Display` of [`AggregationRule`] and [`AggregationSpec`], e.g.
//! `trimmed-mean:0.34` or `krum:2+bucket:2`; the grammar and defaults are in [`names`].

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

pub mod names;
pub use names::{NumberError, RuleParseError, BUCKET_SUFFIX, RULE_NAMES, RULE_SYNTAX};

/// `1.0` in the micro fixed unit used by real-valued rule parameters.
pub const MICRO: u32 = 1_000_000;

/// `100 %` in parts per billion (the `Perbill` convention).
pub const PARTS_PER_BILLION: u32 = 1_000_000_000;

/// Converts a micro-unit parameter to `f64` (exact division, deterministic).
pub fn micro_to_f64(x: u32) -> f64 {
	x as f64 / MICRO as f64
}

/// Converts a parts-per-billion fraction to `f64` (exact division, deterministic).
pub fn ppb_to_f64(x: u32) -> f64 {
	x as f64 / PARTS_PER_BILLION as f64
}

/// A robust aggregation rule over `n` updates of `d` parameters.
///
/// `f` is always the number of Byzantine updates (or, with bucketing, Byzantine buckets) the rule
/// is configured to tolerate.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum AggregationRule {
	/// Sample-weighted mean of all updates (McMahan et al.). Not robust.
	FedAvg,
	/// Coordinate-wise median (unweighted; mean of the two middle values when `n` is even).
	Median,
	/// Coordinate-wise trimmed mean: per coordinate, drop the `⌊β·n⌋` smallest and the `⌊β·n⌋`
	/// largest values and average the rest (unweighted). `beta` is in parts per billion and must
	/// be below 50 %.
	TrimmedMean {
		/// Fraction trimmed from each end, in parts per billion.
		beta: u32,
	},
	/// Krum (Blanchard et al. 2017): the single update whose `n − f − 2` nearest neighbours are
	/// closest. Needs `n ≥ 2f + 3`.
	Krum {
		/// Byzantine updates tolerated.
		f: u32,
	},
	/// Multi-Krum: the sample-weighted mean of the `m` updates with the best Krum scores.
	/// Needs `n ≥ 2f + 3` and `1 ≤ m ≤ n − f`.
	MultiKrum {
		/// Byzantine updates tolerated.
		f: u32,
		/// Number of updates selected and averaged.
		m: u32,
	},
	/// Bulyan (El Mhamdi et al. 2018): iterated Krum selects `θ = n − 2f` updates, then per
	/// coordinate the `θ − 2f` values closest to the median are averaged. Needs `n ≥ 4f + 3`.
	Bulyan {
		/// Byzantine updates tolerated.
		f: u32,
	},
	/// Geometric median by smoothed Weiszfeld iterations (Pillutla et al., RFA), sample-weighted.
	GeometricMedian {
		/// Number of Weiszfeld iterations (≥ 1).
		iters: u32,
		/// Smoothing ν > 0 in micro units: distances are floored at ν.
		eps: u32,
	},
	/// Centered clipping (Karimireddy et al. 2021): starting from the coordinate-wise median,
	/// `iters` times `v ← v + Σ wᵢ·clip_τ(xᵢ − v) / Σ wᵢ`.
	CenteredClipping {
		/// Clipping radius τ > 0 in micro units.
		tau: u32,
		/// Number of clipping iterations L (≥ 1).
		iters: u32,
	},
	/// Norm bounding (Sun et al. 2019): each update is scaled down to L2 norm at most
	/// `max_norm`, then sample-weighted mean.
	NormBounding {
		/// Maximum L2 norm > 0 in micro units.
		max_norm: u32,
	},
}

/// Per-update clipping, the first stage of the pipeline (Allouah et al. 2024 clip before
/// anything mixes updates, so that a boosted update cannot poison an honest one first).
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum Clipping {
	/// Every update is scaled down to L2 norm at most `max_norm`.
	Fixed {
		/// Maximum L2 norm > 0 in micro units.
		max_norm: u32,
	},
	/// ARC, adaptive robust clipping (Allouah et al. 2024): the `k = ⌊2·f·(n − f)/n⌋` updates
	/// of largest norm are scaled down to the norm of the `(k + 1)`-th largest.
	Adaptive {
		/// Byzantine updates tolerated.
		f: u32,
	},
}

/// How (clipped) updates are mixed before the rule sees them, the second stage.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum Mixing {
	/// Bucketing (Karimireddy et al. 2022): the updates are permuted with a seed fixed after the
	/// reveal deadline, grouped into buckets of `size`, and each bucket is replaced by its
	/// weighted mean; the rule runs on the `⌈n / size⌉` bucket means.
	Bucketing {
		/// Updates per bucket (≥ 1).
		size: u32,
	},
	/// Nearest-neighbour mixing, NNM (Allouah et al. 2023): each update is replaced by the mean
	/// of its `n − f` nearest updates (itself included); the rule runs on the `n` mixtures.
	NearestNeighbours {
		/// Byzantine updates tolerated.
		f: u32,
	},
}

/// What the trainers' declared sample counts weigh, the third input of the rule.
///
/// A sample count is the trainer's own claim: nobody can check it. The robust rules are
/// analysed unweighted, so that is the default; an owner who wants FedAvg-style weighting
/// must cap it relative to the round, so that one trainer claiming billions of samples counts
/// at most `cap` times the median trainer.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Default,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum SampleWeighting {
	/// Every update weighs the same (times its staleness discount in buffered rounds).
	#[default]
	Unweighted,
	/// Update `i` weighs `min(nᵢ, cap · median(n))`, `median` the lower median of the round's
	/// declared counts.
	Capped {
		/// The cap relative to the median count, micro units (> 0).
		cap: u32,
	},
}

/// The aggregation pipeline, in the papers' order: per-update [`Clipping`], then [`Mixing`]
/// (bucketing or NNM), then the robust [`AggregationRule`], with [`SampleWeighting`] deciding
/// what declared sample counts weigh.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct AggregationSpec {
	/// The robust rule.
	pub rule: AggregationRule,
	/// Per-update clipping in front of everything; `None` for none.
	pub clipping: Option<Clipping>,
	/// Mixing in front of the rule; `None` for none.
	pub mixing: Option<Mixing>,
	/// What declared sample counts weigh.
	pub weighting: SampleWeighting,
}

/// How much an update computed against an older model version counts in a buffered
/// asynchronous round (FedAsync, Xie et al. 2019). `t` is the staleness in versions.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum StalenessFn {
	/// `s(t) = 1`.
	Constant,
	/// `s(t) = (t + 1)^(−a)`, `a` in micro units.
	Polynomial {
		/// Exponent `a ≥ 0` in micro units.
		a: u32,
	},
	/// `s(t) = 1` if `t ≤ b`, else `1 / (a·(t − b) + 1)`, `a` in micro units.
	Hinge {
		/// Slope `a ≥ 0` in micro units.
		a: u32,
		/// Staleness (in versions) up to which updates count fully.
		b: u32,
	},
}

/// Most iterations an iterative rule (geometric median, centered clipping) may run. Every
/// validator and every full node runs them over every update of every round, so the registry
/// must bound them: smoothed Weiszfeld typically converges in a handful of iterations (RFA uses
/// 3–8) and centered clipping's analysis needs a few, but slow 1-D cases take a couple of
/// hundred (the kernel tests use 200). At 256, one round's aggregation of 64 updates of a
/// [`crate::model::MAX_PARAMETERS`]-parameter model stays within seconds.
pub const MAX_RULE_ITERATIONS: u32 = 256;

/// Why a rule configuration is invalid.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum RuleConfigError {
	/// Bucket size is zero.
	ZeroBucketSize,
	/// Trimmed-mean `beta` is 50 % or more.
	TrimTooLarge,
	/// Multi-Krum `m` is zero.
	ZeroSelection,
	/// An iterative rule has zero iterations.
	ZeroIterations,
	/// A real parameter that must be positive (`eps`, `tau`, `max_norm`) is zero.
	ZeroParameter,
	/// The rule (after bucketing) needs more updates than the round guarantees.
	TooFewUpdates {
		/// Updates (or buckets) the rule needs.
		required: u32,
		/// Updates (or buckets) available.
		available: u32,
	},
	/// An iterative rule asks for more than [`MAX_RULE_ITERATIONS`] iterations (appended last,
	/// so the encoding of the other variants is unchanged).
	TooManyIterations,
}

impl core::fmt::Display for RuleConfigError {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		match self {
			Self::ZeroBucketSize => write!(f, "bucket size must be at least 1"),
			Self::TrimTooLarge => write!(f, "trimmed-mean beta must be below 50%"),
			Self::ZeroSelection => write!(f, "multi-krum m must be at least 1"),
			Self::ZeroIterations => write!(f, "iteration count must be at least 1"),
			Self::TooManyIterations => {
				write!(f, "iteration count must be at most {MAX_RULE_ITERATIONS}")
			}
			Self::ZeroParameter => write!(f, "eps, tau and max_norm must be positive"),
			Self::TooFewUpdates {
				required,
				available,
			} => {
				write!(
					f,
					"rule needs {required} updates (or buckets), only {available} available"
				)
			}
		}
	}
}

#[cfg(feature = "std")]
impl std::error::Error for RuleConfigError {}

impl AggregationRule {
	/// The smallest number of updates the rule is defined on with its parameters.
	pub fn min_updates_required(&self) -> u32 {
		match *self {
			Self::Krum { f } => f.saturating_mul(2).saturating_add(3),
			Self::MultiKrum { f, m } => f
				.saturating_mul(2)
				.saturating_add(3)
				.max(m.saturating_add(f)),
			Self::Bulyan { f } => f.saturating_mul(4).saturating_add(3),
			_ => 1,
		}
	}

	/// Number of values trimmed from each end of a coordinate for `n` updates
	/// (`⌊β·n⌋`, computed in integers); 0 for rules other than trimmed mean.
	pub fn trim_count(&self, n: u32) -> u32 {
		match *self {
			Self::TrimmedMean { beta } => {
				((beta as u64 * n as u64) / PARTS_PER_BILLION as u64) as u32
			}
			_ => 0,
		}
	}

	/// Checks the parameters alone (independent of the number of updates).
	pub fn validate_params(&self) -> Result<(), RuleConfigError> {
		match *self {
			Self::TrimmedMean { beta } if beta >= PARTS_PER_BILLION / 2 => {
				Err(RuleConfigError::TrimTooLarge)
			}
			Self::MultiKrum { m: 0, .. } => Err(RuleConfigError::ZeroSelection),
			Self::GeometricMedian { iters: 0, .. } | Self::CenteredClipping { iters: 0, .. } => {
				Err(RuleConfigError::ZeroIterations)
			}
			Self::GeometricMedian { iters, .. } | Self::CenteredClipping { iters, .. }
				if iters > MAX_RULE_ITERATIONS =>
			{
				Err(RuleConfigError::TooManyIterations)
			}
			Self::GeometricMedian { eps: 0, .. }
			| Self::CenteredClipping { tau: 0, .. }
			| Self::NormBounding { max_norm: 0 } => Err(RuleConfigError::ZeroParameter),
			_ => Ok(()),
		}
	}

	/// Checks the parameters and that `n_min` updates are enough for the rule.
	pub fn validate(&self, n_min: u32) -> Result<(), RuleConfigError> {
		self.validate_params()?;
		let required = self.min_updates_required();
		if n_min < required {
			return Err(RuleConfigError::TooFewUpdates {
				required,
				available: n_min,
			});
		}
		Ok(())
	}
}

impl Clipping {
	/// Checks the parameters and that a round of at least `n_min` updates suits them.
	pub fn validate(&self, n_min: u32) -> Result<(), RuleConfigError> {
		match *self {
			Self::Fixed { max_norm: 0 } => Err(RuleConfigError::ZeroParameter),
			Self::Fixed { .. } => Ok(()),
			Self::Adaptive { f } => honest_majority(f, n_min),
		}
	}

	/// How many of `n` updates ARC clips: `⌊2·f·(n − f)/n⌋` (0 for a fixed bound), in integers.
	pub fn adaptive_count(&self, n: u32) -> u32 {
		match *self {
			Self::Adaptive { f } if n > 0 && f < n => {
				(2 * f as u64 * (n - f) as u64 / n as u64) as u32
			}
			_ => 0,
		}
	}
}

impl Mixing {
	/// Checks the parameters and that a round of at least `n_min` updates suits them.
	pub fn validate(&self, n_min: u32) -> Result<(), RuleConfigError> {
		match *self {
			Self::Bucketing { size: 0 } => Err(RuleConfigError::ZeroBucketSize),
			Self::Bucketing { .. } => Ok(()),
			Self::NearestNeighbours { f } => honest_majority(f, n_min),
		}
	}

	/// The bucket size, for bucketing.
	pub fn bucket_size(&self) -> Option<u32> {
		match *self {
			Self::Bucketing { size } => Some(size),
			Self::NearestNeighbours { .. } => None,
		}
	}
}

/// A stage tolerating `f` Byzantine updates needs an honest majority: `n ≥ 2f + 1`.
fn honest_majority(f: u32, n_min: u32) -> Result<(), RuleConfigError> {
	let required = f.saturating_mul(2).saturating_add(1);
	if n_min < required {
		return Err(RuleConfigError::TooFewUpdates {
			required,
			available: n_min,
		});
	}
	Ok(())
}

impl SampleWeighting {
	/// Checks the cap.
	pub fn validate(&self) -> Result<(), RuleConfigError> {
		match *self {
			Self::Capped { cap: 0 } => Err(RuleConfigError::ZeroParameter),
			_ => Ok(()),
		}
	}
}

impl AggregationSpec {
	/// The rule alone: no clipping, no mixing, unweighted.
	pub fn plain(rule: AggregationRule) -> Self {
		Self {
			rule,
			clipping: None,
			mixing: None,
			weighting: SampleWeighting::Unweighted,
		}
	}

	/// The rule behind buckets of `size`, unweighted.
	pub fn bucketed(rule: AggregationRule, size: u32) -> Self {
		Self {
			mixing: Some(Mixing::Bucketing { size }),
			..Self::plain(rule)
		}
	}

	/// The bucket size, if the spec buckets.
	pub fn bucket_size(&self) -> Option<u32> {
		self.mixing.and_then(|m| m.bucket_size())
	}

	/// Number of inputs the rule sees for `n` updates: `⌈n / s⌉` with bucketing, else `n`.
	pub fn effective_count(&self, n: u32) -> u32 {
		match self.bucket_size() {
			Some(s) if s > 0 => n.div_ceil(s),
			_ => n,
		}
	}

	/// The smallest number of updates for which the rule is defined behind the mixing stage.
	pub fn min_updates_required(&self) -> u32 {
		let per_rule = self.rule.min_updates_required();
		match self.bucket_size() {
			// ⌈n/s⌉ ≥ r  ⇔  n ≥ (r − 1)·s + 1.
			Some(s) if s > 0 => per_rule
				.saturating_sub(1)
				.saturating_mul(s)
				.saturating_add(1),
			_ => per_rule,
		}
	}

	/// Checks every stage's parameters and that a round with at least `n_min` updates can be
	/// aggregated.
	pub fn validate(&self, n_min: u32) -> Result<(), RuleConfigError> {
		if let Some(c) = &self.clipping {
			c.validate(n_min)?;
		}
		if let Some(m) = &self.mixing {
			m.validate(n_min)?;
		}
		self.weighting.validate()?;
		self.rule.validate_params()?;
		let required = self.rule.min_updates_required();
		let available = self.effective_count(n_min);
		if available < required {
			return Err(RuleConfigError::TooFewUpdates {
				required,
				available,
			});
		}
		Ok(())
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use codec::{Decode, Encode, MaxEncodedLen};

	#[test]
	fn krum_and_bulyan_bounds() {
		let krum = AggregationRule::Krum { f: 2 };
		assert_eq!(krum.min_updates_required(), 7);
		assert!(krum.validate(7).is_ok());
		assert_eq!(
			krum.validate(6),
			Err(RuleConfigError::TooFewUpdates {
				required: 7,
				available: 6
			})
		);
		let bulyan = AggregationRule::Bulyan { f: 2 };
		assert_eq!(bulyan.min_updates_required(), 11);
		assert!(bulyan.validate(11).is_ok());
		assert!(bulyan.validate(10).is_err());
		let mk = AggregationRule::MultiKrum { f: 1, m: 9 };
		assert_eq!(mk.min_updates_required(), 10);
		assert_eq!(
			AggregationRule::MultiKrum { f: 1, m: 0 }.validate(100),
			Err(RuleConfigError::ZeroSelection)
		);
	}

	#[test]
	fn parameter_checks() {
		assert_eq!(
			AggregationRule::TrimmedMean {
				beta: PARTS_PER_BILLION / 2
			}
			.validate(10),
			Err(RuleConfigError::TrimTooLarge)
		);
		assert!(AggregationRule::TrimmedMean {
			beta: PARTS_PER_BILLION / 2 - 1
		}
		.validate(10)
		.is_ok());
		assert_eq!(
			AggregationRule::TrimmedMean { beta: 100_000_000 }.trim_count(25),
			2
		);
		assert_eq!(
			AggregationRule::GeometricMedian { iters: 0, eps: 1 }.validate(3),
			Err(RuleConfigError::ZeroIterations)
		);
		assert_eq!(
			AggregationRule::NormBounding { max_norm: 0 }.validate(3),
			Err(RuleConfigError::ZeroParameter)
		);
	}

	#[test]
	fn bucketing_counts_buckets() {
		let spec = AggregationSpec::bucketed(AggregationRule::Krum { f: 1 }, 2);
		// Krum f=1 needs 5 buckets; 9 updates in buckets of 2 give 5.
		assert_eq!(spec.min_updates_required(), 9);
		assert!(spec.validate(9).is_ok());
		assert_eq!(
			spec.validate(8),
			Err(RuleConfigError::TooFewUpdates {
				required: 5,
				available: 4
			})
		);
		let zero = AggregationSpec::bucketed(AggregationRule::FedAvg, 0);
		assert_eq!(zero.validate(10), Err(RuleConfigError::ZeroBucketSize));
	}

	#[test]
	fn pre_aggregation_stages_need_an_honest_majority() {
		let nnm = AggregationSpec {
			mixing: Some(Mixing::NearestNeighbours { f: 2 }),
			..AggregationSpec::plain(AggregationRule::Median)
		};
		assert!(nnm.validate(5).is_ok());
		assert_eq!(
			nnm.validate(4),
			Err(RuleConfigError::TooFewUpdates {
				required: 5,
				available: 4
			})
		);
		let arc = Clipping::Adaptive { f: 5 };
		assert!(arc.validate(11).is_ok());
		assert!(arc.validate(10).is_err());
		// ⌊2·5·20/25⌋ = 8 of 25 updates are clipped.
		assert_eq!(arc.adaptive_count(25), 8);
		assert_eq!(Clipping::Adaptive { f: 0 }.adaptive_count(25), 0);
		assert_eq!(
			Clipping::Fixed { max_norm: 0 }.validate(3),
			Err(RuleConfigError::ZeroParameter)
		);
		let capped = AggregationSpec {
			weighting: SampleWeighting::Capped { cap: 0 },
			..AggregationSpec::plain(AggregationRule::FedAvg)
		};
		assert_eq!(capped.validate(3), Err(RuleConfigError::ZeroParameter));
	}

	#[test]
	fn scale_round_trip() {
		let spec = AggregationSpec {
			rule: AggregationRule::CenteredClipping {
				tau: 1_500_000,
				iters: 3,
			},
			clipping: Some(Clipping::Adaptive { f: 2 }),
			mixing: Some(Mixing::Bucketing { size: 4 }),
			weighting: SampleWeighting::Capped { cap: 2_000_000 },
		};
		let bytes = spec.encode();
		assert!(bytes.len() <= AggregationSpec::max_encoded_len());
		assert_eq!(AggregationSpec::decode(&mut &bytes[..]).unwrap(), spec);
		let s = StalenessFn::Hinge { a: 500_000, b: 4 };
		assert_eq!(StalenessFn::decode(&mut &s.encode()[..]).unwrap(), s);
		assert_eq!(micro_to_f64(1_500_000), 1.5);
	}
}
