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
				at: 1 + UnbondingDelay::get(),
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
		run_to_block(1 + UnbondingDelay::get());
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
		run_to_block(1 + UnbondingDelay::get());
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

/// `count` sybil accounts from 100 on, funded, each registering with `bond`.
fn sybils_register(count: u64, bond: Balance) -> Vec<AccountId> {
	(100..100 + count)
		.inspect(|who| {
			Balances::force_set_balance(RuntimeOrigin::root(), *who, 100_000).unwrap();
			assert_ok!(GradientCommitments::register_validator(
				RuntimeOrigin::signed(*who),
				bond
			));
		})
		.collect()
}

fn active_stake(of: &[AccountId]) -> Balance {
	ActiveValidators::<Test>::get()
		.iter()
		.filter(|v| of.contains(v))
		.map(|v| ValidatorBonds::<Test>::get(v).unwrap().amount)
		.sum()
}

/// Seat squatting (issue #12, item 1): sybils fill every seat at the minimum bond before the
/// honest validators arrive. First come, first served refused the honest ones
/// (`TooManyValidators`) and left the sybils 100 % of the stake; ranked by bond, each honest
/// bond evicts a sybil seat.
#[test]
fn a_larger_bond_evicts_the_smallest_seat_of_a_full_set() {
	new_test_ext().execute_with(|| {
		let max = <<Test as Config>::MaxValidators as Get<u32>>::get() as u64;
		let sybils = sybils_register(max, 500);
		for (k, honest) in VALIDATORS[..3].iter().enumerate() {
			System::reset_events();
			assert_ok!(GradientCommitments::register_validator(
				RuntimeOrigin::signed(*honest),
				2_000
			));
			// The later-registered of the equal smallest seats goes.
			let evicted = sybils[sybils.len() - 1 - k];
			System::assert_has_event(
				Event::ValidatorEvicted {
					validator: evicted,
					by: *honest,
					at: 1 + UnbondingDelay::get(),
				}
				.into(),
			);
			let bond = ValidatorBonds::<Test>::get(evicted).unwrap();
			assert_eq!(bond.unbonding_at, Some(1 + UnbondingDelay::get()));
		}
		assert_eq!(ActiveValidators::<Test>::get().len() as u64, max);
		let honest = active_stake(&VALIDATORS);
		let squatted = active_stake(&sybils);
		assert_eq!((honest, squatted), (6_000, 2_500));
		// Below two thirds, and below even one third: the sybils can neither finalize a hash
		// nor block a round.
		assert!(3 * squatted < honest + squatted);
		assert_ok!(GradientCommitments::do_try_state());
	});
}

/// Capture costs more than the honest stake: with three honest seats of 2 000, the sybils
/// hold two thirds only once their own seats total twice the honest stake; evicting an honest
/// validator needs a bond above its own, and every seat below it must go first.
#[test]
fn capturing_two_thirds_of_the_stake_costs_twice_the_honest_stake() {
	new_test_ext().execute_with(|| {
		for v in &VALIDATORS[..3] {
			assert_ok!(GradientCommitments::register_validator(
				RuntimeOrigin::signed(*v),
				2_000
			));
		}
		let max = <<Test as Config>::MaxValidators as Get<u32>>::get() as u64;
		// The five free seats at the minimum: 2 500 against 6 000.
		let mut sybils = sybils_register(max - 3, 500);
		// A full set takes no more seats at the minimum.
		Balances::force_set_balance(RuntimeOrigin::root(), 200, 100_000).unwrap();
		assert_noop!(
			GradientCommitments::register_validator(RuntimeOrigin::signed(200), 500),
			Error::<Test>::BondBelowSmallestSeat
		);
		// Even a bid above the honest bond evicts the smallest seat, a sybil's own: an honest
		// seat goes only once every seat below it has been outbid.
		assert_ok!(GradientCommitments::register_validator(
			RuntimeOrigin::signed(200),
			2_001
		));
		sybils.push(200);
		assert_eq!(active_stake(&VALIDATORS), 6_000);
		// Topping up the remaining sybil seats to 2 400 each brings them to 12 000 = 2 × 6 000:
		// exactly two thirds, at twice the honest stake.
		let seats: Vec<AccountId> = ActiveValidators::<Test>::get()
			.into_iter()
			.filter(|v| sybils.contains(v))
			.collect();
		for v in &seats {
			let have = ValidatorBonds::<Test>::get(v).unwrap().amount;
			assert_ok!(GradientCommitments::bond_validator_extra(
				RuntimeOrigin::signed(*v),
				2_400u128.saturating_sub(have).max(1)
			));
		}
		let squatted = active_stake(&sybils);
		let honest = active_stake(&VALIDATORS);
		assert!(3 * squatted >= 2 * (honest + squatted));
		assert!(squatted >= 2 * honest, "{squatted} < 2 × {honest}");
		assert_ok!(GradientCommitments::do_try_state());
	});
}

#[test]
fn bond_validator_extra_needs_an_active_seat() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			GradientCommitments::bond_validator_extra(RuntimeOrigin::signed(20), 10),
			Error::<Test>::NotValidator
		);
		assert_ok!(GradientCommitments::register_validator(
			RuntimeOrigin::signed(20),
			500
		));
		assert_noop!(
			GradientCommitments::bond_validator_extra(RuntimeOrigin::signed(20), 0),
			Error::<Test>::ZeroBond
		);
		assert_noop!(
			GradientCommitments::bond_validator_extra(RuntimeOrigin::signed(20), 1_000_000),
			Error::<Test>::InsufficientBalance
		);
		assert_ok!(GradientCommitments::bond_validator_extra(
			RuntimeOrigin::signed(20),
			250
		));
		assert_eq!(ValidatorBonds::<Test>::get(20).unwrap().amount, 750);
		assert_eq!(
			Balances::balance_on_hold(&HoldReason::ValidatorBond.into(), &20),
			750
		);
		assert_ok!(GradientCommitments::unregister_validator(
			RuntimeOrigin::signed(20)
		));
		assert_noop!(
			GradientCommitments::bond_validator_extra(RuntimeOrigin::signed(20), 10),
			Error::<Test>::Unbonding
		);
	});
}

#[test]
fn genesis_seats_its_validators_with_their_bonds() {
	use sp_runtime::BuildStorage;
	let mut storage = frame_system::GenesisConfig::<Test>::default()
		.build_storage()
		.unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![(20, 10_000), (21, 10_000)],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	crate::GenesisConfig::<Test> {
		validators: vec![(20, 5_000), (21, 600)],
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	sp_io::TestExternalities::new(storage).execute_with(|| {
		assert_eq!(ActiveValidators::<Test>::get().to_vec(), vec![20, 21]);
		assert_eq!(ValidatorBonds::<Test>::get(20).unwrap().amount, 5_000);
		assert_eq!(
			Balances::balance_on_hold(&HoldReason::ValidatorBond.into(), &21),
			600
		);
		assert_ok!(GradientCommitments::do_try_state());
	});
}
