//! Shared helpers of the fedledger benchmarks: the shape grid, which shapes are skipped and
//! why, the rules benchmarked, and a fast seeded generator of synthetic updates.

use fedledger_primitives::rules::{AggregationRule, AggregationSpec, Clipping, Mixing};
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Numbers of updates benchmarked.
pub const NS: [usize; 3] = [10, 100, 1000];
/// Numbers of parameters benchmarked.
pub const DS: [usize; 3] = [10_000, 100_000, 1_000_000];

/// Why a shape is skipped, if it is.
pub fn skip_reason(n: usize, d: usize) -> Option<&'static str> {
	if n * d > 200_000_000 {
		Some(
			"n×d f32 input is 4 GB (plus generator and scratch) on a 24 GB, 2-core machine, and \
			 one Krum/Bulyan iteration would take ~10 s; the n=1000×d=100k and n=100×d=1M \
			 shapes already cover the large-n and large-d regimes",
		)
	} else {
		None
	}
}

/// The shapes of the grid that are run.
pub fn feasible_shapes() -> Vec<(usize, usize)> {
	NS.iter()
		.flat_map(|&n| DS.iter().map(move |&d| (n, d)))
		.filter(|&(n, d)| skip_reason(n, d).is_none())
		.collect()
}

/// The rules benchmarked, with parameters scaled to `n` (f = n/10 Byzantine, at least 1 where
/// the rule allows it).
pub fn rules_for(n: usize) -> Vec<(&'static str, AggregationSpec)> {
	let f = (n / 10).max(1) as u32;
	let fb = (n.saturating_sub(3) / 4).min(n / 10).max(1) as u32;
	let plain = AggregationSpec::plain;
	vec![
		("fedavg", plain(AggregationRule::FedAvg)),
		("median", plain(AggregationRule::Median)),
		(
			"trimmed_mean",
			plain(AggregationRule::TrimmedMean { beta: 100_000_000 }),
		),
		("krum", plain(AggregationRule::Krum { f })),
		(
			"multi_krum",
			plain(AggregationRule::MultiKrum { f, m: n as u32 - f }),
		),
		("bulyan", plain(AggregationRule::Bulyan { f: fb })),
		(
			"geometric_median",
			plain(AggregationRule::GeometricMedian { iters: 3, eps: 1 }),
		),
		(
			"centered_clipping",
			plain(AggregationRule::CenteredClipping {
				tau: 10_000_000,
				iters: 3,
			}),
		),
		(
			"norm_bounding",
			plain(AggregationRule::NormBounding {
				max_norm: 10_000_000,
			}),
		),
		(
			"median_bucketed_s2",
			AggregationSpec::bucketed(AggregationRule::Median, 2),
		),
		(
			"median_arc_nnm",
			AggregationSpec {
				clipping: Some(Clipping::Adaptive { f }),
				mixing: Some(Mixing::NearestNeighbours { f }),
				..plain(AggregationRule::Median)
			},
		),
	]
}

/// `n × d` standard-normal-ish updates (sum of uniforms), generated in parallel per row from a
/// seed (fast enough for 100M values).
pub fn synthetic_updates(n: usize, d: usize, seed: u64) -> Array2<f32> {
	use rayon::prelude::*;
	let mut data = vec![0.0f32; n * d];
	data.par_chunks_mut(d.max(1))
		.enumerate()
		.for_each(|(i, row)| {
			let mut rng =
				ChaCha8Rng::seed_from_u64(seed ^ (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
			for v in row.iter_mut() {
				let u: f32 = rng.gen::<f32>() + rng.gen::<f32>() + rng.gen::<f32>();
				*v = (u - 1.5) * 2.0;
			}
		});
	Array2::from_shape_vec((n, d), data).expect("shape")
}
