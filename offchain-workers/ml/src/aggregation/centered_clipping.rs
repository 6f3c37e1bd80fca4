//! Centered clipping (Karimireddy, He & Jaggi 2021).

use super::kernels::{combine, row_sq_dists};
use super::median::median_rows;

/// Starts from the coordinate-wise median `v` and runs `iters` steps of
/// `v ← v + Σ wᵢ·clip_τ(xᵢ − v) / Σ wᵢ`, where `clip_τ(u) = u·min(1, τ/‖u‖)`.
///
/// (The paper centres on the previous round's momentum; the worker has no such state per
/// update set, and the median is a robust start that makes the rule self-contained.)
///
/// Accepted: the updates within distance τ of the centre used in the last iteration (those
/// that were not clipped).
pub(super) fn centered_clipping(
	x: &[f32],
	n: usize,
	d: usize,
	w: &[f64],
	tau: f64,
	iters: u32,
) -> (Vec<f32>, Vec<bool>) {
	let rows: Vec<usize> = (0..n).collect();
	let mut v = median_rows(x, d, &rows).expect("inputs were checked finite");
	let total: f64 = w.iter().sum();
	let mut accepted = vec![true; n];
	for _ in 0..iters {
		let dist = row_sq_dists(x, d, Some(&v));
		let terms: Vec<(usize, f64)> = (0..n)
			.filter(|&i| w[i] != 0.0)
			.map(|i| {
				let r = dist[i].sqrt();
				(i, w[i] * if r > tau { tau / r } else { 1.0 })
			})
			.collect();
		for (a, dd) in accepted.iter_mut().zip(&dist) {
			*a = dd.sqrt() <= tau;
		}
		v = combine(x, d, &terms, Some(&v), total);
	}
	(v, accepted)
}
