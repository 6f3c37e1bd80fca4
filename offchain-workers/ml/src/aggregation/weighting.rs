//! What declared sample counts weigh ([`SampleWeighting`]).
//!
//! A trainer declares its own sample count and nobody can check it, so the default gives every
//! update the same weight, as the robust rules' analyses assume. Capped weighting lets counts
//! matter up to `cap` times the round's median count: claiming four billion samples then buys
//! no more than claiming `cap · median`.

use fedledger_primitives::rules::{micro_to_f64, SampleWeighting};

/// The weight of each update from the declared counts (a declared 0 counts as 1 sample).
pub fn sample_weights(weighting: &SampleWeighting, declared: &[u32]) -> Vec<f64> {
	match *weighting {
		SampleWeighting::Unweighted => vec![1.0; declared.len()],
		SampleWeighting::Capped { cap } => {
			let counts: Vec<u32> = declared.iter().map(|&c| c.max(1)).collect();
			let mut sorted = counts.clone();
			sorted.sort_unstable();
			// The lower median: an integer every validator picks the same way.
			let median = sorted
				.get(sorted.len().saturating_sub(1) / 2)
				.copied()
				.unwrap_or(1);
			let limit = micro_to_f64(cap) * median as f64;
			counts.iter().map(|&c| (c as f64).min(limit)).collect()
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn unweighted_ignores_the_claims() {
		assert_eq!(
			sample_weights(&SampleWeighting::Unweighted, &[10, 4_000_000_000, 0]),
			vec![1.0; 3]
		);
	}

	#[test]
	fn capped_weights_stop_at_cap_times_the_median() {
		// Counts 100, 120, 80, 4e9: lower median 100, cap 2 → limit 200.
		let w = sample_weights(
			&SampleWeighting::Capped { cap: 2_000_000 },
			&[100, 120, 80, 4_000_000_000],
		);
		assert_eq!(w, vec![100.0, 120.0, 80.0, 200.0]);
		// A declared zero counts as one sample.
		let w = sample_weights(&SampleWeighting::Capped { cap: 1_000_000 }, &[0, 5, 9]);
		assert_eq!(w, vec![1.0, 5.0, 5.0]);
	}
}
