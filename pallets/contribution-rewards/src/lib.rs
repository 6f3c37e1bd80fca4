//! # Contribution rewards pallet
//!
//! Reward pools per model, score consensus (stake-weighted median of validators' scores), the
//! owner / validator / trainer split, pending balances, claims and the attribution ledger.
//!
//! This crate is the foundation's placeholder: it fixes the pallet's name, index and storage
//! version in the runtime so that the full round-protocol logic can land without a reshuffle.
#![cfg_attr(not(feature = "std"), no_std)]

pub use pallet::*;

#[frame_support::pallet]
pub mod pallet {
	use frame_support::pallet_prelude::*;

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Configuration of the contribution-rewards pallet.
	#[pallet::config]
	pub trait Config: frame_system::Config {}

	/// Rewards credited to an account and not yet claimed, in the chain's smallest unit.
	#[pallet::storage]
	pub type PendingRewards<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, u128, ValueQuery>;
}
