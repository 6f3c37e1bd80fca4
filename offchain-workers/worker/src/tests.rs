//! The worker against an in-memory chain ([`mock`]) that applies submitted calls the way the
//! pallets do (coarsely): bonding, commit/reveal, reports and version appends.

use std::sync::Arc;

use fedledger_primitives::{
	model::{Schedule, TrainingConfig},
	rules::{AggregationRule, AggregationSpec},
	tensor_codec, Digest, ModelId,
};
use ndarray::Array2;

use super::*;

pub(crate) mod mock;
use mock::{dataset, sync_schedule, MockChain, ME, PARAMS};

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
			..Default::default()
		},
		None,
		Arc::default(),
	)
}

fn trainer(chain: Arc<MockChain>, dir: &std::path::Path) -> Worker<MockChain> {
	let setup = TrainerSetup {
		data: dataset(),
		models: AllowedModels::All,
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

/// An owner pausing mid-round must not get honest committers slashed (issue #12): the
/// worker still reveals what it committed, and commits nothing new to the paused model.
#[test]
fn a_trainer_reveals_its_commitment_after_the_model_is_paused() {
	let dir = tempfile::tempdir().unwrap();
	let chain = MockChain::with_model(sync_schedule(), AggregationRule::Median);
	chain.open_round(1, RoundPhase::Commit);
	let mut w = trainer(chain.clone(), dir.path());
	w.on_block().unwrap(); // bond
	chain.include_pending();
	w.on_block().unwrap(); // commit
	chain.include_pending();
	assert_eq!(chain.sent_calls().len(), 2);
	chain.state.lock().unwrap().m(0).model.active = false;
	chain.set_phase(RoundPhase::Reveal);
	w.on_block().unwrap();
	let calls = chain.sent_calls();
	assert!(
		matches!(calls.last(), Some(FlCall::RevealUpdate { round: 1, .. })),
		"{calls:?}"
	);
	chain.include_pending();
	// The next round of the paused model (were one to open) gets no commit.
	chain.open_round(2, RoundPhase::Commit);
	w.on_block().unwrap();
	assert_eq!(chain.sent_calls().len(), 3);
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
	assert_eq!(chain.updates().len(), 1);
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
	assert!(
		matches!(calls[1], FlCall::CommitReport { .. }),
		"the report is committed to first: {calls:?}"
	);
	chain.open_report_reveal_of(0);
	w.on_block().unwrap();
	w.on_block().unwrap();
	let calls = chain.sent_calls();
	assert_eq!(calls.len(), 3, "{calls:?}");
	let FlCall::ReportAggregate {
		model_hash,
		accepted,
		scores,
		..
	} = calls[2].clone()
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
	chain.finalize_of(0, model_hash);
	let other_dir = tempfile::tempdir().unwrap();
	let mut follower = Worker::new(
		chain.clone(),
		Store::open(other_dir.path()).unwrap(),
		WorkerConfig::default(),
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

/// A validator in round 1's aggregate phase, registered, over four close updates and an
/// outlier revealed by others.
fn aggregating_validator(chain: &Arc<MockChain>, dir: &std::path::Path) -> Worker<MockChain> {
	chain.open_round(1, RoundPhase::Reveal);
	for i in 0..4u8 {
		let mut v = [0.1f32; PARAMS as usize];
		v[0] += f32::from(i) * 0.05;
		chain.reveal_foreign([i + 1; 32], &v);
	}
	chain.reveal_foreign([9; 32], &[-3.0; PARAMS as usize]);
	let mut w = validator(chain.clone(), dir);
	w.on_block().unwrap();
	chain.include_pending();
	chain.set_phase(RoundPhase::Aggregate);
	w
}

/// `--fl-lie` (attacks build): the report names the true update set, so the chain takes it,
/// but a hash no honest validator computes, every update accepted and the scores reversed.
#[test]
fn a_lying_validator_reports_a_wrong_hash_and_fake_scores_over_the_true_set() {
	let reports = |lie: bool| {
		let dir = tempfile::tempdir().unwrap();
		let chain =
			MockChain::with_model(sync_schedule(), AggregationRule::MultiKrum { f: 1, m: 3 });
		let mut w = aggregating_validator(&chain, dir.path());
		w.config.lie_in_reports = lie;
		w.on_block().unwrap();
		let commitment = chain.sent_calls().last().cloned().unwrap();
		chain.open_report_reveal_of(0);
		w.on_block().unwrap();
		(commitment, chain.sent_calls().last().cloned().unwrap())
	};
	let (
		(
			FlCall::CommitReport { updates_root, .. },
			FlCall::ReportAggregate {
				model_hash,
				accepted,
				scores,
				..
			},
		),
		(
			FlCall::CommitReport {
				updates_root: lie_root,
				..
			},
			FlCall::ReportAggregate {
				model_hash: lie_hash,
				accepted: lie_accepted,
				scores: lie_scores,
				..
			},
		),
	) = (reports(false), reports(true))
	else {
		panic!("expected two committed reports");
	};
	assert_ne!(lie_hash, model_hash);
	assert_eq!(lie_root, updates_root, "the true set: taken, then slashed");
	assert_eq!(lie_accepted, vec![0, 1, 2, 3, 4]);
	assert_ne!(
		accepted, lie_accepted,
		"the honest report rejects the outlier"
	);
	let mut reversed = scores.clone();
	reversed.reverse();
	assert_eq!(lie_scores, reversed);
	assert_ne!(lie_scores, scores);
}

/// The report's salt is journaled before its commitment is sent: a validator restarted
/// between its commitment and the reveal window reveals exactly what it committed to (the
/// mock chain, like the pallet, takes only a matching report), without aggregating again and
/// without signing anything twice.
#[test]
fn a_restarted_validator_reveals_the_report_it_committed_to() {
	let dir = tempfile::tempdir().unwrap();
	let chain = MockChain::with_model(sync_schedule(), AggregationRule::MultiKrum { f: 1, m: 3 });
	let mut w = aggregating_validator(&chain, dir.path());
	w.on_block().unwrap();
	assert!(matches!(
		chain.sent_calls().last(),
		Some(FlCall::CommitReport { .. })
	));
	drop(w); // killed once its commitment is sent
	chain.open_report_reveal_of(0);
	let mut w = validator(chain.clone(), dir.path());
	w.on_block().unwrap();
	assert!(w.computed.is_empty(), "the reveal comes from the journal");
	chain.include_pending(); // panics if the report does not match the commitment
	assert!(chain
		.state
		.lock()
		.unwrap()
		.reports
		.contains_key(&(0, 1, ME)));
	w.on_block().unwrap();
	let calls = chain.sent_calls();
	let count = |f: fn(&FlCall) -> bool| calls.iter().filter(|c| f(c)).count();
	assert_eq!(count(|c| matches!(c, FlCall::CommitReport { .. })), 1);
	assert_eq!(count(|c| matches!(c, FlCall::ReportAggregate { .. })), 1);
}

/// A report computed over the update set of a fork that lost names that set's root; the
/// winning chain refuses its commitment, and the validator aggregates the winning chain's
/// set and commits again (the journal is replaced, so it reveals the new report).
#[test]
fn a_report_committed_over_a_lost_fork_is_recomputed_over_the_chains_set() {
	let dir = tempfile::tempdir().unwrap();
	let chain = MockChain::with_model(sync_schedule(), AggregationRule::MultiKrum { f: 1, m: 3 });
	let mut w = aggregating_validator(&chain, dir.path());
	w.on_block().unwrap();
	let Some(FlCall::CommitReport {
		updates_root: fork_root,
		..
	}) = chain.sent_calls().last().cloned()
	else {
		panic!("expected a report commitment");
	};
	// The chain the commitment lands on holds one more update: refused there.
	chain.reveal_foreign([10; 32], &[0.12; PARAMS as usize]);
	chain.include_pending();
	assert!(chain.state.lock().unwrap().report_commitments.is_empty());
	w.on_block().unwrap();
	let Some(FlCall::CommitReport { updates_root, .. }) = chain.sent_calls().last().cloned() else {
		panic!("expected a second report commitment");
	};
	assert_ne!(updates_root, fork_root);
	chain.open_report_reveal_of(0);
	assert!(chain
		.state
		.lock()
		.unwrap()
		.report_commitments
		.contains_key(&(0, 1, ME)));
	w.on_block().unwrap();
	chain.include_pending(); // panics if the report does not match the new commitment
	let Some(FlCall::ReportAggregate { scores, .. }) = chain.sent_calls().last().cloned() else {
		panic!("expected a report");
	};
	assert_eq!(
		scores.len(),
		6,
		"one score per update of the winning chain's set"
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
		let m = s.m(0);
		let parent = m.versions[0].hash;
		m.versions.push(VersionLink {
			hash: [0xAB; 32], // not what the updates produce
			parent: Some(parent),
			round: Some(1),
			block: 2,
		});
		m.model.version = 1;
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
fn buffered_async_trainer_commits_then_submits_once_against_the_current_version() {
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
	let FlCall::CommitUpdate { commitment, .. } = &calls[0] else {
		panic!("expected a commitment first, got {calls:?}");
	};
	let commitment = *commitment;
	// The submission follows once the commitment is on chain (a later block than its own).
	chain.include_pending();
	w.on_block().unwrap();
	let calls = chain.sent_calls();
	assert_eq!(calls.len(), 2, "{calls:?}");
	let FlCall::SubmitUpdate {
		base_version,
		payload,
		salt,
		..
	} = &calls[1]
	else {
		panic!("expected a buffered submission, got {calls:?}");
	};
	assert_eq!(*base_version, 0);
	assert!(tensor_codec::validate(payload, PARAMS).is_ok());
	assert_eq!(tensor_codec::commitment(payload, salt, &ME), commitment);
	chain.include_pending();
	w.on_block().unwrap();
	assert_eq!(
		chain.sent_calls().len(),
		2,
		"submitted: nothing more this round"
	);
	assert_eq!(chain.updates().len(), 1);
	assert_eq!(w.status().lock().unwrap().submits, 1);
}

/// A validator and trainer over `chain` with `config`'s caps and budget, and metrics.
fn full_worker(
	chain: Arc<MockChain>,
	dir: &std::path::Path,
	config: WorkerConfig,
) -> (Worker<MockChain>, Metrics) {
	let metrics = Metrics::register(&prometheus_endpoint::Registry::new()).unwrap();
	let config = WorkerConfig {
		account: Some(ME),
		validator: true,
		trainer: Some(TrainerSetup {
			data: dataset(),
			models: AllowedModels::All,
			attack: None,
		}),
		trainer_bond: 10,
		validator_bond: 100,
		..config
	};
	let w = Worker::new(
		chain,
		Store::open(dir).unwrap(),
		config,
		Some(metrics.clone()),
		Arc::default(),
	);
	(w, metrics)
}

mod isolation;
mod retention;
mod shared_path;

/// An owner's bait (issue #12, item 2): a trainer bonded to every model its data fit, so any
/// model registered to slash trainers got bonds. It bonds now only to the models its operator
/// allows (`--fl-models`) that pass the node-side checks.
#[test]
fn a_trainer_bonds_only_to_allowed_models_that_pass_its_checks() {
	let dir = tempfile::tempdir().unwrap();
	let chain = MockChain::with_model(sync_schedule(), AggregationRule::Median);
	let zeros = tensor_codec::encode_zeros(PARAMS).unwrap();
	let spec = AggregationSpec::plain(AggregationRule::Median);
	let pays_nothing = TrainingConfig {
		reward_per_round: 0,
		..mock::config(sync_schedule(), spec)
	};
	let Schedule::Sync {
		commit_blocks,
		aggregate_blocks,
		min_updates,
		..
	} = sync_schedule()
	else {
		unreachable!("a sync schedule")
	};
	let short_reveal = mock::config(
		Schedule::Sync {
			commit_blocks,
			reveal_blocks: MIN_SAFE_REVEAL_BLOCKS - 1,
			aggregate_blocks,
			min_updates,
		},
		spec,
	);
	chain.add_model(
		1,
		mock::config(sync_schedule(), spec),
		PARAMS,
		zeros.clone(),
	);
	chain.add_model(2, pays_nothing, PARAMS, zeros.clone());
	chain.add_model(3, short_reveal, PARAMS, zeros.clone());
	chain.add_model(4, mock::config(sync_schedule(), spec), PARAMS, zeros);
	assert!(refusal(&pays_nothing).is_some());
	assert!(refusal(&short_reveal).is_some());
	let setup = TrainerSetup {
		data: dataset(),
		models: "1,2,3".parse().unwrap(),
		attack: None,
	};
	let mut w = worker(chain.clone(), dir.path(), false, Some(setup));
	for _ in 0..3 {
		w.on_block().unwrap();
		chain.include_pending();
	}
	let bonded: Vec<ModelId> = chain
		.sent_calls()
		.iter()
		.filter_map(|c| match c {
			FlCall::BondTrainer { model, .. } => Some(*model),
			_ => None,
		})
		.collect();
	// 0 and 4 are not allowed; 2 pays trainers nothing; 3's reveal window is too short.
	assert_eq!(bonded, vec![1]);
}

#[test]
fn allowed_models_parse_all_or_ids() {
	assert_eq!("all".parse::<AllowedModels>(), Ok(AllowedModels::All));
	let some: AllowedModels = " 3, 0,3".parse().unwrap();
	assert!(some.allows(0) && some.allows(3) && !some.allows(1));
	assert!("0,x".parse::<AllowedModels>().unwrap_err().contains("`x`"));
	assert!("".parse::<AllowedModels>().is_err());
}
