//! Reports, settlement and finalization: rewards and the next round, report errors, failure
//! without quorum, scores combined from every report of the window.

use super::*;

#[test]
fn a_quorum_settles_at_the_deadline_rewards_and_opens_the_next_round() {
	new_test_ext().execute_with(|| {
		let model = round_in_aggregation();
		let new_hash = [9u8; 32];
		let info = Rounds::<Test>::get(model, 0).unwrap();
		assert_eq!((info.updates, info.validator_stake), (3, 3_000));
		// Trainer 13 committed without revealing: slashed.
		assert_eq!(TrainerBonds::<Test>::get(model, 13).unwrap().amount, 90);
		let pool_before = Pools::<Test>::get(model);
		// Its slash was burnt, not paid into the pool.
		assert_eq!(pool_before, 10_000);

		// Validator 20 accepts updates 0 and 1, scores them 0.6 / 0.4 / 0.
		assert_ok!(report(
			model,
			20,
			new_hash,
			&[0, 1],
			&[600_000_000, 400_000_000, 0]
		));
		assert_eq!(phase(model, 0), RoundPhase::Aggregate);
		// A second matching report makes 2000 of 3000 stake, a quorum; but 22 may still
		// report within the window, so nothing settles before its end.
		assert_ok!(report(
			model,
			21,
			new_hash,
			&[0, 1],
			&[600_000_000, 400_000_000, 0]
		));
		assert_eq!(phase(model, 0), RoundPhase::Aggregate);
		let deadline = Rounds::<Test>::get(model, 0).unwrap().phase_ends_at;
		run_to_block(deadline);
		assert_eq!(phase(model, 0), RoundPhase::Finalized);
		// 22 never reported: not paid, and its run of missed rounds starts.
		System::assert_has_event(
			Event::ReportMissed {
				model,
				round: 0,
				validator: 22,
				missed: 1,
			}
			.into(),
		);
		assert_eq!(MissedReports::<Test>::get(22), 1);
		assert_eq!(MissedReports::<Test>::get(20), 0);

		let v1 = Versions::<Test>::get(model, 1).unwrap();
		assert_eq!(
			(v1.hash, v1.parent, v1.round),
			(new_hash, Some(initial_hash()), Some(0))
		);
		System::assert_has_event(
			Event::RoundFinalized {
				model,
				round: 0,
				version: 1,
				model_hash: new_hash,
				accepted: 2,
				rejected: 1,
				reward: 1_000,
			}
			.into(),
		);
		// 1000 released: owner 10 %, validators 20 % by stake, trainers 70 % by score.
		assert_eq!(PendingRewards::<Test>::get(OWNER), 100);
		assert_eq!(PendingRewards::<Test>::get(20), 100);
		assert_eq!(PendingRewards::<Test>::get(21), 100);
		assert_eq!(PendingRewards::<Test>::get(22), 0);
		assert_eq!(PendingRewards::<Test>::get(10), 420);
		assert_eq!(PendingRewards::<Test>::get(11), 280);
		assert_eq!(
			PendingRewards::<Test>::get(12),
			0,
			"rejected update earns nothing"
		);
		assert_eq!(
			TrainerBonds::<Test>::get(model, 12).unwrap().amount,
			100,
			"and is not slashed"
		);
		assert_eq!(
			Pools::<Test>::get(model) + TotalPending::<Test>::get(),
			pool_before
		);

		// The next round opens in the next block, from version 1.
		run_to_block(System::block_number() + 1);
		assert_eq!(CurrentRound::<Test>::get(model), Some(1));
		let next = Rounds::<Test>::get(model, 1).unwrap();
		assert_eq!((next.base_version, next.base_hash), (1, new_hash));
		assert_ok!(GradientCommitments::do_try_state());
		assert_ok!(ContributionRewards::do_try_state());
		assert_ok!(ModelRegistry::do_try_state());
	});
}

#[test]
fn report_errors_change_nothing() {
	new_test_ext().execute_with(|| {
		let model = setup(3);
		let h = [9u8; 32];
		assert_noop!(report(model, 20, h, &[], &[]), Error::<Test>::WrongPhase);
		assert_noop!(
			GradientCommitments::report_aggregate(
				RuntimeOrigin::signed(20),
				model,
				7,
				h,
				UpdateSetRoot::<Test>::get((model, 7)),
				indices(&[]),
				indices(&[])
			),
			Error::<Test>::UnknownRound
		);
	});
	new_test_ext().execute_with(|| {
		let model = round_in_aggregation();
		let h = [9u8; 32];
		assert_noop!(
			report(model, 23, h, &[0], &[1, 1, 1]),
			Error::<Test>::NotRoundValidator
		);
		assert_noop!(
			report(model, 20, h, &[0], &[1, 1]),
			Error::<Test>::ScoresLengthMismatch
		);
		assert_noop!(
			report(model, 20, h, &[0], &[1, 1_000_000_001, 1]),
			Error::<Test>::ScoreOutOfRange
		);
		assert_noop!(
			report(model, 20, h, &[1, 0], &[1, 1, 1]),
			Error::<Test>::InvalidAcceptedSet
		);
		assert_noop!(
			report(model, 20, h, &[0, 0], &[1, 1, 1]),
			Error::<Test>::InvalidAcceptedSet
		);
		assert_noop!(
			report(model, 20, h, &[3], &[1, 1, 1]),
			Error::<Test>::InvalidAcceptedSet
		);
		assert_ok!(report(model, 20, h, &[0], &[1, 1, 1]));
		assert_noop!(
			report(model, 20, h, &[0], &[1, 1, 1]),
			Error::<Test>::AlreadyReported
		);
	});
}

#[test]
fn no_quorum_by_the_deadline_fails_the_round_cleanly() {
	new_test_ext().execute_with(|| {
		let model = round_in_aggregation();
		assert_ok!(report(model, 20, [9u8; 32], &[0], &[1, 1, 1]));
		assert_ok!(report(model, 21, [8u8; 32], &[0], &[1, 1, 1]));
		let pool = Pools::<Test>::get(model);
		run_to_block(11);
		assert_eq!(phase(model, 0), RoundPhase::Failed);
		System::assert_has_event(
			Event::RoundFailed {
				model,
				round: 0,
				reason: FailReason::NoQuorum,
			}
			.into(),
		);
		assert_eq!(
			pallet_model_registry::Models::<Test>::get(model)
				.unwrap()
				.version,
			0
		);
		assert_eq!(Pools::<Test>::get(model), pool);
		assert_eq!(TotalPending::<Test>::get(), 0);
		// Nobody is slashed when nothing finalized.
		assert_eq!(ValidatorBonds::<Test>::get(21).unwrap().amount, 1_000);
		run_to_block(12);
		assert_eq!(CurrentRound::<Test>::get(model), Some(1));
	});
}

/// Forks slash the honest (issue #12, item 4): a validator that aggregated the updates it saw
/// on a short-lived fork reported another hash, which the winning chain slashed as a
/// contradiction. The report now names the update set it aggregated; one over another set is
/// refused (typed error, nothing recorded, nothing slashed), and the validator may still
/// report over the round's real set.
#[test]
fn a_report_over_another_update_set_is_refused_not_slashed() {
	new_test_ext().execute_with(|| {
		let model = round_in_aggregation();
		let updates: Vec<Digest> = UpdateOrder::<Test>::get((model, 0))
			.iter()
			.map(|t| Updates::<Test>::get((model, 0), t).unwrap().payload_hash)
			.collect();
		assert_eq!(
			UpdateSetRoot::<Test>::get((model, 0)),
			fedledger_primitives::round::update_set_root(&updates)
		);
		// The fork saw only the first two reveals.
		let fork_root = fedledger_primitives::round::update_set_root(&updates[..2]);
		let scores = indices(&[1, 1, 1]);
		assert_noop!(
			GradientCommitments::report_aggregate(
				RuntimeOrigin::signed(22),
				model,
				0,
				[1u8; 32],
				fork_root,
				indices(&[0, 1]),
				scores.clone(),
			),
			Error::<Test>::WrongUpdateSet
		);
		assert_ok!(report(model, 20, [9u8; 32], &[0, 1, 2], &[1, 1, 1]));
		assert_ok!(report(model, 21, [9u8; 32], &[0, 1, 2], &[1, 1, 1]));
		assert_eq!(ValidatorBonds::<Test>::get(22).unwrap().amount, 1_000);
		// Over the real set, its report matches, completes the snapshot and settles.
		assert_ok!(report(model, 22, [9u8; 32], &[0, 1, 2], &[1, 1, 1]));
		assert_eq!(phase(model, 0), RoundPhase::Finalized);
		assert_eq!(ValidatorBonds::<Test>::get(22).unwrap().amount, 1_000);
		assert!(PendingRewards::<Test>::get(22) > 0);
	});
}

/// Score settlement by who came first (issue #12, item 4): the round used to finalize on the
/// first reports holding two thirds of the stake, with their scores alone. A validator
/// reporting first with inflated scores for its own trainer (12) set half the median, and
/// an honest validator reporting later in the window was never paid. Now every report of
/// the window is combined: the honest majority's scores win the median, the late honest
/// validator is paid like the others, and the inflated update is not accepted.
#[test]
fn scores_combine_every_report_of_the_window_not_the_first_quorum() {
	new_test_ext().execute_with(|| {
		let model = round_in_aggregation();
		let hash = [9u8; 32];
		let honest = [600_000_000, 400_000_000, 0];
		// The colluder: accepts everything and gives all to trainer 12.
		assert_ok!(report(model, 20, hash, &[0, 1, 2], &[0, 0, 1_000_000_000]));
		assert_ok!(report(model, 21, hash, &[0, 1], &honest));
		assert_eq!(phase(model, 0), RoundPhase::Aggregate);
		// The last validator reports in the window: the snapshot is complete, it settles.
		assert_ok!(report(model, 22, hash, &[0, 1], &honest));
		assert_eq!(phase(model, 0), RoundPhase::Finalized);
		// 200 of the 1000 reward to validators by stake: a third each (the late one too).
		for v in [20, 21, 22] {
			assert_eq!(PendingRewards::<Test>::get(v), 66, "validator {v}");
		}
		// Trainers' 700 by the median of three reports: 0.6 / 0.4, and 12 not accepted.
		assert_eq!(PendingRewards::<Test>::get(10), 420);
		assert_eq!(PendingRewards::<Test>::get(11), 280);
		assert_eq!(PendingRewards::<Test>::get(12), 0);
		assert_eq!(MissedReports::<Test>::iter().count(), 0);
		assert_ok!(GradientCommitments::do_try_state());
	});
}

/// Settled rounds take no more reports (the window is where reports count), and a hash
/// contradicting the settled one is slashed at settlement, wherever it came in the window.
#[test]
fn a_report_after_settlement_is_refused() {
	new_test_ext().execute_with(|| {
		let model = round_in_aggregation();
		let scores = [1, 1, 1];
		assert_ok!(report(model, 20, [9u8; 32], &[0], &scores));
		assert_ok!(report(model, 21, [9u8; 32], &[0], &scores));
		run_to_block(Rounds::<Test>::get(model, 0).unwrap().phase_ends_at);
		assert_eq!(phase(model, 0), RoundPhase::Finalized);
		assert_noop!(
			report(model, 22, [4u8; 32], &[0], &scores),
			Error::<Test>::WrongPhase
		);
		assert_eq!(ValidatorBonds::<Test>::get(22).unwrap().amount, 1_000);
	});
}
