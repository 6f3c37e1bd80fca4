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
