//! The typed error of the tensor codec.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// Why a payload could not be decoded (or a tensor encoded).
///
/// Every malformed payload maps to one of these; the decoder never panics. The variants carry
/// only small integers so that pallets can store or emit them.
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
pub enum CodecError {
	/// Fewer bytes than the fixed header.
	TruncatedHeader,
	/// The first four bytes are not [`super::MAGIC`].
	BadMagic,
	/// The header version is not one this decoder knows.
	UnsupportedVersion(u8),
	/// The codec kind byte is not one this decoder knows.
	UnknownKind(u8),
	/// A reserved header byte is not zero.
	ReservedNonZero,
	/// The shape is invalid: no dimensions or more than [`super::MAX_DIMS`], a zero dimension,
	/// a non-zero unused dimension, or a product that does not equal the parameter count.
	BadShape,
	/// The parameter count exceeds the caller's maximum.
	TooManyParams {
		/// Parameter count in the header.
		count: u32,
		/// Caller's maximum.
		max: u32,
	},
	/// The payload length does not match what the header implies (truncated or trailing bytes).
	LengthMismatch {
		/// Length implied by the header.
		expected: u64,
		/// Actual length.
		actual: u64,
	},
	/// The kind parameter is invalid: fixed-point fraction bits above 31, a zero int8 chunk size,
	/// or a top-k count above the parameter count.
	InvalidKindParam(u32),
	/// A value (dense f32 or sparse value) is NaN or infinite.
	NonFinite {
		/// Index of the offending value (parameter index for dense, position for sparse).
		index: u32,
	},
	/// An int8 chunk scale is negative, `-0.0`, non-finite, or so large that `127 · scale`
	/// overflows.
	InvalidScale {
		/// Chunk index.
		chunk: u32,
	},
	/// An int8 value is `-128` (the canonical range is `-127..=127`).
	Int8OutOfRange {
		/// Parameter index.
		index: u32,
	},
	/// Sparse indices are not strictly increasing (unsorted or duplicated).
	UnsortedIndices {
		/// Position in the index list of the first offending index.
		position: u32,
	},
	/// A sparse index is not below the parameter count.
	IndexOutOfRange {
		/// Position in the index list.
		position: u32,
	},
	/// Encoding only: a value does not fit the fixed-point range.
	ValueOutOfRange {
		/// Parameter index.
		index: u32,
	},
	/// Decoding into a caller buffer whose length differs from the parameter count.
	OutputLengthMismatch,
}

impl core::fmt::Display for CodecError {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		match self {
			Self::TruncatedHeader => write!(f, "payload shorter than the tensor header"),
			Self::BadMagic => write!(f, "bad magic bytes"),
			Self::UnsupportedVersion(v) => write!(f, "unsupported codec version {v}"),
			Self::UnknownKind(k) => write!(f, "unknown codec kind {k}"),
			Self::ReservedNonZero => write!(f, "reserved header byte is not zero"),
			Self::BadShape => write!(f, "invalid shape"),
			Self::TooManyParams { count, max } => {
				write!(f, "{count} parameters exceed the maximum {max}")
			}
			Self::LengthMismatch { expected, actual } => {
				write!(f, "payload is {actual} bytes, header implies {expected}")
			}
			Self::InvalidKindParam(p) => write!(f, "invalid codec kind parameter {p}"),
			Self::NonFinite { index } => write!(f, "value {index} is NaN or infinite"),
			Self::InvalidScale { chunk } => write!(f, "invalid scale of int8 chunk {chunk}"),
			Self::Int8OutOfRange { index } => write!(f, "int8 value {index} is -128"),
			Self::UnsortedIndices { position } => {
				write!(
					f,
					"sparse index at position {position} is not strictly increasing"
				)
			}
			Self::IndexOutOfRange { position } => {
				write!(f, "sparse index at position {position} is out of range")
			}
			Self::ValueOutOfRange { index } => {
				write!(f, "value {index} does not fit the fixed-point range")
			}
			Self::OutputLengthMismatch => write!(f, "output buffer length differs from the tensor"),
		}
	}
}

#[cfg(feature = "std")]
impl std::error::Error for CodecError {}
