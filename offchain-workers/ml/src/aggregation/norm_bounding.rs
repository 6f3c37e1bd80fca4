//! Norm bounding: scale every update to L2 norm at most `max_norm`, then FedAvg.

use super::kernels::{combine, row_sq_dists};

/// `Σ wᵢ·min(1, M/‖xᵢ‖)·xᵢ / Σ wᵢ`. Clipped updates are scaled, not rejected, so all are
/// accepted.
pub(super) fn norm_bounding(
	x: &[f32],
	n: usize,
	d: usize,
	w: &[f64],
	max_norm: f64,
) -> (Vec<f32>, Vec<bool>) {
	let norms = row_sq_dists(x, d, None);
	let terms: Vec<(usize, f64)> = (0..n)
		.filter(|&i| w[i] != 0.0)
		.map(|i| {
			let norm = norms[i].sqrt();
			let s = if norm > max_norm {
				max_norm / norm
			} else {
				1.0
			};
			(i, w[i] * s)
		})
		.collect();
	let total: f64 = w.iter().sum();
	(combine(x, d, &terms, None, total), vec![true; n])
}
