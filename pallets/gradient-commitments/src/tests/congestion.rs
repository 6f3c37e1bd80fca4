//! Congested reveal windows (issue #12, item 3): filling a reveal window's blocks used to turn
//! every honest commitment into a slash.

use super::*;

fn max_block() -> Weight {
	<<Test as frame_system::Config>::BlockWeights as Get<frame_system::limits::BlockWeights>>::get()
		.max_block
}

fn part(share: Perbill, w: Weight) -> Weight {
	Weight::from_parts(share * w.ref_time(), share * w.proof_size())
}

/// Runs to block `n`, each block on the way having used `share` of its weight on something
/// other than recorded updates (as a block stuffed with ordinary transactions would).
fn run_stuffed_to(n: u64, share: Perbill) {
	let max = max_block();
	while System::block_number() < n {
		System::set_block_consumed_resources(part(share, max), 0);
		GradientCommitments::on_finalize(System::block_number());
		frame_system::BlockWeight::<Test>::kill();
		let next = System::block_number() + 1;
		System::set_block_number(next);
		GradientCommitments::on_initialize(next);
	}
}

/// Trainers 10 and 11 commit, 10 reveals; the reveal window (blocks 5–7, slack one block for
/// two small reveals) runs with its first `stuffed` blocks at 99 % of the weight.
fn silent_committer_with_stuffed_blocks(stuffed: u64) -> ModelId {
	let model = setup(1);
	commit(model, TRAINERS[0], 0);
	commit(model, TRAINERS[1], 1);
	run_to_block(5);
	assert_eq!(phase(model, 0), RoundPhase::Reveal);
	assert_ok!(reveal(model, TRAINERS[0], 0));
	run_stuffed_to(5 + stuffed, Perbill::from_percent(99));
	model
}

fn slashed() -> bool {
	System::events().iter().any(|r| {
		matches!(
			r.event,
			RuntimeEvent::GradientCommitments(Event::TrainerSlashed { .. })
		)
	})
}

/// Censoring a reveal window (issue #12, item 3): stuffing it used to turn every commitment
/// that could not get in into a slash. Congested past its slack, it gets more blocks, and a
/// reveal in them counts.
#[test]
fn a_congested_reveal_window_is_extended_and_a_late_reveal_counts() {
	new_test_ext().execute_with(|| {
		let model = silent_committer_with_stuffed_blocks(2);
		run_to_block(8);
		System::assert_has_event(
			Event::RevealExtended {
				model,
				round: 0,
				congested: 2,
				phase_ends_at: 9,
			}
			.into(),
		);
		assert_eq!(phase(model, 0), RoundPhase::Reveal);
		assert_ok!(reveal(model, TRAINERS[1], 1));
		run_to_block(9);
		assert_eq!(phase(model, 0), RoundPhase::Aggregate);
		assert!(!slashed());
		assert_eq!(held_trainer(TRAINERS[1]), 100);
		assert_ok!(GradientCommitments::do_try_state());
	});
}

/// A window congested all the way to the longest phase (six blocks in the mock) slashes
/// nobody.
#[test]
fn a_window_congested_to_the_longest_phase_slashes_nobody() {
	new_test_ext().execute_with(|| {
		let model = silent_committer_with_stuffed_blocks(6);
		assert_eq!(phase(model, 0), RoundPhase::Aggregate);
		System::assert_has_event(
			Event::RevealsExcused {
				model,
				round: 0,
				congested: 6,
			}
			.into(),
		);
		assert!(!slashed());
		assert_eq!(held_trainer(TRAINERS[1]), 100);
		assert_eq!(held_deposit(TRAINERS[1]), 0);
		assert_ok!(GradientCommitments::do_try_state());
	});
}

#[test]
fn congestion_within_the_slack_still_slashes() {
	new_test_ext().execute_with(|| {
		let model = silent_committer_with_stuffed_blocks(1);
		run_to_block(8);
		assert_eq!(phase(model, 0), RoundPhase::Aggregate);
		assert!(slashed());
		assert_eq!(held_trainer(TRAINERS[1]), 90);
		assert_eq!(held_deposit(TRAINERS[1]), 0);
	});
}

/// Blocks full of recorded updates are the reveal window doing its work, not congestion.
#[test]
fn recorded_updates_are_not_congestion() {
	new_test_ext().execute_with(|| {
		let full = part(Perbill::from_percent(95), max_block());
		System::set_block_consumed_resources(full, 0);
		GradientCommitments::note_update_usage(full, 0);
		GradientCommitments::on_finalize(1);
		assert_eq!(CongestedBlocks::<Test>::get(), 0);
		GradientCommitments::on_finalize(1);
		assert_eq!(CongestedBlocks::<Test>::get(), 1);
		// Length counts too.
		let length = *<<Test as frame_system::Config>::BlockLength as Get<
			frame_system::limits::BlockLength,
		>>::get()
		.max
		.get(frame_support::dispatch::DispatchClass::Operational);
		frame_system::BlockWeight::<Test>::kill();
		System::set_block_consumed_resources(Weight::zero(), (length as usize) * 19 / 20);
		GradientCommitments::on_finalize(1);
		assert_eq!(CongestedBlocks::<Test>::get(), 2);
		System::set_block_consumed_resources(Weight::zero(), (length as usize) / 2);
		GradientCommitments::on_finalize(1);
		assert_eq!(CongestedBlocks::<Test>::get(), 2);
	});
}
