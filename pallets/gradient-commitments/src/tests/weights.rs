//! The benchmarked weights against what the runtime measures: each call (and hook) is run on
//! its worst case with storage-proof recording on, and the proof it produces — the storage it
//! really read, as a light client or a parachain validator would need it — must fit the
//! `proof_size` the weight charges. (Reference time cannot be measured deterministically in a
//! test; it is what `scripts/benchmark-weights.sh` measures.)

use super::*;
use frame_support::dispatch::GetDispatchInfo;
use sp_runtime::traits::Dispatchable;

/// Accounts with validator-sized balances beyond the mock's four validators.
fn funded(index: u64) -> AccountId {
	let who = 1_000 + index;
	let _ = <Balances as frame_support::traits::fungible::Mutate<AccountId>>::set_balance(
		&who, 100_000,
	);
	who
}

/// Runs `setup` and clears its events (as a new block would), commits it to the backend (a
/// proof records backend reads only), then runs `measured` with proof recording; returns its
/// result and the proof's encoded size.
fn measure<S, R>(
	setup: impl FnOnce() -> (Weight, S),
	measured: impl FnOnce(S) -> R,
) -> (Weight, R, usize) {
	let mut ext = new_test_ext();
	let (weight, state) = ext.execute_with(|| {
		let prepared = setup();
		// A block starts with no events (`frame_system::initialize` clears them); left in
		// place, the setup's events would be read into the proof by the next event's append.
		System::reset_events();
		prepared
	});
	ext.commit_all().expect("the setup commits");
	let (result, proof) = ext.execute_and_prove(|| measured(state));
	(weight, result, proof.encoded_size())
}

fn assert_fits(what: &str, weight: Weight, proof: usize) {
	println!(
		"{what}: proof {proof} bytes, weight charges {} bytes",
		weight.proof_size()
	);
	assert!(
		proof as u64 <= weight.proof_size(),
		"{what}: the proof is {proof} bytes, the weight charges only {}",
		weight.proof_size()
	);
}

/// Round 0 of a fresh model in its commit phase (block 3) with every update slot committed,
/// by funded trainers `1_100..`.
fn committed_round() -> ModelId {
	committed_round_of(<<Test as Config>::MaxUpdatesPerRound as Get<u32>>::get())
}

/// Round 0 of a fresh model in its commit phase (block 3) with `slots` commitments.
fn committed_round_of(slots: u32) -> ModelId {
	let model = register_model(config(1), 10_000);
	run_to_block(3);
	for i in 0..slots {
		let t = funded(100 + i as u64);
		assert_ok!(GradientCommitments::bond_trainer(
			RuntimeOrigin::signed(t),
			model,
			100
		));
		let p = payload(i, PARAMS);
		assert_ok!(GradientCommitments::commit_update(
			RuntimeOrigin::signed(t),
			model,
			0,
			commitment_of(&p, SALT, t)
		));
	}
	model
}

/// Round 0 of a fresh model in its aggregate phase with `MaxUpdatesPerRound` trainers
/// committed and revealed and a snapshot of the caller plus `others` validators (returned).
/// The caller's stake alone is a quorum.
fn aggregating_snapshot(others: u32) -> (ModelId, AccountId, Vec<AccountId>) {
	let slots = <<Test as Config>::MaxUpdatesPerRound as Get<u32>>::get();
	let model = committed_round();
	run_to_block(5);
	for i in 0..slots {
		let t = 1_000 + 100 + i as u64;
		assert_ok!(GradientCommitments::reveal_update(
			RuntimeOrigin::signed(t),
			model,
			0,
			bounded(payload(i, PARAMS)),
			SALT,
			100
		));
	}
	let caller = funded(0);
	assert_ok!(GradientCommitments::register_validator(
		RuntimeOrigin::signed(caller),
		100_000 / 2
	));
	let mut reporters = Vec::new();
	for i in 1..=others {
		let v = funded(i as u64);
		assert_ok!(GradientCommitments::register_validator(
			RuntimeOrigin::signed(v),
			500
		));
		reporters.push(v);
	}
	run_to_block(8);
	assert_eq!(phase(model, 0), RoundPhase::Aggregate);
	(model, caller, reporters)
}

/// [`aggregating_snapshot`] with every validator committed and each of the others revealed
/// `hash_of(i)`: the round takes report reveals, and the caller's (to `[9; 32]`) is the last.
fn aggregating_round(others: u32, hash_of: impl Fn(u32) -> Digest) -> (ModelId, AccountId) {
	let slots = <<Test as Config>::MaxUpdatesPerRound as Get<u32>>::get();
	let (model, caller, reporters) = aggregating_snapshot(others);
	let all: Vec<u32> = (0..slots).collect();
	assert_ok!(commit_report(model, caller, [9; 32], &all, &all));
	for (i, v) in reporters.iter().enumerate() {
		assert_ok!(commit_report(model, *v, hash_of(i as u32), &all, &all));
	}
	assert_eq!(phase(model, 0), RoundPhase::ReportReveal);
	for (i, v) in reporters.iter().enumerate() {
		assert_ok!(report(model, *v, hash_of(i as u32), &all, &all));
	}
	assert_eq!(
		phase(model, 0),
		RoundPhase::ReportReveal,
		"only the caller finalizes"
	);
	(model, caller)
}

fn finalizing_report(model: ModelId) -> RuntimeCall {
	let slots = <<Test as Config>::MaxUpdatesPerRound as Get<u32>>::get();
	let all: Vec<u32> = (0..slots).collect();
	RuntimeCall::GradientCommitments(crate::Call::report_aggregate {
		model,
		round: 0,
		model_hash: [9; 32],
		accepted: indices(&all),
		scores: indices(&all),
		salt: SALT,
	})
}

/// The commitment that completes a full snapshot's and opens the report-reveal window.
#[test]
fn the_last_report_commitment_fits_its_weight() {
	let others = <<Test as Config>::MaxValidators as Get<u32>>::get() - 1;
	let call = |model| {
		RuntimeCall::GradientCommitments(crate::Call::commit_report {
			model,
			round: 0,
			updates_root: UpdateSetRoot::<Test>::get((model, 0)),
			commitment: [1; 32],
		})
	};
	let (weight, result, proof) = measure(
		|| {
			let (model, caller, reporters) = aggregating_snapshot(others);
			for v in reporters {
				assert_ok!(GradientCommitments::commit_report(
					RuntimeOrigin::signed(v),
					model,
					0,
					UpdateSetRoot::<Test>::get((model, 0)),
					[2; 32]
				));
			}
			(call(model).get_dispatch_info().call_weight, (model, caller))
		},
		|(model, caller)| {
			let result = call(model).dispatch(RuntimeOrigin::signed(caller));
			assert_eq!(phase(model, 0), RoundPhase::ReportReveal);
			result
		},
	);
	assert_ok!(result);
	assert_fits("commit_report, completing the snapshot", weight, proof);
}

#[test]
fn a_finalizing_report_over_contradicting_reports_fits_its_weight() {
	let others = <<Test as Config>::MaxValidators as Get<u32>>::get() - 1;
	let (weight, result, proof) = measure(
		|| {
			let (model, caller) = aggregating_round(others, |i| [100 + i as u8; 32]);
			(
				finalizing_report(model).get_dispatch_info().call_weight,
				(model, caller),
			)
		},
		|(model, caller)| finalizing_report(model).dispatch(RuntimeOrigin::signed(caller)),
	);
	assert_ok!(result);
	assert_fits("report_aggregate, all others contradicting", weight, proof);
}

#[test]
fn a_finalizing_report_over_matching_reports_fits_its_weight() {
	let others = <<Test as Config>::MaxValidators as Get<u32>>::get() - 1;
	let (weight, result, proof) = measure(
		|| {
			let (model, caller) = aggregating_round(others, |_| [9; 32]);
			(
				finalizing_report(model).get_dispatch_info().call_weight,
				(model, caller),
			)
		},
		|(model, caller)| finalizing_report(model).dispatch(RuntimeOrigin::signed(caller)),
	);
	assert_ok!(result);
	assert_fits("report_aggregate, all others matching", weight, proof);
}

#[test]
fn a_reveal_deadline_slashing_every_committer_fits_on_initializes_weight() {
	let (weight, used, proof) = measure(
		|| {
			committed_round();
			run_to_block(7);
			System::set_block_number(8);
			(Weight::zero(), ())
		},
		|()| GradientCommitments::on_initialize(8),
	);
	assert_eq!(weight, Weight::zero());
	assert_fits(
		"on_initialize at a reveal deadline, all silent",
		used,
		proof,
	);
}

#[test]
fn a_commit_deadline_drawing_a_full_lottery_fits_on_initializes_weight() {
	let commits = <<Test as Config>::MaxCommitsPerRound as Get<u32>>::get();
	let (weight, used, proof) = measure(
		|| {
			committed_round_of(commits);
			System::set_block_number(5);
			(<Test as Config>::WeightInfo::draw_slots(commits), ())
		},
		|()| GradientCommitments::on_initialize(5),
	);
	assert!(used.all_gte(weight));
	assert_fits(
		"on_initialize at a commit deadline, full lottery",
		used,
		proof,
	);
}

#[test]
fn a_pruning_step_fits_its_weight() {
	let (weight, used, proof) = measure(
		|| {
			let model = setup(1);
			for _ in 0..=RoundRetention::get() {
				finalize_round(model, false);
			}
			// Round 0 is now past the retention window; the cursor points just before it.
			assert!(GradientCommitments::is_prunable(model, 0));
			let visit = <Test as Config>::WeightInfo::prune_round();
			(visit, ())
		},
		|()| GradientCommitments::on_idle(100, Weight::MAX),
	);
	// `on_idle` visits every round (each charged one `prune_round`) and prunes round 0.
	assert!(used.all_gte(weight));
	assert_fits("on_idle pruning", used, proof);
}
