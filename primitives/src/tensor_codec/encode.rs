//! Deterministic encoders. Every encoder produces canonical bytes that [`super::decode`]
//! accepts; the same input always gives the same bytes.

use super::{CodecError, CodecKind, Header, HEADER_LEN, MAX_DIMS, VERSION};
use alloc::vec::Vec;

/// Which encoding to use, with its parameter.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Encoding {
	/// Dense f32.
	F32,
	/// Dense i32 fixed point with `frac_bits` fraction bits (0..=31), rounded half away from
	/// zero.
	FixedPoint {
		/// Fraction bits.
		frac_bits: u32,
	},
	/// Dense int8 with one scale per `chunk` values: `scale = max|v| / 127`,
	/// `q = round(v / scale)` (half away from zero).
	Int8Chunked {
		/// Chunk size (≥ 1).
		chunk: u32,
	},
	/// Keep the `k` values of largest magnitude (ties: lower index first), store them sparse.
	TopK {
		/// Entries kept (≤ number of values).
		k: u32,
	},
}

fn header_for(
	shape: &[u32],
	len: usize,
	kind: CodecKind,
	kind_param: u32,
) -> Result<Header, CodecError> {
	if shape.is_empty() || shape.len() > MAX_DIMS || shape.contains(&0) {
		return Err(CodecError::BadShape);
	}
	let product = shape
		.iter()
		.try_fold(1u32, |acc, &d| acc.checked_mul(d))
		.ok_or(CodecError::BadShape)?;
	if product as u64 != len as u64 {
		return Err(CodecError::BadShape);
	}
	let mut dims = [0u32; MAX_DIMS];
	dims[..shape.len()].copy_from_slice(shape);
	Ok(Header {
		version: VERSION,
		kind,
		ndims: shape.len() as u8,
		param_count: product,
		dims,
		kind_param,
	})
}

fn check_finite(values: &[f32]) -> Result<(), CodecError> {
	match values.iter().position(|v| !v.is_finite()) {
		Some(i) => Err(CodecError::NonFinite { index: i as u32 }),
		None => Ok(()),
	}
}

fn with_header(h: &Header) -> Vec<u8> {
	let mut out = Vec::with_capacity(h.total_len() as usize);
	out.extend_from_slice(&h.to_bytes());
	out
}

/// Rounds half away from zero without `std` (`f64::round` is not in `core`). Exact for
/// `|x| < 2^52`; callers bound `x` first.
fn round_half_away(x: f64) -> i64 {
	if x >= 0.0 {
		(x + 0.5) as i64
	} else {
		(x - 0.5) as i64
	}
}

fn abs_f32(v: f32) -> f32 {
	f32::from_bits(v.to_bits() & 0x7fff_ffff)
}

/// Dense f32 payload.
pub fn encode_f32(values: &[f32], shape: &[u32]) -> Result<Vec<u8>, CodecError> {
	let h = header_for(shape, values.len(), CodecKind::F32, 0)?;
	check_finite(values)?;
	let mut out = with_header(&h);
	for v in values {
		out.extend_from_slice(&v.to_le_bytes());
	}
	Ok(out)
}

/// A dense f32 payload of `param_count` zeros with shape `[param_count]` (e.g. the initial
/// weights of a logistic-regression model, or placeholder weights in tests).
pub fn encode_zeros(param_count: u32) -> Result<Vec<u8>, CodecError> {
	encode_f32(&alloc::vec![0.0; param_count as usize], &[param_count])
}

/// Fixed-point payload: `q = round(v · 2^frac_bits)` as i32; values out of i32 range fail
/// with [`CodecError::ValueOutOfRange`].
pub fn encode_fixed(values: &[f32], shape: &[u32], frac_bits: u32) -> Result<Vec<u8>, CodecError> {
	if frac_bits > 31 {
		return Err(CodecError::InvalidKindParam(frac_bits));
	}
	let h = header_for(shape, values.len(), CodecKind::FixedPoint, frac_bits)?;
	check_finite(values)?;
	let scale = (1u64 << frac_bits) as f64;
	let mut out = with_header(&h);
	for (i, &v) in values.iter().enumerate() {
		let x = v as f64 * scale;
		// i32 range after rounding: [-2^31 - 0.5, 2^31 - 0.5).
		if !(-2147483648.5..2147483647.5).contains(&x) {
			return Err(CodecError::ValueOutOfRange { index: i as u32 });
		}
		out.extend_from_slice(&(round_half_away(x) as i32).to_le_bytes());
	}
	Ok(out)
}

/// Int8 payload with one scale per `chunk` values.
pub fn encode_int8(values: &[f32], shape: &[u32], chunk: u32) -> Result<Vec<u8>, CodecError> {
	if chunk == 0 {
		return Err(CodecError::InvalidKindParam(0));
	}
	let h = header_for(shape, values.len(), CodecKind::Int8Chunked, chunk)?;
	check_finite(values)?;
	let mut out = with_header(&h);
	let scales: Vec<f32> = values
		.chunks(chunk as usize)
		.map(|c| {
			let mut s = c
				.iter()
				.fold(0.0f32, |m, &v| if abs_f32(v) > m { abs_f32(v) } else { m })
				/ 127.0;
			// Near f32::MAX, 127·s may round up to infinity, which the decoder rejects: step down.
			while !(s * 127.0).is_finite() {
				s = f32::from_bits(s.to_bits() - 1);
			}
			s
		})
		.collect();
	for s in &scales {
		out.extend_from_slice(&s.to_le_bytes());
	}
	for (c, &s) in values.chunks(chunk as usize).zip(&scales) {
		for &v in c {
			let q = if s > 0.0 {
				round_half_away((v / s) as f64).clamp(-127, 127)
			} else {
				0
			};
			out.push(q as i8 as u8);
		}
	}
	debug_assert_eq!(out.len() as u64, h.total_len());
	Ok(out)
}

/// Sparse payload from explicit `indices` (strictly increasing, `< len(shape)`) and `values`.
pub fn encode_sparse(
	indices: &[u32],
	values: &[f32],
	shape: &[u32],
) -> Result<Vec<u8>, CodecError> {
	let d = shape
		.iter()
		.try_fold(1u32, |acc, &x| acc.checked_mul(x))
		.ok_or(CodecError::BadShape)?;
	if indices.len() != values.len() || indices.len() as u64 > d as u64 {
		return Err(CodecError::InvalidKindParam(indices.len() as u32));
	}
	let h = header_for(
		shape,
		d as usize,
		CodecKind::TopKSparse,
		indices.len() as u32,
	)?;
	check_finite(values)?;
	for (p, &i) in indices.iter().enumerate() {
		if i >= d {
			return Err(CodecError::IndexOutOfRange { position: p as u32 });
		}
		if p > 0 && indices[p - 1] >= i {
			return Err(CodecError::UnsortedIndices { position: p as u32 });
		}
	}
	let mut out = with_header(&h);
	for i in indices {
		out.extend_from_slice(&i.to_le_bytes());
	}
	for v in values {
		out.extend_from_slice(&v.to_le_bytes());
	}
	Ok(out)
}

/// Top-k sparse payload: keeps the `k` values of largest magnitude (ties broken by lower
/// index, so the choice is deterministic).
pub fn encode_topk(values: &[f32], shape: &[u32], k: u32) -> Result<Vec<u8>, CodecError> {
	if k as u64 > values.len() as u64 {
		return Err(CodecError::InvalidKindParam(k));
	}
	header_for(shape, values.len(), CodecKind::TopKSparse, k)?;
	check_finite(values)?;
	let mut order: Vec<u32> = (0..values.len() as u32).collect();
	// Magnitude descending (the bits of |v| order like the value for finite floats), then index.
	let key = |i: &u32| {
		(
			core::cmp::Reverse(abs_f32(values[*i as usize]).to_bits()),
			*i,
		)
	};
	if (k as usize) < order.len() && k > 0 {
		order.select_nth_unstable_by_key(k as usize - 1, key);
	}
	order.truncate(k as usize);
	order.sort_unstable();
	let kept: Vec<f32> = order.iter().map(|&i| values[i as usize]).collect();
	encode_sparse(&order, &kept, shape)
}

/// Encodes with the chosen [`Encoding`].
pub fn encode(values: &[f32], shape: &[u32], encoding: Encoding) -> Result<Vec<u8>, CodecError> {
	match encoding {
		Encoding::F32 => encode_f32(values, shape),
		Encoding::FixedPoint { frac_bits } => encode_fixed(values, shape, frac_bits),
		Encoding::Int8Chunked { chunk } => encode_int8(values, shape, chunk),
		Encoding::TopK { k } => encode_topk(values, shape, k),
	}
}

// Keeps HEADER_LEN referenced for readers of this module: bodies start right after it.
const _: () = assert!(HEADER_LEN == 32);
