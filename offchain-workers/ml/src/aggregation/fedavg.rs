//! FedAvg: the sample-weighted mean of all updates.

use super::kernels::combine;

/// `Σ wᵢ xᵢ / Σ wᵢ`, every update accepted. Rows with zero weight are skipped.
pub(super) fn fedavg(x: &[f32], n: usize, d: usize, w: &[f64]) -> (Vec<f32>, Vec<bool>) {
	let terms: Vec<(usize, f64)> = (0..n).filter(|&i| w[i] != 0.0).map(|i| (i, w[i])).collect();
	let total: f64 = w.iter().sum();
	(combine(x, d, &terms, None, total), vec![true; n])
}
