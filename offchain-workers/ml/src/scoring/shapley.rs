//! Leave-one-out, exact Shapley and GTG-Shapley over a coalition utility `U(S)`.
//!
//! `U` is called with the members of a coalition as indices in `0..n`, sorted ascending.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// `U(N) − U(N \ {i})` for each player.
pub fn leave_one_out(n: usize, utility: &mut dyn FnMut(&[usize]) -> f64) -> Vec<f64> {
	let all: Vec<usize> = (0..n).collect();
	let full = utility(&all);
	(0..n)
		.map(|i| {
			let rest: Vec<usize> = all.iter().copied().filter(|&j| j != i).collect();
			full - utility(&rest)
		})
		.collect()
}

/// Largest n [`exact_shapley`] accepts (2ⁿ utility calls).
pub const EXACT_SHAPLEY_MAX_PLAYERS: usize = 20;

/// The Shapley value by enumerating every coalition:
/// `φᵢ = Σ_{S ⊆ N∖{i}} |S|!(n−|S|−1)!/n! · (U(S ∪ {i}) − U(S))`.
///
/// Calls `utility` exactly 2ⁿ times. Panics for n above [`EXACT_SHAPLEY_MAX_PLAYERS`].
pub fn exact_shapley(n: usize, utility: &mut dyn FnMut(&[usize]) -> f64) -> Vec<f64> {
	assert!(
		n <= EXACT_SHAPLEY_MAX_PLAYERS,
		"exact Shapley over {n} players is infeasible"
	);
	let values: Vec<f64> = (0u32..1 << n)
		.map(|mask| {
			let members: Vec<usize> = (0..n).filter(|&i| mask & (1 << i) != 0).collect();
			utility(&members)
		})
		.collect();
	// weight[s] = s!(n−s−1)!/n! = 1 / (n · C(n−1, s))
	let weight: Vec<f64> = (0..n)
		.map(|s| 1.0 / (n as f64 * binomial(n - 1, s)))
		.collect();
	let mut phi = vec![0.0; n];
	for mask in 0u32..1 << n {
		let size = mask.count_ones() as usize;
		for (i, p) in phi.iter_mut().enumerate() {
			if mask & (1 << i) == 0 {
				*p += weight[size] * (values[(mask | (1 << i)) as usize] - values[mask as usize]);
			}
		}
	}
	phi
}

fn binomial(n: usize, k: usize) -> f64 {
	(0..k).fold(1.0, |acc, j| acc * (n - j) as f64 / (j + 1) as f64)
}

/// Parameters of [`gtg_shapley`].
#[derive(Debug, Clone, PartialEq)]
pub struct GtgConfig {
	/// Between-round truncation: if `|U(N) − U(∅)|` is below this, the round moved the model
	/// too little to be worth attributing and every score is 0. 0 disables it.
	pub round_truncation: f64,
	/// Within-round truncation: while scanning a permutation, once the running coalition's
	/// utility is closer than this to `U(N)`, the remaining players' marginal contributions are
	/// taken as 0 without evaluating. 0 disables it.
	pub within_truncation: f64,
	/// Convergence: stop after a cycle when every player's standard error (of its mean
	/// marginal contribution) is at most `tolerance × mean|φ|`. A relative-change test (as in
	/// the paper) is fooled by the 1/k shrinkage of running means; the standard error is not.
	pub tolerance: f64,
	/// Cycles run before convergence is checked.
	pub min_cycles: usize,
	/// Hard cap on cycles (each cycle is n permutations).
	pub max_cycles: usize,
	/// Seed of the permutation sampler.
	pub seed: u64,
}

impl Default for GtgConfig {
	fn default() -> Self {
		Self {
			round_truncation: 0.0,
			within_truncation: 1e-3,
			tolerance: 0.05,
			min_cycles: 3,
			max_cycles: 50,
			seed: 0,
		}
	}
}

/// Result of [`gtg_shapley`].
#[derive(Debug, Clone, PartialEq)]
pub struct GtgOutcome {
	/// Estimated Shapley value per player.
	pub scores: Vec<f64>,
	/// Permutations scanned.
	pub permutations: usize,
	/// Utility calls made (a memoising utility may evaluate fewer distinct coalitions).
	pub utility_calls: usize,
	/// Whether the convergence test passed before `max_cycles`.
	pub converged: bool,
	/// True when between-round truncation returned zeros without sampling.
	pub truncated_round: bool,
}

/// GTG-Shapley (Liu, Zhang, Wang & Yu 2022, "GTG-Shapley: Efficient and Accurate Participant
/// Contribution Evaluation in Federated Learning").
///
/// Monte-Carlo permutation sampling of marginal contributions, made cheap by:
/// * **reconstruction** — a coalition's model is `global + aggregate(its updates)`, no retraining
///   (that lives in the utility closure);
/// * **between-round truncation** — skip a round whose total gain is negligible;
/// * **within-round truncation** — stop scanning a permutation once the coalition is already as
///   good as everyone together;
/// * **guided sampling** — permutations come in cycles of n in which player k of the cycle is
///   put first, so every player's often-largest marginal `U({i}) − U(∅)` is measured equally
///   often; the rest of each permutation is uniformly shuffled.
///
/// Without truncation, every permutation's marginals telescope to `U(N) − U(∅)`, so the
/// estimate keeps the efficiency property exactly.
pub fn gtg_shapley(
	n: usize,
	utility: &mut dyn FnMut(&[usize]) -> f64,
	cfg: &GtgConfig,
) -> GtgOutcome {
	let mut calls = 0usize;
	let mut call = |members: &mut Vec<usize>, utility: &mut dyn FnMut(&[usize]) -> f64| {
		calls += 1;
		members.sort_unstable();
		utility(members)
	};
	let mut outcome = GtgOutcome {
		scores: vec![0.0; n],
		permutations: 0,
		utility_calls: 0,
		converged: false,
		truncated_round: false,
	};
	if n == 0 {
		outcome.converged = true;
		return outcome;
	}
	let v_empty = call(&mut Vec::new(), utility);
	let v_full = call(&mut (0..n).collect(), utility);
	if (v_full - v_empty).abs() < cfg.round_truncation {
		outcome.truncated_round = true;
		outcome.converged = true;
		outcome.utility_calls = calls;
		return outcome;
	}
	let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
	let mut sums = vec![0.0f64; n];
	let mut squares = vec![0.0f64; n];
	// Every permutation gives every player exactly one marginal, so one shared count suffices.
	let mut count = 0usize;
	let mut cycles = 0;
	while cycles < cfg.max_cycles.max(1) {
		cycles += 1;
		for first in 0..n {
			let mut perm: Vec<usize> = (0..n).filter(|&i| i != first).collect();
			perm.shuffle(&mut rng);
			perm.insert(0, first);
			let mut prev_value = v_empty;
			for j in 0..n {
				let value = if (v_full - prev_value).abs() < cfg.within_truncation {
					prev_value
				} else if j + 1 == n {
					v_full
				} else {
					call(&mut perm[..=j].to_vec(), utility)
				};
				let marginal = value - prev_value;
				sums[perm[j]] += marginal;
				squares[perm[j]] += marginal * marginal;
				prev_value = value;
			}
			count += 1;
		}
		if cycles >= cfg.min_cycles && count > 1 {
			let k = count as f64;
			let scale = sums.iter().map(|s| (s / k).abs()).sum::<f64>() / n as f64;
			let worst_se = sums
				.iter()
				.zip(&squares)
				.map(|(s, q)| {
					let mean = s / k;
					((q / k - mean * mean).max(0.0) / (k - 1.0)).sqrt()
				})
				.fold(0.0, f64::max);
			if worst_se <= cfg.tolerance * scale {
				outcome.converged = true;
				break;
			}
		}
	}
	outcome.scores = sums.iter().map(|s| s / count as f64).collect();
	outcome.permutations = count;
	outcome.utility_calls = calls;
	outcome
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::data::Dataset;
	use crate::model::DenseNet;
	use crate::scoring::{weighted_mean, Metric, ValidationUtility};
	use crate::training::{train_local, TrainConfig};
	use ndarray::{Array2, Axis};
	use rand::Rng;

	/// A non-additive game: diminishing returns on summed weights, plus a synergy between 0 and 1.
	fn game(weights: &[f64]) -> impl FnMut(&[usize]) -> f64 + '_ {
		move |s: &[usize]| {
			let total: f64 = s.iter().map(|&i| weights[i]).sum();
			let synergy = if s.contains(&0) && s.contains(&1) {
				0.3
			} else {
				0.0
			};
			total.max(0.0).sqrt() + synergy
		}
	}

	#[test]
	fn exact_shapley_is_efficient_symmetric_and_null_player_free() {
		let w = [0.5, 1.0, 1.0, 0.0, 2.0, 0.7];
		let mut u = game(&w);
		let phi = exact_shapley(w.len(), &mut u);
		let total = u(&[0, 1, 2, 3, 4, 5]) - u(&[]);
		assert!(
			(phi.iter().sum::<f64>() - total).abs() < 1e-12,
			"efficiency"
		);
		// Players 1 and 2 are interchangeable except for the synergy of 0 and 1.
		let mut u2 = |s: &[usize]| s.iter().map(|&i| w[i]).sum::<f64>().sqrt();
		let phi2 = exact_shapley(w.len(), &mut u2);
		assert!((phi2[1] - phi2[2]).abs() < 1e-12, "symmetry");
		assert!(phi2[3].abs() < 1e-12, "null player gets zero");
		assert!(phi[1] > phi[2], "synergy with player 0 adds to player 1");
	}

	#[test]
	fn additive_game_gives_each_player_its_own_value() {
		let w = [0.3, -0.2, 1.5, 0.0, 0.8];
		let mut u = |s: &[usize]| s.iter().map(|&i| w[i]).sum::<f64>();
		for (p, e) in exact_shapley(5, &mut u).iter().zip(w) {
			assert!((p - e).abs() < 1e-12);
		}
		for (p, e) in leave_one_out(5, &mut u).iter().zip(w) {
			assert!((p - e).abs() < 1e-12);
		}
		let cfg = GtgConfig {
			within_truncation: 0.0,
			..Default::default()
		};
		for (p, e) in gtg_shapley(5, &mut u, &cfg).scores.iter().zip(w) {
			assert!((p - e).abs() < 1e-12, "GTG is exact on an additive game");
		}
	}

	#[test]
	fn gtg_matches_exact_shapley_on_synthetic_games() {
		for n in [2usize, 4, 6, 8] {
			let w: Vec<f64> = (0..n).map(|i| 0.2 + (i * 37 % 11) as f64 / 5.0).collect();
			let exact = exact_shapley(n, &mut game(&w));
			let cfg = GtgConfig {
				within_truncation: 0.0,
				tolerance: 0.0,
				max_cycles: 300,
				seed: n as u64,
				..Default::default()
			};
			let est = gtg_shapley(n, &mut game(&w), &cfg);
			let total: f64 = exact.iter().sum();
			let err = est
				.scores
				.iter()
				.zip(&exact)
				.map(|(a, b)| (a - b).abs())
				.fold(0.0, f64::max);
			assert!(err < 0.02 * total, "n={n}: max error {err}, total {total}");
			// No truncation → efficiency holds exactly for the estimate too.
			assert!((est.scores.iter().sum::<f64>() - total).abs() < 1e-9);
		}
	}

	/// Real utility: a tiny logistic regression, trainers with good, noisy or flipped data.
	#[test]
	fn gtg_with_truncation_tracks_exact_shapley_on_model_updates() {
		let mut rng = ChaCha8Rng::seed_from_u64(3);
		let classes = 3u32;
		let make = |rows: usize, rng: &mut ChaCha8Rng| {
			let labels: Vec<u32> = (0..rows).map(|_| rng.gen_range(0..classes)).collect();
			let x = Array2::from_shape_fn((rows, 4), |(r, c)| {
				(if c as u32 == labels[r] { 1.5 } else { 0.0 }) + rng.gen_range(-1.0f32..1.0)
			});
			Dataset::new(x, labels, classes as usize).unwrap()
		};
		let arch = DenseNet::logistic_regression(4, 3).unwrap();
		let global = arch.init(1);
		let validation = make(300, &mut rng);
		let n = 7;
		let cfg = TrainConfig {
			epochs: 2,
			batch_size: 8,
			learning_rate: 0.1,
			..Default::default()
		};
		let mut rows = Vec::new();
		for i in 0..n {
			let mut d = make(20 + 10 * i, &mut rng);
			if i >= 5 {
				crate::attacks::flip_labels(d.labels_mut(), 3);
			}
			rows.push(
				train_local(&arch, global.view(), &d, &cfg, i as u64)
					.unwrap()
					.delta,
			);
		}
		let views: Vec<_> = rows.iter().map(|r| r.view()).collect();
		let updates = ndarray::stack(Axis(0), &views).unwrap();
		let weights = vec![1.0; n];
		let agg = |u: ndarray::ArrayView2<f32>, w: &[f64]| Some(weighted_mean(u, w));
		let mut exact_u = ValidationUtility::new(
			&arch,
			global.view(),
			&validation,
			updates.view(),
			&weights,
			agg,
			Metric::NegLoss,
		);
		let exact = exact_shapley(n, &mut |s| exact_u.value(s));
		assert_eq!(exact_u.evaluations(), 1 << n);
		// The label-flipped trainers hurt: negative value, below every honest one.
		let worst_honest = exact[..5].iter().cloned().fold(f64::INFINITY, f64::min);
		assert!(exact[5] < 0.0 && exact[6] < 0.0 && exact[5].max(exact[6]) < worst_honest);

		let mut gtg_u = ValidationUtility::new(
			&arch,
			global.view(),
			&validation,
			updates.view(),
			&weights,
			agg,
			Metric::NegLoss,
		);
		let total: f64 = exact.iter().map(|v| v.abs()).sum();
		let gcfg = GtgConfig {
			within_truncation: 1e-4,
			tolerance: 0.03,
			max_cycles: 100,
			seed: 5,
			..Default::default()
		};
		let est = gtg_shapley(n, &mut |s| gtg_u.value(s), &gcfg);
		let err = est
			.scores
			.iter()
			.zip(&exact)
			.map(|(a, b)| (a - b).abs())
			.fold(0.0, f64::max);
		// Within 15% of the mean |φ| (the estimator's standard error is held at 3% of it).
		assert!(
			err < 0.15 * total / n as f64,
			"max error {err} vs scale {total}"
		);
		// Same ranking of the two attackers below all honest trainers.
		let worst_honest = est.scores[..5]
			.iter()
			.cloned()
			.fold(f64::INFINITY, f64::min);
		assert!(
			est.scores[5].max(est.scores[6]) < worst_honest,
			"{:?}",
			est.scores
		);
	}

	#[test]
	fn within_round_truncation_saves_utility_calls() {
		// Saturating game: any 2 players already reach the full value.
		let mut u = |s: &[usize]| (s.len().min(2)) as f64;
		let plain = GtgConfig {
			within_truncation: 0.0,
			max_cycles: 5,
			min_cycles: 5,
			..Default::default()
		};
		let a = gtg_shapley(8, &mut u, &plain);
		let mut u2 = |s: &[usize]| (s.len().min(2)) as f64;
		let trunc = GtgConfig {
			within_truncation: 1e-9,
			..plain.clone()
		};
		let b = gtg_shapley(8, &mut u2, &trunc);
		assert_eq!(a.permutations, b.permutations);
		assert!(
			b.utility_calls * 3 < a.utility_calls,
			"{} vs {}",
			b.utility_calls,
			a.utility_calls
		);
		// Truncation only skips exact-zero marginals here, so both keep efficiency: Σφ = 2.
		assert!((a.scores.iter().sum::<f64>() - 2.0).abs() < 1e-12);
		assert!((b.scores.iter().sum::<f64>() - 2.0).abs() < 1e-12);
		assert_eq!(a.scores, b.scores, "same permutations, same marginals");
	}

	#[test]
	fn between_round_truncation_and_convergence() {
		let mut flat = |_: &[usize]| 0.7;
		let cfg = GtgConfig {
			round_truncation: 1e-9,
			..Default::default()
		};
		let out = gtg_shapley(5, &mut flat, &cfg);
		assert!(out.truncated_round && out.scores.iter().all(|&s| s == 0.0));
		assert_eq!(out.utility_calls, 2);
		let w = [1.0, 2.0, 3.0];
		let out = gtg_shapley(
			3,
			&mut game(&w),
			&GtgConfig {
				tolerance: 0.2,
				..Default::default()
			},
		);
		assert!(out.converged && out.permutations < 3 * 50);
		// An impossible tolerance runs to the cap and says so.
		let cfg = GtgConfig {
			tolerance: 0.0,
			max_cycles: 7,
			..Default::default()
		};
		let out = gtg_shapley(3, &mut game(&w), &cfg);
		assert!(!out.converged);
		assert_eq!(out.permutations, 21);
	}
}
