//! The worker against an in-memory chain that applies submitted calls the way the pallets do
//! (coarsely): bonding, commit/reveal, reports and version appends.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use fedledger_primitives::{
	model::{Schedule, TrainingConfig},
	rules::{AggregationRule, AggregationSpec},
	tensor_codec, Digest, ModelId, RoundIndex,
};
use ndarray::Array2;

use super::*;
use fedledger_ml::data::Dataset;

const ME: Account = [7; 32];
const PARAMS: u32 = 4 * 2 + 2; // logistic regression, 4 features, 2 classes

#[derive(Default)]
struct State {
	number: u32,
	/// Parameters of the model.
	params: u32,
	model: Option<ModelState>,
	initial: Vec<u8>,
	round: Option<RoundState>,
	bonds: HashMap<(ModelId, Account), u128>,
	validators: Vec<(Account, u128)>,
	commitments: HashMap<(ModelId, RoundIndex, Account), Digest>,
	updates: Vec<(UpdateRef, Vec<u8>)>,
	reports: HashMap<(ModelId, RoundIndex, Account), Digest>,
	versions: Vec<VersionLink>,
	nonce: u32,
	/// Every transaction handed to the pool, in order (re-sends included).
	sent: Vec<SignedTx>,
	/// Signed calls by their bytes, to apply them when "included".
	signed: HashMap<Vec<u8>, FlCall>,
}

#[derive(Default)]
struct MockChain {
	state: Mutex<State>,
}

impl MockChain {
	fn with_model(schedule: Schedule, rule: AggregationRule) -> Arc<Self> {
		let zeros = vec![0.0; PARAMS as usize];
		Self::with_weights(schedule, AggregationSpec::plain(rule), &zeros)
	}

	/// A model whose version 0 has `weights` (the architecture is not checked by validators).
	fn with_weights(schedule: Schedule, spec: AggregationSpec, weights: &[f32]) -> Arc<Self> {
		let chain = Arc::new(Self::default());
		let mut config = TrainingConfig::example(4, 2, 3, 1_000);
		config.schedule = schedule;
		config.aggregation = spec;
		let params = weights.len() as u32;
		let initial = tensor_codec::encode_f32(weights, &[params]).unwrap();
		let hash = tensor_codec::digest(&initial);
		{
			let mut s = chain.state.lock().unwrap();
			s.number = 1;
			s.params = params;
			s.initial = initial;
			s.model = Some(ModelState {
				id: 0,
				active: true,
				config,
				parameter_count: params,
				version: 0,
				version_hash: hash,
				registered_at: 1,
			});
			s.versions.push(VersionLink {
				hash,
				parent: None,
				round: None,
				block: 1,
			});
		}
		chain
	}

	fn open_round(&self, index: RoundIndex, phase: RoundPhase) {
		let mut s = self.state.lock().unwrap();
		let m = s.model.clone().unwrap();
		s.round = Some(RoundState {
			model: 0,
			index,
			base_version: m.version,
			base_hash: m.version_hash,
			config: m.config,
			parameter_count: s.params,
			phase,
			phase_ends_at: s.number + 5,
			updates: 0,
			finalized_hash: None,
		});
	}

	fn set_phase(&self, phase: RoundPhase) {
		let mut s = self.state.lock().unwrap();
		s.number += 1;
		s.round.as_mut().unwrap().phase = phase;
	}

	/// Includes every pending transaction in nonce order (a block), applying its call.
	fn include_pending(&self) {
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

	/// Adds another trainer's revealed update.
	fn reveal_foreign(&self, who: Account, values: &[f32]) {
		let mut s = self.state.lock().unwrap();
		let payload = tensor_codec::encode_f32(values, &[values.len() as u32]).unwrap();
		push_update(&mut s, who, payload, 20);
	}

	/// Adds another trainer's update with its declared samples and base version.
	fn reveal_foreign_update(&self, who: Account, values: &[f32], samples: u32, base: u32) {
		self.reveal_foreign(who, values);
		let mut s = self.state.lock().unwrap();
		let (u, _) = s.updates.last_mut().unwrap();
		u.num_samples = samples;
		u.base_version = base;
	}

	/// Sets the current round's base version (the model's version stays 0).
	fn set_base_version(&self, version: u32) {
		self.state
			.lock()
			.unwrap()
			.round
			.as_mut()
			.unwrap()
			.base_version = version;
	}

	fn sent_calls(&self) -> Vec<FlCall> {
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
}

fn push_update(s: &mut State, who: Account, payload: Vec<u8>, num_samples: u32) {
	let number = s.number;
	let index = s.updates.len() as u32;
	let base_version = s.round.as_ref().unwrap().base_version;
	s.updates.push((
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
	s.round.as_mut().unwrap().updates += 1;
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
			push_update(s, ME, payload, num_samples);
		}
		FlCall::SubmitUpdate {
			payload,
			num_samples,
			..
		} => push_update(s, ME, payload, num_samples),
		FlCall::ReportAggregate {
			model,
			round,
			model_hash,
			..
		} => {
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
		Ok(self
			.state
			.lock()
			.unwrap()
			.model
			.clone()
			.into_iter()
			.collect())
	}
	fn current_round(&self, _: &BlockRef, _: ModelId) -> Result<Option<RoundState>, ChainError> {
		Ok(self.state.lock().unwrap().round.clone())
	}
	fn round(
		&self,
		_: &BlockRef,
		_: ModelId,
		r: RoundIndex,
	) -> Result<Option<RoundState>, ChainError> {
		Ok(self
			.state
			.lock()
			.unwrap()
			.round
			.clone()
			.filter(|x| x.index == r))
	}
	fn round_updates(
		&self,
		_: &BlockRef,
		_: ModelId,
		_: RoundIndex,
	) -> Result<Vec<UpdateRef>, ChainError> {
		Ok(self
			.state
			.lock()
			.unwrap()
			.updates
			.iter()
			.map(|(u, _)| u.clone())
			.collect())
	}
	fn round_validators(
		&self,
		_: &BlockRef,
		_: ModelId,
		_: RoundIndex,
	) -> Result<Vec<(Account, u128)>, ChainError> {
		Ok(self.state.lock().unwrap().validators.clone())
	}
	fn version(&self, _: &BlockRef, _: ModelId, v: u32) -> Result<Option<VersionLink>, ChainError> {
		Ok(self.state.lock().unwrap().versions.get(v as usize).cloned())
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
		Ok(s.updates
			.iter()
			.find(|(x, _)| x == u)
			.map(|(_, p)| p.clone()))
	}
	fn initial_weights(&self, _: u32, hash: &Digest) -> Result<Option<Vec<u8>>, ChainError> {
		let s = self.state.lock().unwrap();
		Ok((tensor_codec::digest(&s.initial) == *hash).then(|| s.initial.clone()))
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

fn sync_schedule() -> Schedule {
	Schedule::Sync {
		commit_blocks: 3,
		reveal_blocks: 3,
		aggregate_blocks: 3,
		min_updates: 3,
	}
}

/// A small separable dataset: class = whether the first feature is positive.
fn dataset() -> Dataset {
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

fn worker(
	chain: Arc<MockChain>,
	dir: &std::path::Path,
	validator: bool,
	trainer: Option<TrainerSetup>,
) -> Worker<MockChain> {
	Worker::new(
		chain,
		Store::open(dir).unwrap(),
		WorkerConfig {
			account: Some(ME),
			validator,
			trainer,
			trainer_bond: 10,
			validator_bond: 100,
		},
		None,
		Arc::default(),
	)
}

fn trainer(chain: Arc<MockChain>, dir: &std::path::Path) -> Worker<MockChain> {
	let setup = TrainerSetup {
		data: dataset(),
		attack: None,
	};
	worker(chain, dir, false, Some(setup))
}

fn validator(chain: Arc<MockChain>, dir: &std::path::Path) -> Worker<MockChain> {
	worker(chain, dir, true, None)
}

#[test]
fn trainer_bonds_commits_and_reveals_the_committed_update_once() {
	let dir = tempfile::tempdir().unwrap();
	let chain = MockChain::with_model(sync_schedule(), AggregationRule::Median);
	chain.open_round(1, RoundPhase::Commit);
	let mut w = trainer(chain.clone(), dir.path());

	w.on_block().unwrap();
	assert!(matches!(
		chain.sent_calls()[..],
		[FlCall::BondTrainer {
			model: 0,
			amount: 10
		}]
	));
	chain.include_pending();
	w.on_block().unwrap();
	// Pending commit: later wake-ups re-send, they do not sign again.
	w.on_block().unwrap();
	w.on_block().unwrap();
	let calls = chain.sent_calls();
	assert_eq!(calls.len(), 2, "{calls:?}");
	assert!(matches!(
		calls[1],
		FlCall::CommitUpdate {
			model: 0,
			round: 1,
			..
		}
	));
	chain.include_pending();
	w.on_block().unwrap();
	assert_eq!(
		chain.sent_calls().len(),
		2,
		"committed: nothing more to do in the commit phase"
	);

	chain.set_phase(RoundPhase::Reveal);
	w.on_block().unwrap();
	let calls = chain.sent_calls();
	let FlCall::RevealUpdate {
		payload,
		num_samples,
		..
	} = &calls[2]
	else {
		panic!("expected a reveal, got {calls:?}");
	};
	assert_eq!(*num_samples, 40);
	let delta = tensor_codec::decode(payload, PARAMS).unwrap().values;
	assert!(
		delta.iter().any(|v| *v != 0.0),
		"training moved the weights"
	);
	chain.include_pending(); // applying checks the commitment
	w.on_block().unwrap();
	assert_eq!(chain.sent_calls().len(), 3);
	assert_eq!(w.status().lock().unwrap().commits, 1);
	assert_eq!(w.status().lock().unwrap().reveals, 1);
}

#[test]
fn a_restarted_trainer_resends_its_pending_commit_and_reveals_the_same_update() {
	let dir = tempfile::tempdir().unwrap();
	let chain = MockChain::with_model(sync_schedule(), AggregationRule::Median);
	chain.state.lock().unwrap().bonds.insert((0, ME), 10);
	chain.open_round(1, RoundPhase::Commit);
	{
		let mut w = trainer(chain.clone(), dir.path());
		w.on_block().unwrap();
	} // crash before the commit is included
	let sent_before = chain.state.lock().unwrap().sent.len();
	let mut w = trainer(chain.clone(), dir.path());
	w.on_block().unwrap();
	let s = chain.state.lock().unwrap();
	assert_eq!(s.signed.len(), 1, "the restarted worker signed nothing new");
	assert!(
		s.sent.len() > sent_before,
		"it re-sent the journaled transaction"
	);
	assert!(s.sent.iter().all(|t| t.bytes == s.sent[0].bytes));
	drop(s);
	chain.include_pending();
	chain.set_phase(RoundPhase::Reveal);
	let mut w = trainer(chain.clone(), dir.path()); // and another restart before revealing
	w.on_block().unwrap();
	chain.include_pending(); // panics if the reveal does not match the commitment
	assert_eq!(chain.state.lock().unwrap().updates.len(), 1);
}

#[test]
fn validator_registers_reports_the_deterministic_aggregate_and_verifies_the_version() {
	let dir = tempfile::tempdir().unwrap();
	let chain = MockChain::with_model(sync_schedule(), AggregationRule::MultiKrum { f: 1, m: 3 });
	chain.open_round(1, RoundPhase::Reveal);
	let honest = [[0.1, 0.2, -0.1, 0.0, 0.3, 0.1, 0.0, 0.1, 0.05, -0.05]; 4];
	for (i, h) in honest.iter().enumerate() {
		let mut v = *h;
		v[0] += i as f32 * 0.01;
		chain.reveal_foreign([i as u8 + 1; 32], &v);
	}
	chain.reveal_foreign([9; 32], &[-3.0; PARAMS as usize]);
	let mut w = validator(chain.clone(), dir.path());
	w.on_block().unwrap();
	assert!(matches!(
		chain.sent_calls()[..],
		[FlCall::RegisterValidator { amount: 100 }]
	));
	chain.include_pending();

	chain.set_phase(RoundPhase::Aggregate);
	w.on_block().unwrap();
	w.on_block().unwrap();
	let calls = chain.sent_calls();
	assert_eq!(calls.len(), 2, "{calls:?}");
	let FlCall::ReportAggregate {
		model_hash,
		accepted,
		scores,
		..
	} = calls[1].clone()
	else {
		panic!("expected a report, got {calls:?}");
	};
	assert!(
		!accepted.contains(&4),
		"the outlier is rejected: {accepted:?}"
	);
	assert_eq!(scores[4], 0);

	// A fresh node rebuilds the same version from chain data alone.
	chain.include_pending();
	{
		let mut s = chain.state.lock().unwrap();
		let parent = s.versions[0].hash;
		let number = s.number;
		s.versions.push(VersionLink {
			hash: model_hash,
			parent: Some(parent),
			round: Some(1),
			block: number,
		});
		let m = s.model.as_mut().unwrap();
		m.version = 1;
		m.version_hash = model_hash;
		s.round.as_mut().unwrap().phase = RoundPhase::Finalized;
	}
	let other_dir = tempfile::tempdir().unwrap();
	let mut follower = Worker::new(
		chain.clone(),
		Store::open(other_dir.path()).unwrap(),
		WorkerConfig {
			account: None,
			validator: false,
			trainer: None,
			trainer_bond: 0,
			validator_bond: 0,
		},
		None,
		Arc::default(),
	);
	follower.on_block().unwrap();
	let status = follower.status().lock().unwrap().clone();
	assert_eq!(status.models[0].version, Some(1));
	assert!(status.models[0].verified);
	assert_eq!(
		follower.store().version(0, 1).unwrap(),
		Some(model_hash),
		"version 1 rebuilt and verified"
	);
}

#[test]
fn a_version_that_does_not_rebuild_is_flagged_not_adopted() {
	let dir = tempfile::tempdir().unwrap();
	let chain = MockChain::with_model(sync_schedule(), AggregationRule::Median);
	chain.open_round(1, RoundPhase::Reveal);
	for i in 0..3 {
		chain.reveal_foreign([i + 1; 32], &[0.1 * i as f32; PARAMS as usize]);
	}
	{
		let mut s = chain.state.lock().unwrap();
		let parent = s.versions[0].hash;
		let number = s.number;
		s.versions.push(VersionLink {
			hash: [0xAB; 32], // not what the updates produce
			parent: Some(parent),
			round: Some(1),
			block: number,
		});
		s.model.as_mut().unwrap().version = 1;
	}
	let mut w = validator(chain.clone(), dir.path());
	w.config.validator = false;
	w.on_block().unwrap();
	let status = w.status().lock().unwrap().clone();
	assert_eq!(status.models[0].version, Some(0));
	assert!(!status.models[0].verified);
	assert_eq!(status.mismatches, 1);
	assert_eq!(w.store().version(0, 1).unwrap(), None);
}

#[test]
fn buffered_async_trainer_submits_once_against_the_current_version() {
	use fedledger_primitives::rules::StalenessFn;
	let dir = tempfile::tempdir().unwrap();
	let schedule = Schedule::BufferedAsync {
		buffer_size: 3,
		max_staleness: 2,
		staleness: StalenessFn::Constant,
		buffer_blocks: 10,
		aggregate_blocks: 3,
		min_updates: 3,
	};
	let chain = MockChain::with_model(schedule, AggregationRule::Median);
	chain.state.lock().unwrap().bonds.insert((0, ME), 10);
	chain.open_round(1, RoundPhase::Buffer);
	let mut w = trainer(chain.clone(), dir.path());
	w.on_block().unwrap();
	w.on_block().unwrap();
	let calls = chain.sent_calls();
	assert_eq!(calls.len(), 1, "{calls:?}");
	let FlCall::SubmitUpdate {
		base_version,
		payload,
		..
	} = &calls[0]
	else {
		panic!("expected a buffered submission, got {calls:?}");
	};
	assert_eq!(*base_version, 0);
	assert!(tensor_codec::validate(payload, PARAMS).is_ok());
	chain.include_pending();
	w.on_block().unwrap();
	assert_eq!(
		chain.sent_calls().len(),
		1,
		"submitted: nothing more this round"
	);
	assert_eq!(chain.state.lock().unwrap().updates.len(), 1);
	assert_eq!(w.status().lock().unwrap().submits, 1);
}

mod shared_path;
