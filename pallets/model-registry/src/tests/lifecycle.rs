//! The owner's lifecycle calls: pause, resume, retire, reconfigure.

use super::*;

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
		new.hyper_params.local_epochs = 2;
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
		assert_eq!(Models::<Test>::get(id).unwrap().config, new);
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

/// An owner redirecting the pool (issue #12, item 2): it raises its own share to 100 % and
/// the reward per round, and the very next round paid it all. Reward terms now wait out
/// `RewardTermsDelay`; the rest of a new configuration applies at once.
#[test]
fn changed_reward_terms_apply_only_after_the_delay() {
	new_test_ext().execute_with(|| {
		let id = register(ALICE);
		let old = config();
		let mut greedy = old;
		greedy.reward_per_round = 1_000_000;
		greedy.reward_split = RewardSplit {
			owner: 1_000_000_000,
			validators: 0,
			trainers: 0,
		};
		greedy.hyper_params.local_epochs = 2;
		assert_ok!(ModelRegistry::update_config(
			RuntimeOrigin::signed(ALICE),
			id,
			greedy
		));
		let effective_at = 1 + RewardTermsDelay::get();
		System::assert_has_event(
			Event::RewardTermsScheduled {
				model: id,
				reward_per_round: greedy.reward_per_round,
				reward_split: greedy.reward_split,
				effective_at,
			}
			.into(),
		);
		// Rounds opening before the delay see the old terms and the new epochs.
		let view = |at: u64| {
			System::set_block_number(at);
			ModelRegistry::model(id).unwrap().config
		};
		let before = view(effective_at - 1);
		assert_eq!(before.reward_per_round, old.reward_per_round);
		assert_eq!(before.reward_split, old.reward_split);
		assert_eq!(before.hyper_params.local_epochs, 2);
		assert_eq!(view(effective_at), greedy);
		assert_eq!(ModelRegistry::model_info(id).unwrap().config, greedy);

		// A further change restarts the delay from the terms now in effect; restating them
		// cancels the pending change.
		let mut back = greedy;
		back.reward_split = old.reward_split;
		assert_ok!(ModelRegistry::update_config(
			RuntimeOrigin::signed(ALICE),
			id,
			back
		));
		assert_eq!(view(effective_at + 1).reward_split, greedy.reward_split);
		assert_ok!(ModelRegistry::update_config(
			RuntimeOrigin::signed(ALICE),
			id,
			greedy
		));
		assert!(PendingTerms::<Test>::get(id).is_none());
		assert_eq!(view(effective_at + 1 + RewardTermsDelay::get()), greedy);
	});
}

#[test]
fn pausing_tells_the_scheduler() {
	new_test_ext().execute_with(|| {
		let id = register(ALICE);
		assert_ok!(ModelRegistry::pause_model(RuntimeOrigin::signed(ALICE), id));
		assert_eq!(paused(), vec![id]);
	});
}
