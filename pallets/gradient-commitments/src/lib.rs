//! # Gradient commitments pallet
//!
//! Training rounds, trainer and validator bonds, commit/reveal of model updates, aggregate
//! reports, quorum and slashing of provable faults.
//!
//! This crate is the foundation's placeholder: it fixes the pallet's name, index and storage
//! version in the runtime so that the full round-protocol logic can land without a reshuffle.
#![cfg_attr(not(feature = "std"), no_std)]

pub use pallet::*;

#[frame_support::pallet]
pub mod pallet {
	use fedledger_primitives::{ModelId, RoundIndex};
	use frame_support::pallet_prelude::*;

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Configuration of the gradient-commitments pallet.
	#[pallet::config]
	pub trait Config: frame_system::Config {}

	/// The round each model is currently in.
	#[pallet::storage]
	pub type CurrentRound<T> = StorageMap<_, Twox64Concat, ModelId, RoundIndex, OptionQuery>;
}
