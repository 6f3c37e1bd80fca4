//! Coordinate-wise median.

use super::kernels::unkey;
use super::sortnet::column_order_stats;

/// From this many rows on, `select_nth_unstable` per column beats the pruned network
/// (`O(m)` against `O(m log² m)` comparators).
const SELECT_FROM: usize = 256;

fn use_select(m: usize) -> bool {
	#[cfg(test)]
	if super::kernels::portable_forced() {
		return true;
	}
	m >= SELECT_FROM
}

/// Coordinate-wise median of the `rows` of `x` (unweighted): the middle value, or for an even
/// count the mean of the two middle values computed in f64 and rounded once. Order statistics
/// are unique, so the result does not depend on how they are found (here: pruned sorting
/// networks over groups of 8 coordinates). `Err(())` when a value is NaN or infinite.
pub(crate) fn median_rows(x: &[f32], d: usize, rows: &[usize]) -> Result<Vec<f32>, ()> {
	let m = rows.len();
	let mid = m / 2;
	let odd = m % 2 == 1;
	let outputs = if odd { mid..mid + 1 } else { mid - 1..mid + 1 };
	let mut out = vec![0.0f32; d];
	if use_select(m) {
		column_order_stats(x, d, rows, None, &mut out, |g, o| {
			let mut col = Vec::with_capacity(m);
			for (l, ol) in o.iter_mut().enumerate() {
				col.clear();
				col.extend(g.iter().map(|r| r[l]));
				let (left, v, _) = col.select_nth_unstable(mid);
				let hi = unkey(*v);
				*ol = if odd {
					hi
				} else {
					let lo = unkey(left.iter().copied().max().expect("m even and ≥ 2"));
					((lo as f64 + hi as f64) * 0.5) as f32
				};
			}
		})?;
		return Ok(out);
	}
	column_order_stats(x, d, rows, Some(outputs), &mut out, |g, o| {
		for (l, ol) in o.iter_mut().enumerate() {
			*ol = if odd {
				unkey(g[mid][l])
			} else {
				((unkey(g[mid - 1][l]) as f64 + unkey(g[mid][l]) as f64) * 0.5) as f32
			};
		}
	})?;
	Ok(out)
}

/// Coordinate-wise median of all `n` updates; coordinate-wise rules reject no whole update.
pub(super) fn median(x: &[f32], n: usize, d: usize) -> Result<(Vec<f32>, Vec<bool>), ()> {
	let rows: Vec<usize> = (0..n).collect();
	Ok((median_rows(x, d, &rows)?, vec![true; n]))
}
