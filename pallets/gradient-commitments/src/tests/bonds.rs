//! Trainer and validator bonds: lifecycles, errors, the bounded validator set.

use super::*;

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
