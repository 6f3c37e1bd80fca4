//! Slashing of validators whose report contradicts the finalized hash, before and after
//! finalization.

use super::*;

#[test]
fn contradicting_validators_are_slashed_before_and_after_finalization() {
	new_test_ext().execute_with(|| {
		let model = round_in_aggregation();
		let scores = [1, 1, 1];
		assert_ok!(report(model, 22, [1u8; 32], &[0, 1, 2], &scores));
		assert_ok!(report(model, 20, [9u8; 32], &[0, 1, 2], &scores));
		assert_ok!(report(model, 21, [9u8; 32], &[0, 1, 2], &scores));
		assert_eq!(phase(model, 0), RoundPhase::Finalized);
		// 22 contradicted the finalized hash: 20 % of 1000 slashed into the pool.
		assert_eq!(ValidatorBonds::<Test>::get(22).unwrap().amount, 800);
		assert_eq!(PendingRewards::<Test>::get(22), 0);
		System::assert_has_event(
			Event::ValidatorSlashed {
				model,
				round: 0,
				validator: 22,
				amount: 200,
				fault: Fault::ContradictingReport,
			}
			.into(),
		);
		assert_ok!(GradientCommitments::do_try_state());
	});
}

#[test]
fn late_reports_are_recorded_and_contradictions_slashed() {
	new_test_ext().execute_with(|| {
		let model = round_in_aggregation();
		let scores = [1, 1, 1];
		assert_ok!(report(model, 20, [9u8; 32], &[0], &scores));
		assert_ok!(report(model, 21, [9u8; 32], &[0], &scores));
		assert_eq!(phase(model, 0), RoundPhase::Finalized);
		assert_ok!(report(model, 22, [4u8; 32], &[0], &scores));
		assert_eq!(ValidatorBonds::<Test>::get(22).unwrap().amount, 800);
		assert_noop!(
			report(model, 22, [9u8; 32], &[0], &scores),
			Error::<Test>::AlreadyReported
		);
	});
}
