//! Full rounds of the round protocol in the real fedledger runtime (not a mock): registration,
//! funding, bonds, commit/reveal with honest and faulty trainers, validator reports with an
//! honest quorum and a contradicting validator, finalization, rewards and claims.

use codec::Encode;
use fedledger_primitives::{model::TrainingConfig, tensor_codec, Digest};
use fedledger_runtime::{
	AccountId, Balance, Balances, ContributionRewards, GradientCommitments, ModelRegistry, Runtime,
	RuntimeOrigin, System, UNIT,
};
use frame_support::{assert_noop, assert_ok, traits::fungible::Inspect, BoundedVec};
use pallet_gradient_commitments::{RoundPhase, Rounds};
use sp_keyring::Sr25519Keyring;

mod common;
use common::{account, ext, run_to};

const PARAMS: usize = 7850;

fn payload(seed: u32) -> Vec<u8> {
	let values: Vec<f32> = (0..PARAMS)
		.map(|i| ((seed * 31 + i as u32) % 97) as f32 * 1e-3)
		.collect();
	tensor_codec::encode_f32(&values, &[PARAMS as u32]).unwrap()
}

fn try_state() {
	ModelRegistry::do_try_state().unwrap();
	GradientCommitments::do_try_state().unwrap();
	ContributionRewards::do_try_state().unwrap();
}

#[test]
fn rounds_finalize_pay_honest_participants_and_slash_faults() {
	ext().execute_with(|| {
		let owner = account(Sr25519Keyring::Alice);
		let honest = [
			Sr25519Keyring::Bob,
			Sr25519Keyring::Charlie,
			Sr25519Keyring::Dave,
		]
		.map(account);
		let silent = account(Sr25519Keyring::Eve); // commits, never reveals
		let cheat = account(Sr25519Keyring::Ferdie); // reveals something else than committed
		let validators = [
			Sr25519Keyring::AliceStash,
			Sr25519Keyring::BobStash,
			Sr25519Keyring::CharlieStash,
		]
		.map(account);

		let config = TrainingConfig::example(784, 10, 3, 100 * UNIT);
		let weights = tensor_codec::encode_zeros(7850).unwrap();
		let initial = tensor_codec::digest(&weights);
		assert_ok!(ModelRegistry::register_model(
			RuntimeOrigin::signed(owner.clone()),
			config,
			weights.try_into().unwrap(),
			None
		));
		assert_ok!(ContributionRewards::fund_model(
			RuntimeOrigin::signed(owner.clone()),
			0,
			1_000 * UNIT
		));
		for t in honest.iter().chain([&silent, &cheat]) {
			assert_ok!(GradientCommitments::bond_trainer(
				RuntimeOrigin::signed(t.clone()),
				0,
				50 * UNIT
			));
		}
		for v in &validators {
			assert_ok!(GradientCommitments::register_validator(
				RuntimeOrigin::signed(v.clone()),
				500 * UNIT
			));
		}

		let mut parent = initial;
		for round in 0..2u32 {
			run_to(System::block_number() + 1);
			let info = Rounds::<Runtime>::get(0, round).expect("round opened");
			assert_eq!(info.phase, RoundPhase::Commit);
			assert_eq!(info.base_hash, parent);
			let salt = [round as u8; 32];
			// The block that opened the round takes no commitments.
			run_to(System::block_number() + 1);
			for (i, t) in honest.iter().chain([&silent, &cheat]).enumerate() {
				let p = payload(round * 10 + i as u32);
				let c = tensor_codec::commitment(&p, &salt, &t.encode());
				assert_ok!(GradientCommitments::commit_update(
					RuntimeOrigin::signed(t.clone()),
					0,
					round,
					c
				));
			}
			run_to(info.phase_ends_at);
			for (i, t) in honest.iter().enumerate() {
				let p = BoundedVec::try_from(payload(round * 10 + i as u32)).unwrap();
				assert_ok!(GradientCommitments::reveal_update(
					RuntimeOrigin::signed(t.clone()),
					0,
					round,
					p,
					salt,
					600
				));
			}
			let wrong = BoundedVec::try_from(payload(999)).unwrap();
			assert_noop!(
				GradientCommitments::reveal_update(
					RuntimeOrigin::signed(cheat.clone()),
					0,
					round,
					wrong,
					salt,
					600
				),
				pallet_gradient_commitments::Error::<Runtime>::CommitmentMismatch
			);
			let reveal_end = Rounds::<Runtime>::get(0, round).unwrap().phase_ends_at;
			let silent_bond = pallet_gradient_commitments::TrainerBonds::<Runtime>::get(0, &silent)
				.unwrap()
				.amount;
			run_to(reveal_end);
			assert_eq!(
				Rounds::<Runtime>::get(0, round).unwrap().phase,
				RoundPhase::Aggregate
			);
			// Both faulty trainers lost 10 % of their bond.
			let after = pallet_gradient_commitments::TrainerBonds::<Runtime>::get(0, &silent)
				.unwrap()
				.amount;
			assert_eq!(after, silent_bond - silent_bond / 10);

			let new_hash: Digest = [round as u8 + 2; 32];
			let scores: BoundedVec<u32, _> =
				BoundedVec::try_from(vec![500_000_000, 300_000_000, 200_000_000]).unwrap();
			let accepted: BoundedVec<u32, _> = BoundedVec::try_from(vec![0, 1, 2]).unwrap();
			let pending_before: Balance =
				pallet_contribution_rewards::TotalPending::<Runtime>::get();
			let pool_before = pallet_contribution_rewards::Pools::<Runtime>::get(0);
			let issuance_before = Balances::total_issuance();
			let validator_bond_before =
				pallet_gradient_commitments::ValidatorBonds::<Runtime>::get(&validators[2])
					.unwrap()
					.amount;
			// Every validator commits to its report, then reveals it. The third reports a
			// different model, first: slashed at finalization.
			let reports = [
				(validators[2].clone(), [0xEE; 32]),
				(validators[0].clone(), new_hash),
				(validators[1].clone(), new_hash),
			];
			let report_salt = [7u8; 32];
			for (v, hash) in &reports {
				assert_ok!(GradientCommitments::commit_report(
					RuntimeOrigin::signed(v.clone()),
					0,
					round,
					pallet_gradient_commitments::UpdateSetRoot::<Runtime>::get((0, round)),
					fedledger_primitives::round::report_commitment(
						hash,
						&accepted,
						&scores,
						&report_salt,
						&v.encode()
					)
				));
			}
			assert_eq!(
				Rounds::<Runtime>::get(0, round).unwrap().phase,
				RoundPhase::ReportReveal
			);
			for (v, hash) in &reports {
				assert_ok!(GradientCommitments::report_aggregate(
					RuntimeOrigin::signed(v.clone()),
					0,
					round,
					*hash,
					accepted.clone(),
					scores.clone(),
					report_salt
				));
			}
			let info = Rounds::<Runtime>::get(0, round).unwrap();
			assert_eq!(
				(info.phase, info.finalized_hash),
				(RoundPhase::Finalized, Some(new_hash))
			);
			let version = pallet_model_registry::Versions::<Runtime>::get(0, round + 1).unwrap();
			assert_eq!((version.hash, version.parent), (new_hash, Some(parent)));
			parent = new_hash;

			// Exactly the round's reward was credited.
			let credited =
				pallet_contribution_rewards::TotalPending::<Runtime>::get() - pending_before;
			assert_eq!(credited, 100 * UNIT);
			// The pool paid the reward; the contradicting validator's slash was burnt (the
			// runtime's `OnSlash`), not paid into the pool.
			let slashed = validator_bond_before
				- pallet_gradient_commitments::ValidatorBonds::<Runtime>::get(&validators[2])
					.unwrap()
					.amount;
			assert_eq!(slashed, validator_bond_before / 5);
			assert_eq!(
				pallet_contribution_rewards::Pools::<Runtime>::get(0),
				pool_before - credited
			);
			assert_eq!(Balances::total_issuance(), issuance_before - slashed);
			try_state();
		}

		// Honest trainers earned by score, the contradicting validator and faulty trainers nothing.
		let pending =
			|who: &AccountId| pallet_contribution_rewards::PendingRewards::<Runtime>::get(who);
		assert!(
			pending(&honest[0]) > pending(&honest[1]) && pending(&honest[1]) > pending(&honest[2])
		);
		assert_eq!(pending(&silent), 0);
		assert_eq!(pending(&cheat), 0);
		assert_eq!(pending(&validators[2]), 0);
		assert_eq!(pending(&validators[0]), pending(&validators[1]));
		assert_eq!(pending(&owner), 2 * 10 * UNIT);

		let before = Balances::balance(&honest[0]);
		let amount = pending(&honest[0]);
		assert_ok!(ContributionRewards::claim_rewards(RuntimeOrigin::signed(
			honest[0].clone()
		)));
		assert_eq!(Balances::balance(&honest[0]), before + amount);
		try_state();
	});
}
