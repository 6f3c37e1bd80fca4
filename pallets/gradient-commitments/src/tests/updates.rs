//! Update intake: commit and reveal errors, reveal checks (commitment, codec, shape,
//! copies), buffered submissions and staleness.

use super::*;

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
		System::assert_has_event(
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
		// The slashes were burnt: the pool holds what was funded.
		assert_eq!(Pools::<Test>::get(model), 10_000);
		assert_ok!(GradientCommitments::do_try_state());
		assert_ok!(ContributionRewards::do_try_state());
	});
}

#[test]
fn buffered_async_round_closes_after_k_updates_and_checks_staleness() {
	new_test_ext().execute_with(|| {
		let model = register_model(buffered(3, 2), 5_000);
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
			submit_buffered(model, 0, who, base, &payload(seed, PARAMS), SALT)
		};
		// Nothing is taken in the block that opened the buffer.
		assert_noop!(
			commit_buffered(model, 0, 10, &payload(0, PARAMS), SALT),
			Error::<Test>::RoundJustOpened
		);
		assert_noop!(submit(10, 0, 0), Error::<Test>::RoundJustOpened);
		run_to_block(3);
		assert_noop!(
			commit_buffered(model, 0, POOR, &payload(9, PARAMS), SALT),
			Error::<Test>::NotBonded
		);
		for (who, seed) in [(10, 0), (11, 1), (12, 2), (13, 3)] {
			assert_ok!(commit_buffered(model, 0, who, &payload(seed, PARAMS), SALT));
		}
		// A buffered commitment claims no slot and holds no deposit.
		assert_eq!(deposit_held(10), 0);
		assert_noop!(submit(10, 0, 0), Error::<Test>::CommittedThisBlock);
		run_to_block(4);
		assert_noop!(submit(10, 1, 0), Error::<Test>::FutureVersion);
		assert_noop!(submit(POOR, 0, 0), Error::<Test>::NotBonded);
		assert_noop!(submit(10, 0, 5), Error::<Test>::CommitmentMismatch);
		assert_ok!(submit(10, 0, 0));
		assert!(
			!Commitments::<Test>::contains_key((model, 0), 10),
			"the submission consumed its commitment"
		);
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
			buffer_blocks: 6,
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
		run_to_block(3);
		assert_ok!(commit_buffered(model, 0, 10, &payload(0, PARAMS), SALT));
		run_to_block(4);
		assert_ok!(submit_buffered(model, 0, 10, 0, &payload(0, PARAMS), SALT));
		report_round(model, 0, &[20], [5u8; 32]);
		assert_eq!(phase(model, 0), RoundPhase::Finalized);
		run_to_block(System::block_number() + 1);
		assert_eq!(CurrentRound::<Test>::get(model), Some(1));
		past_opening(model);
		// The model is at version 1 now; an update against version 0 is one version stale.
		assert_ok!(commit_buffered(model, 1, 10, &payload(1, PARAMS), SALT));
		run_to_block(System::block_number() + 1);
		assert_noop!(
			submit_buffered(model, 1, 10, 0, &payload(1, PARAMS), SALT),
			Error::<Test>::TooStale
		);
	});
}

fn commit_buffered(
	model: ModelId,
	round: RoundIndex,
	who: AccountId,
	p: &[u8],
	salt: [u8; 32],
) -> DispatchResult {
	GradientCommitments::commit_update(
		RuntimeOrigin::signed(who),
		model,
		round,
		commitment_of(p, salt, who),
	)
}

fn submit_buffered(
	model: ModelId,
	round: RoundIndex,
	who: AccountId,
	base: u32,
	p: &[u8],
	salt: [u8; 32],
) -> DispatchResult {
	GradientCommitments::submit_update(
		RuntimeOrigin::signed(who),
		model,
		round,
		base,
		bounded(p.to_vec()),
		salt,
		10,
	)
}

fn buffered(
	buffer_size: u32,
	min_updates: u32,
) -> fedledger_primitives::model::TrainingConfig<Balance> {
	let mut c = config(min_updates);
	c.schedule = fedledger_primitives::model::Schedule::BufferedAsync {
		buffer_size,
		max_staleness: 2,
		staleness: fedledger_primitives::rules::StalenessFn::Constant,
		buffer_blocks: 6,
		aggregate_blocks: 3,
		min_updates,
	};
	c
}

fn deposit_held(who: AccountId) -> Balance {
	Balances::balance_on_hold(&HoldReason::CommitDeposit.into(), &who)
}

/// Issue #12, item 5. The copier reads an honest trainer's buffered submission in the pool
/// and sends it as its own with a higher tip. Before submissions needed a commitment, the
/// copy was recorded and the original then failed `DuplicatePayload`: the copier was paid for
/// the honest trainer's work. Now the copy has no commitment; a commitment made on sight is
/// usable one block later, when the original is on chain and the copy is a duplicate.
#[test]
fn a_copied_buffered_submission_is_refused_and_the_original_lands() {
	new_test_ext().execute_with(|| {
		let model = register_model(buffered(3, 2), 5_000);
		let (honest, copier) = (10, 11);
		for t in [honest, copier] {
			assert_ok!(GradientCommitments::bond_trainer(
				RuntimeOrigin::signed(t),
				model,
				100
			));
		}
		run_to_block(3);
		let p = payload(0, PARAMS);
		assert_ok!(commit_buffered(model, 0, honest, &p, SALT));
		run_to_block(4);
		// The honest submission is in the pool; the copier sends the same call as its own,
		assert_noop!(
			submit_buffered(model, 0, copier, 0, &p, SALT),
			Error::<Test>::NotCommitted
		);
		// or commits to it first, in the same block, ahead of the original.
		let copier_salt = [9u8; 32];
		assert_ok!(commit_buffered(model, 0, copier, &p, copier_salt));
		assert_noop!(
			submit_buffered(model, 0, copier, 0, &p, copier_salt),
			Error::<Test>::CommittedThisBlock
		);
		// The original lands.
		assert_ok!(submit_buffered(model, 0, honest, 0, &p, SALT));
		// From the next block on, the copier's commitment is usable, and its copy a duplicate.
		run_to_block(5);
		assert_noop!(
			submit_buffered(model, 0, copier, 0, &p, copier_salt),
			Error::<Test>::DuplicatePayload
		);
		assert!(Updates::<Test>::contains_key((model, 0), honest));
		assert!(!Updates::<Test>::contains_key((model, 0), copier));
		assert_eq!(
			UpdateOrder::<Test>::get((model, 0)).into_inner(),
			vec![honest]
		);
		assert_ok!(GradientCommitments::do_try_state());
	});
}

/// A buffered commitment owes nothing: one not submitted when the buffer's deadline passes
/// is neither slashed nor charged.
#[test]
fn an_unsubmitted_buffered_commitment_is_not_slashed() {
	new_test_ext().execute_with(|| {
		let model = register_model(buffered(3, 1), 5_000);
		for t in [10, 11] {
			assert_ok!(GradientCommitments::bond_trainer(
				RuntimeOrigin::signed(t),
				model,
				100
			));
		}
		run_to_block(3);
		assert_ok!(commit_buffered(model, 0, 10, &payload(0, PARAMS), SALT));
		assert_ok!(commit_buffered(model, 0, 11, &payload(1, PARAMS), SALT));
		run_to_block(4);
		assert_ok!(submit_buffered(model, 0, 10, 0, &payload(0, PARAMS), SALT));
		assert_eq!(Rounds::<Test>::get(model, 0).unwrap().commits, 1);
		let before = Balances::free_balance(11);
		let deadline = Rounds::<Test>::get(model, 0).unwrap().phase_ends_at;
		run_to_block(deadline);
		assert_eq!(phase(model, 0), RoundPhase::Aggregate);
		assert_eq!(TrainerBonds::<Test>::get(model, 11).unwrap().amount, 100);
		assert_eq!(Balances::free_balance(11), before);
		assert!(!System::events().iter().any(|r| matches!(
			r.event,
			RuntimeEvent::GradientCommitments(Event::TrainerSlashed { .. })
		)));
		assert_ok!(GradientCommitments::do_try_state());
	});
}

fn commit_payload(model: ModelId, round: RoundIndex, who: AccountId, p: &[u8]) {
	past_opening(model);
	assert_ok!(GradientCommitments::commit_update(
		RuntimeOrigin::signed(who),
		model,
		round,
		commitment_of(p, SALT, who)
	));
}

fn reveal_payload(model: ModelId, round: RoundIndex, who: AccountId, p: &[u8]) -> DispatchResult {
	GradientCommitments::reveal_update(
		RuntimeOrigin::signed(who),
		model,
		round,
		bounded(p.to_vec()),
		SALT,
		100,
	)
}

/// Runs to the end of `model`'s current phase.
fn to_phase_end(model: ModelId, round: RoundIndex) {
	run_to_block(Rounds::<Test>::get(model, round).unwrap().phase_ends_at);
}

/// Free-riding by replay (issue #12, item 5): the duplicate check was per round, so an update
/// revealed in an earlier round — one's own or anyone's, public in its block — could be
/// revealed again and paid as new work. It is refused for [`Config::ReplayWindow`] rounds.
#[test]
fn an_update_replayed_from_a_recent_round_is_refused() {
	new_test_ext().execute_with(|| {
		let model = setup(1);
		assert_eq!(finalize_round(model, false), 0);
		// Trainer 11's round-0 update, replayed by trainer 10 in round 1.
		let replayed = payload(1, PARAMS);
		let fresh = payload(4_242, PARAMS);
		commit_payload(model, 1, TRAINERS[0], &replayed);
		commit_payload(model, 1, TRAINERS[1], &fresh);
		to_phase_end(model, 1);
		assert_eq!(phase(model, 1), RoundPhase::Reveal);
		assert_noop!(
			reveal_payload(model, 1, TRAINERS[0], &replayed),
			Error::<Test>::ReplayedPayload
		);
		assert_ok!(reveal_payload(model, 1, TRAINERS[1], &fresh));
		// Round 1 fails without quorum, round 2 for lack of updates: ReplayWindow (2) rounds
		// have closed since round 0, whose payloads may now appear again.
		to_phase_end(model, 1);
		to_phase_end(model, 1);
		assert_eq!(phase(model, 1), RoundPhase::Failed);
		run_to_block(System::block_number() + 1);
		assert_eq!(CurrentRound::<Test>::get(model), Some(2));
		assert_noop!(
			GradientCommitments::commit_update(
				RuntimeOrigin::signed(TRAINERS[2]),
				model,
				1,
				[0u8; 32]
			),
			Error::<Test>::UnknownRound
		);
		to_phase_end(model, 2);
		to_phase_end(model, 2);
		assert_eq!(phase(model, 2), RoundPhase::Failed);
		run_to_block(System::block_number() + 1);
		assert_eq!(CurrentRound::<Test>::get(model), Some(3));
		commit_payload(model, 3, TRAINERS[0], &replayed);
		commit_payload(model, 3, TRAINERS[1], &fresh);
		to_phase_end(model, 3);
		assert_ok!(reveal_payload(model, 3, TRAINERS[0], &replayed));
		// Round 1's update is still inside the window.
		assert_noop!(
			reveal_payload(model, 3, TRAINERS[1], &fresh),
			Error::<Test>::ReplayedPayload
		);
		assert_ok!(GradientCommitments::do_try_state());
	});
}

/// A model's `update_bounds` are checked at reveal: a sample count, a coordinate or a norm
/// above them is refused with its own error and changes nothing (the commitment stays, so the
/// trainer may still reveal a valid update).
#[test]
fn a_reveal_outside_the_models_bounds_is_refused() {
	new_test_ext().execute_with(|| {
		let mut c = config(3);
		c.update_bounds = fedledger_primitives::model::UpdateBounds {
			max_samples: 1_000,
			max_value: 50_000, // 0.05
			max_norm: 100_000, // 0.1
		};
		let model = register_model(c, 10_000);
		for t in TRAINERS {
			assert_ok!(GradientCommitments::bond_trainer(
				RuntimeOrigin::signed(t),
				model,
				100
			));
		}
		run_to_block(3);
		let f32s = |v: f32| tensor_codec::encode_f32(&[v; PARAMS], &[PARAMS as u32]).unwrap();
		// Within every bound: 10 × 0.009 at most, norm below 0.03.
		let fine = payload(0, PARAMS);
		let big_value = f32s(0.06);
		// Every coordinate 0.04 ≤ 0.05, but the norm is √10 · 0.04 ≈ 0.126 > 0.1.
		let big_norm = f32s(0.04);
		for (who, p) in [(10, &fine), (11, &big_value), (12, &big_norm)] {
			assert_ok!(GradientCommitments::commit_update(
				RuntimeOrigin::signed(who),
				model,
				0,
				commitment_of(p, SALT, who)
			));
		}
		run_to_block(5);
		let reveal_with = |who: AccountId, p: &Vec<u8>, samples: u32| {
			GradientCommitments::reveal_update(
				RuntimeOrigin::signed(who),
				model,
				0,
				bounded(p.clone()),
				SALT,
				samples,
			)
		};
		assert_noop!(reveal_with(10, &fine, 1_001), Error::<Test>::TooManySamples);
		assert_noop!(
			reveal_with(10, &fine, 4_000_000_000),
			Error::<Test>::TooManySamples
		);
		assert_noop!(
			reveal_with(11, &big_value, 10),
			Error::<Test>::ValueOutOfBounds
		);
		assert_noop!(
			reveal_with(12, &big_norm, 10),
			Error::<Test>::NormOutOfBounds
		);
		// At the bound exactly is allowed.
		assert_ok!(reveal_with(10, &fine, 1_000));
		assert_eq!(
			Updates::<Test>::get((model, 0), 10).unwrap().num_samples,
			1_000
		);
	});
}

/// The seed validators shuffle buckets with is drawn when the round stops taking updates,
/// from the hash of the reveal window's last block: no reveal enters it.
#[test]
fn the_aggregation_seed_is_drawn_from_the_block_that_closed_the_reveals() {
	use sp_runtime::traits::{BlakeTwo256, Hash};
	new_test_ext().execute_with(|| {
		let model = setup(3);
		for t in [10, 11, 12] {
			commit(model, t, t as u32);
		}
		run_to_block(5);
		for t in [10, 11, 12] {
			assert_ok!(reveal(model, t, t as u32));
		}
		assert_eq!(
			Rounds::<Test>::get(model, 0).unwrap().aggregation_seed,
			[0; 32]
		);
		run_to_block(7);
		let last_reveal_block = sp_core::H256::repeat_byte(0x42);
		frame_system::Pallet::<Test>::set_parent_hash(last_reveal_block);
		run_to_block(8);
		let info = Rounds::<Test>::get(model, 0).unwrap();
		assert_eq!(info.phase, RoundPhase::Aggregate);
		let expected = BlakeTwo256::hash_of(&(
			b"fedledger/aggregation-seed",
			model,
			0u32,
			last_reveal_block,
		))
		.0;
		assert_eq!(info.aggregation_seed, expected);
	});
}
