//! Benchmarks of the rewards pallet's calls (FRAME benchmarks v2).

use super::*;
use fedledger_primitives::traits::BenchmarkModels;
use frame_benchmarking::v2::*;
use frame_system::RawOrigin;

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn fund_model() {
		let owner: T::AccountId = account("owner", 0, 0);
		T::Currency::set_balance(&owner, 1_000_000_000u32.into());
		let model = T::BenchmarkHelper::create_model(
			owner,
			TrainingConfig::example(4, 2, 1, 1_000u32.into()),
		);
		let funder: T::AccountId = whitelisted_caller();
		T::Currency::set_balance(&funder, 1_000_000_000u32.into());
		#[extrinsic_call]
		_(RawOrigin::Signed(funder), model, 1_000_000u32.into());
		assert_eq!(Pools::<T>::get(model), 1_000_000u32.into());
	}

	#[benchmark]
	fn claim_rewards() {
		let who: T::AccountId = whitelisted_caller();
		let amount: BalanceOf<T> = 1_000_000u32.into();
		T::Currency::set_balance(
			&Pallet::<T>::pot_account(),
			amount.saturating_mul(2u32.into()),
		);
		PendingRewards::<T>::insert(&who, amount);
		TotalPending::<T>::put(amount);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
		assert!(PendingRewards::<T>::get(&who).is_zero());
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
