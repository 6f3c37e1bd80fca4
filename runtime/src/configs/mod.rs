//! Configuration of every pallet in the runtime.

use frame_support::{
	derive_impl,
	dispatch::DispatchClass,
	parameter_types,
	traits::{ConstBool, ConstU128, ConstU32, ConstU64, ConstU8, VariantCountOf},
	weights::{
		constants::{ParityDbWeight, WEIGHT_REF_TIME_PER_SECOND},
		ConstantMultiplier, IdentityFee, Weight,
	},
	PalletId,
};
use frame_system::limits::{BlockLength, BlockWeights};
use pallet_transaction_payment::{FungibleAdapter, Multiplier, TargetedFeeAdjustment};
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_runtime::{
	traits::{Bounded, One},
	FixedPointNumber, Perbill, Perquintill,
};
use sp_version::RuntimeVersion;

use super::{
	AccountId, Aura, Balance, Balances, Block, BlockNumber, ContributionRewards,
	GradientCommitments, Hash, ModelRegistry, Nonce, PalletInfo, Runtime, RuntimeCall,
	RuntimeEvent, RuntimeFreezeReason, RuntimeHoldReason, RuntimeOrigin, RuntimeTask, System,
	EXISTENTIAL_DEPOSIT, MICRO_UNIT, MINUTES, SLOT_DURATION, UNIT, VERSION,
};

/// Share of block weight and length available to normal (non-operational) extrinsics.
const NORMAL_DISPATCH_RATIO: Perbill = Perbill::from_percent(75);

/// Largest block body: revealed model updates travel in block bodies, so blocks are allowed
/// to be large (normal extrinsics get [`NORMAL_DISPATCH_RATIO`] of it).
pub const MAX_BLOCK_LENGTH: u32 = 5 * 1024 * 1024;

parameter_types! {
	pub const BlockHashCount: BlockNumber = 2400;
	pub const Version: RuntimeVersion = VERSION;
	/// One second of compute per 3-second block, leaving time for import and gossip.
	pub RuntimeBlockWeights: BlockWeights = BlockWeights::with_sensible_defaults(
		Weight::from_parts(WEIGHT_REF_TIME_PER_SECOND, u64::MAX),
		NORMAL_DISPATCH_RATIO,
	);
	pub RuntimeBlockLength: BlockLength = BlockLength::builder()
		.max_length(MAX_BLOCK_LENGTH)
		.modify_max_length_for_class(DispatchClass::Normal, |max| {
			*max = NORMAL_DISPATCH_RATIO * *max
		})
		.build();
	pub const SS58Prefix: u8 = 42;
}

#[derive_impl(frame_system::config_preludes::SolochainDefaultConfig)]
impl frame_system::Config for Runtime {
	type Block = Block;
	type BlockWeights = RuntimeBlockWeights;
	type BlockLength = RuntimeBlockLength;
	type AccountId = AccountId;
	type Nonce = Nonce;
	type Hash = Hash;
	type BlockHashCount = BlockHashCount;
	/// The node runs ParityDB only, so storage access is priced with ParityDB's weights.
	type DbWeight = ParityDbWeight;
	type Version = Version;
	type AccountData = pallet_balances::AccountData<Balance>;
	type SS58Prefix = SS58Prefix;
	type MaxConsumers = ConstU32<16>;
}

impl pallet_aura::Config for Runtime {
	type AuthorityId = AuraId;
	type DisabledValidators = ();
	type MaxAuthorities = ConstU32<32>;
	type AllowMultipleBlocksPerSlot = ConstBool<false>;
	type SlotDuration = pallet_aura::MinimumPeriodTimesTwo<Runtime>;
}

impl pallet_grandpa::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = ();
	type MaxAuthorities = ConstU32<32>;
	type MaxNominators = ConstU32<0>;
	type MaxSetIdSessionEntries = ConstU64<0>;
	type KeyOwnerProof = sp_core::Void;
	type EquivocationReportSystem = ();
}

impl pallet_timestamp::Config for Runtime {
	/// Milliseconds since the unix epoch.
	type Moment = u64;
	type OnTimestampSet = Aura;
	type MinimumPeriod = ConstU64<{ SLOT_DURATION / 2 }>;
	type WeightInfo = ();
}

impl pallet_balances::Config for Runtime {
	type MaxLocks = ConstU32<50>;
	type MaxReserves = ConstU32<50>;
	type ReserveIdentifier = [u8; 8];
	type Balance = Balance;
	type RuntimeEvent = RuntimeEvent;
	type DustRemoval = ();
	type ExistentialDeposit = ConstU128<EXISTENTIAL_DEPOSIT>;
	type AccountStore = System;
	type WeightInfo = pallet_balances::weights::SubstrateWeight<Runtime>;
	type FreezeIdentifier = RuntimeFreezeReason;
	type MaxFreezes = VariantCountOf<RuntimeFreezeReason>;
	type RuntimeHoldReason = RuntimeHoldReason;
	type RuntimeFreezeReason = RuntimeFreezeReason;
	type DoneSlashHandler = ();
}

parameter_types! {
	/// The length fee per byte.
	pub const TransactionByteFee: Balance = MICRO_UNIT;
	/// The fee multiplier aims at blocks a quarter full (of the normal class's capacity).
	pub const TargetBlockFullness: Perquintill = Perquintill::from_percent(25);
	/// How fast it moves: each block at full normal capacity raises it by about 0.075 %
	/// (`v · (1 − target)`), so an hour of full blocks (600) raises fees by about 57 %, and
	/// stuffing a reveal window costs more every block it lasts.
	pub AdjustmentVariable: Multiplier = Multiplier::saturating_from_rational(1, 1_000);
	/// Fees never fall below the base fee.
	pub MinimumMultiplier: Multiplier = Multiplier::one();
	pub MaximumMultiplier: Multiplier = Bounded::max_value();
}

/// Fees rise under sustained full blocks and fall back (never below the base fee) when
/// blocks are emptier than the target.
pub type SlowAdjustingFeeUpdate<R> = TargetedFeeAdjustment<
	R,
	TargetBlockFullness,
	AdjustmentVariable,
	MinimumMultiplier,
	MaximumMultiplier,
>;

impl pallet_transaction_payment::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type OnChargeTransaction = FungibleAdapter<Balances, ()>;
	type OperationalFeeMultiplier = ConstU8<5>;
	type WeightToFee = IdentityFee<Balance>;
	// Block space is what a reveal window is censored with, so bytes are priced: a full block
	// (5 MiB) costs about 5 UNIT, the demo's reveal 0.03 UNIT, the largest one 0.5 UNIT.
	type LengthToFee = ConstantMultiplier<Balance, TransactionByteFee>;
	type FeeMultiplierUpdate = SlowAdjustingFeeUpdate<Self>;
	type WeightInfo = pallet_transaction_payment::weights::SubstrateWeight<Runtime>;
}

impl pallet_sudo::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type WeightInfo = pallet_sudo::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
	/// Held from a model's owner until the model is retired.
	pub const ModelDeposit: Balance = 10 * UNIT;
	/// Smallest trainer bond per model.
	pub const MinTrainerBond: Balance = 10 * UNIT;
	/// Smallest FL-validator bond.
	pub const MinValidatorBond: Balance = 100 * UNIT;
	/// Four hours: the longest round the registry allows (commit, reveal, aggregate and
	/// report reveal, each at most `MaxPhaseBlocks`), so a bond unbonded during a round is
	/// still there when that round's faults are slashed (withdrawal is also refused while the
	/// bond is in a round in flight).
	pub const UnbondingDelay: BlockNumber =
		pallet_gradient_commitments::LONGEST_ROUND_PHASES * MaxPhaseBlocks::get();
	/// Longest window of a round phase: an hour. A round then lasts at most about four
	/// hours, which bounds how long a phase-saturating model can hold committed bonds.
	pub const MaxPhaseBlocks: BlockNumber = 60 * MINUTES;
	/// Closed rounds kept in full per model (≈ 34 KB each when full): workers that were
	/// offline for fewer rounds rebuild every version from chain state.
	pub const RoundRetention: u32 = 64;
	/// Share of a trainer's bond slashed for a provable fault.
	pub const TrainerSlash: Perbill = Perbill::from_percent(10);
	/// Share of a validator's bond slashed for a contradicting report.
	pub const ValidatorSlash: Perbill = Perbill::from_percent(20);
	/// The pot holding every reward pool and pending reward.
	pub const RewardsPalletId: PalletId = PalletId(*b"fl/rewrd");
	/// Delay before a model's changed reward terms apply: the unbonding delay plus the
	/// longest round (eight hours), so whoever objects can finish its round, unbond and leave
	/// first (`runtime/tests/round_limits.rs` checks the sum).
	pub const RewardTermsDelay: BlockNumber = UnbondingDelay::get()
		+ pallet_gradient_commitments::LONGEST_ROUND_PHASES * MaxPhaseBlocks::get();
	/// Closed rounds whose payloads a new update may not replay.
	pub const ReplayWindow: u32 = 8;
	/// Settled rounds in a row an FL validator may miss reporting in before it loses its
	/// seat: one or two missed rounds are a restart or an upgrade, three are a seat not served.
	pub const MaxMissedReports: u32 = 3;
	/// Smallest commitment deposit (a round's is at least its reward per update slot):
	/// forfeited, with the slash, by a drawn commitment that is not revealed.
	pub const CommitDeposit: Balance = UNIT;
	/// A block is congested when anything but recorded updates used 90 % of its weight or
	/// length: more than ordinary transactions can (they are held to 75 %), so filling blocks
	/// with them alone never excuses a missing reveal.
	pub const CongestionThreshold: Perbill = Perbill::from_percent(90);
	/// No new issuance: rewards come from the pools model owners and funders pay.
	pub const EmissionPerRound: Balance = 0;
}

/// Largest update payload: an MLP 784-128-10 in f32 (101 770 parameters) is ~398 KiB.
pub const MAX_PAYLOAD_LEN: u32 = 512 * 1024;

// The largest model the registry admits has a dense f32 payload within this bound, so its
// initial weights can be registered and its updates revealed.
const _: () = assert!(
	fedledger_primitives::tensor_codec::HEADER_LEN
		+ 4 * fedledger_primitives::model::MAX_PARAMETERS as usize
		<= MAX_PAYLOAD_LEN as usize
);

impl pallet_model_registry::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type ModelDeposit = ModelDeposit;
	type MaxWeightsLen = ConstU32<MAX_PAYLOAD_LEN>;
	type Scheduler = GradientCommitments;
	type RewardTermsDelay = RewardTermsDelay;
	type WeightInfo = pallet_model_registry::weights::SubstrateWeight<Runtime>;
}

impl pallet_gradient_commitments::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Models = ModelRegistry;
	type Rewards = ContributionRewards;
	type MinTrainerBond = MinTrainerBond;
	type MinValidatorBond = MinValidatorBond;
	type UnbondingDelay = UnbondingDelay;
	type MaxPayloadLen = ConstU32<MAX_PAYLOAD_LEN>;
	type MaxUpdatesPerRound = ConstU32<64>;
	type MaxCommitsPerRound = ConstU32<256>;
	type CommitDeposit = CommitDeposit;
	type CongestionThreshold = CongestionThreshold;
	type MaxValidators = ConstU32<32>;
	type MaxActiveModels = ConstU32<16>;
	type MaxPhaseBlocks = MaxPhaseBlocks;
	type RoundRetention = RoundRetention;
	type TrainerSlash = TrainerSlash;
	type ValidatorSlash = ValidatorSlash;
	// Burnt: no pool, owner or block author profits from a slash it could provoke.
	type OnSlash = ();
	type ReplayWindow = ReplayWindow;
	type MaxMissedReports = MaxMissedReports;
	type WeightInfo = pallet_gradient_commitments::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = BenchmarkModels;
}

impl pallet_contribution_rewards::Config for Runtime {
	type Currency = Balances;
	type PalletId = RewardsPalletId;
	type EmissionPerRound = EmissionPerRound;
	type Models = ModelRegistry;
	type WeightInfo = pallet_contribution_rewards::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = BenchmarkModels;
}

/// Registers models for the benchmarks of the round and reward pallets.
#[cfg(feature = "runtime-benchmarks")]
pub struct BenchmarkModels;
#[cfg(feature = "runtime-benchmarks")]
impl fedledger_primitives::traits::BenchmarkModels<AccountId, Balance> for BenchmarkModels {
	fn create_model(
		owner: AccountId,
		config: fedledger_primitives::model::TrainingConfig<Balance>,
	) -> fedledger_primitives::ModelId {
		let id = pallet_model_registry::NextModelId::<Runtime>::get();
		let count = config
			.architecture
			.parameter_count()
			.expect("valid architecture");
		let weights = fedledger_primitives::tensor_codec::encode_zeros(count)
			.expect("zeros encode")
			.try_into()
			.expect("benchmark models fit MaxWeightsLen");
		ModelRegistry::register_model(RuntimeOrigin::signed(owner), config, weights, None)
			.expect("benchmark owners are funded and configs valid");
		id
	}

	fn fund_pool(model: fedledger_primitives::ModelId, funder: AccountId, amount: Balance) {
		ContributionRewards::fund_model(RuntimeOrigin::signed(funder), model, amount)
			.expect("benchmark funders are funded");
	}

	fn retire_model(owner: AccountId, model: fedledger_primitives::ModelId) {
		ModelRegistry::retire_model(RuntimeOrigin::signed(owner), model)
			.expect("the owner retires its model");
	}
}
