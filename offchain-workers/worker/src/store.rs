//! The worker's files under the node's base path: weights and payloads by hash, the version
//! index, per-round manifests, the trainer's commit journal, the validator's report journal
//! and the submitted transactions.
//!
//! Every write goes to a temporary file that is renamed into place, so a crash (even SIGKILL)
//! leaves either the old or the new file, never a torn one. Content-addressed files are
//! checked against their name when read.
//!
//! # Retention
//!
//! Payloads (up to 64 × 512 KiB a round) and candidate weights would otherwise pile up
//! forever, so everything the worker stores for a round is listed in that round's manifest
//! (`rounds/<model>-<round>.json`), and [`Store::prune`] deletes, per model, what belongs to
//! rounds and versions before a [`Retention`] horizon:
//!
//! - **kept**: the version index entry and weights of the last `window` verified versions of
//!   every model (always including the latest, which the follower extends and the trainer
//!   trains from), and the payloads, candidate weights, commit and report journals of its
//!   last `window` rounds;
//! - **deleted**: the payloads, candidates, commit and report journals of older rounds, and
//!   the index entries and weights of older versions;
//! - a file referenced by anything kept (another model's version, a payload seen in two
//!   rounds) is never deleted; files no manifest lists (written before manifests existed) are
//!   left alone.
//!
//! So the RPC serves the weights of the last `window` versions and the payloads of the last
//! `window` rounds. An older version stays rebuildable from chain data (the version links
//! and the payloads in block bodies), as a fresh node rebuilds every version; the store only
//! needs the latest verified version to follow the chain on.

use std::collections::{HashMap, HashSet};
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

/// What a validator must remember between its report commitment and its reveal: the report
/// it committed to, the update set it aggregated and the salt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportJournal {
	/// The new model's hash, hex.
	pub model_hash: String,
	/// The root of the update set aggregated, hex.
	pub updates_root: String,
	pub accepted: Vec<u32>,
	pub scores: Vec<u32>,
	/// The commitment's salt, hex.
	pub salt: String,
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
		for sub in [
			"weights", "payloads", "versions", "commits", "reports", "txs", "rounds",
		] {
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

	/// Saves the validator's report journal for a round (before the commitment is submitted).
	pub fn put_report(
		&self,
		model: ModelId,
		round: RoundIndex,
		journal: &ReportJournal,
	) -> Result<(), StoreError> {
		self.put_json("reports", &format!("{model}-{round}"), journal)
	}

	/// The validator's report journal for a round.
	pub fn report(
		&self,
		model: ModelId,
		round: RoundIndex,
	) -> Result<Option<ReportJournal>, StoreError> {
		self.get_json("reports", &format!("{model}-{round}"))
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

/// What the worker stored for one round of one model (`rounds/<model>-<round>.json`): what
/// [`Store::prune`] deletes once the round is past the retention window.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundManifest {
	/// Update payloads (the trainer's own, and others' read for aggregation), hex hashes.
	pub payloads: Vec<String>,
	/// Weights computed for the round (a validator's aggregate, a follower's rebuild).
	pub candidates: Vec<String>,
}

/// The first round and version of one model that [`Store::prune`] keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retention {
	pub first_round: RoundIndex,
	pub first_version: VersionIndex,
}

impl Retention {
	/// Keeps the last `window` rounds up to `current_round` and the last `window` versions up
	/// to `latest_version` (at least the latest: a window of 0 counts as 1).
	pub fn window(window: u32, current_round: RoundIndex, latest_version: VersionIndex) -> Self {
		let window = window.max(1);
		Self {
			first_round: current_round.saturating_sub(window - 1),
			first_version: latest_version.saturating_sub(window - 1),
		}
	}
}

/// What one [`Store::prune`] deleted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pruned {
	pub files: usize,
	pub bytes: u64,
}

/// `<model>-<index>` (a version entry, or a manifest or journal without its extension).
fn parse_key(name: &str) -> Option<(ModelId, u32)> {
	let (m, i) = name.split_once('-')?;
	Some((m.parse().ok()?, i.parse().ok()?))
}

impl Store {
	fn manifest_key(model: ModelId, round: RoundIndex) -> String {
		format!("{model}-{round}")
	}

	/// The manifest of a round.
	pub fn round_manifest(
		&self,
		model: ModelId,
		round: RoundIndex,
	) -> Result<Option<RoundManifest>, StoreError> {
		self.get_json("rounds", &Self::manifest_key(model, round))
	}

	/// Lists `hash` in a round's manifest (before the file is written: a crash in between
	/// leaves an entry without a file, which pruning skips, never a file nothing lists).
	fn note(
		&self,
		model: ModelId,
		round: RoundIndex,
		hash: &Digest,
		candidate: bool,
	) -> Result<(), StoreError> {
		let mut manifest = self.round_manifest(model, round)?.unwrap_or_default();
		let list = if candidate {
			&mut manifest.candidates
		} else {
			&mut manifest.payloads
		};
		let hex = to_hex(hash);
		if list.contains(&hex) {
			return Ok(());
		}
		list.push(hex);
		self.put_json("rounds", &Self::manifest_key(model, round), &manifest)
	}

	/// Stores an update payload of a round (listed in its manifest); returns its hash.
	pub fn put_round_payload(
		&self,
		model: ModelId,
		round: RoundIndex,
		bytes: &[u8],
	) -> Result<Digest, StoreError> {
		self.note(model, round, &tensor_codec::digest(bytes), false)?;
		self.put_payload(bytes)
	}

	/// Stores weights computed for a round (listed in its manifest); returns their hash.
	pub fn put_candidate(
		&self,
		model: ModelId,
		round: RoundIndex,
		bytes: &[u8],
	) -> Result<Digest, StoreError> {
		self.note(model, round, &tensor_codec::digest(bytes), true)?;
		self.put_weights(bytes)
	}

	/// `(model, index, file name)` of every `<model>-<index>[suffix]` file in `dir`.
	fn keyed_files(
		&self,
		dir: &str,
		suffix: &str,
	) -> Result<Vec<(ModelId, u32, String)>, StoreError> {
		let path = self.root.join(dir);
		let entries = fs::read_dir(&path).map_err(|source| StoreError::Io {
			path: path.clone(),
			source,
		})?;
		let mut out = Vec::new();
		for entry in entries.flatten() {
			let name = entry.file_name().to_string_lossy().into_owned();
			let Some(stem) = name.strip_suffix(suffix) else {
				continue;
			};
			if let Some((model, index)) = parse_key(stem) {
				out.push((model, index, stem.to_string()));
			}
		}
		Ok(out)
	}

	/// The versions of `model` in the index, in increasing order.
	pub fn versions_of(&self, model: ModelId) -> Result<Vec<VersionIndex>, StoreError> {
		let mut out: Vec<VersionIndex> = self
			.keyed_files("versions", "")?
			.into_iter()
			.filter(|(m, _, _)| *m == model)
			.map(|(_, v, _)| v)
			.collect();
		out.sort_unstable();
		Ok(out)
	}

	/// The highest version of `model` whose index entry and weights are both present: the
	/// index is written only after the version was verified (and only in order), so that is
	/// the highest verified version, also after pruning removed the older ones.
	pub fn latest_version(&self, model: ModelId) -> Result<Option<VersionIndex>, StoreError> {
		for v in self.versions_of(model)?.into_iter().rev() {
			if let Some(hash) = self.version(model, v)? {
				if self.weights(&hash)?.is_some() {
					return Ok(Some(v));
				}
			}
		}
		Ok(None)
	}

	/// Deletes a file, counting what it freed; a missing file is not an error.
	fn remove_counted(path: &Path, pruned: &mut Pruned) -> Result<(), StoreError> {
		let len = fs::metadata(path).map(|m| m.len()).unwrap_or(0);
		match fs::remove_file(path) {
			Ok(()) => {
				pruned.files += 1;
				pruned.bytes += len;
				Ok(())
			}
			Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
			Err(source) => Err(StoreError::Io {
				path: path.into(),
				source,
			}),
		}
	}

	/// The file of a hex hash read from a manifest or journal (`None` unless it is one: a
	/// damaged manifest must not name a path outside the store).
	fn hashed_path(&self, dir: &str, hex: &str) -> Option<PathBuf> {
		let hash = digest_from_hex(hex)?;
		Some(self.root.join(dir).join(format!("{}.fltc", to_hex(&hash))))
	}

	fn remove_hashed(&self, dir: &str, hex: &str, pruned: &mut Pruned) -> Result<(), StoreError> {
		match self.hashed_path(dir, hex) {
			Some(path) => Self::remove_counted(&path, pruned),
			None => Ok(()),
		}
	}

	/// Deletes what belongs to rounds and versions before each listed model's [`Retention`]
	/// (see the module docs); models not in `keep` are left untouched. Mark and sweep: every
	/// hash a kept version, manifest or commit journal names (of any model) survives.
	pub fn prune(&self, keep: &HashMap<ModelId, Retention>) -> Result<Pruned, StoreError> {
		let old_round = |m: ModelId, r: RoundIndex| keep.get(&m).is_some_and(|k| r < k.first_round);
		let old_version =
			|m: ModelId, v: VersionIndex| keep.get(&m).is_some_and(|k| v < k.first_version);
		let versions = self.keyed_files("versions", "")?;
		let manifests = self.keyed_files("rounds", ".json")?;
		let commits = self.keyed_files("commits", ".json")?;
		let reports = self.keyed_files("reports", ".json")?;

		// Mark.
		let mut live_weights = HashSet::new();
		let mut live_payloads = HashSet::new();
		let mut expired_versions = Vec::new();
		for (m, v, _) in versions {
			let Some(hash) = self.version(m, v)? else {
				continue;
			};
			if old_version(m, v) {
				expired_versions.push((m, v, to_hex(&hash)));
			} else {
				live_weights.insert(to_hex(&hash));
			}
		}
		let mut expired_manifests = Vec::new();
		for (m, r, key) in manifests {
			let Some(manifest) = self.get_json::<RoundManifest>("rounds", &key)? else {
				continue;
			};
			if old_round(m, r) {
				expired_manifests.push((key, manifest));
			} else {
				live_payloads.extend(manifest.payloads);
				live_weights.extend(manifest.candidates);
			}
		}
		let mut expired_commits = Vec::new();
		for (m, r, key) in commits {
			let Some(journal) = self.get_json::<CommitJournal>("commits", &key)? else {
				continue;
			};
			if old_round(m, r) {
				expired_commits.push((key, journal));
			} else {
				live_payloads.insert(journal.payload_hash);
			}
		}

		// Sweep: the files first, the entries naming them last, so a crash in between leaves
		// an entry whose file is gone (the next prune finishes it), never an unlisted file.
		let mut pruned = Pruned::default();
		for (key, manifest) in expired_manifests {
			for p in manifest
				.payloads
				.iter()
				.filter(|p| !live_payloads.contains(*p))
			{
				self.remove_hashed("payloads", p, &mut pruned)?;
			}
			for c in manifest
				.candidates
				.iter()
				.filter(|c| !live_weights.contains(*c))
			{
				self.remove_hashed("weights", c, &mut pruned)?;
			}
			Self::remove_counted(&self.json_path("rounds", &key), &mut pruned)?;
		}
		for (key, journal) in expired_commits {
			if !live_payloads.contains(&journal.payload_hash) {
				self.remove_hashed("payloads", &journal.payload_hash, &mut pruned)?;
			}
			Self::remove_counted(&self.json_path("commits", &key), &mut pruned)?;
		}
		for (m, r, key) in reports {
			if old_round(m, r) {
				Self::remove_counted(&self.json_path("reports", &key), &mut pruned)?;
			}
		}
		for (m, v, hash) in expired_versions {
			if !live_weights.contains(&hash) {
				self.remove_hashed("weights", &hash, &mut pruned)?;
			}
			Self::remove_counted(&self.version_path(m, v), &mut pruned)?;
		}
		Ok(pruned)
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
