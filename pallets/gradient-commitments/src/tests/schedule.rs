//! The phase machine: rounds move by the schedule, paused models stop after their round.

use super::*;

#[test]
fn rounds_move_through_their_phases_by_schedule() {
	new_test_ext().execute_with(|| {
		let model = setup(3);
		assert_eq!(CurrentRound::<Test>::get(model), Some(0));
		let info = Rounds::<Test>::get(model, 0).unwrap();
		assert_eq!(
			(
				info.phase,
				info.phase_ends_at,
				info.base_version,
				info.base_hash
			),
			(RoundPhase::Commit, 5, 0, initial_hash())
		);
		run_to_block(4);
		assert_eq!(phase(model, 0), RoundPhase::Commit);
		run_to_block(5);
		assert_eq!(phase(model, 0), RoundPhase::Reveal);
		// Nobody revealed: the round fails at block 8 and round 1 opens at block 9.
		run_to_block(8);
		assert_eq!(phase(model, 0), RoundPhase::Failed);
		System::assert_has_event(
			Event::RoundFailed {
				model,
				round: 0,
				reason: FailReason::TooFewUpdates,
			}
			.into(),
		);
		run_to_block(9);
		assert_eq!(CurrentRound::<Test>::get(model), Some(1));
		assert_eq!(phase(model, 1), RoundPhase::Commit);
		assert_eq!(
			pallet_model_registry::Models::<Test>::get(model)
				.unwrap()
				.version,
			0
		);
		assert_ok!(GradientCommitments::do_try_state());
	});
}

#[test]
fn paused_model_finishes_its_round_then_stops() {
	new_test_ext().execute_with(|| {
		let model = setup(3);
		assert_ok!(ModelRegistry::pause_model(
			RuntimeOrigin::signed(OWNER),
			model
		));
		run_to_block(20);
		assert_eq!(CurrentRound::<Test>::get(model), Some(0));
		assert_eq!(phase(model, 0), RoundPhase::Failed);
		assert!(Agenda::<Test>::get().is_empty());
		assert_ok!(ModelRegistry::resume_model(
			RuntimeOrigin::signed(OWNER),
			model
		));
		run_to_block(21);
		assert_eq!(CurrentRound::<Test>::get(model), Some(1));
	});
}
