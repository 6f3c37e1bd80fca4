//! The version chain and the invariants `try_state` checks on it.

use super::*;

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
