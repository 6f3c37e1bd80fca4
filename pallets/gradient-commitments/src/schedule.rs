//! The phase machine: the [`Agenda`] of when each model needs `on_initialize` next, opening
//! rounds, moving them from commit to reveal (or from buffer) to aggregate, and closing
//! rounds that fail.
//!
//! Finalization, the other way a round closes, is in `reports.rs`.

use crate::{
	pallet::*, BalanceOf, FailReason, RoundInfo, RoundInfoOf, RoundPhase, WeightInfo, LOG_TARGET,
};
use alloc::vec::Vec;
use fedledger_primitives::{
	model::Schedule,
	traits::{ModelActivation, ModelProvider, ModelStatus},
	ModelId, RoundIndex,
};
use frame_support::{defensive, pallet_prelude::*, traits::DefensiveTruncateFrom};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::{Saturating, Zero};

impl<T: Config> ModelActivation for Pallet<T> {
	/// Schedules the model's next round for the next block, unless it is already scheduled.
	fn on_model_activated(model: ModelId) {
		if Agenda::<T>::get().iter().any(|(m, _)| *m == model) {
			return;
		}
		Self::schedule(model, Self::now().saturating_add(1u32.into()));
	}
}

impl<T: Config> Pallet<T> {
	/// `on_initialize`: moves every model due at `now` on and reschedules (or drops) it.
	pub(crate) fn do_on_initialize(now: BlockNumberFor<T>) -> Weight {
		let agenda = Agenda::<T>::get();
		let due: Vec<ModelId> = agenda
			.iter()
			.filter(|(_, at)| *at <= now)
			.map(|(m, _)| *m)
			.collect();
		let mut weight = T::WeightInfo::on_initialize_idle();
		for model in due {
			weight.saturating_accrue(T::WeightInfo::advance_round(T::MaxUpdatesPerRound::get()));
			match Self::advance(model, now) {
				Some(at) => Self::schedule(model, at),
				None => Self::unschedule(model),
			}
		}
		weight
	}

	pub(crate) fn now() -> BlockNumberFor<T> {
		frame_system::Pallet::<T>::block_number()
	}

	/// `round` is `model`'s current round and in `phase`.
	pub(crate) fn current_round_in(
		model: ModelId,
		round: RoundIndex,
		phase: RoundPhase,
	) -> Result<RoundInfoOf<T>, DispatchError> {
		ensure!(
			CurrentRound::<T>::get(model) == Some(round),
			Error::<T>::UnknownRound
		);
		let info = Rounds::<T>::get(model, round).ok_or(Error::<T>::UnknownRound)?;
		ensure!(info.phase == phase, Error::<T>::WrongPhase);
		Ok(info)
	}

	/// Moves `model`'s round on at `now`; returns when it needs attention next, or `None` to
	/// drop it from the agenda (model paused, retired or gone, with no round in flight).
	pub(crate) fn advance(model: ModelId, now: BlockNumberFor<T>) -> Option<BlockNumberFor<T>> {
		let current = CurrentRound::<T>::get(model);
		let Some((round, mut info)) = current
			.and_then(|r| Rounds::<T>::get(model, r).map(|info| (r, info)))
			.filter(|(_, info)| !matches!(info.phase, RoundPhase::Finalized | RoundPhase::Failed))
		else {
			return Self::open_round(model, current.map_or(0, |r| r.saturating_add(1)), now);
		};
		let next = match info.phase {
			RoundPhase::Commit => {
				let reveal_blocks = match info.config.schedule {
					Schedule::Sync { reveal_blocks, .. } => reveal_blocks,
					Schedule::BufferedAsync { .. } => 1,
				};
				info.phase = RoundPhase::Reveal;
				info.phase_ends_at = now.saturating_add(reveal_blocks.into());
				Self::deposit_event(Event::RevealStarted {
					model,
					round,
					phase_ends_at: info.phase_ends_at,
				});
				info.phase_ends_at
			}
			RoundPhase::Reveal | RoundPhase::Buffer => {
				Self::slash_unrevealed(model, round);
				if info.updates >= info.config.schedule.min_updates() {
					Self::start_aggregation(model, round, &mut info)
				} else {
					Self::fail(model, round, &mut info, FailReason::TooFewUpdates);
					now.saturating_add(1u32.into())
				}
			}
			// The aggregate deadline passed without quorum (or the round is already closed).
			RoundPhase::Aggregate | RoundPhase::Finalized | RoundPhase::Failed => {
				Self::fail(model, round, &mut info, FailReason::NoQuorum);
				now.saturating_add(1u32.into())
			}
		};
		Rounds::<T>::insert(model, round, info);
		Some(next)
	}

	/// Opens round `round` of `model` if the model is active.
	fn open_round(
		model: ModelId,
		round: RoundIndex,
		now: BlockNumberFor<T>,
	) -> Option<BlockNumberFor<T>> {
		let view = T::Models::model(model).filter(|v| v.status == ModelStatus::Active)?;
		let (phase, blocks) = match view.config.schedule {
			Schedule::Sync { commit_blocks, .. } => (RoundPhase::Commit, commit_blocks),
			Schedule::BufferedAsync { buffer_blocks, .. } => (RoundPhase::Buffer, buffer_blocks),
		};
		let phase_ends_at = now.saturating_add(blocks.into());
		Rounds::<T>::insert(
			model,
			round,
			RoundInfo {
				base_version: view.version,
				base_hash: view.version_hash,
				config: view.config,
				parameter_count: view.parameter_count,
				opened_at: now,
				phase,
				phase_ends_at,
				commits: 0,
				updates: 0,
				validator_stake: Zero::zero(),
				finalized_hash: None,
			},
		);
		CurrentRound::<T>::insert(model, round);
		Self::deposit_event(Event::RoundOpened {
			model,
			round,
			base_version: view.version,
			base_hash: view.version_hash,
			phase_ends_at,
		});
		Some(phase_ends_at)
	}

	/// Snapshots the validator set and moves the round to its aggregate phase; returns the
	/// aggregate deadline.
	pub(crate) fn start_aggregation(
		model: ModelId,
		round: RoundIndex,
		info: &mut RoundInfoOf<T>,
	) -> BlockNumberFor<T> {
		// At most `ActiveValidators`' bound `MaxValidators` entries: nothing is truncated.
		let snapshot: BoundedVec<(T::AccountId, BalanceOf<T>), T::MaxValidators> =
			BoundedVec::defensive_truncate_from(
				ActiveValidators::<T>::get()
					.into_iter()
					.filter_map(|v| {
						ValidatorBonds::<T>::get(&v)
							.filter(|b| b.unbonding_at.is_none())
							.map(|b| (v, b.amount))
					})
					.collect(),
			);
		let total = snapshot
			.iter()
			.fold(BalanceOf::<T>::zero(), |acc, (_, s)| acc.saturating_add(*s));
		RoundValidators::<T>::insert((model, round), snapshot);
		let aggregate_blocks = match info.config.schedule {
			Schedule::Sync {
				aggregate_blocks, ..
			}
			| Schedule::BufferedAsync {
				aggregate_blocks, ..
			} => aggregate_blocks,
		};
		info.phase = RoundPhase::Aggregate;
		info.validator_stake = total;
		info.phase_ends_at = Self::now().saturating_add(aggregate_blocks.into());
		Self::deposit_event(Event::AggregationStarted {
			model,
			round,
			updates: info.updates,
			validator_stake: total,
			phase_ends_at: info.phase_ends_at,
		});
		info.phase_ends_at
	}

	/// Closes the round without a new version (the caller stores `info`).
	pub(crate) fn fail(
		model: ModelId,
		round: RoundIndex,
		info: &mut RoundInfoOf<T>,
		reason: FailReason,
	) {
		info.phase = RoundPhase::Failed;
		Self::clear_round_scratch(model, round);
		Self::deposit_event(Event::RoundFailed {
			model,
			round,
			reason,
		});
	}

	/// Commitments, seen payloads and hash stakes are only needed while the round is open.
	///
	/// A round holds at most [`Config::MaxUpdatesPerRound`] commitments and seen payloads (both
	/// are inserted only below that bound) and at most [`Config::MaxValidators`] reported
	/// hashes (one per validator of its snapshot), so each removal completes in one call; a
	/// removal that does not is a defensive failure.
	pub(crate) fn clear_round_scratch(model: ModelId, round: RoundIndex) {
		let limit = T::MaxUpdatesPerRound::get();
		let removals = [
			(
				"Commitments",
				Commitments::<T>::clear_prefix((model, round), limit, None),
			),
			(
				"SeenPayloads",
				SeenPayloads::<T>::clear_prefix((model, round), limit, None),
			),
			(
				"HashStake",
				HashStake::<T>::clear_prefix((model, round), T::MaxValidators::get(), None),
			),
		];
		for (map, removal) in removals {
			if removal.maybe_cursor.is_some() {
				log::error!(
					target: LOG_TARGET,
					"model {model} round {round}: {map} not fully cleared ({} keys removed)",
					removal.unique,
				);
				defensive!("a round's scratch storage exceeds its bound");
			}
		}
	}

	/// Sets when `model` needs `on_initialize` next (replacing any earlier entry).
	pub(crate) fn schedule(model: ModelId, at: BlockNumberFor<T>) {
		let full = Agenda::<T>::mutate(|agenda| {
			if let Some(entry) = agenda.iter_mut().find(|(m, _)| *m == model) {
				entry.1 = at;
				false
			} else {
				agenda.try_push((model, at)).is_err()
			}
		});
		if full {
			log::warn!(
				target: LOG_TARGET,
				"model {model} not scheduled: {} models already have a round in flight",
				T::MaxActiveModels::get(),
			);
			Self::deposit_event(Event::ScheduleFull { model });
		}
	}

	/// Drops `model` from the agenda.
	fn unschedule(model: ModelId) {
		Agenda::<T>::mutate(|agenda| agenda.retain(|(m, _)| *m != model));
	}
}
