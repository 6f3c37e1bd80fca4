//! Absent validators: a validator of a round's snapshot that has not reported by the time
//! the round settles is not paid for it (only matching reports share the validator reward),
//! and one that misses [`Config::MaxMissedReports`] settled rounds in a row — of any models —
//! loses its seat: it leaves [`ActiveValidators`] and its bond starts unbonding.
//!
//! Without this, stake that never reports costs its holder nothing while it keeps every
//! round below quorum: more than a third of the stake, silent, fails every round for free.
//! Removal is not a slash: being offline is not a provable fault, but a seat that does not
//! serve the rounds is given back to a validator that will.

use crate::pallet::*;
use alloc::vec::Vec;
use fedledger_primitives::{ModelId, RoundIndex};
use frame_support::pallet_prelude::*;

impl<T: Config> Pallet<T> {
	/// Counts each validator of `round`'s snapshot as present (its run of misses ends) or
	/// absent (its run grows, and at [`Config::MaxMissedReports`] it is removed).
	pub(crate) fn record_attendance(model: ModelId, round: RoundIndex) {
		let snapshot = RoundValidators::<T>::get((model, round));
		let absent: Vec<T::AccountId> = snapshot
			.into_iter()
			.filter_map(|(validator, _)| {
				if Reports::<T>::contains_key((model, round), &validator) {
					MissedReports::<T>::remove(&validator);
					None
				} else {
					Some(validator)
				}
			})
			.collect();
		for validator in absent {
			Self::miss_report(model, round, validator);
		}
	}

	/// `validator` did not report in `round`.
	fn miss_report(model: ModelId, round: RoundIndex, validator: T::AccountId) {
		let missed = MissedReports::<T>::mutate(&validator, |n| {
			*n = n.saturating_add(1);
			*n
		});
		Self::deposit_event(Event::ReportMissed {
			model,
			round,
			validator: validator.clone(),
			missed,
		});
		if missed < T::MaxMissedReports::get() {
			return;
		}
		MissedReports::<T>::remove(&validator);
		// It may have left the set since the snapshot (unregistered or evicted): then it is
		// unbonding already and there is no seat to take.
		let seated = ActiveValidators::<T>::get().contains(&validator);
		if !seated {
			return;
		}
		if let Ok(at) = Self::start_validator_unbonding(&validator) {
			ActiveValidators::<T>::mutate(|set| set.retain(|v| v != &validator));
			Self::deposit_event(Event::ValidatorRemoved {
				validator,
				missed,
				at,
			});
		}
	}
}
