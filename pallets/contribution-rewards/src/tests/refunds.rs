//! Refunds of a retired model's pool to its funders.

use super::*;

const THIRD: AccountId = 4;

/// A retired model's pool had no way out (issue #12, item 2): it stayed in the pot for good.
/// Now each funder is paid back its share of what is left, whatever the claim order, and the
/// pool ends at zero exactly.
#[test]
fn a_retired_models_pool_goes_back_to_its_funders_pro_rata() {
	new_test_ext().execute_with(|| {
		Balances::force_set_balance(RuntimeOrigin::root(), THIRD, 10_000).unwrap();
		let model = register_model(config(1_000));
		for (who, amount) in [
			(FUNDER, 3_000),
			(OWNER, 2_000),
			(FUNDER, 1_000),
			(THIRD, 2_000),
		] {
			assert_ok!(ContributionRewards::fund_model(
				RuntimeOrigin::signed(who),
				model,
				amount
			));
		}
		assert_eq!(Funding::<Test>::get(model, FUNDER), 4_000);
		assert_eq!(TotalFunding::<Test>::get(model), 8_000);
		// One round released 1 000; with no validator or trainer to pay, only the owner's
		// 100 left the pool: 7 900 are left for 8 000 funded.
		ContributionRewards::reward_round(model, 0, &OWNER, &config(1_000), &[], &[]);
		assert_eq!(Pools::<Test>::get(model), 7_900);
		assert_noop!(
			ContributionRewards::claim_refund(RuntimeOrigin::signed(FUNDER), model),
			Error::<Test>::NotRetired
		);
		assert_ok!(ModelRegistry::retire_model(
			RuntimeOrigin::signed(OWNER),
			model
		));

		let free = |who| Balances::balance(&who);
		let before = [free(FUNDER), free(OWNER), free(THIRD)];
		assert_ok!(ContributionRewards::claim_refund(
			RuntimeOrigin::signed(THIRD),
			model
		));
		System::assert_last_event(
			Event::RefundClaimed {
				model,
				who: THIRD,
				amount: 1_975,
			}
			.into(),
		);
		assert_ok!(ContributionRewards::claim_refund(
			RuntimeOrigin::signed(FUNDER),
			model
		));
		assert_ok!(ContributionRewards::claim_refund(
			RuntimeOrigin::signed(OWNER),
			model
		));
		// 7 900 × 2/8, then 5 925 × 4/6, then the rest.
		assert_eq!(free(THIRD) - before[2], 1_975);
		assert_eq!(free(FUNDER) - before[0], 3_950);
		assert_eq!(free(OWNER) - before[1], 1_975);
		assert_eq!(Pools::<Test>::get(model), 0);
		assert_eq!(TotalFunding::<Test>::get(model), 0);
		assert_noop!(
			ContributionRewards::claim_refund(RuntimeOrigin::signed(FUNDER), model),
			Error::<Test>::NothingToRefund
		);
		assert_noop!(
			ContributionRewards::claim_refund(RuntimeOrigin::signed(POOR), 9),
			Error::<Test>::UnknownModel
		);
		assert_ok!(ContributionRewards::do_try_state());
	});
}

#[test]
fn the_last_funder_takes_the_rounding_dust() {
	new_test_ext().execute_with(|| {
		Balances::force_set_balance(RuntimeOrigin::root(), THIRD, 10_000).unwrap();
		let model = register_model(config(1));
		for who in [FUNDER, OWNER, THIRD] {
			assert_ok!(ContributionRewards::fund_model(
				RuntimeOrigin::signed(who),
				model,
				100
			));
		}
		// As if a round had released one unit: 299 left for 300 funded.
		Pools::<Test>::mutate(model, |p| *p -= 1);
		assert_ok!(ModelRegistry::retire_model(
			RuntimeOrigin::signed(OWNER),
			model
		));
		// Three equal funders: ⌊299 / 3⌋ = 99, then 200 · 1/2 = 100, then the last 100.
		let mut paid = 0;
		for who in [FUNDER, OWNER, THIRD] {
			let before = Balances::balance(&who);
			assert_ok!(ContributionRewards::claim_refund(
				RuntimeOrigin::signed(who),
				model
			));
			paid += Balances::balance(&who) - before;
		}
		assert_eq!(paid, 299);
		assert_eq!(Pools::<Test>::get(model), 0);
		assert_ok!(ContributionRewards::do_try_state());
	});
}
