//! Validating, panic-free decoder.

use super::{CodecError, CodecKind, Header, HEADER_LEN, MAGIC, MAX_DIMS, VERSION};
use alloc::vec;
use alloc::vec::Vec;

/// A decoded dense tensor.
#[derive(Clone, PartialEq, Debug)]
pub struct DecodedTensor {
	/// The payload header.
	pub header: Header,
	/// The `param_count` values, row-major in `header.shape()`.
	pub values: Vec<f32>,
}

fn u32_at(b: &[u8], at: usize) -> u32 {
	u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn is_finite_bits(bits: u32) -> bool {
	bits & 0x7f80_0000 != 0x7f80_0000
}

/// Parses and checks the fixed header: magic, version, kind, reserved byte, shape, parameter
/// count against `max_params`, the kind parameter, and the total length of `bytes`.
pub fn decode_header(bytes: &[u8], max_params: u32) -> Result<Header, CodecError> {
	if bytes.len() < HEADER_LEN {
		return Err(CodecError::TruncatedHeader);
	}
	if bytes[0..4] != MAGIC {
		return Err(CodecError::BadMagic);
	}
	if bytes[4] != VERSION {
		return Err(CodecError::UnsupportedVersion(bytes[4]));
	}
	let kind = CodecKind::from_byte(bytes[5])?;
	let ndims = bytes[6];
	if bytes[7] != 0 {
		return Err(CodecError::ReservedNonZero);
	}
	let param_count = u32_at(bytes, 8);
	let mut dims = [0u32; MAX_DIMS];
	for (i, d) in dims.iter_mut().enumerate() {
		*d = u32_at(bytes, 12 + 4 * i);
	}
	let kind_param = u32_at(bytes, 28);

	if ndims == 0 || ndims as usize > MAX_DIMS {
		return Err(CodecError::BadShape);
	}
	let mut product: u64 = 1;
	for (i, &d) in dims.iter().enumerate() {
		if i < ndims as usize {
			if d == 0 {
				return Err(CodecError::BadShape);
			}
			product = product.saturating_mul(d as u64);
		} else if d != 0 {
			return Err(CodecError::BadShape);
		}
	}
	if product != param_count as u64 {
		return Err(CodecError::BadShape);
	}
	if param_count > max_params {
		return Err(CodecError::TooManyParams {
			count: param_count,
			max: max_params,
		});
	}
	let param_ok = match kind {
		CodecKind::F32 => kind_param == 0,
		CodecKind::FixedPoint => kind_param <= 31,
		CodecKind::Int8Chunked => kind_param >= 1,
		CodecKind::TopKSparse => kind_param <= param_count,
	};
	if !param_ok {
		return Err(CodecError::InvalidKindParam(kind_param));
	}
	let header = Header {
		version: VERSION,
		kind,
		ndims,
		param_count,
		dims,
		kind_param,
	};
	let expected = header.total_len();
	if bytes.len() as u64 != expected {
		return Err(CodecError::LengthMismatch {
			expected,
			actual: bytes.len() as u64,
		});
	}
	Ok(header)
}

/// Walks the body, checking every canonical-form rule; with `decode`, hands every stored value
/// to `visit(index, value)` (in increasing index order; a sparse payload's zeros are not
/// visited).
fn walk(
	bytes: &[u8],
	h: &Header,
	decode: bool,
	mut visit: impl FnMut(usize, f32),
) -> Result<(), CodecError> {
	let body = &bytes[HEADER_LEN..];
	let d = h.param_count as usize;
	match h.kind {
		CodecKind::F32 => {
			for (i, c) in body.chunks_exact(4).enumerate() {
				let bits = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
				if !is_finite_bits(bits) {
					return Err(CodecError::NonFinite { index: i as u32 });
				}
				if decode {
					visit(i, f32::from_bits(bits));
				}
			}
		}
		CodecKind::FixedPoint => {
			if decode {
				// 2^-frac is exact in f32 for frac ≤ 31; i32 → f64 is exact, one rounding to f32.
				let inv = 1.0f64 / (1u64 << h.kind_param) as f64;
				for (i, c) in body.chunks_exact(4).enumerate() {
					let q = i32::from_le_bytes([c[0], c[1], c[2], c[3]]);
					visit(i, (q as f64 * inv) as f32);
				}
			}
		}
		CodecKind::Int8Chunked => {
			let chunk = h.kind_param as usize;
			let n_chunks = d.div_ceil(chunk);
			let (scales, qs) = body.split_at(4 * n_chunks);
			for (ci, c) in scales.chunks_exact(4).enumerate() {
				let bits = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
				let s = f32::from_bits(bits);
				// Sign bit set (negative or -0.0), NaN/Inf, or 127·s overflowing are rejected.
				if bits >> 31 != 0
					|| !is_finite_bits(bits)
					|| !is_finite_bits((s * 127.0).to_bits())
				{
					return Err(CodecError::InvalidScale { chunk: ci as u32 });
				}
				let start = ci * chunk;
				let end = (start + chunk).min(d);
				for (j, &b) in qs[start..end].iter().enumerate() {
					let q = b as i8;
					if q == i8::MIN {
						return Err(CodecError::Int8OutOfRange {
							index: (start + j) as u32,
						});
					}
					if decode {
						visit(start + j, q as f32 * s);
					}
				}
			}
		}
		CodecKind::TopKSparse => {
			let k = h.kind_param as usize;
			let (idx, vals) = body.split_at(4 * k);
			let mut prev: Option<u32> = None;
			for (p, (ic, vc)) in idx.chunks_exact(4).zip(vals.chunks_exact(4)).enumerate() {
				let i = u32::from_le_bytes([ic[0], ic[1], ic[2], ic[3]]);
				let bits = u32::from_le_bytes([vc[0], vc[1], vc[2], vc[3]]);
				if i >= h.param_count {
					return Err(CodecError::IndexOutOfRange { position: p as u32 });
				}
				if matches!(prev, Some(q) if q >= i) {
					return Err(CodecError::UnsortedIndices { position: p as u32 });
				}
				if !is_finite_bits(bits) {
					return Err(CodecError::NonFinite { index: p as u32 });
				}
				prev = Some(i);
				if decode {
					visit(i as usize, f32::from_bits(bits));
				}
			}
		}
	}
	Ok(())
}

/// Fully checks a payload without allocating and returns its header. This is the check the
/// runtime applies to a revealed update.
pub fn validate(bytes: &[u8], max_params: u32) -> Result<Header, CodecError> {
	let h = decode_header(bytes, max_params)?;
	walk(bytes, &h, false, |_, _| {})?;
	Ok(h)
}

/// The size of a payload's values: what the runtime bounds at reveal.
#[derive(Clone, Copy, PartialEq, Debug)]
pub struct Magnitude {
	/// Largest absolute value.
	pub max_abs: f32,
	/// Sum of squares, each value squared in f64 and summed in index order.
	///
	/// Deterministic everywhere, the wasm runtime included: the values are finite (checked),
	/// a finite f32 squared is exact in f64 and the sum of at most `u32::MAX` of them (each
	/// below 2^256) cannot overflow, so no NaN or infinity can arise, and every step is one
	/// correctly rounded IEEE-754 operation in a fixed order.
	pub sum_of_squares: f64,
}

impl Magnitude {
	/// Whether the L2 norm is at most `bound` (compared as squares, no square root).
	pub fn norm_at_most(&self, bound: f64) -> bool {
		self.sum_of_squares <= bound * bound
	}
}

/// Fully checks a payload, like [`validate`], and measures its values without allocating.
pub fn measure(bytes: &[u8], max_params: u32) -> Result<(Header, Magnitude), CodecError> {
	let h = decode_header(bytes, max_params)?;
	let mut m = Magnitude {
		max_abs: 0.0,
		sum_of_squares: 0.0,
	};
	walk(bytes, &h, true, |_, v| {
		m.max_abs = m.max_abs.max(v.abs());
		let v = v as f64;
		m.sum_of_squares += v * v;
	})?;
	Ok((h, m))
}

/// Decodes into a caller buffer of exactly `param_count` values (e.g. a row of an
/// `ndarray`), without allocating. On error the buffer content is unspecified.
pub fn decode_into(bytes: &[u8], max_params: u32, out: &mut [f32]) -> Result<Header, CodecError> {
	let h = decode_header(bytes, max_params)?;
	if out.len() != h.param_count as usize {
		return Err(CodecError::OutputLengthMismatch);
	}
	if h.kind == CodecKind::TopKSparse {
		out.iter_mut().for_each(|v| *v = 0.0);
	}
	walk(bytes, &h, true, |i, v| out[i] = v)?;
	Ok(h)
}

/// Decodes a payload into dense values. The allocation happens only after the header (and so
/// the length against `max_params`) has been checked.
pub fn decode(bytes: &[u8], max_params: u32) -> Result<DecodedTensor, CodecError> {
	let header = decode_header(bytes, max_params)?;
	let mut values = vec![0.0f32; header.param_count as usize];
	walk(bytes, &header, true, |i, v| values[i] = v)?;
	Ok(DecodedTensor { header, values })
}
