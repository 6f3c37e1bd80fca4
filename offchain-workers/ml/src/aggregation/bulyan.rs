//! Bulyan (El Mhamdi, Guerraoui & Rouault 2018).

use super::kernels::{pairwise_sq_dists, unkey};
use super::krum::sum_ascending;
use super::sortnet::column_order_stats;
use rayon::prelude::*;

/// Iterated Krum selection of `θ = n − 2f` updates: each round scores the remaining `r`
/// updates by the sum of their `max(1, r − f − 2)` nearest remaining neighbours
/// ([`sum_ascending`]) and moves the best one (ties: lower index) to the selection.
pub(crate) fn iterated_krum(dist: &[f64], n: usize, f: usize, theta: usize) -> Vec<usize> {
	// Each row's neighbours sorted once by (distance, index); removed rows are deleted from every
	// list, so a score is a sum over a prefix.
	let mut lists: Vec<(Vec<f64>, Vec<u32>)> = (0..n)
		.into_par_iter()
		.map(|i| {
			let mut v: Vec<(f64, u32)> = (0..n)
				.filter(|&j| j != i)
				.map(|j| (dist[i * n + j], j as u32))
				.collect();
			v.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
			v.into_iter().unzip()
		})
		.collect();
	let mut alive = vec![true; n];
	let mut selected = Vec::with_capacity(theta);
	for it in 0..theta {
		let r = n - it;
		let k = (r as isize - f as isize - 2).max(1).min(r as isize - 1) as usize;
		let alive_ref = &alive;
		let best = lists
			.par_iter()
			.enumerate()
			.filter(|(i, _)| alive_ref[*i])
			.map(|(i, (ds, _))| (sum_ascending(&ds[..k]), i))
			.min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))
			.expect("at least one update remains");
		let p = best.1;
		alive[p] = false;
		selected.push(p);
		let alive_ref = &alive;
		lists.par_iter_mut().enumerate().for_each(|(i, (ds, js))| {
			if alive_ref[i] {
				if let Some(pos) = js.iter().position(|&j| j as usize == p) {
					ds.remove(pos);
					js.remove(pos);
				}
			}
		});
	}
	selected.sort_unstable();
	selected
}

/// Mean of the `beta` values of a sorted column closest to its median: the window
/// `s[l..l+β]` with `l` the first start (among windows holding the median) for which
/// `med − s[l] ≤ s[l+β] − med` — the left value is at least as close as the next one on the
/// right, so ties go left. Summed in sorted order in f64.
fn closest_to_median_mean(s: &[f64], beta: usize) -> f32 {
	let m = s.len();
	let (mid_lo, mid_hi) = ((m - 1) / 2, m / 2);
	let med = if m % 2 == 1 {
		s[mid_hi]
	} else {
		(s[mid_lo] + s[mid_hi]) * 0.5
	};
	let (lo_l, hi_l) = window_range(m, beta);
	let (mut a, mut b) = (lo_l, hi_l);
	// First l in [a, b] with the predicate true (it is monotone and true at hi_l).
	while a < b {
		let c = a + (b - a) / 2;
		if med - s[c] <= s[c + beta] - med {
			b = c;
		} else {
			a = c + 1;
		}
	}
	let sum: f64 = s[a..a + beta].iter().sum();
	(sum / beta as f64) as f32
}

/// Range of window starts whose window holds the median position(s).
fn window_range(m: usize, beta: usize) -> (usize, usize) {
	let (mid_lo, mid_hi) = ((m - 1) / 2, m / 2);
	let hi_l = mid_lo.min(m - beta);
	let lo_l = (mid_hi + 1).saturating_sub(beta).min(hi_l);
	(lo_l, hi_l)
}

/// Bulyan: iterated Krum picks `θ = n − 2f` updates (these are accepted), then per coordinate
/// the mean of the `β = θ − 2f` selected values closest to their median.
pub(super) fn bulyan(x: &[f32], n: usize, d: usize, f: usize) -> (Vec<f32>, Vec<bool>) {
	let theta = n - 2 * f;
	let beta = theta - 2 * f;
	let dist = pairwise_sq_dists(x, n, d);
	let selected = iterated_krum(&dist, n, f, theta);
	let mut accepted = vec![false; n];
	selected.iter().for_each(|&i| accepted[i] = true);
	let (lo_l, hi_l) = window_range(theta, beta);
	let needed = lo_l..(hi_l + beta + 1).min(theta);
	let mut out = vec![0.0f32; d];
	column_order_stats(x, d, &selected, Some(needed.clone()), &mut out, |g, o| {
		let mut s = vec![0.0f64; theta];
		for (l, ol) in o.iter_mut().enumerate() {
			for p in needed.clone() {
				s[p] = unkey(g[p][l]) as f64;
			}
			*ol = closest_to_median_mean(&s, beta);
		}
	})
	.expect("inputs were checked finite");
	(out, accepted)
}
