//! Validator duties: join the FL-validator set, and report each round's aggregate.

use fedledger_ml::consensus::accepted_indices;
use fedledger_primitives::{round::update_set_root, tensor_codec};

use super::LOG_TARGET;
use super::{BlockRef, Chain, FlCall, ModelState, RoundPhase, RoundState, Worker, WorkerError};

impl<C: Chain> Worker<C> {
	/// Whether this node is an FL validator; registers it (once, journaled) if not.
	pub(super) fn validator_ready(&mut self, at: &BlockRef) -> Result<bool, WorkerError> {
		let Some(me) = self.config.account else {
			return Ok(false);
		};
		let key = "register-validator";
		if self.chain.is_validator(at, &me)? {
			if self.store.tx(key)?.is_some() {
				self.settle(key)?;
			}
			return Ok(true);
		}
		let amount = self.config.validator_bond;
		self.perform(at, key, |_| Ok(Some(FlCall::RegisterValidator { amount })))?;
		Ok(false)
	}

	/// Reports the aggregate of `model`'s round in its aggregate phase. Reporting an
	/// aggregate already computed is cheap; computing it is heavy (see `Worker::admit_heavy`).
	pub(super) fn validator_duty(
		&mut self,
		at: &BlockRef,
		model: &ModelState,
		round: &RoundState,
	) -> Result<(), WorkerError> {
		let Some(me) = self.config.account else {
			return Ok(());
		};
		if round.phase != RoundPhase::Aggregate {
			return Ok(());
		}
		let key = format!("report-{}-{}", model.id, round.index);
		if self
			.chain
			.reported_hash(at, model.id, round.index, &me)?
			.is_some()
		{
			return self.settle(&key);
		}
		let validators = self.chain.round_validators(at, model.id, round.index)?;
		if !validators.iter().any(|(v, _)| *v == me) {
			return Ok(()); // joined after the round's snapshot
		}
		let cache_key = (model.id, round.index);
		if !self.computed.contains_key(&cache_key) {
			if !self.admit_heavy(model.id) {
				return Ok(());
			}
			// The root of the set aggregated, read at the same block: a report computed on a
			// fork names that fork's set and is refused on the winning chain, not slashed.
			let updates = self.chain.round_updates(at, model.id, round.index)?;
			let updates_root = update_set_root(updates.iter().map(|u| &u.payload_hash));
			let Some(next) = self.compute_round(at, round)? else {
				return Ok(());
			};
			// Keep the candidate weights: if the round finalizes with this hash, the
			// follower finds them in the store instead of rebuilding.
			self.store
				.put_candidate(model.id, round.index, &next.weights)?;
			log::info!(
				target: LOG_TARGET,
				"model {} round {}: aggregated {} updates, accepted {:?}",
				model.id, round.index, next.accepted.len(), accepted_indices(&next.accepted)
			);
			self.computed.insert(cache_key, (next, updates_root));
		}
		let Some((next, updates_root)) = self.computed.get(&cache_key).cloned() else {
			return Ok(());
		};
		let (mut model_hash, mut accepted, mut scores) = (
			next.hash,
			accepted_indices(&next.accepted),
			next.scores.clone(),
		);
		if self.config.lie_in_reports {
			(model_hash, accepted, scores) = lie(&model_hash, scores);
		}
		self.perform(at, &key, |_| {
			Ok(Some(FlCall::ReportAggregate {
				model: model.id,
				round: round.index,
				model_hash,
				updates_root,
				accepted,
				scores,
			}))
		})
	}
}

/// What the lying validator (`--fl-lie`) reports instead of the honest `model_hash` and
/// `scores`, over the true update set (so the report is taken, not refused): a hash no honest
/// validator computes, every update accepted, and the scores reversed.
fn lie(model_hash: &[u8; 32], mut scores: Vec<u32>) -> ([u8; 32], Vec<u32>, Vec<u32>) {
	let mut preimage = b"fedledger/lie".to_vec();
	preimage.extend_from_slice(model_hash);
	scores.reverse();
	let accepted = (0..scores.len() as u32).collect();
	(tensor_codec::sha3_256(&preimage), accepted, scores)
}
