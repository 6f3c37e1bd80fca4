//! Reports, settlement and finalization: report commitments and reveals, rewards and the
//! next round, report errors, failure without quorum, scores combined from every report of
//! the window, reports that cannot be copied.

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

		// Validators 20 and 21 accept updates 0 and 1 and score them 0.6 / 0.4 / 0; 22
		// commits to a report it will not reveal. The whole snapshot committed: the reveals
		// start at once.
		let scores = [600_000_000, 400_000_000, 0];
		commit_reports(
			model,
			&[
				(20, new_hash, &[0, 1], &scores),
				(21, new_hash, &[0, 1], &scores),
				(22, [4u8; 32], &[0], &scores),
			],
		);
		System::assert_has_event(
			Event::ReportRevealStarted {
				model,
				round: 0,
				committed: 3,
				phase_ends_at: System::block_number() + 3,
			}
			.into(),
		);
		assert_ok!(report(model, 20, new_hash, &[0, 1], &scores));
		assert_eq!(phase(model, 0), RoundPhase::ReportReveal);
		// A second matching report makes 2000 of 3000 stake, a quorum; but 22 may still
		// reveal within the window, so nothing settles before its end.
		assert_ok!(report(model, 21, new_hash, &[0, 1], &scores));
		assert_eq!(phase(model, 0), RoundPhase::ReportReveal);
		let deadline = Rounds::<Test>::get(model, 0).unwrap().phase_ends_at;
		run_to_block(deadline);
		assert_eq!(phase(model, 0), RoundPhase::Finalized);
		// 22 never revealed: not paid, not slashed (its report is unknown), and its run of
		// missed rounds starts.
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
		assert_eq!(ValidatorBonds::<Test>::get(22).unwrap().amount, 1_000);
		assert_eq!(
			ReportCommitments::<Test>::iter_prefix((model, 0)).count(),
			0
		);

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
		assert_noop!(
			commit_report(model, 20, h, &[], &[]),
			Error::<Test>::WrongPhase
		);
		assert_noop!(report(model, 20, h, &[], &[]), Error::<Test>::WrongPhase);
		assert_noop!(
			GradientCommitments::commit_report(
				RuntimeOrigin::signed(20),
				model,
				7,
				UpdateSetRoot::<Test>::get((model, 7)),
				h
			),
			Error::<Test>::UnknownRound
		);
		assert_noop!(
			GradientCommitments::report_aggregate(
				RuntimeOrigin::signed(20),
				model,
				7,
				h,
				indices(&[]),
				indices(&[]),
				SALT
			),
			Error::<Test>::UnknownRound
		);
	});
	new_test_ext().execute_with(|| {
		let model = round_in_aggregation();
		let h = [9u8; 32];
		let scores: &[u32] = &[1, 1, 1];
		// Commitments.
		assert_noop!(
			commit_report(model, 23, h, &[0], scores),
			Error::<Test>::NotRoundValidator
		);
		assert_noop!(
			GradientCommitments::commit_report(
				RuntimeOrigin::signed(20),
				model,
				0,
				[1u8; 32],
				report_digest(20, h, &[0], scores)
			),
			Error::<Test>::WrongUpdateSet
		);
		// Reveals before the reveal window.
		assert_noop!(
			report(model, 20, h, &[0], scores),
			Error::<Test>::WrongPhase
		);
		assert_ok!(commit_report(model, 20, h, &[0], scores));
		assert_noop!(
			commit_report(model, 20, h, &[0], scores),
			Error::<Test>::ReportAlreadyCommitted
		);
		// Each commitment below is to the malformed report, so the reveal gets past the
		// commitment check to the report's own checks.
		assert_ok!(commit_report(model, 21, h, &[0], &[1, 1]));
		commit_reports(model, &[(22, h, &[0], &[1, 1_000_000_001, 1])]);
		// Reveals.
		assert_noop!(
			report(model, 23, h, &[0], scores),
			Error::<Test>::NotRoundValidator
		);
		assert_noop!(
			commit_report(model, 20, h, &[0], scores),
			Error::<Test>::WrongPhase
		);
		assert_noop!(
			report(model, 20, [8u8; 32], &[0], scores),
			Error::<Test>::ReportCommitmentMismatch
		);
		assert_noop!(
			GradientCommitments::report_aggregate(
				RuntimeOrigin::signed(20),
				model,
				0,
				h,
				indices(&[0]),
				indices(scores),
				[4u8; 32]
			),
			Error::<Test>::ReportCommitmentMismatch
		);
		assert_noop!(
			report(model, 21, h, &[0], &[1, 1]),
			Error::<Test>::ScoresLengthMismatch
		);
		assert_noop!(
			report(model, 22, h, &[0], &[1, 1_000_000_001, 1]),
			Error::<Test>::ScoreOutOfRange
		);
		assert_ok!(report(model, 20, h, &[0], scores));
		assert_noop!(
			report(model, 20, h, &[0], scores),
			Error::<Test>::AlreadyReported
		);
	});
	// The accepted set's checks, each through its own commitment.
	for (accepted, who) in [(&[1u32, 0][..], 20), (&[0, 0], 21), (&[3], 22)] {
		new_test_ext().execute_with(|| {
			let model = round_in_aggregation();
			let h = [9u8; 32];
			commit_reports(model, &[(who, h, accepted, &[1, 1, 1])]);
			assert_noop!(
				report(model, who, h, accepted, &[1, 1, 1]),
				Error::<Test>::InvalidAcceptedSet
			);
		});
	}
}

/// Nobody reveals without a commitment made before the reveal window, and a commitment
/// binds its account.
#[test]
fn a_report_without_a_commitment_is_refused() {
	new_test_ext().execute_with(|| {
		let model = round_in_aggregation();
		let h = [9u8; 32];
		commit_reports(model, &[(20, h, &[0], &[1, 1, 1])]);
		assert_noop!(
			report(model, 21, h, &[0], &[1, 1, 1]),
			Error::<Test>::ReportNotCommitted
		);
	});
}

#[test]
fn no_quorum_fails_the_round_cleanly() {
	new_test_ext().execute_with(|| {
		let model = round_in_aggregation();
		let scores: &[u32] = &[1, 1, 1];
		commit_reports(
			model,
			&[(20, [9u8; 32], &[0], scores), (21, [8u8; 32], &[0], scores)],
		);
		assert_ok!(report(model, 20, [9u8; 32], &[0], scores));
		let pool = Pools::<Test>::get(model);
		// The last committed report settles the round: no hash has two thirds.
		assert_ok!(report(model, 21, [8u8; 32], &[0], scores));
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
		run_to_block(System::block_number() + 1);
		assert_eq!(CurrentRound::<Test>::get(model), Some(1));
	});
}

/// Forks slash the honest (issue #12, item 4): a validator that aggregated the updates it saw
/// on a short-lived fork reported another hash, which the winning chain slashed as a
/// contradiction. The report commitment now names the update set it aggregated; one over
/// another set is refused (typed error, nothing recorded, nothing slashed), and the validator
/// may still commit to a report over the round's real set.
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
		assert_noop!(
			GradientCommitments::commit_report(
				RuntimeOrigin::signed(22),
				model,
				0,
				fork_root,
				report_digest(22, [1u8; 32], &[0, 1], &[1, 1]),
			),
			Error::<Test>::WrongUpdateSet
		);
		let (all, scores): (&[u32], &[u32]) = (&[0, 1, 2], &[1, 1, 1]);
		commit_reports(model, &[20, 21, 22].map(|v| (v, [9u8; 32], all, scores)));
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
		let inflated = [0, 0, 1_000_000_000];
		commit_reports(
			model,
			&[
				// The colluder: accepts everything and gives all to trainer 12.
				(20, hash, &[0, 1, 2], &inflated),
				(21, hash, &[0, 1], &honest),
				(22, hash, &[0, 1], &honest),
			],
		);
		assert_ok!(report(model, 20, hash, &[0, 1, 2], &inflated));
		assert_ok!(report(model, 21, hash, &[0, 1], &honest));
		assert_eq!(phase(model, 0), RoundPhase::ReportReveal);
		// The last validator reveals in the window: every committed report is in, it settles.
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
		let scores: &[u32] = &[1, 1, 1];
		commit_reports(
			model,
			&[
				(20, [9u8; 32], &[0], scores),
				(21, [9u8; 32], &[0], scores),
				(22, [4u8; 32], &[0], scores),
			],
		);
		assert_ok!(report(model, 20, [9u8; 32], &[0], scores));
		assert_ok!(report(model, 21, [9u8; 32], &[0], scores));
		run_to_block(Rounds::<Test>::get(model, 0).unwrap().phase_ends_at);
		assert_eq!(phase(model, 0), RoundPhase::Finalized);
		assert_noop!(
			report(model, 22, [4u8; 32], &[0], scores),
			Error::<Test>::WrongPhase
		);
		assert_eq!(ValidatorBonds::<Test>::get(22).unwrap().amount, 1_000);
	});
}

/// Reports could be copied from the pool (issue #12, item 4): validator 22 never aggregated;
/// it read validator 20's report in the pool and sent the same report as its own, and was
/// paid for the round like the validators that did the work. Now a report is committed
/// before any is readable and a commitment binds its account: 22's copied commitment (of
/// 20's digest, readable in the pool) does not open to the copied report, a commitment to
/// a guess made before the reveals does not either, and without one nothing is taken. The
/// copier is absent and unpaid; the honest reports settle the round.
#[test]
fn a_report_copied_from_the_pool_is_refused_and_unpaid() {
	for copier_commits in [None, Some("20's digest"), Some("a guess")] {
		new_test_ext().execute_with(|| {
			let model = round_in_aggregation();
			let (hash, accepted, scores): (Digest, &[u32], &[u32]) =
				([9u8; 32], &[0, 1], &[600_000_000, 400_000_000, 0]);
			let root = UpdateSetRoot::<Test>::get((model, 0));
			for v in [20, 21] {
				assert_ok!(commit_report(model, v, hash, accepted, scores));
			}
			let committed = match copier_commits {
				Some("20's digest") => GradientCommitments::commit_report(
					RuntimeOrigin::signed(22),
					model,
					0,
					root,
					ReportCommitments::<Test>::get((model, 0), 20).unwrap(),
				),
				Some(_) => commit_report(model, 22, [5u8; 32], &[0], &[1, 1, 1]),
				None => Ok(()),
			};
			assert_ok!(committed);
			if phase(model, 0) == RoundPhase::Aggregate {
				run_to_block(Rounds::<Test>::get(model, 0).unwrap().phase_ends_at);
			}
			// 20 reveals; 22 copies the revealed report, salt included, as its own.
			assert_ok!(report(model, 20, hash, accepted, scores));
			let expected = if copier_commits.is_some() {
				Error::<Test>::ReportCommitmentMismatch
			} else {
				Error::<Test>::ReportNotCommitted
			};
			assert_noop!(report(model, 22, hash, accepted, scores), expected);
			assert_ok!(report(model, 21, hash, accepted, scores));
			run_to_block(Rounds::<Test>::get(model, 0).unwrap().phase_ends_at);
			assert_eq!(phase(model, 0), RoundPhase::Finalized, "{copier_commits:?}");
			assert_eq!(PendingRewards::<Test>::get(22), 0, "{copier_commits:?}");
			assert_eq!(PendingRewards::<Test>::get(20), 100);
			assert_eq!(MissedReports::<Test>::get(22), 1);
			assert_ok!(GradientCommitments::do_try_state());
		});
	}
}

/// The reveal window opens at the aggregate deadline when part of the snapshot did not
/// commit, and lasts as long as the aggregate window; a round nobody committed a report in
/// fails at the aggregate deadline, every validator absent.
#[test]
fn the_report_reveal_window_follows_the_aggregate_deadline() {
	new_test_ext().execute_with(|| {
		let model = round_in_aggregation();
		let aggregate_ends = Rounds::<Test>::get(model, 0).unwrap().phase_ends_at;
		assert_ok!(commit_report(model, 20, [9u8; 32], &[0], &[1, 1, 1]));
		run_to_block(aggregate_ends - 1);
		assert_eq!(phase(model, 0), RoundPhase::Aggregate);
		run_to_block(aggregate_ends);
		let info = Rounds::<Test>::get(model, 0).unwrap();
		assert_eq!(info.phase, RoundPhase::ReportReveal);
		assert_eq!(info.phase_ends_at, aggregate_ends + 3);
		System::assert_has_event(
			Event::ReportRevealStarted {
				model,
				round: 0,
				committed: 1,
				phase_ends_at: aggregate_ends + 3,
			}
			.into(),
		);
		// Commitments are closed now.
		assert_noop!(
			commit_report(model, 21, [9u8; 32], &[0], &[1, 1, 1]),
			Error::<Test>::WrongPhase
		);
		// 20 alone is a third of the stake: revealing settles the round, without quorum.
		assert_ok!(report(model, 20, [9u8; 32], &[0], &[1, 1, 1]));
		assert_eq!(phase(model, 0), RoundPhase::Failed);
		assert_eq!(MissedReports::<Test>::get(21), 1);
		assert_eq!(MissedReports::<Test>::get(20), 0);
	});
	new_test_ext().execute_with(|| {
		let model = round_in_aggregation();
		run_to_block(Rounds::<Test>::get(model, 0).unwrap().phase_ends_at);
		assert_eq!(phase(model, 0), RoundPhase::Failed);
		System::assert_has_event(
			Event::RoundFailed {
				model,
				round: 0,
				reason: FailReason::NoQuorum,
			}
			.into(),
		);
		for v in [20, 21, 22] {
			assert_eq!(MissedReports::<Test>::get(v), 1);
		}
		assert_ok!(GradientCommitments::do_try_state());
	});
}
