//! Column order statistics with sorting networks, 8 coordinates at a time.
//!
//! A block of columns is transposed into groups of 8 coordinates laid out `[row][lane]`
//! (reading each source row contiguously), and Knuth's merge-exchange network (TAOCP 5.2.2,
//! Algorithm M) for `m` inputs — pruned to the comparators that can reach the output positions
//! a rule needs — is applied to all 8 lanes with lane-wise `min`/`max`, which compile to packed
//! integer min/max (on order keys, see [`super::kernels::key`]). A network is data-oblivious:
//! no branches on the data, no mispredictions, and the selected positions hold exactly the
//! values the fully sorted column has there (the sorted order of a total order is unique), so
//! the result is independent of the algorithm. For `m` above [`NET_MAX`] each lane is sorted
//! with `sort_unstable` instead (same values, different speed).

use super::kernels::{has_avx2, is_finite_bits, key, order_block_width};
use rayon::prelude::*;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, Mutex, OnceLock};

/// Lanes (coordinates) per group.
pub(crate) const LANES: usize = 8;
/// Largest column height handled with a network.
pub(crate) const NET_MAX: usize = 4096;

type Network = Arc<Vec<(u32, u32)>>;
type NetworkCache = Mutex<HashMap<(usize, usize, usize), Network>>;

/// Knuth's merge-exchange network for `m` inputs, pruned to the comparators that can affect
/// positions `outputs`. Cached per `(m, outputs)`.
pub(crate) fn network(m: usize, outputs: Range<usize>) -> Network {
	static CACHE: OnceLock<NetworkCache> = OnceLock::new();
	let cache = CACHE.get_or_init(Default::default);
	let k = (m, outputs.start, outputs.end);
	if let Some(n) = cache.lock().expect("network cache").get(&k) {
		return n.clone();
	}
	let mut full = Vec::new();
	if m >= 2 {
		let t = usize::BITS - (m - 1).leading_zeros();
		let mut p = 1usize << (t - 1);
		while p > 0 {
			let mut q = 1usize << (t - 1);
			let mut r = 0usize;
			let mut dd = p;
			while dd > 0 {
				for i in 0..m - dd {
					if i & p == r {
						full.push((i as u32, (i + dd) as u32));
					}
				}
				dd = q - p;
				q >>= 1;
				r = p;
			}
			p >>= 1;
		}
	}
	let mut need = vec![false; m];
	outputs.for_each(|o| need[o] = true);
	let mut kept: Vec<(u32, u32)> = Vec::with_capacity(full.len());
	for &(i, j) in full.iter().rev() {
		if need[i as usize] || need[j as usize] {
			need[i as usize] = true;
			need[j as usize] = true;
			kept.push((i, j));
		}
	}
	kept.reverse();
	let net = Arc::new(kept);
	cache.lock().expect("network cache").insert(k, net.clone());
	net
}

#[inline(always)]
fn apply_generic(buf: &mut [[i32; LANES]], net: &[(u32, u32)]) {
	for &(i, j) in net {
		let (i, j) = (i as usize, j as usize);
		let a = buf[i];
		let b = buf[j];
		let mut lo = [0i32; LANES];
		let mut hi = [0i32; LANES];
		for l in 0..LANES {
			lo[l] = if a[l] < b[l] { a[l] } else { b[l] };
			hi[l] = if a[l] < b[l] { b[l] } else { a[l] };
		}
		buf[i] = lo;
		buf[j] = hi;
	}
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn apply_avx2(buf: &mut [[i32; LANES]], net: &[(u32, u32)]) {
	apply_generic(buf, net)
}

fn apply(buf: &mut [[i32; LANES]], net: &[(u32, u32)], avx2: bool) {
	#[cfg(target_arch = "x86_64")]
	if avx2 {
		// SAFETY: AVX2 support was detected at run time.
		unsafe { apply_avx2(buf, net) };
		return;
	}
	let _ = avx2;
	apply_generic(buf, net)
}

/// Sorts every lane of `buf` completely (fallback for tall columns).
fn sort_lanes(buf: &mut [[i32; LANES]], col: &mut Vec<i32>) {
	for l in 0..LANES {
		col.clear();
		col.extend(buf.iter().map(|r| r[l]));
		col.sort_unstable();
		for (r, &v) in buf.iter_mut().zip(col.iter()) {
			r[l] = v;
		}
	}
}

#[inline(always)]
fn transpose_block_generic(
	x: &[f32],
	d: usize,
	rows: &[usize],
	c0: usize,
	w: usize,
	scratch: &mut [[i32; LANES]],
) -> bool {
	let m = rows.len();
	let mut bad = 0u32;
	for (r, &i) in rows.iter().enumerate() {
		let seg = &x[i * d + c0..i * d + c0 + w];
		let mut chunks = seg.chunks_exact(LANES);
		for (g, ch) in (&mut chunks).enumerate() {
			let dst = &mut scratch[g * m + r];
			for l in 0..LANES {
				let bits = ch[l].to_bits();
				bad |= ((bits & 0x7f80_0000) == 0x7f80_0000) as u32;
				dst[l] = key(bits);
			}
		}
		let rem = chunks.remainder();
		if !rem.is_empty() {
			let g = w / LANES;
			let dst = &mut scratch[g * m + r];
			*dst = [0; LANES];
			for (l, v) in rem.iter().enumerate() {
				let bits = v.to_bits();
				bad |= !is_finite_bits(bits) as u32;
				dst[l] = key(bits);
			}
		}
	}
	bad == 0
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn transpose_block_avx2(
	x: &[f32],
	d: usize,
	rows: &[usize],
	c0: usize,
	w: usize,
	scratch: &mut [[i32; LANES]],
) -> bool {
	transpose_block_generic(x, d, rows, c0, w, scratch)
}

/// For fixed blocks of columns of the sub-matrix `rows` (in that order): transposes into groups
/// of [`LANES`] coordinates, orders sorted positions `outputs` of every column (exactly as a full
/// sort would), then calls `finish(group, out)` with the `m × LANES` group (`group[p][l]` = key
/// at sorted position `p` of lane `l`, valid for `p ∈ outputs`) and the up to `LANES` outputs of
/// the group. With `outputs = None` the group is passed in row order (`group[r][l]` = key of
/// row `rows[r]`). `Err(())` if a value is NaN or infinite.
pub(crate) fn column_order_stats<F>(
	x: &[f32],
	d: usize,
	rows: &[usize],
	outputs: Option<Range<usize>>,
	out: &mut [f32],
	finish: F,
) -> Result<(), ()>
where
	F: Fn(&[[i32; LANES]], &mut [f32]) + Sync,
{
	let m = rows.len();
	let avx2 = has_avx2();
	#[cfg(test)]
	let use_net = m <= NET_MAX && !super::kernels::portable_forced();
	#[cfg(not(test))]
	let use_net = m <= NET_MAX;
	// `None`: the caller wants the raw columns in row order.
	let prepare = outputs.map(|o| if use_net { Some(network(m, o)) } else { None });
	let width = order_block_width(m).div_ceil(LANES) * LANES;
	let bad = out
		.par_chunks_mut(width)
		.enumerate()
		.map_init(
			|| (Vec::new(), Vec::new()),
			|(scratch, col): &mut (Vec<[i32; LANES]>, Vec<i32>), (b, o)| {
				let c0 = b * width;
				let w = o.len();
				let groups = w.div_ceil(LANES);
				scratch.clear();
				scratch.resize(groups * m, [0; LANES]);
				#[cfg(target_arch = "x86_64")]
				let ok = if avx2 {
					// SAFETY: AVX2 support was detected at run time.
					unsafe { transpose_block_avx2(x, d, rows, c0, w, scratch) }
				} else {
					transpose_block_generic(x, d, rows, c0, w, scratch)
				};
				#[cfg(not(target_arch = "x86_64"))]
				let ok = transpose_block_generic(x, d, rows, c0, w, scratch);
				if !ok {
					return true;
				}
				for (g, o) in o.chunks_mut(LANES).enumerate() {
					let buf = &mut scratch[g * m..(g + 1) * m];
					match &prepare {
						Some(Some(net)) => apply(buf, net, avx2),
						Some(None) => sort_lanes(buf, col),
						None => {}
					}
					finish(buf, o);
				}
				false
			},
		)
		.reduce(|| false, |a, b| a | b);
	if bad {
		Err(())
	} else {
		Ok(())
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn networks_sort_and_prune_correctly() {
		let mut seed = 12345u64;
		let mut rnd = || {
			seed = seed
				.wrapping_mul(6364136223846793005)
				.wrapping_add(1442695040888963407);
			((seed >> 33) % 1000) as i32 - 500
		};
		for m in [1usize, 2, 3, 7, 8, 9, 31, 100, 257] {
			for outputs in [0..m, m / 2..m / 2 + 1, m / 4..m - m / 4] {
				let net = network(m, outputs.clone());
				let mut buf: Vec<[i32; LANES]> =
					(0..m).map(|_| [(); LANES].map(|_| rnd())).collect();
				let mut sorted: Vec<Vec<i32>> = (0..LANES)
					.map(|l| buf.iter().map(|r| r[l]).collect())
					.collect();
				sorted.iter_mut().for_each(|c| c.sort());
				apply(&mut buf, &net, false);
				for p in outputs.clone() {
					for l in 0..LANES {
						assert_eq!(buf[p][l], sorted[l][p], "m={m} p={p}");
					}
				}
			}
		}
		assert!(network(100, 49..51).len() < network(100, 0..100).len());
	}
}
