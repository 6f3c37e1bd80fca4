//! Geometric median by smoothed Weiszfeld iterations (RFA, Pillutla et al. 2022).

use super::kernels::{combine, row_sq_dists};

/// Starts from the sample-weighted mean and runs `iters` steps of
/// `z ← Σ βᵢ xᵢ / Σ βᵢ` with `βᵢ = wᵢ / max(ν, ‖xᵢ − z‖)`. All updates are accepted (the
/// geometric median down-weights, it does not reject).
pub(super) fn geometric_median(
	x: &[f32],
	n: usize,
	d: usize,
	w: &[f64],
	iters: u32,
	nu: f64,
) -> (Vec<f32>, Vec<bool>) {
	let terms: Vec<(usize, f64)> = (0..n).filter(|&i| w[i] != 0.0).map(|i| (i, w[i])).collect();
	let total: f64 = w.iter().sum();
	let mut z = combine(x, d, &terms, None, total);
	for _ in 0..iters {
		let dist = row_sq_dists(x, d, Some(&z));
		let terms: Vec<(usize, f64)> = (0..n)
			.filter(|&i| w[i] != 0.0)
			.map(|i| {
				let r = dist[i].sqrt();
				(i, w[i] / if r > nu { r } else { nu })
			})
			.collect();
		let denom: f64 = terms.iter().map(|t| t.1).sum();
		z = combine(x, d, &terms, None, denom);
	}
	(z, vec![true; n])
}
