//! The node-side federated-learning worker.
//!
//! Spawned by the node, it runs on a thread of its own, never on the block-import path: the
//! node only wakes it on every new best block (a full wake-up channel is not waited on), so
//! however long a wake-up takes, block import and authoring go on. Each wake-up it
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
//!
//! # One model cannot stop another
//!
//! Anyone may register a model, so each model's duties are isolated:
//!
//! - a model declaring more than [`WorkerConfig::max_params`] parameters is not followed at
//!   all, and every decode is capped by it ([`fedledger_ml::consensus::decode_capped`]), so no
//!   model can make the worker allocate more than `4 × max_params` bytes per tensor;
//! - each (model, duty) runs inside a boundary that catches errors and panics: a failure is
//!   logged and counted ([`Metrics::model_failures`]) once per (model, round, duty, kind) and
//!   the other models' duties go on; a duty that panicked (or ran over its deadline) is not
//!   retried in that round;
//! - a wake-up first does every model's cheap, deadline-bound duties (re-sending journaled
//!   transactions, revealing an update already committed, reporting an aggregate already
//!   computed, committing an update already trained), then the heavy ones (rebuilding a
//!   version, aggregating, training) in a rotating model order while its time budget
//!   ([`WorkerConfig::wakeup_budget`]) lasts; the rest waits for the next wake-up;
//! - local training gives up once its update could no longer be sent in its phase (see
//!   [`WorkerConfig::block_time`]).

pub mod chain;
pub mod metrics;
pub mod store;
mod submit;
mod trainer;
mod validator;
mod versions;

#[cfg(test)]
mod tests;

// The test mock chain (`src/tests/mock.rs`) is shared with the integration tests, where the
// crate is `fedledger_worker`: this lets it use that name in the unit tests too.
#[cfg(test)]
extern crate self as fedledger_worker;

/// Log target of the worker (`RUST_LOG=fl-worker=debug`); the node's FL glue logs under it too.
pub const LOG_TARGET: &str = "fl-worker";

use std::collections::{HashMap, HashSet};
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use fedledger_primitives::{Digest, ModelId, RoundIndex};
use serde::Serialize;

pub use chain::{
	Account, Balance, BlockRef, Chain, ChainError, FlCall, ModelState, RoundPhase, RoundState,
	SignedTx, UpdateRef, VersionLink,
};
pub use fedledger_ml::attacks::Attack;
pub use metrics::Metrics;
pub use store::{Retention, Store, StoreError};
pub use trainer::{
	refusal, AllowedModels, TrainerSetup, DEFAULT_SCALING_GAMMA, MIN_SAFE_REVEAL_BLOCKS,
};

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
	/// Largest model, in parameters, this node follows (`--fl-max-params`): a model declaring
	/// more is not followed, and no tensor is ever decoded for more than this.
	pub max_params: u32,
	/// Time a wake-up may spend before it defers heavy work of further models to the next
	/// wake-up (`--fl-wakeup-budget-ms`). The first heavy duty of a wake-up always runs, so
	/// every model progresses; cheap duties never wait for it.
	pub wakeup_budget: Duration,
	/// The chain's block time: training is abandoned once its update could no longer be
	/// sent before its phase ends, estimated as the phase's remaining blocks times this.
	pub block_time: Duration,
	/// Rounds (and versions) of each model whose files the store keeps (`--fl-store-rounds`;
	/// see [`store`]'s retention rules); 0 keeps everything.
	pub store_rounds: u32,
	/// Lie in every report (`--fl-lie`, which only the node's `attacks` build offers): a
	/// wrong model hash and fake scores over the true update set, so that the report is taken
	/// and then slashed as contradicting. The adversarial testnet's lying validator.
	pub lie_in_reports: bool,
}

/// Default [`WorkerConfig::max_params`]: the runtime's own bound on a model's parameters.
pub const DEFAULT_MAX_PARAMS: u32 = fedledger_primitives::model::MAX_PARAMETERS;
/// Default [`WorkerConfig::block_time`] (the runtime's 3-second slot).
pub const DEFAULT_BLOCK_TIME: Duration = Duration::from_secs(3);
/// Default [`WorkerConfig::wakeup_budget`] in milliseconds (`--fl-wakeup-budget-ms`): one
/// block time, so a wake-up's heavy work does not usually run into the next block's cheap
/// duties.
pub const DEFAULT_WAKEUP_BUDGET_MS: u64 = 3_000;
/// Default [`WorkerConfig::wakeup_budget`].
pub const DEFAULT_WAKEUP_BUDGET: Duration = Duration::from_millis(DEFAULT_WAKEUP_BUDGET_MS);
/// Default [`WorkerConfig::store_rounds`].
pub const DEFAULT_STORE_ROUNDS: u32 = 32;

impl Default for WorkerConfig {
	/// A follower (no role) with the default caps and budget.
	fn default() -> Self {
		Self {
			account: None,
			validator: false,
			trainer: None,
			trainer_bond: 0,
			validator_bond: 0,
			max_params: DEFAULT_MAX_PARAMS,
			wakeup_budget: DEFAULT_WAKEUP_BUDGET,
			block_time: DEFAULT_BLOCK_TIME,
			store_rounds: DEFAULT_STORE_ROUNDS,
			lie_in_reports: false,
		}
	}
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
	/// A computation ran past its deadline and was abandoned (not retried this round).
	#[error("model {model} round {round}: over budget: {message}")]
	OverBudget {
		model: ModelId,
		round: RoundIndex,
		message: String,
	},
}

/// The isolated units of a wake-up (the `duty` label of [`Metrics::model_failures`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Duty {
	/// Reading the model's round and following its version chain.
	Follow,
	/// Aggregating and reporting.
	Validate,
	/// Bonding, training, committing, revealing, submitting.
	Train,
	/// Re-sending journaled transactions (all models at once).
	Resend,
	/// Registering as FL validator.
	Register,
	/// Pruning the store.
	Prune,
}

impl Duty {
	fn label(self) -> &'static str {
		match self {
			Duty::Follow => "follow",
			Duty::Validate => "validate",
			Duty::Train => "train",
			Duty::Resend => "resend",
			Duty::Register => "register",
			Duty::Prune => "prune",
		}
	}
}

/// How a duty failed (the `kind` label of [`Metrics::model_failures`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Failure {
	Error,
	Panic,
	OverBudget,
}

impl Failure {
	fn label(self) -> &'static str {
		match self {
			Failure::Error => "error",
			Failure::Panic => "panic",
			Failure::OverBudget => "over_budget",
		}
	}
}

/// Which pass of a wake-up runs: cheap duties of every model, then heavy ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pass {
	Cheap,
	Heavy,
}

/// Admission of heavy work in one wake-up (see [`Worker::admit_heavy`]).
#[derive(Debug)]
struct Gate {
	pass: Pass,
	started: Instant,
	/// Some heavy duty ran already in this wake-up.
	heavy_ran: bool,
	/// Models that reached heavy work in the cheap pass (visited again in the heavy pass).
	wanted: HashSet<ModelId>,
	/// Models whose heavy work the budget put off, in the order they were put off.
	deferred: Vec<ModelId>,
}

impl Gate {
	fn new() -> Self {
		Self {
			pass: Pass::Cheap,
			started: Instant::now(),
			heavy_ran: false,
			wanted: HashSet::new(),
			deferred: Vec::new(),
		}
	}
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
	/// Why this node does not follow the model, if it does not (e.g. over `--fl-max-params`).
	#[serde(skip_serializing_if = "Option::is_none")]
	pub not_followed: Option<String>,
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
	pub report_commits: u64,
	pub reports: u64,
	pub mismatches: u64,
	/// The last wake-up's last failure (of the wake-up, or of one model's duty), if any.
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
	/// Aggregates this validator computed, by (model, round), with the root of the update set
	/// each aggregated.
	computed: HashMap<(ModelId, RoundIndex), (NextModel, Digest)>,
	/// Current round and phase per model, to count rounds and time phases.
	clocks: HashMap<ModelId, (RoundIndex, RoundClock)>,
	/// Seconds the last training and aggregation took, per (model, round), for the log.
	timings: HashMap<(ModelId, RoundIndex), (Option<f64>, Option<f64>)>,
	/// Last block a journaled transaction was re-sent, by duty key.
	resent: HashMap<String, u32>,
	/// Duties given up after too many attempts (so the warning is logged once).
	abandoned: HashSet<String>,
	/// Models declaring more parameters than the cap: not followed (logged once).
	over_cap: HashSet<ModelId>,
	/// Duty failures already logged and counted, by (model, round, duty, kind).
	failures: HashSet<(ModelId, RoundIndex, Duty, Failure)>,
	/// Duties that panicked or ran over budget: not retried until the model's next round.
	skipped: HashSet<(ModelId, RoundIndex, Duty)>,
	/// Last failure of each model-independent duty (logged and counted when it changes).
	global_failures: HashMap<Duty, String>,
	/// Failures of the current wake-up, for the status.
	wake_errors: Vec<String>,
	/// Heavy-work admission of the current wake-up.
	gate: Gate,
	/// Where the next heavy pass starts (the first model with this id or above).
	heavy_cursor: ModelId,
	/// A new round was seen (or the worker just started): prune the store after this wake-up.
	prune_due: bool,
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
		*status.lock().unwrap_or_else(PoisonError::into_inner) = WorkerStatus {
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
			over_cap: HashSet::new(),
			failures: HashSet::new(),
			skipped: HashSet::new(),
			global_failures: HashMap::new(),
			wake_errors: Vec::new(),
			gate: Gate::new(),
			heavy_cursor: 0,
			prune_due: true,
		}
	}

	/// The status, also if a panic (caught by a duty boundary) poisoned its lock: it holds
	/// plain counters, never left half-updated.
	fn status_mut(&self) -> MutexGuard<'_, WorkerStatus> {
		self.status.lock().unwrap_or_else(PoisonError::into_inner)
	}

	/// The status the RPC serves.
	pub fn status(&self) -> Arc<Mutex<WorkerStatus>> {
		self.status.clone()
	}

	/// The store (shared with the RPC for weights and payloads).
	pub fn store(&self) -> &Store {
		&self.store
	}

	/// Processes the current best block: follow versions, then validator and trainer duties
	/// (see the crate docs for the order and the isolation of models). Fails only when the
	/// best block or the model list cannot be read; one model's failures are logged, counted
	/// and shown in the status instead.
	pub fn on_block(&mut self) -> Result<(), WorkerError> {
		let at = self.chain.best()?;
		self.wake_errors.clear();
		let result = self.step(&at);
		let last_error = match &result {
			Err(e) => Some(e.to_string()),
			Ok(()) => self.wake_errors.last().cloned(),
		};
		let mut status = self.status_mut();
		status.best_block = at.number;
		status.last_error = last_error;
		drop(status);
		if let Some(m) = &self.metrics {
			m.last_block.set(at.number as u64);
		}
		result
	}

	fn step(&mut self, at: &BlockRef) -> Result<(), WorkerError> {
		self.gate = Gate::new();
		let models = self.chain.models(at)?;
		let followed: Vec<ModelState> = models
			.iter()
			.filter(|m| self.within_cap(m))
			.cloned()
			.collect();
		let acting = self.config.validator || self.config.trainer.is_some();
		// Re-sending journaled transactions (reveals, reports, commits in flight) comes first:
		// it is cheap and the most deadline-bound.
		if acting {
			self.guarded_global(Duty::Resend, |w| w.pump(at));
		}
		let validating = self.config.validator
			&& self
				.guarded_global(Duty::Register, |w| w.validator_ready(at))
				.unwrap_or(false);
		// Each model's current round, read once per block for tracking and both roles.
		let mut rounds = HashMap::new();
		for model in &followed {
			let key = self.round_key(model.id);
			let round = self.guarded(model.id, key, Duty::Follow, |w| {
				Ok(w.chain.current_round(at, model.id)?)
			});
			if let Some(Some(round)) = round {
				self.track_round(&round);
				rounds.insert(model.id, round);
			}
		}
		// Cheap duties of every model; heavy work is only noted (`Gate::wanted`).
		for model in &followed {
			self.model_duties(at, model, rounds.get(&model.id), validating);
		}
		// Heavy duties, from a rotating start, while the budget lasts.
		self.gate.pass = Pass::Heavy;
		let mut ids: Vec<ModelId> = followed
			.iter()
			.map(|m| m.id)
			.filter(|id| self.gate.wanted.contains(id))
			.collect();
		ids.sort_unstable();
		let split = ids.partition_point(|id| *id < self.heavy_cursor);
		ids.rotate_left(split);
		for id in &ids {
			if let Some(model) = followed.iter().find(|m| m.id == *id) {
				self.model_duties(at, model, rounds.get(id), validating);
			}
		}
		// The next heavy pass starts with the first model put off, or else one model further
		// on, so that no model is always served last.
		self.heavy_cursor = match (self.gate.deferred.first(), ids.first()) {
			(Some(first), _) => *first,
			(None, Some(first)) => first.wrapping_add(1),
			(None, None) => self.heavy_cursor,
		};
		self.update_model_status(&models);
		if self.prune_due && self.config.store_rounds > 0 {
			self.prune_due = false;
			self.guarded_global(Duty::Prune, |w| w.prune_store(&followed, &rounds));
		}
		// Forget cached aggregates, timings and failures of rounds that are over (the
		// follower also times rebuilds of old rounds, whose end is never observed).
		let current =
			|m: &ModelId, r: &RoundIndex| rounds.get(m).is_some_and(|cur| *r >= cur.index);
		self.computed.retain(|(m, r), _| current(m, r));
		self.timings.retain(|(m, r), _| current(m, r));
		// (Failures of a model without a round, keyed by round 0, are kept.)
		let current = |m: &ModelId, r: &RoundIndex| rounds.get(m).is_none_or(|cur| *r >= cur.index);
		self.failures.retain(|(m, r, _, _)| current(m, r));
		self.skipped.retain(|(m, r, _)| current(m, r));
		Ok(())
	}

	/// One model's duties in this pass, each inside its own boundary.
	fn model_duties(
		&mut self,
		at: &BlockRef,
		model: &ModelState,
		round: Option<&RoundState>,
		validating: bool,
	) {
		let key = self.round_key(model.id);
		self.guarded(model.id, key, Duty::Follow, |w| {
			w.follow_versions(at, model)
		});
		if let (true, Some(round)) = (validating, round) {
			self.guarded(model.id, key, Duty::Validate, |w| {
				w.validator_duty(at, model, round)
			});
		}
		if self.config.trainer.is_some() {
			self.guarded(model.id, key, Duty::Train, |w| {
				w.trainer_duty(at, model, round)
			});
		}
	}

	/// The round failures of `model` are keyed by: its current round (0 before its first).
	fn round_key(&self, model: ModelId) -> RoundIndex {
		self.clocks.get(&model).map_or(0, |(r, _)| *r)
	}

	/// Whether heavy work for `model` may start now. In the cheap pass it never may (the
	/// model is visited again in the heavy pass); in the heavy pass the first heavy duty of a
	/// wake-up always may, and later ones while the wake-up's budget lasts.
	fn admit_heavy(&mut self, model: ModelId) -> bool {
		match self.gate.pass {
			Pass::Cheap => {
				self.gate.wanted.insert(model);
				false
			}
			Pass::Heavy => {
				let spent = self.gate.started.elapsed() >= self.config.wakeup_budget;
				if self.gate.heavy_ran && spent {
					if !self.gate.deferred.contains(&model) {
						self.gate.deferred.push(model);
						log::debug!(
							target: LOG_TARGET,
							"model {model}: heavy work deferred (wake-up budget of {:?} spent)",
							self.config.wakeup_budget
						);
						if let Some(m) = &self.metrics {
							m.heavy_deferred.inc();
						}
					}
					return false;
				}
				self.gate.heavy_ran = true;
				true
			}
		}
	}

	/// Whether `model` is small enough to follow; logs and counts a model over the cap once.
	fn within_cap(&mut self, model: &ModelState) -> bool {
		if model.parameter_count <= self.config.max_params {
			self.over_cap.remove(&model.id);
			return true;
		}
		if self.over_cap.insert(model.id) {
			log::warn!(
				target: LOG_TARGET,
				"model {}: declares {} parameters, above this node's cap of {} \
				 (--fl-max-params); not followed",
				model.id, model.parameter_count, self.config.max_params
			);
			if let Some(m) = &self.metrics {
				m.models_over_cap.inc();
			}
		}
		false
	}

	/// Runs one duty of one model, catching its errors and panics: a failure is logged and
	/// counted once per (model, round, duty, kind). A duty that panicked or ran over budget
	/// is skipped for the rest of the round (retrying would repeat it every block); one that
	/// returned an error (often a transient chain error) is retried next block.
	///
	/// After a panic the model's in-memory caches are dropped: the store is consistent (every
	/// write is atomic and ordered so that a write cut short is redone), the caches might not be.
	fn guarded<T>(
		&mut self,
		model: ModelId,
		round: RoundIndex,
		duty: Duty,
		f: impl FnOnce(&mut Self) -> Result<T, WorkerError>,
	) -> Option<T> {
		if self.skipped.contains(&(model, round, duty)) {
			return None;
		}
		let (kind, message) = match panic::catch_unwind(AssertUnwindSafe(|| f(self))) {
			Ok(Ok(value)) => return Some(value),
			Ok(Err(e @ WorkerError::OverBudget { .. })) => (Failure::OverBudget, e.to_string()),
			Ok(Err(e)) => (Failure::Error, e.to_string()),
			Err(payload) => (Failure::Panic, panic_message(payload.as_ref())),
		};
		if kind != Failure::Error {
			self.skipped.insert((model, round, duty));
		}
		if kind == Failure::Panic {
			self.verified.remove(&model);
			self.computed.retain(|(m, _), _| *m != model);
		}
		let message = format!("model {model} round {round} {}: {message}", duty.label());
		if self.failures.insert((model, round, duty, kind)) {
			log::warn!(
				target: LOG_TARGET,
				"{message} ({}; logged once this round)",
				kind.label()
			);
			if let Some(m) = &self.metrics {
				m.model_failures
					.with_label_values(&[duty.label(), kind.label()])
					.inc();
			}
		}
		self.wake_errors.push(message);
		None
	}

	/// [`Self::guarded`] for a duty of no particular model: logged and counted when its
	/// failure differs from the last one.
	fn guarded_global<T>(
		&mut self,
		duty: Duty,
		f: impl FnOnce(&mut Self) -> Result<T, WorkerError>,
	) -> Option<T> {
		let (kind, message) = match panic::catch_unwind(AssertUnwindSafe(|| f(self))) {
			Ok(Ok(value)) => {
				self.global_failures.remove(&duty);
				return Some(value);
			}
			Ok(Err(e)) => (Failure::Error, e.to_string()),
			Err(payload) => (Failure::Panic, panic_message(payload.as_ref())),
		};
		let message = format!("{}: {message}", duty.label());
		if self.global_failures.get(&duty) != Some(&message) {
			log::warn!(target: LOG_TARGET, "{message} ({})", kind.label());
			if let Some(m) = &self.metrics {
				m.model_failures
					.with_label_values(&[duty.label(), kind.label()])
					.inc();
			}
			self.global_failures.insert(duty, message.clone());
		}
		self.wake_errors.push(message);
		None
	}

	/// Deletes the store's files of rounds and versions past the retention window, for each
	/// model this node follows and has verified up to the chain's version (a follower still
	/// catching up may need old payloads to rebuild).
	fn prune_store(
		&mut self,
		models: &[ModelState],
		rounds: &HashMap<ModelId, RoundState>,
	) -> Result<(), WorkerError> {
		let mut keep = HashMap::new();
		for model in models {
			let (Some(round), Some(&version)) =
				(rounds.get(&model.id), self.verified.get(&model.id))
			else {
				continue;
			};
			if version == model.version && !self.diverged.contains_key(&model.id) {
				keep.insert(
					model.id,
					Retention::window(self.config.store_rounds, round.index, version),
				);
			}
		}
		let pruned = self.store.prune(&keep)?;
		if pruned.files > 0 {
			log::debug!(
				target: LOG_TARGET,
				"store: pruned {} files ({} bytes) past the {}-round window",
				pruned.files, pruned.bytes, self.config.store_rounds
			);
			if let Some(m) = &self.metrics {
				m.store_pruned_files.inc_by(pruned.files as u64);
			}
		}
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
				self.prune_due = true;
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
				let not_followed = self.over_cap.contains(&m.id).then(|| {
					format!(
						"declares {} parameters, above this node's cap of {} (--fl-max-params)",
						m.parameter_count, self.config.max_params
					)
				});
				FollowedModel {
					model: m.id,
					version,
					hash,
					chain_version: m.version,
					verified: not_followed.is_none() && version == Some(m.version),
					not_followed,
				}
			})
			.collect();
		let mut status = self.status_mut();
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
			FlCall::CommitReport { .. } => "commit_report",
			FlCall::ReportAggregate { .. } => "report_aggregate",
		};
		if let Some(m) = &self.metrics {
			m.submissions.with_label_values(&[kind]).inc();
		}
		let mut status = self.status_mut();
		match call {
			FlCall::CommitUpdate { .. } => status.commits += 1,
			FlCall::RevealUpdate { .. } => status.reveals += 1,
			FlCall::SubmitUpdate { .. } => status.submits += 1,
			FlCall::CommitReport { .. } => status.report_commits += 1,
			FlCall::ReportAggregate { .. } => status.reports += 1,
			_ => {}
		}
	}
}

/// The message of a caught panic (`panic!` with a literal or a formatted string).
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
	if let Some(s) = payload.downcast_ref::<&str>() {
		format!("panicked: {s}")
	} else if let Some(s) = payload.downcast_ref::<String>() {
		format!("panicked: {s}")
	} else {
		"panicked".into()
	}
}
