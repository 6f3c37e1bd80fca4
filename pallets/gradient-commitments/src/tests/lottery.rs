//! The slot lottery, commitment deposits and the opening block (issue #12, item 3).

use super::*;
use frame_support::traits::fungible::Mutate;

/// The deposit of a round of `config(_)` (reward 1000 over 16 slots, above the minimum 10).
const DEPOSIT: Balance = 1_000 / 16;

/// A funded account bonded for `model`.
fn bonded(model: ModelId, who: AccountId) -> AccountId {
	let _ = <Balances as Mutate<AccountId>>::set_balance(&who, 10_000);
	assert_ok!(GradientCommitments::bond_trainer(
		RuntimeOrigin::signed(who),
		model,
		100
	));
	who
}

fn commit_as(model: ModelId, who: AccountId) -> DispatchResult {
	let p = payload(who as u32, PARAMS);
	GradientCommitments::commit_update(
		RuntimeOrigin::signed(who),
		model,
		0,
		commitment_of(&p, SALT, who),
	)
}

/// Slot squatting (issue #12, item 3): a swarm that commits first used to take every slot —
/// honest trainers committing a block later got `RoundFull`. Now the slots are drawn at the
/// commit deadline, and over many draws the honest share of the slots is the honest share of
/// the commitments (here one half), whoever arrived first.
#[test]
fn a_swarm_that_commits_first_does_not_take_every_slot() {
	let slots = <<Test as Config>::MaxUpdatesPerRound as Get<u32>>::get() as u64;
	let trials = 60u64;
	let mut honest_slots = 0u64;
	for trial in 0..trials {
		new_test_ext().execute_with(|| {
			let model = setup(1);
			let swarm: Vec<AccountId> = (0..slots).map(|i| bonded(model, 200 + i)).collect();
			let honest: Vec<AccountId> = (0..slots).map(|i| bonded(model, 300 + i)).collect();
			for who in &swarm {
				assert_ok!(commit_as(model, *who));
			}
			run_to_block(4);
			for who in &honest {
				assert_ok!(commit_as(model, *who));
			}
			// The draw's seed comes from the parent of the block after the commit window.
			System::set_parent_hash(sp_core::H256::repeat_byte(trial as u8));
			run_to_block(5);
			assert_eq!(phase(model, 0), RoundPhase::Reveal);
			System::assert_has_event(
				Event::SlotsDrawn {
					model,
					round: 0,
					committed: 2 * slots as u32,
					drawn: slots as u32,
				}
				.into(),
			);
			let drawn = |who: &AccountId| Commitments::<Test>::contains_key((model, 0), who);
			let honest_drawn = honest.iter().filter(|w| drawn(w)).count() as u64;
			let swarm_drawn = swarm.iter().filter(|w| drawn(w)).count() as u64;
			assert_eq!(honest_drawn + swarm_drawn, slots);
			// Not drawn: no commitment, deposit back, nothing slashed.
			for who in honest.iter().chain(&swarm).filter(|w| !drawn(w)) {
				assert_eq!(held_deposit(*who), 0);
				assert_eq!(held_trainer(*who), 100);
				assert_noop!(
					GradientCommitments::reveal_update(
						RuntimeOrigin::signed(*who),
						model,
						0,
						bounded(payload(*who as u32, PARAMS)),
						SALT,
						10
					),
					Error::<Test>::NotCommitted
				);
			}
			for who in honest.iter().chain(&swarm).filter(|w| drawn(w)) {
				assert_eq!(held_deposit(*who), DEPOSIT);
			}
			assert_eq!(Rounds::<Test>::get(model, 0).unwrap().commits, slots as u32);
			assert_ok!(GradientCommitments::do_try_state());
			honest_slots += honest_drawn;
		});
	}
	// 960 slots drawn, half of the entries honest: the standard deviation of the honest
	// share is about 0.016, and the bounds are three of them.
	let share = honest_slots as f64 / (trials * slots) as f64;
	println!(
		"honest share of {} drawn slots: {share:.3} (half of the commitments honest; the swarm \
		 committed a block earlier)",
		trials * slots
	);
	assert!(
		(0.45..=0.55).contains(&share),
		"honest share of the slots {share:.3}, expected about 0.5"
	);
}

/// The same seed draws the same slots: the draw is a function of chain state only.
#[test]
fn the_draw_is_deterministic() {
	let run = || {
		new_test_ext().execute_with(|| {
			let model = setup(1);
			for i in 0..24 {
				assert_ok!(commit_as(model, bonded(model, 200 + i)));
			}
			System::set_parent_hash(sp_core::H256::repeat_byte(7));
			run_to_block(5);
			let mut drawn: Vec<AccountId> =
				Commitments::<Test>::iter_key_prefix((model, 0)).collect();
			drawn.sort();
			drawn
		})
	};
	let first = run();
	assert_eq!(first.len(), 16);
	assert_eq!(first, run());
}

/// Commitments are taken up to `MaxCommitsPerRound`, not just the slots; past it the round
/// is full for an equal bond, and the refused commitment holds nothing.
#[test]
fn commitments_are_taken_up_to_the_lottery_bound() {
	new_test_ext().execute_with(|| {
		let model = setup(1);
		let bound = <<Test as Config>::MaxCommitsPerRound as Get<u32>>::get() as u64;
		for i in 0..bound {
			assert_ok!(commit_as(model, bonded(model, 200 + i)));
		}
		let late = bonded(model, 200 + bound);
		assert_noop!(commit_as(model, late), Error::<Test>::RoundFull);
		assert_eq!(held_deposit(late), 0);
		assert_eq!(Rounds::<Test>::get(model, 0).unwrap().commits, bound as u32);
	});
}

/// Pre-positioned commitments (issue #12, item 3): a commitment sent before the round
/// existed lands in the block that opens it, ahead of every worker that learns of the round
/// from that block. The opening block takes none; the next one does.
#[test]
fn a_commitment_in_the_round_opening_block_is_refused() {
	new_test_ext().execute_with(|| {
		let model = register_model(config(1), 10_000);
		let who = bonded(model, 200);
		run_to_block(2);
		assert_eq!(phase(model, 0), RoundPhase::Commit);
		assert_noop!(commit_as(model, who), Error::<Test>::RoundJustOpened);
		run_to_block(3);
		assert_ok!(commit_as(model, who));
	});
}

/// A commitment holds the round's deposit; the reveal returns it; a drawn commitment left
/// unrevealed forfeits it (burnt) besides the slash.
#[test]
fn a_deposit_is_returned_by_the_reveal_and_forfeited_without_one() {
	new_test_ext().execute_with(|| {
		let model = setup(1);
		let free = Balances::free_balance(TRAINERS[0]);
		commit(model, TRAINERS[0], 0);
		commit(model, TRAINERS[1], 1);
		assert_eq!(held_deposit(TRAINERS[0]), DEPOSIT);
		assert_eq!(Balances::free_balance(TRAINERS[0]), free - DEPOSIT);
		run_to_block(5);
		assert_ok!(reveal(model, TRAINERS[0], 0));
		assert_eq!(held_deposit(TRAINERS[0]), 0);
		assert_eq!(Balances::free_balance(TRAINERS[0]), free);
		let issuance = Balances::total_issuance();
		run_to_block(8);
		assert_eq!(held_deposit(TRAINERS[1]), 0);
		System::assert_has_event(
			Event::DepositForfeited {
				model,
				round: 0,
				trainer: TRAINERS[1],
				amount: DEPOSIT,
			}
			.into(),
		);
		assert_eq!(Balances::total_issuance(), issuance - DEPOSIT - 10);
		assert_ok!(GradientCommitments::do_try_state());
	});
}

/// A trainer that cannot hold the deposit cannot commit, and the refusal changes nothing.
#[test]
fn a_commitment_without_the_deposit_is_refused() {
	new_test_ext().execute_with(|| {
		let model = setup(1);
		let who = 250;
		let _ = <Balances as Mutate<AccountId>>::set_balance(&who, 100 + DEPOSIT / 2);
		assert_ok!(GradientCommitments::bond_trainer(
			RuntimeOrigin::signed(who),
			model,
			100
		));
		assert_noop!(commit_as(model, who), Error::<Test>::InsufficientBalance);
	});
}

/// The owner pauses mid-reveal: the silent committer is not slashed and gets its deposit
/// back. A retired model's abandoned commitments get theirs back when the round is pruned.
#[test]
fn an_interrupted_or_abandoned_round_returns_the_deposits() {
	new_test_ext().execute_with(|| {
		let model = setup(1);
		commit(model, TRAINERS[0], 0);
		commit(model, TRAINERS[1], 1);
		run_to_block(5);
		assert_ok!(reveal(model, TRAINERS[0], 0));
		assert_ok!(ModelRegistry::pause_model(
			RuntimeOrigin::signed(OWNER),
			model
		));
		run_to_block(8);
		assert_eq!(held_deposit(TRAINERS[1]), 0);
		assert_eq!(held_trainer(TRAINERS[1]), 100);

		let other = register_model(config(1), 10_000);
		assert_ok!(GradientCommitments::bond_trainer(
			RuntimeOrigin::signed(TRAINERS[2]),
			other,
			100
		));
		run_to_block(System::block_number() + 1);
		past_opening(other);
		let round = CurrentRound::<Test>::get(other).unwrap();
		let p = payload(9, PARAMS);
		assert_ok!(GradientCommitments::commit_update(
			RuntimeOrigin::signed(TRAINERS[2]),
			other,
			round,
			commitment_of(&p, SALT, TRAINERS[2])
		));
		assert!(held_deposit(TRAINERS[2]) > 0);
		assert_ok!(ModelRegistry::retire_model(
			RuntimeOrigin::signed(OWNER),
			other
		));
		run_with_idle(System::block_number() + 2, true);
		assert!(!Rounds::<Test>::contains_key(other, round));
		assert_eq!(held_deposit(TRAINERS[2]), 0);
		assert_ok!(GradientCommitments::do_try_state());
	});
}

/// Locking trainers out by filling the lottery at the minimum bond: a trainer bonded more
/// takes the smallest-bonded committer's place; an equal bond does not.
#[test]
fn a_full_lottery_takes_a_larger_bond_in_place_of_the_smallest() {
	new_test_ext().execute_with(|| {
		let model = setup(1);
		let bound = <<Test as Config>::MaxCommitsPerRound as Get<u32>>::get() as u64;
		let swarm: Vec<AccountId> = (0..bound).map(|i| bonded(model, 200 + i)).collect();
		for who in &swarm {
			assert_ok!(commit_as(model, *who));
		}
		let equal = bonded(model, 400);
		assert_noop!(commit_as(model, equal), Error::<Test>::RoundFull);
		let honest = bonded(model, 401);
		assert_ok!(GradientCommitments::bond_trainer(
			RuntimeOrigin::signed(honest),
			model,
			1
		));
		assert_ok!(commit_as(model, honest));
		assert!(Commitments::<Test>::contains_key((model, 0), honest));
		let evicted: Vec<AccountId> = swarm
			.iter()
			.copied()
			.filter(|w| !Commitments::<Test>::contains_key((model, 0), w))
			.collect();
		assert_eq!(evicted.len(), 1);
		System::assert_has_event(
			Event::CommitmentEvicted {
				model,
				round: 0,
				trainer: evicted[0],
				by: honest,
			}
			.into(),
		);
		assert_eq!(held_deposit(evicted[0]), 0);
		assert_eq!(held_trainer(evicted[0]), 100);
		assert_eq!(Rounds::<Test>::get(model, 0).unwrap().commits, bound as u32);
		assert_ok!(GradientCommitments::do_try_state());
	});
}
