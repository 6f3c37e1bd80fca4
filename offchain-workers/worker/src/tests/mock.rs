//! An in-memory chain of any number of models that applies submitted calls the way the
//! pallets do (coarsely): bonding, commit/reveal, reports and version appends.
//!
//! Shared by the unit tests (`src/tests.rs`) and the integration tests (`tests/*.rs`, which
//! include this file by path), so it names the worker's public API only, as
//! `fedledger_worker::…` (the crate calls itself that too, see `lib.rs`).
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};

use fedledger_ml::data::Dataset;
use fedledger_primitives::{
	model::{Schedule, TrainingConfig},
	rules::{AggregationRule, AggregationSpec},
	tensor_codec, Digest, ModelId, RoundIndex,
};
use fedledger_worker::{
	Account, BlockRef, Chain, ChainError, FlCall, ModelState, RoundPhase, RoundState, SignedTx,
	UpdateRef, VersionLink,
};
use ndarray::Array2;

/// The worker's account.
pub const ME: Account = [7; 32];
/// Parameters of the default model: logistic regression, 4 features, 2 classes.
pub const PARAMS: u32 = 4 * 2 + 2;

/// One round: its state and its updates in reveal order (with their payloads).
#[derive(Clone, Debug)]
pub struct RoundData {
	pub state: RoundState,
	pub updates: Vec<(UpdateRef, Vec<u8>)>,
}

/// One registered model.
#[derive(Clone, Debug)]
pub struct ModelData {
	pub model: ModelState,
	/// Bytes of its `register_model` weights.
	pub initial: Vec<u8>,
	pub versions: Vec<VersionLink>,
	/// Every round so far (the last is the current one).
	pub rounds: BTreeMap<RoundIndex, RoundData>,
}

impl ModelData {
	pub fn current(&self) -> &RoundData {
		self.rounds.values().next_back().expect("a round is open")
	}

	pub fn current_mut(&mut self) -> &mut RoundData {
		self.rounds
			.values_mut()
			.next_back()
			.expect("a round is open")
	}
}

#[derive(Default)]
pub struct State {
	pub number: u32,
	pub models: BTreeMap<ModelId, ModelData>,
	pub bonds: HashMap<(ModelId, Account), u128>,
	pub validators: Vec<(Account, u128)>,
	pub commitments: HashMap<(ModelId, RoundIndex, Account), Digest>,
	pub report_commitments: HashMap<(ModelId, RoundIndex, Account), Digest>,
	pub reports: HashMap<(ModelId, RoundIndex, Account), Digest>,
	pub nonce: u32,
	/// Every transaction handed to the pool, in order (re-sends included).
	pub sent: Vec<SignedTx>,
	/// Signed calls by their bytes, to apply them when "included".
	pub signed: HashMap<Vec<u8>, FlCall>,
	/// Test hook: `round_updates` of these models panics (a bug in a chain adapter).
	pub panic_on_updates: HashSet<ModelId>,
}

impl State {
	pub fn m(&mut self, id: ModelId) -> &mut ModelData {
		self.models.get_mut(&id).expect("model registered")
	}
}

#[derive(Default)]
pub struct MockChain {
	pub state: Mutex<State>,
}

/// A three-phase synchronous schedule needing three updates.
pub fn sync_schedule() -> Schedule {
	Schedule::Sync {
		commit_blocks: 3,
		reveal_blocks: 3,
		aggregate_blocks: 3,
		min_updates: 3,
	}
}

/// The configuration of the default model (4 features, 2 classes).
pub fn config(schedule: Schedule, spec: AggregationSpec) -> TrainingConfig<u128> {
	let mut config = TrainingConfig::example(4, 2, 3, 1_000);
	config.schedule = schedule;
	config.aggregation = spec;
	config
}

impl MockChain {
	/// Model 0 with zero initial weights.
	pub fn with_model(schedule: Schedule, rule: AggregationRule) -> Arc<Self> {
		let zeros = vec![0.0; PARAMS as usize];
		Self::with_weights(schedule, AggregationSpec::plain(rule), &zeros)
	}

	/// Model 0 whose version 0 has `weights` (the architecture is not checked by validators).
	pub fn with_weights(schedule: Schedule, spec: AggregationSpec, weights: &[f32]) -> Arc<Self> {
		let chain = Arc::new(Self::default());
		chain.state.lock().unwrap().number = 1;
		let initial = tensor_codec::encode_f32(weights, &[weights.len() as u32]).unwrap();
		chain.add_model(0, config(schedule, spec), weights.len() as u32, initial);
		chain
	}

	/// Registers model `id` (in the current block) with the given declared parameter count
	/// and initial weight bytes, which need not agree: the chain is what a hostile model
	/// makes it.
	pub fn add_model(
		&self,
		id: ModelId,
		config: TrainingConfig<u128>,
		parameter_count: u32,
		initial: Vec<u8>,
	) {
		let mut s = self.state.lock().unwrap();
		let hash = tensor_codec::digest(&initial);
		let number = s.number;
		s.models.insert(
			id,
			ModelData {
				model: ModelState {
					id,
					active: true,
					config,
					parameter_count,
					version: 0,
					version_hash: hash,
					registered_at: number,
				},
				initial,
				versions: vec![VersionLink {
					hash,
					parent: None,
					round: None,
					block: number,
				}],
				rounds: BTreeMap::new(),
			},
		);
	}

	/// Opens round `index` of model 0.
	pub fn open_round(&self, index: RoundIndex, phase: RoundPhase) {
		self.open_round_of(0, index, phase);
	}

	/// Opens round `index` of `model` from its current version.
	pub fn open_round_of(&self, model: ModelId, index: RoundIndex, phase: RoundPhase) {
		let mut s = self.state.lock().unwrap();
		let number = s.number;
		let m = s.m(model);
		let state = RoundState {
			model,
			index,
			base_version: m.model.version,
			base_hash: m.model.version_hash,
			config: m.model.config,
			parameter_count: m.model.parameter_count,
			phase,
			phase_ends_at: number + 5,
			updates: 0,
			// A fixed seed per round, as the pallet draws one when the round stops taking updates.
			aggregation_seed: [index as u8 ^ 0xa5; 32],
			finalized_hash: None,
		};
		m.rounds.insert(
			index,
			RoundData {
				state,
				updates: Vec::new(),
			},
		);
	}

	/// Moves model 0's round to `phase` (in a new block).
	pub fn set_phase(&self, phase: RoundPhase) {
		self.set_phase_of(0, phase);
	}

	/// Moves `model`'s round to `phase` (in a new block).
	pub fn set_phase_of(&self, model: ModelId, phase: RoundPhase) {
		let mut s = self.state.lock().unwrap();
		s.number += 1;
		let number = s.number;
		let r = &mut s.m(model).current_mut().state;
		r.phase = phase;
		r.phase_ends_at = number + 5;
	}

	/// Includes the pending report commitment(s) and moves `model`'s round on to its
	/// report-reveal phase, as the pallet does once the snapshot committed.
	pub fn open_report_reveal_of(&self, model: ModelId) {
		self.include_pending();
		self.set_phase_of(model, RoundPhase::ReportReveal);
	}

	/// A new block without transactions.
	pub fn next_block(&self) {
		self.state.lock().unwrap().number += 1;
	}

	/// Includes every pending transaction in nonce order (a block), applying its call.
	pub fn include_pending(&self) {
		let mut s = self.state.lock().unwrap();
		s.number += 1;
		loop {
			let nonce = s.nonce;
			let Some(tx) = s.sent.iter().find(|t| t.nonce == nonce).cloned() else {
				break;
			};
			let call = s.signed[&tx.bytes].clone();
			s.nonce += 1;
			apply(&mut s, call);
		}
	}

	/// Adds another trainer's revealed update to model 0's round.
	pub fn reveal_foreign(&self, who: Account, values: &[f32]) {
		self.reveal_foreign_of(0, who, values);
	}

	/// Adds another trainer's revealed update to `model`'s round.
	pub fn reveal_foreign_of(&self, model: ModelId, who: Account, values: &[f32]) {
		let payload = tensor_codec::encode_f32(values, &[values.len() as u32]).unwrap();
		self.reveal_payload_of(model, who, payload);
	}

	/// Adds another trainer's revealed payload (any bytes) to `model`'s round.
	pub fn reveal_payload_of(&self, model: ModelId, who: Account, payload: Vec<u8>) {
		let mut s = self.state.lock().unwrap();
		push_update(&mut s, model, who, payload, 20);
	}

	/// Adds another trainer's update with its declared samples and base version.
	pub fn reveal_foreign_update(&self, who: Account, values: &[f32], samples: u32, base: u32) {
		self.reveal_foreign(who, values);
		let mut s = self.state.lock().unwrap();
		let (u, _) = s.m(0).current_mut().updates.last_mut().unwrap();
		u.num_samples = samples;
		u.base_version = base;
	}

	/// Sets the current round's base version (the model's version stays 0).
	pub fn set_base_version(&self, version: u32) {
		self.state
			.lock()
			.unwrap()
			.m(0)
			.current_mut()
			.state
			.base_version = version;
	}

	/// Sets model 0's current round's aggregation seed (what the pallet draws at the reveal
	/// deadline).
	pub fn set_aggregation_seed(&self, seed: Digest) {
		self.state
			.lock()
			.unwrap()
			.m(0)
			.current_mut()
			.state
			.aggregation_seed = seed;
	}

	/// Appends version `hash` from `model`'s current round and marks the round finalized.
	pub fn finalize_of(&self, model: ModelId, hash: Digest) {
		let mut s = self.state.lock().unwrap();
		s.number += 1;
		let number = s.number;
		let m = s.m(model);
		let parent = m.versions.last().map(|v| v.hash);
		let round = m.current().state.index;
		m.versions.push(VersionLink {
			hash,
			parent,
			round: Some(round),
			block: number,
		});
		m.model.version += 1;
		m.model.version_hash = hash;
		let r = &mut m.current_mut().state;
		r.phase = RoundPhase::Finalized;
		r.finalized_hash = Some(hash);
	}

	/// Model 0's current updates.
	pub fn updates(&self) -> Vec<UpdateRef> {
		self.updates_of(0)
	}

	pub fn updates_of(&self, model: ModelId) -> Vec<UpdateRef> {
		let mut s = self.state.lock().unwrap();
		s.m(model)
			.current()
			.updates
			.iter()
			.map(|(u, _)| u.clone())
			.collect()
	}

	/// Every distinct call signed so far, in signing order.
	pub fn sent_calls(&self) -> Vec<FlCall> {
		let s = self.state.lock().unwrap();
		let mut seen = Vec::new();
		let mut out = Vec::new();
		for tx in &s.sent {
			if !seen.contains(&tx.bytes) {
				seen.push(tx.bytes.clone());
				out.push(s.signed[&tx.bytes].clone());
			}
		}
		out
	}

	fn round_data(&self, model: ModelId, round: RoundIndex) -> Option<RoundData> {
		let s = self.state.lock().unwrap();
		s.models.get(&model)?.rounds.get(&round).cloned()
	}
}

fn push_update(s: &mut State, model: ModelId, who: Account, payload: Vec<u8>, num_samples: u32) {
	let number = s.number;
	let round = s.m(model).current_mut();
	let index = round.updates.len() as u32;
	let base_version = round.state.base_version;
	round.updates.push((
		UpdateRef {
			submitter: who,
			payload_hash: tensor_codec::digest(&payload),
			block: number,
			extrinsic_index: index,
			num_samples,
			base_version,
		},
		payload,
	));
	round.state.updates += 1;
}

fn apply(s: &mut State, call: FlCall) {
	match call {
		FlCall::BondTrainer { model, amount } => {
			s.bonds.insert((model, ME), amount);
		}
		FlCall::RegisterValidator { amount } => s.validators.push((ME, amount)),
		FlCall::CommitUpdate {
			model,
			round,
			commitment,
		} => {
			s.commitments.insert((model, round, ME), commitment);
		}
		FlCall::RevealUpdate {
			model,
			round,
			payload,
			salt,
			num_samples,
		} => {
			let c = s.commitments[&(model, round, ME)];
			assert_eq!(tensor_codec::commitment(&payload, &salt, &ME), c);
			push_update(s, model, ME, payload, num_samples);
		}
		FlCall::SubmitUpdate {
			model,
			round,
			payload,
			salt,
			num_samples,
			..
		} => {
			// Like the pallet: the submission consumes a matching commitment.
			let c = s.commitments.remove(&(model, round, ME));
			assert_eq!(Some(tensor_codec::commitment(&payload, &salt, &ME)), c);
			push_update(s, model, ME, payload, num_samples);
		}
		FlCall::CommitReport {
			model,
			round,
			updates_root,
			commitment,
		} => {
			// Like the pallet: a report over another update set is refused.
			let set = s.m(model).rounds.get(&round).map(|r| {
				fedledger_primitives::round::update_set_root(
					r.updates.iter().map(|(u, _)| &u.payload_hash),
				)
			});
			if set == Some(updates_root) {
				s.report_commitments.insert((model, round, ME), commitment);
			}
		}
		FlCall::ReportAggregate {
			model,
			round,
			model_hash,
			accepted,
			scores,
			salt,
		} => {
			// Like the pallet: only the committed report is taken.
			let c = s.report_commitments[&(model, round, ME)];
			assert_eq!(
				fedledger_primitives::round::report_commitment(
					&model_hash,
					&accepted,
					&scores,
					&salt,
					&ME
				),
				c
			);
			s.reports.insert((model, round, ME), model_hash);
		}
	}
}

impl Chain for MockChain {
	fn best(&self) -> Result<BlockRef, ChainError> {
		let s = self.state.lock().unwrap();
		Ok(BlockRef {
			number: s.number,
			hash: [s.number as u8; 32],
		})
	}
	fn models(&self, _: &BlockRef) -> Result<Vec<ModelState>, ChainError> {
		let s = self.state.lock().unwrap();
		Ok(s.models.values().map(|m| m.model.clone()).collect())
	}
	fn current_round(&self, _: &BlockRef, m: ModelId) -> Result<Option<RoundState>, ChainError> {
		let s = self.state.lock().unwrap();
		Ok(s.models
			.get(&m)
			.and_then(|m| m.rounds.values().next_back())
			.map(|r| r.state.clone()))
	}
	fn round(
		&self,
		_: &BlockRef,
		m: ModelId,
		r: RoundIndex,
	) -> Result<Option<RoundState>, ChainError> {
		Ok(self.round_data(m, r).map(|r| r.state))
	}
	fn round_updates(
		&self,
		_: &BlockRef,
		m: ModelId,
		r: RoundIndex,
	) -> Result<Vec<UpdateRef>, ChainError> {
		if self.state.lock().unwrap().panic_on_updates.contains(&m) {
			panic!("mock chain: round_updates of model {m} panics");
		}
		Ok(self
			.round_data(m, r)
			.map(|r| r.updates.into_iter().map(|(u, _)| u).collect())
			.unwrap_or_default())
	}
	fn round_validators(
		&self,
		_: &BlockRef,
		_: ModelId,
		_: RoundIndex,
	) -> Result<Vec<(Account, u128)>, ChainError> {
		Ok(self.state.lock().unwrap().validators.clone())
	}
	fn version(&self, _: &BlockRef, m: ModelId, v: u32) -> Result<Option<VersionLink>, ChainError> {
		let s = self.state.lock().unwrap();
		Ok(s.models
			.get(&m)
			.and_then(|m| m.versions.get(v as usize))
			.cloned())
	}
	fn is_validator(&self, _: &BlockRef, who: &Account) -> Result<bool, ChainError> {
		Ok(self
			.state
			.lock()
			.unwrap()
			.validators
			.iter()
			.any(|(v, _)| v == who))
	}
	fn trainer_bond(
		&self,
		_: &BlockRef,
		m: ModelId,
		who: &Account,
	) -> Result<Option<u128>, ChainError> {
		Ok(self.state.lock().unwrap().bonds.get(&(m, *who)).copied())
	}
	fn commitment(
		&self,
		_: &BlockRef,
		m: ModelId,
		r: RoundIndex,
		who: &Account,
	) -> Result<Option<Digest>, ChainError> {
		Ok(self
			.state
			.lock()
			.unwrap()
			.commitments
			.get(&(m, r, *who))
			.copied())
	}
	fn report_commitment(
		&self,
		_: &BlockRef,
		m: ModelId,
		r: RoundIndex,
		who: &Account,
	) -> Result<Option<Digest>, ChainError> {
		Ok(self
			.state
			.lock()
			.unwrap()
			.report_commitments
			.get(&(m, r, *who))
			.copied())
	}
	fn reported_hash(
		&self,
		_: &BlockRef,
		m: ModelId,
		r: RoundIndex,
		who: &Account,
	) -> Result<Option<Digest>, ChainError> {
		Ok(self
			.state
			.lock()
			.unwrap()
			.reports
			.get(&(m, r, *who))
			.copied())
	}
	fn account_nonce(&self, _: &BlockRef, _: &Account) -> Result<u32, ChainError> {
		Ok(self.state.lock().unwrap().nonce)
	}
	fn update_payload(&self, u: &UpdateRef) -> Result<Option<Vec<u8>>, ChainError> {
		let s = self.state.lock().unwrap();
		Ok(s.models
			.values()
			.flat_map(|m| m.rounds.values())
			.flat_map(|r| r.updates.iter())
			.find(|(x, _)| x == u)
			.map(|(_, p)| p.clone()))
	}
	fn initial_weights(&self, at: u32, hash: &Digest) -> Result<Option<Vec<u8>>, ChainError> {
		let s = self.state.lock().unwrap();
		Ok(s.models
			.values()
			.find(|m| m.model.registered_at == at && tensor_codec::digest(&m.initial) == *hash)
			.map(|m| m.initial.clone()))
	}
	fn sign(&self, call: &FlCall, nonce: u32) -> Result<SignedTx, ChainError> {
		let mut s = self.state.lock().unwrap();
		let bytes = format!("{nonce}:{call:?}").into_bytes();
		s.signed.insert(bytes.clone(), call.clone());
		Ok(SignedTx { nonce, bytes })
	}
	fn submit(&self, tx: &SignedTx) -> Result<(), ChainError> {
		self.state.lock().unwrap().sent.push(tx.clone());
		Ok(())
	}
}

/// A small separable dataset: class = whether the first feature is positive.
pub fn dataset() -> Dataset {
	let n = 40;
	let mut x = Array2::<f32>::zeros((n, 4));
	let mut y = Vec::new();
	for i in 0..n {
		let sign = if i % 2 == 0 { 1.0 } else { -1.0 };
		x[[i, 0]] = sign * (0.5 + (i % 5) as f32 * 0.1);
		x[[i, 1]] = (i % 3) as f32 * 0.1;
		y.push(if sign > 0.0 { 1 } else { 0 });
	}
	Dataset::new(x, y, 2).unwrap()
}
