//! The giant-model attack of issue #11, measured: models declaring 3,975,000,010 parameters
//! (an MLP 784-[5 000 000]-10) with 32-byte top-k-sparse weights and updates (k = 0) would
//! make every worker allocate 16 GB. Here a validator-and-trainer worker follows such models
//! next to a normal one under a counting allocator: its peak heap stays under
//! [`PEAK_BOUND`] and the normal model still trains, reports and verifies its version.
//!
//! Its own test binary, so the `#[global_allocator]` counts this test only. Requests above
//! [`REFUSED_ABOVE`] are refused (the process then aborts with "memory allocation of …
//! bytes failed", as the node did), so the test fails loudly, and harmlessly, without the
//! cap.

#[path = "../src/tests/mock.rs"]
mod mock;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use fedledger_primitives::model::{ModelKind, MAX_PARAMETERS};
use fedledger_primitives::rules::{AggregationRule, AggregationSpec};
use fedledger_primitives::tensor_codec;
use fedledger_worker::{
	AllowedModels, FlCall, Metrics, RoundPhase, Store, TrainerSetup, Worker, WorkerConfig,
	WorkerStatus,
};
use mock::{config, dataset, sync_schedule, MockChain, ME};

/// Peak heap the whole test may reach (a dense model at the cap is 512 KiB).
const PEAK_BOUND: usize = 64 << 20;
/// Larger single requests are refused.
const REFUSED_ABOVE: usize = 1 << 30;
/// The declared parameter count of the giant model.
const GIANT: u32 = 3_975_000_010;

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
	let now = CURRENT.fetch_add(by, Ordering::SeqCst) + by;
	PEAK.fetch_max(now, Ordering::SeqCst);
}

unsafe impl GlobalAlloc for Counting {
	unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
		if layout.size() > REFUSED_ABOVE {
			return std::ptr::null_mut();
		}
		let p = unsafe { System.alloc(layout) };
		if !p.is_null() {
			grew(layout.size());
		}
		p
	}

	unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
		if layout.size() > REFUSED_ABOVE {
			return std::ptr::null_mut();
		}
		let p = unsafe { System.alloc_zeroed(layout) };
		if !p.is_null() {
			grew(layout.size());
		}
		p
	}

	unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
		unsafe { System.dealloc(ptr, layout) };
		CURRENT.fetch_sub(layout.size(), Ordering::SeqCst);
	}

	unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
		if new_size > REFUSED_ABOVE {
			return std::ptr::null_mut();
		}
		let p = unsafe { System.realloc(ptr, layout, new_size) };
		if !p.is_null() {
			CURRENT.fetch_sub(layout.size(), Ordering::SeqCst);
			grew(new_size);
		}
		p
	}
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

#[test]
fn giant_sparse_models_cost_no_memory_and_a_normal_model_still_progresses() {
	let dir = tempfile::tempdir().unwrap();
	let chain = MockChain::with_model(sync_schedule(), AggregationRule::Median);
	// Models 1 and 2: the giant, fitting the trainer's data (4 features, 2 classes) so that
	// the trainer would train it, with 32-byte sparse initial weights.
	let sparse = tensor_codec::encode_sparse(&[], &[], &[GIANT]).unwrap();
	assert_eq!(sparse.len(), 32);
	for id in [1, 2] {
		let mut cfg = config(
			sync_schedule(),
			AggregationSpec::plain(AggregationRule::Median),
		);
		cfg.architecture.kind = ModelKind::Mlp {
			hidden: [5_000_000, 0],
		};
		chain.add_model(id, cfg, GIANT, sparse.clone());
	}
	{
		let mut s = chain.state.lock().unwrap();
		for id in 0..3 {
			s.bonds.insert((id, ME), 10);
		}
		s.validators.push((ME, 100));
	}
	// Model 1 asks the trainer to train from its weights; model 2 asks the validator to
	// aggregate three sparse updates; model 0 is a normal round.
	chain.open_round_of(0, 1, RoundPhase::Commit);
	chain.open_round_of(1, 1, RoundPhase::Commit);
	chain.open_round_of(2, 1, RoundPhase::Reveal);
	for i in 0..3u8 {
		chain.reveal_payload_of(2, [i + 1; 32], sparse.clone());
	}
	chain.set_phase_of(2, RoundPhase::Aggregate);

	let registry = prometheus_endpoint::Registry::new();
	let metrics = Metrics::register(&registry).unwrap();
	let status = Arc::new(std::sync::Mutex::new(WorkerStatus::default()));
	let mut w = Worker::new(
		chain.clone(),
		Store::open(dir.path()).unwrap(),
		WorkerConfig {
			account: Some(ME),
			validator: true,
			trainer: Some(TrainerSetup {
				data: dataset(),
				models: AllowedModels::All,
				attack: None,
			}),
			trainer_bond: 10,
			validator_bond: 100,
			max_params: MAX_PARAMETERS,
			..Default::default()
		},
		Some(metrics.clone()),
		status.clone(),
	);

	PEAK.store(CURRENT.load(Ordering::SeqCst), Ordering::SeqCst);
	let baseline = CURRENT.load(Ordering::SeqCst);
	// Model 0 through a whole round while the giants sit in their phases.
	w.on_block().unwrap();
	chain.include_pending();
	chain.set_phase_of(0, RoundPhase::Reveal);
	w.on_block().unwrap();
	chain.include_pending();
	for i in 0..2u8 {
		chain.reveal_foreign_of(
			0,
			[i + 1; 32],
			&[0.05 * (i + 1) as f32; mock::PARAMS as usize],
		);
	}
	chain.set_phase_of(0, RoundPhase::Aggregate);
	w.on_block().unwrap();
	chain.open_report_reveal_of(0);
	w.on_block().unwrap();
	chain.include_pending();
	let hash = chain.state.lock().unwrap().reports[&(0, 1, ME)];
	chain.finalize_of(0, hash);
	w.on_block().unwrap();
	let peak = PEAK.load(Ordering::SeqCst) - baseline;
	assert!(
		peak < PEAK_BOUND,
		"peak heap {peak} bytes while following giant models (bound {PEAK_BOUND})"
	);

	let status = status.lock().unwrap().clone();
	assert_eq!(status.models[0].version, Some(1), "{status:?}");
	assert!(status.models[0].verified);
	for giant in &status.models[1..] {
		assert!(!giant.verified && giant.not_followed.is_some(), "{giant:?}");
	}
	assert_eq!(metrics.models_over_cap.get(), 2);
	let calls = chain.sent_calls();
	assert!(
		calls.iter().all(|c| !matches!(
			c,
			FlCall::CommitUpdate { model: 1 | 2, .. }
				| FlCall::ReportAggregate { model: 1 | 2, .. }
		)),
		"{calls:?}"
	);
	println!("peak heap above the baseline: {peak} bytes");
}
