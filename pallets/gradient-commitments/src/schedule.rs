//! The phase machine: the [`Agenda`] of when each model needs `on_initialize` next, opening
//! rounds, moving them from commit to reveal (or from buffer) to aggregate and on to report
//! reveal, and closing rounds that fail.
//!
//! Finalization, the other way a round closes, is in `reports.rs`.

use crate::{
	pallet::*, tensor_codec, BalanceOf, FailReason, RoundInfo, RoundInfoOf, RoundPhase, WeightInfo,
	LOG_TARGET,
};
use alloc::vec::Vec;
use fedledger_primitives::{
	model::Schedule,
	traits::{ModelProvider, ModelStatus, RoundScheduler, ScheduleError},
	Digest, ModelId, RoundIndex,
};
use frame_support::{defensive, pallet_prelude::*, traits::DefensiveTruncateFrom};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::{Saturating, Zero};

/// Shortest commit, aggregate or buffer window: a worker learns that a phase started only
/// once it has imported the block that opened it, so a one-block window is already over when
/// an honest worker can first act in it.
pub const MIN_PHASE_BLOCKS: u32 = 2;

/// Windows a synchronous round runs through, each at most [`Config::MaxPhaseBlocks`] long:
/// commit, reveal (extended under congestion up to that bound), aggregate (report
/// commitments) and report reveal. A buffered round has one window fewer. A bond must stay
/// slashable this long ([`Config::UnbondingDelay`]).
pub const LONGEST_ROUND_PHASES: u32 = 4;

/// Bytes a signed reveal carries besides its payload (address, signature, transaction
/// extensions, call index, model, round, the payload's length prefix, salt, sample count),
/// rounded up: used only to count how many reveals fit a block.
pub const REVEAL_OVERHEAD_BYTES: u32 = 256;

impl<T: Config> RoundScheduler for Pallet<T> {
	/// Phases of at least [`MIN_PHASE_BLOCKS`] and at most [`Config::MaxPhaseBlocks`];
	/// `min_updates` and `buffer_size` within [`Config::MaxUpdatesPerRound`]; a reveal window
	/// that carries every update slot's dense payload, and a buffer window that carries
	/// `min_updates` of them, at the normal block length and weight plus one block of latency
	/// (see [`Pallet::blocks_to_carry`]) — and, in a buffer, one more block for the
	/// commitments the submissions must follow.
	fn check_schedule(schedule: &Schedule, parameter_count: u32) -> Result<(), ScheduleError> {
		let slots = T::MaxUpdatesPerRound::get();
		let (windows, carry_window, carried, commit_lead) = match *schedule {
			Schedule::Sync {
				commit_blocks,
				reveal_blocks,
				aggregate_blocks,
				min_updates,
			} => {
				if min_updates > slots {
					return Err(ScheduleError::MoreUpdatesThanSlots);
				}
				// Every committer must be able to reveal, or it is slashed.
				([commit_blocks, aggregate_blocks], reveal_blocks, slots, 0)
			}
			Schedule::BufferedAsync {
				buffer_size,
				buffer_blocks,
				aggregate_blocks,
				min_updates,
				..
			} => {
				if buffer_size > slots {
					return Err(ScheduleError::MoreUpdatesThanSlots);
				}
				// Nobody is slashed in a buffer; it must be able to reach `min_updates`.
				(
					[buffer_blocks, aggregate_blocks],
					buffer_blocks,
					min_updates,
					1,
				)
			}
		};
		let max = T::MaxPhaseBlocks::get();
		for blocks in windows.into_iter().chain([carry_window]) {
			if blocks < MIN_PHASE_BLOCKS {
				return Err(ScheduleError::PhaseTooShort);
			}
			if blocks > max {
				return Err(ScheduleError::PhaseTooLong);
			}
		}
		let payload_len = tensor_codec::HEADER_LEN as u64 + 4 * u64::from(parameter_count);
		match Self::blocks_to_carry(carried, payload_len) {
			Some(needed) if u64::from(carry_window) >= needed + commit_lead => Ok(()),
			_ => Err(ScheduleError::WindowTooShortForPayload),
		}
	}

	fn on_model_activated(model: ModelId) -> Result<(), ScheduleError> {
		if Agenda::<T>::get().iter().any(|(m, _)| *m == model) {
			return Ok(());
		}
		Agenda::<T>::try_mutate(|agenda| {
			agenda
				.try_push((model, Self::now().saturating_add(1u32.into())))
				.map_err(|_| ScheduleError::AgendaFull)
		})
	}

	/// Frees the agenda slot at once. The round in flight is abandoned where it stands:
	/// commits, reveals, submits and bonds to a retired model are refused (`ModelRetired`), nobody
	/// is slashed or paid for it, and its storage is pruned with the model's other rounds
	/// (`pruning.rs`). Touching only the agenda keeps retiring O(1).
	fn on_model_retired(model: ModelId) {
		Self::unschedule(model);
		InterruptedRound::<T>::remove(model);
	}

	/// Marks the round in flight interrupted if it still takes commitments, reveals or
	/// buffered updates: nobody is slashed for not revealing in it (see `slashing.rs`). It
	/// runs to its end otherwise; no new round opens until the model is resumed.
	fn on_model_paused(model: ModelId) {
		Self::interrupt_round(model);
	}
}

impl<T: Config> Pallet<T> {
	/// `on_initialize`: moves every model due at `now` on and reschedules (or drops) it.
	/// Returns the weight of what it did: each due model is charged `advance_round` for the
	/// commitments (or updates) its transition actually touched.
	pub(crate) fn do_on_initialize(now: BlockNumberFor<T>) -> Weight {
		let agenda = Agenda::<T>::get();
		let due: Vec<ModelId> = agenda
			.iter()
			.filter(|(_, at)| *at <= now)
			.map(|(m, _)| *m)
			.collect();
		let mut weight = T::WeightInfo::on_initialize_idle();
		for model in due {
			let (next, used) = Self::advance(model, now);
			weight.saturating_accrue(used);
			match next {
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
	/// drop it from the agenda (model paused, retired or gone, with no round in flight), and
	/// the weight that bounds what it did: `advance_round(n)` for the round's `n`
	/// commitments (or buffered updates) at a reveal or buffer deadline, where each may be
	/// slashed and is cleared; the settlement's worst case at a report-reveal deadline, or an
	/// aggregate deadline nobody committed a report by (see
	/// [`Pallet::deadline_settlement_weight`]); `advance_round(1)` otherwise.
	pub(crate) fn advance(
		model: ModelId,
		now: BlockNumberFor<T>,
	) -> (Option<BlockNumberFor<T>>, Weight) {
		let current = CurrentRound::<T>::get(model);
		let Some((round, mut info)) = current
			.and_then(|r| Rounds::<T>::get(model, r).map(|info| (r, info)))
			.filter(|(_, info)| !matches!(info.phase, RoundPhase::Finalized | RoundPhase::Failed))
		else {
			let next = Self::open_round(model, current.map_or(0, |r| r.saturating_add(1)), now);
			return (next, T::WeightInfo::advance_round(1));
		};
		let (next, touched) = match info.phase {
			RoundPhase::Commit => {
				let reveal_blocks = match info.config.schedule {
					Schedule::Sync { reveal_blocks, .. } => reveal_blocks,
					Schedule::BufferedAsync { .. } => 1,
				};
				let drawn_from = Self::draw_slots(model, round, &mut info);
				Self::open_reveal_window(model, round);
				info.phase = RoundPhase::Reveal;
				info.phase_ends_at = now.saturating_add(reveal_blocks.into());
				Self::deposit_event(Event::RevealStarted {
					model,
					round,
					phase_ends_at: info.phase_ends_at,
				});
				let touched = if drawn_from > 0 {
					T::WeightInfo::draw_slots(drawn_from)
				} else {
					T::WeightInfo::advance_round(1)
				};
				(info.phase_ends_at, touched)
			}
			RoundPhase::Reveal | RoundPhase::Buffer => {
				let touched = T::WeightInfo::advance_round(info.commits.max(info.updates).max(1));
				// A reveal window congested past its slack gets more blocks first. A buffered
				// commitment owes no update (the buffer may fill first): only a reveal
				// window's commitments are slashed for going unrevealed.
				if info.phase == RoundPhase::Reveal {
					if let Some(until) = Self::extend_congested_reveal(model, round, &mut info, now)
					{
						Rounds::<T>::insert(model, round, info);
						return (Some(until), touched);
					}
					Self::slash_unrevealed(model, round, &info);
				}
				if info.updates >= info.config.schedule.min_updates() {
					(Self::start_aggregation(model, round, &mut info), touched)
				} else {
					Self::fail(model, round, &mut info, FailReason::TooFewUpdates);
					(now.saturating_add(1u32.into()), touched)
				}
			}
			// Report commitments closed: their reveals start, unless nobody committed (then
			// nothing can be revealed, and the round settles without quorum now).
			RoundPhase::Aggregate => match ReportCommitCount::<T>::get((model, round)) {
				0 => {
					Self::settle(model, round, &mut info);
					(
						now.saturating_add(1u32.into()),
						Self::deadline_settlement_weight(),
					)
				}
				committed => (
					Self::start_report_reveal(model, round, &mut info, committed),
					T::WeightInfo::advance_round(1),
				),
			},
			// The report-reveal window closed: settle whatever was revealed in it.
			RoundPhase::ReportReveal => {
				Self::settle(model, round, &mut info);
				(
					now.saturating_add(1u32.into()),
					Self::deadline_settlement_weight(),
				)
			}
			// Filtered out above; kept for exhaustiveness.
			RoundPhase::Finalized | RoundPhase::Failed => (
				now.saturating_add(1u32.into()),
				T::WeightInfo::advance_round(1),
			),
		};
		Rounds::<T>::insert(model, round, info);
		(Some(next), touched)
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
				aggregation_seed: [0; 32],
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
		let aggregate_blocks = info.config.schedule.aggregate_blocks();
		info.phase = RoundPhase::Aggregate;
		info.validator_stake = total;
		info.aggregation_seed = Self::aggregation_seed(model, round);
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

	/// The round's aggregation seed, drawn as it stops taking updates. In a synchronous round
	/// this runs in the first block after the reveal window, so the parent is the window's last
	/// block: its hash is fixed only after every reveal, and no trainer's payload or decision to
	/// reveal can pick the permutation (a block author can still grind its own block, as with
	/// every parent-hash seed on an Aura chain). In buffered mode it runs in the extrinsic that
	/// fills the buffer (or at the deadline); the parent hash was fixed before that update, whose
	/// commitment preceded it.
	fn aggregation_seed(model: ModelId, round: RoundIndex) -> Digest {
		use sp_runtime::traits::{BlakeTwo256, Hash};
		let parent = frame_system::Pallet::<T>::parent_hash();
		BlakeTwo256::hash_of(&(b"fedledger/aggregation-seed", model, round, parent)).0
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

	/// Commitments, report commitments, hash stakes and the report counts are only needed
	/// while the round is open; seen payloads
	/// until [`Config::ReplayWindow`] more rounds have closed (this clears those of the round
	/// that many rounds back).
	///
	/// A round holds at most [`Config::MaxCommitsPerRound`] commitments and
	/// [`Config::MaxUpdatesPerRound`] seen payloads (each inserted only below its bound) and at most [`Config::MaxValidators`] reported
	/// hashes (one per validator of its snapshot), so each removal completes in one call; a
	/// removal that does not is a defensive failure.
	pub(crate) fn clear_round_scratch(model: ModelId, round: RoundIndex) {
		let limit = T::MaxUpdatesPerRound::get();
		let mut removals = alloc::vec![
			(
				"Commitments",
				Commitments::<T>::clear_prefix((model, round), T::MaxCommitsPerRound::get(), None),
			),
			(
				"HashStake",
				HashStake::<T>::clear_prefix((model, round), T::MaxValidators::get(), None),
			),
			(
				"ReportCommitments",
				ReportCommitments::<T>::clear_prefix((model, round), T::MaxValidators::get(), None,),
			),
		];
		ReportCount::<T>::remove((model, round));
		ReportCommitCount::<T>::remove((model, round));
		RevealCongestion::<T>::remove((model, round));
		// Seen payloads stay for the replay check of the next `ReplayWindow` rounds.
		if let Some(expired) = round.checked_sub(T::ReplayWindow::get()) {
			removals.push((
				"SeenPayloads",
				SeenPayloads::<T>::clear_prefix((model, expired), limit, None),
			));
		}
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

	/// Blocks a window needs to carry `updates` signed transactions of `payload_len` bytes
	/// each: as many blocks as the normal dispatch class's length and weight limits need, plus
	/// one block of latency (a worker acts one block after the phase opened). `None` if one
	/// such transaction alone exceeds a block.
	pub fn blocks_to_carry(updates: u32, payload_len: u64) -> Option<u64> {
		let normal = DispatchClass::Normal;
		let length = u64::from(
			*<T as frame_system::Config>::BlockLength::get()
				.max
				.get(normal),
		);
		let weights = <T as frame_system::Config>::BlockWeights::get();
		let class = weights.get(normal);
		let budget = class.max_total.unwrap_or(weights.max_block);
		let payload_len_u32 = u32::try_from(payload_len).ok()?;
		let per_tx = T::WeightInfo::reveal_update(payload_len_u32)
			.max(T::WeightInfo::submit_update(payload_len_u32))
			.saturating_add(class.base_extrinsic);
		let by_length = length.checked_div(payload_len + u64::from(REVEAL_OVERHEAD_BYTES))?;
		let by_time = budget
			.ref_time()
			.checked_div(per_tx.ref_time())
			.unwrap_or(u64::MAX);
		let by_proof = budget
			.proof_size()
			.checked_div(per_tx.proof_size())
			.unwrap_or(u64::MAX);
		let per_block = by_length.min(by_time).min(by_proof);
		if per_block == 0 {
			return None;
		}
		Some(u64::from(updates).div_ceil(per_block) + 1)
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
	pub(crate) fn unschedule(model: ModelId) {
		Agenda::<T>::mutate(|agenda| agenda.retain(|(m, _)| *m != model));
	}
}
