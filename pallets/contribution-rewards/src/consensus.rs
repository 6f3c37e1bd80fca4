//! Integer arithmetic of score consensus and proportional payouts, free of storage so it can
//! be tested exhaustively.

use alloc::vec::Vec;
use sp_runtime::helpers_128bit::multiply_by_rational_with_rounding;
use sp_runtime::Rounding;

/// The stake-weighted (lower) median of `(score, stake)` pairs: the smallest score such that
/// the validators scoring at most it hold at least half the stake. Validators holding less
/// than half the stake cannot move it beyond the range of the honest majority's scores.
/// Returns 0 when there is no stake.
pub fn stake_weighted_median(scores: &[(u32, u128)]) -> u32 {
	let total: u128 = scores.iter().fold(0u128, |acc, (_, s)| acc.saturating_add(*s));
	if total == 0 {
		return 0;
	}
	let mut sorted: Vec<(u32, u128)> = scores.to_vec();
	sorted.sort_unstable();
	let mut cumulative: u128 = 0;
	for (score, stake) in sorted {
		cumulative = cumulative.saturating_add(stake);
		// cumulative ≥ total / 2, without losing the odd unit.
		if cumulative >= total - total / 2 {
			return score;
		}
	}
	0
}

/// Splits `amount` over `weights` in proportion, each share rounded down, so the shares never
/// sum to more than `amount` (the caller keeps the remainder). All-zero weights get nothing.
pub fn proportional_shares<A>(amount: u128, weights: &[(A, u128)]) -> Vec<u128> {
	let total: u128 = weights.iter().fold(0u128, |acc, (_, w)| acc.saturating_add(*w));
	weights
		.iter()
		.map(|(_, w)| {
			if total == 0 {
				0
			} else {
				multiply_by_rational_with_rounding(amount, *w, total, Rounding::Down).unwrap_or(0)
			}
		})
		.collect()
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn median_follows_the_stake_majority() {
		// Two honest validators with most stake agree near 0.8; one outlier says 0.0.
		assert_eq!(stake_weighted_median(&[(800, 40), (810, 40), (0, 20)]), 800);
		// The outlier holds the majority: it wins.
		assert_eq!(stake_weighted_median(&[(800, 20), (810, 20), (0, 60)]), 0);
		assert_eq!(stake_weighted_median(&[(5, 1)]), 5);
		assert_eq!(stake_weighted_median(&[]), 0);
		assert_eq!(stake_weighted_median(&[(7, 0), (9, 0)]), 0);
		// Exactly half the stake at the lower score: the lower median.
		assert_eq!(stake_weighted_median(&[(1, 50), (9, 50)]), 1);
		// Order of input does not matter.
		assert_eq!(
			stake_weighted_median(&[(3, 10), (1, 10), (2, 10)]),
			stake_weighted_median(&[(1, 10), (2, 10), (3, 10)])
		);
	}

	#[test]
	fn shares_round_down_and_never_exceed_the_amount() {
		let shares = proportional_shares(100, &[("a", 1), ("b", 1), ("c", 1)]);
		assert_eq!(shares, vec![33, 33, 33]);
		assert_eq!(proportional_shares(10, &[("a", 0), ("b", 0)]), vec![0, 0]);
		let big = proportional_shares(u128::MAX, &[("a", u128::MAX), ("b", 1)]);
		assert!(big.iter().fold(0u128, |a, b| a.checked_add(*b).unwrap()) <= u128::MAX);
	}
}
