//! The store keeps a window of rounds and versions, and a restarted worker resumes from it
//! (issue #11, item 5).

use std::path::Path;

use super::*;

/// Files and bytes under `dir/sub`.
fn usage(dir: &Path, sub: &str) -> (usize, u64) {
	std::fs::read_dir(dir.join(sub))
		.unwrap()
		.flatten()
		.fold((0, 0), |(n, b), e| (n + 1, b + e.metadata().unwrap().len()))
}

/// One synchronous round of model 0: the worker trains, commits and reveals, two others
/// reveal, the worker reports and the round finalizes with its hash, which it then verifies.
fn run_round(chain: &MockChain, w: &mut Worker<MockChain>, round: RoundIndex) -> Digest {
	chain.open_round(round, RoundPhase::Commit);
	w.on_block().unwrap();
	chain.include_pending();
	chain.set_phase(RoundPhase::Reveal);
	w.on_block().unwrap();
	chain.include_pending();
	for i in 0..2u8 {
		let v = [0.01 * (round as f32 + i as f32); PARAMS as usize];
		chain.reveal_foreign([i + 1; 32], &v);
	}
	chain.set_phase(RoundPhase::Aggregate);
	w.on_block().unwrap();
	chain.open_report_reveal_of(0);
	w.on_block().unwrap();
	chain.include_pending();
	let hash = chain
		.state
		.lock()
		.unwrap()
		.reports
		.get(&(0, round, ME))
		.copied()
		.unwrap_or_else(|| panic!("round {round}: no report"));
	chain.finalize_of(0, hash);
	w.on_block().unwrap();
	assert_eq!(w.status().lock().unwrap().models[0].version, Some(round));
	hash
}

#[test]
fn the_store_keeps_a_window_of_rounds_and_a_restarted_worker_resumes_from_it() {
	const WINDOW: u32 = 3;
	const ROUNDS: u32 = 10;
	let dir = tempfile::tempdir().unwrap();
	let chain = MockChain::with_model(sync_schedule(), AggregationRule::Median);
	{
		let mut s = chain.state.lock().unwrap();
		s.bonds.insert((0, ME), 10);
		s.validators.push((ME, 100));
	}
	let config = || WorkerConfig {
		store_rounds: WINDOW,
		..Default::default()
	};
	let (mut w, metrics) = full_worker(chain.clone(), dir.path(), config());
	let mut last = [0; 32];
	for round in 1..=ROUNDS {
		last = run_round(&chain, &mut w, round);
	}
	// Each round stores 3 payloads (own + 2), 1 candidate (= the version), 1 commit journal
	// and 1 manifest; without pruning that is 10 rounds' worth. Pruning runs as a round
	// opens, so the window's versions are the last 3 before it, plus the one it finalizes.
	let root = dir.path();
	let (payloads, payload_bytes) = usage(root, "payloads");
	assert!(payloads <= 3 * WINDOW as usize, "{payloads} payloads");
	assert!(usage(root, "weights").0 <= WINDOW as usize + 1);
	assert!(usage(root, "commits").0 <= WINDOW as usize);
	assert!(usage(root, "rounds").0 <= WINDOW as usize);
	assert!(usage(root, "versions").0 <= WINDOW as usize + 1);
	assert!(
		payload_bytes <= 3 * WINDOW as u64 * 100,
		"{payload_bytes} bytes"
	);
	assert!(metrics.store_pruned_files.get() > 0);
	// The latest verified version (and the window's) load; older ones are pruned.
	let store = w.store().clone();
	assert_eq!(store.latest_version(0).unwrap(), Some(ROUNDS));
	assert_eq!(store.version(0, ROUNDS).unwrap(), Some(last));
	let weights = store.weights(&last).unwrap().unwrap();
	assert_eq!(tensor_codec::digest(&weights), last);
	assert!(store.version(0, ROUNDS - WINDOW + 1).unwrap().is_some());
	assert_eq!(store.version(0, 1).unwrap(), None);
	drop(w);

	// A restarted worker over the same directory knows its latest version without
	// rebuilding, and goes on with the next round.
	let (mut w, _) = full_worker(chain.clone(), dir.path(), config());
	w.on_block().unwrap();
	let status = w.status().lock().unwrap().clone();
	assert_eq!(status.models[0].version, Some(ROUNDS));
	assert!(status.models[0].verified);
	run_round(&chain, &mut w, ROUNDS + 1);
	assert_eq!(w.store().latest_version(0).unwrap(), Some(ROUNDS + 1));
	assert!(usage(root, "payloads").0 <= 3 * WINDOW as usize);
}

/// Pruning deletes only what nothing kept names: two models with the same (zero) initial
/// weights share one file, which stays while either needs it.
#[test]
fn pruning_keeps_files_another_model_still_names() {
	let dir = tempfile::tempdir().unwrap();
	let store = Store::open(dir.path()).unwrap();
	let shared = tensor_codec::encode_f32(&[0.0; 4], &[4]).unwrap();
	let own = tensor_codec::encode_f32(&[1.0; 4], &[4]).unwrap();
	let h_shared = store.put_weights(&shared).unwrap();
	let h_own = store.put_candidate(0, 5, &own).unwrap();
	store.put_version(0, 0, &h_shared).unwrap();
	store.put_version(0, 1, &h_own).unwrap();
	store.put_version(1, 0, &h_shared).unwrap();
	let p = store.put_round_payload(0, 1, &own).unwrap();
	let mut keep = std::collections::HashMap::new();
	keep.insert(0, Retention::window(1, 5, 1));
	let pruned = store.prune(&keep).unwrap();
	assert_eq!(
		pruned.files, 3,
		"model 0's version 0 entry, round 1's payload and its manifest"
	);
	assert_eq!(store.version(0, 0).unwrap(), None);
	assert!(
		store.weights(&h_shared).unwrap().is_some(),
		"model 1 still names it"
	);
	assert!(store.weights(&h_own).unwrap().is_some());
	assert_eq!(store.payload(&p).unwrap(), None);
	assert_eq!(store.latest_version(0).unwrap(), Some(1));
	assert_eq!(store.latest_version(1).unwrap(), Some(0));
}
