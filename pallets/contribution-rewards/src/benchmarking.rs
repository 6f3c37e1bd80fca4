//! Benchmarks of the rewards pallet's calls (FRAME benchmarks v2).

use super::*;
use fedledger_primitives::{model::TrainingConfig, traits::BenchmarkModels};
use frame_benchmarking::v2::*;
use frame_system::RawOrigin;
use sp_runtime::traits::Saturating;

/// An amount comfortably above the existential deposit, whatever the runtime sets it to.
fn units<T: Config>(n: u32) -> BalanceOf<T> {
	T::Currency::minimum_balance()
		.max(1u32.into())
		.saturating_mul(n.into())
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn fund_model() {
		let owner: T::AccountId = account("owner", 0, 0);
		// Enough for the registry's model deposit in any runtime (10 UNIT = 10⁴ ED in ours).
		T::Currency::set_balance(&owner, units::<T>(1_000_000_000));
		let model = T::BenchmarkHelper::create_model(
			owner,
			TrainingConfig::example(4, 2, 1, 1_000u32.into()),
		);
		let funder: T::AccountId = whitelisted_caller();
		T::Currency::set_balance(&funder, units::<T>(1_000_000));
		#[extrinsic_call]
		_(RawOrigin::Signed(funder), model, units::<T>(1_000));
		assert_eq!(Pools::<T>::get(model), units::<T>(1_000));
	}

	#[benchmark]
	fn claim_rewards() {
		let who: T::AccountId = whitelisted_caller();
		let amount = units::<T>(1_000);
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

	#[benchmark]
	/// Not the last funder: the share is computed, paid and the funding records updated.
	fn claim_refund() {
		let owner: T::AccountId = account("owner", 0, 0);
		T::Currency::set_balance(&owner, units::<T>(1_000_000_000));
		let model = T::BenchmarkHelper::create_model(
			owner.clone(),
			TrainingConfig::example(4, 2, 1, 1_000u32.into()),
		);
		let other: T::AccountId = account("funder", 1, 0);
		T::Currency::set_balance(&other, units::<T>(1_000_000));
		T::BenchmarkHelper::fund_pool(model, other, units::<T>(1_000));
		let funder: T::AccountId = whitelisted_caller();
		T::Currency::set_balance(&funder, units::<T>(1_000_000));
		T::BenchmarkHelper::fund_pool(model, funder.clone(), units::<T>(1_000));
		T::BenchmarkHelper::retire_model(owner, model);
		#[extrinsic_call]
		_(RawOrigin::Signed(funder.clone()), model);
		assert!(Funding::<T>::get(model, &funder).is_zero());
		assert_eq!(Pools::<T>::get(model), units::<T>(1_000));
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
