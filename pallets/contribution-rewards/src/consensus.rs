//! Integer arithmetic of score consensus and proportional payouts, free of storage so it can
//! be tested exhaustively.

use alloc::vec::Vec;
use frame_support::traits::Defensive;
use sp_runtime::{helpers_128bit::multiply_by_rational_with_rounding, Rounding};

/// The stake-weighted (lower) median of `(score, stake)` pairs: the smallest score such that
/// the validators scoring at most it hold at least half the stake. Validators holding less
/// than half the stake cannot move it beyond the range of the honest majority's scores.
/// Returns 0 when there is no stake.
pub fn stake_weighted_median(scores: &[(u32, u128)]) -> u32 {
	let (stakes, total) = fit_weights(scores.iter().map(|(_, s)| *s));
	if total == 0 {
		return 0;
	}
	let mut sorted: Vec<(u32, u128)> = scores.iter().map(|(score, _)| *score).zip(stakes).collect();
	sorted.sort_unstable();
	let mut cumulative: u128 = 0;
	for (score, stake) in sorted {
		// Cannot overflow: the stakes sum exactly to `total`.
		cumulative += stake;
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
	let (weights, total) = fit_weights(weights.iter().map(|(_, w)| *w));
	weights
		.into_iter()
		.map(|w| {
			if total == 0 {
				0
			} else {
				// `w ≤ total` and `total > 0`: the share is at most `amount`.
				multiply_by_rational_with_rounding(amount, w, total, Rounding::Down)
					.defensive_unwrap_or(0)
			}
		})
		.collect()
}

/// The weights and their exact sum. If the sum would overflow `u128`, every weight is halved
/// (the same right shift for all) until it fits: proportions are kept up to the dropped low
/// bits and the sum stays exact, so shares never add up to more than the amount.
fn fit_weights(weights: impl Iterator<Item = u128> + Clone) -> (Vec<u128>, u128) {
	for shift in 0..u128::BITS {
		let scaled = weights.clone().map(move |w| w >> shift);
		if let Some(total) = scaled.clone().try_fold(0u128, |acc, w| acc.checked_add(w)) {
			return (scaled.collect(), total);
		}
	}
	(weights.map(|_| 0).collect(), 0)
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
		// Weights whose sum overflows u128 are scaled down together; shares still fit.
		let big = proportional_shares(u128::MAX, &[("a", u128::MAX), ("b", u128::MAX)]);
		assert_eq!(big, vec![u128::MAX / 2, u128::MAX / 2]);
		assert_eq!(
			stake_weighted_median(&[(3, u128::MAX), (9, u128::MAX), (1, 1)]),
			3
		);
	}
}
