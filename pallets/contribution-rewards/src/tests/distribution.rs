//! The split of a round's reward: by role, stake and median score; rounding and unclaimed
//! shares; emission.

use super::*;

#[test]
fn round_reward_is_split_by_role_stake_and_median_score() {
	new_test_ext().execute_with(|| {
		let model = register_model(config(1_000));
		ContributionRewards::fund_model(RuntimeOrigin::signed(FUNDER), model, 10_000).unwrap();
		let validators = vec![(20, 300), (21, 100)];
		// Trainer 10: validators say 0.6 and 0.6 → 0.6. Trainer 11: 0.2 (stake 300) and 0.9
		// (stake 100) → the stake majority's 0.2.
		let trainers = vec![
			scores(10, &[(600_000_000, 300), (600_000_000, 100)]),
			scores(11, &[(200_000_000, 300), (900_000_000, 100)]),
		];
		let released = ContributionRewards::reward_round(
			model,
			0,
			&OWNER,
			&config(1_000),
			&validators,
			&trainers,
		);
		// owner 100; validators 200 → 150 / 50; trainers 700 → 0.6:0.2 → 525 / 175.
		assert_eq!(released, 1_000);
		assert_eq!(PendingRewards::<Test>::get(OWNER), 100);
		assert_eq!(PendingRewards::<Test>::get(20), 150);
		assert_eq!(PendingRewards::<Test>::get(21), 50);
		assert_eq!(PendingRewards::<Test>::get(10), 525);
		assert_eq!(PendingRewards::<Test>::get(11), 175);
		assert_eq!(Pools::<Test>::get(model), 9_000);
		System::assert_has_event(
			Event::TrainerScored {
				model,
				round: 0,
				trainer: 11,
				score: 200_000_000,
			}
			.into(),
		);
		let a = Attributions::<Test>::get(model, 10);
		assert_eq!((a.as_trainer, a.as_owner, a.rounds), (525, 0, 1));
		assert_ok!(ContributionRewards::do_try_state());
	});
}

#[test]
fn rounding_and_unclaimed_shares_return_to_the_pool() {
	new_test_ext().execute_with(|| {
		let model = register_model(config(1_000));
		ContributionRewards::fund_model(RuntimeOrigin::signed(FUNDER), model, 600).unwrap();
		// Pool holds less than the round reward: all 600 is released. No validators and no
		// trainers: their 80 % returns to the pool.
		let released =
			ContributionRewards::reward_round(model, 0, &OWNER, &config(1_000), &[], &[]);
		assert_eq!(released, 60);
		assert_eq!(Pools::<Test>::get(model), 540);
		// Three equal validators share 20 % of 540 = 108 → 36 each, nothing left over;
		// three equal trainers share 70 % of 540 → 378 → 126 each.
		let validators = vec![(20, 1), (21, 1), (22, 1)];
		let trainers: Vec<_> = (10..13).map(|t| scores(t, &[(1, 1)])).collect();
		let pool_before = Pools::<Test>::get(model);
		let pending_before = TotalPending::<Test>::get();
		let released = ContributionRewards::reward_round(
			model,
			1,
			&OWNER,
			&config(1_000),
			&validators,
			&trainers,
		);
		assert_eq!(
			Pools::<Test>::get(model) + TotalPending::<Test>::get(),
			pool_before + pending_before
		);
		assert_eq!(TotalPending::<Test>::get() - pending_before, released);
		assert_ok!(ContributionRewards::do_try_state());
	});
}

#[test]
fn emission_is_minted_into_the_pot() {
	new_test_ext().execute_with(|| {
		Emission::set(500);
		let model = register_model(config(0));
		let issuance = Balances::total_issuance();
		let released =
			ContributionRewards::reward_round(model, 0, &OWNER, &config(0), &[(20, 1)], &[]);
		// Trainers' 70 % has no one to go to and stays in the pool.
		assert_eq!(released, 150);
		assert_eq!(Pools::<Test>::get(model), 350);
		assert_eq!(Balances::total_issuance(), issuance + 500);
		assert_ok!(ContributionRewards::do_try_state());
		Emission::set(0);
	});
}
