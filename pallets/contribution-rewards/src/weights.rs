//! Weights of the contribution-rewards pallet.
//!
//! PLACEHOLDER until `scripts/benchmark-weights.sh` regenerates this file from the benchmarks
//! in `benchmarking.rs` run on the reference machine.
#![allow(unused_parens, unused_imports, missing_docs, unused_variables)]

use core::marker::PhantomData;
use frame_support::{
	traits::Get,
	weights::{constants::ParityDbWeight, Weight},
};

/// Weight functions needed by this pallet.
pub trait WeightInfo {
	fn fund_model() -> Weight;
	fn claim_rewards() -> Weight;
}

/// Weights for this pallet, priced with the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn fund_model() -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(T::DbWeight::get().reads(8))
			.saturating_add(T::DbWeight::get().writes(8))
	}
	fn claim_rewards() -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(T::DbWeight::get().reads(8))
			.saturating_add(T::DbWeight::get().writes(8))
	}
}

impl WeightInfo for () {
	fn fund_model() -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(ParityDbWeight::get().reads(8))
			.saturating_add(ParityDbWeight::get().writes(8))
	}
	fn claim_rewards() -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(ParityDbWeight::get().reads(8))
			.saturating_add(ParityDbWeight::get().writes(8))
	}
}
