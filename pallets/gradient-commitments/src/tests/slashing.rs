//! Slashing: validators whose report contradicts the settled hash, silent committers, and
//! the bonds that must stay slashable until their round closes.

use super::*;

#[test]
fn contradicting_validators_are_slashed_before_and_after_finalization() {
	new_test_ext().execute_with(|| {
		let model = round_in_aggregation();
		let (all, scores): (&[u32], &[u32]) = (&[0, 1, 2], &[1, 1, 1]);
		let reports = [
			(22, [1u8; 32], all, scores),
			(20, [9u8; 32], all, scores),
			(21, [9u8; 32], all, scores),
		];
		commit_reports(model, &reports);
		for (v, hash, accepted, scores) in reports {
			assert_ok!(report(model, v, hash, accepted, scores));
		}
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
fn a_contradiction_early_in_the_window_is_slashed_only_at_settlement() {
	new_test_ext().execute_with(|| {
		let model = round_in_aggregation();
		let scores: &[u32] = &[1, 1, 1];
		commit_reports(
			model,
			&[
				(22, [4u8; 32], &[0], scores),
				(20, [9u8; 32], &[0], scores),
				(21, [9u8; 32], &[0], scores),
			],
		);
		assert_ok!(report(model, 22, [4u8; 32], &[0], scores));
		assert_ok!(report(model, 20, [9u8; 32], &[0], scores));
		// Not settled yet: nothing is known to contradict anything.
		assert_eq!(ValidatorBonds::<Test>::get(22).unwrap().amount, 1_000);
		assert_noop!(
			report(model, 22, [9u8; 32], &[0], scores),
			Error::<Test>::AlreadyReported
		);
		assert_ok!(report(model, 21, [9u8; 32], &[0], scores));
		assert_eq!(phase(model, 0), RoundPhase::Finalized);
		assert_eq!(ValidatorBonds::<Test>::get(22).unwrap().amount, 800);
	});
}

/// Slash escape (issue #12, item 6): with an unbonding delay shorter than the round — which
/// `integrity_test` now forbids, so the test shortens it — a committer unbonds and withdraws
/// before the reveal deadline and keeps its whole bond.
#[test]
fn a_committer_cannot_withdraw_before_its_round_closes() {
	new_test_ext().execute_with(|| {
		UnbondingDelay::set(&1);
		let model = setup(1);
		commit(model, TRAINERS[0], 0);
		assert_ok!(GradientCommitments::unbond_trainer(
			RuntimeOrigin::signed(TRAINERS[0]),
			model
		));
		run_to_block(4);
		assert_eq!(phase(model, 0), RoundPhase::Commit);
		assert_noop!(
			GradientCommitments::withdraw_trainer_bond(RuntimeOrigin::signed(TRAINERS[0]), model),
			Error::<Test>::InOpenRound
		);
		// The round fails at its reveal deadline and slashes the silent committer; then the
		// rest of the bond can go.
		run_to_block(9);
		assert_eq!(phase(model, 0), RoundPhase::Failed);
		assert_eq!(held_trainer(TRAINERS[0]), 90);
		assert_ok!(GradientCommitments::withdraw_trainer_bond(
			RuntimeOrigin::signed(TRAINERS[0]),
			model
		));
		assert_eq!(held_trainer(TRAINERS[0]), 0);
	});
}

#[test]
fn a_validator_in_an_aggregating_snapshot_cannot_withdraw() {
	new_test_ext().execute_with(|| {
		UnbondingDelay::set(&1);
		let model = round_in_aggregation();
		assert_ok!(GradientCommitments::unregister_validator(
			RuntimeOrigin::signed(VALIDATORS[0])
		));
		run_to_block(9);
		assert_eq!(phase(model, 0), RoundPhase::Aggregate);
		assert_noop!(
			GradientCommitments::withdraw_validator_bond(RuntimeOrigin::signed(VALIDATORS[0])),
			Error::<Test>::InOpenRound
		);
		// Nor while the round takes report reveals.
		commit_reports(model, &[(VALIDATORS[1], [7; 32], &[0], &[1, 1, 1])]);
		assert_noop!(
			GradientCommitments::withdraw_validator_bond(RuntimeOrigin::signed(VALIDATORS[0])),
			Error::<Test>::InOpenRound
		);
	});
}

#[test]
fn a_validator_that_withdrew_cannot_report_late() {
	new_test_ext().execute_with(|| {
		UnbondingDelay::set(&1);
		let model = round_in_aggregation();
		let scores = [500_000_000; 3];
		let (all, scores): (&[u32], &[u32]) = (&[0, 1, 2], &scores);
		commit_reports(
			model,
			&[
				(VALIDATORS[1], [7; 32], all, scores),
				(VALIDATORS[2], [7; 32], all, scores),
			],
		);
		assert_ok!(report(model, VALIDATORS[1], [7; 32], all, scores));
		assert_ok!(report(model, VALIDATORS[2], [7; 32], all, scores));
		assert_eq!(phase(model, 0), RoundPhase::Finalized);
		// Out of every open snapshot now: it may withdraw ...
		assert_ok!(GradientCommitments::unregister_validator(
			RuntimeOrigin::signed(VALIDATORS[0])
		));
		run_to_block(System::block_number() + 1);
		assert_ok!(GradientCommitments::withdraw_validator_bond(
			RuntimeOrigin::signed(VALIDATORS[0])
		));
		// ... but then not vote with its snapshot stake, where a contradicting report would be
		// slashed from a bond that is gone: the settled round takes no report at all.
		assert_noop!(
			report(model, VALIDATORS[0], [8; 32], all, scores),
			Error::<Test>::WrongPhase
		);
	});
}

/// An owner cannot profit from trainers' faults (issue #12, item 2): the silent committer's
/// slash used to be credited to the model's own pool, which its owner then drains through a
/// raised owner share. It is burnt now: issuance falls by the slash, the pool is untouched.
#[test]
fn slashed_bonds_are_burnt_not_paid_into_the_models_pool() {
	new_test_ext().execute_with(|| {
		let model = setup(3);
		let pool = Pools::<Test>::get(model);
		let issuance = Balances::total_issuance();
		for (i, t) in TRAINERS[..4].iter().enumerate() {
			commit(model, *t, i as u32);
		}
		run_to_block(5);
		for (i, t) in TRAINERS[..3].iter().enumerate() {
			assert_ok!(reveal(model, *t, i as u32));
		}
		run_to_block(8);
		System::assert_has_event(
			Event::TrainerSlashed {
				model,
				round: 0,
				trainer: TRAINERS[3],
				amount: 10,
				fault: Fault::NotRevealed,
			}
			.into(),
		);
		// The drawn-but-unrevealed commitment's deposit (the round's reward per slot,
		// 1000 / 16) is forfeited and burnt too.
		let deposit = 1_000 / 16;
		System::assert_has_event(
			Event::DepositForfeited {
				model,
				round: 0,
				trainer: TRAINERS[3],
				amount: deposit,
			}
			.into(),
		);
		assert_eq!(held_trainer(TRAINERS[3]), 90);
		assert_eq!(held_deposit(TRAINERS[3]), 0);
		assert_eq!(Pools::<Test>::get(model), pool);
		assert_eq!(Balances::total_issuance(), issuance - 10 - deposit);
		assert_ok!(GradientCommitments::do_try_state());
	});
}

/// The owner pauses the model in the middle of the reveal phase: trainers that stop at the
/// pause (or whose reveal the pause was timed against) were slashed into the owner's pool.
/// The round is interrupted now, and nobody is slashed for it.
#[test]
fn pausing_mid_reveal_slashes_no_committer() {
	new_test_ext().execute_with(|| {
		let model = setup(1);
		for (i, t) in TRAINERS[..4].iter().enumerate() {
			commit(model, *t, i as u32);
		}
		run_to_block(5);
		assert_eq!(phase(model, 0), RoundPhase::Reveal);
		assert_ok!(reveal(model, TRAINERS[0], 0));
		assert_ok!(ModelRegistry::pause_model(
			RuntimeOrigin::signed(OWNER),
			model
		));
		System::assert_has_event(Event::RoundInterrupted { model, round: 0 }.into());
		// A trainer may still reveal after the pause; the others stay silent.
		assert_ok!(reveal(model, TRAINERS[1], 1));
		run_to_block(8);
		assert_eq!(phase(model, 0), RoundPhase::Aggregate);
		for t in &TRAINERS[..4] {
			assert_eq!(held_trainer(*t), 100, "trainer {t}");
		}
		assert!(!System::events().iter().any(|r| matches!(
			r.event,
			RuntimeEvent::GradientCommitments(Event::TrainerSlashed { .. })
		)));
		assert_ok!(GradientCommitments::do_try_state());
	});
}

/// Pausing and resuming within the commit phase still interrupts the round (a pause long
/// enough to make workers stop is the attack); a pause during aggregation interrupts nothing,
/// and the next round slashes silent committers as usual.
#[test]
fn a_pause_interrupts_only_the_round_taking_updates() {
	new_test_ext().execute_with(|| {
		let model = setup(1);
		commit(model, TRAINERS[0], 0);
		assert_ok!(ModelRegistry::pause_model(
			RuntimeOrigin::signed(OWNER),
			model
		));
		assert_ok!(ModelRegistry::resume_model(
			RuntimeOrigin::signed(OWNER),
			model
		));
		commit(model, TRAINERS[1], 1);
		run_to_block(5);
		assert_ok!(reveal(model, TRAINERS[1], 1));
		run_to_block(8);
		assert_eq!(held_trainer(TRAINERS[0]), 100);
		assert_eq!(InterruptedRound::<Test>::get(model), Some(0));

		// Paused while aggregating: not interrupted.
		assert_eq!(phase(model, 0), RoundPhase::Aggregate);
		System::reset_events();
		assert_ok!(ModelRegistry::pause_model(
			RuntimeOrigin::signed(OWNER),
			model
		));
		assert!(!System::events().iter().any(|r| matches!(
			r.event,
			RuntimeEvent::GradientCommitments(Event::RoundInterrupted { .. })
		)));
		assert_ok!(ModelRegistry::resume_model(
			RuntimeOrigin::signed(OWNER),
			model
		));
		report_round(model, 0, &VALIDATORS[..3], [5u8; 32]);
		assert_eq!(phase(model, 0), RoundPhase::Finalized);
		run_to_block(System::block_number() + 1);
		// Round 1: a silent committer is slashed.
		past_opening(model);
		let round = CurrentRound::<Test>::get(model).unwrap();
		assert_eq!(round, 1);
		let p = payload(7, PARAMS);
		assert_ok!(GradientCommitments::commit_update(
			RuntimeOrigin::signed(TRAINERS[2]),
			model,
			round,
			commitment_of(&p, SALT, TRAINERS[2])
		));
		run_to_block(System::block_number() + 10);
		assert_eq!(held_trainer(TRAINERS[2]), 90);
	});
}
