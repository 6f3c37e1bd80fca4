//! Absent validators: not paid for the rounds they miss, removed from the set after
//! `MaxMissedReports` (2 in the mock) settled rounds in a row.

use super::*;

/// Runs `model`'s current round: every trainer commits and reveals, the validators in
/// `reporting` commit to and reveal one hash, and the round settles at its report-reveal
/// deadline (or when the last committed report is revealed). Returns the round's final
/// phase.
fn round_reported_by(model: ModelId, reporting: &[AccountId]) -> RoundPhase {
	past_opening(model);
	let round = CurrentRound::<Test>::get(model).unwrap();
	assert_eq!(phase(model, round), RoundPhase::Commit);
	for (i, t) in TRAINERS.iter().enumerate() {
		let p = payload(round * 100 + i as u32, PARAMS);
		assert_ok!(GradientCommitments::commit_update(
			RuntimeOrigin::signed(*t),
			model,
			round,
			commitment_of(&p, SALT, *t)
		));
	}
	run_to_block(Rounds::<Test>::get(model, round).unwrap().phase_ends_at);
	for (i, t) in TRAINERS.iter().enumerate() {
		assert_ok!(GradientCommitments::reveal_update(
			RuntimeOrigin::signed(*t),
			model,
			round,
			bounded(payload(round * 100 + i as u32, PARAMS)),
			SALT,
			100,
		));
	}
	run_to_block(Rounds::<Test>::get(model, round).unwrap().phase_ends_at);
	assert_eq!(phase(model, round), RoundPhase::Aggregate);
	report_round(model, round, reporting, [round as u8 + 1; 32]);
	if phase(model, round) == RoundPhase::ReportReveal {
		run_to_block(Rounds::<Test>::get(model, round).unwrap().phase_ends_at);
	}
	let settled = phase(model, round);
	// The next round opens in the next block.
	run_to_block(System::block_number() + 1);
	settled
}

/// Silent stake fails every round for free (issue #12, item 4): two of three validators
/// (two thirds of the stake) never report, so no round can reach quorum — for ever, as
/// nothing ever happened to a silent validator. Now each settled round they miss counts;
/// after two in a row they lose their seats (not slashed: they unbond), and the next round's
/// snapshot is the validator that serves, which finalizes it.
#[test]
fn silent_validators_lose_their_seats_and_rounds_finalize_again() {
	new_test_ext().execute_with(|| {
		let model = setup(1);
		assert_eq!(round_reported_by(model, &[20]), RoundPhase::Failed);
		assert_eq!(MissedReports::<Test>::get(21), 1);
		assert_eq!(ActiveValidators::<Test>::get().len(), 3);
		assert_eq!(round_reported_by(model, &[20]), RoundPhase::Failed);
		for v in [21, 22] {
			System::assert_has_event(
				Event::ValidatorRemoved {
					validator: v,
					missed: 2,
					at: System::block_number() - 1 + UnbondingDelay::get(),
				}
				.into(),
			);
			assert!(ValidatorBonds::<Test>::get(v)
				.unwrap()
				.unbonding_at
				.is_some());
			// Removal is not a slash.
			assert_eq!(ValidatorBonds::<Test>::get(v).unwrap().amount, 1_000);
			assert_eq!(MissedReports::<Test>::get(v), 0);
		}
		assert_eq!(ActiveValidators::<Test>::get().into_inner(), vec![20]);
		assert_eq!(MissedReports::<Test>::get(20), 0);
		// The validator that serves is the whole snapshot now: its report settles at once.
		let round = CurrentRound::<Test>::get(model).unwrap();
		assert_eq!(round_reported_by(model, &[20]), RoundPhase::Finalized);
		assert_eq!(
			RoundValidators::<Test>::get((model, round)).len(),
			1,
			"the removed validators are not in the snapshot"
		);
		assert_ok!(GradientCommitments::do_try_state());
	});
}

/// Only misses in a row count: a validator that reports again starts over.
#[test]
fn a_report_ends_the_run_of_missed_rounds() {
	new_test_ext().execute_with(|| {
		let model = setup(1);
		assert_eq!(round_reported_by(model, &[20, 21]), RoundPhase::Finalized);
		assert_eq!(MissedReports::<Test>::get(22), 1);
		assert_eq!(
			round_reported_by(model, &[20, 21, 22]),
			RoundPhase::Finalized
		);
		assert_eq!(MissedReports::<Test>::get(22), 0);
		assert_eq!(round_reported_by(model, &[20, 21]), RoundPhase::Finalized);
		assert_eq!(MissedReports::<Test>::get(22), 1);
		assert!(ActiveValidators::<Test>::get().contains(&22));
		// Absent, it was paid nothing for the rounds it missed.
		assert!(PendingRewards::<Test>::get(21) > PendingRewards::<Test>::get(22));
	});
}

/// A validator that left the set (unregistered) while a round it sits in aggregated is not
/// removed twice: it is unbonding already.
#[test]
fn an_unbonding_validator_is_counted_but_not_removed_again() {
	new_test_ext().execute_with(|| {
		let model = setup(1);
		assert_eq!(round_reported_by(model, &[20, 21]), RoundPhase::Finalized);
		assert_ok!(GradientCommitments::unregister_validator(
			RuntimeOrigin::signed(22)
		));
		let at = ValidatorBonds::<Test>::get(22).unwrap().unbonding_at;
		// Not in the next snapshot: nothing more is counted against it.
		assert_eq!(round_reported_by(model, &[20, 21]), RoundPhase::Finalized);
		assert_eq!(MissedReports::<Test>::get(22), 1);
		assert_eq!(ValidatorBonds::<Test>::get(22).unwrap().unbonding_at, at);
		assert_ok!(GradientCommitments::do_try_state());
	});
}
