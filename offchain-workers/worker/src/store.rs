//! The worker's files under the node's base path: weights and payloads by hash, the version
//! index, the trainer's commit journal and the submitted transactions.
//!
//! Every write goes to a temporary file that is renamed into place, so a crash (even SIGKILL)
//! leaves either the old or the new file, never a torn one. Content-addressed files are
//! checked against their name when read.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use fedledger_ml::hex::{digest_from_hex, to_hex};
use fedledger_primitives::{tensor_codec, Digest, ModelId, RoundIndex, VersionIndex};
use serde::{Deserialize, Serialize};

/// Store errors name the file.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
	#[error("{path}: {source}")]
	Io {
		path: PathBuf,
		source: std::io::Error,
	},
	#[error("{path}: {message}")]
	Corrupt { path: PathBuf, message: String },
}

/// What a trainer must remember between its commit and its reveal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitJournal {
	/// Hash of the update payload (the payload itself is in `payloads/`).
	pub payload_hash: String,
	/// The commitment's salt, hex.
	pub salt: String,
	pub num_samples: u32,
	pub base_version: VersionIndex,
}

/// A transaction the worker signed, kept until the chain shows its effect.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxJournal {
	pub nonce: u32,
	/// The signed extrinsic, hex.
	pub bytes: String,
	/// Best block number when it was signed.
	pub submitted_at: u32,
	/// How many times this duty was signed.
	#[serde(default)]
	pub attempts: u32,
}

/// The worker's directory.
#[derive(Debug, Clone)]
pub struct Store {
	root: PathBuf,
}

impl Store {
	/// Opens (creating) the store at `root`.
	pub fn open(root: &Path) -> Result<Self, StoreError> {
		for sub in ["weights", "payloads", "versions", "commits", "txs"] {
			let dir = root.join(sub);
			fs::create_dir_all(&dir).map_err(|source| StoreError::Io { path: dir, source })?;
		}
		Ok(Self { root: root.into() })
	}

	/// The store's directory.
	pub fn root(&self) -> &Path {
		&self.root
	}

	fn write_atomic(&self, path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
		let io = |source| StoreError::Io {
			path: path.into(),
			source,
		};
		let tmp = path.with_extension("tmp");
		let mut f = fs::File::create(&tmp).map_err(io)?;
		f.write_all(bytes).map_err(io)?;
		f.sync_all().map_err(io)?;
		fs::rename(&tmp, path).map_err(io)
	}

	fn read_opt(path: &Path) -> Result<Option<Vec<u8>>, StoreError> {
		match fs::read(path) {
			Ok(b) => Ok(Some(b)),
			Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
			Err(source) => Err(StoreError::Io {
				path: path.into(),
				source,
			}),
		}
	}

	fn put_by_hash(&self, dir: &str, bytes: &[u8]) -> Result<Digest, StoreError> {
		let hash = tensor_codec::digest(bytes);
		let path = self.root.join(dir).join(format!("{}.fltc", to_hex(&hash)));
		if !path.exists() {
			self.write_atomic(&path, bytes)?;
		}
		Ok(hash)
	}

	fn get_by_hash(&self, dir: &str, hash: &Digest) -> Result<Option<Vec<u8>>, StoreError> {
		let path = self.root.join(dir).join(format!("{}.fltc", to_hex(hash)));
		let Some(bytes) = Self::read_opt(&path)? else {
			return Ok(None);
		};
		if tensor_codec::digest(&bytes) != *hash {
			return Err(StoreError::Corrupt {
				path,
				message: "content does not hash to the file name".into(),
			});
		}
		Ok(Some(bytes))
	}

	/// Stores model weights (canonical codec bytes); returns their hash.
	pub fn put_weights(&self, bytes: &[u8]) -> Result<Digest, StoreError> {
		self.put_by_hash("weights", bytes)
	}

	/// Model weights by hash.
	pub fn weights(&self, hash: &Digest) -> Result<Option<Vec<u8>>, StoreError> {
		self.get_by_hash("weights", hash)
	}

	/// Stores an update payload; returns its hash.
	pub fn put_payload(&self, bytes: &[u8]) -> Result<Digest, StoreError> {
		self.put_by_hash("payloads", bytes)
	}

	/// An update payload by hash.
	pub fn payload(&self, hash: &Digest) -> Result<Option<Vec<u8>>, StoreError> {
		self.get_by_hash("payloads", hash)
	}

	fn version_path(&self, model: ModelId, version: VersionIndex) -> PathBuf {
		self.root
			.join("versions")
			.join(format!("{model}-{version}"))
	}

	/// Records that `version` of `model` has weights `hash` (verified against the chain).
	pub fn put_version(
		&self,
		model: ModelId,
		version: VersionIndex,
		hash: &Digest,
	) -> Result<(), StoreError> {
		self.write_atomic(&self.version_path(model, version), to_hex(hash).as_bytes())
	}

	/// The verified hash of `version` of `model`, if known.
	pub fn version(
		&self,
		model: ModelId,
		version: VersionIndex,
	) -> Result<Option<Digest>, StoreError> {
		let path = self.version_path(model, version);
		let Some(bytes) = Self::read_opt(&path)? else {
			return Ok(None);
		};
		let text = String::from_utf8_lossy(&bytes);
		digest_from_hex(text.trim())
			.map(Some)
			.ok_or(StoreError::Corrupt {
				path,
				message: "not a 32-byte hex hash".into(),
			})
	}

	fn json_path(&self, dir: &str, key: &str) -> PathBuf {
		self.root.join(dir).join(format!("{key}.json"))
	}

	fn put_json<T: Serialize>(&self, dir: &str, key: &str, value: &T) -> Result<(), StoreError> {
		let bytes = serde_json::to_vec_pretty(value).expect("journal types serialize");
		self.write_atomic(&self.json_path(dir, key), &bytes)
	}

	fn get_json<T: for<'de> Deserialize<'de>>(
		&self,
		dir: &str,
		key: &str,
	) -> Result<Option<T>, StoreError> {
		let path = self.json_path(dir, key);
		let Some(bytes) = Self::read_opt(&path)? else {
			return Ok(None);
		};
		serde_json::from_slice(&bytes)
			.map(Some)
			.map_err(|e| StoreError::Corrupt {
				path,
				message: e.to_string(),
			})
	}

	/// Saves the trainer's commit journal for a round (before the commit is submitted).
	pub fn put_commit(
		&self,
		model: ModelId,
		round: RoundIndex,
		journal: &CommitJournal,
	) -> Result<(), StoreError> {
		self.put_json("commits", &format!("{model}-{round}"), journal)
	}

	/// The trainer's commit journal for a round.
	pub fn commit(
		&self,
		model: ModelId,
		round: RoundIndex,
	) -> Result<Option<CommitJournal>, StoreError> {
		self.get_json("commits", &format!("{model}-{round}"))
	}

	/// Saves a submitted transaction under its duty key (e.g. `commit-0-3`).
	pub fn put_tx(&self, key: &str, tx: &TxJournal) -> Result<(), StoreError> {
		self.put_json("txs", key, tx)
	}

	/// The transaction submitted for a duty key.
	pub fn tx(&self, key: &str) -> Result<Option<TxJournal>, StoreError> {
		self.get_json("txs", key)
	}

	/// Forgets the transaction of a duty key.
	pub fn remove_tx(&self, key: &str) -> Result<(), StoreError> {
		let path = self.json_path("txs", key);
		match fs::remove_file(&path) {
			Ok(()) => Ok(()),
			Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
			Err(source) => Err(StoreError::Io { path, source }),
		}
	}

	/// Every journaled transaction (duty key, journal).
	pub fn txs(&self) -> Result<Vec<(String, TxJournal)>, StoreError> {
		let dir = self.root.join("txs");
		let entries = fs::read_dir(&dir).map_err(|source| StoreError::Io {
			path: dir.clone(),
			source,
		})?;
		let mut out = Vec::new();
		for entry in entries {
			let entry = match entry {
				Ok(e) => e,
				Err(e) => {
					log::warn!(target: crate::LOG_TARGET, "{}: unreadable entry: {e}", dir.display());
					continue;
				}
			};
			let name = entry.file_name().to_string_lossy().into_owned();
			if let Some(key) = name.strip_suffix(".json") {
				if let Some(tx) = self.tx(key)? {
					out.push((key.to_string(), tx));
				}
			}
		}
		out.sort_by_key(|(_, tx)| tx.nonce);
		Ok(out)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn content_addressed_files_round_trip_and_detect_corruption() {
		let dir = tempfile::tempdir().unwrap();
		let store = Store::open(dir.path()).unwrap();
		let bytes = tensor_codec::encode_f32(&[1.0, 2.0], &[2]).unwrap();
		let hash = store.put_weights(&bytes).unwrap();
		assert_eq!(store.weights(&hash).unwrap(), Some(bytes.clone()));
		assert_eq!(store.weights(&[0; 32]).unwrap(), None);
		let path = dir
			.path()
			.join("weights")
			.join(format!("{}.fltc", to_hex(&hash)));
		fs::write(&path, b"garbage").unwrap();
		let err = store.weights(&hash).unwrap_err();
		assert!(err.to_string().contains(&to_hex(&hash)), "{err}");
	}

	#[test]
	fn journals_survive_reopening() {
		let dir = tempfile::tempdir().unwrap();
		let journal = CommitJournal {
			payload_hash: to_hex(&[3; 32]),
			salt: to_hex(&[9; 32]),
			num_samples: 12,
			base_version: 4,
		};
		{
			let store = Store::open(dir.path()).unwrap();
			store.put_commit(1, 2, &journal).unwrap();
			store.put_version(1, 4, &[5; 32]).unwrap();
			store
				.put_tx(
					"commit-1-2",
					&TxJournal {
						nonce: 7,
						bytes: "abcd".into(),
						submitted_at: 10,
						attempts: 1,
					},
				)
				.unwrap();
		}
		let store = Store::open(dir.path()).unwrap();
		assert_eq!(store.commit(1, 2).unwrap(), Some(journal));
		assert_eq!(store.commit(1, 3).unwrap(), None);
		assert_eq!(store.version(1, 4).unwrap(), Some([5; 32]));
		let txs = store.txs().unwrap();
		assert_eq!(txs.len(), 1);
		assert_eq!(txs[0].0, "commit-1-2");
		assert_eq!(txs[0].1.nonce, 7);
	}
}
