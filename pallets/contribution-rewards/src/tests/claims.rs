//! Claiming pending rewards.

use super::*;

#[test]
fn claim_pays_pending_rewards() {
	new_test_ext().execute_with(|| {
		let model = register_model(config(1_000));
		ContributionRewards::fund_model(RuntimeOrigin::signed(FUNDER), model, 10_000).unwrap();
		ContributionRewards::reward_round(
			model,
			0,
			&OWNER,
			&config(1_000),
			&[(20, 1)],
			&[scores(10, &[(1, 1)])],
		);
		assert_noop!(
			ContributionRewards::claim_rewards(RuntimeOrigin::signed(99)),
			Error::<Test>::NothingToClaim
		);
		assert_ok!(ContributionRewards::claim_rewards(RuntimeOrigin::signed(
			10
		)));
		assert_eq!(Balances::balance(&10), 700);
		assert_eq!(PendingRewards::<Test>::get(10), 0);
		System::assert_last_event(
			Event::RewardsClaimed {
				who: 10,
				amount: 700,
			}
			.into(),
		);
		assert_noop!(
			ContributionRewards::claim_rewards(RuntimeOrigin::signed(10)),
			Error::<Test>::NothingToClaim
		);
		assert_ok!(ContributionRewards::do_try_state());
	});
}

#[test]
fn claim_below_existential_deposit_is_refused_and_kept() {
	new_test_ext().execute_with(|| {
		let model = register_model(config(3));
		ContributionRewards::fund_model(RuntimeOrigin::signed(FUNDER), model, 100).unwrap();
		let c = TrainingConfig {
			reward_split: RewardSplit {
				owner: 0,
				validators: 0,
				trainers: 1_000_000_000,
			},
			..config(3)
		};
		ContributionRewards::reward_round(model, 0, &OWNER, &c, &[], &[scores(50, &[(1, 1)])]);
		assert_eq!(PendingRewards::<Test>::get(50), 3);
		assert_noop!(
			ContributionRewards::claim_rewards(RuntimeOrigin::signed(50)),
			Error::<Test>::BelowExistentialDeposit
		);
	});
}
