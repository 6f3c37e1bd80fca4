//! Update intake: commitments and reveals (synchronous mode), commitments and submissions
//! (buffered mode), and the checks every update passes before it is recorded.
//!
//! Both modes bind an update to its trainer before anyone can read it. In synchronous mode
//! the commit window closes before the reveal window opens. A buffer has no such deadline, so
//! a buffered submission must match a commitment made in an *earlier block*: a copier reading
//! a submission in the pool can commit to the payload no sooner than the block that includes
//! the original, and its copy is then a duplicate. (A commitment in the same block would let
//! a copier with a higher tip place commitment and copy ahead of the original.)

use crate::{
	pallet::*, schedule::REVEAL_OVERHEAD_BYTES, Commitment, CommitmentOf, PayloadOf, RoundInfoOf,
	RoundPhase, UpdateRecord, WeightInfo, LOG_TARGET,
};
use codec::Encode;
use fedledger_primitives::{
	model::Schedule,
	rules::micro_to_f64,
	tensor_codec,
	traits::{ModelProvider, ModelStatus},
	Digest, ModelId, RoundIndex, VersionIndex,
};
use frame_support::pallet_prelude::*;

impl<T: Config> Pallet<T> {
	/// [`Pallet::commit_update`].
	pub(crate) fn do_commit_update(
		who: T::AccountId,
		model: ModelId,
		round: RoundIndex,
		commitment: Digest,
	) -> DispatchResult {
		let mut info = Self::current_round_in(model, round, Self::commit_phase(model, round))?;
		Self::ensure_not_just_opened(&info)?;
		Self::ensure_not_retired(model)?;
		Self::ensure_bonded(model, &who)?;
		ensure!(
			!Commitments::<T>::contains_key((model, round), &who),
			Error::<T>::AlreadyCommitted
		);
		if info.commits >= T::MaxCommitsPerRound::get() {
			Self::evict_smallest_entry(model, round, &mut info, &who)?;
		}
		Self::hold_deposit(&who, Self::commit_deposit(&info))?;
		info.commits += 1;
		Commitments::<T>::insert(
			(model, round),
			&who,
			Commitment {
				digest: commitment,
				at: Self::now(),
			},
		);
		Rounds::<T>::insert(model, round, info);
		Self::deposit_event(Event::UpdateCommitted {
			model,
			round,
			trainer: who,
		});
		Ok(())
	}

	/// [`Pallet::reveal_update`].
	pub(crate) fn do_reveal_update(
		who: T::AccountId,
		model: ModelId,
		round: RoundIndex,
		payload: PayloadOf<T>,
		salt: [u8; 32],
		num_samples: u32,
	) -> DispatchResult {
		let info = Self::current_round_in(model, round, RoundPhase::Reveal)?;
		Self::ensure_not_retired(model)?;
		let commitment =
			Commitments::<T>::get((model, round), &who).ok_or(Error::<T>::NotCommitted)?;
		ensure!(
			!Updates::<T>::contains_key((model, round), &who),
			Error::<T>::AlreadyRevealed
		);
		Self::ensure_matches(&commitment, &payload, &salt, &who)?;
		let base_version = info.base_version;
		let deposit = Self::commit_deposit(&info);
		let weight = T::WeightInfo::reveal_update(payload.len() as u32);
		Self::accept_update(
			model,
			round,
			info,
			who.clone(),
			&payload,
			num_samples,
			base_version,
		)?;
		Self::note_update_usage(weight, payload.len() as u32 + REVEAL_OVERHEAD_BYTES);
		Self::release_deposit(model, round, &who, deposit);
		Ok(())
	}

	/// [`Pallet::submit_update`].
	pub(crate) fn do_submit_update(
		who: T::AccountId,
		model: ModelId,
		round: RoundIndex,
		base_version: VersionIndex,
		payload: PayloadOf<T>,
		salt: [u8; 32],
		num_samples: u32,
	) -> DispatchResult {
		let mut info = Self::current_round_in(model, round, RoundPhase::Buffer)?;
		Self::ensure_not_just_opened(&info)?;
		Self::ensure_not_retired(model)?;
		Self::ensure_bonded(model, &who)?;
		ensure!(
			!Updates::<T>::contains_key((model, round), &who),
			Error::<T>::AlreadyRevealed
		);
		let commitment = Self::earlier_commitment(model, round, &who)?;
		Self::ensure_matches(&commitment, &payload, &salt, &who)?;
		ensure!(
			info.updates < T::MaxUpdatesPerRound::get(),
			Error::<T>::RoundFull
		);
		ensure!(base_version <= info.base_version, Error::<T>::FutureVersion);
		if let Schedule::BufferedAsync { max_staleness, .. } = info.config.schedule {
			ensure!(
				info.base_version - base_version <= max_staleness,
				Error::<T>::TooStale
			);
		}
		let weight = T::WeightInfo::submit_update(payload.len() as u32);
		// The submission consumes its commitment: the bound on commitments counts those still
		// waiting for their update. (A refused update changes nothing: calls are transactional.)
		Commitments::<T>::remove((model, round), &who);
		info.commits = info.commits.saturating_sub(1);
		Self::accept_update(model, round, info, who, &payload, num_samples, base_version)?;
		Self::note_update_usage(weight, payload.len() as u32 + REVEAL_OVERHEAD_BYTES);
		Ok(())
	}

	/// The phase in which `model`'s round `round` takes commitments: the commit phase, or in
	/// buffered mode the buffer. (A round that does not exist fails the phase check after.)
	pub(crate) fn commit_phase(model: ModelId, round: RoundIndex) -> RoundPhase {
		match Rounds::<T>::get(model, round).map(|info| info.config.schedule) {
			Some(Schedule::BufferedAsync { .. }) => RoundPhase::Buffer,
			_ => RoundPhase::Commit,
		}
	}

	/// `who`'s commitment in `round` of `model`, if it was made in an earlier block: what a
	/// buffered submission must follow (see the module docs).
	pub(crate) fn earlier_commitment(
		model: ModelId,
		round: RoundIndex,
		who: &T::AccountId,
	) -> Result<CommitmentOf<T>, DispatchError> {
		let commitment =
			Commitments::<T>::get((model, round), who).ok_or(Error::<T>::NotCommitted)?;
		ensure!(commitment.at < Self::now(), Error::<T>::CommittedThisBlock);
		Ok(commitment)
	}

	/// Whether `payload` and `salt` are what `who` committed to.
	fn ensure_matches(
		commitment: &CommitmentOf<T>,
		payload: &[u8],
		salt: &[u8; 32],
		who: &T::AccountId,
	) -> DispatchResult {
		ensure!(
			tensor_codec::commitment(payload, salt, &who.encode()) == commitment.digest,
			Error::<T>::CommitmentMismatch
		);
		Ok(())
	}

	/// No commitment or update is taken in the block that opened the round: a transaction
	/// placed in the pool before the round existed would otherwise be first in line for it.
	/// An honest worker learns of the round from that block and acts in a later one.
	pub(crate) fn ensure_not_just_opened(info: &RoundInfoOf<T>) -> DispatchResult {
		ensure!(Self::now() > info.opened_at, Error::<T>::RoundJustOpened);
		Ok(())
	}

	/// Checks an update payload and records it (shared by reveal and submit); the update that
	/// fills a buffered round's buffer starts its aggregation.
	fn accept_update(
		model: ModelId,
		round: RoundIndex,
		mut info: RoundInfoOf<T>,
		who: T::AccountId,
		payload: &[u8],
		num_samples: u32,
		base_version: VersionIndex,
	) -> DispatchResult {
		ensure!(num_samples > 0, Error::<T>::ZeroSamples);
		let bounds = info.config.update_bounds;
		ensure!(
			num_samples <= bounds.max_samples,
			Error::<T>::TooManySamples
		);
		let (header, magnitude) =
			tensor_codec::measure(payload, info.parameter_count).map_err(|e| match e {
				tensor_codec::CodecError::TooManyParams { .. } => Error::<T>::ShapeMismatch,
				_ => Error::<T>::MalformedPayload,
			})?;
		ensure!(
			header.param_count == info.parameter_count,
			Error::<T>::ShapeMismatch
		);
		// Float comparisons of checked-finite values against exact conversions of the
		// configured integers: deterministic on every node (see `tensor_codec::Magnitude`).
		ensure!(
			f64::from(magnitude.max_abs) <= micro_to_f64(bounds.max_value),
			Error::<T>::ValueOutOfBounds
		);
		ensure!(
			magnitude.norm_at_most(micro_to_f64(bounds.max_norm)),
			Error::<T>::NormOutOfBounds
		);
		let payload_hash = tensor_codec::digest(payload);
		ensure!(
			!SeenPayloads::<T>::contains_key((model, round), payload_hash),
			Error::<T>::DuplicatePayload
		);
		ensure!(
			!Self::seen_in_recent_rounds(model, round, payload_hash),
			Error::<T>::ReplayedPayload
		);
		let index = info.updates;
		UpdateOrder::<T>::try_mutate((model, round), |order| order.try_push(who.clone()))
			.map_err(|_| Error::<T>::RoundFull)?;
		SeenPayloads::<T>::insert((model, round), payload_hash, ());
		UpdateSetRoot::<T>::mutate((model, round), |root| {
			*root = fedledger_primitives::round::extend_update_root(root, &payload_hash)
		});
		// Validators find the payload in the block body by this index. A call always runs
		// inside an extrinsic on chain; outside one (a dispatch from a hook, tests and
		// benchmarks) the index 0 is recorded, and validators will not find the payload there.
		let extrinsic_index = frame_system::Pallet::<T>::extrinsic_index().unwrap_or_else(|| {
			log::error!(
				target: LOG_TARGET,
				"model {model} round {round}: update recorded outside an extrinsic, \
				 with extrinsic index 0",
			);
			0
		});
		Updates::<T>::insert(
			(model, round),
			&who,
			UpdateRecord {
				payload_hash,
				block: Self::now(),
				extrinsic_index,
				num_samples,
				base_version,
			},
		);
		info.updates += 1;
		let buffer_full = matches!(
			info.config.schedule,
			Schedule::BufferedAsync { buffer_size, .. } if info.updates >= buffer_size
		);
		Self::deposit_event(Event::UpdateRevealed {
			model,
			round,
			trainer: who,
			index,
			payload_hash,
		});
		if buffer_full {
			let at = Self::start_aggregation(model, round, &mut info);
			Self::schedule(model, at);
		}
		Rounds::<T>::insert(model, round, info);
		Ok(())
	}

	/// Whether `payload_hash` was revealed in one of the [`Config::ReplayWindow`] rounds
	/// before `round` (their seen payloads are kept that long; see `clear_round_scratch`).
	/// Replaying an earlier update — one's own or anyone's — is free-riding, not training.
	fn seen_in_recent_rounds(model: ModelId, round: RoundIndex, payload_hash: Digest) -> bool {
		(1..=T::ReplayWindow::get())
			.map_while(|back| round.checked_sub(back))
			.any(|earlier| SeenPayloads::<T>::contains_key((model, earlier), payload_hash))
	}

	/// A retired model's round in flight is abandoned (`on_model_retired`): work sent to it
	/// would be neither aggregated nor paid, and a commitment in it would never be revealed.
	/// A paused model's round in flight runs to its end. (Bonding checks the same.)
	pub(crate) fn ensure_not_retired(model: ModelId) -> DispatchResult {
		let view = T::Models::model(model).ok_or(Error::<T>::UnknownModel)?;
		ensure!(
			view.status != ModelStatus::Retired,
			Error::<T>::ModelRetired
		);
		Ok(())
	}
}
