//! The deterministic step from a round's revealed updates to the next global model: what
//! every validator computes and every full node re-checks against the on-chain hash.
//!
//! Inputs are exactly what the chain fixes: the base weights (version `base_version`), the
//! updates in reveal order with their declared sample counts and base versions, and the
//! round's configuration snapshot. Bucketing draws its seed from the model id, the round and
//! the payload hashes, so every node draws the same buckets. The aggregation kernels are
//! bit-identical across thread counts (see `aggregation`), and the step `base + s·delta` is
//! one f32 operation per coordinate.

use fedledger_primitives::{
	model::Schedule, tensor_codec, Digest, ModelId, RoundIndex, VersionIndex,
};
use ndarray::{Array2, ArrayView1};

use crate::aggregation::{aggregate_with_seed, bucket_seed_from_hashes, staleness_weight};
use crate::scoring::cosine_to_aggregate;

/// One decoded update of a round.
#[derive(Clone, Debug, PartialEq)]
pub struct RoundUpdate {
	pub payload_hash: Digest,
	pub values: Vec<f32>,
	pub num_samples: u32,
	pub base_version: VersionIndex,
}

/// The next global model and the verdict on each update.
#[derive(Clone, Debug, PartialEq)]
pub struct NextModel {
	/// New weights in the canonical codec (f32, shape `[parameter_count]`).
	pub weights: Vec<u8>,
	/// Their sha3-256: the hash validators report.
	pub hash: Digest,
	/// Accepted by the robust rule, per update in reveal order.
	pub accepted: Vec<bool>,
	/// Attribution score per update, parts per billion (rejected updates score 0).
	pub scores: Vec<u32>,
}

/// Why the next model could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum ConsensusError {
	#[error("base weights: {0:?}")]
	Base(tensor_codec::CodecError),
	#[error("update {index} has {got} values, the model has {expected}")]
	Shape {
		index: usize,
		expected: usize,
		got: usize,
	},
	#[error("aggregation: {0}")]
	Aggregation(#[from] crate::aggregation::AggregationError),
	#[error("encoding the new weights: {0:?}")]
	Encode(tensor_codec::CodecError),
}

/// The bucketing context of a round: SCALE-like little-endian model id and round index.
pub fn round_context(model: ModelId, round: RoundIndex) -> Vec<u8> {
	let mut ctx = model.to_le_bytes().to_vec();
	ctx.extend_from_slice(&round.to_le_bytes());
	ctx
}

/// Decodes canonical weights of `parameter_count` values.
pub fn decode_weights(bytes: &[u8], parameter_count: u32) -> Result<Vec<f32>, ConsensusError> {
	let t = tensor_codec::decode(bytes, parameter_count).map_err(ConsensusError::Base)?;
	if t.values.len() != parameter_count as usize {
		return Err(ConsensusError::Shape {
			index: usize::MAX,
			expected: parameter_count as usize,
			got: t.values.len(),
		});
	}
	Ok(t.values)
}

/// Computes the next model of round `round` of `model` from `base` (the round's base weights)
/// and its `updates` in reveal order. `current_version` is the round's base version (used for
/// staleness in buffered-async mode).
pub fn next_model(
	model: ModelId,
	round: RoundIndex,
	schedule: &Schedule,
	spec: &fedledger_primitives::rules::AggregationSpec,
	base: &[f32],
	current_version: VersionIndex,
	updates: &[RoundUpdate],
) -> Result<NextModel, ConsensusError> {
	let d = base.len();
	let n = updates.len();
	let mut rows = Vec::with_capacity(n * d);
	for (index, u) in updates.iter().enumerate() {
		if u.values.len() != d {
			return Err(ConsensusError::Shape {
				index,
				expected: d,
				got: u.values.len(),
			});
		}
		rows.extend_from_slice(&u.values);
	}
	let x = Array2::from_shape_vec((n, d), rows).expect("n rows of d values");
	let discounts: Vec<f64> = updates
		.iter()
		.map(|u| match schedule {
			Schedule::Sync { .. } => 1.0,
			Schedule::BufferedAsync { staleness, .. } => {
				staleness_weight(staleness, current_version.saturating_sub(u.base_version))
			}
		})
		.collect();
	// A declared sample count of 0 must not zero the whole round: count it as one sample.
	let weights: Vec<f64> = updates
		.iter()
		.zip(&discounts)
		.map(|(u, s)| u.num_samples.max(1) as f64 * s)
		.collect();
	let hashes: Vec<Digest> = updates.iter().map(|u| u.payload_hash).collect();
	let seed = bucket_seed_from_hashes(&round_context(model, round), &hashes);
	let outcome = aggregate_with_seed(spec, x.view(), &weights, &seed)?;
	// FedBuff: the buffer's mean staleness discount scales the server step (sync: exactly 1).
	let step = (discounts.iter().sum::<f64>() / n.max(1) as f64) as f32;
	let new: Vec<f32> = base
		.iter()
		.zip(outcome.delta.iter())
		.map(|(b, dlt)| if step == 1.0 { b + dlt } else { b + step * dlt })
		.collect();
	let weights_bytes =
		tensor_codec::encode_f32(&new, &[d as u32]).map_err(ConsensusError::Encode)?;
	let hash = tensor_codec::digest(&weights_bytes);
	let scores = cosine_scores(x.view(), outcome.delta.view(), &outcome.accepted);
	Ok(NextModel {
		weights: weights_bytes,
		hash,
		accepted: outcome.accepted,
		scores,
	})
}

/// Cosine similarity of each accepted update to the aggregate, clipped to `[0, 1]` and
/// expressed in parts per billion; rejected updates score 0. Scores need not be bit-identical
/// across validators: the chain takes their stake-weighted median.
fn cosine_scores(
	updates: ndarray::ArrayView2<f32>,
	aggregate: ArrayView1<f32>,
	accepted: &[bool],
) -> Vec<u32> {
	cosine_to_aggregate(updates, aggregate)
		.into_iter()
		.zip(accepted)
		.map(|(c, &ok)| {
			if ok && c.is_finite() {
				(c.clamp(0.0, 1.0) * 1e9).round() as u32
			} else {
				0
			}
		})
		.collect()
}

/// Accepted indices (reveal order, increasing) as the chain takes them.
pub fn accepted_indices(accepted: &[bool]) -> Vec<u32> {
	accepted
		.iter()
		.enumerate()
		.filter(|(_, &a)| a)
		.map(|(i, _)| i as u32)
		.collect()
}

#[cfg(test)]
mod tests {
	use super::*;
	use fedledger_primitives::rules::{AggregationRule, AggregationSpec};

	fn sync() -> Schedule {
		Schedule::Sync {
			commit_blocks: 2,
			reveal_blocks: 2,
			aggregate_blocks: 2,
			min_updates: 3,
		}
	}

	fn update(values: Vec<f32>, tag: u8) -> RoundUpdate {
		RoundUpdate {
			payload_hash: [tag; 32],
			values,
			num_samples: 10,
			base_version: 0,
		}
	}

	#[test]
	fn multi_krum_rejects_the_outlier_and_scores_it_zero() {
		let base = vec![0.5f32; 4];
		let honest = |k: f32| vec![0.1 + k, 0.1, -0.1, 0.2 - k];
		let updates = vec![
			update(honest(0.0), 1),
			update(honest(0.01), 2),
			update(vec![-5.0, -5.0, 5.0, -5.0], 3),
			update(honest(-0.01), 4),
			update(honest(0.02), 5),
		];
		let spec = AggregationSpec::plain(AggregationRule::MultiKrum { f: 1, m: 3 });
		let next = next_model(0, 1, &sync(), &spec, &base, 0, &updates).unwrap();
		assert!(!next.accepted[2]);
		assert_eq!(next.scores[2], 0);
		assert!(next.scores[0] > 900_000_000);
		assert_eq!(accepted_indices(&next.accepted).len(), 3);
		let w = decode_weights(&next.weights, 4).unwrap();
		assert!((w[0] - 0.6).abs() < 0.05, "{w:?}");
		assert_eq!(next.hash, tensor_codec::digest(&next.weights));
	}

	/// Validators run with different core counts: the reported hash must not depend on it.
	#[test]
	fn the_next_model_is_bit_identical_across_thread_counts() {
		let d = 5_000;
		let base: Vec<f32> = (0..d).map(|i| (i as f32 * 0.37).sin()).collect();
		let updates: Vec<RoundUpdate> = (0..7u8)
			.map(|k| {
				let values = (0..d)
					.map(|i| ((i * (k as usize + 3)) as f32 * 0.011).cos() * 0.1)
					.collect();
				RoundUpdate {
					payload_hash: [k; 32],
					values,
					num_samples: 10 + k as u32,
					base_version: 0,
				}
			})
			.collect();
		for rule in [
			AggregationRule::FedAvg,
			AggregationRule::TrimmedMean { beta: 200_000_000 },
			AggregationRule::MultiKrum { f: 2, m: 3 },
			AggregationRule::GeometricMedian { iters: 8, eps: 1 },
		] {
			let spec = AggregationSpec::plain(rule);
			let run = |threads: usize| {
				rayon::ThreadPoolBuilder::new()
					.num_threads(threads)
					.build()
					.unwrap()
					.install(|| next_model(3, 9, &sync(), &spec, &base, 0, &updates).unwrap())
			};
			let one = run(1);
			let many = run(4);
			assert_eq!(one.hash, many.hash, "{rule:?}");
			assert_eq!(one.accepted, many.accepted, "{rule:?}");
		}
	}

	#[test]
	fn same_inputs_give_the_same_hash_and_a_shape_error_names_the_update() {
		let base = vec![0.0f32; 3];
		let updates: Vec<_> = (0..3)
			.map(|i| update(vec![i as f32, 1.0, 2.0], i as u8))
			.collect();
		let spec = AggregationSpec::plain(AggregationRule::Median);
		let a = next_model(2, 5, &sync(), &spec, &base, 0, &updates).unwrap();
		let b = next_model(2, 5, &sync(), &spec, &base, 0, &updates).unwrap();
		assert_eq!(a.hash, b.hash);
		let mut bad = updates.clone();
		bad[1].values.pop();
		let err = next_model(2, 5, &sync(), &spec, &base, 0, &bad).unwrap_err();
		assert!(
			matches!(err, ConsensusError::Shape { index: 1, .. }),
			"{err}"
		);
	}
}
