//! Offline verification: rebuild a round's next model from update payloads in the canonical
//! codec through the validators' consensus step (`fedledger_ml::consensus::next_model`) and
//! hash it — what an auditor runs to check an on-chain model hash.
//!
//! The files are the revealed payloads; their sha3-256 are the payload hashes the chain
//! records, and with the round context ([`RoundContext`]) they give the bucketing seed, as on
//! chain.

use std::path::{Path, PathBuf};

use fedledger_ml::consensus::{
	next_model, ConsensusError, RoundInputs, RoundUpdate, CHAIN_SERVER_LR,
};
use fedledger_primitives::rules::{AggregationSpec, StalenessFn};
use fedledger_primitives::tensor_codec::{self, CodecError};
use fedledger_primitives::{Digest, ModelId, RoundIndex, VersionIndex};

/// Largest update the verifier decodes (parameters); guards memory against a bogus header.
pub const MAX_PARAMS: u32 = 1 << 28;

/// Why verification failed; names the offending file where there is one.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
	#[error("{path}: cannot read: {source}")]
	Io {
		path: PathBuf,
		source: std::io::Error,
	},
	#[error("{path}: not a canonical tensor payload: {error:?}")]
	Codec { path: PathBuf, error: CodecError },
	#[error("{path}: {got} parameters, the first update has {expected}")]
	Shape {
		path: PathBuf,
		expected: usize,
		got: usize,
	},
	#[error("{0} sample counts for {1} updates")]
	SampleCount(usize, usize),
	#[error("{0} base versions for {1} updates")]
	BaseVersionCount(usize, usize),
	#[error("no update files")]
	NoUpdates,
	#[error(transparent)]
	Consensus(#[from] ConsensusError),
	#[error("encoding the result: {0:?}")]
	Encode(CodecError),
}

/// What the chain fixes about a round besides its payloads and rule.
#[derive(Debug, Clone, PartialEq)]
pub struct RoundContext {
	pub model: ModelId,
	pub round: RoundIndex,
	/// Declared sample count per update [default: all 1].
	pub samples: Option<Vec<u32>>,
	/// Buffered-async staleness function; `None` for a synchronous round.
	pub staleness: Option<StalenessFn>,
	/// The round's base version.
	pub base_version: VersionIndex,
	/// Base version per update [default: all `base_version`].
	pub base_versions: Option<Vec<VersionIndex>>,
	/// Server step ([`CHAIN_SERVER_LR`] on chain).
	pub server_lr: f32,
	/// The round's aggregation seed (`aggregationSeed` of the chain's round; it seeds bucketing).
	pub seed: Digest,
}

impl Default for RoundContext {
	fn default() -> Self {
		Self {
			model: 0,
			round: 0,
			samples: None,
			staleness: None,
			base_version: 0,
			base_versions: None,
			server_lr: CHAIN_SERVER_LR,
			seed: [0; 32],
		}
	}
}

/// The rebuilt round.
#[derive(Debug, Clone, PartialEq)]
pub struct Rebuilt {
	/// sha3-256 of each input payload, in input order.
	pub update_digests: Vec<Digest>,
	/// The rule's verdict per input.
	pub accepted: Vec<bool>,
	/// The aggregate delta encoded as canonical f32, with the updates' shape.
	pub aggregate_payload: Vec<u8>,
	pub aggregate_digest: Digest,
	/// The new model (canonical f32, shape `[d]`) and its digest — the hash validators report —
	/// when a global model was given.
	pub new_model: Option<(Vec<u8>, Digest)>,
}

fn read(path: &Path) -> Result<Vec<u8>, VerifyError> {
	std::fs::read(path).map_err(|source| VerifyError::Io {
		path: path.into(),
		source,
	})
}

fn decode(path: &Path, bytes: &[u8]) -> Result<tensor_codec::DecodedTensor, VerifyError> {
	tensor_codec::decode(bytes, MAX_PARAMS).map_err(|error| VerifyError::Codec {
		path: path.into(),
		error,
	})
}

/// Decodes every update file and runs the round through the consensus step with `spec` and
/// `ctx`; with `global` (the base weights) also the new model. Without it the base is zero
/// and only the aggregate is reported (the aggregate does not depend on the base).
pub fn rebuild_aggregate(
	spec: &AggregationSpec,
	files: &[PathBuf],
	ctx: &RoundContext,
	global: Option<&Path>,
) -> Result<Rebuilt, VerifyError> {
	if files.is_empty() {
		return Err(VerifyError::NoUpdates);
	}
	let n = files.len();
	let samples = match &ctx.samples {
		Some(s) if s.len() != n => return Err(VerifyError::SampleCount(s.len(), n)),
		Some(s) => s.clone(),
		None => vec![1; n],
	};
	let base_versions = match &ctx.base_versions {
		Some(v) if v.len() != n => return Err(VerifyError::BaseVersionCount(v.len(), n)),
		Some(v) => v.clone(),
		None => vec![ctx.base_version; n],
	};
	let mut updates: Vec<RoundUpdate> = Vec::with_capacity(n);
	let mut shape: Vec<u32> = Vec::new();
	for (i, path) in files.iter().enumerate() {
		let bytes = read(path)?;
		let t = decode(path, &bytes)?;
		if shape.is_empty() {
			shape = t.header.shape().to_vec();
		} else if t.values.len() != updates[0].values.len() {
			return Err(VerifyError::Shape {
				path: path.clone(),
				expected: updates[0].values.len(),
				got: t.values.len(),
			});
		}
		updates.push(RoundUpdate {
			payload_hash: tensor_codec::digest(&bytes),
			values: t.values,
			num_samples: samples[i],
			base_version: base_versions[i],
		});
	}
	let d = updates[0].values.len();
	let base = match global {
		None => vec![0.0; d],
		Some(path) => {
			let t = decode(path, &read(path)?)?;
			if t.values.len() != d {
				return Err(VerifyError::Shape {
					path: path.into(),
					expected: d,
					got: t.values.len(),
				});
			}
			t.values
		}
	};
	let update_digests = updates.iter().map(|u| u.payload_hash).collect();
	let inputs = RoundInputs {
		model: ctx.model,
		round: ctx.round,
		spec: *spec,
		staleness: ctx.staleness,
		base,
		base_version: ctx.base_version,
		updates,
		seed: ctx.seed,
		server_lr: ctx.server_lr,
	};
	let next = next_model(&inputs)?;
	let aggregate_payload =
		tensor_codec::encode_f32(&next.delta, &shape).map_err(VerifyError::Encode)?;
	let new_model = global.map(|_| (next.weights.clone(), next.hash));
	Ok(Rebuilt {
		update_digests,
		accepted: next.accepted,
		aggregate_digest: tensor_codec::digest(&aggregate_payload),
		aggregate_payload,
		new_model,
	})
}

/// Lower-case hex of a digest.
pub fn hex(d: &Digest) -> String {
	fedledger_ml::hex::to_hex(d)
}

#[cfg(test)]
mod tests {
	use super::*;
	use fedledger_ml::aggregation::aggregate;
	use fedledger_primitives::rules::AggregationRule;
	use ndarray::{arr2, Array2};

	fn write_updates(dir: &Path, x: &Array2<f32>) -> Vec<PathBuf> {
		x.rows()
			.into_iter()
			.enumerate()
			.map(|(i, r)| {
				let p = dir.join(format!("u{i}.fltc"));
				let bytes = tensor_codec::encode_f32(&r.to_vec(), &[r.len() as u32]).unwrap();
				std::fs::write(&p, bytes).unwrap();
				p
			})
			.collect()
	}

	#[test]
	fn rebuilt_aggregate_matches_in_memory_aggregate_bit_for_bit() {
		let dir = tempfile::tempdir().unwrap();
		let x = arr2(&[
			[1.0f32, 2.0, 3.0],
			[1.5, 2.5, 2.0],
			[100.0, -50.0, 7.0],
			[0.5, 1.0, 3.5],
		]);
		let files = write_updates(dir.path(), &x);
		let spec = AggregationSpec::plain(AggregationRule::Median);
		let w = [10.0, 20.0, 5.0, 1.0];
		let ctx = RoundContext {
			samples: Some(vec![10, 20, 5, 1]),
			..Default::default()
		};
		let rebuilt = rebuild_aggregate(&spec, &files, &ctx, None).unwrap();
		let direct = aggregate(&spec, x.view(), &w).unwrap();
		let expected = tensor_codec::encode_f32(direct.delta.as_slice().unwrap(), &[3]).unwrap();
		assert_eq!(rebuilt.aggregate_payload, expected);
		assert_eq!(rebuilt.aggregate_digest, tensor_codec::digest(&expected));
		assert_eq!(rebuilt.accepted, direct.accepted);
		assert_eq!(rebuilt.update_digests.len(), 4);

		// With a global model, the new model is global + delta.
		let g = dir.path().join("global.fltc");
		std::fs::write(
			&g,
			tensor_codec::encode_f32(&[1.0, 1.0, 1.0], &[3]).unwrap(),
		)
		.unwrap();
		let with_global = rebuild_aggregate(&spec, &files, &ctx, Some(&g)).unwrap();
		let (bytes, digest) = with_global.new_model.unwrap();
		let expected_model: Vec<f32> = direct.delta.iter().map(|v| v + 1.0).collect();
		assert_eq!(
			bytes,
			tensor_codec::encode_f32(&expected_model, &[3]).unwrap()
		);
		assert_eq!(digest, tensor_codec::digest(&bytes));
	}

	#[test]
	fn the_aggregation_seed_decides_the_buckets_deterministically() {
		let dir = tempfile::tempdir().unwrap();
		let x = Array2::from_shape_fn((9, 4), |(i, j)| ((i * 7 + j * 3) % 11) as f32 * 0.1);
		let files = write_updates(dir.path(), &x);
		let spec = AggregationSpec::bucketed(AggregationRule::Median, 2);
		let ctx = RoundContext {
			model: 1,
			round: 7,
			..Default::default()
		};
		let a = rebuild_aggregate(&spec, &files, &ctx, None).unwrap();
		let b = rebuild_aggregate(&spec, &files, &ctx, None).unwrap();
		assert_eq!(a, b);
		// Another chain seed draws other buckets (for some seed among a few).
		let differs = (1..8u8).any(|k| {
			let other = RoundContext {
				seed: [k; 32],
				..ctx.clone()
			};
			rebuild_aggregate(&spec, &files, &other, None)
				.unwrap()
				.accepted != a.accepted
				|| rebuild_aggregate(&spec, &files, &other, None).unwrap() != a
		});
		assert!(differs, "the seed never changed the buckets");
	}

	#[test]
	fn bad_files_are_named() {
		let dir = tempfile::tempdir().unwrap();
		let x = arr2(&[[1.0f32, 2.0], [3.0, 4.0]]);
		let mut files = write_updates(dir.path(), &x);
		let junk = dir.path().join("junk.bin");
		std::fs::write(&junk, b"not a tensor").unwrap();
		files.push(junk);
		let spec = AggregationSpec::plain(AggregationRule::FedAvg);
		let err = rebuild_aggregate(&spec, &files, &RoundContext::default(), None).unwrap_err();
		assert!(matches!(err, VerifyError::Codec { .. }));
		assert!(err.to_string().contains("junk.bin"));
		let odd = dir.path().join("odd.fltc");
		std::fs::write(
			&odd,
			tensor_codec::encode_f32(&[1.0, 2.0, 3.0], &[3]).unwrap(),
		)
		.unwrap();
		files.pop();
		files.push(odd);
		let err = rebuild_aggregate(&spec, &files, &RoundContext::default(), None).unwrap_err();
		assert!(
			matches!(
				err,
				VerifyError::Shape {
					got: 3,
					expected: 2,
					..
				}
			),
			"{err:?}"
		);
		let one_count = RoundContext {
			samples: Some(vec![1]),
			..Default::default()
		};
		assert!(matches!(
			rebuild_aggregate(&spec, &files[..2], &one_count, None),
			Err(VerifyError::SampleCount(1, 2))
		));
	}
}
