//! A runtime for the rewards pallet's unit tests (with the real model registry behind
//! `ModelProvider`).

use crate as pallet_contribution_rewards;
use fedledger_primitives::{model::TrainingConfig, ModelId};
use frame_support::{derive_impl, parameter_types, traits::VariantCountOf, PalletId};
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;
pub type AccountId = u64;
pub type Balance = u128;

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
	pub struct Test;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;
	#[runtime::pallet_index(1)]
	pub type Balances = pallet_balances;
	#[runtime::pallet_index(2)]
	pub type ModelRegistry = pallet_model_registry;
	#[runtime::pallet_index(3)]
	pub type ContributionRewards = pallet_contribution_rewards;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<Balance>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type Balance = Balance;
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
	type MaxFreezes = VariantCountOf<RuntimeFreezeReason>;
	type ExistentialDeposit = frame_support::traits::ConstU128<5>;
}

parameter_types! {
	pub const RewardsPalletId: PalletId = PalletId(*b"fl/rewrd");
	pub static Emission: Balance = 0;
}

impl pallet_model_registry::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type ModelDeposit = frame_support::traits::ConstU128<10>;
	type MaxWeightsLen = frame_support::traits::ConstU32<{ 32 + 4 * 7850 }>;
	type Scheduler = ();
	type RewardTermsDelay = frame_support::traits::ConstU64<30>;
	type WeightInfo = ();
}

impl pallet_contribution_rewards::Config for Test {
	type Currency = Balances;
	type PalletId = RewardsPalletId;
	type EmissionPerRound = Emission;
	type Models = ModelRegistry;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = RegistryModels;
}

pub const OWNER: AccountId = 1;
pub const FUNDER: AccountId = 2;
pub const POOR: AccountId = 3;

pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default()
		.build_storage()
		.unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![(OWNER, 1_000_000), (FUNDER, 1_000_000), (POOR, 20)],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	crate::GenesisConfig::<Test>::default()
		.assimilate_storage(&mut storage)
		.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}

pub fn register_model(config: TrainingConfig<Balance>) -> ModelId {
	register_model_as(OWNER, config)
}

/// Registers benchmark models in the real registry.
#[cfg(feature = "runtime-benchmarks")]
pub struct RegistryModels;
#[cfg(feature = "runtime-benchmarks")]
impl fedledger_primitives::traits::BenchmarkModels<AccountId, Balance> for RegistryModels {
	fn create_model(owner: AccountId, config: TrainingConfig<Balance>) -> ModelId {
		register_model_as(owner, config)
	}

	fn fund_pool(model: ModelId, funder: AccountId, amount: Balance) {
		ContributionRewards::fund_model(RuntimeOrigin::signed(funder), model, amount)
			.expect("benchmark funders are funded");
	}

	fn retire_model(owner: AccountId, model: ModelId) {
		ModelRegistry::retire_model(RuntimeOrigin::signed(owner), model)
			.expect("the owner retires its model");
	}
}

/// Registers a model owned by `owner`.
pub fn register_model_as(owner: AccountId, config: TrainingConfig<Balance>) -> ModelId {
	let id = pallet_model_registry::NextModelId::<Test>::get();
	let count = config
		.architecture
		.parameter_count()
		.expect("valid architecture");
	let weights = fedledger_primitives::tensor_codec::encode_zeros(count)
		.unwrap()
		.try_into()
		.unwrap();
	ModelRegistry::register_model(RuntimeOrigin::signed(owner), config, weights, None)
		.expect("owners are funded and configs valid");
	id
}
