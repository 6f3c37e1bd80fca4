//! Unit tests of the round protocol: every call's happy path and error paths, phase moves,
//! quorum, failure and slashing.

use crate::{mock::*, *};
use frame_support::{assert_noop, assert_ok, traits::fungible::InspectHold, BoundedVec};
use pallet_contribution_rewards::{PendingRewards, Pools, TotalPending};
use pallet_model_registry::Versions;

const PARAMS: usize = 10;
const SALT: [u8; 32] = [3u8; 32];

fn bounded<S: Get<u32>>(v: Vec<u8>) -> BoundedVec<u8, S> {
	BoundedVec::try_from(v).unwrap()
}

fn indices(v: &[u32]) -> BoundedVec<u32, <Test as Config>::MaxUpdatesPerRound> {
	BoundedVec::try_from(v.to_vec()).unwrap()
}

/// A model with `min_updates`, its pool funded, every trainer bonded and three validators of
/// stakes 1000, 1000 and 1000 registered; runs to block 2, where round 0 opens.
fn setup(min_updates: u32) -> ModelId {
	let model = register_model(config(min_updates), 10_000);
	for t in TRAINERS {
		assert_ok!(GradientCommitments::bond_trainer(
			RuntimeOrigin::signed(t),
			model,
			100
		));
	}
	for v in &VALIDATORS[..3] {
		assert_ok!(GradientCommitments::register_validator(
			RuntimeOrigin::signed(*v),
			1_000
		));
	}
	run_to_block(2);
	model
}

fn commit(model: ModelId, who: AccountId, seed: u32) {
	let p = payload(seed, PARAMS);
	assert_ok!(GradientCommitments::commit_update(
		RuntimeOrigin::signed(who),
		model,
		0,
		commitment_of(&p, SALT, who)
	));
}

fn reveal(model: ModelId, who: AccountId, seed: u32) -> DispatchResult {
	GradientCommitments::reveal_update(
		RuntimeOrigin::signed(who),
		model,
		0,
		bounded(payload(seed, PARAMS)),
		SALT,
		100,
	)
}

fn report(
	model: ModelId,
	who: AccountId,
	hash: Digest,
	accepted: &[u32],
	scores: &[u32],
) -> DispatchResultWithPostInfo {
	GradientCommitments::report_aggregate(
		RuntimeOrigin::signed(who),
		model,
		0,
		hash,
		indices(accepted),
		indices(scores),
	)
}

fn phase(model: ModelId, round: RoundIndex) -> RoundPhase {
	Rounds::<Test>::get(model, round).unwrap().phase
}

fn held_trainer(who: AccountId) -> Balance {
	Balances::balance_on_hold(&HoldReason::TrainerBond.into(), &who)
}

/// Round 0 with trainers 10, 11, 12 revealed (in that order) and trainer 13 committed but
/// silent; runs into the aggregate phase (block 8).
fn round_in_aggregation() -> ModelId {
	let model = setup(3);
	for (i, t) in TRAINERS[..4].iter().enumerate() {
		commit(model, *t, i as u32);
	}
	run_to_block(5);
	assert_eq!(phase(model, 0), RoundPhase::Reveal);
	for (i, t) in TRAINERS[..3].iter().enumerate() {
		assert_ok!(reveal(model, *t, i as u32));
	}
	run_to_block(8);
	assert_eq!(phase(model, 0), RoundPhase::Aggregate);
	model
}

#[test]
fn trainer_bond_lifecycle_and_errors() {
	new_test_ext().execute_with(|| {
		let model = register_model(config(3), 0);
		assert_noop!(
			GradientCommitments::bond_trainer(RuntimeOrigin::signed(10), 9, 100),
			Error::<Test>::UnknownModel
		);
		assert_noop!(
			GradientCommitments::bond_trainer(RuntimeOrigin::signed(10), model, 49),
			Error::<Test>::BondTooSmall
		);
		assert_noop!(
			GradientCommitments::bond_trainer(RuntimeOrigin::signed(POOR), model, 60),
			Error::<Test>::InsufficientBalance
		);
		assert_noop!(
			GradientCommitments::unbond_trainer(RuntimeOrigin::signed(10), model),
			Error::<Test>::NotBonded
		);
		assert_ok!(GradientCommitments::bond_trainer(
			RuntimeOrigin::signed(10),
			model,
			60
		));
		assert_ok!(GradientCommitments::bond_trainer(
			RuntimeOrigin::signed(10),
			model,
			40
		));
		assert_eq!(TrainerBonds::<Test>::get(model, 10).unwrap().amount, 100);
		assert_eq!(held_trainer(10), 100);
		assert_noop!(
			GradientCommitments::withdraw_trainer_bond(RuntimeOrigin::signed(10), model),
			Error::<Test>::NotUnbonding
		);
		assert_ok!(GradientCommitments::unbond_trainer(
			RuntimeOrigin::signed(10),
			model
		));
		System::assert_last_event(
			Event::TrainerUnbonding {
				model,
				trainer: 10,
				at: 21,
			}
			.into(),
		);
		assert_noop!(
			GradientCommitments::unbond_trainer(RuntimeOrigin::signed(10), model),
			Error::<Test>::Unbonding
		);
		assert_noop!(
			GradientCommitments::bond_trainer(RuntimeOrigin::signed(10), model, 10),
			Error::<Test>::Unbonding
		);
		assert_noop!(
			GradientCommitments::withdraw_trainer_bond(RuntimeOrigin::signed(10), model),
			Error::<Test>::StillUnbonding
		);
		run_to_block(21);
		assert_ok!(GradientCommitments::withdraw_trainer_bond(
			RuntimeOrigin::signed(10),
			model
		));
		assert_eq!(held_trainer(10), 0);
		assert!(TrainerBonds::<Test>::get(model, 10).is_none());
		assert_ok!(GradientCommitments::do_try_state());
	});
}

#[test]
fn validator_registration_lifecycle_and_errors() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			GradientCommitments::register_validator(RuntimeOrigin::signed(20), 499),
			Error::<Test>::BondTooSmall
		);
		assert_noop!(
			GradientCommitments::register_validator(RuntimeOrigin::signed(POOR), 500),
			Error::<Test>::InsufficientBalance
		);
		assert_ok!(GradientCommitments::register_validator(
			RuntimeOrigin::signed(20),
			500
		));
		assert_noop!(
			GradientCommitments::register_validator(RuntimeOrigin::signed(20), 500),
			Error::<Test>::AlreadyValidator
		);
		assert_eq!(ActiveValidators::<Test>::get().to_vec(), vec![20]);
		assert_noop!(
			GradientCommitments::unregister_validator(RuntimeOrigin::signed(21)),
			Error::<Test>::NotValidator
		);
		assert_noop!(
			GradientCommitments::withdraw_validator_bond(RuntimeOrigin::signed(20)),
			Error::<Test>::NotUnbonding
		);
		assert_ok!(GradientCommitments::unregister_validator(
			RuntimeOrigin::signed(20)
		));
		assert!(ActiveValidators::<Test>::get().is_empty());
		assert_noop!(
			GradientCommitments::unregister_validator(RuntimeOrigin::signed(20)),
			Error::<Test>::Unbonding
		);
		assert_noop!(
			GradientCommitments::withdraw_validator_bond(RuntimeOrigin::signed(20)),
			Error::<Test>::StillUnbonding
		);
		run_to_block(21);
		assert_ok!(GradientCommitments::withdraw_validator_bond(
			RuntimeOrigin::signed(20)
		));
		assert_eq!(
			Balances::balance_on_hold(&HoldReason::ValidatorBond.into(), &20),
			0
		);
		assert_ok!(GradientCommitments::do_try_state());
	});
}

#[test]
fn validator_set_is_bounded() {
	new_test_ext().execute_with(|| {
		for who in 100..108u64 {
			Balances::force_set_balance(RuntimeOrigin::root(), who, 1_000).unwrap();
			assert_ok!(GradientCommitments::register_validator(
				RuntimeOrigin::signed(who),
				500
			));
		}
		Balances::force_set_balance(RuntimeOrigin::root(), 108, 1_000).unwrap();
		assert_noop!(
			GradientCommitments::register_validator(RuntimeOrigin::signed(108), 500),
			Error::<Test>::TooManyValidators
		);
	});
}

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
fn commit_errors_change_nothing() {
	new_test_ext().execute_with(|| {
		let model = setup(3);
		let c = commitment_of(&payload(0, PARAMS), SALT, 10);
		assert_noop!(
			GradientCommitments::commit_update(RuntimeOrigin::signed(10), model, 1, c),
			Error::<Test>::UnknownRound
		);
		assert_noop!(
			GradientCommitments::commit_update(RuntimeOrigin::signed(POOR), model, 0, c),
			Error::<Test>::NotBonded
		);
		assert_ok!(GradientCommitments::commit_update(
			RuntimeOrigin::signed(10),
			model,
			0,
			c
		));
		assert_noop!(
			GradientCommitments::commit_update(RuntimeOrigin::signed(10), model, 0, c),
			Error::<Test>::AlreadyCommitted
		);
		assert_ok!(GradientCommitments::unbond_trainer(
			RuntimeOrigin::signed(11),
			model
		));
		assert_noop!(
			GradientCommitments::commit_update(RuntimeOrigin::signed(11), model, 0, c),
			Error::<Test>::Unbonding
		);
		run_to_block(5);
		assert_noop!(
			GradientCommitments::commit_update(RuntimeOrigin::signed(12), model, 0, c),
			Error::<Test>::WrongPhase
		);
	});
}

#[test]
fn reveal_checks_commitment_codec_shape_and_copies() {
	new_test_ext().execute_with(|| {
		let model = setup(3);
		commit(model, 10, 0);
		// Trainer 11 commits to trainer 10's payload (a copy, with its own salt and account).
		let copied = payload(0, PARAMS);
		assert_ok!(GradientCommitments::commit_update(
			RuntimeOrigin::signed(11),
			model,
			0,
			commitment_of(&copied, SALT, 11)
		));
		// Trainer 12 commits to a malformed payload, trainer 13 to a wrong-shape one.
		let garbage = vec![0xAB; 40];
		assert_ok!(GradientCommitments::commit_update(
			RuntimeOrigin::signed(12),
			model,
			0,
			commitment_of(&garbage, SALT, 12)
		));
		let short = payload(3, PARAMS - 1);
		assert_ok!(GradientCommitments::commit_update(
			RuntimeOrigin::signed(13),
			model,
			0,
			commitment_of(&short, SALT, 13)
		));
		assert_noop!(reveal(model, 10, 0), Error::<Test>::WrongPhase);
		run_to_block(5);

		assert_noop!(reveal(model, 14, 4), Error::<Test>::NotCommitted);
		assert_noop!(reveal(model, 10, 1), Error::<Test>::CommitmentMismatch);
		assert_noop!(
			GradientCommitments::reveal_update(
				RuntimeOrigin::signed(10),
				model,
				0,
				bounded(payload(0, PARAMS)),
				SALT,
				0
			),
			Error::<Test>::ZeroSamples
		);
		assert_noop!(
			GradientCommitments::reveal_update(
				RuntimeOrigin::signed(12),
				model,
				0,
				bounded(garbage),
				SALT,
				5
			),
			Error::<Test>::MalformedPayload
		);
		assert_noop!(
			GradientCommitments::reveal_update(
				RuntimeOrigin::signed(13),
				model,
				0,
				bounded(short),
				SALT,
				5
			),
			Error::<Test>::ShapeMismatch
		);
		assert_ok!(reveal(model, 10, 0));
		System::assert_last_event(
			Event::UpdateRevealed {
				model,
				round: 0,
				trainer: 10,
				index: 0,
				payload_hash: tensor_codec_digest(&payload(0, PARAMS)),
			}
			.into(),
		);
		assert_noop!(reveal(model, 10, 0), Error::<Test>::AlreadyRevealed);
		assert_noop!(
			GradientCommitments::reveal_update(
				RuntimeOrigin::signed(11),
				model,
				0,
				bounded(copied),
				SALT,
				5
			),
			Error::<Test>::DuplicatePayload
		);
		let record = Updates::<Test>::get((model, 0), 10).unwrap();
		assert_eq!(
			(record.block, record.num_samples, record.base_version),
			(5, 100, 0)
		);
		assert_eq!(UpdateOrder::<Test>::get((model, 0)).to_vec(), vec![10]);

		// At the reveal deadline every committed-but-unrevealed trainer is slashed 10 %.
		run_to_block(8);
		for t in [11, 12, 13] {
			assert_eq!(TrainerBonds::<Test>::get(model, t).unwrap().amount, 90);
			assert_eq!(held_trainer(t), 90);
		}
		assert_eq!(TrainerBonds::<Test>::get(model, 10).unwrap().amount, 100);
		// 10_000 funded + 3 × 10 slashed.
		assert_eq!(Pools::<Test>::get(model), 10_030);
		assert_ok!(GradientCommitments::do_try_state());
		assert_ok!(ContributionRewards::do_try_state());
	});
}

fn tensor_codec_digest(p: &[u8]) -> Digest {
	fedledger_primitives::tensor_codec::digest(p)
}

#[test]
fn quorum_finalizes_rewards_and_opens_the_next_round() {
	new_test_ext().execute_with(|| {
		let model = round_in_aggregation();
		let new_hash = [9u8; 32];
		let info = Rounds::<Test>::get(model, 0).unwrap();
		assert_eq!((info.updates, info.validator_stake), (3, 3_000));
		// Trainer 13 committed without revealing: slashed.
		assert_eq!(TrainerBonds::<Test>::get(model, 13).unwrap().amount, 90);
		let pool_before = Pools::<Test>::get(model);
		assert_eq!(pool_before, 10_010);

		// Validator 20 accepts updates 0 and 1, scores them 0.6 / 0.4 / 0.
		assert_ok!(report(
			model,
			20,
			new_hash,
			&[0, 1],
			&[600_000_000, 400_000_000, 0]
		));
		assert_eq!(phase(model, 0), RoundPhase::Aggregate);
		// 1000 of 3000 stake is not a quorum; a second matching report (2000 ≥ 2/3) is.
		assert_ok!(report(
			model,
			21,
			new_hash,
			&[0, 1],
			&[600_000_000, 400_000_000, 0]
		));
		assert_eq!(phase(model, 0), RoundPhase::Finalized);

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

#[test]
fn buffered_async_round_closes_after_k_updates_and_checks_staleness() {
	new_test_ext().execute_with(|| {
		let mut c = config(2);
		c.schedule = fedledger_primitives::model::Schedule::BufferedAsync {
			buffer_size: 3,
			max_staleness: 2,
			staleness: fedledger_primitives::rules::StalenessFn::Constant,
			buffer_blocks: 50,
			aggregate_blocks: 3,
			min_updates: 2,
		};
		let model = register_model(c, 5_000);
		for t in TRAINERS {
			assert_ok!(GradientCommitments::bond_trainer(
				RuntimeOrigin::signed(t),
				model,
				100
			));
		}
		run_to_block(2);
		assert_eq!(phase(model, 0), RoundPhase::Buffer);
		let submit = |who: AccountId, base: u32, seed: u32| {
			GradientCommitments::submit_update(
				RuntimeOrigin::signed(who),
				model,
				0,
				base,
				bounded(payload(seed, PARAMS)),
				10,
			)
		};
		assert_noop!(submit(10, 1, 0), Error::<Test>::FutureVersion);
		assert_noop!(submit(POOR, 0, 0), Error::<Test>::NotBonded);
		assert_ok!(submit(10, 0, 0));
		assert_noop!(submit(10, 0, 1), Error::<Test>::AlreadyRevealed);
		assert_ok!(submit(11, 0, 1));
		assert_eq!(phase(model, 0), RoundPhase::Buffer);
		assert_ok!(submit(12, 0, 2));
		assert_eq!(
			phase(model, 0),
			RoundPhase::Aggregate,
			"the K-th update closes the buffer"
		);
		assert_noop!(submit(13, 0, 3), Error::<Test>::WrongPhase);
		assert_ok!(GradientCommitments::do_try_state());
	});
}

#[test]
fn stale_updates_are_refused() {
	new_test_ext().execute_with(|| {
		let mut c = config(1);
		c.schedule = fedledger_primitives::model::Schedule::BufferedAsync {
			buffer_size: 1,
			max_staleness: 0,
			staleness: fedledger_primitives::rules::StalenessFn::Constant,
			buffer_blocks: 50,
			aggregate_blocks: 3,
			min_updates: 1,
		};
		let model = register_model(c, 5_000);
		assert_ok!(GradientCommitments::bond_trainer(
			RuntimeOrigin::signed(10),
			model,
			100
		));
		assert_ok!(GradientCommitments::register_validator(
			RuntimeOrigin::signed(20),
			1_000
		));
		run_to_block(2);
		assert_ok!(GradientCommitments::submit_update(
			RuntimeOrigin::signed(10),
			model,
			0,
			0,
			bounded(payload(0, PARAMS)),
			10
		));
		assert_ok!(GradientCommitments::report_aggregate(
			RuntimeOrigin::signed(20),
			model,
			0,
			[5u8; 32],
			indices(&[0]),
			indices(&[1_000_000_000])
		));
		run_to_block(System::block_number() + 1);
		assert_eq!(CurrentRound::<Test>::get(model), Some(1));
		// The model is at version 1 now; an update against version 0 is one version stale.
		assert_noop!(
			GradientCommitments::submit_update(
				RuntimeOrigin::signed(10),
				model,
				1,
				0,
				bounded(payload(1, PARAMS)),
				10
			),
			Error::<Test>::TooStale
		);
	});
}
