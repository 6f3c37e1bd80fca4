//! Krum and Multi-Krum (Blanchard et al. 2017).

use super::kernels::{combine, pairwise_sq_dists};
use rayon::prelude::*;

/// Krum score of every row: the sum ([`sum_ascending`]) of its `k` smallest squared distances to
/// the other rows. `dist` is `n × n` row-major.
pub(crate) fn krum_scores(dist: &[f64], n: usize, k: usize) -> Vec<f64> {
	(0..n)
		.into_par_iter()
		.map(|i| {
			let mut row: Vec<f64> = (0..n)
				.filter(|&j| j != i)
				.map(|j| dist[i * n + j])
				.collect();
			if k < row.len() {
				row.select_nth_unstable_by(k, f64::total_cmp);
				row.truncate(k);
			}
			row.sort_unstable_by(f64::total_cmp);
			sum_ascending(&row)
		})
		.collect()
}

/// Canonical sum of an ascending list: four partial sums over positions `p mod 4`, combined as
/// `(s0 + s1) + (s2 + s3)`.
pub(crate) fn sum_ascending(v: &[f64]) -> f64 {
	let mut s = [0.0f64; 4];
	let mut it = v.chunks_exact(4);
	for c in &mut it {
		for l in 0..4 {
			s[l] += c[l];
		}
	}
	for (l, x) in it.remainder().iter().enumerate() {
		s[l] += x;
	}
	(s[0] + s[1]) + (s[2] + s[3])
}

/// Indices of the `m` best (lowest) scores, ties broken by lower index, returned ascending.
pub(crate) fn best_indices(scores: &[f64], m: usize) -> Vec<usize> {
	let mut order: Vec<usize> = (0..scores.len()).collect();
	order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]).then(a.cmp(&b)));
	order.truncate(m);
	order.sort_unstable();
	order
}

/// Krum: the single update with the best score (`n − f − 2` nearest neighbours), returned
/// bit-exactly; only it is accepted.
pub(super) fn krum(x: &[f32], n: usize, d: usize, f: usize) -> (Vec<f32>, Vec<bool>) {
	let dist = pairwise_sq_dists(x, n, d);
	let scores = krum_scores(&dist, n, n - f - 2);
	let best = best_indices(&scores, 1)[0];
	let mut accepted = vec![false; n];
	accepted[best] = true;
	(x[best * d..(best + 1) * d].to_vec(), accepted)
}

/// Multi-Krum: the `m` best-scored updates, averaged with their sample weights (uniformly if
/// they all have weight zero).
pub(super) fn multi_krum(
	x: &[f32],
	n: usize,
	d: usize,
	w: &[f64],
	f: usize,
	m: usize,
) -> (Vec<f32>, Vec<bool>) {
	let dist = pairwise_sq_dists(x, n, d);
	let scores = krum_scores(&dist, n, n - f - 2);
	let chosen = best_indices(&scores, m);
	let mut accepted = vec![false; n];
	chosen.iter().for_each(|&i| accepted[i] = true);
	let total: f64 = chosen.iter().map(|&i| w[i]).sum();
	let terms: Vec<(usize, f64)> = if total > 0.0 {
		chosen
			.iter()
			.filter(|&&i| w[i] != 0.0)
			.map(|&i| (i, w[i]))
			.collect()
	} else {
		chosen.iter().map(|&i| (i, 1.0)).collect()
	};
	let denom = if total > 0.0 {
		total
	} else {
		chosen.len() as f64
	};
	(combine(x, d, &terms, None, denom), accepted)
}
