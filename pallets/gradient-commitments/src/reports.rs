//! Validator reports, the stake quorum and finalization: recording the new version,
//! settling the accepted set and its scores, paying the round's reward.

use crate::{
	pallet::*, BalanceOf, FailReason, Report, ReportOf, RoundInfoOf, RoundPhase, WeightInfo,
};
use alloc::vec::Vec;
use fedledger_primitives::{
	traits::{ModelProvider, RoundRewards, TrainerScores},
	Digest, ModelId, RoundIndex,
};
use frame_support::{pallet_prelude::*, traits::Defensive};
use sp_runtime::{
	traits::{Saturating, Zero},
	Perbill,
};

/// What a validator reports for a round (the arguments of [`Pallet::report_aggregate`]).
pub(crate) struct ReportInput<T: Config> {
	pub model_hash: Digest,
	pub updates_root: Digest,
	pub accepted: BoundedVec<u32, T::MaxUpdatesPerRound>,
	pub scores: BoundedVec<u32, T::MaxUpdatesPerRound>,
}

impl<T: Config> Pallet<T> {
	/// [`Pallet::report_aggregate`].
	pub(crate) fn do_report_aggregate(
		who: T::AccountId,
		model: ModelId,
		round: RoundIndex,
		input: ReportInput<T>,
	) -> DispatchResultWithPostInfo {
		let ReportInput {
			model_hash,
			updates_root,
			accepted,
			scores,
		} = input;
		let info = Rounds::<T>::get(model, round).ok_or(Error::<T>::UnknownRound)?;
		ensure!(
			matches!(info.phase, RoundPhase::Aggregate | RoundPhase::Finalized),
			Error::<T>::WrongPhase
		);
		let stake = RoundValidators::<T>::get((model, round))
			.into_iter()
			.find_map(|(v, s)| (v == who).then_some(s))
			.ok_or(Error::<T>::NotRoundValidator)?;
		// A validator that withdrew its bond can no longer be slashed, so it may not vote
		// with its snapshot stake (a late report after finalization would escape the slash).
		ensure!(
			ValidatorBonds::<T>::contains_key(&who),
			Error::<T>::NotValidator
		);
		ensure!(
			!Reports::<T>::contains_key((model, round), &who),
			Error::<T>::AlreadyReported
		);
		ensure!(
			updates_root == UpdateSetRoot::<T>::get((model, round)),
			Error::<T>::WrongUpdateSet
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
		Self::deposit_event(Event::AggregateReported {
			model,
			round,
			validator: who.clone(),
			model_hash,
		});

		if let Some(finalized) = info.finalized_hash {
			if finalized != model_hash {
				Self::slash_validator(model, round, &who);
			}
			return Ok(Some(T::WeightInfo::report_aggregate(1, info.updates)).into());
		}
		let backing = HashStake::<T>::mutate((model, round), model_hash, |s| {
			*s = s.saturating_add(stake);
			*s
		});
		if Self::is_quorum(backing, info.validator_stake) {
			Self::finalize(model, round, info, model_hash);
			return Ok(().into());
		}
		Ok(Some(T::WeightInfo::report_aggregate(1, info.updates)).into())
	}

	/// The pre-dispatch weight of `report_aggregate`: a full snapshot and a full round, in
	/// whichever finalizing case costs more — every other report matching (score settlement
	/// over all of them) or every other report contradicting (all slashed).
	pub(crate) fn report_aggregate_worst_case() -> Weight {
		let (v, n) = (T::MaxValidators::get(), T::MaxUpdatesPerRound::get());
		T::WeightInfo::report_aggregate(v, n)
			.max(T::WeightInfo::report_aggregate_contradicted(v, n))
	}

	/// Whether `backing` is at least two thirds of `total` (and `total` is not zero).
	fn is_quorum(backing: BalanceOf<T>, total: BalanceOf<T>) -> bool {
		!total.is_zero() && backing.saturating_mul(3u32.into()) >= total.saturating_mul(2u32.into())
	}

	/// Records the finalized version, slashes contradicting validators, settles the accepted
	/// set and pays the round's rewards.
	fn finalize(model: ModelId, round: RoundIndex, mut info: RoundInfoOf<T>, model_hash: Digest) {
		let Some(view) = T::Models::model(model) else {
			Self::fail(model, round, &mut info, FailReason::ModelRetired);
			Rounds::<T>::insert(model, round, info);
			return;
		};
		let Some(version) = T::Models::append_version(model, round, model_hash) else {
			Self::fail(model, round, &mut info, FailReason::ModelRetired);
			Rounds::<T>::insert(model, round, info);
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
		Rounds::<T>::insert(model, round, info);
		Self::schedule(model, Self::now().saturating_add(1u32.into()));
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
