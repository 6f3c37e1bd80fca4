//! Reference comparisons, hand-worked cases and determinism checks of the rules.

use super::*;
use fedledger_primitives::rules::{
	AggregationRule as R, AggregationSpec, Clipping, Mixing, StalenessFn,
};
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;

// ---------- plain reference implementations (f64, sorting, direct distances) ----------

fn rows(x: &Array2<f32>) -> Vec<Vec<f64>> {
	x.rows()
		.into_iter()
		.map(|r| r.iter().map(|&v| v as f64).collect())
		.collect()
}

fn column(x: &[Vec<f64>], c: usize) -> Vec<f64> {
	x.iter().map(|r| r[c]).collect()
}

fn ref_weighted_mean(x: &[Vec<f64>], w: &[f64]) -> Vec<f64> {
	let d = x[0].len();
	let tw: f64 = w.iter().sum();
	(0..d)
		.map(|c| x.iter().zip(w).map(|(r, wi)| r[c] * wi).sum::<f64>() / tw)
		.collect()
}

fn ref_median_col(mut v: Vec<f64>) -> f64 {
	v.sort_by(|a, b| a.partial_cmp(b).unwrap());
	let m = v.len();
	if m % 2 == 1 {
		v[m / 2]
	} else {
		(v[m / 2 - 1] + v[m / 2]) / 2.0
	}
}

fn ref_median(x: &[Vec<f64>]) -> Vec<f64> {
	(0..x[0].len())
		.map(|c| ref_median_col(column(x, c)))
		.collect()
}

fn ref_trimmed(x: &[Vec<f64>], b: usize) -> Vec<f64> {
	(0..x[0].len())
		.map(|c| {
			let mut v = column(x, c);
			v.sort_by(|a, b| a.partial_cmp(b).unwrap());
			let kept = &v[b..v.len() - b];
			kept.iter().sum::<f64>() / kept.len() as f64
		})
		.collect()
}

fn sq(a: &[f64], b: &[f64]) -> f64 {
	a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

fn ref_krum_scores(x: &[Vec<f64>], alive: &[usize], k: usize) -> Vec<(f64, usize)> {
	alive
		.iter()
		.map(|&i| {
			let mut ds: Vec<f64> = alive
				.iter()
				.filter(|&&j| j != i)
				.map(|&j| sq(&x[i], &x[j]))
				.collect();
			ds.sort_by(|a, b| a.partial_cmp(b).unwrap());
			(ds[..k].iter().sum(), i)
		})
		.collect()
}

/// Indices of the m best reference scores; asserts our selection is as good up to rounding
/// (so a near-tie decided differently by f32 rounding does not fail the test spuriously).
fn check_selection(x: &[Vec<f64>], f: usize, m: usize, ours: &[bool]) {
	let n = x.len();
	let alive: Vec<usize> = (0..n).collect();
	let mut scores = ref_krum_scores(x, &alive, n - f - 2);
	scores.sort_by(|a, b| a.partial_cmp(b).unwrap());
	let threshold = scores[m - 1].0 * (1.0 + 1e-5);
	assert_eq!(ours.iter().filter(|&&a| a).count(), m);
	for (s, i) in &scores {
		if ours[*i] {
			assert!(*s <= threshold, "selected {i} with score {s} > {threshold}");
		}
	}
}

fn ref_bulyan(x: &[Vec<f64>], f: usize) -> (Vec<f64>, Vec<usize>) {
	let n = x.len();
	let theta = n - 2 * f;
	let beta = theta - 2 * f;
	let mut alive: Vec<usize> = (0..n).collect();
	let mut sel = vec![];
	for _ in 0..theta {
		let r = alive.len();
		let k = (r as isize - f as isize - 2).max(1).min(r as isize - 1) as usize;
		let scores = ref_krum_scores(x, &alive, k);
		let best = scores
			.iter()
			.min_by(|a, b| a.partial_cmp(b).unwrap())
			.unwrap()
			.1;
		alive.retain(|&i| i != best);
		sel.push(best);
	}
	sel.sort();
	let out = (0..x[0].len())
		.map(|c| {
			let v: Vec<f64> = sel.iter().map(|&i| x[i][c]).collect();
			let med = ref_median_col(v.clone());
			let mut by_dist = v.clone();
			by_dist.sort_by(|a, b| (a - med).abs().partial_cmp(&(b - med).abs()).unwrap());
			by_dist[..beta].iter().sum::<f64>() / beta as f64
		})
		.collect();
	(out, sel)
}

fn ref_gm(x: &[Vec<f64>], w: &[f64], iters: u32, nu: f64) -> Vec<f64> {
	let mut z = ref_weighted_mean(x, w);
	for _ in 0..iters {
		let b: Vec<f64> = x
			.iter()
			.zip(w)
			.map(|(r, wi)| wi / sq(r, &z).sqrt().max(nu))
			.collect();
		z = ref_weighted_mean(x, &b);
	}
	z
}

fn ref_cc(x: &[Vec<f64>], w: &[f64], tau: f64, iters: u32) -> Vec<f64> {
	let mut v = ref_median(x);
	let tw: f64 = w.iter().sum();
	for _ in 0..iters {
		let mut next = v.clone();
		for (r, wi) in x.iter().zip(w) {
			let dist = sq(r, &v).sqrt();
			let s = if dist > tau { tau / dist } else { 1.0 };
			for c in 0..v.len() {
				next[c] += wi * s * (r[c] - v[c]) / tw;
			}
		}
		v = next;
	}
	v
}

fn ref_norm_bounding(x: &[Vec<f64>], w: &[f64], max_norm: f64) -> Vec<f64> {
	let tw: f64 = w.iter().sum();
	let mut out = vec![0.0; x[0].len()];
	for (r, wi) in x.iter().zip(w) {
		let norm = sq(r, &vec![0.0; r.len()]).sqrt();
		let s = if norm > max_norm {
			max_norm / norm
		} else {
			1.0
		};
		for c in 0..out.len() {
			out[c] += wi * s * r[c] / tw;
		}
	}
	out
}

// ---------- helpers ----------

fn random_updates(rng: &mut ChaCha20Rng, n: usize, d: usize) -> (Array2<f32>, Vec<f64>) {
	let x = Array2::from_shape_fn((n, d), |_| rng.gen_range(-1.0f32..1.0));
	let w = (0..n)
		.map(|_| rng.gen_range(1.0f64..100.0).floor())
		.collect();
	(x, w)
}

fn plain(rule: R) -> AggregationSpec {
	AggregationSpec::plain(rule)
}

fn assert_close(ours: &Array1<f32>, reference: &[f64], tol: f64, what: &str) {
	assert_eq!(ours.len(), reference.len(), "{what}: length");
	for (c, (a, b)) in ours.iter().zip(reference).enumerate() {
		assert!(
			(*a as f64 - b).abs() <= tol * (1.0 + b.abs()),
			"{what}: coordinate {c}: {a} vs reference {b}"
		);
	}
}

// ---------- random inputs against the references ----------

#[test]
fn rules_match_references_on_random_inputs() {
	let mut rng = ChaCha20Rng::seed_from_u64(7);
	for case in 0..6 {
		let n = [5, 8, 13, 16, 23, 30][case];
		let d = [1, 17, 300, 2049, 1025, 3001][case];
		let (x, w) = random_updates(&mut rng, n, d);
		let xr = rows(&x);
		let v = x.view();

		let out = aggregate(&plain(R::FedAvg), v, &w).unwrap();
		assert_close(&out.delta, &ref_weighted_mean(&xr, &w), 1e-6, "fedavg");
		assert!(out.accepted.iter().all(|&a| a));

		let out = aggregate(&plain(R::Median), v, &w).unwrap();
		// The median is an input value (odd n) or the mean of two: exact up to one rounding.
		assert_close(&out.delta, &ref_median(&xr), 1e-7, "median");

		for beta in [0u32, 100_000_000, 250_000_000, 499_999_999] {
			let rule = R::TrimmedMean { beta };
			let b = rule.trim_count(n as u32) as usize;
			let out = aggregate(&plain(rule), v, &w).unwrap();
			assert_close(&out.delta, &ref_trimmed(&xr, b), 1e-6, "trimmed mean");
		}

		let f = (n - 3) / 2;
		let out = aggregate(&plain(R::Krum { f: f as u32 }), v, &w).unwrap();
		check_selection(&xr, f, 1, &out.accepted);
		let chosen = out.accepted.iter().position(|&a| a).unwrap();
		assert_eq!(
			out.delta.to_vec(),
			x.row(chosen).to_vec(),
			"krum returns the update itself"
		);

		let m = n - f;
		let out = aggregate(
			&plain(R::MultiKrum {
				f: f as u32,
				m: m as u32,
			}),
			v,
			&w,
		)
		.unwrap();
		check_selection(&xr, f, m, &out.accepted);
		let sel: Vec<usize> = (0..n).filter(|&i| out.accepted[i]).collect();
		let sel_rows: Vec<Vec<f64>> = sel.iter().map(|&i| xr[i].clone()).collect();
		let sel_w: Vec<f64> = sel.iter().map(|&i| w[i]).collect();
		assert_close(
			&out.delta,
			&ref_weighted_mean(&sel_rows, &sel_w),
			1e-6,
			"multi-krum",
		);

		let fb = (n - 3) / 4;
		let out = aggregate(&plain(R::Bulyan { f: fb as u32 }), v, &w).unwrap();
		let (reference, sel) = ref_bulyan(&xr, fb);
		let ours_sel: Vec<usize> = (0..n).filter(|&i| out.accepted[i]).collect();
		assert_eq!(ours_sel, sel, "bulyan selection");
		assert_close(&out.delta, &reference, 1e-6, "bulyan");

		let out = aggregate(&plain(R::GeometricMedian { iters: 8, eps: 1 }), v, &w).unwrap();
		assert_close(
			&out.delta,
			&ref_gm(&xr, &w, 8, 1e-6),
			1e-5,
			"geometric median",
		);

		let tau = 0.5 * (d as f64).sqrt();
		let rule = R::CenteredClipping {
			tau: (tau * 1e6) as u32,
			iters: 3,
		};
		let out = aggregate(&plain(rule), v, &w).unwrap();
		assert_close(
			&out.delta,
			&ref_cc(&xr, &w, (tau * 1e6).floor() / 1e6, 3),
			1e-5,
			"centered clipping",
		);

		let max_norm = 0.4 * (d as f64).sqrt();
		let rule = R::NormBounding {
			max_norm: (max_norm * 1e6) as u32,
		};
		let out = aggregate(&plain(rule), v, &w).unwrap();
		assert_close(
			&out.delta,
			&ref_norm_bounding(&xr, &w, (max_norm * 1e6).floor() / 1e6),
			1e-6,
			"norm bounding",
		);
	}
}

#[test]
fn bucketing_matches_reference_on_bucket_means() {
	let mut rng = ChaCha20Rng::seed_from_u64(11);
	let (n, d) = (20, 700);
	let (x, w) = random_updates(&mut rng, n, d);
	let xr = rows(&x);
	let seed = [3u8; 32];
	let buckets = bucket_assignment(n, 3, &seed);
	let mut seen: Vec<usize> = buckets.iter().flatten().copied().collect();
	seen.sort();
	assert_eq!(
		seen,
		(0..n).collect::<Vec<_>>(),
		"buckets partition the updates"
	);
	assert_eq!(buckets.len(), 7);
	assert!(buckets[..6].iter().all(|b| b.len() == 3) && buckets[6].len() == 2);
	assert_ne!(
		buckets,
		bucket_assignment(n, 3, &[4u8; 32]),
		"seed changes the assignment"
	);

	let bx: Vec<Vec<f64>> = buckets
		.iter()
		.map(|m| {
			let rws: Vec<Vec<f64>> = m.iter().map(|&i| xr[i].clone()).collect();
			let ws: Vec<f64> = m.iter().map(|&i| w[i]).collect();
			ref_weighted_mean(&rws, &ws)
		})
		.collect();
	let bw: Vec<f64> = buckets
		.iter()
		.map(|m| m.iter().map(|&i| w[i]).sum())
		.collect();

	let spec = AggregationSpec::bucketed(R::Median, 3);
	let out = aggregate_with_seed(&spec, x.view(), &w, &seed).unwrap();
	assert_close(&out.delta, &ref_median(&bx), 1e-6, "bucketed median");

	let spec = AggregationSpec::bucketed(R::FedAvg, 3);
	let out = aggregate_with_seed(&spec, x.view(), &w, &seed).unwrap();
	assert_close(
		&out.delta,
		&ref_weighted_mean(&bx, &bw),
		1e-6,
		"bucketed fedavg",
	);
	// Bucketed FedAvg is still the overall weighted mean.
	assert_close(
		&out.delta,
		&ref_weighted_mean(&xr, &w),
		1e-5,
		"bucketed fedavg = fedavg",
	);

	// Krum on 7 buckets with f = 2: the accepted updates are exactly one bucket's members.
	let spec = AggregationSpec::bucketed(R::Krum { f: 2 }, 3);
	let out = aggregate_with_seed(&spec, x.view(), &w, &seed).unwrap();
	let acc: Vec<usize> = (0..n).filter(|&i| out.accepted[i]).collect();
	assert!(buckets.iter().any(|b| {
		let mut b = b.clone();
		b.sort();
		b == acc
	}));

	// `aggregate` derives a seed from the content: deterministic, and equal to the explicit path.
	let a = aggregate(&spec, x.view(), &w).unwrap();
	let b = aggregate_with_seed(
		&spec,
		x.view(),
		&w,
		&content_seed(x.as_slice().unwrap(), n, d, &w),
	)
	.unwrap();
	assert_eq!(a, b);
}

// ---------- hand-worked cases ----------

fn mat(rows: &[&[f32]]) -> Array2<f32> {
	let d = rows[0].len();
	Array2::from_shape_vec(
		(rows.len(), d),
		rows.iter().flat_map(|r| r.iter().copied()).collect(),
	)
	.unwrap()
}

#[test]
fn median_ignores_outliers_by_hand() {
	let x = mat(&[
		&[1.0, 10.0],
		&[2.0, -1.0e6],
		&[3.0, 12.0],
		&[1000.0, 11.0],
		&[-1000.0, 1.0e9],
	]);
	let out = aggregate(&plain(R::Median), x.view(), &[1.0; 5]).unwrap();
	assert_eq!(out.delta.to_vec(), vec![2.0, 11.0]);
	let x = mat(&[&[1.0], &[2.0], &[3.0], &[4.0]]);
	let out = aggregate(&plain(R::Median), x.view(), &[1.0; 4]).unwrap();
	assert_eq!(out.delta.to_vec(), vec![2.5]);
}

#[test]
fn trimmed_mean_by_hand() {
	// β = 20 % of 5 → trim 1 each end.
	let rule = R::TrimmedMean { beta: 200_000_000 };
	let x = mat(&[
		&[1.0, 1.0],
		&[2.0, 1.0],
		&[3.0, 1.0],
		&[4.0, 5.0],
		&[100.0, 9.0],
	]);
	let out = aggregate(&plain(rule), x.view(), &[1.0; 5]).unwrap();
	// (2 + 3 + 4) / 3 = 3 and, with ties at the low threshold, (1 + 1 + 5) / 3.
	assert_eq!(out.delta[0], 3.0);
	assert_eq!(out.delta[1], (7.0f64 / 3.0) as f32);
	// All values equal.
	let x = mat(&[&[0.5], &[0.5], &[0.5], &[0.5], &[0.5]]);
	assert_eq!(
		aggregate(&plain(rule), x.view(), &[1.0; 5]).unwrap().delta[0],
		0.5
	);
}

fn honest_and_byzantine() -> Array2<f32> {
	// 6 honest updates around (1, 1, 1, 1); 2 Byzantine ones far away but close to each other.
	mat(&[
		&[1.0, 1.0, 1.0, 1.0],
		&[1.1, 0.9, 1.0, 1.0],
		&[0.9, 1.1, 1.0, 0.95],
		&[1.0, 1.0, 1.1, 1.05],
		&[-50.0, 40.0, -50.0, 40.0],
		&[1.05, 0.95, 0.9, 1.0],
		&[-50.5, 40.0, -50.0, 40.5],
		&[0.95, 1.0, 1.0, 1.1],
	])
}

#[test]
fn krum_picks_the_honest_cluster() {
	let x = honest_and_byzantine();
	let out = aggregate(&plain(R::Krum { f: 2 }), x.view(), &[1.0; 8]).unwrap();
	let chosen = out.accepted.iter().position(|&a| a).unwrap();
	assert!(![4, 6].contains(&chosen));
	assert_eq!(out.accepted.iter().filter(|&&a| a).count(), 1);
	// The most central honest update: (1, 1, 1, 1).
	assert_eq!(chosen, 0);
	let out = aggregate(&plain(R::MultiKrum { f: 2, m: 5 }), x.view(), &[1.0; 8]).unwrap();
	assert!(!out.accepted[4] && !out.accepted[6]);
	assert!(out.delta.iter().all(|v| (v - 1.0).abs() < 0.1));
	// FedAvg is dragged away by the attackers.
	let avg = aggregate(&plain(R::FedAvg), x.view(), &[1.0; 8]).unwrap();
	assert!(avg.delta[0] < -10.0);
}

#[test]
fn bulyan_rejects_the_attackers() {
	let mut x = honest_and_byzantine();
	// Bulyan with f = 1 needs 7 updates: drop one honest.
	x = x.select(ndarray::Axis(0), &[0, 1, 2, 3, 4, 5, 7]);
	let out = aggregate(&plain(R::Bulyan { f: 1 }), x.view(), &[1.0; 7]).unwrap();
	assert!(!out.accepted[4], "the attacker is not selected");
	assert_eq!(out.accepted.iter().filter(|&&a| a).count(), 5);
	// Per coordinate the mean of 3 of the selected honest values.
	assert!(
		out.delta.iter().all(|v| (0.9..=1.1).contains(v)),
		"{:?}",
		out.delta
	);
}

#[test]
fn geometric_median_by_hand() {
	// 1-D: the geometric median of {0, 1, 10} is the median 1.
	let x = mat(&[&[0.0], &[1.0], &[10.0]]);
	let out = aggregate(
		&plain(R::GeometricMedian { iters: 200, eps: 1 }),
		x.view(),
		&[1.0; 3],
	)
	.unwrap();
	assert!((out.delta[0] - 1.0).abs() < 1e-3, "{}", out.delta[0]);
	// Weights move it: {0 (w=5), 1, 10} → 0.
	let out = aggregate(
		&plain(R::GeometricMedian { iters: 200, eps: 1 }),
		x.view(),
		&[5.0, 1.0, 1.0],
	)
	.unwrap();
	assert!(out.delta[0].abs() < 1e-3, "{}", out.delta[0]);
}

#[test]
fn centered_clipping_and_norm_bounding_by_hand() {
	let x = mat(&[&[1.0, 0.0], &[1.0, 0.0], &[1.0, 0.0], &[100.0, 0.0]]);
	// Median start (1, 0); the outlier is at distance 99 and clipped to 1 each step.
	let rule = R::CenteredClipping {
		tau: 1_000_000,
		iters: 1,
	};
	let out = aggregate(&plain(rule), x.view(), &[1.0; 4]).unwrap();
	assert_eq!(out.delta.to_vec(), vec![1.25, 0.0]);
	assert_eq!(out.accepted, vec![true, true, true, false]);

	let x = mat(&[&[3.0, 4.0], &[0.3, 0.4]]);
	let out = aggregate(
		&plain(R::NormBounding {
			max_norm: 1_000_000,
		}),
		x.view(),
		&[1.0, 1.0],
	)
	.unwrap();
	assert!((out.delta[0] - 0.45).abs() < 1e-7 && (out.delta[1] - 0.6).abs() < 1e-7);
	let out = aggregate(
		&plain(R::FedAvg),
		mat(&[&[0.0], &[4.0]]).view(),
		&[1.0, 3.0],
	)
	.unwrap();
	assert_eq!(out.delta[0], 3.0);
}

#[test]
fn errors_are_typed() {
	let mut x = Array2::<f32>::zeros((7, 3));
	assert_eq!(
		aggregate(&plain(R::FedAvg), x.view(), &[1.0; 6]),
		Err(AggregationError::WeightCount {
			got: 6,
			expected: 7
		})
	);
	assert_eq!(
		aggregate(&plain(R::FedAvg), x.view(), &[0.0; 7]),
		Err(AggregationError::ZeroTotalWeight)
	);
	let mut w = [1.0; 7];
	w[2] = f64::NAN;
	assert_eq!(
		aggregate(&plain(R::FedAvg), x.view(), &w),
		Err(AggregationError::BadWeight { index: 2 })
	);
	assert!(matches!(
		aggregate(&plain(R::Krum { f: 3 }), x.view(), &[1.0; 7]),
		Err(AggregationError::Config(RuleConfigError::TooFewUpdates {
			required: 9,
			available: 7
		}))
	));
	assert_eq!(
		aggregate(&plain(R::FedAvg), Array2::<f32>::zeros((0, 3)).view(), &[]),
		Err(AggregationError::Empty)
	);
	x[[4, 1]] = f32::NAN;
	x[[5, 0]] = f32::INFINITY;
	for rule in all_rules(7) {
		for spec in [
			AggregationSpec::plain(rule),
			AggregationSpec::bucketed(rule, 1),
			AggregationSpec {
				clipping: Some(Clipping::Adaptive { f: 1 }),
				mixing: Some(Mixing::NearestNeighbours { f: 1 }),
				..AggregationSpec::plain(rule)
			},
		] {
			assert_eq!(
				aggregate(&spec, x.view(), &[1.0; 7]),
				Err(AggregationError::NonFinite { row: 4, col: 1 }),
				"{spec:?}"
			);
		}
	}
	// Finite inputs whose mean overflows f32.
	let big = mat(&[&[f32::MAX], &[f32::MAX]]);
	assert_eq!(
		aggregate(&plain(R::FedAvg), big.view(), &[1.0, 1.0])
			.unwrap()
			.delta[0],
		f32::MAX
	);
	assert_eq!(
		aggregate(
			&plain(R::GeometricMedian { iters: 1, eps: 1 }),
			big.view(),
			&[1.0, 1.0]
		)
		.map(|o| o.delta[0]),
		Ok(f32::MAX)
	);
}

// ---------- determinism ----------

fn all_rules(n: usize) -> Vec<R> {
	let f = ((n - 3) / 4) as u32;
	vec![
		R::FedAvg,
		R::Median,
		R::TrimmedMean { beta: 150_000_000 },
		R::Krum { f },
		R::MultiKrum { f, m: f + 2 },
		R::Bulyan { f },
		R::GeometricMedian { iters: 4, eps: 10 },
		R::CenteredClipping {
			tau: 20_000_000,
			iters: 3,
		},
		R::NormBounding {
			max_norm: 15_000_000,
		},
	]
}

fn bits(o: &AggregateOutcome) -> (Vec<u32>, Vec<bool>) {
	(
		o.delta.iter().map(|v| v.to_bits()).collect(),
		o.accepted.clone(),
	)
}

#[test]
fn bit_identical_for_1_2_and_8_threads() {
	let mut rng = ChaCha20Rng::seed_from_u64(99);
	// d spans several column blocks, order blocks and k-blocks; n is not a multiple of the tile.
	let (n, d) = (23, 9_001);
	let (mut x, w) = random_updates(&mut rng, n, d);
	// Heavy tails and exact ties make order-dependent code paths visible.
	for i in 0..n {
		x[[i, 5]] = 0.25;
		x[[i, 7]] = if i % 2 == 0 { -0.0 } else { 0.0 };
	}
	x.row_mut(3).mapv_inplace(|v| v * 1.0e4);
	let mut specs: Vec<AggregationSpec> = all_rules(n).into_iter().map(plain).collect();
	specs.push(AggregationSpec::bucketed(R::Median, 2));
	specs.push(AggregationSpec::bucketed(R::Krum { f: 1 }, 3));
	specs.push(AggregationSpec {
		clipping: Some(Clipping::Adaptive { f: 2 }),
		mixing: Some(Mixing::NearestNeighbours { f: 2 }),
		..plain(R::Median)
	});
	specs.push(AggregationSpec {
		clipping: Some(Clipping::Fixed { max_norm: 500_000 }),
		mixing: Some(Mixing::Bucketing { size: 2 }),
		..plain(R::GeometricMedian { iters: 8, eps: 1 })
	});
	for spec in specs {
		let run = |k: usize| {
			let pool = rayon::ThreadPoolBuilder::new()
				.num_threads(k)
				.build()
				.unwrap();
			pool.install(|| aggregate(&spec, x.view(), &w).unwrap())
		};
		let one = bits(&run(1));
		assert_eq!(one, bits(&run(2)), "{spec:?}: 1 vs 2 threads");
		assert_eq!(one, bits(&run(8)), "{spec:?}: 1 vs 8 threads");
	}
}

#[test]
fn simd_and_portable_kernels_agree_bitwise() {
	let mut rng = ChaCha20Rng::seed_from_u64(5);
	let (n, d) = (17, 4_099);
	let (x, w) = random_updates(&mut rng, n, d);
	for rule in all_rules(n) {
		let spec = plain(rule);
		kernels::force_portable(false);
		let fast = bits(&aggregate(&spec, x.view(), &w).unwrap());
		kernels::force_portable(true);
		let portable = bits(&aggregate(&spec, x.view(), &w).unwrap());
		kernels::force_portable(false);
		assert_eq!(fast, portable, "{spec:?}");
	}
}

#[test]
fn staleness_weights_scale_sample_weights() {
	let f = StalenessFn::Polynomial { a: 1_000_000 };
	let x = mat(&[&[0.0], &[3.0]]);
	// The fresh update weighs 1, the one 1 version stale weighs 1/2: (0·1 + 3·0.5) / 1.5 = 1.
	let w = [staleness_weight(&f, 0), staleness_weight(&f, 1)];
	assert_eq!(w, [1.0, 0.5]);
	assert_eq!(
		aggregate(&plain(R::FedAvg), x.view(), &w).unwrap().delta[0],
		1.0
	);
}

#[test]
fn tall_columns_match_references() {
	// n ≥ 256 takes the select path of the median; n odd and even.
	let mut rng = ChaCha20Rng::seed_from_u64(21);
	for n in [300, 301] {
		let (x, w) = random_updates(&mut rng, n, 40);
		let xr = rows(&x);
		let out = aggregate(&plain(R::Median), x.view(), &w).unwrap();
		assert_close(&out.delta, &ref_median(&xr), 1e-7, "tall median");
		let rule = R::TrimmedMean { beta: 100_000_000 };
		let out = aggregate(&plain(rule), x.view(), &w).unwrap();
		assert_close(
			&out.delta,
			&ref_trimmed(&xr, rule.trim_count(n as u32) as usize),
			1e-6,
			"tall trimmed",
		);
		kernels::force_portable(true);
		let portable = aggregate(&plain(R::Median), x.view(), &w).unwrap();
		kernels::force_portable(false);
		assert_eq!(
			bits(&portable),
			bits(&aggregate(&plain(R::Median), x.view(), &w).unwrap())
		);
	}
}

// ---------- the pre-aggregation pipeline ----------

/// Norm bounding clips each update, then averages. Behind bucketing it used to clip bucket
/// means instead, so a boosted update dragged its honest bucket partner along before the clip;
/// now the clip comes first and bucketed norm bounding is plain norm bounding (bucket means of
/// a weighted mean are the weighted mean).
#[test]
fn norm_bounding_clips_each_update_before_its_bucket() {
	let d = 4;
	let mut rows: Vec<f32> = Vec::new();
	for i in 0..9 {
		rows.extend_from_slice(&[0.3 + 0.01 * i as f32, 0.2, -0.1, 0.1]);
	}
	// One attacker: the negated honest direction, boosted 1,000 times.
	rows.extend_from_slice(&[-300.0, -200.0, 100.0, -100.0]);
	let x = Array2::from_shape_vec((10, d), rows).unwrap();
	let w = [1.0; 10];
	let nb: AggregationSpec = "norm-bounding:0.5".parse().unwrap();
	let nb_bucketed: AggregationSpec = "norm-bounding:0.5+bucket:2".parse().unwrap();
	let plain_out = aggregate(&nb, x.view(), &w).unwrap();
	let bucketed_out = aggregate_with_seed(&nb_bucketed, x.view(), &w, &[1u8; 32]).unwrap();
	for (a, b) in plain_out.delta.iter().zip(bucketed_out.delta.iter()) {
		assert!(
			(a - b).abs() < 1e-6,
			"{:?} vs {:?}",
			plain_out.delta,
			bucketed_out.delta
		);
	}
	// The honest direction survives: the attacker is one clipped update out of ten.
	assert!(bucketed_out.delta[0] > 0.2, "{:?}", bucketed_out.delta);
}

fn reference_nnm(x: &[Vec<f64>], f: usize) -> Vec<Vec<f64>> {
	let n = x.len();
	(0..n)
		.map(|i| {
			let mut others: Vec<usize> = (0..n).filter(|&j| j != i).collect();
			others.sort_by(|&a, &b| {
				sq(&x[i], &x[a])
					.total_cmp(&sq(&x[i], &x[b]))
					.then(a.cmp(&b))
			});
			let mut members = vec![i];
			members.extend(others.into_iter().take(n - f - 1));
			let rws: Vec<Vec<f64>> = members.iter().map(|&j| x[j].clone()).collect();
			ref_weighted_mean(&rws, &vec![1.0; rws.len()])
		})
		.collect()
}

#[test]
fn nearest_neighbour_mixing_matches_its_definition() {
	let mut rng = ChaCha20Rng::seed_from_u64(21);
	let (n, d, f) = (11, 300, 3);
	let (x, w) = random_updates(&mut rng, n, d);
	let mixed = reference_nnm(&rows(&x), f);
	// FedAvg over the mixtures is the weighted mean of the reference mixtures.
	let spec = AggregationSpec {
		mixing: Some(Mixing::NearestNeighbours { f: f as u32 }),
		..plain(R::FedAvg)
	};
	let out = aggregate(&spec, x.view(), &w).unwrap();
	assert_close(
		&out.delta,
		&ref_weighted_mean(&mixed, &w),
		1e-5,
		"nnm + fedavg",
	);
	// The median over the mixtures is the reference median of the mixtures.
	let spec = AggregationSpec {
		mixing: Some(Mixing::NearestNeighbours { f: f as u32 }),
		..plain(R::Median)
	};
	let out = aggregate(&spec, x.view(), &w).unwrap();
	assert_close(&out.delta, &ref_median(&mixed), 1e-5, "nnm + median");
}

#[test]
fn adaptive_clipping_cuts_the_largest_to_the_next_norm() {
	// Norms 1, 2, 3, 4, 100 with f = 1: k = ⌊2·1·4/5⌋ = 1 update (the 100) is clipped to 4.
	let x = mat(&[
		&[1.0, 0.0],
		&[0.0, 2.0],
		&[3.0, 0.0],
		&[0.0, -4.0],
		&[-60.0, 80.0],
	]);
	let spec = AggregationSpec {
		clipping: Some(Clipping::Adaptive { f: 1 }),
		..plain(R::FedAvg)
	};
	let out = aggregate(&spec, x.view(), &[1.0; 5]).unwrap();
	// Clipped attacker: (−2.4, 3.2); mean of (1,0), (0,2), (3,0), (0,−4), (−2.4,3.2).
	assert!((out.delta[0] - 1.6 / 5.0).abs() < 1e-6, "{:?}", out.delta);
	assert!((out.delta[1] - 1.2 / 5.0).abs() < 1e-6, "{:?}", out.delta);
	// A fixed bound of 2 clips everything above it.
	let spec = AggregationSpec {
		clipping: Some(Clipping::Fixed {
			max_norm: 2_000_000,
		}),
		..plain(R::FedAvg)
	};
	let out = aggregate(&spec, x.view(), &[1.0; 5]).unwrap();
	// (1,0), (0,2), (2,0), (0,−2), (−1.2,1.6).
	assert!((out.delta[0] - 1.8 / 5.0).abs() < 1e-6, "{:?}", out.delta);
	assert!((out.delta[1] - 1.6 / 5.0).abs() < 1e-6, "{:?}", out.delta);
}
