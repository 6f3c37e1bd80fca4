//! Registration and the owner's lifecycle calls: pause, resume, retire, reconfigure.

use crate::{
	pallet::*, BalanceOf, InitialWeightsOf, ModelInfo, ModelInfoOf, PendingRewardTerms,
	VersionRecord, LOG_TARGET,
};
use fedledger_primitives::{
	model::{ConfigError, TrainingConfig},
	rules::RuleConfigError,
	tensor_codec,
	traits::{ModelStatus, RoundScheduler, ScheduleError},
	Digest, ModelId,
};
use frame_support::{
	defensive,
	pallet_prelude::*,
	traits::{fungible::MutateHold, tokens::Precision},
};
use sp_runtime::traits::Saturating;

impl<T: Config> From<ConfigError> for Error<T> {
	fn from(e: ConfigError) -> Self {
		match e {
			ConfigError::BadArchitecture => Error::InvalidArchitecture,
			ConfigError::BadHyperParams => Error::InvalidHyperParams,
			ConfigError::BadSchedule => Error::InvalidSchedule,
			ConfigError::BadRewardSplit => Error::InvalidRewardSplit,
			ConfigError::Rule(RuleConfigError::TooFewUpdates { .. }) => Error::RuleNeedsMoreUpdates,
			ConfigError::Rule(RuleConfigError::TooManyIterations) => Error::TooManyRuleIterations,
			ConfigError::Rule(_) => Error::InvalidRuleParams,
			ConfigError::TooManyParameters => Error::TooManyParameters,
			ConfigError::HiddenLayerTooWide => Error::HiddenLayerTooWide,
			ConfigError::TooMuchLocalWork => Error::TooMuchLocalWork,
			ConfigError::StalenessTooLarge => Error::StalenessTooLarge,
			ConfigError::BadUpdateBounds => Error::InvalidUpdateBounds,
		}
	}
}

impl<T: Config> From<ScheduleError> for Error<T> {
	fn from(e: ScheduleError) -> Self {
		match e {
			ScheduleError::PhaseTooShort => Error::PhaseTooShort,
			ScheduleError::PhaseTooLong => Error::PhaseTooLong,
			ScheduleError::WindowTooShortForPayload => Error::RevealWindowTooShort,
			ScheduleError::MoreUpdatesThanSlots => Error::MoreUpdatesThanSlots,
			ScheduleError::AgendaFull => Error::AgendaFull,
		}
	}
}

impl<T: Config> Pallet<T> {
	/// The whole configuration check: `TrainingConfig::validate` (bounds that hold on any
	/// chain) and the round scheduler's (that the schedule can be met on this one). Returns
	/// the parameter count.
	fn check_config(config: &TrainingConfig<BalanceOf<T>>) -> Result<u32, Error<T>> {
		let parameter_count = config.validate().map_err(Error::<T>::from)?;
		T::Scheduler::check_schedule(&config.schedule, parameter_count)
			.map_err(Error::<T>::from)?;
		Ok(parameter_count)
	}

	/// [`Pallet::register_model`].
	pub(crate) fn do_register_model(
		owner: T::AccountId,
		config: TrainingConfig<BalanceOf<T>>,
		initial_weights: InitialWeightsOf<T>,
		validation_set_hash: Option<Digest>,
	) -> DispatchResult {
		let parameter_count = Self::check_config(&config)?;
		// The length check in `validate` already bounds the work by the payload's size.
		let header = tensor_codec::validate(&initial_weights, u32::MAX)
			.map_err(|_| Error::<T>::MalformedWeights)?;
		ensure!(
			header.kind != tensor_codec::CodecKind::TopKSparse,
			Error::<T>::SparseInitialWeights
		);
		ensure!(
			header.param_count == parameter_count,
			Error::<T>::WeightsShapeMismatch
		);
		let initial_hash = tensor_codec::digest(&initial_weights);
		let model = NextModelId::<T>::get();
		let next = model.checked_add(1).ok_or(Error::<T>::ModelIdOverflow)?;
		let deposit = T::ModelDeposit::get();
		T::Currency::hold(&HoldReason::ModelDeposit.into(), &owner, deposit)
			.map_err(|_| Error::<T>::InsufficientDeposit)?;

		let now = frame_system::Pallet::<T>::block_number();
		Versions::<T>::insert(
			model,
			0,
			VersionRecord {
				hash: initial_hash,
				parent: None,
				round: None,
				block: now,
			},
		);
		Models::<T>::insert(
			model,
			ModelInfo {
				owner: owner.clone(),
				status: ModelStatus::Active,
				config,
				parameter_count,
				validation_set_hash,
				deposit,
				registered_at: now,
				version: 0,
				version_hash: initial_hash,
			},
		);
		NextModelId::<T>::put(next);
		// A full agenda fails the call, which reverts the hold and the writes above.
		T::Scheduler::on_model_activated(model).map_err(Error::<T>::from)?;
		Self::deposit_event(Event::ModelRegistered {
			model,
			owner,
			parameter_count,
			initial_hash,
		});
		Ok(())
	}

	/// [`Pallet::pause_model`].
	pub(crate) fn do_pause_model(who: T::AccountId, model: ModelId) -> DispatchResult {
		Self::mutate_owned(&who, model, |info| {
			ensure!(info.status == ModelStatus::Active, Error::<T>::NotActive);
			info.status = ModelStatus::Paused;
			Ok(())
		})?;
		T::Scheduler::on_model_paused(model);
		Self::deposit_event(Event::ModelPaused { model });
		Ok(())
	}

	/// [`Pallet::resume_model`].
	pub(crate) fn do_resume_model(who: T::AccountId, model: ModelId) -> DispatchResult {
		Self::mutate_owned(&who, model, |info| {
			ensure!(info.status == ModelStatus::Paused, Error::<T>::NotPaused);
			info.status = ModelStatus::Active;
			Ok(())
		})?;
		T::Scheduler::on_model_activated(model).map_err(Error::<T>::from)?;
		Self::deposit_event(Event::ModelResumed { model });
		Ok(())
	}

	/// [`Pallet::retire_model`].
	pub(crate) fn do_retire_model(who: T::AccountId, model: ModelId) -> DispatchResult {
		let deposit = Self::mutate_owned(&who, model, |info| {
			ensure!(
				info.status != ModelStatus::Retired,
				Error::<T>::AlreadyRetired
			);
			info.status = ModelStatus::Retired;
			Ok(info.deposit)
		})?;
		let released = T::Currency::release(
			&HoldReason::ModelDeposit.into(),
			&who,
			deposit,
			Precision::BestEffort,
		)?;
		// Only this pallet holds `ModelDeposit`, and it holds each live model's deposit in full
		// (a `try_state` invariant), so the whole deposit is released.
		if released != deposit {
			log::error!(
				target: LOG_TARGET,
				"model {model}: released {released:?} of its {deposit:?} deposit",
			);
			defensive!("a live model's deposit is held in full");
		}
		T::Scheduler::on_model_retired(model);
		PendingTerms::<T>::remove(model);
		Self::deposit_event(Event::ModelRetired { model });
		Ok(())
	}

	/// [`Pallet::update_config`].
	pub(crate) fn do_update_config(
		who: T::AccountId,
		model: ModelId,
		config: TrainingConfig<BalanceOf<T>>,
	) -> DispatchResult {
		Self::check_config(&config)?;
		let now = frame_system::Pallet::<T>::block_number();
		let scheduled = Self::mutate_owned(&who, model, |info| {
			ensure!(
				info.status != ModelStatus::Retired,
				Error::<T>::AlreadyRetired
			);
			ensure!(
				info.config.architecture == config.architecture,
				Error::<T>::ArchitectureChanged
			);
			// Terms that came due are the current ones the new config is compared with.
			Self::apply_due_terms(model, &mut info.config, now);
			let current = &info.config;
			let terms_changed = current.reward_per_round != config.reward_per_round
				|| current.reward_split != config.reward_split;
			let scheduled = terms_changed.then(|| PendingRewardTerms {
				reward_per_round: config.reward_per_round,
				reward_split: config.reward_split,
				effective_at: now.saturating_add(T::RewardTermsDelay::get()),
			});
			info.config = TrainingConfig {
				reward_per_round: current.reward_per_round,
				reward_split: current.reward_split,
				..config
			};
			Ok(scheduled)
		})?;
		match scheduled {
			Some(terms) => {
				PendingTerms::<T>::insert(model, terms);
				Self::deposit_event(Event::RewardTermsScheduled {
					model,
					reward_per_round: terms.reward_per_round,
					reward_split: terms.reward_split,
					effective_at: terms.effective_at,
				});
			}
			None => PendingTerms::<T>::remove(model),
		}
		Self::deposit_event(Event::ConfigUpdated { model });
		Ok(())
	}

	/// `model` as rounds see it now: its stored record with any [`PendingTerms`] that came due
	/// applied (they are written back only by the owner's next `update_config`).
	pub fn model_info(model: ModelId) -> Option<ModelInfoOf<T>> {
		let mut info = Models::<T>::get(model)?;
		Self::apply_due_terms(
			model,
			&mut info.config,
			frame_system::Pallet::<T>::block_number(),
		);
		Some(info)
	}

	/// Puts `model`'s [`PendingTerms`] into `config` if they are due at `now`.
	fn apply_due_terms(
		model: ModelId,
		config: &mut TrainingConfig<BalanceOf<T>>,
		now: frame_system::pallet_prelude::BlockNumberFor<T>,
	) {
		if let Some(due) = PendingTerms::<T>::get(model).filter(|p| p.effective_at <= now) {
			config.reward_per_round = due.reward_per_round;
			config.reward_split = due.reward_split;
		}
	}

	/// Applies `f` to `model` if `who` owns it; nothing is written when `f` fails.
	fn mutate_owned<R>(
		who: &T::AccountId,
		model: ModelId,
		f: impl FnOnce(&mut ModelInfoOf<T>) -> Result<R, DispatchError>,
	) -> Result<R, DispatchError> {
		Models::<T>::try_mutate(model, |slot| {
			let info = slot.as_mut().ok_or(Error::<T>::UnknownModel)?;
			ensure!(&info.owner == who, Error::<T>::NotOwner);
			f(info)
		})
	}
}
