//! Deterministic robust aggregation of model updates.
//!
//! Input: `n` updates of `d` parameters as a row-major `n × d` matrix, plus one sample weight
//! per update. Output: the aggregate delta and which updates the rule accepted.
//!
//! | rule | weights used | accepted |
//! |---|---|---|
//! | FedAvg | yes | all |
//! | Median, TrimmedMean | no | all (coordinate-wise rules reject no whole update) |
//! | Krum | no | the selected update |
//! | MultiKrum | yes, over the `m` selected | the `m` selected |
//! | Bulyan | no | the `θ = n − 2f` updates picked by iterated Krum |
//! | GeometricMedian | yes | all |
//! | CenteredClipping | yes | those not clipped in the last iteration |
//! | NormBounding | yes | all (each update is clipped before mixing, then the mean) |
//!
//! The pipeline runs in the papers' order: per-update clipping (a fixed bound or ARC, and
//! norm bounding's own bound), then mixing (bucketing or NNM), then the rule. With bucketing
//! the rule runs on bucket means (see [`bucketing`]) and a bucket's verdict applies to all its
//! members; with NNM the rule runs on the `n` mixtures and mixture `i`'s verdict is update
//! `i`'s. Sample weights come from [`sample_weights`] (unweighted unless the model caps them).
//!
//! # Determinism
//!
//! The result is a consensus value: every validator must get the same bits. All kernels
//! ([`kernels`]) split work at boundaries that depend only on `n` and `d`, every reduction runs
//! in an order fixed by the code, sums of kept values are taken in a canonical order (row order
//! or sorted order — never an order left by a selection algorithm), and no FMA, BLAS, fast-math
//! or platform `powf` is used. Tests check bit-identical results for 1, 2 and 8 threads.

pub mod bucketing;
mod bulyan;
mod centered_clipping;
mod clipping;
mod fedavg;
mod geometric_median;
mod kernels;
mod krum;
mod median;
mod nnm;
mod sortnet;
mod staleness;
#[cfg(test)]
mod tests;
mod trimmed_mean;
mod weighting;

pub use bucketing::{bucket_assignment, bucket_seed, content_seed};
pub use staleness::staleness_weight;
pub use weighting::sample_weights;

use fedledger_primitives::rules::{
	micro_to_f64, AggregationRule, AggregationSpec, Clipping, Mixing, RuleConfigError,
};
use ndarray::{Array1, ArrayView2};

/// The aggregate and the verdict on each update.
#[derive(Clone, Debug, PartialEq)]
pub struct AggregateOutcome {
	/// The aggregated update (length `d`).
	pub delta: Array1<f32>,
	/// `accepted[i]` for update (row) `i`.
	pub accepted: Vec<bool>,
}

/// Why a set of updates could not be aggregated.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum AggregationError {
	/// No updates.
	#[error("no updates to aggregate")]
	Empty,
	/// The number of sample weights differs from the number of updates.
	#[error("{got} sample weights for {expected} updates")]
	WeightCount {
		/// Weights given.
		got: usize,
		/// Updates given.
		expected: usize,
	},
	/// A sample weight is negative, NaN or infinite.
	#[error("sample weight {index} is negative or not finite")]
	BadWeight {
		/// Update index.
		index: usize,
	},
	/// All sample weights are zero.
	#[error("sample weights sum to zero")]
	ZeroTotalWeight,
	/// An update contains NaN or ±∞ (first one in row-major order).
	#[error("update {row} has a NaN or infinite value at coordinate {col}")]
	NonFinite {
		/// Update index.
		row: usize,
		/// Coordinate.
		col: usize,
	},
	/// The aggregate overflowed to ±∞ (inputs near the f32 range limit).
	#[error("the aggregate is not finite")]
	NonFiniteResult,
	/// The rule configuration is invalid for this many updates.
	#[error("invalid rule configuration: {0}")]
	Config(#[from] RuleConfigError),
}

/// Aggregates `updates` (`n × d`) with `spec`. With bucketing, the bucket seed is derived from
/// the updates themselves ([`content_seed`]); validators use [`aggregate_with_seed`] with the
/// seed the chain fixed after the reveal deadline ([`bucket_seed`]).
pub fn aggregate(
	spec: &AggregationSpec,
	updates: ArrayView2<f32>,
	sample_weights: &[f64],
) -> Result<AggregateOutcome, AggregationError> {
	let x = updates.as_standard_layout();
	let xs = x.as_slice().expect("standard layout");
	let (n, d) = updates.dim();
	let seed = match spec.bucket_size() {
		Some(_) if n > 0 && d > 0 && sample_weights.len() == n => {
			content_seed(xs, n, d, sample_weights)
		}
		_ => [0u8; 32],
	};
	aggregate_with_seed(spec, x.view(), sample_weights, &seed)
}

/// Aggregates with an explicit bucketing seed (ignored without bucketing), through the
/// pipeline: clipping, then mixing, then the rule.
pub fn aggregate_with_seed(
	spec: &AggregationSpec,
	updates: ArrayView2<f32>,
	sample_weights: &[f64],
	bucket_seed: &[u8; 32],
) -> Result<AggregateOutcome, AggregationError> {
	let (n, d) = updates.dim();
	if n == 0 {
		return Err(AggregationError::Empty);
	}
	if sample_weights.len() != n {
		return Err(AggregationError::WeightCount {
			got: sample_weights.len(),
			expected: n,
		});
	}
	if let Some(index) = sample_weights
		.iter()
		.position(|w| !(w.is_finite() && *w >= 0.0))
	{
		return Err(AggregationError::BadWeight { index });
	}
	if sample_weights.iter().all(|&w| w == 0.0) {
		return Err(AggregationError::ZeroTotalWeight);
	}
	spec.validate(u32::try_from(n).unwrap_or(u32::MAX))?;
	if d == 0 {
		return Ok(AggregateOutcome {
			delta: Array1::zeros(0),
			accepted: vec![true; n],
		});
	}
	let x = updates.as_standard_layout();
	let xs = x.as_slice().expect("standard layout");

	// Stage 1, per-update clipping: the spec's, then norm bounding's own bound, which is a
	// per-update operation too (clipping bucket means instead would let a boosted update poison
	// its bucket partner before the clip).
	let norm_bound = match spec.rule {
		AggregationRule::NormBounding { max_norm } => Some(micro_to_f64(max_norm)),
		_ => None,
	};
	let preprocessed = spec.clipping.is_some() || spec.mixing.is_some() || norm_bound.is_some();
	if preprocessed {
		if let Some((row, col)) = kernels::first_non_finite(xs, d) {
			return Err(AggregationError::NonFinite { row, col });
		}
	}
	let mut work: std::borrow::Cow<[f32]> = std::borrow::Cow::Borrowed(xs);
	let clip = |factors: Vec<f64>, work: &mut std::borrow::Cow<[f32]>| {
		if factors.iter().any(|&s| s != 1.0) {
			clipping::apply(work.to_mut(), d, &factors);
		}
	};
	match spec.clipping {
		Some(Clipping::Fixed { max_norm }) => {
			let f = clipping::fixed_factors(&work, d, micro_to_f64(max_norm));
			clip(f, &mut work);
		}
		Some(c @ Clipping::Adaptive { .. }) => {
			let k = c.adaptive_count(n as u32) as usize;
			let f = clipping::adaptive_factors(&work, d, k);
			clip(f, &mut work);
		}
		None => {}
	}
	if let Some(bound) = norm_bound {
		let f = clipping::fixed_factors(&work, d, bound);
		clip(f, &mut work);
	}
	let rule = spec.rule;

	// Stage 2, mixing; stage 3, the rule.
	let (delta, accepted) = match spec.mixing {
		None => run_rule(&rule, &work, n, d, sample_weights)?,
		Some(Mixing::NearestNeighbours { f }) => {
			let mixed = nnm::mix(&work, n, d, f as usize);
			run_rule(&rule, &mixed, n, d, sample_weights).map_err(overflow_only)?
		}
		Some(Mixing::Bucketing { size }) => {
			let buckets = bucket_assignment(n, size as usize, bucket_seed);
			let (bx, bw) = bucketing::bucket_means(&work, d, sample_weights, &buckets);
			let (delta, bucket_ok) =
				run_rule(&rule, &bx, buckets.len(), d, &bw).map_err(overflow_only)?;
			let mut accepted = vec![false; n];
			for (members, ok) in buckets.iter().zip(bucket_ok) {
				members.iter().for_each(|&i| accepted[i] = ok);
			}
			(delta, accepted)
		}
	};
	if delta.iter().any(|v| !v.is_finite()) {
		return Err(AggregationError::NonFiniteResult);
	}
	Ok(AggregateOutcome {
		delta: Array1::from(delta),
		accepted,
	})
}

/// Means of finite inputs (buckets, mixtures) can only overflow.
fn overflow_only(e: AggregationError) -> AggregationError {
	match e {
		AggregationError::NonFinite { .. } => AggregationError::NonFiniteResult,
		other => other,
	}
}

/// One rule on a contiguous row-major `n × d` matrix (`d > 0`, parameters already validated,
/// clipping already applied).
fn run_rule(
	rule: &AggregationRule,
	x: &[f32],
	n: usize,
	d: usize,
	w: &[f64],
) -> Result<(Vec<f32>, Vec<bool>), AggregationError> {
	let non_finite = || {
		let (row, col) = kernels::first_non_finite(x, d).unwrap_or((0, 0));
		AggregationError::NonFinite { row, col }
	};
	// The order-statistic kernels check finiteness while transposing; the others up front.
	match *rule {
		AggregationRule::Median => return median::median(x, n, d).map_err(|()| non_finite()),
		AggregationRule::TrimmedMean { .. } => {
			let b = rule.trim_count(n as u32) as usize;
			return trimmed_mean::trimmed_mean(x, n, d, b).map_err(|()| non_finite());
		}
		_ => {}
	}
	if kernels::first_non_finite(x, d).is_some() {
		return Err(non_finite());
	}
	Ok(match *rule {
		// Norm bounding's clip ran per update in the pipeline's first stage: its mean is left.
		AggregationRule::FedAvg | AggregationRule::NormBounding { .. } => {
			fedavg::fedavg(x, n, d, w)
		}
		AggregationRule::Krum { f } => krum::krum(x, n, d, f as usize),
		AggregationRule::MultiKrum { f, m } => krum::multi_krum(x, n, d, w, f as usize, m as usize),
		AggregationRule::Bulyan { f } => bulyan::bulyan(x, n, d, f as usize),
		AggregationRule::GeometricMedian { iters, eps } => {
			geometric_median::geometric_median(x, n, d, w, iters, micro_to_f64(eps))
		}
		AggregationRule::CenteredClipping { tau, iters } => {
			centered_clipping::centered_clipping(x, n, d, w, micro_to_f64(tau), iters)
		}
		AggregationRule::Median | AggregationRule::TrimmedMean { .. } => unreachable!(),
	})
}
