//! Pruning of old rounds in `on_idle`, so that per-round storage stays bounded.
//!
//! A round's storage — [`Rounds`], [`Updates`], [`UpdateOrder`], [`Reports`],
//! [`RoundValidators`], and whatever scratch ([`Commitments`], [`SeenPayloads`],
//! [`HashStake`], [`ReportCommitments`], [`ReportCount`], [`ReportCommitCount`],
//! [`RevealCongestion`]) an abandoned round left (returning
//! its unrevealed commitments' deposits) — is needed while the round runs and, for a while
//! after, by workers that rebuild the version it produced from chain data. A round is
//! **prunable** when
//!
//! - it is closed (finalized or failed) and at least [`Config::RoundRetention`] rounds behind
//!   its model's current round, or
//! - its model is retired (or gone): nobody trains it any more, and the round in flight of a
//!   retired model is abandoned (see `schedule.rs`).
//!
//! What stays for every round is the registry's version chain (each finalized round's
//! version records its hash, its parent's hash, the round and the block), and
//! [`CurrentRound`] per model, so round indices are never reused.
//!
//! `on_idle` walks [`Rounds`] in storage order from [`PruneCursor`], wrapping around at the
//! end, and prunes each prunable round it visits. Every visit is charged the benchmarked cost
//! of pruning a full round (`prune_round`), so the walk never uses more than the weight left
//! in the block, and at most [`MAX_VISITS_PER_BLOCK`] rounds are visited per block.

use crate::{pallet::*, WeightInfo};
use alloc::vec::Vec;
use fedledger_primitives::{
	traits::{ModelProvider, ModelStatus},
	ModelId, RoundIndex,
};
use frame_support::{pallet_prelude::*, weights::WeightMeter};

/// Most rounds `on_idle` visits in one block, whatever weight is left: bounds the keys it
/// collects up front.
pub const MAX_VISITS_PER_BLOCK: u32 = 64;

impl<T: Config> Pallet<T> {
	/// `on_idle`: prunes prunable rounds while `remaining` pays for another visit; returns the
	/// weight used.
	pub(crate) fn do_on_idle(remaining: Weight) -> Weight {
		let mut meter = WeightMeter::with_limit(remaining);
		let visit = T::WeightInfo::prune_round();
		// The cursor's read and write.
		if meter
			.try_consume(T::DbWeight::get().reads_writes(1, 1))
			.is_err()
		{
			return Weight::zero();
		}
		let affordable = meter
			.remaining()
			.checked_div_per_component(&visit)
			.unwrap_or(0)
			.min(u64::from(MAX_VISITS_PER_BLOCK)) as usize;
		if affordable == 0 {
			return meter.consumed();
		}
		let keys: Vec<(ModelId, RoundIndex)> = match PruneCursor::<T>::get() {
			Some(raw) => Rounds::<T>::iter_keys_from(raw.into_inner())
				.take(affordable)
				.collect(),
			None => Rounds::<T>::iter_keys().take(affordable).collect(),
		};
		for (model, round) in &keys {
			meter.consume(visit);
			Self::visit_round(*model, *round);
		}
		// A short batch reached the end of the map: start over next time.
		let cursor = if keys.len() < affordable {
			None
		} else {
			keys.last().and_then(|(model, round)| {
				BoundedVec::try_from(Rounds::<T>::hashed_key_for(model, round)).ok()
			})
		};
		PruneCursor::<T>::set(cursor);
		meter.consumed()
	}

	/// One step of the walk: prunes `round` of `model` if it is prunable (what the
	/// `prune_round` benchmark measures, on a full round).
	pub(crate) fn visit_round(model: ModelId, round: RoundIndex) {
		if Self::is_prunable(model, round) {
			Self::prune_round(model, round);
		}
	}

	/// Whether `round` of `model` may be pruned (see the module docs).
	pub(crate) fn is_prunable(model: ModelId, round: RoundIndex) -> bool {
		if !Self::is_live(model) {
			return true;
		}
		let closed = Rounds::<T>::get(model, round).is_some_and(|info| info.phase.is_closed());
		let current = CurrentRound::<T>::get(model).unwrap_or_default();
		closed && round.saturating_add(T::RoundRetention::get()) < current
	}

	/// Whether `model` is registered and not retired.
	pub(crate) fn is_live(model: ModelId) -> bool {
		T::Models::model(model).is_some_and(|v| v.status != ModelStatus::Retired)
	}

	/// Removes everything stored for `round` of `model`, and returns the deposits of the
	/// commitments an abandoned round left unrevealed (its committers did nothing wrong: the
	/// model was retired under them). Each map holds at most its bound's keys for one round
	/// ([`Config::MaxCommitsPerRound`] commitments, [`Config::MaxUpdatesPerRound`] updates
	/// and seen payloads, [`Config::MaxValidators`] reports, report commitments and reported
	/// hashes), so every
	/// removal completes.
	pub(crate) fn prune_round(model: ModelId, round: RoundIndex) {
		let key = (model, round);
		let updates = T::MaxUpdatesPerRound::get();
		let validators = T::MaxValidators::get();
		let deposit = Rounds::<T>::take(model, round).map(|info| Self::commit_deposit(&info));
		for who in Commitments::<T>::drain_prefix(key).map(|(who, _)| who) {
			if let Some(deposit) = deposit.filter(|_| !Updates::<T>::contains_key(key, &who)) {
				Self::release_deposit(model, round, &who, deposit);
			}
		}
		UpdateOrder::<T>::remove(key);
		RoundValidators::<T>::remove(key);
		UpdateSetRoot::<T>::remove(key);
		ReportCount::<T>::remove(key);
		ReportCommitCount::<T>::remove(key);
		RevealCongestion::<T>::remove(key);
		let _ = Updates::<T>::clear_prefix(key, updates, None);
		let _ = Reports::<T>::clear_prefix(key, validators, None);
		let _ = ReportCommitments::<T>::clear_prefix(key, validators, None);
		let _ = SeenPayloads::<T>::clear_prefix(key, updates, None);
		let _ = HashStake::<T>::clear_prefix(key, validators, None);
	}
}
