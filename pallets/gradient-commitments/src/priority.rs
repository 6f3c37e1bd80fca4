//! Pool priority for FL calls in their phase: [`PrioritizeFlCalls`], a transaction extension.
//!
//! A reveal or report that waits in the pool behind ordinary transactions until its window
//! closes is slashed or unpaid, and an attacker can fill blocks at the ordinary fee. The FL
//! calls are dispatched in the operational class (block space ordinary transactions cannot
//! take); this extension also puts them first in the pool, while their window is open.
//!
//! A call gets [`FL_PHASE_PRIORITY`] on top of its fee-based priority when its round is its
//! model's current round, in the call's phase, and its signer may make it there:
//!
//! - `commit_update`: commit phase (buffered mode: buffer phase), past the opening block,
//!   bonded, not yet committed;
//! - `reveal_update`: reveal phase, a commitment not yet revealed;
//! - `submit_update`: buffer phase, past the opening block, bonded, a commitment from an
//!   earlier block, not yet submitted;
//! - `commit_report`: aggregate phase, in the round's snapshot, not yet committed;
//! - `report_aggregate`: report-reveal phase, a report commitment not yet revealed.
//!
//! Anything else — ordinary calls, FL calls out of their phase or from accounts that cannot
//! make them (junk sent to crowd the window) — gets nothing. The extension never refuses a
//! transaction: a call that fails still fails at dispatch, with its typed pallet error.
//!
//! The boost is half the priority range. `ChargeTransactionPayment` scales an ordinary
//! transaction's tip by how many such transactions fit a block, so an ordinary transaction
//! outranks a boosted FL call only with a tip of about `2⁶³ / (transactions per block)`
//! planck — for a transfer, tens of UNIT per transaction, for every transaction of a block.

use crate::{pallet::*, RoundPhase, WeightInfo};
use codec::{Decode, DecodeWithMemTracking, Encode};
use core::marker::PhantomData;
use fedledger_primitives::{ModelId, RoundIndex};
use frame_support::{pallet_prelude::*, traits::IsSubType, DefaultNoBound};
use scale_info::TypeInfo;
use sp_runtime::{
	impl_tx_ext_default,
	traits::{DispatchInfoOf, TransactionExtension, ValidateResult},
	transaction_validity::{TransactionPriority, TransactionSource, ValidTransaction},
};

/// The priority an FL call in its phase gets on top of its fee-based priority.
pub const FL_PHASE_PRIORITY: TransactionPriority = TransactionPriority::MAX / 2;

/// Puts FL calls in their phase first in the pool (see the module docs).
#[derive(Encode, Decode, DecodeWithMemTracking, DefaultNoBound, Clone, Eq, PartialEq, TypeInfo)]
#[scale_info(skip_type_params(T))]
pub struct PrioritizeFlCalls<T>(PhantomData<T>);

impl<T> PrioritizeFlCalls<T> {
	/// The extension (it carries no data).
	pub fn new() -> Self {
		Self(PhantomData)
	}
}

impl<T> core::fmt::Debug for PrioritizeFlCalls<T> {
	fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
		write!(f, "PrioritizeFlCalls")
	}
}

impl<T: Config> Pallet<T> {
	/// Whether `who` may make `call` now, in its round's phase (see the module docs).
	pub fn fl_call_in_phase(who: &T::AccountId, call: &Call<T>) -> bool {
		let open = |model: ModelId, round: RoundIndex, phase: RoundPhase| {
			Self::current_round_in(model, round, phase).is_ok()
		};
		let fresh = |model: ModelId, round: RoundIndex, phase: RoundPhase| {
			Self::current_round_in(model, round, phase)
				.is_ok_and(|info| Self::ensure_not_just_opened(&info).is_ok())
		};
		match call {
			Call::commit_update { model, round, .. } => {
				fresh(*model, *round, Self::commit_phase(*model, *round))
					&& Self::ensure_bonded(*model, who).is_ok()
					&& !Commitments::<T>::contains_key((*model, *round), who)
			}
			Call::reveal_update { model, round, .. } => {
				open(*model, *round, RoundPhase::Reveal)
					&& Commitments::<T>::contains_key((*model, *round), who)
					&& !Updates::<T>::contains_key((*model, *round), who)
			}
			Call::submit_update { model, round, .. } => {
				fresh(*model, *round, RoundPhase::Buffer)
					&& Self::ensure_bonded(*model, who).is_ok()
					&& Self::earlier_commitment(*model, *round, who).is_ok()
					&& !Updates::<T>::contains_key((*model, *round), who)
			}
			Call::commit_report { model, round, .. } => {
				open(*model, *round, RoundPhase::Aggregate)
					&& RoundValidators::<T>::get((*model, *round))
						.iter()
						.any(|(v, _)| v == who)
					&& !ReportCommitments::<T>::contains_key((*model, *round), who)
			}
			// Only snapshot validators can have committed.
			Call::report_aggregate { model, round, .. } => {
				open(*model, *round, RoundPhase::ReportReveal)
					&& ReportCommitments::<T>::contains_key((*model, *round), who)
					&& !Reports::<T>::contains_key((*model, *round), who)
			}
			_ => false,
		}
	}
}

impl<T: Config + Send + Sync> TransactionExtension<<T as frame_system::Config>::RuntimeCall>
	for PrioritizeFlCalls<T>
where
	<T as frame_system::Config>::RuntimeCall: IsSubType<Call<T>>,
{
	const IDENTIFIER: &'static str = "PrioritizeFlCalls";
	type Implicit = ();
	type Val = ();
	type Pre = ();

	fn weight(&self, call: &<T as frame_system::Config>::RuntimeCall) -> Weight {
		match call.is_sub_type() {
			Some(
				Call::commit_update { .. }
				| Call::reveal_update { .. }
				| Call::submit_update { .. }
				| Call::commit_report { .. }
				| Call::report_aggregate { .. },
			) => T::WeightInfo::prioritize_fl_call(),
			_ => Weight::zero(),
		}
	}

	fn validate(
		&self,
		origin: <T as frame_system::Config>::RuntimeOrigin,
		call: &<T as frame_system::Config>::RuntimeCall,
		_info: &DispatchInfoOf<<T as frame_system::Config>::RuntimeCall>,
		_len: usize,
		_self_implicit: Self::Implicit,
		_inherited_implication: &impl Encode,
		_source: TransactionSource,
	) -> ValidateResult<Self::Val, <T as frame_system::Config>::RuntimeCall> {
		use frame_support::traits::OriginTrait;
		let boosted = match (origin.as_signer(), call.is_sub_type()) {
			(Some(who), Some(fl)) => Pallet::<T>::fl_call_in_phase(who, fl),
			_ => false,
		};
		let priority = if boosted { FL_PHASE_PRIORITY } else { 0 };
		Ok((
			ValidTransaction {
				priority,
				..Default::default()
			},
			(),
			origin,
		))
	}

	impl_tx_ext_default!(<T as frame_system::Config>::RuntimeCall; prepare);
}
