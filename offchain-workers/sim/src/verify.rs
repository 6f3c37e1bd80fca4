//! Offline verification: rebuild a round's aggregate from update payloads in the canonical
//! codec and hash it — what a validator or auditor runs to check an on-chain model hash.

use std::path::{Path, PathBuf};

use fedledger_primitives::rules::AggregationSpec;
use fedledger_primitives::tensor_codec::{self, CodecError};
use fedledger_primitives::Digest;
use ndarray::{Array1, Array2};

use fedledger_ml::aggregation::{
	aggregate, aggregate_with_seed, bucket_seed_from_hashes, AggregationError,
};

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
	#[error("{0} weights for {1} updates")]
	WeightCount(usize, usize),
	#[error("no update files")]
	NoUpdates,
	#[error("aggregation: {0}")]
	Aggregation(#[from] AggregationError),
	#[error("encoding the result: {0:?}")]
	Encode(CodecError),
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
	/// `global + delta` as canonical f32 and its digest, when a global model was given.
	pub new_model: Option<(Vec<u8>, Digest)>,
}

/// How the bucket assignment seed is chosen when the spec has bucketing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BucketSeed {
	/// Derived from the update contents (what [`aggregate`] does).
	Content,
	/// From the round context bytes and the payload hashes (the validator path).
	Context(Vec<u8>),
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

/// Decodes every update file, aggregates them with `spec` and `weights` (all 1 when `None`),
/// and hashes the result; with `global`, also the new model `global + delta`.
pub fn rebuild_aggregate(
	spec: &AggregationSpec,
	files: &[PathBuf],
	weights: Option<&[f64]>,
	bucket_seed: &BucketSeed,
	global: Option<&Path>,
) -> Result<Rebuilt, VerifyError> {
	if files.is_empty() {
		return Err(VerifyError::NoUpdates);
	}
	let mut rows: Vec<f32> = Vec::new();
	let mut digests = Vec::with_capacity(files.len());
	let mut shape: Vec<u32> = Vec::new();
	for path in files {
		let bytes = read(path)?;
		let t = decode(path, &bytes)?;
		if shape.is_empty() {
			shape = t.header.shape().to_vec();
		} else if t.values.len() != rows.len() / digests.len() {
			return Err(VerifyError::Shape {
				path: path.clone(),
				expected: rows.len() / digests.len(),
				got: t.values.len(),
			});
		}
		digests.push(tensor_codec::digest(&bytes));
		rows.extend_from_slice(&t.values);
	}
	let n = files.len();
	let d = rows.len() / n;
	let weights: Vec<f64> = match weights {
		Some(w) if w.len() != n => return Err(VerifyError::WeightCount(w.len(), n)),
		Some(w) => w.to_vec(),
		None => vec![1.0; n],
	};
	let x = Array2::from_shape_vec((n, d), rows).expect("n rows of d values");
	let outcome = match (spec.bucketing, bucket_seed) {
		(Some(_), BucketSeed::Context(ctx)) => aggregate_with_seed(
			spec,
			x.view(),
			&weights,
			&bucket_seed_from_hashes(ctx, &digests),
		)?,
		_ => aggregate(spec, x.view(), &weights)?,
	};
	let encode = |v: &Array1<f32>| {
		tensor_codec::encode_f32(v.as_slice().expect("contiguous"), &shape)
			.map_err(VerifyError::Encode)
	};
	let aggregate_payload = encode(&outcome.delta)?;
	let new_model = match global {
		None => None,
		Some(path) => {
			let t = decode(path, &read(path)?)?;
			if t.values.len() != d {
				return Err(VerifyError::Shape {
					path: path.into(),
					expected: d,
					got: t.values.len(),
				});
			}
			let model = Array1::from(t.values) + &outcome.delta;
			let bytes = encode(&model)?;
			let h = tensor_codec::digest(&bytes);
			Some((bytes, h))
		}
	};
	Ok(Rebuilt {
		update_digests: digests,
		accepted: outcome.accepted,
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
	use fedledger_primitives::rules::AggregationRule;
	use ndarray::arr2;

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
		let rebuilt =
			rebuild_aggregate(&spec, &files, Some(&w), &BucketSeed::Content, None).unwrap();
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
		let with_global =
			rebuild_aggregate(&spec, &files, Some(&w), &BucketSeed::Content, Some(&g)).unwrap();
		let (bytes, digest) = with_global.new_model.unwrap();
		let expected_model: Vec<f32> = direct.delta.iter().map(|v| v + 1.0).collect();
		assert_eq!(
			bytes,
			tensor_codec::encode_f32(&expected_model, &[3]).unwrap()
		);
		assert_eq!(digest, tensor_codec::digest(&bytes));
	}

	#[test]
	fn context_seed_changes_only_bucketed_results_deterministically() {
		let dir = tempfile::tempdir().unwrap();
		let x = Array2::from_shape_fn((9, 4), |(i, j)| (i * 4 + j) as f32 * 0.1);
		let files = write_updates(dir.path(), &x);
		let spec = AggregationSpec {
			rule: AggregationRule::Median,
			bucketing: Some(2),
		};
		let ctx = BucketSeed::Context(b"model 1 round 7".to_vec());
		let a = rebuild_aggregate(&spec, &files, None, &ctx, None).unwrap();
		let b = rebuild_aggregate(&spec, &files, None, &ctx, None).unwrap();
		assert_eq!(a, b);
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
		let err = rebuild_aggregate(&spec, &files, None, &BucketSeed::Content, None).unwrap_err();
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
		let err = rebuild_aggregate(&spec, &files, None, &BucketSeed::Content, None).unwrap_err();
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
		assert!(matches!(
			rebuild_aggregate(&spec, &files[..2], Some(&[1.0]), &BucketSeed::Content, None),
			Err(VerifyError::WeightCount(1, 2))
		));
	}
}
