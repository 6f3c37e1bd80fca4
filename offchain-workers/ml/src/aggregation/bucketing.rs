//! Bucketing (Karimireddy, He & Jaggi 2022) in front of any rule.
//!
//! **Bucket assignment.** Update `i` (row index, `0 ≤ i < n`) gets the sort key
//! `sha3_256(seed ‖ i as u32 little-endian)`; updates sorted by (key, i) are cut into
//! consecutive buckets of `s` (the last bucket may be smaller). The seed must be the same on
//! every validator and unknown to trainers before they commit:
//!
//! * the validator path passes it explicitly to [`super::aggregate_with_seed`], built with
//!   [`bucket_seed`] from the round context and the seed the round pallet stored when the
//!   reveal phase closed (the hash of the reveal window's last block): the analysis assumes a
//!   permutation independent of the updates, and the payload hashes — which the trainers
//!   choose, as they choose whether to reveal at all — are not;
//! * [`super::aggregate`] derives it with [`content_seed`] from the updates themselves:
//!   `sha3_256("fedledger/bucketing/content/v1" ‖ n ‖ d ‖ weights (f64 LE bits) ‖ 64 sampled
//!   values of every row (f32 LE bits, coordinates `⌊t·d/64⌋`, `t < min(64, d)`))`.
//!
//! Each bucket is replaced by the sample-weighted mean of its members (unweighted if they all
//! weigh zero), summed in assignment order, and weighs the sum of its members' weights.

use super::kernels::combine;
use fedledger_primitives::tensor_codec::sha3_256;
use fedledger_primitives::Digest;

/// The bucketing seed of a round: the round context (model id and round index) and the
/// randomness the chain fixed after the reveal deadline (`chain_seed`). No update enters it, so
/// no trainer can steer the permutation by what (or whether) it reveals.
pub fn bucket_seed(context: &[u8], chain_seed: &Digest) -> [u8; 32] {
	let mut buf = Vec::with_capacity(64 + context.len());
	buf.extend_from_slice(b"fedledger/bucketing/chain/v2");
	buf.extend_from_slice(&(context.len() as u32).to_le_bytes());
	buf.extend_from_slice(context);
	buf.extend_from_slice(chain_seed);
	sha3_256(&buf)
}

/// Seed derived from the update matrix (see the module docs for the exact bytes).
pub fn content_seed(x: &[f32], n: usize, d: usize, weights: &[f64]) -> [u8; 32] {
	let samples = d.min(64);
	let mut buf = Vec::with_capacity(64 + 8 * n + 4 * n * samples);
	buf.extend_from_slice(b"fedledger/bucketing/content/v1");
	buf.extend_from_slice(&(n as u64).to_le_bytes());
	buf.extend_from_slice(&(d as u64).to_le_bytes());
	for w in weights {
		buf.extend_from_slice(&w.to_bits().to_le_bytes());
	}
	for i in 0..n {
		for t in 0..samples {
			let c = t * d / samples;
			buf.extend_from_slice(&x[i * d + c].to_bits().to_le_bytes());
		}
	}
	sha3_256(&buf)
}

/// The buckets (lists of row indices, in assignment order) for `n` updates, bucket size `s`.
pub fn bucket_assignment(n: usize, s: usize, seed: &[u8; 32]) -> Vec<Vec<usize>> {
	let mut keyed: Vec<([u8; 32], usize)> = (0..n)
		.map(|i| {
			let mut b = [0u8; 36];
			b[..32].copy_from_slice(seed);
			b[32..].copy_from_slice(&(i as u32).to_le_bytes());
			(sha3_256(&b), i)
		})
		.collect();
	keyed.sort_unstable();
	keyed
		.chunks(s.max(1))
		.map(|c| c.iter().map(|&(_, i)| i).collect())
		.collect()
}

/// Bucket means (row-major `buckets.len() × d`) and bucket weights.
pub(super) fn bucket_means(
	x: &[f32],
	d: usize,
	w: &[f64],
	buckets: &[Vec<usize>],
) -> (Vec<f32>, Vec<f64>) {
	let mut out = Vec::with_capacity(buckets.len() * d);
	let mut weights = Vec::with_capacity(buckets.len());
	for members in buckets {
		let total: f64 = members.iter().map(|&i| w[i]).sum();
		let (terms, denom): (Vec<(usize, f64)>, f64) = if total > 0.0 {
			(
				members
					.iter()
					.filter(|&&i| w[i] != 0.0)
					.map(|&i| (i, w[i]))
					.collect(),
				total,
			)
		} else {
			(
				members.iter().map(|&i| (i, 1.0)).collect(),
				members.len() as f64,
			)
		};
		out.extend_from_slice(&combine(x, d, &terms, None, denom));
		weights.push(total);
	}
	(out, weights)
}
