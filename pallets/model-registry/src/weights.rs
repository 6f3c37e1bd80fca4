//! Weights of the model registry's calls.
//!
//! PLACEHOLDER until `scripts/benchmark-weights.sh` regenerates this file from the benchmarks
//! in `benchmarking.rs` run on the reference machine.
#![allow(unused_parens, unused_imports, missing_docs)]

use core::marker::PhantomData;
use frame_support::{
	traits::Get,
	weights::{constants::ParityDbWeight, Weight},
};

/// Weight functions needed by this pallet.
pub trait WeightInfo {
	fn register_model(l: u32) -> Weight;
	fn pause_model() -> Weight;
	fn resume_model() -> Weight;
	fn retire_model() -> Weight;
	fn update_config() -> Weight;
}

/// Weights for this pallet, priced with the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn register_model(l: u32) -> Weight {
		Weight::from_parts(50_000_000, 4000)
			.saturating_add(Weight::from_parts(10_000, 0).saturating_mul(l.into()))
			.saturating_add(T::DbWeight::get().reads(3))
			.saturating_add(T::DbWeight::get().writes(4))
	}
	fn pause_model() -> Weight {
		Weight::from_parts(20_000_000, 4000)
			.saturating_add(T::DbWeight::get().reads(1))
			.saturating_add(T::DbWeight::get().writes(1))
	}
	fn resume_model() -> Weight {
		Weight::from_parts(20_000_000, 4000)
			.saturating_add(T::DbWeight::get().reads(2))
			.saturating_add(T::DbWeight::get().writes(2))
	}
	fn retire_model() -> Weight {
		Weight::from_parts(40_000_000, 4000)
			.saturating_add(T::DbWeight::get().reads(3))
			.saturating_add(T::DbWeight::get().writes(3))
	}
	fn update_config() -> Weight {
		Weight::from_parts(20_000_000, 4000)
			.saturating_add(T::DbWeight::get().reads(1))
			.saturating_add(T::DbWeight::get().writes(1))
	}
}

impl WeightInfo for () {
	fn register_model(l: u32) -> Weight {
		Weight::from_parts(50_000_000, 4000)
			.saturating_add(Weight::from_parts(10_000, 0).saturating_mul(l.into()))
			.saturating_add(ParityDbWeight::get().reads(3))
			.saturating_add(ParityDbWeight::get().writes(4))
	}
	fn pause_model() -> Weight {
		Weight::from_parts(20_000_000, 4000)
	}
	fn resume_model() -> Weight {
		Weight::from_parts(20_000_000, 4000)
	}
	fn retire_model() -> Weight {
		Weight::from_parts(40_000_000, 4000)
	}
	fn update_config() -> Weight {
		Weight::from_parts(20_000_000, 4000)
	}
}
