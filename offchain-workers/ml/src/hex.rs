//! Lower-case hex of bytes, as the worker's store names files and the RPC and CLI print
//! digests. Here rather than in the worker so the simulator and the node reach it without
//! depending on the node-side task.

use fedledger_primitives::Digest;

/// Lower-case hex of bytes (no `0x`).
pub fn to_hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Parses lower- or upper-case hex (no `0x`).
pub fn from_hex(s: &str) -> Option<Vec<u8>> {
	if !s.len().is_multiple_of(2) {
		return None;
	}
	(0..s.len())
		.step_by(2)
		.map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
		.collect()
}

/// A 32-byte digest from its hex.
pub fn digest_from_hex(s: &str) -> Option<Digest> {
	from_hex(s)?.try_into().ok()
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn hex_round_trips() {
		assert_eq!(
			from_hex(&to_hex(&[0, 1, 254, 255])),
			Some(vec![0, 1, 254, 255])
		);
		assert_eq!(from_hex("abc"), None);
		assert_eq!(from_hex("zz"), None);
	}
}
