//! What a hostile model owner or trainer could do to the round protocol with cheap calls, and
//! the bound that stops each: agenda slots, schedules that cannot be met, zero bonds, work
//! sent to a retired model, and per-round storage that would grow forever.

use super::*;
use fedledger_primitives::{
	model::{Schedule, TrainingConfig},
	traits::{RoundScheduler, ScheduleError},
};
use pallet_model_registry::Error as RegistryError;

fn sync(commit: u32, reveal: u32, aggregate: u32, min_updates: u32) -> Schedule {
	Schedule::Sync {
		commit_blocks: commit,
		reveal_blocks: reveal,
		aggregate_blocks: aggregate,
		min_updates,
	}
}

fn with_schedule(schedule: Schedule) -> TrainingConfig<Balance> {
	let mut c = config(1);
	c.schedule = schedule;
	c
}

fn try_register(config: TrainingConfig<Balance>) -> DispatchResult {
	let weights = initial_weights(&config);
	ModelRegistry::register_model(RuntimeOrigin::signed(OWNER), config, weights, None)
}

fn deposit_held() -> Balance {
	Balances::balance_on_hold(
		&pallet_model_registry::HoldReason::ModelDeposit.into(),
		&OWNER,
	)
}

#[test]
fn windows_an_honest_worker_cannot_use_are_refused() {
	new_test_ext().execute_with(|| {
		let max = <<Test as Config>::MaxPhaseBlocks as Get<u32>>::get();
		let slots = <<Test as Config>::MaxUpdatesPerRound as Get<u32>>::get();
		let cases = [
			(sync(3, 1, 3, 1), RegistryError::<Test>::PhaseTooShort),
			(sync(1, 3, 3, 1), RegistryError::<Test>::PhaseTooShort),
			(sync(3, 3, 1, 1), RegistryError::<Test>::PhaseTooShort),
			(sync(u32::MAX, 3, 3, 1), RegistryError::<Test>::PhaseTooLong),
			(sync(3, 3, max + 1, 1), RegistryError::<Test>::PhaseTooLong),
			(
				sync(3, 3, 3, slots + 1),
				RegistryError::<Test>::MoreUpdatesThanSlots,
			),
			(
				sync(3, 3, 3, 100_000),
				RegistryError::<Test>::MoreUpdatesThanSlots,
			),
		];
		for (schedule, error) in cases {
			assert_noop!(try_register(with_schedule(schedule)), error);
		}
		let buffered = |buffer_size, buffer_blocks| Schedule::BufferedAsync {
			buffer_size,
			max_staleness: 2,
			staleness: fedledger_primitives::rules::StalenessFn::Constant,
			buffer_blocks,
			aggregate_blocks: 3,
			min_updates: 1,
		};
		assert_noop!(
			try_register(with_schedule(buffered(slots + 1, 5))),
			RegistryError::<Test>::MoreUpdatesThanSlots
		);
		assert_noop!(
			try_register(with_schedule(buffered(2, 1))),
			RegistryError::<Test>::PhaseTooShort
		);
		// A buffer needs a block for the commitments before the block of the submissions.
		assert_noop!(
			try_register(with_schedule(buffered(1, 2))),
			RegistryError::<Test>::RevealWindowTooShort
		);
		// The shortest windows allowed are accepted.
		assert_ok!(try_register(with_schedule(sync(2, 2, 2, slots))));
		assert_ok!(try_register(with_schedule(buffered(slots, 3))));
		// So is a reconfiguration to them, and not one back to a 1-block reveal.
		assert_noop!(
			ModelRegistry::update_config(
				RuntimeOrigin::signed(OWNER),
				0,
				with_schedule(sync(3, 1, 3, 1))
			),
			RegistryError::<Test>::PhaseTooShort
		);
	});
}

#[test]
fn the_reveal_window_must_carry_every_slot_at_the_payload_size() {
	new_test_ext().execute_with(|| {
		// A 512 KiB dense payload: 7 reveals fit the normal share of a 5 MiB block, so 64
		// slots need 10 blocks, plus one of latency.
		let len = 512 * 1024u64;
		let per_block = (5 * 1024 * 1024 * 3 / 4) / (len + 256);
		assert_eq!(per_block, 7);
		assert_eq!(GradientCommitments::blocks_to_carry(64, len), Some(11));
		let params = (len as u32 - 32) / 4;
		let at = |reveal| {
			<GradientCommitments as RoundScheduler>::check_schedule(&sync(3, reveal, 3, 1), params)
		};
		// The mock has 16 slots: ⌈16/7⌉ + 1 = 4 blocks.
		assert_eq!(at(3), Err(ScheduleError::WindowTooShortForPayload));
		assert_eq!(at(4), Ok(()));
		// A payload larger than a block can never be revealed.
		assert_eq!(
			GradientCommitments::blocks_to_carry(1, 8 * 1024 * 1024),
			None
		);
		// The demo's logistic model (7,850 parameters) needs two blocks of reveal.
		assert_eq!(
			GradientCommitments::blocks_to_carry(64, 32 + 4 * 7_850),
			Some(2)
		);
	});
}

#[test]
fn a_full_agenda_refuses_registration_and_holds_nothing() {
	new_test_ext().execute_with(|| {
		let slots = <<Test as Config>::MaxActiveModels as Get<u32>>::get();
		for _ in 0..slots {
			assert_ok!(try_register(config(1)));
		}
		let held = deposit_held();
		let next = pallet_model_registry::NextModelId::<Test>::get();
		assert_noop!(try_register(config(1)), RegistryError::<Test>::AgendaFull);
		assert_eq!(deposit_held(), held);
		assert_eq!(pallet_model_registry::NextModelId::<Test>::get(), next);
	});
}

#[test]
fn retiring_frees_the_agenda_slot_so_later_models_still_train() {
	new_test_ext().execute_with(|| {
		// One more (register, retire) than there are slots, each retired with its first round
		// open under the longest commit window: if retiring kept the slot, the last model
		// would never open a round.
		let slots = <<Test as Config>::MaxActiveModels as Get<u32>>::get();
		let long = with_schedule(sync(
			<<Test as Config>::MaxPhaseBlocks as Get<u32>>::get(),
			3,
			3,
			1,
		));
		for _ in 0..=slots {
			let model = register_model(long, 0);
			run_to_block(System::block_number() + 1);
			assert_eq!(phase(model, 0), RoundPhase::Commit);
			assert_ok!(ModelRegistry::retire_model(
				RuntimeOrigin::signed(OWNER),
				model
			));
		}
		assert!(Agenda::<Test>::get().is_empty());
		let model = register_model(config(1), 0);
		run_to_block(System::block_number() + 1);
		let round = CurrentRound::<Test>::get(model).expect("the new model opened a round");
		assert_eq!(phase(model, round), RoundPhase::Commit);
		assert_ok!(GradientCommitments::do_try_state());
	});
}

#[test]
fn a_retired_models_round_takes_no_work_and_slashes_nobody() {
	new_test_ext().execute_with(|| {
		let model = setup(1);
		commit(model, TRAINERS[0], 0);
		let bond = TrainerBonds::<Test>::get(model, TRAINERS[0])
			.unwrap()
			.amount;
		assert_ok!(ModelRegistry::retire_model(
			RuntimeOrigin::signed(OWNER),
			model
		));
		assert!(Agenda::<Test>::get().is_empty());
		let p = payload(9, PARAMS);
		assert_noop!(
			GradientCommitments::commit_update(
				RuntimeOrigin::signed(TRAINERS[1]),
				model,
				0,
				commitment_of(&p, SALT, TRAINERS[1])
			),
			Error::<Test>::ModelRetired
		);
		assert_noop!(
			GradientCommitments::bond_trainer(RuntimeOrigin::signed(TRAINERS[1]), model, 100),
			Error::<Test>::ModelRetired
		);
		// Long past the reveal deadline, the silent committer keeps its bond.
		run_to_block(30);
		assert_eq!(
			TrainerBonds::<Test>::get(model, TRAINERS[0])
				.unwrap()
				.amount,
			bond
		);
		assert_ok!(GradientCommitments::do_try_state());
	});
}

#[test]
fn pausing_frees_the_slot_once_the_round_in_flight_closes() {
	new_test_ext().execute_with(|| {
		let model = setup(3);
		assert_ok!(ModelRegistry::pause_model(
			RuntimeOrigin::signed(OWNER),
			model
		));
		assert_eq!(Agenda::<Test>::get().len(), 1);
		run_to_block(20);
		assert!(Agenda::<Test>::get().is_empty());
	});
}

#[test]
fn a_zero_bond_is_refused() {
	new_test_ext().execute_with(|| {
		let model = setup(1);
		assert_noop!(
			GradientCommitments::bond_trainer(RuntimeOrigin::signed(TRAINERS[0]), model, 0),
			Error::<Test>::ZeroBond
		);
	});
}

/// Bytes (keys and values) this pallet holds in state.
fn pallet_state_bytes() -> usize {
	let prefix = sp_io::hashing::twox_128(b"GradientCommitments");
	let mut key = prefix.to_vec();
	let mut total = 0;
	while let Some(next) = sp_io::storage::next_key(&key) {
		if !next.starts_with(&prefix) {
			break;
		}
		total += next.len() + sp_io::storage::get(&next).map_or(0, |v| v.len());
		key = next;
	}
	total
}

#[test]
fn round_storage_is_pruned_past_the_retention_window() {
	new_test_ext().execute_with(|| {
		let model = setup(1);
		let retention = RoundRetention::get();
		let mut rounds = Vec::new();
		for _ in 0..retention + 3 {
			rounds.push(finalize_round(model, true));
		}
		let current = CurrentRound::<Test>::get(model).unwrap();
		for round in rounds {
			let kept = round + retention >= current;
			assert_eq!(
				Rounds::<Test>::contains_key(model, round),
				kept,
				"round {round}"
			);
			assert_eq!(UpdateOrder::<Test>::contains_key((model, round)), kept);
			assert_eq!(RoundValidators::<Test>::contains_key((model, round)), kept);
			assert_eq!(
				Updates::<Test>::iter_prefix((model, round)).count() > 0,
				kept
			);
			assert_eq!(
				Reports::<Test>::iter_prefix((model, round)).count() > 0,
				kept
			);
			// The version chain keeps every finalized round.
			assert!(Versions::<Test>::get(model, round + 1).is_some());
		}
		assert_ok!(GradientCommitments::do_try_state());
	});
}

#[test]
fn a_retired_models_rounds_are_all_pruned() {
	new_test_ext().execute_with(|| {
		let model = setup(1);
		let round = finalize_round(model, true) + 1;
		past_opening(model);
		let p = payload(1, PARAMS);
		assert_ok!(GradientCommitments::commit_update(
			RuntimeOrigin::signed(TRAINERS[0]),
			model,
			round,
			commitment_of(&p, SALT, TRAINERS[0])
		));
		assert_ok!(ModelRegistry::retire_model(
			RuntimeOrigin::signed(OWNER),
			model
		));
		run_with_idle(System::block_number() + 2, true);
		assert_eq!(Rounds::<Test>::iter_prefix(model).count(), 0);
		assert_eq!(Commitments::<Test>::iter().count(), 0);
		assert!(Versions::<Test>::get(model, 1).is_some());
		assert_ok!(GradientCommitments::do_try_state());
	});
}

#[test]
fn on_idle_never_uses_more_than_the_weight_left() {
	new_test_ext().execute_with(|| {
		let model = setup(1);
		for _ in 0..RoundRetention::get() + 4 {
			finalize_round(model, false);
		}
		let visit = <Test as Config>::WeightInfo::prune_round();
		let cursor = <<Test as frame_system::Config>::DbWeight as Get<
			frame_support::weights::RuntimeDbWeight,
		>>::get()
		.reads_writes(1, 1);
		// Too little for one visit: nothing is pruned, nothing is charged but the check.
		let before = Rounds::<Test>::iter().count();
		let used = GradientCommitments::on_idle(100, cursor + visit - Weight::from_parts(1, 0));
		assert!(used.all_lte(cursor + visit));
		assert_eq!(Rounds::<Test>::iter().count(), before);
		// Room for exactly two visits: at most two rounds go.
		let budget = cursor + visit * 2;
		let used = GradientCommitments::on_idle(100, budget);
		assert!(used.all_lte(budget));
		assert!(before - Rounds::<Test>::iter().count() <= 2);
	});
}

#[test]
fn state_stays_bounded_over_a_thousand_rounds() {
	new_test_ext().execute_with(|| {
		let model = setup(1);
		let retention = RoundRetention::get() as usize;
		let mut sizes = Vec::new();
		for _ in 0..1_000 {
			finalize_round(model, true);
			sizes.push(pallet_state_bytes());
		}
		// Once the retention window is full, every new round's storage replaces a pruned one.
		let warm = sizes[retention + 2];
		let last = sizes[999];
		// Before the first prune (round 0 goes once round `retention + 1` is current).
		let per_round = (sizes[retention - 1] - sizes[0]) / (retention - 1);
		println!(
			"gradient-commitments state: {per_round} bytes per full round of {} updates; \
			 {warm} bytes after {} rounds, {last} bytes after 1000 (retention {retention})",
			TRAINERS.len(),
			retention + 3,
		);
		assert!(per_round > 0);
		assert!(
			last <= warm + per_round,
			"state grew from {warm} to {last} bytes"
		);
		assert_ok!(GradientCommitments::do_try_state());
	});
}

#[test]
fn without_pruning_state_grows_by_a_full_round_each_round() {
	new_test_ext().execute_with(|| {
		let model = setup(1);
		let mut sizes = Vec::new();
		for _ in 0..20 {
			finalize_round(model, false);
			sizes.push(pallet_state_bytes());
		}
		let per_round = (sizes[19] - sizes[0]) / 19;
		println!("gradient-commitments state without pruning: {per_round} bytes per round");
		assert!(sizes.windows(2).all(|w| w[1] > w[0]));
	});
}
