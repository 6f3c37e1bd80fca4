//! Per-update clipping, the first stage of the pipeline: a fixed L2 bound, or ARC (adaptive
//! robust clipping, Allouah et al. 2024), which clips the `k = ⌊2·f·(n − f)/n⌋` largest updates
//! to the norm of the next largest, so the bound follows the honest updates' own scale.
//!
//! Clipping runs before mixing (bucketing, NNM) and the rule: a boosted update is cut down
//! before it can be averaged into an honest one.

use super::kernels::row_sq_dists;
use rayon::prelude::*;

/// The factor each row is scaled by (`≤ 1`) to have L2 norm at most `bound`.
fn factors_for_bound(norms: &[f64], bound: impl Fn(usize) -> f64) -> Vec<f64> {
	norms
		.iter()
		.enumerate()
		.map(|(i, &norm)| {
			let b = bound(i);
			if norm > b {
				b / norm
			} else {
				1.0
			}
		})
		.collect()
}

/// Row L2 norms.
fn norms(x: &[f32], d: usize) -> Vec<f64> {
	row_sq_dists(x, d, None)
		.into_iter()
		.map(f64::sqrt)
		.collect()
}

/// The factors that clip every row to L2 norm at most `max_norm`.
pub(super) fn fixed_factors(x: &[f32], d: usize, max_norm: f64) -> Vec<f64> {
	factors_for_bound(&norms(x, d), |_| max_norm)
}

/// ARC's factors: the `k` rows of largest norm (ties: the higher index counts as larger) are
/// clipped to the norm of the `(k + 1)`-th largest; `k < n`.
pub(super) fn adaptive_factors(x: &[f32], d: usize, k: usize) -> Vec<f64> {
	let norms = norms(x, d);
	let n = norms.len();
	if k == 0 || k >= n {
		return vec![1.0; n];
	}
	let mut order: Vec<usize> = (0..n).collect();
	order.sort_by(|&a, &b| norms[b].total_cmp(&norms[a]).then(b.cmp(&a)));
	let threshold = norms[order[k]];
	let mut clipped = vec![false; n];
	order[..k].iter().for_each(|&i| clipped[i] = true);
	factors_for_bound(
		&norms,
		|i| if clipped[i] { threshold } else { f64::INFINITY },
	)
}

/// Scales row `i` by `factors[i]` in place (each coordinate one f64 product rounded to f32;
/// rows with factor 1 are untouched, bit for bit).
pub(super) fn apply(x: &mut [f32], d: usize, factors: &[f64]) {
	x.par_chunks_mut(d)
		.zip(factors.par_iter())
		.filter(|(_, &s)| s != 1.0)
		.for_each(|(row, &s)| row.iter_mut().for_each(|v| *v = (*v as f64 * s) as f32));
}
