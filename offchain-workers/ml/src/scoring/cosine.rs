//! Cosine similarity of each update to the aggregate.

use ndarray::{ArrayView1, ArrayView2};

/// `cos(update_i, aggregate)` for each row, in `[-1, 1]`; 0 when either vector is zero.
/// Accumulated in f64 so long vectors do not lose precision.
pub fn cosine_to_aggregate(updates: ArrayView2<f32>, aggregate: ArrayView1<f32>) -> Vec<f64> {
	let agg_norm = aggregate
		.iter()
		.map(|&v| (v as f64).powi(2))
		.sum::<f64>()
		.sqrt();
	updates
		.rows()
		.into_iter()
		.map(|row| {
			let (mut dot, mut norm) = (0.0f64, 0.0f64);
			for (&u, &a) in row.iter().zip(aggregate.iter()) {
				dot += u as f64 * a as f64;
				norm += (u as f64).powi(2);
			}
			let denom = norm.sqrt() * agg_norm;
			if denom > 0.0 {
				(dot / denom).clamp(-1.0, 1.0)
			} else {
				0.0
			}
		})
		.collect()
}

#[cfg(test)]
mod tests {
	use super::*;
	use ndarray::{arr1, arr2};

	#[test]
	fn aligned_opposite_orthogonal_and_zero() {
		let u = arr2(&[
			[2.0f32, 0.0],
			[-1.0, 0.0],
			[0.0, 3.0],
			[0.0, 0.0],
			[1.0, 1.0],
		]);
		let s = cosine_to_aggregate(u.view(), arr1(&[5.0, 0.0]).view());
		assert_eq!(&s[..4], &[1.0, -1.0, 0.0, 0.0]);
		assert!((s[4] - 0.5f64.sqrt()).abs() < 1e-12);
		assert_eq!(
			cosine_to_aggregate(u.view(), arr1(&[0.0, 0.0]).view()),
			vec![0.0; 5]
		);
	}
}
