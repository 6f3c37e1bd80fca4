//! Nearest-neighbour mixing, NNM (Allouah et al. 2023): every update is replaced by the mean of
//! its `n − f` nearest updates, itself included. Mixing pulls each honest update towards its
//! honest neighbours and dilutes a Byzantine one among them, which lets distance- and
//! order-based rules keep their guarantees under heterogeneous (non-IID) honest updates.

use super::kernels::{combine, pairwise_sq_dists};
use rayon::prelude::*;

/// The `n` mixtures, row-major `n × d`. The neighbours of row `i` are itself, then the others
/// by (squared distance, index); each mixture sums its members in increasing row order (a
/// canonical order, not the one the sort left) and divides once.
pub(super) fn mix(x: &[f32], n: usize, d: usize, f: usize) -> Vec<f32> {
	let keep = n - f;
	let dist = pairwise_sq_dists(x, n, d);
	let neighbours: Vec<Vec<(usize, f64)>> = (0..n)
		.into_par_iter()
		.map(|i| {
			let mut others: Vec<usize> = (0..n).filter(|&j| j != i).collect();
			others.sort_by(|&a, &b| dist[i * n + a].total_cmp(&dist[i * n + b]).then(a.cmp(&b)));
			let mut members: Vec<usize> = core::iter::once(i)
				.chain(others.into_iter().take(keep - 1))
				.collect();
			members.sort_unstable();
			members.into_iter().map(|j| (j, 1.0)).collect()
		})
		.collect();
	let mut out = Vec::with_capacity(n * d);
	for terms in &neighbours {
		out.extend_from_slice(&combine(x, d, terms, None, keep as f64));
	}
	out
}
