//! Following a model's version chain: every node rebuilds each version from chain data and
//! checks it against the on-chain hash.

use std::time::Instant;

use fedledger_primitives::{tensor_codec, Digest, ModelId};

use fedledger_ml::consensus::{
	decode_capped, next_model, staleness_of, NextModel, RoundInputs, RoundUpdate, CHAIN_SERVER_LR,
};
use fedledger_ml::hex::to_hex;

use super::LOG_TARGET;
use super::{BlockRef, Chain, ModelState, RoundState, UpdateRef, Worker, WorkerError};

impl<C: Chain> Worker<C> {
	/// Highest verified version of `model` in the store (looked up once, then cached; the
	/// store may have pruned the versions below it).
	fn verified_version(&mut self, model: ModelId) -> Result<Option<u32>, WorkerError> {
		if let Some(v) = self.verified.get(&model) {
			return Ok(Some(*v));
		}
		let last = self.store.latest_version(model)?;
		if let Some(v) = last {
			self.verified.insert(model, v);
		}
		Ok(last)
	}

	fn mark_verified(
		&mut self,
		model: ModelId,
		version: u32,
		hash: &Digest,
	) -> Result<(), WorkerError> {
		self.store.put_version(model, version, hash)?;
		self.verified.insert(model, version);
		if let Some(m) = &self.metrics {
			m.versions_verified.inc();
			m.model_version
				.with_label_values(&[&model.to_string()])
				.set(version as u64);
		}
		Ok(())
	}

	/// Rebuilds and verifies every version of `model` up to the chain's current one.
	pub(super) fn follow_versions(
		&mut self,
		at: &BlockRef,
		model: &ModelState,
	) -> Result<(), WorkerError> {
		if self.diverged.contains_key(&model.id) {
			return Ok(());
		}
		let next = self.verified_version(model.id)?.map_or(0, |v| v + 1);
		for version in next..=model.version {
			let Some(link) = self.chain.version(at, model.id, version)? else {
				return Ok(());
			};
			if version == 0 {
				if !self.load_initial(model, &link.hash)? {
					return Ok(());
				}
				self.mark_verified(model.id, 0, &link.hash)?;
				continue;
			}
			let parent_ok = link.parent.is_some()
				&& link.parent == self.store.version(model.id, version - 1)?;
			if !parent_ok {
				return Err(WorkerError::Round {
					model: model.id,
					round: link.round.unwrap_or_default(),
					message: format!(
						"version {version} does not link to the local version {}",
						version - 1
					),
				});
			}
			if self.store.weights(&link.hash)?.is_none() {
				let Some(round) = link.round else {
					log::debug!(
						target: LOG_TARGET,
						"model {} version {version}: no round to rebuild it from; waiting",
						model.id
					);
					return Ok(());
				};
				if !self.admit_heavy(model.id) {
					return Ok(()); // rebuilt in the heavy pass (or a later wake-up)
				}
				let Some(info) = self.chain.round(at, model.id, round)? else {
					log::debug!(
						target: LOG_TARGET,
						"model {} version {version}: round {round} not found; waiting",
						model.id
					);
					return Ok(());
				};
				let Some(next) = self.compute_round(at, &info)? else {
					return Ok(());
				};
				if next.hash != link.hash {
					log::error!(
						target: LOG_TARGET,
						"model {} version {version}: rebuilt hash {} differs from the chain's {}",
						model.id, to_hex(&next.hash), to_hex(&link.hash)
					);
					if let Some(m) = &self.metrics {
						m.version_mismatches.inc();
					}
					self.diverged.insert(model.id, version);
					return Ok(());
				}
				self.store.put_candidate(model.id, round, &next.weights)?;
			}
			log::debug!(target: LOG_TARGET, "model {} version {version} verified", model.id);
			self.mark_verified(model.id, version, &link.hash)?;
		}
		Ok(())
	}

	/// Fetches version 0 (from the store or the registration's block body); `false` if it is
	/// not available yet.
	fn load_initial(&mut self, model: &ModelState, hash: &Digest) -> Result<bool, WorkerError> {
		if self.store.weights(hash)?.is_some() {
			return Ok(true);
		}
		let Some(bytes) = self.chain.initial_weights(model.registered_at, hash)? else {
			log::warn!(
				target: LOG_TARGET,
				"model {}: initial weights not found in block {}",
				model.id, model.registered_at
			);
			return Ok(false);
		};
		if tensor_codec::digest(&bytes) != *hash {
			log::warn!(
				target: LOG_TARGET,
				"model {}: the weights registered in block {} do not hash to version 0's {}",
				model.id, model.registered_at, to_hex(hash)
			);
			return Ok(false);
		}
		self.store.put_weights(&bytes)?;
		Ok(true)
	}

	/// A round's update payloads in reveal order, verified against their hashes (from the
	/// store or block bodies, then kept in the store under the round); `None` while one is
	/// unavailable.
	pub(super) fn round_payloads(
		&mut self,
		round: &RoundState,
		updates: &[UpdateRef],
	) -> Result<Option<Vec<Vec<u8>>>, WorkerError> {
		let mut out = Vec::with_capacity(updates.len());
		for u in updates {
			if let Some(bytes) = self.store.payload(&u.payload_hash)? {
				out.push(bytes);
				continue;
			}
			let Some(bytes) = self.chain.update_payload(u)? else {
				return Ok(None);
			};
			if tensor_codec::digest(&bytes) != u.payload_hash {
				log::warn!(
					target: LOG_TARGET,
					"payload in block {} extrinsic {} does not hash to {}",
					u.block, u.extrinsic_index, to_hex(&u.payload_hash)
				);
				return Ok(None);
			}
			self.store
				.put_round_payload(round.model, round.index, &bytes)?;
			out.push(bytes);
		}
		Ok(Some(out))
	}

	/// The next model of a round whose updates are all revealed, from chain data; `None` while
	/// the base weights or a payload are not available. Caches nothing. Every tensor is
	/// decoded for exactly the round's parameter count and never above the node's cap.
	pub(super) fn compute_round(
		&mut self,
		at: &BlockRef,
		round: &RoundState,
	) -> Result<Option<NextModel>, WorkerError> {
		let err = |message: String| WorkerError::Round {
			model: round.model,
			round: round.index,
			message,
		};
		let cap = self.config.max_params;
		if round.parameter_count > cap {
			// The round's snapshot, not only the model, must be within the cap.
			return Err(err(format!(
				"the round's model declares {} parameters, above this node's cap of {cap}",
				round.parameter_count
			)));
		}
		let Some(base_bytes) = self.store.weights(&round.base_hash)? else {
			return Ok(None);
		};
		let updates = self.chain.round_updates(at, round.model, round.index)?;
		if updates.is_empty() {
			return Ok(None);
		}
		let Some(payloads) = self.round_payloads(round, &updates)? else {
			return Ok(None);
		};
		let started = Instant::now();
		let base = decode_capped(&base_bytes, round.parameter_count, cap)
			.map_err(|e| err(format!("base weights: {e}")))?;
		let decoded = updates
			.iter()
			.zip(&payloads)
			.map(|(u, bytes)| {
				let values = decode_capped(bytes, round.parameter_count, cap)
					.map_err(|e| err(format!("update {}: {e}", to_hex(&u.payload_hash))))?;
				Ok(RoundUpdate {
					payload_hash: u.payload_hash,
					values,
					num_samples: u.num_samples,
					base_version: u.base_version,
				})
			})
			.collect::<Result<Vec<_>, WorkerError>>()?;
		let inputs = RoundInputs {
			model: round.model,
			round: round.index,
			spec: round.config.aggregation,
			staleness: staleness_of(&round.config.schedule),
			base,
			base_version: round.base_version,
			updates: decoded,
			seed: round.aggregation_seed,
			server_lr: CHAIN_SERVER_LR,
		};
		let next = next_model(&inputs).map_err(|e| err(e.to_string()))?;
		let secs = started.elapsed().as_secs_f64();
		if let Some(m) = &self.metrics {
			m.aggregation_seconds.observe(secs);
			let accepted = next.accepted.iter().filter(|a| **a).count() as u64;
			m.updates_revealed.inc_by(next.accepted.len() as u64);
			m.updates_accepted.inc_by(accepted);
			m.updates_rejected
				.inc_by(next.accepted.len() as u64 - accepted);
		}
		self.timings
			.entry((round.model, round.index))
			.or_default()
			.1 = Some(secs);
		Ok(Some(next))
	}
}
