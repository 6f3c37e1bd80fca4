//! The canonical byte format of model updates and model weights.
//!
//! A payload is a fixed 32-byte header followed by a little-endian body. The bytes are
//! canonical: the decoder accepts exactly one byte string per header and body content (reserved
//! bytes zero, unused shape dimensions zero, no trailing bytes, int8 values in `-127..=127`,
//! sparse indices strictly increasing, non-negative scales), and the sha3-256 [`digest`] of those
//! bytes is the identity of the tensor on chain.
//!
//! ```text
//! offset size field
//!      0    4 magic            b"FLTC"
//!      4    1 version          1
//!      5    1 kind             0 f32 · 1 fixed-point i32 · 2 int8 per-chunk scale · 3 top-k sparse
//!      6    1 ndims            1..=4
//!      7    1 reserved         0
//!      8    4 param_count      u32, = product of the dims, ≥ 1
//!     12   16 dims[4]          u32 each; dims[ndims..] = 0
//!     28    4 kind_param       f32: 0 · fixed: fraction bits 0..=31 · int8: chunk size ≥ 1
//!                              · top-k: number of stored entries k ≤ param_count
//!     32    … body
//! ```
//!
//! Bodies (`d` = param_count):
//! * **f32**: `d` × f32 LE, all finite.
//! * **fixed-point**: `d` × i32 LE; value = `q / 2^frac_bits`.
//! * **int8**: `⌈d / chunk⌉` × f32 LE scales (finite, `+0.0` or positive, `127·scale` finite),
//!   then `d` × i8; value = `q · scale[i / chunk]`.
//! * **top-k sparse**: `k` × u32 LE indices (strictly increasing, `< d`), then `k` × f32 LE values
//!   (finite); every other coordinate is zero.
//!
//! Decoding is allocation-free with [`validate`] (what the runtime uses) or [`decode_into`], and
//! never panics on any input.

mod decode;
mod encode;
mod error;
#[cfg(test)]
mod tests;

pub use decode::{decode, decode_header, decode_into, measure, validate, DecodedTensor, Magnitude};
pub use encode::{
	encode, encode_f32, encode_fixed, encode_int8, encode_sparse, encode_topk, encode_zeros,
	Encoding,
};
pub use error::CodecError;

use crate::Digest;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sha3::{Digest as _, Sha3_256};

/// First four bytes of every payload.
pub const MAGIC: [u8; 4] = *b"FLTC";
/// The codec version this code writes and reads.
pub const VERSION: u8 = 1;
/// Length of the fixed header in bytes.
pub const HEADER_LEN: usize = 32;
/// Maximum number of shape dimensions.
pub const MAX_DIMS: usize = 4;

/// How the body encodes the values.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum CodecKind {
	/// Dense little-endian f32.
	F32,
	/// Dense i32 fixed point with `kind_param` fraction bits.
	FixedPoint,
	/// Dense int8 with one f32 scale per chunk of `kind_param` values.
	Int8Chunked,
	/// Sparse: `kind_param` sorted indices and their f32 values.
	TopKSparse,
}

impl CodecKind {
	/// The header byte of the kind.
	pub fn to_byte(self) -> u8 {
		match self {
			Self::F32 => 0,
			Self::FixedPoint => 1,
			Self::Int8Chunked => 2,
			Self::TopKSparse => 3,
		}
	}

	/// The kind of a header byte.
	pub fn from_byte(b: u8) -> Result<Self, CodecError> {
		match b {
			0 => Ok(Self::F32),
			1 => Ok(Self::FixedPoint),
			2 => Ok(Self::Int8Chunked),
			3 => Ok(Self::TopKSparse),
			other => Err(CodecError::UnknownKind(other)),
		}
	}
}

/// The decoded fixed header of a payload.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct Header {
	/// Codec version (currently always [`VERSION`]).
	pub version: u8,
	/// Body encoding.
	pub kind: CodecKind,
	/// Number of used entries of `dims`.
	pub ndims: u8,
	/// Number of parameters (product of the used dims).
	pub param_count: u32,
	/// Shape; entries past `ndims` are zero.
	pub dims: [u32; MAX_DIMS],
	/// Kind-specific parameter (fraction bits, chunk size or k).
	pub kind_param: u32,
}

impl Header {
	/// The used dimensions.
	pub fn shape(&self) -> &[u32] {
		&self.dims[..(self.ndims as usize).min(MAX_DIMS)]
	}

	/// Body length in bytes implied by the header (u64: cannot overflow for u32 counts).
	pub fn body_len(&self) -> u64 {
		let d = self.param_count as u64;
		let p = self.kind_param as u64;
		match self.kind {
			CodecKind::F32 | CodecKind::FixedPoint => 4 * d,
			CodecKind::Int8Chunked => 4 * d.div_ceil(p.max(1)) + d,
			CodecKind::TopKSparse => 8 * p,
		}
	}

	/// Total payload length in bytes implied by the header.
	pub fn total_len(&self) -> u64 {
		HEADER_LEN as u64 + self.body_len()
	}

	/// Serialises the header into its 32 canonical bytes.
	pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
		let mut b = [0u8; HEADER_LEN];
		b[0..4].copy_from_slice(&MAGIC);
		b[4] = self.version;
		b[5] = self.kind.to_byte();
		b[6] = self.ndims;
		b[8..12].copy_from_slice(&self.param_count.to_le_bytes());
		for (i, d) in self.dims.iter().enumerate() {
			b[12 + 4 * i..16 + 4 * i].copy_from_slice(&d.to_le_bytes());
		}
		b[28..32].copy_from_slice(&self.kind_param.to_le_bytes());
		b
	}
}

/// sha3-256 of `data`.
pub fn sha3_256(data: &[u8]) -> Digest {
	Sha3_256::digest(data).into()
}

/// The identity of a payload: sha3-256 over its canonical bytes (header and body).
pub fn digest(payload: &[u8]) -> Digest {
	sha3_256(payload)
}

/// The commit-reveal commitment: `sha3_256(payload ‖ salt ‖ account)`.
///
/// `account` is the SCALE/raw byte form of the committing account, so a payload copied by
/// another account yields a different commitment.
pub fn commitment(payload: &[u8], salt: &[u8], account: &[u8]) -> Digest {
	let mut h = Sha3_256::new();
	h.update(payload);
	h.update(salt);
	h.update(account);
	h.finalize().into()
}
