//! Staleness weighting for buffered asynchronous rounds (FedAsync / FedBuff).
//!
//! The weight multiplies an update's sample weight, so it feeds the consensus-critical
//! aggregate: it is computed with our own `ln`/`exp` built from IEEE-754 `+ − × ÷` only (the
//! platform `powf` may differ in the last bit between libm versions).

use fedledger_primitives::rules::{micro_to_f64, StalenessFn};

/// Natural logarithm for `x ≥ 1` (finite), from `x = m·2^e`, `m ∈ [√½, √2)`, and the series
/// `ln m = 2·atanh(u)`, `u = (m − 1)/(m + 1)`, to a fixed 24 terms.
fn det_ln(x: f64) -> f64 {
	debug_assert!(x >= 1.0 && x.is_finite());
	let bits = x.to_bits();
	let mut e = ((bits >> 52) & 0x7ff) as i64 - 1023;
	let mut m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | (1023u64 << 52));
	if m > core::f64::consts::SQRT_2 {
		m *= 0.5;
		e += 1;
	}
	let u = (m - 1.0) / (m + 1.0);
	let u2 = u * u;
	let mut s = 0.0f64;
	for k in (0..24).rev() {
		s = s * u2 + 1.0 / (2 * k + 1) as f64;
	}
	e as f64 * core::f64::consts::LN_2 + 2.0 * u * s
}

/// `exp(y)` for `y ≤ 0`, from `y = k·ln 2 + r`, `|r| ≤ ln2/2`, a fixed 22-term Taylor series of
/// `exp(r)` and an exact scaling by `2^k`.
fn det_exp(y: f64) -> f64 {
	debug_assert!(y <= 0.0);
	if y < -700.0 {
		return 0.0;
	}
	let kf = y / core::f64::consts::LN_2;
	let k = if kf >= 0.0 {
		(kf + 0.5) as i64
	} else {
		(kf - 0.5) as i64
	};
	// Cody–Waite: ln 2 = LN2_HI + LN2_LO with k·LN2_HI exact for |k| < 2^11 (fdlibm constants).
	const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
	const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
	let r = (y - k as f64 * LN2_HI) - k as f64 * LN2_LO;
	let mut s = 1.0f64;
	for i in (1..22).rev() {
		s = 1.0 + s * r / i as f64;
	}
	// k ≥ −1010 here, so 2^k is a normal f64 built exactly from its exponent bits.
	s * f64::from_bits(((1023 + k) as u64) << 52)
}

/// Weight of an update `staleness` model versions old.
///
/// * `Constant`: 1;
/// * `Polynomial { a }`: `(t + 1)^(−a)`;
/// * `Hinge { a, b }`: 1 for `t ≤ b`, else `1 / (a·(t − b) + 1)`;
///
/// with `a` in micro units. Always in `(0, 1]` (or 0 only for absurd staleness underflow).
pub fn staleness_weight(f: &StalenessFn, staleness: u32) -> f64 {
	match *f {
		StalenessFn::Constant => 1.0,
		StalenessFn::Polynomial { a } => {
			if a == 0 || staleness == 0 {
				1.0
			} else {
				det_exp(-micro_to_f64(a) * det_ln(staleness as f64 + 1.0))
			}
		}
		StalenessFn::Hinge { a, b } => {
			if staleness <= b {
				1.0
			} else {
				1.0 / (micro_to_f64(a) * (staleness - b) as f64 + 1.0)
			}
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn ln_exp_accurate() {
		for &x in &[1.0, 1.5, 2.0, 3.0, 10.0, 1234.5, 1.0e6, 4.0e9] {
			assert!(
				(det_ln(x) - f64::ln(x)).abs() <= 1e-14 * f64::ln(x).max(1.0),
				"ln {x}"
			);
		}
		for &y in &[0.0, -1.0e-3, -0.5, -1.0, -7.3, -50.0, -300.0, -699.0] {
			let e = f64::exp(y);
			assert!((det_exp(y) - e).abs() <= 1e-14 * e, "exp {y}");
		}
		assert_eq!(det_exp(-800.0), 0.0);
	}

	#[test]
	fn staleness_functions() {
		assert_eq!(staleness_weight(&StalenessFn::Constant, 9), 1.0);
		let p = StalenessFn::Polynomial { a: 500_000 };
		assert_eq!(staleness_weight(&p, 0), 1.0);
		assert!((staleness_weight(&p, 3) - 0.5).abs() < 1e-15);
		assert!((staleness_weight(&p, 8) - 1.0 / 3.0).abs() < 1e-15);
		let h = StalenessFn::Hinge { a: 2_000_000, b: 2 };
		assert_eq!(staleness_weight(&h, 2), 1.0);
		assert_eq!(staleness_weight(&h, 4), 0.2);
		// Monotone non-increasing.
		let mut prev = 1.0;
		for t in 0..200 {
			let w = staleness_weight(&StalenessFn::Polynomial { a: 1_300_000 }, t);
			assert!(w <= prev && w > 0.0);
			prev = w;
		}
	}
}
