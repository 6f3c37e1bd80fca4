//! Benchmarks of the round protocol (FRAME benchmarks v2). Each sets up the worst case the
//! weight must cover: full validator sets, full rounds, maximal payloads.

use super::*;
use alloc::vec::Vec;
use fedledger_primitives::{
	model::{Architecture, ModelKind, Schedule, TrainingConfig},
	rules::StalenessFn,
	traits::BenchmarkModels,
};
use frame_benchmarking::v2::*;
use frame_support::traits::fungible::Mutate;
use frame_system::RawOrigin;
use sp_runtime::traits::Saturating;

const SALT: [u8; 32] = [7u8; 32];

fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId
where
	T::Currency: Mutate<T::AccountId>,
{
	let who: T::AccountId = account(name, index, 0);
	let amount = T::MinValidatorBond::get()
		.max(T::MinTrainerBond::get())
		.saturating_mul(1_000u32.into());
	T::Currency::set_balance(&who, amount);
	who
}

/// A logistic model whose f32 payload is about `payload_len` bytes, with `min_updates`.
fn model_config<T: Config>(payload_len: u32, min_updates: u32) -> TrainingConfig<BalanceOf<T>> {
	let params = (payload_len.saturating_sub(tensor_codec::HEADER_LEN as u32) / 4).max(4);
	// Logistic regression with 2 classes has 2·input + 2 parameters.
	let input_dim = (params.saturating_sub(2) / 2).max(1);
	let mut config = TrainingConfig::example(input_dim, 2, min_updates, 1_000u32.into());
	config.architecture = Architecture {
		kind: ModelKind::Logistic,
		input_dim,
		classes: 2,
	};
	// A reveal window long enough for a full round of this payload (the registry checks it).
	if let Schedule::Sync { reveal_blocks, .. } = &mut config.schedule {
		let len = tensor_codec::HEADER_LEN as u64 + 4 * u64::from(2 * input_dim + 2);
		let needed = Pallet::<T>::blocks_to_carry(T::MaxUpdatesPerRound::get(), len)
			.expect("a benchmark payload fits a block");
		*reveal_blocks = (*reveal_blocks).max(needed as u32);
	}
	config
}

fn param_count(config: &TrainingConfig<impl Sized>) -> usize {
	config.architecture.parameter_count().unwrap_or(0) as usize
}

fn create_model<T: Config>(config: TrainingConfig<BalanceOf<T>>) -> ModelId
where
	T::Currency: Mutate<T::AccountId>,
{
	let owner = funded::<T>("owner", 0);
	T::BenchmarkHelper::create_model(owner, config)
}

fn payload_for(params: usize, seed: u32) -> Vec<u8> {
	let values: Vec<f32> = (0..params)
		.map(|i| ((i as u32 ^ seed) % 1000) as f32 * 1e-3)
		.collect();
	tensor_codec::encode_f32(&values, &[params as u32]).expect("valid tensor")
}

/// Opens round [`Config::ReplayWindow`] of `model` now: the first round whose updates are
/// checked against a full replay window, and whose close clears the seen payloads of round 0.
/// Moves on to the next block, the first that takes commitments and updates.
fn open_round<T: Config>(model: ModelId) -> RoundIndex {
	if let Some(previous) = T::ReplayWindow::get().checked_sub(1) {
		// With no record of it, `advance` treats the previous round as closed.
		CurrentRound::<T>::insert(model, previous);
	}
	let now = frame_system::Pallet::<T>::block_number();
	Pallet::<T>::advance(model, now);
	frame_system::Pallet::<T>::set_block_number(now.saturating_add(1u32.into()));
	CurrentRound::<T>::get(model).expect("round opened")
}

/// `who` commits to `payload` (with [`SALT`]) in `round` of `model`.
fn commit_to<T: Config>(model: ModelId, round: RoundIndex, who: &T::AccountId, payload: &[u8]) {
	let commitment = tensor_codec::commitment(payload, &SALT, &who.encode());
	Pallet::<T>::commit_update(
		RawOrigin::Signed(who.clone()).into(),
		model,
		round,
		commitment,
	)
	.expect("a bonded trainer commits in the round's commit window");
}

fn bonded_trainer<T: Config>(model: ModelId, index: u32) -> T::AccountId
where
	T::Currency: Mutate<T::AccountId>,
{
	let who = funded::<T>("trainer", index);
	Pallet::<T>::bond_trainer(
		RawOrigin::Signed(who.clone()).into(),
		model,
		T::MinTrainerBond::get(),
	)
	.expect("funded trainer bonds");
	who
}

/// A funded account registered as FL validator with the minimum bond.
fn registered_validator<T: Config>(index: u32) -> T::AccountId
where
	T::Currency: Mutate<T::AccountId>,
{
	let who = funded::<T>("validator", index);
	Pallet::<T>::register_validator(
		RawOrigin::Signed(who.clone()).into(),
		T::MinValidatorBond::get(),
	)
	.expect("funded validator registers");
	who
}

/// Unseats the validators the chain's genesis seated (the runtime's development preset
/// seats one), so that a benchmark can fill the set with its own at the minimum bond.
fn empty_validator_set<T: Config>() {
	for validator in ActiveValidators::<T>::get() {
		Pallet::<T>::do_unregister_validator(validator).expect("a seated validator unregisters");
	}
}

fn set_phase<T: Config>(model: ModelId, round: RoundIndex, phase: RoundPhase) {
	Rounds::<T>::mutate(model, round, |info| {
		if let Some(info) = info {
			info.phase = phase;
		}
	});
}

/// Round `round` of `model` with `n` trainers committed and revealed: their commitments,
/// seen payloads, updates and reveal order, as a round in its aggregate phase holds them; and
/// `n` seen payloads of the round whose replay window closing `round` ends.
fn seed_revealed_round<T: Config>(model: ModelId, round: RoundIndex, n: u32) {
	let key = (model, round);
	let expired = round.checked_sub(T::ReplayWindow::get());
	let trainers: Vec<T::AccountId> = (0..n).map(|i| account("trainer", i, 0)).collect();
	let at = frame_system::Pallet::<T>::block_number();
	for (i, t) in trainers.iter().enumerate() {
		let digest = [i as u8; 32];
		Commitments::<T>::insert(key, t, Commitment { digest, at });
		SeenPayloads::<T>::insert(key, digest, ());
		if let Some(expired) = expired {
			SeenPayloads::<T>::insert((model, expired), [!(i as u8); 32], ());
		}
		Updates::<T>::insert(
			key,
			t,
			UpdateRecord {
				payload_hash: digest,
				block: frame_system::Pallet::<T>::block_number(),
				extrinsic_index: i as u32,
				num_samples: 1,
				base_version: 0,
			},
		);
	}
	let root = fedledger_primitives::round::update_set_root(
		&(0..n).map(|i| [i as u8; 32]).collect::<Vec<_>>(),
	);
	UpdateSetRoot::<T>::insert(key, root);
	UpdateOrder::<T>::insert(key, BoundedVec::truncate_from(trainers));
}

/// Makes `round` of `model`, holding `n` updates, take report reveals from the validators of
/// `snapshot`, every one of which committed: the caller (first in it) to `(hash, accepted,
/// scores)` with [`SALT`], the others to anything.
fn open_report_reveal<T: Config>(
	model: ModelId,
	round: RoundIndex,
	n: u32,
	snapshot: Vec<(T::AccountId, BalanceOf<T>)>,
	report: (&Digest, &[u32], &[u32]),
) {
	let key = (model, round);
	let (hash, accepted, scores) = report;
	let mut stake = BalanceOf::<T>::zero();
	for (i, (who, s)) in snapshot.iter().enumerate() {
		let digest = if i == 0 {
			fedledger_primitives::round::report_commitment(
				hash,
				accepted,
				scores,
				&SALT,
				&who.encode(),
			)
		} else {
			[0u8; 32]
		};
		ReportCommitments::<T>::insert(key, who, digest);
		stake = stake.saturating_add(*s);
	}
	ReportCommitCount::<T>::insert(key, snapshot.len() as u32);
	RoundValidators::<T>::insert(key, BoundedVec::truncate_from(snapshot));
	Rounds::<T>::mutate(model, round, |info| {
		let info = info.as_mut().expect("the round is open");
		info.phase = RoundPhase::ReportReveal;
		info.updates = n;
		info.validator_stake = stake;
	});
}

#[benchmarks(where T::Currency: Mutate<T::AccountId>)]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn bond_trainer() {
		let model = create_model::<T>(model_config::<T>(1_000, 1));
		let who = funded::<T>("trainer", 0);
		#[extrinsic_call]
		_(
			RawOrigin::Signed(who.clone()),
			model,
			T::MinTrainerBond::get(),
		);
		assert!(TrainerBonds::<T>::contains_key(model, &who));
	}

	#[benchmark]
	fn unbond_trainer() {
		let model = create_model::<T>(model_config::<T>(1_000, 1));
		let who = bonded_trainer::<T>(model, 0);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), model);
		assert!(TrainerBonds::<T>::get(model, &who)
			.unwrap()
			.unbonding_at
			.is_some());
	}

	#[benchmark]
	/// The model's round is in flight (the open-round check reads it) but the caller has no
	/// commitment in it.
	fn withdraw_trainer_bond() {
		let model = create_model::<T>(model_config::<T>(1_000, 1));
		open_round::<T>(model);
		let who = bonded_trainer::<T>(model, 0);
		Pallet::<T>::unbond_trainer(RawOrigin::Signed(who.clone()).into(), model).unwrap();
		let later =
			frame_system::Pallet::<T>::block_number().saturating_add(T::UnbondingDelay::get());
		frame_system::Pallet::<T>::set_block_number(later);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), model);
		assert!(!TrainerBonds::<T>::contains_key(model, &who));
	}

	#[benchmark]
	/// The set is full at the minimum bond: finding the smallest seat reads every bond, and
	/// the caller's larger bond evicts it.
	fn register_validator() {
		empty_validator_set::<T>();
		for i in 1..=T::MaxValidators::get() {
			registered_validator::<T>(i);
		}
		let who = funded::<T>("validator", 0);
		let bond = T::MinValidatorBond::get().saturating_add(1u32.into());
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), bond);
		assert!(ActiveValidators::<T>::get().contains(&who));
		assert_eq!(
			ActiveValidators::<T>::get().len() as u32,
			T::MaxValidators::get()
		);
	}

	#[benchmark]
	fn bond_validator_extra() {
		let who = registered_validator::<T>(0);
		let extra = T::MinValidatorBond::get();
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), extra);
		assert_eq!(
			ValidatorBonds::<T>::get(&who).unwrap().amount,
			extra.saturating_add(extra)
		);
	}

	#[benchmark]
	fn unregister_validator() {
		empty_validator_set::<T>();
		for i in 1..T::MaxValidators::get() {
			registered_validator::<T>(i);
		}
		let who = registered_validator::<T>(0);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
		assert!(!ActiveValidators::<T>::get().contains(&who));
	}

	#[benchmark]
	/// Every agenda slot holds a round aggregating with a full snapshot the caller is not in:
	/// the open-round check reads all of them.
	fn withdraw_validator_bond() {
		for m in 0..T::MaxActiveModels::get() {
			let model = create_model::<T>(model_config::<T>(1_000, 1));
			let round = open_round::<T>(model);
			set_phase::<T>(model, round, RoundPhase::Aggregate);
			let snapshot: Vec<(T::AccountId, BalanceOf<T>)> = (0..T::MaxValidators::get())
				.map(|i| {
					(
						account("seated", m * 1_000 + i, 0),
						T::MinValidatorBond::get(),
					)
				})
				.collect();
			RoundValidators::<T>::insert((model, round), BoundedVec::truncate_from(snapshot));
		}
		let who = registered_validator::<T>(0);
		Pallet::<T>::unregister_validator(RawOrigin::Signed(who.clone()).into()).unwrap();
		let later =
			frame_system::Pallet::<T>::block_number().saturating_add(T::UnbondingDelay::get());
		frame_system::Pallet::<T>::set_block_number(later);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
		assert!(!ValidatorBonds::<T>::contains_key(&who));
	}

	/// A full lottery: the caller, bonded more than every committer, evicts the
	/// smallest-bonded after reading every committer's bond.
	#[benchmark]
	fn commit_update() {
		let model = create_model::<T>(model_config::<T>(1_000, 1));
		let round = open_round::<T>(model);
		let full = T::MaxCommitsPerRound::get();
		for i in 0..full {
			let entrant = bonded_trainer::<T>(model, i);
			Pallet::<T>::commit_update(RawOrigin::Signed(entrant).into(), model, round, [7u8; 32])
				.unwrap();
		}
		let who = bonded_trainer::<T>(model, full);
		Pallet::<T>::bond_trainer(RawOrigin::Signed(who.clone()).into(), model, 1u32.into())
			.expect("funded");
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), model, round, [1u8; 32]);
		assert!(Commitments::<T>::contains_key((model, round), &who));
		assert_eq!(Rounds::<T>::get(model, round).unwrap().commits, full);
	}

	/// `l`: payload length in bytes. The round already holds all but one of its updates.
	#[benchmark]
	fn reveal_update(l: Linear<1_000, { T::MaxPayloadLen::get() }>) {
		let config = model_config::<T>(l, 1);
		let params = param_count(&config);
		let model = create_model::<T>(config);
		let round = open_round::<T>(model);
		let who = bonded_trainer::<T>(model, 0);
		let payload = payload_for(params, 1);
		commit_to::<T>(model, round, &who, &payload);
		let fillers: Vec<T::AccountId> = (1..T::MaxUpdatesPerRound::get())
			.map(|i| account("filler", i, 0))
			.collect();
		Rounds::<T>::mutate(model, round, |info| {
			let info = info.as_mut().unwrap();
			info.phase = RoundPhase::Reveal;
			info.updates = fillers.len() as u32;
		});
		UpdateOrder::<T>::insert((model, round), BoundedVec::truncate_from(fillers));
		let payload: PayloadOf<T> = BoundedVec::try_from(payload).expect("fits MaxPayloadLen");
		#[extrinsic_call]
		_(
			RawOrigin::Signed(who.clone()),
			model,
			round,
			payload,
			SALT,
			100,
		);
		assert!(Updates::<T>::contains_key((model, round), &who));
	}

	/// `l`: payload length in bytes. The update, committed in the block before, fills the
	/// buffer, so aggregation starts (with a full validator set to snapshot).
	#[benchmark]
	fn submit_update(l: Linear<1_000, { T::MaxPayloadLen::get() }>) {
		let mut config = model_config::<T>(l, 1);
		let k = T::MaxUpdatesPerRound::get();
		config.schedule = Schedule::BufferedAsync {
			buffer_size: k,
			max_staleness: 4,
			staleness: StalenessFn::Constant,
			buffer_blocks: T::MaxPhaseBlocks::get(),
			aggregate_blocks: T::MaxPhaseBlocks::get(),
			min_updates: 1,
		};
		let params = param_count(&config);
		let model = create_model::<T>(config);
		let round = open_round::<T>(model);
		empty_validator_set::<T>();
		for i in 0..T::MaxValidators::get() {
			registered_validator::<T>(i);
		}
		let who = bonded_trainer::<T>(model, 0);
		let fillers: Vec<T::AccountId> = (1..k).map(|i| account("filler", i, 0)).collect();
		Rounds::<T>::mutate(model, round, |info| {
			info.as_mut().unwrap().updates = fillers.len() as u32
		});
		UpdateOrder::<T>::insert((model, round), BoundedVec::truncate_from(fillers));
		let payload = payload_for(params, 2);
		commit_to::<T>(model, round, &who, &payload);
		let now = frame_system::Pallet::<T>::block_number();
		frame_system::Pallet::<T>::set_block_number(now.saturating_add(1u32.into()));
		let payload: PayloadOf<T> = BoundedVec::try_from(payload).expect("fits");
		#[extrinsic_call]
		_(
			RawOrigin::Signed(who.clone()),
			model,
			round,
			0,
			payload,
			SALT,
			100,
		);
		assert!(!Commitments::<T>::contains_key((model, round), &who));
		assert_eq!(
			Rounds::<T>::get(model, round).unwrap().phase,
			RoundPhase::Aggregate
		);
	}

	/// The last report commitment of a full snapshot (the caller sits last in it): it
	/// completes the commitments and opens the report-reveal window.
	#[benchmark]
	fn commit_report() {
		empty_validator_set::<T>();
		let model = create_model::<T>(model_config::<T>(1_000, 1));
		let round = open_round::<T>(model);
		seed_revealed_round::<T>(model, round, 1);
		let mut snapshot = Vec::new();
		for i in 0..T::MaxValidators::get() {
			snapshot.push((registered_validator::<T>(i), T::MinValidatorBond::get()));
		}
		let (who, _) = snapshot.last().cloned().expect("MaxValidators > 0");
		for (v, _) in &snapshot[..snapshot.len() - 1] {
			ReportCommitments::<T>::insert((model, round), v, [0u8; 32]);
		}
		ReportCommitCount::<T>::insert((model, round), T::MaxValidators::get() - 1);
		RoundValidators::<T>::insert((model, round), BoundedVec::truncate_from(snapshot));
		set_phase::<T>(model, round, RoundPhase::Aggregate);
		let root = UpdateSetRoot::<T>::get((model, round));
		#[extrinsic_call]
		_(
			RawOrigin::Signed(who.clone()),
			model,
			round,
			root,
			[1u8; 32],
		);
		assert!(ReportCommitments::<T>::contains_key((model, round), &who));
		assert_eq!(
			Rounds::<T>::get(model, round).unwrap().phase,
			RoundPhase::ReportReveal
		);
	}

	/// `v`: validators in the round's snapshot, all committed (all but the caller already
	/// revealed the same hash); `n`: updates in the round, all accepted and scored, with their
	/// commitments and seen payloads still to clear. The call checks the caller's report
	/// commitment, completes the reveals and settles: attendance, quorum, version, slashing
	/// check, score combination, reward payout and clearing of the round's scratch.
	#[benchmark]
	fn report_aggregate(
		v: Linear<1, { T::MaxValidators::get() }>,
		n: Linear<1, { T::MaxUpdatesPerRound::get() }>,
	) {
		let model = create_model::<T>(model_config::<T>(1_000, 1));
		let round = open_round::<T>(model);
		let funder = funded::<T>("funder", 0);
		// Above the existential deposit, so that the pot exists whatever the genesis.
		T::BenchmarkHelper::fund_pool(model, funder, T::MinValidatorBond::get());
		let hash = [9u8; 32];

		seed_revealed_round::<T>(model, round, n);
		let accepted: BoundedVec<u32, T::MaxUpdatesPerRound> =
			BoundedVec::truncate_from((0..n).collect());
		let scores: BoundedVec<u32, T::MaxUpdatesPerRound> =
			BoundedVec::truncate_from((0..n).map(|i| 1_000_000 + i).collect());

		// v - 1 validators of stake s have reported; the caller's stake 2(v-1)s (or s when
		// alone) brings the hash over 2/3.
		let s: BalanceOf<T> = T::MinValidatorBond::get();
		let caller = funded::<T>("validator", 0);
		let caller_stake = if v == 1 {
			s
		} else {
			s.saturating_mul((2 * (v - 1)).into())
		};
		// A report needs a live bond (a withdrawn validator may not vote).
		Pallet::<T>::register_validator(RawOrigin::Signed(caller.clone()).into(), caller_stake)
			.expect("a funded caller registers");
		let mut snapshot = alloc::vec![(caller.clone(), caller_stake)];
		let mut others = BalanceOf::<T>::zero();
		for i in 1..v {
			let who: T::AccountId = account("validator", i, 0);
			Reports::<T>::insert(
				(model, round),
				&who,
				Report {
					model_hash: hash,
					accepted: accepted.clone(),
					scores: scores.clone(),
					stake: s,
					block: frame_system::Pallet::<T>::block_number(),
				},
			);
			snapshot.push((who, s));
			others = others.saturating_add(s);
		}
		HashStake::<T>::insert((model, round), hash, others);
		ReportCount::<T>::insert((model, round), v - 1);
		open_report_reveal::<T>(model, round, n, snapshot, (&hash, &accepted, &scores));

		#[extrinsic_call]
		_(
			RawOrigin::Signed(caller),
			model,
			round,
			hash,
			accepted,
			scores,
			SALT,
		);
		assert_eq!(
			Rounds::<T>::get(model, round).unwrap().phase,
			RoundPhase::Finalized
		);
	}

	/// The finalizing report's other worst case: the `v - 1` other validators of the
	/// snapshot each reported a different hash, so finalization slashes every one of them
	/// and clears `v` reported hashes besides the `n` commitments and seen payloads; the
	/// caller's stake alone is a quorum. The call is charged the larger of this and
	/// [`report_aggregate`].
	#[benchmark]
	fn report_aggregate_contradicted(
		v: Linear<1, { T::MaxValidators::get() }>,
		n: Linear<1, { T::MaxUpdatesPerRound::get() }>,
	) {
		let model = create_model::<T>(model_config::<T>(1_000, 1));
		let round = open_round::<T>(model);
		let funder = funded::<T>("funder", 0);
		// Above the existential deposit, so that the pot exists whatever the genesis.
		T::BenchmarkHelper::fund_pool(model, funder, T::MinValidatorBond::get());
		seed_revealed_round::<T>(model, round, n);
		let accepted: BoundedVec<u32, T::MaxUpdatesPerRound> =
			BoundedVec::truncate_from((0..n).collect());
		let scores: BoundedVec<u32, T::MaxUpdatesPerRound> =
			BoundedVec::truncate_from((0..n).map(|i| 1_000_000 + i).collect());
		let s: BalanceOf<T> = T::MinValidatorBond::get();
		let caller = funded::<T>("caller", 0);
		let caller_stake = s.saturating_mul((2 * v).into());
		empty_validator_set::<T>();
		Pallet::<T>::register_validator(RawOrigin::Signed(caller.clone()).into(), caller_stake)
			.expect("a funded caller registers");
		let mut snapshot = alloc::vec![(caller.clone(), caller_stake)];
		for i in 1..v {
			// Bonded for real, so that each slash moves held funds.
			let who = registered_validator::<T>(i);
			let contradicting = [(i as u8).wrapping_add(100); 32];
			Reports::<T>::insert(
				(model, round),
				&who,
				Report {
					model_hash: contradicting,
					accepted: accepted.clone(),
					scores: scores.clone(),
					stake: s,
					block: frame_system::Pallet::<T>::block_number(),
				},
			);
			HashStake::<T>::insert((model, round), contradicting, s);
			snapshot.push((who, s));
		}
		ReportCount::<T>::insert((model, round), v - 1);
		let hash = [9u8; 32];
		open_report_reveal::<T>(model, round, n, snapshot, (&hash, &accepted, &scores));

		#[extrinsic_call]
		report_aggregate(
			RawOrigin::Signed(caller),
			model,
			round,
			hash,
			accepted,
			scores,
			SALT,
		);
		assert_eq!(
			Rounds::<T>::get(model, round).unwrap().phase,
			RoundPhase::Finalized
		);
		assert_eq!(Commitments::<T>::iter_prefix((model, round)).count(), 0);
	}

	/// A settlement's absence bookkeeping at its worst: none of the `v` validators of the
	/// snapshot reported, each had already missed `MaxMissedReports - 1` rounds, so each is
	/// removed from the set and starts unbonding.
	#[benchmark]
	fn remove_absent_validators(v: Linear<1, { T::MaxValidators::get() }>) {
		empty_validator_set::<T>();
		let model = create_model::<T>(model_config::<T>(1_000, 1));
		let round = open_round::<T>(model);
		let mut snapshot = alloc::vec::Vec::new();
		for i in 0..v {
			let who = registered_validator::<T>(i);
			MissedReports::<T>::insert(&who, T::MaxMissedReports::get() - 1);
			snapshot.push((who, T::MinValidatorBond::get()));
		}
		RoundValidators::<T>::insert((model, round), BoundedVec::truncate_from(snapshot));
		#[block]
		{
			Pallet::<T>::record_attendance(model, round);
		}
		assert!(ActiveValidators::<T>::get().is_empty());
		assert_eq!(MissedReports::<T>::iter().count(), 0);
	}

	/// `on_initialize` with nothing due.
	#[benchmark]
	fn on_initialize_idle() {
		#[block]
		{
			Pallet::<T>::on_initialize(frame_system::Pallet::<T>::block_number());
		}
	}

	/// The costliest phase move at a reveal deadline: a round where `n` trainers committed
	/// and none revealed, so all `n` forfeit their deposits and are slashed.
	#[benchmark]
	fn advance_round(n: Linear<1, { T::MaxUpdatesPerRound::get() }>) {
		let model = create_model::<T>(model_config::<T>(1_000, 1));
		let round = open_round::<T>(model);
		T::Currency::set_balance(&T::Rewards::pot(), 1_000_000u32.into());
		for i in 0..n {
			let who = bonded_trainer::<T>(model, i);
			Pallet::<T>::commit_update(RawOrigin::Signed(who).into(), model, round, [i as u8; 32])
				.unwrap();
		}
		set_phase::<T>(model, round, RoundPhase::Reveal);
		let now = frame_system::Pallet::<T>::block_number();
		#[block]
		{
			Pallet::<T>::advance(model, now);
		}
		assert_eq!(
			Rounds::<T>::get(model, round).unwrap().phase,
			RoundPhase::Failed
		);
	}

	/// The commit deadline of an oversubscribed round: `n` commitments (more than the slots)
	/// are drawn from, and all but [`Config::MaxUpdatesPerRound`] returned with their deposits.
	#[benchmark]
	fn draw_slots(
		n: Linear<{ T::MaxUpdatesPerRound::get() + 1 }, { T::MaxCommitsPerRound::get() }>,
	) {
		let model = create_model::<T>(model_config::<T>(1_000, 1));
		let round = open_round::<T>(model);
		for i in 0..n {
			let who = bonded_trainer::<T>(model, i);
			Pallet::<T>::commit_update(RawOrigin::Signed(who).into(), model, round, [7u8; 32])
				.unwrap();
		}
		let now = frame_system::Pallet::<T>::block_number();
		#[block]
		{
			Pallet::<T>::advance(model, now);
		}
		let info = Rounds::<T>::get(model, round).unwrap();
		assert_eq!(info.phase, RoundPhase::Reveal);
		assert_eq!(info.commits, T::MaxUpdatesPerRound::get());
		assert_eq!(
			Commitments::<T>::iter_prefix((model, round)).count() as u32,
			T::MaxUpdatesPerRound::get()
		);
	}

	/// `on_finalize` of a congested block: the usage of recorded updates is read and cleared,
	/// and the congested-block count rises.
	#[benchmark]
	fn note_block_usage() {
		BlockUpdateUsage::<T>::put((Weight::from_parts(1, 1), 1u32));
		let max = <T as frame_system::Config>::BlockWeights::get().max_block;
		frame_system::Pallet::<T>::register_extra_weight_unchecked(
			max,
			frame_support::dispatch::DispatchClass::Mandatory,
		);
		let before = CongestedBlocks::<T>::get();
		#[block]
		{
			Pallet::<T>::note_block_usage();
		}
		assert_eq!(CongestedBlocks::<T>::get(), before + 1);
	}

	/// [`PrioritizeFlCalls`]' check on its costliest call: a report commitment to a round
	/// aggregating with a full snapshot in which the caller sits last.
	#[benchmark]
	fn prioritize_fl_call() {
		let model = create_model::<T>(model_config::<T>(1_000, 1));
		let round = open_round::<T>(model);
		set_phase::<T>(model, round, RoundPhase::Aggregate);
		let snapshot: Vec<(T::AccountId, BalanceOf<T>)> = (0..T::MaxValidators::get())
			.map(|i| (account("validator", i, 0), T::MinValidatorBond::get()))
			.collect();
		let who = snapshot.last().expect("MaxValidators > 0").0.clone();
		RoundValidators::<T>::insert((model, round), BoundedVec::truncate_from(snapshot));
		let call = Call::<T>::commit_report {
			model,
			round,
			updates_root: UpdateSetRoot::<T>::get((model, round)),
			commitment: [1u8; 32],
		};
		let boosted;
		#[block]
		{
			boosted = Pallet::<T>::fl_call_in_phase(&who, &call);
		}
		assert!(boosted);
	}

	/// One step of `on_idle`'s pruning walk on the costliest round: closed, past the
	/// retention window, with every update slot revealed and committed, every other
	/// commitment of a full lottery unrevealed and holding its deposit, every seen payload,
	/// a full validator snapshot that all committed and reported distinct hashes (scratch an
	/// abandoned round can leave behind).
	#[benchmark]
	fn prune_round() {
		let model = create_model::<T>(model_config::<T>(1_000, 1));
		let round = open_round::<T>(model);
		let key = (model, round);
		let n = T::MaxUpdatesPerRound::get();
		let v = T::MaxValidators::get();
		seed_revealed_round::<T>(model, round, n);
		let deposit = Pallet::<T>::commit_deposit(&Rounds::<T>::get(model, round).unwrap());
		let at = frame_system::Pallet::<T>::block_number();
		for i in n..T::MaxCommitsPerRound::get() {
			let who = funded::<T>("squatter", i);
			Pallet::<T>::hold_deposit(&who, deposit).expect("funded");
			Commitments::<T>::insert(
				key,
				&who,
				Commitment {
					digest: [1u8; 32],
					at,
				},
			);
		}
		let accepted: BoundedVec<u32, T::MaxUpdatesPerRound> =
			BoundedVec::truncate_from((0..n).collect());
		let scores: BoundedVec<u32, T::MaxUpdatesPerRound> =
			BoundedVec::truncate_from((0..n).collect());
		let mut snapshot = Vec::new();
		for i in 0..v {
			let who: T::AccountId = account("validator", i, 0);
			let hash = [(i as u8).wrapping_add(100); 32];
			Reports::<T>::insert(
				key,
				&who,
				Report {
					model_hash: hash,
					accepted: accepted.clone(),
					scores: scores.clone(),
					stake: T::MinValidatorBond::get(),
					block: frame_system::Pallet::<T>::block_number(),
				},
			);
			HashStake::<T>::insert(key, hash, T::MinValidatorBond::get());
			ReportCommitments::<T>::insert(key, &who, hash);
			snapshot.push((who, T::MinValidatorBond::get()));
		}
		ReportCommitCount::<T>::insert(key, v);
		RoundValidators::<T>::insert(key, BoundedVec::truncate_from(snapshot));
		set_phase::<T>(model, round, RoundPhase::Failed);
		CurrentRound::<T>::insert(
			model,
			round
				.saturating_add(T::RoundRetention::get())
				.saturating_add(1),
		);
		#[block]
		{
			Pallet::<T>::visit_round(model, round);
		}
		assert!(!Rounds::<T>::contains_key(model, round));
		assert_eq!(UpdateOrder::<T>::get(key).len(), 0);
		assert_eq!(Reports::<T>::iter_prefix(key).count(), 0);
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
