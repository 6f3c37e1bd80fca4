//! The deterministic step from a round's revealed updates to the next global model: what
//! every validator computes and reports, every full node re-checks against the on-chain hash,
//! the simulator measures and `fedledger-sim aggregate` rebuilds offline. There is one
//! implementation, [`next_model`], so those four can never drift apart.
//!
//! Inputs ([`RoundInputs`]) are exactly what the chain fixes: the round context (model id and
//! round index), the rule, the staleness function in buffered-async mode, the base weights
//! (version `base_version`), and the updates in reveal order with their payload hashes,
//! declared sample counts and base versions. The only input the chain does not fix is
//! [`RoundInputs::server_lr`], a simulator knob for experiments; the chain uses
//! [`CHAIN_SERVER_LR`] (1.0), with which the step is bit-identical to a step without it.
//!
//! * **Bucketing seed**: from the round context and the randomness the round pallet fixed
//!   when the reveal phase closed ([`RoundInputs::seed`], the hash of the reveal window's last
//!   block), so every node draws the same buckets and no trainer's payload (or decision to
//!   reveal) enters the permutation ([`RoundInputs::bucket_seed`]).
//! * **Sample weights**: the model's [`SampleWeighting`](fedledger_primitives::rules::SampleWeighting)
//!   of the declared counts (unweighted unless the owner capped them), times the staleness
//!   discount ([`RoundInputs::sample_weights`]).
//! * **Step**: `base + s·delta` with `s = server_lr × mean staleness discount` (FedBuff; 1 in
//!   synchronous rounds), one f32 operation per coordinate, saturating: a coordinate that
//!   would overflow becomes `±f32::MAX`, so the next model is always encodable and the same
//!   bytes on every node.
//!
//! The aggregation kernels are bit-identical across thread counts (see `aggregation`).

use fedledger_primitives::{
	model::Schedule,
	rules::{AggregationSpec, StalenessFn},
	tensor_codec, Digest, ModelId, RoundIndex, VersionIndex,
};
use ndarray::{Array2, ArrayView1};

use crate::aggregation::{aggregate_with_seed, bucket_seed, sample_weights, staleness_weight};
use crate::scoring::cosine_to_aggregate;

/// The server step size the chain applies (validators and followers always use it).
pub const CHAIN_SERVER_LR: f32 = 1.0;

/// One decoded update of a round.
#[derive(Clone, Debug, PartialEq)]
pub struct RoundUpdate {
	/// sha3-256 of the payload as revealed (its canonical-codec bytes).
	pub payload_hash: Digest,
	pub values: Vec<f32>,
	/// Declared sample count.
	pub num_samples: u32,
	/// Version the update was trained against (buffered-async staleness).
	pub base_version: VersionIndex,
}

impl RoundUpdate {
	/// An update as a trainer reveals it: `values` encoded in the canonical codec (f32,
	/// shape `[len]`), and that payload's hash. The simulator builds its updates this way, so
	/// its bucketing seed is the one the chain's payloads give.
	pub fn from_values(
		values: Vec<f32>,
		num_samples: u32,
		base_version: VersionIndex,
	) -> Result<Self, tensor_codec::CodecError> {
		let payload = tensor_codec::encode_f32(&values, &[values.len() as u32])?;
		Ok(Self {
			payload_hash: tensor_codec::digest(&payload),
			values,
			num_samples,
			base_version,
		})
	}
}

/// Everything the next model of a round depends on.
#[derive(Clone, Debug, PartialEq)]
pub struct RoundInputs {
	/// Round context: which model …
	pub model: ModelId,
	/// … and which round (enters the bucketing seed).
	pub round: RoundIndex,
	/// The robust rule (with optional bucketing).
	pub spec: AggregationSpec,
	/// Buffered-async staleness discount; `None` for a synchronous round.
	pub staleness: Option<StalenessFn>,
	/// The round's base weights.
	pub base: Vec<f32>,
	/// The round's base version (staleness is measured from it).
	pub base_version: VersionIndex,
	/// The updates in reveal order.
	pub updates: Vec<RoundUpdate>,
	/// Randomness the chain fixed after the reveal deadline (the round's `aggregation_seed`).
	pub seed: Digest,
	/// Server step size: [`CHAIN_SERVER_LR`] on chain; experiments may vary it.
	pub server_lr: f32,
}

/// The staleness function of a schedule (`None` for synchronous rounds).
pub fn staleness_of(schedule: &Schedule) -> Option<StalenessFn> {
	match schedule {
		Schedule::Sync { .. } => None,
		Schedule::BufferedAsync { staleness, .. } => Some(*staleness),
	}
}

impl RoundInputs {
	/// Staleness discount of each update (all 1 in a synchronous round).
	pub fn discounts(&self) -> Vec<f64> {
		self.updates
			.iter()
			.map(|u| match &self.staleness {
				None => 1.0,
				Some(s) => staleness_weight(s, self.base_version.saturating_sub(u.base_version)),
			})
			.collect()
	}

	/// Weight of each update: what the model's sample weighting gives its declared count,
	/// times its staleness discount.
	pub fn sample_weights(&self) -> Vec<f64> {
		let declared: Vec<u32> = self.updates.iter().map(|u| u.num_samples).collect();
		sample_weights(&self.spec.weighting, &declared)
			.into_iter()
			.zip(self.discounts())
			.map(|(w, s)| w * s)
			.collect()
	}

	/// The bucketing seed: round context and the chain's seed, never the updates.
	pub fn bucket_seed(&self) -> [u8; 32] {
		bucket_seed(&round_context(self.model, self.round), &self.seed)
	}

	/// The updates as a row-major `n × d` matrix; errors name the update of the wrong length.
	pub fn matrix(&self) -> Result<Array2<f32>, ConsensusError> {
		let d = self.base.len();
		let n = self.updates.len();
		let mut rows = Vec::with_capacity(n * d);
		for (index, u) in self.updates.iter().enumerate() {
			if u.values.len() != d {
				return Err(ConsensusError::Shape {
					index,
					expected: d,
					got: u.values.len(),
				});
			}
			rows.extend_from_slice(&u.values);
		}
		Ok(Array2::from_shape_vec((n, d), rows).expect("n rows of d values"))
	}
}

/// The next global model and the verdict on each update.
#[derive(Clone, Debug, PartialEq)]
pub struct NextModel {
	/// New weights in the canonical codec (f32, shape `[parameter_count]`).
	pub weights: Vec<u8>,
	/// Their sha3-256: the hash validators report.
	pub hash: Digest,
	/// The aggregate the rule produced, before the step (data-based scorers value it).
	pub delta: Vec<f32>,
	/// Accepted by the robust rule, per update in reveal order.
	pub accepted: Vec<bool>,
	/// Cosine-to-aggregate score per update, parts per billion (rejected updates score 0).
	pub scores: Vec<u32>,
}

impl NextModel {
	/// The new weights as values (the codec is lossless for f32).
	pub fn values(&self) -> Vec<f32> {
		tensor_codec::decode(&self.weights, u32::MAX)
			.expect("encoded by next_model")
			.values
	}
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
	/// The model declares more parameters than this node's cap: nothing was allocated.
	#[error("the model declares {count} parameters, above this node's cap of {cap}")]
	TooManyParameters { count: u32, cap: u32 },
	/// A payload that is not a tensor of the model's parameter count.
	#[error("payload: {0:?}")]
	Payload(tensor_codec::CodecError),
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

/// Decodes a canonical tensor of exactly `parameter_count` values (weights or an update) for a
/// node that follows models of at most `cap` parameters.
///
/// The cap is checked before anything else, and the header (the declared count must be
/// `parameter_count`, and the body must be as long as the header says) before the one
/// allocation of `parameter_count` values: a hostile model declaring billions of parameters
/// with a 32-byte sparse payload costs an error, not `4 × count` bytes. So this never allocates
/// more than `4 × cap` bytes (plus the `Vec` header).
pub fn decode_capped(
	bytes: &[u8],
	parameter_count: u32,
	cap: u32,
) -> Result<Vec<f32>, ConsensusError> {
	if parameter_count > cap {
		return Err(ConsensusError::TooManyParameters {
			count: parameter_count,
			cap,
		});
	}
	let header = tensor_codec::validate(bytes, parameter_count).map_err(ConsensusError::Payload)?;
	if header.param_count != parameter_count {
		return Err(ConsensusError::Shape {
			index: usize::MAX,
			expected: parameter_count as usize,
			got: header.param_count as usize,
		});
	}
	let mut values = vec![0.0f32; parameter_count as usize];
	tensor_codec::decode_into(bytes, parameter_count, &mut values)
		.map_err(ConsensusError::Payload)?;
	Ok(values)
}

/// Computes the next model of a round (see the module docs for what enters it).
pub fn next_model(inputs: &RoundInputs) -> Result<NextModel, ConsensusError> {
	let d = inputs.base.len();
	let n = inputs.updates.len();
	let x = inputs.matrix()?;
	let discounts = inputs.discounts();
	let weights = inputs.sample_weights();
	let outcome = aggregate_with_seed(&inputs.spec, x.view(), &weights, &inputs.bucket_seed())?;
	// FedBuff: the buffer's mean staleness discount scales the server step (sync: exactly 1).
	// With the chain's server step of 1.0 the product is the discount, bit for bit.
	let step = inputs.server_lr * (discounts.iter().sum::<f64>() / n.max(1) as f64) as f32;
	let new: Vec<f32> = inputs
		.base
		.iter()
		.zip(outcome.delta.iter())
		.map(|(b, dlt)| {
			let v = if step == 1.0 { b + dlt } else { b + step * dlt };
			// Finite inputs give a finite sum or ±∞ (never NaN: only one term can overflow,
			// base and delta are finite); ±∞ saturates to ±f32::MAX.
			v.clamp(-f32::MAX, f32::MAX)
		})
		.collect();
	let weights_bytes =
		tensor_codec::encode_f32(&new, &[d as u32]).map_err(ConsensusError::Encode)?;
	let hash = tensor_codec::digest(&weights_bytes);
	let scores = cosine_scores(x.view(), outcome.delta.view(), &outcome.accepted);
	Ok(NextModel {
		weights: weights_bytes,
		hash,
		delta: outcome.delta.to_vec(),
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
mod tests;
