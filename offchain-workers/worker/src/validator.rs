//! Validator duties: join the FL-validator set, and report each round's aggregate — committed
//! to in the aggregate phase, revealed in the report-reveal phase (the report and its salt
//! are journaled in between, so a restart reveals what was committed to).

use fedledger_ml::consensus::accepted_indices;
use fedledger_ml::hex::{digest_from_hex, to_hex};
use fedledger_primitives::{
	round::{report_commitment, update_set_root},
	tensor_codec, Digest,
};

use super::store::ReportJournal;
use super::LOG_TARGET;
use super::{
	Account, BlockRef, Chain, FlCall, ModelState, RoundPhase, RoundState, Worker, WorkerError,
};

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

	/// Reports the aggregate of `model`'s round: commits to the report in the aggregate
	/// phase, reveals it in the report-reveal phase. Committing to an aggregate already
	/// computed (or journaled) and revealing are cheap; computing it is heavy (see
	/// `Worker::admit_heavy`).
	pub(super) fn validator_duty(
		&mut self,
		at: &BlockRef,
		model: &ModelState,
		round: &RoundState,
	) -> Result<(), WorkerError> {
		let Some(me) = self.config.account else {
			return Ok(());
		};
		match round.phase {
			RoundPhase::Aggregate => self.commit_report(at, &me, model, round),
			RoundPhase::ReportReveal => self.reveal_report(at, &me, model, round),
			_ => Ok(()),
		}
	}

	/// Commits to this validator's report of `round`, computing it first unless it is
	/// journaled over the round's update set as the chain has it at `at`.
	fn commit_report(
		&mut self,
		at: &BlockRef,
		me: &Account,
		model: &ModelState,
		round: &RoundState,
	) -> Result<(), WorkerError> {
		let key = format!("report-commit-{}-{}", model.id, round.index);
		if self
			.chain
			.report_commitment(at, model.id, round.index, me)?
			.is_some()
		{
			return self.settle(&key);
		}
		let validators = self.chain.round_validators(at, model.id, round.index)?;
		if !validators.iter().any(|(v, _)| v == me) {
			return Ok(()); // joined after the round's snapshot
		}
		// The root of the set to aggregate, read at the same block: a report computed on a
		// fork names that fork's set, is refused on the winning chain, and is recomputed.
		let updates = self.chain.round_updates(at, model.id, round.index)?;
		let updates_root = update_set_root(updates.iter().map(|u| &u.payload_hash));
		// Journaled before the commitment is sent, so that a restarted worker reveals what it
		// committed to (the salt cannot be recomputed).
		let journal = match self.store.report(model.id, round.index)? {
			Some(j) if digest_from_hex(&j.updates_root) == Some(updates_root) => j,
			_ => {
				let Some(journal) = self.report_to_commit(at, model, round, updates_root)? else {
					return Ok(());
				};
				self.store.put_report(model.id, round.index, &journal)?;
				journal
			}
		};
		let report = JournaledReport::parse(&journal, round)?;
		let commitment = report.commitment(me);
		self.perform(at, &key, |_| {
			Ok(Some(FlCall::CommitReport {
				model: model.id,
				round: round.index,
				updates_root,
				commitment,
			}))
		})
	}

	/// Computes this validator's report of `round` over the update set `updates_root` (heavy,
	/// once per round and set), with a fresh salt; `None` while it cannot be computed yet.
	fn report_to_commit(
		&mut self,
		at: &BlockRef,
		model: &ModelState,
		round: &RoundState,
		updates_root: Digest,
	) -> Result<Option<ReportJournal>, WorkerError> {
		let cache_key = (model.id, round.index);
		let cached = self
			.computed
			.get(&cache_key)
			.is_some_and(|(_, root)| *root == updates_root);
		if !cached {
			if !self.admit_heavy(model.id) {
				return Ok(None);
			}
			let Some(next) = self.compute_round(at, round)? else {
				return Ok(None);
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
		let Some((next, _)) = self.computed.get(&cache_key) else {
			return Ok(None);
		};
		let (mut model_hash, mut accepted, mut scores) = (
			next.hash,
			accepted_indices(&next.accepted),
			next.scores.clone(),
		);
		if self.config.lie_in_reports {
			(model_hash, accepted, scores) = lie(&model_hash, scores);
		}
		let salt: [u8; 32] = rand::random();
		Ok(Some(ReportJournal {
			model_hash: to_hex(&model_hash),
			updates_root: to_hex(&updates_root),
			accepted,
			scores,
			salt: to_hex(&salt),
		}))
	}

	/// Reveals the report this validator committed to in `round`, from its journal.
	fn reveal_report(
		&mut self,
		at: &BlockRef,
		me: &Account,
		model: &ModelState,
		round: &RoundState,
	) -> Result<(), WorkerError> {
		let key = format!("report-{}-{}", model.id, round.index);
		if self
			.chain
			.reported_hash(at, model.id, round.index, me)?
			.is_some()
		{
			return self.settle(&key);
		}
		let Some(on_chain) = self
			.chain
			.report_commitment(at, model.id, round.index, me)?
		else {
			return Ok(()); // did not commit in time: nothing to reveal
		};
		let Some(journal) = self.store.report(model.id, round.index)? else {
			log::warn!(
				target: LOG_TARGET,
				"model {} round {}: committed to a report but its journal is gone; cannot reveal",
				model.id, round.index
			);
			return Ok(());
		};
		let report = JournaledReport::parse(&journal, round)?;
		if report.commitment(me) != on_chain {
			log::warn!(
				target: LOG_TARGET,
				"model {} round {}: the journaled report does not match the on-chain commitment",
				model.id, round.index
			);
			return Ok(());
		}
		self.perform(at, &key, |_| {
			Ok(Some(FlCall::ReportAggregate {
				model: model.id,
				round: round.index,
				model_hash: report.model_hash,
				accepted: report.accepted,
				scores: report.scores,
				salt: report.salt,
			}))
		})
	}
}

/// A [`ReportJournal`] decoded: what a report commitment binds and a reveal carries.
struct JournaledReport {
	model_hash: Digest,
	accepted: Vec<u32>,
	scores: Vec<u32>,
	salt: [u8; 32],
}

impl JournaledReport {
	fn parse(journal: &ReportJournal, round: &RoundState) -> Result<Self, WorkerError> {
		let err = |what: &str| WorkerError::Round {
			model: round.model,
			round: round.index,
			message: format!("report journal: bad {what}"),
		};
		Ok(Self {
			model_hash: digest_from_hex(&journal.model_hash).ok_or_else(|| err("model hash"))?,
			accepted: journal.accepted.clone(),
			scores: journal.scores.clone(),
			salt: digest_from_hex(&journal.salt).ok_or_else(|| err("salt"))?,
		})
	}

	/// `fedledger_primitives::round::report_commitment` of this report by `me`.
	fn commitment(&self, me: &Account) -> Digest {
		report_commitment(
			&self.model_hash,
			&self.accepted,
			&self.scores,
			&self.salt,
			me,
		)
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
