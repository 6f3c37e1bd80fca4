//! Coordinate-wise trimmed mean.

use super::kernels::unkey;
use super::sortnet::{column_order_stats, LANES};

/// Per coordinate, drops the `b` smallest and `b` largest values and averages the other
/// `n − 2b` (unweighted). The kept values are the sorted positions `b..n−b` of the column
/// (computed exactly by a pruned sorting network) and are summed **in sorted order** in f64 —
/// a canonical order, since the sorted sequence of a total order is unique — then divided by
/// `n − 2b` and rounded once to f32.
pub(super) fn trimmed_mean(
	x: &[f32],
	n: usize,
	d: usize,
	b: usize,
) -> Result<(Vec<f32>, Vec<bool>), ()> {
	debug_assert!(2 * b < n);
	let rows: Vec<usize> = (0..n).collect();
	let kept = (n - 2 * b) as f64;
	let mut out = vec![0.0f32; d];
	column_order_stats(x, d, &rows, Some(b..n - b), &mut out, |g, o| {
		let mut acc = [0.0f64; LANES];
		for row in &g[b..n - b] {
			for l in 0..LANES {
				acc[l] += unkey(row[l]) as f64;
			}
		}
		for (ol, a) in o.iter_mut().zip(acc) {
			*ol = (a / kept) as f32;
		}
	})?;
	Ok((out, vec![true; n]))
}
