//! [`PrioritizeFlCalls`]: FL calls in their phase go first in the pool; nothing else does.

use super::*;
use frame_support::dispatch::GetDispatchInfo;
use sp_runtime::{
	traits::DispatchTransaction,
	transaction_validity::{TransactionPriority, TransactionSource},
};

fn priority(who: AccountId, call: Call<Test>) -> TransactionPriority {
	let call: RuntimeCall = call.into();
	let info = call.get_dispatch_info();
	let (valid, (), _) = PrioritizeFlCalls::<Test>::new()
		.validate_only(
			RuntimeOrigin::signed(who),
			&call,
			&info,
			0,
			TransactionSource::External,
			0,
		)
		.expect("the extension refuses nothing");
	valid.priority
}

fn commit_call(model: ModelId) -> Call<Test> {
	Call::commit_update {
		model,
		round: 0,
		commitment: [1u8; 32],
	}
}

fn reveal_call(model: ModelId, seed: u32) -> Call<Test> {
	Call::reveal_update {
		model,
		round: 0,
		payload: bounded(payload(seed, PARAMS)),
		salt: SALT,
		num_samples: 10,
	}
}

fn commit_report_call(model: ModelId) -> Call<Test> {
	Call::commit_report {
		model,
		round: 0,
		updates_root: UpdateSetRoot::<Test>::get((model, 0)),
		commitment: [2u8; 32],
	}
}

fn report_call(model: ModelId) -> Call<Test> {
	Call::report_aggregate {
		model,
		round: 0,
		model_hash: [5u8; 32],
		accepted: indices(&[0]),
		scores: indices(&[1, 1, 1]),
		salt: SALT,
	}
}

#[test]
fn fl_calls_in_their_phase_are_boosted_and_junk_is_not() {
	new_test_ext().execute_with(|| {
		let model = register_model(config(1), 10_000);
		assert_ok!(GradientCommitments::bond_trainer(
			RuntimeOrigin::signed(TRAINERS[0]),
			model,
			100
		));
		// No round yet, then the opening block: a commitment there is not boosted.
		assert_eq!(priority(TRAINERS[0], commit_call(model)), 0);
		run_to_block(2);
		assert_eq!(priority(TRAINERS[0], commit_call(model)), 0);
		run_to_block(3);
		assert_eq!(priority(TRAINERS[0], commit_call(model)), FL_PHASE_PRIORITY);
		// Not bonded: junk.
		assert_eq!(priority(POOR, commit_call(model)), 0);
		// A reveal in the commit phase: out of phase.
		assert_eq!(priority(TRAINERS[0], reveal_call(model, 0)), 0);
		commit(model, TRAINERS[0], 0);
		// Already committed.
		assert_eq!(priority(TRAINERS[0], commit_call(model)), 0);
		run_to_block(5);
		assert_eq!(
			priority(TRAINERS[0], reveal_call(model, 0)),
			FL_PHASE_PRIORITY
		);
		// No commitment: junk sent to crowd the window.
		assert_eq!(priority(TRAINERS[1], reveal_call(model, 1)), 0);
		assert_ok!(reveal(model, TRAINERS[0], 0));
		assert_eq!(priority(TRAINERS[0], reveal_call(model, 0)), 0);
		// Ordinary calls are never boosted.
		let transfer = RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
			dest: TRAINERS[1],
			value: 1,
		});
		let info = transfer.get_dispatch_info();
		let (valid, (), _) = PrioritizeFlCalls::<Test>::new()
			.validate_only(
				RuntimeOrigin::signed(TRAINERS[0]),
				&transfer,
				&info,
				0,
				TransactionSource::External,
				0,
			)
			.unwrap();
		assert_eq!(valid.priority, 0);
	});
}

#[test]
fn reports_are_boosted_only_from_the_snapshot_and_once() {
	new_test_ext().execute_with(|| {
		let model = round_in_aggregation();
		assert_eq!(
			priority(VALIDATORS[0], commit_report_call(model)),
			FL_PHASE_PRIORITY
		);
		// A reveal while reports are being committed: out of phase.
		assert_eq!(priority(VALIDATORS[0], report_call(model)), 0);
		// Registered after the snapshot: not in it.
		assert_ok!(GradientCommitments::register_validator(
			RuntimeOrigin::signed(VALIDATORS[3]),
			1_000
		));
		assert_eq!(priority(VALIDATORS[3], commit_report_call(model)), 0);
		let mine: ReportOf = (VALIDATORS[0], [5u8; 32], &[0], &[1, 1, 1]);
		assert_ok!(commit_report(model, mine.0, mine.1, mine.2, mine.3));
		assert_eq!(priority(VALIDATORS[0], commit_report_call(model)), 0);
		commit_reports(model, &[]);
		// In the reveal window: the committed validator's reveal is boosted, a reveal without
		// a commitment is not, and neither is a late commitment.
		assert_eq!(
			priority(VALIDATORS[0], report_call(model)),
			FL_PHASE_PRIORITY
		);
		assert_eq!(priority(VALIDATORS[1], report_call(model)), 0);
		assert_eq!(priority(VALIDATORS[1], commit_report_call(model)), 0);
		assert_ok!(report(model, mine.0, mine.1, mine.2, mine.3));
		assert_eq!(priority(VALIDATORS[0], report_call(model)), 0);
	});
}
