use super::*;
use alloc::vec;
use alloc::vec::Vec;
use proptest::prelude::*;

const MAX: u32 = 1 << 24;

fn set_u32(b: &mut [u8], at: usize, v: u32) {
	b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

#[test]
fn header_layout_is_fixed() {
	let p = encode_f32(&[1.0, -2.0, 0.5, 0.0, 3.0, 4.0], &[2, 3]).unwrap();
	assert_eq!(p.len(), HEADER_LEN + 24);
	assert_eq!(&p[0..4], b"FLTC");
	assert_eq!(p[4], 1);
	assert_eq!(p[5], 0);
	assert_eq!(p[6], 2);
	assert_eq!(p[7], 0);
	assert_eq!(&p[8..12], &6u32.to_le_bytes());
	assert_eq!(&p[12..16], &2u32.to_le_bytes());
	assert_eq!(&p[16..20], &3u32.to_le_bytes());
	assert_eq!(&p[20..28], &[0u8; 8]);
	assert_eq!(&p[32..36], &1.0f32.to_le_bytes());
	let d = decode(&p, MAX).unwrap();
	assert_eq!(d.header.shape(), &[2, 3]);
	assert_eq!(d.values, vec![1.0, -2.0, 0.5, 0.0, 3.0, 4.0]);
}

#[test]
fn known_digest_and_commitment() {
	// sha3-256("") from FIPS 202.
	assert_eq!(
		sha3_256(b""),
		[
			0xa7, 0xff, 0xc6, 0xf8, 0xbf, 0x1e, 0xd7, 0x66, 0x51, 0xc1, 0x47, 0x56, 0xa0, 0x61,
			0xd6, 0x62, 0xf5, 0x80, 0xff, 0x4d, 0xe4, 0x3b, 0x49, 0xfa, 0x82, 0xd8, 0x0a, 0x4b,
			0x80, 0xf8, 0x43, 0x4a
		]
	);
	let p = encode_f32(&[1.0, 2.0], &[2]).unwrap();
	let c = commitment(&p, &[7u8; 32], &[1u8; 32]);
	let mut cat = p.clone();
	cat.extend_from_slice(&[7u8; 32]);
	cat.extend_from_slice(&[1u8; 32]);
	assert_eq!(c, sha3_256(&cat));
	assert_ne!(c, commitment(&p, &[7u8; 32], &[2u8; 32]));
	assert_eq!(digest(&p), sha3_256(&p));
}

#[test]
fn malformed_headers() {
	let good = encode_f32(&[1.0, 2.0, 3.0], &[3]).unwrap();
	assert_eq!(decode(&good[..10], MAX), Err(CodecError::TruncatedHeader));
	assert_eq!(decode(&[], MAX), Err(CodecError::TruncatedHeader));
	let mut b = good.clone();
	b[0] = b'X';
	assert_eq!(decode(&b, MAX), Err(CodecError::BadMagic));
	let mut b = good.clone();
	b[4] = 2;
	assert_eq!(decode(&b, MAX), Err(CodecError::UnsupportedVersion(2)));
	let mut b = good.clone();
	b[5] = 9;
	assert_eq!(decode(&b, MAX), Err(CodecError::UnknownKind(9)));
	let mut b = good.clone();
	b[7] = 1;
	assert_eq!(decode(&b, MAX), Err(CodecError::ReservedNonZero));
	let mut b = good.clone();
	b[6] = 0;
	assert_eq!(decode(&b, MAX), Err(CodecError::BadShape));
	let mut b = good.clone();
	b[6] = 5;
	assert_eq!(decode(&b, MAX), Err(CodecError::BadShape));
	let mut b = good.clone();
	set_u32(&mut b, 16, 1); // unused dim non-zero
	assert_eq!(decode(&b, MAX), Err(CodecError::BadShape));
	let mut b = good.clone();
	set_u32(&mut b, 8, 4); // count ≠ product
	assert_eq!(decode(&b, MAX), Err(CodecError::BadShape));
	let mut b = good.clone();
	set_u32(&mut b, 28, 1); // f32 kind param must be 0
	assert_eq!(decode(&b, MAX), Err(CodecError::InvalidKindParam(1)));
	assert_eq!(
		decode(&good, 2),
		Err(CodecError::TooManyParams { count: 3, max: 2 })
	);
	assert_eq!(
		decode(&good[..good.len() - 1], MAX),
		Err(CodecError::LengthMismatch {
			expected: 44,
			actual: 43
		})
	);
	let mut b = good.clone();
	b.push(0);
	assert_eq!(
		decode(&b, MAX),
		Err(CodecError::LengthMismatch {
			expected: 44,
			actual: 45
		})
	);
	// A header claiming u32::MAX params fails on the caller maximum before any allocation.
	let mut b = good.clone();
	set_u32(&mut b, 8, u32::MAX);
	set_u32(&mut b, 12, u32::MAX);
	assert_eq!(
		decode(&b, MAX),
		Err(CodecError::TooManyParams {
			count: u32::MAX,
			max: MAX
		})
	);
	assert!(matches!(
		decode(&b, u32::MAX),
		Err(CodecError::LengthMismatch { .. })
	));
}

#[test]
fn non_finite_rejected() {
	for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
		assert_eq!(
			encode_f32(&[0.0, bad], &[2]),
			Err(CodecError::NonFinite { index: 1 })
		);
		let mut b = encode_f32(&[0.0, 1.0], &[2]).unwrap();
		b[36..40].copy_from_slice(&bad.to_le_bytes());
		assert_eq!(decode(&b, MAX), Err(CodecError::NonFinite { index: 1 }));
		assert_eq!(validate(&b, MAX), Err(CodecError::NonFinite { index: 1 }));
		let mut s = encode_sparse(&[0, 3], &[1.0, 2.0], &[4]).unwrap();
		s[44..48].copy_from_slice(&bad.to_le_bytes());
		assert_eq!(decode(&s, MAX), Err(CodecError::NonFinite { index: 1 }));
	}
}

#[test]
fn sparse_index_rules() {
	let good = encode_sparse(&[1, 5, 7], &[1.0, 2.0, 3.0], &[8]).unwrap();
	let d = decode(&good, MAX).unwrap();
	assert_eq!(d.values, vec![0.0, 1.0, 0.0, 0.0, 0.0, 2.0, 0.0, 3.0]);
	let mut dup = good.clone();
	set_u32(&mut dup, 36, 1);
	assert_eq!(
		decode(&dup, MAX),
		Err(CodecError::UnsortedIndices { position: 1 })
	);
	let mut unsorted = good.clone();
	set_u32(&mut unsorted, 36, 0);
	assert_eq!(
		decode(&unsorted, MAX),
		Err(CodecError::UnsortedIndices { position: 1 })
	);
	let mut oob = good.clone();
	set_u32(&mut oob, 40, 8);
	assert_eq!(
		decode(&oob, MAX),
		Err(CodecError::IndexOutOfRange { position: 2 })
	);
	let mut too_many = good.clone();
	set_u32(&mut too_many, 28, 9);
	assert_eq!(decode(&too_many, MAX), Err(CodecError::InvalidKindParam(9)));
	assert_eq!(
		encode_sparse(&[2, 2], &[1.0, 1.0], &[4]),
		Err(CodecError::UnsortedIndices { position: 1 })
	);
}

#[test]
fn int8_rules() {
	let good = encode_int8(&[1.0, -1.0, 0.5, 0.25, 0.0], &[5], 2).unwrap();
	// 3 chunks: 12 bytes of scales, then 5 int8.
	assert_eq!(good.len(), HEADER_LEN + 12 + 5);
	let mut neg = good.clone();
	neg[32..36].copy_from_slice(&(-0.1f32).to_le_bytes());
	assert_eq!(
		decode(&neg, MAX),
		Err(CodecError::InvalidScale { chunk: 0 })
	);
	let mut negzero = good.clone();
	negzero[40..44].copy_from_slice(&(-0.0f32).to_le_bytes());
	assert_eq!(
		decode(&negzero, MAX),
		Err(CodecError::InvalidScale { chunk: 2 })
	);
	let mut huge = good.clone();
	huge[32..36].copy_from_slice(&f32::MAX.to_le_bytes());
	assert_eq!(
		decode(&huge, MAX),
		Err(CodecError::InvalidScale { chunk: 0 })
	);
	let mut m128 = good.clone();
	m128[44 + 3] = 0x80;
	assert_eq!(
		decode(&m128, MAX),
		Err(CodecError::Int8OutOfRange { index: 3 })
	);
	let mut zero_chunk = good.clone();
	set_u32(&mut zero_chunk, 28, 0);
	assert_eq!(
		decode(&zero_chunk, MAX),
		Err(CodecError::InvalidKindParam(0))
	);
	// Extreme values still round-trip through a valid payload.
	let p = encode_int8(&[f32::MAX, -f32::MAX, 1.0], &[3], 3).unwrap();
	let d = decode(&p, MAX).unwrap();
	assert!(d.values.iter().all(|v| v.is_finite()));
	assert!((d.values[0] / f32::MAX - 1.0).abs() < 1e-6);
}

#[test]
fn fixed_point_rules() {
	let p = encode_fixed(&[1.5, -0.25, 3.0], &[3], 4).unwrap();
	assert_eq!(decode(&p, MAX).unwrap().values, vec![1.5, -0.25, 3.0]);
	assert_eq!(&p[32..36], &24i32.to_le_bytes());
	assert_eq!(
		encode_fixed(&[1.0e9], &[1], 8),
		Err(CodecError::ValueOutOfRange { index: 0 })
	);
	assert_eq!(
		encode_fixed(&[1.0], &[1], 32),
		Err(CodecError::InvalidKindParam(32))
	);
	let mut b = p.clone();
	set_u32(&mut b, 28, 32);
	assert_eq!(decode(&b, MAX), Err(CodecError::InvalidKindParam(32)));
	// Rounding half away from zero.
	let p = encode_fixed(&[0.5, -0.5, 1.49], &[3], 0).unwrap();
	assert_eq!(decode(&p, MAX).unwrap().values, vec![1.0, -1.0, 1.0]);
}

#[test]
fn topk_keeps_largest_with_index_ties() {
	let v = [0.5, -3.0, 2.0, -2.0, 0.0, 3.0];
	let p = encode_topk(&v, &[6], 3).unwrap();
	let d = decode(&p, MAX).unwrap();
	// |−3| = |3| are kept; of the tie |2| = |−2| the lower index 2 wins.
	assert_eq!(d.values, vec![0.0, -3.0, 2.0, 0.0, 0.0, 3.0]);
	assert_eq!(
		encode_topk(&v, &[6], 7),
		Err(CodecError::InvalidKindParam(7))
	);
	let empty = decode(&encode_topk(&v, &[6], 0).unwrap(), MAX).unwrap();
	assert_eq!(empty.values, vec![0.0; 6]);
}

#[test]
fn decode_into_checks_length() {
	let p = encode_f32(&[1.0, 2.0], &[2]).unwrap();
	let mut out = [0.0f32; 3];
	assert_eq!(
		decode_into(&p, MAX, &mut out),
		Err(CodecError::OutputLengthMismatch)
	);
	let mut out = [0.0f32; 2];
	assert!(decode_into(&p, MAX, &mut out).is_ok());
	assert_eq!(out, [1.0, 2.0]);
}

#[test]
fn error_is_scale_encodable() {
	use codec::{Decode, Encode};
	let e = CodecError::LengthMismatch {
		expected: 5,
		actual: 7,
	};
	assert_eq!(CodecError::decode(&mut &e.encode()[..]).unwrap(), e);
}

fn finite_f32() -> impl Strategy<Value = f32> {
	prop_oneof![
		8 => -1.0e4f32..1.0e4f32,
		1 => Just(0.0f32),
		1 => Just(-0.0f32),
		1 => proptest::num::f32::NORMAL | proptest::num::f32::SUBNORMAL | proptest::num::f32::ZERO,
	]
}

/// A value vector and a shape of 1 to 3 dims whose product is its length.
fn tensor() -> impl Strategy<Value = (Vec<f32>, Vec<u32>)> {
	(1usize..6, 1usize..6, 1usize..40).prop_flat_map(|(a, b, c)| {
		let shape = match (a + b + c) % 3 {
			0 => vec![(a * b * c) as u32],
			1 => vec![a as u32, (b * c) as u32],
			_ => vec![a as u32, b as u32, c as u32],
		};
		(
			proptest::collection::vec(finite_f32(), a * b * c),
			Just(shape),
		)
	})
}

proptest! {
	#[test]
	fn f32_round_trips_bit_exact((v, shape) in tensor()) {
		let p = encode_f32(&v, &shape).unwrap();
		let d = decode(&p, MAX).unwrap();
		prop_assert_eq!(d.header.shape(), &shape[..]);
		prop_assert_eq!(d.values.iter().map(|x| x.to_bits()).collect::<Vec<_>>(), v.iter().map(|x| x.to_bits()).collect::<Vec<_>>());
		prop_assert_eq!(validate(&p, MAX).unwrap(), d.header);
		// Canonical: re-encoding the decoded tensor gives the same bytes and digest.
		prop_assert_eq!(digest(&encode_f32(&d.values, &shape).unwrap()), digest(&p));
	}

	#[test]
	fn fixed_round_trips_within_half_step((v, shape) in tensor(), frac in 0u32..=16) {
		let v: Vec<f32> = v.into_iter().map(|x| x.clamp(-1000.0, 1000.0)).collect();
		let p = encode_fixed(&v, &shape, frac).unwrap();
		let d = decode(&p, MAX).unwrap();
		let step = 1.0f64 / (1u64 << frac) as f64;
		for (a, b) in v.iter().zip(&d.values) {
			let err = (*a as f64 - *b as f64).abs();
			prop_assert!(err <= step / 2.0 + (*a as f64).abs() * 1.2e-7 + 1e-30, "{} vs {} step {}", a, b, step);
		}
		// Decoded values are on the grid, so they re-encode to the same bytes.
		prop_assert_eq!(encode_fixed(&d.values, &shape, frac).unwrap(), p);
	}

	#[test]
	fn int8_round_trips_within_half_scale((v, shape) in tensor(), chunk in 1u32..64) {
		let p = encode_int8(&v, &shape, chunk).unwrap();
		let d = decode(&p, MAX).unwrap();
		for (ci, c) in v.chunks(chunk as usize).enumerate() {
			let m = c.iter().fold(0.0f64, |m, x| m.max((*x as f64).abs()));
			let scale = m / 127.0;
			for (j, a) in c.iter().enumerate() {
				let b = d.values[ci * chunk as usize + j] as f64;
				prop_assert!((*a as f64 - b).abs() <= scale * 0.5 * (1.0 + 1e-5) + m * 1e-6, "{} vs {}", a, b);
			}
		}
	}

	#[test]
	fn topk_round_trips((v, shape) in tensor(), kfrac in 0.0f64..=1.0) {
		let k = ((v.len() as f64) * kfrac) as u32;
		let p = encode_topk(&v, &shape, k).unwrap();
		let d = decode(&p, MAX).unwrap();
		// Every decoded value is either the original (kept) or zero, and exactly k are kept:
		// the smallest kept magnitude is ≥ the largest dropped magnitude.
		let mut kept_min = f32::INFINITY;
		let mut dropped_max = 0.0f32;
		let body = &p[HEADER_LEN..];
		let idx: Vec<usize> = body[..4 * k as usize].chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]) as usize).collect();
		prop_assert_eq!(idx.len(), k as usize);
		for (i, (orig, dec)) in v.iter().zip(&d.values).enumerate() {
			if idx.binary_search(&i).is_ok() {
				prop_assert_eq!(dec.to_bits(), orig.to_bits());
				kept_min = kept_min.min(orig.abs());
			} else {
				prop_assert_eq!(*dec, 0.0);
				dropped_max = dropped_max.max(orig.abs());
			}
		}
		if k > 0 && (k as usize) < v.len() {
			prop_assert!(kept_min >= dropped_max);
		}
	}

	#[test]
	fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
		let r = decode(&bytes, 1 << 12);
		prop_assert_eq!(r.as_ref().map(|d| d.header).map_err(|e| *e), validate(&bytes, 1 << 12));
	}

	#[test]
	fn mutated_payloads_never_panic((v, shape) in tensor(), kind in 0u8..4, pos in any::<usize>(), byte in any::<u8>()) {
		let enc = match kind {
			0 => Encoding::F32,
			1 => Encoding::FixedPoint { frac_bits: 8 },
			2 => Encoding::Int8Chunked { chunk: 7 },
			_ => Encoding::TopK { k: (v.len() / 2) as u32 },
		};
		let v: Vec<f32> = v.into_iter().map(|x| x.clamp(-1000.0, 1000.0)).collect();
		let mut p = encode(&v, &shape, enc).unwrap();
		prop_assert!(validate(&p, MAX).is_ok());
		let at = pos % p.len();
		p[at] = byte;
		let r = decode(&p, MAX);
		prop_assert_eq!(r.as_ref().map(|d| d.header).map_err(|e| *e), validate(&p, MAX));
	}
}
