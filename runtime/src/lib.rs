//! # fedledger runtime
//!
//! The FRAME runtime of the fedledger chain: an Aura + GRANDPA solochain with balances,
//! transaction payment and sudo, plus the three federated-learning pallets:
//!
//! - [`pallet_model_registry`]: models, their configuration and the version chain;
//! - [`pallet_gradient_commitments`]: rounds, bonds, commit/reveal of updates, aggregate reports;
//! - [`pallet_contribution_rewards`]: reward pools, score consensus, pending rewards and claims.
//!
//! Pallet configuration lives in [`configs`], the runtime APIs in [`apis`] and the genesis
//! presets (`dev`, `local`) in [`genesis_config_presets`].
#![cfg_attr(not(feature = "std"), no_std)]
// `construct_runtime`-generated code triggers this lint in recent compilers.
#![recursion_limit = "256"]

#[cfg(feature = "std")]
include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));

extern crate alloc;

use alloc::vec::Vec;

pub mod apis;
#[cfg(feature = "runtime-benchmarks")]
mod benchmarks;
pub mod configs;
pub mod genesis_config_presets;

use sp_runtime::{
	generic, impl_opaque_keys,
	traits::{BlakeTwo256, IdentifyAccount, Verify},
	MultiAddress, MultiSignature,
};
use sp_version::RuntimeVersion;

pub use frame_system::Call as SystemCall;
pub use pallet_balances::Call as BalancesCall;
pub use pallet_timestamp::Call as TimestampCall;
#[cfg(any(feature = "std", test))]
pub use sp_runtime::BuildStorage;

/// Types the node needs without knowing the runtime's extrinsic format.
pub mod opaque {
	use super::*;
	use sp_runtime::traits::Hash as HashT;

	pub use sp_runtime::OpaqueExtrinsic as UncheckedExtrinsic;

	/// Opaque block header type.
	pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
	/// Opaque block type.
	pub type Block = generic::Block<Header, UncheckedExtrinsic>;
	/// Opaque block hash type.
	pub type Hash = <BlakeTwo256 as HashT>::Output;
}

impl_opaque_keys! {
	/// The consensus keys a validator registers: block authoring and finality.
	pub struct SessionKeys {
		pub aura: Aura,
		pub grandpa: Grandpa,
	}
}

/// The runtime version. `spec_version` must be bumped on every change of runtime logic.
#[sp_version::runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: alloc::borrow::Cow::Borrowed("fedledger"),
	impl_name: alloc::borrow::Cow::Borrowed("fedledger"),
	authoring_version: 1,
	spec_version: 103,
	impl_version: 1,
	apis: apis::RUNTIME_API_VERSIONS,
	transaction_version: 3,
	system_version: 1,
};

/// Block time. Rounds are measured in blocks, so a short block time keeps a round (commit,
/// reveal, aggregate) to tens of seconds on a local network.
pub const MILLI_SECS_PER_BLOCK: u64 = 3000;

/// Aura slot duration; cannot be changed once a chain has started.
pub const SLOT_DURATION: u64 = MILLI_SECS_PER_BLOCK;

/// Blocks per minute.
pub const MINUTES: BlockNumber = 60_000 / (MILLI_SECS_PER_BLOCK as BlockNumber);
/// Blocks per hour.
pub const HOURS: BlockNumber = MINUTES * 60;
/// Blocks per day.
pub const DAYS: BlockNumber = HOURS * 24;

/// Decimals of the native token (FLT).
pub const TOKEN_DECIMALS: u8 = 12;
/// Symbol of the native token.
pub const TOKEN_SYMBOL: &str = "FLT";
/// One FLT in the smallest unit.
pub const UNIT: Balance = 1_000_000_000_000;
/// A thousandth of an FLT.
pub const MILLI_UNIT: Balance = UNIT / 1_000;
/// A millionth of an FLT.
pub const MICRO_UNIT: Balance = UNIT / 1_000_000;
/// Existential deposit.
pub const EXISTENTIAL_DEPOSIT: Balance = MILLI_UNIT;

/// Transaction signature.
pub type Signature = MultiSignature;
/// An account: the public key of the signature scheme.
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;
/// Balance of an account.
pub type Balance = u128;
/// Transaction counter of an account.
pub type Nonce = u32;
/// Block and state hash.
pub type Hash = sp_core::H256;
/// Block number.
pub type BlockNumber = u32;
/// The address format for describing accounts.
pub type Address = MultiAddress<AccountId, ()>;
/// Block header type as expected by this runtime.
pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
/// Block type as expected by this runtime.
pub type Block = generic::Block<Header, UncheckedExtrinsic>;
/// A block with its justifications.
pub type SignedBlock = generic::SignedBlock<Block>;

/// The transaction extensions every signed extrinsic carries.
pub type TxExtension = (
	frame_system::CheckNonZeroSender<Runtime>,
	frame_system::CheckSpecVersion<Runtime>,
	frame_system::CheckTxVersion<Runtime>,
	frame_system::CheckGenesis<Runtime>,
	frame_system::CheckEra<Runtime>,
	frame_system::CheckNonce<Runtime>,
	frame_system::CheckWeight<Runtime>,
	pallet_transaction_payment::ChargeTransactionPayment<Runtime>,
	frame_metadata_hash_extension::CheckMetadataHash<Runtime>,
	pallet_gradient_commitments::PrioritizeFlCalls<Runtime>,
	frame_system::WeightReclaim<Runtime>,
);

/// The extensions of an immortal signed extrinsic with `nonce` and no tip: how the node's FL
/// worker signs its duties. Immortal, because a restarted worker re-sends the journaled bytes
/// and they must stay valid whatever block they were signed at.
pub fn immortal_tx_extension(nonce: Nonce) -> TxExtension {
	(
		frame_system::CheckNonZeroSender::<Runtime>::new(),
		frame_system::CheckSpecVersion::<Runtime>::new(),
		frame_system::CheckTxVersion::<Runtime>::new(),
		frame_system::CheckGenesis::<Runtime>::new(),
		frame_system::CheckEra::<Runtime>::from(generic::Era::Immortal),
		frame_system::CheckNonce::<Runtime>::from(nonce),
		frame_system::CheckWeight::<Runtime>::new(),
		pallet_transaction_payment::ChargeTransactionPayment::<Runtime>::from(0),
		frame_metadata_hash_extension::CheckMetadataHash::<Runtime>::new(false),
		pallet_gradient_commitments::PrioritizeFlCalls::<Runtime>::new(),
		frame_system::WeightReclaim::<Runtime>::new(),
	)
}

/// The signed payload of an immortal extrinsic built by [`immortal_tx_extension`]: the call,
/// the extensions, and what the extensions add to the payload without carrying it in the
/// extrinsic (spec and transaction version, genesis hash as the immortal era's block hash).
/// Defined here, beside the extensions, so a signer outside the runtime cannot get the
/// implicit part out of step with them.
pub fn immortal_signed_payload(
	call: RuntimeCall,
	nonce: Nonce,
	spec_version: u32,
	transaction_version: u32,
	genesis: Hash,
) -> SignedPayload {
	let implicit = (
		(),
		spec_version,
		transaction_version,
		genesis,
		genesis,
		(),
		(),
		(),
		None,
		(),
		(),
	);
	SignedPayload::from_raw(call, immortal_tx_extension(nonce), implicit)
}

/// Unchecked extrinsic type as expected by this runtime.
pub type UncheckedExtrinsic =
	generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;

/// The payload being signed in transactions.
pub type SignedPayload = generic::SignedPayload<RuntimeCall, TxExtension>;

/// Migrations to run on upgrade besides the pallets' own.
type Migrations = (
	pallet_gradient_commitments::migrations::v2::MigrateV1ToV2<Runtime>,
	pallet_gradient_commitments::migrations::v3::MigrateV2ToV3<Runtime>,
	pallet_model_registry::migrations::v2::MigrateV1ToV2<Runtime>,
);

/// Executive: dispatches blocks and extrinsics to the pallets.
pub type Executive = frame_executive::Executive<
	Runtime,
	Block,
	frame_system::ChainContext<Runtime>,
	Runtime,
	AllPalletsWithSystem,
	Migrations,
>;

#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Runtime;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;

	#[runtime::pallet_index(1)]
	pub type Timestamp = pallet_timestamp;

	#[runtime::pallet_index(2)]
	pub type Aura = pallet_aura;

	#[runtime::pallet_index(3)]
	pub type Grandpa = pallet_grandpa;

	#[runtime::pallet_index(4)]
	pub type Balances = pallet_balances;

	#[runtime::pallet_index(5)]
	pub type TransactionPayment = pallet_transaction_payment;

	#[runtime::pallet_index(6)]
	pub type Sudo = pallet_sudo;

	#[runtime::pallet_index(10)]
	pub type ModelRegistry = pallet_model_registry;

	#[runtime::pallet_index(11)]
	pub type GradientCommitments = pallet_gradient_commitments;

	#[runtime::pallet_index(12)]
	pub type ContributionRewards = pallet_contribution_rewards;
}
