//! The node-side federated-learning worker.
//!
//! Spawned by the node, it runs on its own thread and is woken on every new best block. Each
//! wake-up it
//!
//! 1. **follows the version chain** of every model ([`versions`]): rebuilds each new version
//!    from chain data (initial weights and update payloads out of block bodies, the round's
//!    configuration from the runtime API), checks it against the on-chain hash and keeps the
//!    weights in its [`Store`];
//! 2. as a **validator** ([`validator`]): registers its FL account if needed, and in a round's
//!    aggregate phase rebuilds the updates, runs the model's robust rule and scorer and
//!    reports the new model hash;
//! 3. as a **trainer** ([`trainer`]): bonds for every model its data fits, trains on its
//!    private shard from the round's base version, commits, then reveals (or, in
//!    buffered-async mode, submits against its base version).
//!
//! It acts on the best chain, not on GRANDPA finality, so rounds go on while finality stalls
//! (one of three authorities down). It is idempotent: the chain state says what is done, and
//! every signed transaction is journaled before it is sent ([`submit`]), so a restart re-sends
//! the same bytes rather than signing twice, and a commit's payload and salt survive a crash.

pub mod chain;
pub mod metrics;
pub mod store;
mod submit;
mod trainer;
mod validator;
mod versions;

#[cfg(test)]
mod tests;

/// Log target of the worker (`RUST_LOG=fl-worker=debug`); the node's FL glue logs under it too.
pub const LOG_TARGET: &str = "fl-worker";

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use fedledger_primitives::{ModelId, RoundIndex};
use serde::Serialize;

pub use chain::{
	Account, Balance, BlockRef, Chain, ChainError, FlCall, ModelState, RoundPhase, RoundState,
	SignedTx, UpdateRef, VersionLink,
};
pub use fedledger_ml::attacks::Attack;
pub use metrics::Metrics;
pub use store::{Store, StoreError};
pub use trainer::{TrainerSetup, DEFAULT_SCALING_GAMMA};

use fedledger_ml::consensus::NextModel;

/// What the worker does besides following the version chain.
pub struct WorkerConfig {
	/// The FL key's account (needed for either role).
	pub account: Option<Account>,
	/// Report aggregates as an FL validator.
	pub validator: bool,
	/// Train on a private dataset.
	pub trainer: Option<TrainerSetup>,
	/// Bond a trainer places per model (the runtime's minimum).
	pub trainer_bond: Balance,
	/// Bond a validator registers with (the runtime's minimum).
	pub validator_bond: Balance,
}

/// Why a wake-up stopped early (the next block retries).
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
	#[error(transparent)]
	Chain(#[from] ChainError),
	#[error(transparent)]
	Store(#[from] StoreError),
	#[error("model {model} round {round}: {message}")]
	Round {
		model: ModelId,
		round: RoundIndex,
		message: String,
	},
}

/// A model whose version chain the worker follows, as `fedledger_workerStatus` reports it.
/// (Not the registry pallet's `ModelStatus`, which says whether a model is active.)
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct FollowedModel {
	pub model: ModelId,
	/// Latest version rebuilt locally and matched with the chain.
	pub version: Option<u32>,
	/// Its hash, hex.
	pub hash: Option<String>,
	/// The chain's current version.
	pub chain_version: u32,
	/// Whether the local version is the chain's current one.
	pub verified: bool,
}

/// What the worker did so far, shared with the RPC.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct WorkerStatus {
	/// The FL account, hex (the node's RPC adds the SS58 form).
	pub account: Option<String>,
	pub trainer: bool,
	pub validator: bool,
	pub best_block: u32,
	pub models: Vec<FollowedModel>,
	pub commits: u64,
	pub reveals: u64,
	pub submits: u64,
	pub reports: u64,
	pub mismatches: u64,
	/// Last error of a wake-up, if the last one failed.
	pub last_error: Option<String>,
}

/// Wall-clock marks of one round, for the latency breakdown in the log.
#[derive(Clone, Debug)]
struct RoundClock {
	phase: RoundPhase,
	opened: Instant,
	phase_started: Instant,
	durations: Vec<(RoundPhase, f64)>,
}

/// The worker. Drive it with [`Worker::on_block`].
pub struct Worker<C: Chain> {
	chain: Arc<C>,
	store: Store,
	config: WorkerConfig,
	metrics: Option<Metrics>,
	status: Arc<Mutex<WorkerStatus>>,
	/// Highest verified version per model (loaded lazily from the store).
	verified: HashMap<ModelId, u32>,
	/// Models whose rebuild mismatched the chain: not followed further (logged once).
	diverged: HashMap<ModelId, u32>,
	/// Aggregates this validator computed, by (model, round).
	computed: HashMap<(ModelId, RoundIndex), NextModel>,
	/// Current round and phase per model, to count rounds and time phases.
	clocks: HashMap<ModelId, (RoundIndex, RoundClock)>,
	/// Seconds the last training and aggregation took, per (model, round), for the log.
	timings: HashMap<(ModelId, RoundIndex), (Option<f64>, Option<f64>)>,
	/// Last block a journaled transaction was re-sent, by duty key.
	resent: HashMap<String, u32>,
	/// Duties given up after too many attempts (so the warning is logged once).
	abandoned: HashSet<String>,
}

impl<C: Chain> Worker<C> {
	/// A worker over `chain` keeping its files in `store` and publishing its progress in
	/// `status` (which it resets).
	pub fn new(
		chain: Arc<C>,
		store: Store,
		mut config: WorkerConfig,
		metrics: Option<Metrics>,
		status: Arc<Mutex<WorkerStatus>>,
	) -> Self {
		if let Some(t) = config.trainer.as_mut() {
			if t.attack == Some(Attack::LabelFlip) {
				let classes = t.data.classes();
				fedledger_ml::attacks::flip_labels(t.data.labels_mut(), classes);
			}
		}
		*status.lock().expect("status lock") = WorkerStatus {
			account: config.account.map(|a| fedledger_ml::hex::to_hex(&a)),
			trainer: config.trainer.is_some(),
			validator: config.validator,
			..Default::default()
		};
		Self {
			chain,
			store,
			config,
			metrics,
			status,
			verified: HashMap::new(),
			diverged: HashMap::new(),
			computed: HashMap::new(),
			clocks: HashMap::new(),
			timings: HashMap::new(),
			resent: HashMap::new(),
			abandoned: HashSet::new(),
		}
	}

	/// The status the RPC serves.
	pub fn status(&self) -> Arc<Mutex<WorkerStatus>> {
		self.status.clone()
	}

	/// The store (shared with the RPC for weights and payloads).
	pub fn store(&self) -> &Store {
		&self.store
	}

	/// Processes the current best block: follow versions, then validator and trainer duties.
	pub fn on_block(&mut self) -> Result<(), WorkerError> {
		let at = self.chain.best()?;
		let result = self.step(&at);
		let mut status = self.status.lock().expect("status lock");
		status.best_block = at.number;
		status.last_error = result.as_ref().err().map(|e| e.to_string());
		if let Some(m) = &self.metrics {
			m.last_block.set(at.number as u64);
		}
		result
	}

	fn step(&mut self, at: &BlockRef) -> Result<(), WorkerError> {
		let models = self.chain.models(at)?;
		// Each model's current round, read once per block for tracking and both roles.
		let mut rounds = HashMap::new();
		for model in &models {
			if let Err(e) = self.follow_versions(at, model) {
				log::warn!(target: LOG_TARGET, "model {}: version sync: {e}", model.id);
			}
			if let Some(round) = self.chain.current_round(at, model.id)? {
				self.track_round(&round);
				rounds.insert(model.id, round);
			}
		}
		self.update_model_status(&models);
		if self.config.validator || self.config.trainer.is_some() {
			self.pump(at)?;
		}
		if self.config.validator {
			self.validator_duties(at, &models, &rounds)?;
		}
		if self.config.trainer.is_some() {
			self.trainer_duties(at, &models, &rounds)?;
		}
		// Forget cached aggregates and timings of rounds that are over (the follower also
		// times rebuilds of old rounds, whose end is never observed).
		let current =
			|m: &ModelId, r: &RoundIndex| rounds.get(m).is_some_and(|cur| *r >= cur.index);
		self.computed.retain(|(m, r), _| current(m, r));
		self.timings.retain(|(m, r), _| current(m, r));
		Ok(())
	}

	/// Counts rounds, times their phases and logs the breakdown when one ends.
	fn track_round(&mut self, round: &RoundState) {
		let model = round.model;
		let now = Instant::now();
		match self.clocks.get_mut(&model) {
			Some((r, clock)) if *r == round.index => {
				if clock.phase != round.phase {
					let spent = now.duration_since(clock.phase_started).as_secs_f64();
					clock.durations.push((clock.phase, spent));
					clock.phase = round.phase;
					clock.phase_started = now;
					match round.phase {
						RoundPhase::Finalized => self.round_ended(model, round.index, true),
						RoundPhase::Failed => self.round_ended(model, round.index, false),
						_ => {}
					}
				}
			}
			_ => {
				if let Some(m) = &self.metrics {
					m.rounds_seen.inc();
				}
				self.clocks.insert(
					model,
					(
						round.index,
						RoundClock {
							phase: round.phase,
							opened: now,
							phase_started: now,
							durations: Vec::new(),
						},
					),
				);
			}
		}
	}

	fn round_ended(&mut self, model: ModelId, round: RoundIndex, finalized: bool) {
		if let Some(m) = &self.metrics {
			if finalized {
				m.rounds_finalized.inc();
			} else {
				m.rounds_failed.inc();
			}
		}
		let Some((_, clock)) = self.clocks.get(&model) else {
			return;
		};
		let phases: Vec<String> = clock
			.durations
			.iter()
			.map(|(p, s)| format!("{p:?} {s:.1}s"))
			.collect();
		let (train, agg) = self.timings.remove(&(model, round)).unwrap_or((None, None));
		log::info!(
			target: LOG_TARGET,
			"model {model} round {round} {}: {} (total {:.1}s); training {}, aggregation {}",
			if finalized { "finalized" } else { "failed" },
			phases.join(", "),
			clock.opened.elapsed().as_secs_f64(),
			train.map_or("-".into(), |s| format!("{s:.2}s")),
			agg.map_or("-".into(), |s| format!("{s:.2}s")),
		);
	}

	fn update_model_status(&mut self, models: &[ModelState]) {
		let rows: Vec<FollowedModel> = models
			.iter()
			.map(|m| {
				let version = self.verified.get(&m.id).copied();
				let hash = version
					.and_then(|v| self.store.version(m.id, v).ok().flatten())
					.map(|h| fedledger_ml::hex::to_hex(&h));
				FollowedModel {
					model: m.id,
					version,
					hash,
					chain_version: m.version,
					verified: version == Some(m.version),
				}
			})
			.collect();
		let mut status = self.status.lock().expect("status lock");
		status.models = rows;
		status.mismatches = self.diverged.len() as u64;
	}

	fn count_submission(&self, call: &FlCall) {
		let kind = match call {
			FlCall::BondTrainer { .. } => "bond_trainer",
			FlCall::RegisterValidator { .. } => "register_validator",
			FlCall::CommitUpdate { .. } => "commit_update",
			FlCall::RevealUpdate { .. } => "reveal_update",
			FlCall::SubmitUpdate { .. } => "submit_update",
			FlCall::ReportAggregate { .. } => "report_aggregate",
		};
		if let Some(m) = &self.metrics {
			m.submissions.with_label_values(&[kind]).inc();
		}
		let mut status = self.status.lock().expect("status lock");
		match call {
			FlCall::CommitUpdate { .. } => status.commits += 1,
			FlCall::RevealUpdate { .. } => status.reveals += 1,
			FlCall::SubmitUpdate { .. } => status.submits += 1,
			FlCall::ReportAggregate { .. } => status.reports += 1,
			_ => {}
		}
	}
}
