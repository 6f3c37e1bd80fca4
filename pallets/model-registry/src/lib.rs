//! # Model registry pallet
//!
//! Registry of the models fedledger trains: their configuration, status and the version chain
//! (the hash of every global model version, linked parent → child).
//!
//! This crate is the foundation's placeholder: it fixes the pallet's name, index and storage
//! version in the runtime so that the full round-protocol logic can land without a reshuffle.
#![cfg_attr(not(feature = "std"), no_std)]

pub use pallet::*;

#[frame_support::pallet]
pub mod pallet {
	use fedledger_primitives::ModelId;
	use frame_support::pallet_prelude::*;

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Configuration of the model registry.
	#[pallet::config]
	pub trait Config: frame_system::Config {}

	/// The identifier the next registered model receives.
	#[pallet::storage]
	pub type NextModelId<T> = StorageValue<_, ModelId, ValueQuery>;
}
