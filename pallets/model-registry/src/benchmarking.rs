//! Benchmarks of the model registry's calls (FRAME benchmarks v2).

use super::*;
use fedledger_primitives::{model::Schedule, traits::ModelStatus};
use frame_benchmarking::v2::*;
use frame_support::traits::{fungible::Mutate, Get};
use frame_system::RawOrigin;
use sp_runtime::traits::Saturating;

fn funded_owner<T: Config>() -> T::AccountId
where
	T::Currency: Mutate<T::AccountId>,
{
	let owner: T::AccountId = whitelisted_caller();
	let amount = T::ModelDeposit::get()
		.saturating_mul(100u32.into())
		.max(1_000_000u32.into());
	T::Currency::set_balance(&owner, amount);
	owner
}

fn example_config<T: Config>() -> TrainingConfig<BalanceOf<T>> {
	TrainingConfig::example(784, 10, 3, 1_000u32.into())
}

/// Zero weights in the canonical codec for `config`.
fn initial_weights<T: Config>(config: &TrainingConfig<BalanceOf<T>>) -> InitialWeightsOf<T> {
	let count = config
		.architecture
		.parameter_count()
		.expect("valid architecture");
	let bytes = tensor_codec::encode_f32(&alloc::vec![0.0; count as usize], &[count])
		.expect("finite zeros encode");
	bytes
		.try_into()
		.expect("the example model fits MaxWeightsLen")
}

/// A logistic-regression config over `inputs` features and 2 classes whose weights payload
/// is at most `len` bytes (`32 + 4·(2·inputs + 2)`): the largest such model.
fn config_for_len<T: Config>(len: u32) -> TrainingConfig<BalanceOf<T>> {
	let params = (len.saturating_sub(tensor_codec::HEADER_LEN as u32) / 4).max(4);
	let inputs = (params - 2) / 2;
	let mut config = TrainingConfig::example(inputs, 2, 3, 1_000u32.into());
	// A full round of the largest payload (512 KiB, 7 per block) needs 11 blocks of reveal
	// on the runtime's chain; the round scheduler refuses shorter windows.
	if let Schedule::Sync { reveal_blocks, .. } = &mut config.schedule {
		*reveal_blocks = 16;
	}
	config
}

fn registered_model<T: Config>(owner: &T::AccountId) -> ModelId {
	let id = NextModelId::<T>::get();
	let config = example_config::<T>();
	let weights = initial_weights::<T>(&config);
	Pallet::<T>::register_model(
		RawOrigin::Signed(owner.clone()).into(),
		config,
		weights,
		Some([2; 32]),
	)
	.expect("a funded owner registers a valid model");
	id
}

#[benchmarks(where T::Currency: Mutate<T::AccountId>)]
mod benchmarks {
	use super::*;

	/// `l`: length of the initial-weights payload in bytes (validation and hashing are
	/// linear in it).
	#[benchmark]
	fn register_model(l: Linear<48, { T::MaxWeightsLen::get() }>) {
		let owner = funded_owner::<T>();
		let config = config_for_len::<T>(l);
		let weights = initial_weights::<T>(&config);
		#[extrinsic_call]
		_(
			RawOrigin::Signed(owner.clone()),
			config,
			weights,
			Some([2; 32]),
		);
		assert!(Models::<T>::contains_key(0));
	}

	#[benchmark]
	fn pause_model() {
		let owner = funded_owner::<T>();
		let model = registered_model::<T>(&owner);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), model);
		assert_eq!(Models::<T>::get(model).unwrap().status, ModelStatus::Paused);
	}

	#[benchmark]
	fn resume_model() {
		let owner = funded_owner::<T>();
		let model = registered_model::<T>(&owner);
		Pallet::<T>::pause_model(RawOrigin::Signed(owner.clone()).into(), model).unwrap();
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), model);
		assert_eq!(Models::<T>::get(model).unwrap().status, ModelStatus::Active);
	}

	#[benchmark]
	fn retire_model() {
		let owner = funded_owner::<T>();
		let model = registered_model::<T>(&owner);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), model);
		assert_eq!(
			Models::<T>::get(model).unwrap().status,
			ModelStatus::Retired
		);
	}

	#[benchmark]
	/// A reward-terms change that came due is applied and a new one scheduled.
	fn update_config() {
		let owner = funded_owner::<T>();
		let model = registered_model::<T>(&owner);
		let mut config = example_config::<T>();
		config.reward_per_round = 2_000u32.into();
		Pallet::<T>::update_config(RawOrigin::Signed(owner.clone()).into(), model, config)
			.expect("a valid configuration");
		let due =
			frame_system::Pallet::<T>::block_number().saturating_add(T::RewardTermsDelay::get());
		frame_system::Pallet::<T>::set_block_number(due);
		config.reward_per_round = 3_000u32.into();
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), model, config);
		let stored = Models::<T>::get(model).unwrap().config;
		assert_eq!(stored.reward_per_round, 2_000u32.into());
		assert_eq!(
			PendingTerms::<T>::get(model).unwrap().reward_per_round,
			3_000u32.into()
		);
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
