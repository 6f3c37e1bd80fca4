//! Unit tests of the model registry: every call's happy path and every error path.

use crate::{mock::*, Error, Event, Models, NextModelId, Versions};
use fedledger_primitives::{
	model::{ModelKind, Schedule, TrainingConfig},
	rules::{AggregationRule, AggregationSpec},
	tensor_codec,
	traits::{ModelProvider, ModelStatus},
	Digest,
};
use frame_support::{assert_noop, assert_ok, traits::fungible::InspectHold};

/// The hash of [`weights`]: version 0 of every model registered here.
fn initial() -> Digest {
	tensor_codec::digest(&weights())
}

fn config() -> TrainingConfig<Balance> {
	TrainingConfig::example(784, 10, 3, 1_000)
}

fn register(owner: AccountId) -> u32 {
	let id = NextModelId::<Test>::get();
	assert_ok!(ModelRegistry::register_model(
		RuntimeOrigin::signed(owner),
		config(),
		weights(),
		None
	));
	id
}

fn held(who: AccountId) -> Balance {
	Balances::balance_on_hold(&crate::HoldReason::ModelDeposit.into(), &who)
}

#[test]
fn register_stores_model_version_zero_and_holds_deposit() {
	new_test_ext().execute_with(|| {
		let id = register(ALICE);
		assert_eq!(id, 0);
		let info = Models::<Test>::get(0).unwrap();
		assert_eq!(info.owner, ALICE);
		assert_eq!(info.status, ModelStatus::Active);
		assert_eq!(info.parameter_count, 7850);
		assert_eq!(info.version, 0);
		assert_eq!(info.version_hash, initial());
		let v0 = Versions::<Test>::get(0, 0).unwrap();
		assert_eq!(
			(v0.hash, v0.parent, v0.round, v0.block),
			(initial(), None, None, 1)
		);
		assert_eq!(held(ALICE), 100);
		assert_eq!(NextModelId::<Test>::get(), 1);
		assert_eq!(activated(), vec![0]);
		System::assert_last_event(
			Event::ModelRegistered {
				model: 0,
				owner: ALICE,
				parameter_count: 7850,
				initial_hash: initial(),
			}
			.into(),
		);
		assert_ok!(ModelRegistry::do_try_state());
	});
}

#[test]
fn register_rejects_every_kind_of_invalid_config() {
	new_test_ext().execute_with(|| {
		let cases: Vec<(TrainingConfig<Balance>, Error<Test>)> = vec![
			(
				{
					let mut c = config();
					c.architecture.classes = 1;
					c
				},
				Error::InvalidArchitecture,
			),
			(
				{
					let mut c = config();
					c.architecture.kind = ModelKind::Mlp { hidden: [0, 8] };
					c
				},
				Error::InvalidArchitecture,
			),
			(
				{
					let mut c = config();
					c.hyper_params.batch_size = 0;
					c
				},
				Error::InvalidHyperParams,
			),
			(
				{
					let mut c = config();
					c.schedule = Schedule::Sync {
						commit_blocks: 0,
						reveal_blocks: 1,
						aggregate_blocks: 1,
						min_updates: 3,
					};
					c
				},
				Error::InvalidSchedule,
			),
			(
				{
					let mut c = config();
					c.reward_split.trainers -= 1;
					c
				},
				Error::InvalidRewardSplit,
			),
			(
				// Krum with f = 1 needs 5 updates; the schedule guarantees 3.
				{
					let mut c = config();
					c.aggregation = AggregationSpec::plain(AggregationRule::Krum { f: 1 });
					c
				},
				Error::RuleNeedsMoreUpdates,
			),
			(
				{
					let mut c = config();
					c.aggregation =
						AggregationSpec::plain(AggregationRule::TrimmedMean { beta: 600_000_000 });
					c
				},
				Error::InvalidRuleParams,
			),
		];
		for (bad, error) in cases {
			assert_noop!(
				ModelRegistry::register_model(RuntimeOrigin::signed(ALICE), bad, weights(), None),
				error
			);
		}
		assert!(activated().is_empty());
	});
}

#[test]
fn register_refuses_malformed_or_misshapen_weights() {
	new_test_ext().execute_with(|| {
		let mut truncated = weights().into_inner();
		truncated.pop();
		let mut not_finite = weights().into_inner();
		let last = not_finite.len() - 4;
		not_finite[last..].copy_from_slice(&f32::NAN.to_le_bytes());
		let too_small = tensor_codec::encode_f32(&[0.0; 10], &[10]).unwrap();
		let cases = [
			(truncated, Error::<Test>::MalformedWeights),
			(not_finite, Error::<Test>::MalformedWeights),
			(b"not a tensor".to_vec(), Error::<Test>::MalformedWeights),
			(too_small, Error::<Test>::WeightsShapeMismatch),
		];
		for (bytes, error) in cases {
			assert_noop!(
				ModelRegistry::register_model(
					RuntimeOrigin::signed(ALICE),
					config(),
					bytes.try_into().unwrap(),
					None
				),
				error
			);
		}
		assert!(activated().is_empty());
	});
}

#[test]
fn register_needs_the_deposit_and_a_signed_origin() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			ModelRegistry::register_model(RuntimeOrigin::signed(POOR), config(), weights(), None),
			Error::<Test>::InsufficientDeposit
		);
		assert_noop!(
			ModelRegistry::register_model(RuntimeOrigin::root(), config(), weights(), None),
			sp_runtime::DispatchError::BadOrigin
		);
	});
}

#[test]
fn pause_resume_retire_lifecycle() {
	new_test_ext().execute_with(|| {
		let id = register(ALICE);
		assert_noop!(
			ModelRegistry::pause_model(RuntimeOrigin::signed(BOB), id),
			Error::<Test>::NotOwner
		);
		assert_noop!(
			ModelRegistry::pause_model(RuntimeOrigin::signed(ALICE), 9),
			Error::<Test>::UnknownModel
		);
		assert_noop!(
			ModelRegistry::resume_model(RuntimeOrigin::signed(ALICE), id),
			Error::<Test>::NotPaused
		);

		assert_ok!(ModelRegistry::pause_model(RuntimeOrigin::signed(ALICE), id));
		assert_eq!(Models::<Test>::get(id).unwrap().status, ModelStatus::Paused);
		System::assert_last_event(Event::ModelPaused { model: id }.into());
		assert_noop!(
			ModelRegistry::pause_model(RuntimeOrigin::signed(ALICE), id),
			Error::<Test>::NotActive
		);

		assert_ok!(ModelRegistry::resume_model(
			RuntimeOrigin::signed(ALICE),
			id
		));
		assert_eq!(Models::<Test>::get(id).unwrap().status, ModelStatus::Active);
		assert_eq!(activated(), vec![id, id]);
		System::assert_last_event(Event::ModelResumed { model: id }.into());

		assert_noop!(
			ModelRegistry::retire_model(RuntimeOrigin::signed(BOB), id),
			Error::<Test>::NotOwner
		);
		assert_ok!(ModelRegistry::retire_model(
			RuntimeOrigin::signed(ALICE),
			id
		));
		assert_eq!(held(ALICE), 0);
		System::assert_last_event(Event::ModelRetired { model: id }.into());
		assert_noop!(
			ModelRegistry::retire_model(RuntimeOrigin::signed(ALICE), id),
			Error::<Test>::AlreadyRetired
		);
		assert_noop!(
			ModelRegistry::pause_model(RuntimeOrigin::signed(ALICE), id),
			Error::<Test>::NotActive
		);
		assert_noop!(
			ModelRegistry::resume_model(RuntimeOrigin::signed(ALICE), id),
			Error::<Test>::NotPaused
		);
		assert_ok!(ModelRegistry::do_try_state());
	});
}

#[test]
fn update_config_validates_and_keeps_the_architecture() {
	new_test_ext().execute_with(|| {
		let id = register(ALICE);
		let mut new = config();
		new.reward_per_round = 5_000;
		assert_noop!(
			ModelRegistry::update_config(RuntimeOrigin::signed(BOB), id, new),
			Error::<Test>::NotOwner
		);
		let mut other_arch = new;
		other_arch.architecture.classes = 5;
		assert_noop!(
			ModelRegistry::update_config(RuntimeOrigin::signed(ALICE), id, other_arch),
			Error::<Test>::ArchitectureChanged
		);
		let mut invalid = new;
		invalid.hyper_params.local_epochs = 0;
		assert_noop!(
			ModelRegistry::update_config(RuntimeOrigin::signed(ALICE), id, invalid),
			Error::<Test>::InvalidHyperParams
		);
		assert_ok!(ModelRegistry::update_config(
			RuntimeOrigin::signed(ALICE),
			id,
			new
		));
		assert_eq!(
			Models::<Test>::get(id).unwrap().config.reward_per_round,
			5_000
		);
		System::assert_last_event(Event::ConfigUpdated { model: id }.into());
		assert_ok!(ModelRegistry::retire_model(
			RuntimeOrigin::signed(ALICE),
			id
		));
		assert_noop!(
			ModelRegistry::update_config(RuntimeOrigin::signed(ALICE), id, new),
			Error::<Test>::AlreadyRetired
		);
	});
}

#[test]
fn version_chain_links_parent_to_child() {
	new_test_ext().execute_with(|| {
		let id = register(ALICE);
		System::set_block_number(5);
		assert_eq!(ModelRegistry::append_version(id, 0, [1; 32]), Some(1));
		System::set_block_number(9);
		assert_eq!(ModelRegistry::append_version(id, 1, [2; 32]), Some(2));
		let v2 = Versions::<Test>::get(id, 2).unwrap();
		assert_eq!(
			(v2.hash, v2.parent, v2.round, v2.block),
			([2; 32], Some([1; 32]), Some(1), 9)
		);
		assert_eq!(
			Versions::<Test>::get(id, 1).unwrap().parent,
			Some(initial())
		);
		let view = ModelRegistry::model(id).unwrap();
		assert_eq!((view.version, view.version_hash), (2, [2; 32]));
		System::assert_last_event(
			Event::VersionAppended {
				model: id,
				version: 2,
				round: 1,
				hash: [2; 32],
				parent: [1; 32],
			}
			.into(),
		);
		assert_ok!(ModelRegistry::do_try_state());
		// Unknown and retired models take no versions.
		assert_eq!(ModelRegistry::append_version(42, 0, [3; 32]), None);
		assert_ok!(ModelRegistry::retire_model(
			RuntimeOrigin::signed(ALICE),
			id
		));
		assert_eq!(ModelRegistry::append_version(id, 2, [3; 32]), None);
		assert_eq!(ModelRegistry::model(id).unwrap().version, 2);
	});
}

#[test]
fn try_state_detects_a_broken_chain() {
	new_test_ext().execute_with(|| {
		let id = register(ALICE);
		ModelRegistry::append_version(id, 0, [1; 32]);
		Versions::<Test>::mutate(id, 1, |r| r.as_mut().unwrap().parent = Some([9; 32]));
		assert!(ModelRegistry::do_try_state().is_err());
	});
}
