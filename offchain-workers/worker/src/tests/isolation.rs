//! One model's failure, panic, size or cost never stops another model's duties (issue #11).

use std::time::Duration;

use fedledger_primitives::rules::AggregationSpec;

use super::mock::config;
use super::*;

/// Registers models `ids` next to model 0 (zero weights, the default architecture), with the
/// worker already bonded for every model and registered as validator.
fn chain_with_models(ids: &[ModelId]) -> Arc<MockChain> {
	let chain = MockChain::with_model(sync_schedule(), AggregationRule::Median);
	for &id in ids {
		let zeros = vec![0.0; PARAMS as usize];
		let initial = tensor_codec::encode_f32(&zeros, &[PARAMS]).unwrap();
		let cfg = config(
			sync_schedule(),
			AggregationSpec::plain(AggregationRule::Median),
		);
		chain.add_model(id, cfg, PARAMS, initial);
	}
	let mut s = chain.state.lock().unwrap();
	for id in std::iter::once(0).chain(ids.iter().copied()) {
		s.bonds.insert((id, ME), 10);
	}
	s.validators.push((ME, 100));
	drop(s);
	chain
}

/// Three good updates for `model`'s round.
fn reveal_three(chain: &MockChain, model: ModelId) {
	for i in 0..3u8 {
		let v = [0.1 * (i + 1) as f32; PARAMS as usize];
		chain.reveal_foreign_of(model, [i + 1; 32], &v);
	}
}

/// Model 0's round in its aggregate phase with an update of the wrong shape (5 values for a
/// model of 10): a real decode failure, the same every block.
fn bad_shape_round(chain: &MockChain, round: RoundIndex) {
	chain.open_round_of(0, round, RoundPhase::Reveal);
	reveal_three(chain, 0);
	chain.reveal_foreign_of(0, [9; 32], &[1.0; 5]);
	chain.set_phase_of(0, RoundPhase::Aggregate);
}

fn failures(m: &Metrics, duty: &str, kind: &str) -> u64 {
	m.model_failures.with_label_values(&[duty, kind]).get()
}

/// Whether a report of `model` was committed to (the aggregate phase's duty).
fn reported(calls: &[FlCall], model: ModelId) -> bool {
	calls
		.iter()
		.any(|c| matches!(c, FlCall::CommitReport { model: m, .. } if *m == model))
}

fn committed(calls: &[FlCall], model: ModelId) -> bool {
	calls
		.iter()
		.any(|c| matches!(c, FlCall::CommitUpdate { model: m, .. } if *m == model))
}

/// On the old code model 0's decode error ended the wake-up (`?`) before model 2's report
/// and model 3's commit, and model 1's panic unwound out of `on_block`.
#[test]
fn a_failing_and_a_panicking_model_do_not_stop_other_models_in_the_same_block() {
	let dir = tempfile::tempdir().unwrap();
	let chain = chain_with_models(&[1, 2, 3]);
	bad_shape_round(&chain, 1);
	chain.open_round_of(1, 1, RoundPhase::Reveal);
	reveal_three(&chain, 1);
	chain.set_phase_of(1, RoundPhase::Aggregate);
	chain.state.lock().unwrap().panic_on_updates.insert(1);
	chain.open_round_of(2, 1, RoundPhase::Reveal);
	reveal_three(&chain, 2);
	chain.set_phase_of(2, RoundPhase::Aggregate);
	chain.open_round_of(3, 1, RoundPhase::Commit);
	let (mut w, metrics) = full_worker(chain.clone(), dir.path(), WorkerConfig::default());

	w.on_block().unwrap();
	let calls = chain.sent_calls();
	assert!(reported(&calls, 2), "model 2 reported: {calls:?}");
	assert!(committed(&calls, 3), "model 3 committed: {calls:?}");
	assert!(!reported(&calls, 0) && !reported(&calls, 1), "{calls:?}");
	assert_eq!(failures(&metrics, "validate", "error"), 1);
	assert_eq!(failures(&metrics, "validate", "panic"), 1);
	let status = w.status().lock().unwrap().clone();
	assert!(status.last_error.is_some(), "{status:?}");

	// The next phase of model 3 (its reveal) is not stopped either, nor model 2's version.
	chain.include_pending();
	chain.set_phase_of(3, RoundPhase::Reveal);
	w.on_block().unwrap();
	chain.include_pending();
	assert_eq!(chain.updates_of(3).len(), 1, "model 3 revealed");
	chain.open_report_reveal_of(2);
	w.on_block().unwrap();
	chain.include_pending();
	let hash = chain.state.lock().unwrap().reports[&(2, 1, ME)];
	chain.finalize_of(2, hash);
	w.on_block().unwrap();
	let status = w.status().lock().unwrap().clone();
	assert_eq!(status.models[2].version, Some(1));
	assert!(status.models[2].verified);
}

/// The same failures, block after block, are counted (and logged) once per round; a new
/// round counts again. (The old code had no boundary to count in: the error ended every
/// wake-up and the panic unwound out of it.)
#[test]
fn a_failure_is_counted_once_per_round_not_once_per_block() {
	let dir = tempfile::tempdir().unwrap();
	let chain = chain_with_models(&[1]);
	bad_shape_round(&chain, 1);
	chain.open_round_of(1, 1, RoundPhase::Reveal);
	reveal_three(&chain, 1);
	chain.set_phase_of(1, RoundPhase::Aggregate);
	chain.state.lock().unwrap().panic_on_updates.insert(1);
	let (mut w, metrics) = full_worker(chain.clone(), dir.path(), WorkerConfig::default());
	for _ in 0..4 {
		w.on_block().unwrap();
		chain.next_block();
	}
	assert_eq!(failures(&metrics, "validate", "error"), 1);
	assert_eq!(failures(&metrics, "validate", "panic"), 1);

	bad_shape_round(&chain, 2);
	chain.open_round_of(1, 2, RoundPhase::Reveal);
	reveal_three(&chain, 1);
	chain.set_phase_of(1, RoundPhase::Aggregate);
	for _ in 0..3 {
		w.on_block().unwrap();
		chain.next_block();
	}
	assert_eq!(failures(&metrics, "validate", "error"), 2);
	assert_eq!(failures(&metrics, "validate", "panic"), 2);
	assert_eq!(failures(&metrics, "train", "error"), 0);
}

/// With no budget left, a wake-up still sends model 2's due reveal first, trains one model
/// and defers the other's training to the next wake-up, which starts with it. (The old code
/// trained models 0 and 1 before it got to model 2's reveal, all in one wake-up.)
#[test]
fn the_budget_defers_heavy_work_but_never_a_due_reveal() {
	let dir = tempfile::tempdir().unwrap();
	// Model 2 alone first: it trains and commits.
	let chain = Arc::new(MockChain::default());
	chain.state.lock().unwrap().number = 1;
	let zeros = vec![0.0; PARAMS as usize];
	let initial = || tensor_codec::encode_f32(&zeros, &[PARAMS]).unwrap();
	chain.add_model(2, config_for_median(), PARAMS, initial());
	chain
		.state
		.lock()
		.unwrap()
		.bonds
		.extend([((0, ME), 10), ((1, ME), 10), ((2, ME), 10)]);
	chain.open_round_of(2, 1, RoundPhase::Commit);
	let config = WorkerConfig {
		wakeup_budget: Duration::ZERO,
		..Default::default()
	};
	let (mut w, metrics) = full_worker(chain.clone(), dir.path(), config);
	w.config.validator = false;
	w.on_block().unwrap();
	chain.include_pending();
	assert!(committed(&chain.sent_calls(), 2));

	// Now models 0 and 1 open their commit phase as model 2 reveals.
	for id in [0, 1] {
		chain.add_model(id, config_for_median(), PARAMS, initial());
		chain.open_round_of(id, 1, RoundPhase::Commit);
	}
	chain.set_phase_of(2, RoundPhase::Reveal);
	let before = chain.sent_calls().len();
	w.on_block().unwrap();
	let calls = chain.sent_calls()[before..].to_vec();
	assert!(
		matches!(calls[0], FlCall::RevealUpdate { model: 2, .. }),
		"the reveal goes first: {calls:?}"
	);
	assert_eq!(
		calls.len(),
		2,
		"one model trained, the other deferred: {calls:?}"
	);
	let FlCall::CommitUpdate { model: first, .. } = calls[1] else {
		panic!("expected a commit, got {calls:?}");
	};
	assert_eq!(metrics.heavy_deferred.get(), 1);

	chain.next_block();
	let before = chain.sent_calls().len();
	w.on_block().unwrap();
	let calls = chain.sent_calls()[before..].to_vec();
	assert!(
		matches!(calls[..], [FlCall::CommitUpdate { model, .. }] if model == 1 - first),
		"the deferred model trains next: {calls:?}"
	);
}

fn config_for_median() -> fedledger_primitives::model::TrainingConfig<u128> {
	config(
		sync_schedule(),
		AggregationSpec::plain(AggregationRule::Median),
	)
}

/// Training that cannot finish before its phase ends (here: a zero block time) is
/// abandoned, counted once and not retried in the round; another model is unaffected.
#[test]
fn over_budget_training_is_abandoned_counted_once_and_not_retried() {
	let dir = tempfile::tempdir().unwrap();
	let chain = chain_with_models(&[1]);
	chain.open_round_of(0, 1, RoundPhase::Commit);
	chain.open_round_of(1, 1, RoundPhase::Reveal);
	reveal_three(&chain, 1);
	chain.set_phase_of(1, RoundPhase::Aggregate);
	let config = WorkerConfig {
		block_time: Duration::ZERO,
		..Default::default()
	};
	let (mut w, metrics) = full_worker(chain.clone(), dir.path(), config);
	for _ in 0..3 {
		w.on_block().unwrap();
		chain.next_block();
	}
	let calls = chain.sent_calls();
	assert!(!committed(&calls, 0), "{calls:?}");
	assert!(reported(&calls, 1), "{calls:?}");
	assert_eq!(failures(&metrics, "train", "over_budget"), 1);
	assert!(
		w.store().commit(0, 1).unwrap().is_none(),
		"nothing journaled"
	);
}

/// A model over `--fl-max-params` is not followed and says so in the status; the metric
/// counts it once; a model within the cap alongside it is followed.
#[test]
fn a_model_over_the_cap_is_not_followed_and_shows_in_the_status() {
	let dir = tempfile::tempdir().unwrap();
	let chain = chain_with_models(&[]);
	let big = vec![0.5; PARAMS as usize + 1];
	let initial = tensor_codec::encode_f32(&big, &[PARAMS + 1]).unwrap();
	chain.add_model(1, config_for_median(), PARAMS + 1, initial);
	chain.open_round_of(1, 1, RoundPhase::Commit);
	let config = WorkerConfig {
		max_params: PARAMS,
		..Default::default()
	};
	let (mut w, metrics) = full_worker(chain.clone(), dir.path(), config);
	for _ in 0..3 {
		w.on_block().unwrap();
		chain.next_block();
	}
	assert_eq!(metrics.models_over_cap.get(), 1);
	let status = w.status().lock().unwrap().clone();
	assert!(status.models[0].verified && status.models[0].not_followed.is_none());
	assert!(!status.models[1].verified);
	assert_eq!(status.models[1].version, None);
	let why = status.models[1].not_followed.clone().unwrap();
	assert!(why.contains("--fl-max-params"), "{why}");
	assert!(!committed(&chain.sent_calls(), 1));
}
