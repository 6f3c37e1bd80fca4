//! A minimal runtime for the model registry's unit tests.

use crate as pallet_model_registry;
use fedledger_primitives::{traits::ModelActivation, ModelId};
use frame_support::{derive_impl, parameter_types, traits::VariantCountOf};
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
}

parameter_types! {
	pub const ModelDeposit: Balance = 100;
}

std::thread_local! {
	/// Models the registry reported as activated, in order.
	pub static ACTIVATED: core::cell::RefCell<Vec<ModelId>> = const { core::cell::RefCell::new(Vec::new()) };
}

/// Records activations so tests can check the hook fired.
pub struct RecordActivation;
impl ModelActivation for RecordActivation {
	fn on_model_activated(model: ModelId) {
		ACTIVATED.with(|a| a.borrow_mut().push(model));
	}
}

pub fn activated() -> Vec<ModelId> {
	ACTIVATED.with(|a| a.borrow().clone())
}

impl pallet_model_registry::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type ModelDeposit = ModelDeposit;
	type MaxWeightsLen = frame_support::traits::ConstU32<{ 32 + 4 * 7850 }>;
	type Activation = RecordActivation;
	type WeightInfo = ();
}

/// Version-0 weights of the tests' 784 → 10 logistic model, in the canonical codec.
pub fn weights() -> crate::InitialWeightsOf<Test> {
	fedledger_primitives::tensor_codec::encode_f32(&[0.01; 7850], &[7850])
		.unwrap()
		.try_into()
		.unwrap()
}

pub const ALICE: AccountId = 1;
pub const BOB: AccountId = 2;
/// An account with less than the model deposit.
pub const POOR: AccountId = 3;

pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default()
		.build_storage()
		.unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![(ALICE, 10_000), (BOB, 10_000), (POOR, 50)],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		ACTIVATED.with(|a| a.borrow_mut().clear());
	});
	ext
}
