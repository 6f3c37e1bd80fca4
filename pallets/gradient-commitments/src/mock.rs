//! A runtime for the round protocol's unit tests, wiring this pallet to the real model
//! registry and contribution-rewards pallets through their traits, as the runtime does.

use crate as pallet_gradient_commitments;
use fedledger_primitives::{model::TrainingConfig, tensor_codec, Digest, ModelId};
use frame_support::{
	derive_impl, parameter_types,
	traits::{Hooks, VariantCountOf},
	PalletId,
};
use sp_runtime::{BuildStorage, Perbill};

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
	pub type GradientCommitments = pallet_gradient_commitments;
	#[runtime::pallet_index(4)]
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
}

parameter_types! {
	pub const ModelDeposit: Balance = 100;
	pub const RewardsPalletId: PalletId = PalletId(*b"fl/rewrd");
	pub const TrainerSlash: Perbill = Perbill::from_percent(10);
	pub const ValidatorSlash: Perbill = Perbill::from_percent(20);
	pub const CongestionThreshold: Perbill = Perbill::from_percent(90);
	/// Closed rounds kept per model; tests shorten it with `RoundRetention::set`.
	pub storage RoundRetention: u32 = 4;
	/// At least the longest round (4 × `MaxPhaseBlocks`); the slash-escape tests shorten it
	/// with `UnbondingDelay::set` to reach the withdrawal checks inside a round.
	pub storage UnbondingDelay: u64 = 24;
}

impl pallet_model_registry::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type ModelDeposit = ModelDeposit;
	type MaxWeightsLen = frame_support::traits::ConstU32<{ 32 + 4 * 7850 }>;
	type Scheduler = GradientCommitments;
	type RewardTermsDelay = frame_support::traits::ConstU64<30>;
	type WeightInfo = ();
}

impl pallet_contribution_rewards::Config for Test {
	type Currency = Balances;
	type PalletId = RewardsPalletId;
	type EmissionPerRound = frame_support::traits::ConstU128<0>;
	type Models = ModelRegistry;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = RegistryModels;
}

impl pallet_gradient_commitments::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Models = ModelRegistry;
	type Rewards = ContributionRewards;
	type MinTrainerBond = frame_support::traits::ConstU128<50>;
	type MinValidatorBond = frame_support::traits::ConstU128<500>;
	type UnbondingDelay = UnbondingDelay;
	type MaxPayloadLen = frame_support::traits::ConstU32<4096>;
	type MaxUpdatesPerRound = frame_support::traits::ConstU32<16>;
	type MaxCommitsPerRound = frame_support::traits::ConstU32<32>;
	type CommitDeposit = frame_support::traits::ConstU128<10>;
	type CongestionThreshold = CongestionThreshold;
	type MaxValidators = frame_support::traits::ConstU32<8>;
	type MaxActiveModels = frame_support::traits::ConstU32<4>;
	type MaxPhaseBlocks = frame_support::traits::ConstU32<6>;
	type RoundRetention = RoundRetention;
	type TrainerSlash = TrainerSlash;
	type ValidatorSlash = ValidatorSlash;
	type OnSlash = ();
	type ReplayWindow = frame_support::traits::ConstU32<2>;
	type MaxMissedReports = frame_support::traits::ConstU32<2>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = RegistryModels;
}

pub const OWNER: AccountId = 1;
/// Trainers 10..=15, validators 20..=23.
pub const TRAINERS: [AccountId; 6] = [10, 11, 12, 13, 14, 15];
pub const VALIDATORS: [AccountId; 4] = [20, 21, 22, 23];
pub const POOR: AccountId = 99;

/// The initial weights' hash of every test model.
/// Version-0 weights of every model registered here: zeros in the canonical codec.
pub fn initial_weights(
	config: &TrainingConfig<Balance>,
) -> pallet_model_registry::InitialWeightsOf<Test> {
	let count = config
		.architecture
		.parameter_count()
		.expect("valid architecture");
	tensor_codec::encode_zeros(count)
		.unwrap()
		.try_into()
		.unwrap()
}

/// The hash of version 0 of the models [`config`] describes (4 → 2 logistic regression).
pub fn initial_hash() -> Digest {
	tensor_codec::digest(&initial_weights(&config(1)))
}

/// A valid configuration for a 4-input, 2-class logistic model (10 parameters).
pub fn config(min_updates: u32) -> TrainingConfig<Balance> {
	TrainingConfig::example(4, 2, min_updates, 1_000)
}

pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default()
		.build_storage()
		.unwrap();
	let mut balances = vec![(OWNER, 100_000), (POOR, 10)];
	balances.extend(TRAINERS.iter().map(|t| (*t, 10_000)));
	balances.extend(VALIDATORS.iter().map(|v| (*v, 10_000)));
	pallet_balances::GenesisConfig::<Test> {
		balances,
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	pallet_contribution_rewards::GenesisConfig::<Test>::default()
		.assimilate_storage(&mut storage)
		.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// Runs blocks up to and including `n`, calling the pallet's `on_initialize` like the
/// executive does.
pub fn run_to_block(n: u64) {
	while System::block_number() < n {
		GradientCommitments::on_finalize(System::block_number());
		let next = System::block_number() + 1;
		System::set_block_number(next);
		GradientCommitments::on_initialize(next);
	}
}

/// A canonical f32 payload of `len` values, distinct per `seed` and, for seeds below a
/// million, inside `UpdateBounds::GENEROUS` (values below 100).
pub fn payload(seed: u32, len: usize) -> Vec<u8> {
	let values: Vec<f32> = (0..len)
		.map(|i| (seed as f32) * 1e-4 + i as f32 * 0.001)
		.collect();
	tensor_codec::encode_f32(&values, &[len as u32]).expect("valid tensor")
}

pub fn commitment_of(payload: &[u8], salt: [u8; 32], who: AccountId) -> Digest {
	use codec::Encode;
	tensor_codec::commitment(payload, &salt, &who.encode())
}

/// Registers a model owned by `OWNER` and funds its pool with `pool`.
pub fn register_model(config: TrainingConfig<Balance>, pool: Balance) -> ModelId {
	let id = pallet_model_registry::NextModelId::<Test>::get();
	let weights = initial_weights(&config);
	ModelRegistry::register_model(RuntimeOrigin::signed(OWNER), config, weights, None).unwrap();
	if pool > 0 {
		ContributionRewards::fund_model(RuntimeOrigin::signed(OWNER), id, pool).unwrap();
	}
	id
}

/// Registers benchmark models in the real registry.
#[cfg(feature = "runtime-benchmarks")]
pub struct RegistryModels;
#[cfg(feature = "runtime-benchmarks")]
impl fedledger_primitives::traits::BenchmarkModels<AccountId, Balance> for RegistryModels {
	fn create_model(owner: AccountId, config: TrainingConfig<Balance>) -> ModelId {
		let id = pallet_model_registry::NextModelId::<Test>::get();
		let weights = initial_weights(&config);
		ModelRegistry::register_model(RuntimeOrigin::signed(owner), config, weights, None)
			.expect("benchmark owners are funded and configs valid");
		id
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
