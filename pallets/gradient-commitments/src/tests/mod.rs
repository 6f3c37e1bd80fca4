//! Unit tests of the round protocol: every call's happy path and error paths, phase moves,
//! quorum, failure and slashing. Split like the pallet's code; the helpers here set up
//! models, validators and rounds for all of them.

use crate::{mock::*, *};
use codec::Encode;
use frame_support::{
	assert_noop, assert_ok,
	traits::{fungible::InspectHold, Hooks},
	BoundedVec,
};
use pallet_contribution_rewards::{PendingRewards, Pools, TotalPending};
use pallet_model_registry::Versions;

mod absence;
mod bonds;
mod congestion;
mod hostile;
mod lottery;
mod migrations;
mod priority;
mod reports;
mod schedule;
mod slashing;
mod updates;
mod weights;

const PARAMS: usize = 10;
const SALT: [u8; 32] = [3u8; 32];

fn bounded<S: Get<u32>>(v: Vec<u8>) -> BoundedVec<u8, S> {
	BoundedVec::try_from(v).unwrap()
}

fn indices(v: &[u32]) -> BoundedVec<u32, <Test as Config>::MaxUpdatesPerRound> {
	BoundedVec::try_from(v.to_vec()).unwrap()
}

/// A model with `min_updates`, its pool funded, every trainer bonded and three validators of
/// stakes 1000, 1000 and 1000 registered; runs to block 3, the first that takes commitments
/// for round 0 (which opens in block 2).
fn setup(min_updates: u32) -> ModelId {
	let model = register_model(config(min_updates), 10_000);
	for t in TRAINERS {
		assert_ok!(GradientCommitments::bond_trainer(
			RuntimeOrigin::signed(t),
			model,
			100
		));
	}
	for v in &VALIDATORS[..3] {
		assert_ok!(GradientCommitments::register_validator(
			RuntimeOrigin::signed(*v),
			1_000
		));
	}
	run_to_block(3);
	model
}

/// Moves past the block that opened `model`'s current round: it takes no commitments.
fn past_opening(model: ModelId) {
	let round = CurrentRound::<Test>::get(model).unwrap();
	if Rounds::<Test>::get(model, round).unwrap().opened_at == System::block_number() {
		run_to_block(System::block_number() + 1);
	}
}

fn commit(model: ModelId, who: AccountId, seed: u32) {
	let p = payload(seed, PARAMS);
	assert_ok!(GradientCommitments::commit_update(
		RuntimeOrigin::signed(who),
		model,
		0,
		commitment_of(&p, SALT, who)
	));
}

fn reveal(model: ModelId, who: AccountId, seed: u32) -> DispatchResult {
	GradientCommitments::reveal_update(
		RuntimeOrigin::signed(who),
		model,
		0,
		bounded(payload(seed, PARAMS)),
		SALT,
		100,
	)
}

/// A validator's report of round 0: `(validator, model hash, accepted, scores)`.
type ReportOf<'a> = (AccountId, Digest, &'a [u32], &'a [u32]);

/// `who`'s commitment (with [`SALT`]) to the report `hash`, `accepted`, `scores`.
fn report_digest(who: AccountId, hash: Digest, accepted: &[u32], scores: &[u32]) -> Digest {
	fedledger_primitives::round::report_commitment(&hash, accepted, scores, &SALT, &who.encode())
}

/// `who` commits to a report of round 0 over the round's update set.
fn commit_report(
	model: ModelId,
	who: AccountId,
	hash: Digest,
	accepted: &[u32],
	scores: &[u32],
) -> DispatchResult {
	GradientCommitments::commit_report(
		RuntimeOrigin::signed(who),
		model,
		0,
		UpdateSetRoot::<Test>::get((model, 0)),
		report_digest(who, hash, accepted, scores),
	)
}

/// Every report of `reports` is committed in round 0's aggregate window, and the
/// report-reveal window is open: at once if every snapshot validator committed, else from
/// the aggregate deadline.
fn commit_reports(model: ModelId, reports: &[ReportOf]) {
	for (who, hash, accepted, scores) in reports {
		assert_ok!(commit_report(model, *who, *hash, accepted, scores));
	}
	if phase(model, 0) == RoundPhase::Aggregate {
		run_to_block(Rounds::<Test>::get(model, 0).unwrap().phase_ends_at);
	}
	assert_eq!(phase(model, 0), RoundPhase::ReportReveal);
}

/// `who` reveals its committed report of round 0.
fn report(
	model: ModelId,
	who: AccountId,
	hash: Digest,
	accepted: &[u32],
	scores: &[u32],
) -> DispatchResultWithPostInfo {
	GradientCommitments::report_aggregate(
		RuntimeOrigin::signed(who),
		model,
		0,
		hash,
		indices(accepted),
		indices(scores),
		SALT,
	)
}

fn phase(model: ModelId, round: RoundIndex) -> RoundPhase {
	Rounds::<Test>::get(model, round).unwrap().phase
}

fn held_trainer(who: AccountId) -> Balance {
	Balances::balance_on_hold(&HoldReason::TrainerBond.into(), &who)
}

fn held_deposit(who: AccountId) -> Balance {
	Balances::balance_on_hold(&HoldReason::CommitDeposit.into(), &who)
}

/// Round 0 with trainers 10, 11, 12 revealed (in that order) and trainer 13 committed but
/// silent; runs into the aggregate phase (block 8).
fn round_in_aggregation() -> ModelId {
	let model = setup(3);
	for (i, t) in TRAINERS[..4].iter().enumerate() {
		commit(model, *t, i as u32);
	}
	run_to_block(5);
	assert_eq!(phase(model, 0), RoundPhase::Reveal);
	for (i, t) in TRAINERS[..3].iter().enumerate() {
		assert_ok!(reveal(model, *t, i as u32));
	}
	run_to_block(8);
	assert_eq!(phase(model, 0), RoundPhase::Aggregate);
	model
}

fn tensor_codec_digest(p: &[u8]) -> Digest {
	fedledger_primitives::tensor_codec::digest(p)
}

/// The validators in `reporting` commit to one report of `round` (`hash`, every update
/// accepted, and scored its index) and, once the report-reveal window is open (at once if
/// the whole snapshot committed, else at the aggregate deadline), reveal it. A round
/// nobody committed in settles at the aggregate deadline.
fn report_round(model: ModelId, round: RoundIndex, reporting: &[AccountId], hash: Digest) {
	let n = Rounds::<Test>::get(model, round).unwrap().updates;
	let all: Vec<u32> = (0..n).collect();
	for v in reporting {
		assert_ok!(GradientCommitments::commit_report(
			RuntimeOrigin::signed(*v),
			model,
			round,
			UpdateSetRoot::<Test>::get((model, round)),
			report_digest(*v, hash, &all, &all),
		));
	}
	if phase(model, round) == RoundPhase::Aggregate {
		run_to_block(Rounds::<Test>::get(model, round).unwrap().phase_ends_at);
	}
	if phase(model, round) != RoundPhase::ReportReveal {
		return;
	}
	for v in reporting {
		assert_ok!(GradientCommitments::report_aggregate(
			RuntimeOrigin::signed(*v),
			model,
			round,
			hash,
			indices(&all),
			indices(&all),
			SALT,
		));
	}
}

/// Blocks up to `n` with `on_initialize` and, when `idle`, `on_idle` with half a second of
/// weight left, as the executive runs them.
fn run_with_idle(n: u64, idle: bool) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		GradientCommitments::on_initialize(next);
		if idle {
			GradientCommitments::on_idle(next, Weight::from_parts(500_000_000_000, u64::MAX));
		}
	}
}

/// Drives `model`'s current round to finalization with every trainer committing and
/// revealing and three validators committing to and revealing one hash; returns the round.
fn finalize_round(model: ModelId, idle: bool) -> RoundIndex {
	past_opening(model);
	let round = CurrentRound::<Test>::get(model).unwrap();
	assert_eq!(phase(model, round), RoundPhase::Commit);
	for (i, t) in TRAINERS.iter().enumerate() {
		let p = payload(round * 100 + i as u32, PARAMS);
		assert_ok!(GradientCommitments::commit_update(
			RuntimeOrigin::signed(*t),
			model,
			round,
			commitment_of(&p, SALT, *t)
		));
	}
	run_with_idle(
		Rounds::<Test>::get(model, round).unwrap().phase_ends_at,
		idle,
	);
	for (i, t) in TRAINERS.iter().enumerate() {
		assert_ok!(GradientCommitments::reveal_update(
			RuntimeOrigin::signed(*t),
			model,
			round,
			bounded(payload(round * 100 + i as u32, PARAMS)),
			SALT,
			100,
		));
	}
	run_with_idle(
		Rounds::<Test>::get(model, round).unwrap().phase_ends_at,
		idle,
	);
	report_round(model, round, &VALIDATORS[..3], [round as u8; 32]);
	assert_eq!(phase(model, round), RoundPhase::Finalized);
	run_with_idle(System::block_number() + 1, idle);
	round
}
