//! Deterministic, parallel building blocks shared by the rules.
//!
//! Every kernel splits its work into pieces whose boundaries depend only on the problem shape
//! (`n`, `d`), never on the number of threads, and every floating-point sum runs in an order fixed
//! by the code. Rayon only decides *which thread* computes a piece, so the results are
//! bit-identical for any `RAYON_NUM_THREADS`.
//!
//! Inner loops are written over fixed-width lane arrays (`[f32; 8]`, `[f64; 4]`) so LLVM
//! vectorises them. On x86-64 the hot kernels are additionally compiled with
//! `#[target_feature(enable = "avx2")]` and selected at run time: this only changes which
//! instructions carry out the same IEEE-754 operations (Rust never contracts `a * b + c` into an
//! FMA), so the bits do not depend on the CPU either.

use rayon::prelude::*;

/// Column-block width of the row-combination passes (f64 accumulators: 64 KiB per block, in
/// L2; each row is read in 32 KiB runs, long enough for the prefetchers).
pub(crate) const COL_BLOCK: usize = 8192;

#[cfg(test)]
static FORCE_PORTABLE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Tests only: switch off the AVX2 variants and the sorting networks (to check that the
/// portable kernels and the plain-sort fallback give the same bits).
#[cfg(test)]
pub(crate) fn force_portable(on: bool) {
	FORCE_PORTABLE.store(on, std::sync::atomic::Ordering::SeqCst);
}

/// Tests only: whether the portable mode is on (no AVX2, no sorting networks).
#[cfg(test)]
pub(crate) fn portable_forced() -> bool {
	FORCE_PORTABLE.load(std::sync::atomic::Ordering::SeqCst)
}

/// True when the AVX2 variants of the kernels may be used.
#[inline]
pub(crate) fn has_avx2() -> bool {
	#[cfg(test)]
	if FORCE_PORTABLE.load(std::sync::atomic::Ordering::SeqCst) {
		return false;
	}
	#[cfg(target_arch = "x86_64")]
	{
		std::is_x86_feature_detected!("avx2")
	}
	#[cfg(not(target_arch = "x86_64"))]
	{
		false
	}
}

/// Order-preserving map of f32 bit patterns to i32: `a < b` (IEEE total order, so
/// `-0.0 < +0.0`) iff `key(a) < key(b)`. An involution: `key(key(x)) = x`.
#[inline(always)]
pub(crate) fn key(bits: u32) -> i32 {
	let k = bits as i32;
	k ^ (((k >> 31) as u32) >> 1) as i32
}

/// Inverse of [`key`].
#[inline(always)]
pub(crate) fn unkey(k: i32) -> f32 {
	f32::from_bits((k ^ (((k >> 31) as u32) >> 1) as i32) as u32)
}

#[inline(always)]
pub(crate) fn is_finite_bits(bits: u32) -> bool {
	bits & 0x7f80_0000 != 0x7f80_0000
}

/// First non-finite value in row-major order, if any (parallel over fixed row blocks).
pub(crate) fn first_non_finite(x: &[f32], d: usize) -> Option<(usize, usize)> {
	if d == 0 {
		return None;
	}
	const ROWS: usize = 4;
	x.par_chunks(ROWS * d)
		.enumerate()
		.filter_map(|(blk, chunk)| {
			chunk
				.iter()
				.position(|v| !is_finite_bits(v.to_bits()))
				.map(|p| blk * ROWS * d + p)
		})
		.min()
		.map(|p| (p / d, p % d))
}

/// Fixed pairwise reduction of 8 f64 lanes.
#[inline(always)]
fn reduce8_f64(a: &[f64; 8]) -> f64 {
	((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]))
}

/// Fixed pairwise reduction of 8 f32 lanes.
#[inline(always)]
fn reduce8_f32(a: &[f32; 8]) -> f32 {
	((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]))
}

#[inline(always)]
fn sq_dist_row_generic(row: &[f32], center: Option<&[f32]>) -> f64 {
	let mut acc = [0.0f64; 8];
	let mut tail = 0.0f64;
	match center {
		Some(c) => {
			let c = &c[..row.len()];
			let mut rc = row.chunks_exact(8);
			let mut cc = c.chunks_exact(8);
			for (r, z) in (&mut rc).zip(&mut cc) {
				for l in 0..8 {
					let t = r[l] as f64 - z[l] as f64;
					acc[l] += t * t;
				}
			}
			for (r, z) in rc.remainder().iter().zip(cc.remainder()) {
				let t = *r as f64 - *z as f64;
				tail += t * t;
			}
		}
		None => {
			let mut rc = row.chunks_exact(8);
			for r in &mut rc {
				for l in 0..8 {
					let t = r[l] as f64;
					acc[l] += t * t;
				}
			}
			for r in rc.remainder() {
				let t = *r as f64;
				tail += t * t;
			}
		}
	}
	reduce8_f64(&acc) + tail
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn sq_dist_row_avx2(row: &[f32], center: Option<&[f32]>) -> f64 {
	sq_dist_row_generic(row, center)
}

/// `‖xᵢ − center‖²` (or `‖xᵢ‖²`) for every row, in f64, each row summed in a fixed order.
pub(crate) fn row_sq_dists(x: &[f32], d: usize, center: Option<&[f32]>) -> Vec<f64> {
	let avx2 = has_avx2();
	debug_assert!(d > 0);
	x.par_chunks(d)
		.map(|row| {
			#[cfg(target_arch = "x86_64")]
			if avx2 {
				// SAFETY: AVX2 support was detected at run time.
				return unsafe { sq_dist_row_avx2(row, center) };
			}
			let _ = avx2;
			sq_dist_row_generic(row, center)
		})
		.collect()
}

#[inline(always)]
fn combine_block_generic(
	x: &[f32],
	d: usize,
	c0: usize,
	terms: &[(usize, f64)],
	center: Option<&[f32]>,
	divisor: f64,
	out: &mut [f32],
) {
	let w = out.len();
	let mut acc = vec![0.0f64; w];
	let acc = &mut acc[..];
	match center {
		Some(ctr) => {
			let ctr = &ctr[c0..c0 + w];
			for &(i, coef) in terms {
				let seg = &x[i * d + c0..i * d + c0 + w];
				for ((a, &v), &z) in acc.iter_mut().zip(seg).zip(ctr) {
					*a += coef * (v as f64 - z as f64);
				}
			}
			for ((o, &a), &z) in out.iter_mut().zip(acc.iter()).zip(ctr) {
				*o = (z as f64 + a / divisor) as f32;
			}
		}
		None => {
			for &(i, coef) in terms {
				let seg = &x[i * d + c0..i * d + c0 + w];
				for (a, &v) in acc.iter_mut().zip(seg) {
					*a += coef * v as f64;
				}
			}
			for (o, &a) in out.iter_mut().zip(acc.iter()) {
				*o = (a / divisor) as f32;
			}
		}
	}
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn combine_block_avx2(
	x: &[f32],
	d: usize,
	c0: usize,
	terms: &[(usize, f64)],
	center: Option<&[f32]>,
	divisor: f64,
	out: &mut [f32],
) {
	combine_block_generic(x, d, c0, terms, center, divisor, out)
}

/// Per coordinate `j`: `center_j + Σ cᵢ·(x_ij − center_j) / divisor` over `terms = [(i, cᵢ)]`
/// in the given order (or `Σ cᵢ·x_ij / divisor` without a center), accumulated in f64 and rounded
/// once to f32. Parallel over fixed blocks of [`COL_BLOCK`] coordinates; reads each used row
/// once.
pub(crate) fn combine(
	x: &[f32],
	d: usize,
	terms: &[(usize, f64)],
	center: Option<&[f32]>,
	divisor: f64,
) -> Vec<f32> {
	let avx2 = has_avx2();
	let mut out = vec![0.0f32; d];
	out.par_chunks_mut(COL_BLOCK)
		.enumerate()
		.for_each(|(b, o)| {
			let c0 = b * COL_BLOCK;
			#[cfg(target_arch = "x86_64")]
			if avx2 {
				// SAFETY: AVX2 support was detected at run time.
				unsafe { combine_block_avx2(x, d, c0, terms, center, divisor, o) };
				return;
			}
			let _ = avx2;
			combine_block_generic(x, d, c0, terms, center, divisor, o)
		});
	out
}

/// Width of the column blocks of the order-statistic kernels for `m` rows: the transposed
/// scratch block (`m × width` i32) stays around 128 KiB, inside L2.
pub(crate) fn order_block_width(m: usize) -> usize {
	((32 * 1024) / m.max(1)).clamp(16, 4096) / 16 * 16
}

/// Rows are padded to a multiple of this tile height in the pairwise kernel.
const TILE: usize = 3;
/// Columns per k-block of the pairwise kernel (packed `n × KC` f32 stays in L3).
const KC: usize = 1024;

#[inline(always)]
fn as8(s: &[f32]) -> &[f32; 8] {
	s.try_into().expect("chunks_exact(8)")
}

/// 3×3 tile of dot products of packed rows `a[0..3]` and `b[0..3]` (length multiple of 8),
/// with 8 f32 lanes per pair and a fixed lane reduction.
#[inline(always)]
fn tile_dots_generic(a: [&[f32]; 3], b: [&[f32]; 3]) -> [f32; 9] {
	let mut acc = [[0.0f32; 8]; 9];
	let it = a[0]
		.chunks_exact(8)
		.zip(a[1].chunks_exact(8))
		.zip(a[2].chunks_exact(8))
		.zip(b[0].chunks_exact(8))
		.zip(b[1].chunks_exact(8))
		.zip(b[2].chunks_exact(8));
	for (((((a0, a1), a2), b0), b1), b2) in it {
		let (a0, a1, a2, b0, b1, b2) = (as8(a0), as8(a1), as8(a2), as8(b0), as8(b1), as8(b2));
		for l in 0..8 {
			acc[0][l] += a0[l] * b0[l];
			acc[1][l] += a0[l] * b1[l];
			acc[2][l] += a0[l] * b2[l];
			acc[3][l] += a1[l] * b0[l];
			acc[4][l] += a1[l] * b1[l];
			acc[5][l] += a1[l] * b2[l];
			acc[6][l] += a2[l] * b0[l];
			acc[7][l] += a2[l] * b1[l];
			acc[8][l] += a2[l] * b2[l];
		}
	}
	let mut out = [0.0f32; 9];
	for (o, a) in out.iter_mut().zip(acc.iter()) {
		*o = reduce8_f32(a);
	}
	out
}

/// One row tile `t` against row tiles `t..` of a packed k-block, accumulated into `g_rows`
/// (the `TILE` rows of the Gram matrix owned by this tile, `n_pad` wide).
#[inline(always)]
fn gram_row_tile_generic(packed: &[f32], kc: usize, t: usize, n_tiles: usize, g_rows: &mut [f64]) {
	let n_pad = n_tiles * TILE;
	let row = |r: usize| &packed[r * kc..(r + 1) * kc];
	let a = [row(t * TILE), row(t * TILE + 1), row(t * TILE + 2)];
	for u in t..n_tiles {
		let b = [row(u * TILE), row(u * TILE + 1), row(u * TILE + 2)];
		let dots = tile_dots_generic(a, b);
		for p in 0..TILE {
			for q in 0..TILE {
				g_rows[p * n_pad + u * TILE + q] += dots[p * TILE + q] as f64;
			}
		}
	}
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn gram_row_tile_avx2(packed: &[f32], kc: usize, t: usize, n_tiles: usize, g_rows: &mut [f64]) {
	gram_row_tile_generic(packed, kc, t, n_tiles, g_rows)
}

/// Squared Euclidean distances between all pairs of rows, as an `n × n` row-major f64 matrix
/// (symmetric, zero diagonal).
///
/// Computed GEMM-style through the Gram matrix of the rows centred on their coordinate mean
/// (`‖xᵢ − xⱼ‖² = Gᵢᵢ + Gⱼⱼ − 2Gᵢⱼ`; centring removes most of the cancellation): the columns are
/// processed in k-blocks of [`KC`] (packed and centred once, parallel over rows), and within a
/// block the upper triangle of 3×3 row tiles is computed in parallel over row tiles with f32
/// lane accumulators, each tile's block sum then added to the f64 Gram entry. Block order is
/// sequential and each entry is owned by exactly one task, so the result does not depend on the
/// thread count.
pub(crate) fn pairwise_sq_dists(x: &[f32], n: usize, d: usize) -> Vec<f64> {
	let avx2 = has_avx2();
	let n_tiles = n.div_ceil(TILE);
	let n_pad = n_tiles * TILE;
	let terms: Vec<(usize, f64)> = (0..n).map(|i| (i, 1.0)).collect();
	let mean = combine(x, d, &terms, None, n as f64);
	let mut g = vec![0.0f64; n_pad * n_pad];
	let mut packed = vec![0.0f32; n_pad * KC];
	let mut k0 = 0;
	while k0 < d {
		let kw = KC.min(d - k0);
		let kc = kw.div_ceil(8) * 8;
		let packed = &mut packed[..n_pad * kc];
		packed.par_chunks_mut(kc).enumerate().for_each(|(r, dst)| {
			if r < n {
				let src = &x[r * d + k0..r * d + k0 + kw];
				for ((o, &v), &mu) in dst.iter_mut().zip(src).zip(&mean[k0..k0 + kw]) {
					*o = v - mu;
				}
				dst[kw..].iter_mut().for_each(|o| *o = 0.0);
			} else {
				dst.iter_mut().for_each(|o| *o = 0.0);
			}
		});
		let packed = &*packed;
		g.par_chunks_mut(TILE * n_pad)
			.enumerate()
			.for_each(|(t, g_rows)| {
				#[cfg(target_arch = "x86_64")]
				if avx2 {
					// SAFETY: AVX2 support was detected at run time.
					unsafe { gram_row_tile_avx2(packed, kc, t, n_tiles, g_rows) };
					return;
				}
				let _ = avx2;
				gram_row_tile_generic(packed, kc, t, n_tiles, g_rows)
			});
		k0 += kw;
	}
	let mut out = vec![0.0f64; n * n];
	out.par_chunks_mut(n.max(1))
		.enumerate()
		.for_each(|(i, row)| {
			for (j, o) in row.iter_mut().enumerate() {
				if i != j {
					let (a, b) = if i < j { (i, j) } else { (j, i) };
					let v = g[a * n_pad + a] + g[b * n_pad + b] - 2.0 * g[a * n_pad + b];
					*o = if v > 0.0 { v } else { 0.0 };
				}
			}
		});
	out
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn key_orders_like_total_cmp() {
		let vals = [f32::MIN, -3.5, -1.0e-40, -0.0, 0.0, 1.0e-40, 2.0, f32::MAX];
		for w in vals.windows(2) {
			assert!(
				key(w[0].to_bits()) < key(w[1].to_bits()),
				"{} < {}",
				w[0],
				w[1]
			);
		}
		for v in vals {
			assert_eq!(unkey(key(v.to_bits())).to_bits(), v.to_bits());
		}
	}

	#[test]
	fn pairwise_matches_direct() {
		let (n, d) = (7, 2500);
		let x: Vec<f32> = (0..n * d)
			.map(|k| ((k * 7919 % 1000) as f32 - 500.0) / 97.0)
			.collect();
		let p = pairwise_sq_dists(&x, n, d);
		for i in 0..n {
			for j in 0..n {
				let direct: f64 = (0..d)
					.map(|c| {
						let t = x[i * d + c] as f64 - x[j * d + c] as f64;
						t * t
					})
					.sum();
				assert!(
					(p[i * n + j] - direct).abs() <= 1e-4 * direct.max(1.0),
					"{i},{j}"
				);
			}
		}
	}
}
