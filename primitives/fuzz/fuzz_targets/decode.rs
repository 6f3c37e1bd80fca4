//! Fuzzes the tensor-codec decoder: any byte string must decode to `Ok` or a typed error,
//! never panic; `validate` (allocation-free, used by the runtime) must agree with `decode`;
//! decoded values are finite; an accepted dense f32 payload is canonical (re-encodes to the
//! same bytes).
//!
//! Run: `cd primitives/fuzz && cargo +nightly fuzz run decode` (needs `cargo install cargo-fuzz`).
#![no_main]

use fedledger_primitives::tensor_codec::{decode, encode_f32, validate, CodecKind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
	let max_params = 1 << 20;
	let full = decode(data, max_params);
	let checked = validate(data, max_params);
	assert_eq!(full.as_ref().map(|t| t.header).map_err(|e| *e), checked);
	if let Ok(t) = full {
		assert!(t.values.iter().all(|v| v.is_finite()));
		assert_eq!(t.values.len(), t.header.param_count as usize);
		if t.header.kind == CodecKind::F32 {
			assert_eq!(
				encode_f32(&t.values, t.header.shape()).expect("re-encode"),
				data
			);
		}
	}
});
