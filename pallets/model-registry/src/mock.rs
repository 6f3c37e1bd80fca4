//! A minimal runtime for the model registry's unit tests.

use crate as pallet_model_registry;
use fedledger_primitives::{
	model::Schedule,
	traits::{RoundScheduler, ScheduleError},
	ModelId,
};
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
	pub const RewardTermsDelay: u64 = 30;
}

std::thread_local! {
	/// Models the registry reported as activated, in order.
	pub static ACTIVATED: core::cell::RefCell<Vec<ModelId>> = const { core::cell::RefCell::new(Vec::new()) };
	/// Models the registry reported as retired, in order.
	pub static RETIRED: core::cell::RefCell<Vec<ModelId>> = const { core::cell::RefCell::new(Vec::new()) };
	/// Models the registry reported as paused, in order.
	pub static PAUSED: core::cell::RefCell<Vec<ModelId>> = const { core::cell::RefCell::new(Vec::new()) };
	/// What the mock scheduler answers to `check_schedule` and `on_model_activated`.
	pub static SCHEDULER_REFUSES: core::cell::Cell<Option<ScheduleError>> = const { core::cell::Cell::new(None) };
}

/// Records activations and retirements so tests can check the hooks fired; refuses with
/// [`SCHEDULER_REFUSES`] when a test sets it (the real checks are the round pallet's).
pub struct RecordScheduler;
impl RoundScheduler for RecordScheduler {
	fn check_schedule(_: &Schedule, _: u32) -> Result<(), ScheduleError> {
		match SCHEDULER_REFUSES.with(|r| r.get()) {
			Some(ScheduleError::AgendaFull) | None => Ok(()),
			Some(e) => Err(e),
		}
	}
	fn on_model_activated(model: ModelId) -> Result<(), ScheduleError> {
		if let Some(ScheduleError::AgendaFull) = SCHEDULER_REFUSES.with(|r| r.get()) {
			return Err(ScheduleError::AgendaFull);
		}
		ACTIVATED.with(|a| a.borrow_mut().push(model));
		Ok(())
	}
	fn on_model_retired(model: ModelId) {
		RETIRED.with(|a| a.borrow_mut().push(model));
	}
	fn on_model_paused(model: ModelId) {
		PAUSED.with(|a| a.borrow_mut().push(model));
	}
}

pub fn paused() -> Vec<ModelId> {
	PAUSED.with(|a| a.borrow().clone())
}

pub fn activated() -> Vec<ModelId> {
	ACTIVATED.with(|a| a.borrow().clone())
}

pub fn retired() -> Vec<ModelId> {
	RETIRED.with(|a| a.borrow().clone())
}

pub fn scheduler_refuses(e: Option<ScheduleError>) {
	SCHEDULER_REFUSES.with(|r| r.set(e));
}

impl pallet_model_registry::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type ModelDeposit = ModelDeposit;
	type MaxWeightsLen = frame_support::traits::ConstU32<{ 32 + 4 * 7850 }>;
	type Scheduler = RecordScheduler;
	type RewardTermsDelay = RewardTermsDelay;
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
		PAUSED.with(|a| a.borrow_mut().clear());
	});
	ext
}
