//! Funding a model's pool.

use super::*;

#[test]
fn fund_model_moves_funds_into_the_pot() {
	new_test_ext().execute_with(|| {
		let model = register_model(config(100));
		assert_ok!(ContributionRewards::fund_model(
			RuntimeOrigin::signed(FUNDER),
			model,
			5_000
		));
		assert_eq!(Pools::<Test>::get(model), 5_000);
		assert_eq!(
			Balances::balance(&ContributionRewards::pot_account()),
			5_000
		);
		System::assert_last_event(
			Event::PoolFunded {
				model,
				who: FUNDER,
				amount: 5_000,
			}
			.into(),
		);
		assert_noop!(
			ContributionRewards::fund_model(RuntimeOrigin::signed(FUNDER), 7, 1),
			Error::<Test>::UnknownModel
		);
		assert_noop!(
			ContributionRewards::fund_model(RuntimeOrigin::signed(FUNDER), model, 0),
			Error::<Test>::ZeroAmount
		);
		assert_noop!(
			ContributionRewards::fund_model(RuntimeOrigin::signed(POOR), model, 20),
			Error::<Test>::InsufficientBalance
		);
		ModelRegistry::retire_model(RuntimeOrigin::signed(OWNER), model).unwrap();
		assert_noop!(
			ContributionRewards::fund_model(RuntimeOrigin::signed(FUNDER), model, 1),
			Error::<Test>::UnknownModel
		);
		assert_ok!(ContributionRewards::do_try_state());
	});
}
