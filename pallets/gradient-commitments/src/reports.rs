//! Validator reports, settlement and finalization.
//!
//! Reports are committed, then revealed. In the aggregate window each snapshot validator
//! commits to its report ([`Pallet::commit_report`]: the update-set root in the clear, the
//! report hidden behind `sha3_256(SCALE(model_hash, accepted, scores) ‖ salt ‖ account)`);
//! in the report-reveal window that follows it reveals it ([`Pallet::report_aggregate`]).
//! A report read in the pool during the reveal window cannot be copied: the copier had to
//! commit before any report was readable, and a commitment binds its account. The reveal
//! window opens at the aggregate deadline, or as soon as every snapshot validator has
//! committed (nobody is left who could copy).
//!
//! Reports are settled together: at the reveal window's end, or as soon as every committed
//! report is revealed. A hash backed by two thirds of the snapshot stake finalizes (the
//! registry records the new version, the accepted set and each trainer's score are combined
//! from *every* matching report, the round's reward is paid, contradicting reports are
//! slashed); otherwise the round fails without quorum. Settling at the end, not at the first
//! two thirds, means the reports that arrive first do not decide the scores alone, and an
//! honest validator reporting late in the window is paid like an early one. Snapshot
//! validators that did not report — a commitment left unrevealed included — are recorded as
//! absent (`absence.rs`).

use crate::{
	pallet::*, BalanceOf, FailReason, Report, ReportOf, RoundInfoOf, RoundPhase, WeightInfo,
};
use alloc::vec::Vec;
use codec::Encode;
use fedledger_primitives::{
	round::report_commitment,
	traits::{ModelProvider, RoundRewards, TrainerScores},
	Digest, ModelId, RoundIndex,
};
use frame_support::{pallet_prelude::*, traits::Defensive};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::{
	traits::{Saturating, Zero},
	Perbill,
};

/// What a validator reveals for a round (the arguments of [`Pallet::report_aggregate`]).
pub(crate) struct ReportInput<T: Config> {
	pub model_hash: Digest,
	pub accepted: BoundedVec<u32, T::MaxUpdatesPerRound>,
	pub scores: BoundedVec<u32, T::MaxUpdatesPerRound>,
	pub salt: [u8; 32],
}

impl<T: Config> Pallet<T> {
	/// `who`'s stake in `round`'s snapshot, if it may still vote with it (bonded: a validator
	/// that withdrew can no longer be slashed); also returns the snapshot's size.
	fn voting_stake(
		model: ModelId,
		round: RoundIndex,
		who: &T::AccountId,
	) -> Result<(BalanceOf<T>, usize), DispatchError> {
		let snapshot = RoundValidators::<T>::get((model, round));
		let stake = snapshot
			.iter()
			.find_map(|(v, s)| (v == who).then_some(*s))
			.ok_or(Error::<T>::NotRoundValidator)?;
		ensure!(
			ValidatorBonds::<T>::contains_key(who),
			Error::<T>::NotValidator
		);
		Ok((stake, snapshot.len()))
	}

	/// [`Pallet::commit_report`].
	pub(crate) fn do_commit_report(
		who: T::AccountId,
		model: ModelId,
		round: RoundIndex,
		updates_root: Digest,
		commitment: Digest,
	) -> DispatchResult {
		let mut info = Rounds::<T>::get(model, round).ok_or(Error::<T>::UnknownRound)?;
		ensure!(info.phase == RoundPhase::Aggregate, Error::<T>::WrongPhase);
		let (_, snapshot_len) = Self::voting_stake(model, round, &who)?;
		ensure!(
			!ReportCommitments::<T>::contains_key((model, round), &who),
			Error::<T>::ReportAlreadyCommitted
		);
		ensure!(
			updates_root == UpdateSetRoot::<T>::get((model, round)),
			Error::<T>::WrongUpdateSet
		);
		ReportCommitments::<T>::insert((model, round), &who, commitment);
		let committed = ReportCommitCount::<T>::mutate((model, round), |n| {
			*n = n.saturating_add(1);
			*n
		});
		Self::deposit_event(Event::ReportCommitted {
			model,
			round,
			validator: who,
		});
		// Every snapshot validator has committed: nobody is left who could copy a revealed
		// report, so the reveals may start now.
		if committed as usize >= snapshot_len {
			let until = Self::start_report_reveal(model, round, &mut info, committed);
			Rounds::<T>::insert(model, round, info);
			Self::schedule(model, until);
		}
		Ok(())
	}

	/// Closes `round`'s report commitments (`committed` of them) and opens its report-reveal
	/// window, as long as its aggregate window; returns the window's deadline. (The caller
	/// stores `info`.)
	pub(crate) fn start_report_reveal(
		model: ModelId,
		round: RoundIndex,
		info: &mut RoundInfoOf<T>,
		committed: u32,
	) -> BlockNumberFor<T> {
		let blocks = info.config.schedule.aggregate_blocks();
		info.phase = RoundPhase::ReportReveal;
		info.phase_ends_at = Self::now().saturating_add(blocks.into());
		Self::deposit_event(Event::ReportRevealStarted {
			model,
			round,
			committed,
			phase_ends_at: info.phase_ends_at,
		});
		info.phase_ends_at
	}

	/// [`Pallet::report_aggregate`].
	pub(crate) fn do_report_aggregate(
		who: T::AccountId,
		model: ModelId,
		round: RoundIndex,
		input: ReportInput<T>,
	) -> DispatchResultWithPostInfo {
		let ReportInput {
			model_hash,
			accepted,
			scores,
			salt,
		} = input;
		let mut info = Rounds::<T>::get(model, round).ok_or(Error::<T>::UnknownRound)?;
		// Settled rounds take no more reports: the window is where reports count.
		ensure!(
			info.phase == RoundPhase::ReportReveal,
			Error::<T>::WrongPhase
		);
		let (stake, _) = Self::voting_stake(model, round, &who)?;
		ensure!(
			!Reports::<T>::contains_key((model, round), &who),
			Error::<T>::AlreadyReported
		);
		let committed = ReportCommitments::<T>::get((model, round), &who)
			.ok_or(Error::<T>::ReportNotCommitted)?;
		ensure!(
			report_commitment(&model_hash, &accepted, &scores, &salt, &who.encode()) == committed,
			Error::<T>::ReportCommitmentMismatch
		);
		ensure!(
			scores.len() as u32 == info.updates,
			Error::<T>::ScoresLengthMismatch
		);
		ensure!(
			scores.iter().all(|s| *s <= Perbill::one().deconstruct()),
			Error::<T>::ScoreOutOfRange
		);
		ensure!(
			accepted.windows(2).all(|w| w[0] < w[1])
				&& accepted.last().is_none_or(|i| *i < info.updates),
			Error::<T>::InvalidAcceptedSet
		);

		let report = Report {
			model_hash,
			accepted,
			scores,
			stake,
			block: Self::now(),
		};
		Reports::<T>::insert((model, round), &who, report);
		HashStake::<T>::mutate((model, round), model_hash, |s| *s = s.saturating_add(stake));
		let reported = ReportCount::<T>::mutate((model, round), |n| {
			*n = n.saturating_add(1);
			*n
		});
		Self::deposit_event(Event::AggregateReported {
			model,
			round,
			validator: who,
			model_hash,
		});

		// Every committed report is revealed: nothing can change any more, settle now.
		if reported >= ReportCommitCount::<T>::get((model, round)) {
			Self::settle(model, round, &mut info);
			Rounds::<T>::insert(model, round, info);
			return Ok(().into());
		}
		Ok(Some(T::WeightInfo::report_aggregate(1, info.updates)).into())
	}

	/// Settles `round`'s reports (the caller stores `info`): finalizes with the hash two
	/// thirds of the snapshot stake reported, or fails the round without quorum; records
	/// which snapshot validators were absent either way, and schedules the next round.
	pub(crate) fn settle(model: ModelId, round: RoundIndex, info: &mut RoundInfoOf<T>) {
		Self::record_attendance(model, round);
		// The best-backed hash; at most one hash can hold two thirds, so ties (broken by the
		// smaller hash, for a deterministic choice) never decide a finalization.
		let best = HashStake::<T>::iter_prefix((model, round)).fold(
			None::<(Digest, BalanceOf<T>)>,
			|best, (hash, stake)| match best {
				Some((h, s)) if s > stake || (s == stake && h < hash) => Some((h, s)),
				_ => Some((hash, stake)),
			},
		);
		match best {
			Some((hash, stake)) if Self::is_quorum(stake, info.validator_stake) => {
				Self::finalize(model, round, info, hash)
			}
			_ => Self::fail(model, round, info, FailReason::NoQuorum),
		}
		// Either way the round is closed: the next one opens in the next block (also when a
		// report, not the deadline, settled it).
		Self::schedule(model, Self::now().saturating_add(1u32.into()));
	}

	/// The pre-dispatch weight of `report_aggregate`: a full snapshot and a full round, in
	/// whichever finalizing case costs more — every other report matching (score settlement
	/// over all of them) or every other report contradicting (all slashed).
	pub(crate) fn report_aggregate_worst_case() -> Weight {
		let (v, n) = (T::MaxValidators::get(), T::MaxUpdatesPerRound::get());
		T::WeightInfo::report_aggregate(v, n)
			.max(T::WeightInfo::report_aggregate_contradicted(v, n))
	}

	/// What settling a round at its report-reveal deadline may cost: the finalizing report's
	/// worst case (which settles the same way), or a failure without quorum that clears a
	/// full round's scratch — plus removing every snapshot validator for absence.
	pub(crate) fn deadline_settlement_weight() -> Weight {
		Self::report_aggregate_worst_case()
			.max(T::WeightInfo::advance_round(T::MaxUpdatesPerRound::get()))
			.saturating_add(T::WeightInfo::remove_absent_validators(
				T::MaxValidators::get(),
			))
	}

	/// Whether `backing` is at least two thirds of `total` (and `total` is not zero).
	fn is_quorum(backing: BalanceOf<T>, total: BalanceOf<T>) -> bool {
		!total.is_zero() && backing.saturating_mul(3u32.into()) >= total.saturating_mul(2u32.into())
	}

	/// Records the finalized version, slashes contradicting validators, combines the accepted
	/// set and the scores of every matching report and pays the round's rewards.
	/// (The caller stores `info`.)
	fn finalize(model: ModelId, round: RoundIndex, info: &mut RoundInfoOf<T>, model_hash: Digest) {
		let Some(view) = T::Models::model(model) else {
			Self::fail(model, round, info, FailReason::ModelRetired);
			return;
		};
		let Some(version) = T::Models::append_version(model, round, model_hash) else {
			Self::fail(model, round, info, FailReason::ModelRetired);
			return;
		};
		info.phase = RoundPhase::Finalized;
		info.finalized_hash = Some(model_hash);

		let mut matching: Vec<(T::AccountId, ReportOf<T>)> = Vec::new();
		for (validator, report) in Reports::<T>::iter_prefix((model, round)) {
			if report.model_hash == model_hash {
				matching.push((validator, report));
			} else {
				Self::slash_validator(model, round, &validator);
			}
		}
		// Deterministic order regardless of storage iteration order.
		matching.sort_by(|a, b| a.0.cmp(&b.0));
		let matching_stake = matching.iter().fold(BalanceOf::<T>::zero(), |acc, (_, r)| {
			acc.saturating_add(r.stake)
		});

		let order = UpdateOrder::<T>::get((model, round));
		let mut trainers = Vec::new();
		for (index, trainer) in order.iter().enumerate() {
			let index = index as u32;
			let accept_stake = matching
				.iter()
				.filter(|(_, r)| r.accepted.binary_search(&index).is_ok())
				.fold(BalanceOf::<T>::zero(), |acc, (_, r)| {
					acc.saturating_add(r.stake)
				});
			// Accepted if the matching reports accepting it hold a strict stake majority.
			if accept_stake.saturating_mul(2u32.into()) > matching_stake {
				// Every report has one score per update: `report_aggregate` checks the length
				// against the round's update count, which no longer changes once aggregation
				// has started.
				let scores = matching
					.iter()
					.map(|(_, r)| {
						let score = r.scores.get(index as usize).copied();
						(score.defensive_unwrap_or(0), r.stake)
					})
					.collect();
				trainers.push(TrainerScores {
					trainer: trainer.clone(),
					scores,
				});
			}
		}
		let validators: Vec<(T::AccountId, BalanceOf<T>)> =
			matching.into_iter().map(|(v, r)| (v, r.stake)).collect();
		let reward = T::Rewards::reward_round(
			model,
			round,
			&view.owner,
			&info.config,
			&validators,
			&trainers,
		);

		let accepted = trainers.len() as u32;
		let rejected = info.updates.saturating_sub(accepted);
		Self::clear_round_scratch(model, round);
		Self::deposit_event(Event::RoundFinalized {
			model,
			round,
			version,
			model_hash,
			accepted,
			rejected,
			reward,
		});
	}
}
