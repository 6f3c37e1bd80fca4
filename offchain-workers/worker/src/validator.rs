//! Validator duties: join the FL-validator set, and report each round's aggregate.

use std::collections::HashMap;

use fedledger_primitives::ModelId;

use fedledger_ml::consensus::accepted_indices;

use super::LOG_TARGET;
use super::{BlockRef, Chain, FlCall, ModelState, RoundPhase, RoundState, Worker, WorkerError};

impl<C: Chain> Worker<C> {
	pub(super) fn validator_duties(
		&mut self,
		at: &BlockRef,
		models: &[ModelState],
		rounds: &HashMap<ModelId, RoundState>,
	) -> Result<(), WorkerError> {
		let me = match self.config.account {
			Some(a) => a,
			None => return Ok(()),
		};
		let key = "register-validator";
		if self.chain.is_validator(at, &me)? {
			if self.store.tx(key)?.is_some() {
				self.settle(key)?;
			}
		} else {
			let amount = self.config.validator_bond;
			self.perform(at, key, |_| Ok(Some(FlCall::RegisterValidator { amount })))?;
			return Ok(());
		}
		for model in models {
			let Some(round) = rounds.get(&model.id) else {
				continue;
			};
			if round.phase != RoundPhase::Aggregate {
				continue;
			}
			let key = format!("report-{}-{}", model.id, round.index);
			if self
				.chain
				.reported_hash(at, model.id, round.index, &me)?
				.is_some()
			{
				self.settle(&key)?;
				continue;
			}
			let validators = self.chain.round_validators(at, model.id, round.index)?;
			if !validators.iter().any(|(v, _)| *v == me) {
				continue; // joined after the round's snapshot
			}
			let cache_key = (model.id, round.index);
			if !self.computed.contains_key(&cache_key) {
				let Some(next) = self.compute_round(at, round)? else {
					continue;
				};
				// Keep the candidate weights: if the round finalizes with this hash, the
				// follower finds them in the store instead of rebuilding.
				self.store.put_weights(&next.weights)?;
				log::info!(
					target: LOG_TARGET,
					"model {} round {}: aggregated {} updates, accepted {:?}",
					model.id, round.index, next.accepted.len(), accepted_indices(&next.accepted)
				);
				self.computed.insert(cache_key, next);
			}
			let next = self.computed[&cache_key].clone();
			self.perform(at, &key, |_| {
				Ok(Some(FlCall::ReportAggregate {
					model: model.id,
					round: round.index,
					model_hash: next.hash,
					accepted: accepted_indices(&next.accepted),
					scores: next.scores.clone(),
				}))
			})?;
		}
		Ok(())
	}
}
