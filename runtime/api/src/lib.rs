//! `FedLedgerApi`: what the node-side FL worker and dApps read from the runtime.
//!
//! Every call is a plain read of pallet state at a block; nothing here changes state. The API
//! is versioned: a method added to it bumps the trait's `api_version` (version 2 added `round`,
//! `trainer_bond`, `commitment` and `reported_hash`; version 3 `report_commitment`), and the old
//! ones stay callable.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use alloc::vec::Vec;
use codec::Codec;
use fedledger_primitives::{Digest, ModelId, RoundIndex, VersionIndex};

pub use pallet_contribution_rewards::Attribution;
pub use pallet_gradient_commitments::{RoundInfo, RoundPhase, UpdateRecord};
pub use pallet_model_registry::{ModelInfo, VersionRecord};

sp_api::decl_runtime_apis! {
	/// Models, rounds, updates, validators and rewards of fedledger.
	#[api_version(3)]
	pub trait FedLedgerApi<AccountId, Balance, BlockNumber>
	where
		AccountId: Codec,
		Balance: Codec,
		BlockNumber: Codec,
	{
		/// Ids of the registered models that are not retired (active or paused): the ones a
		/// worker follows. Retired models stay readable through `model` and `version`.
		fn models() -> Vec<ModelId>;

		/// A model's configuration, status and current version.
		fn model(model: ModelId) -> Option<ModelInfo<AccountId, Balance, BlockNumber>>;

		/// One link of a model's version chain.
		fn version(model: ModelId, version: VersionIndex) -> Option<VersionRecord<BlockNumber>>;

		/// The model's latest round: its index and state (phase, deadlines, base version).
		fn current_round(model: ModelId) -> Option<(RoundIndex, RoundInfo<Balance, BlockNumber>)>;

		/// A round's revealed (or submitted) updates in reveal order: who, payload hash, and
		/// the block and extrinsic index that carry the payload.
		fn round_updates(model: ModelId, round: RoundIndex) -> Vec<(AccountId, UpdateRecord<BlockNumber>)>;

		/// The validators allowed to report for a round, with their stake.
		fn round_validators(model: ModelId, round: RoundIndex) -> Vec<(AccountId, Balance)>;

		/// The active FL validators with their bonds.
		fn validators() -> Vec<(AccountId, Balance)>;

		/// Rewards credited to `who` and not yet claimed.
		fn pending_rewards(who: AccountId) -> Balance;

		/// What `who` earned from `model`, by role.
		fn attribution(model: ModelId, who: AccountId) -> Attribution<Balance>;

		/// Any round of a model, past or current (v2: the worker rebuilds old versions).
		fn round(model: ModelId, round: RoundIndex) -> Option<RoundInfo<Balance, BlockNumber>>;

		/// The bond `who` holds for training `model`, if any (v2).
		fn trainer_bond(model: ModelId, who: AccountId) -> Option<Balance>;

		/// The commitment `who` made in a round, if any (v2: a restarted trainer checks
		/// what it already submitted).
		fn commitment(model: ModelId, round: RoundIndex, who: AccountId) -> Option<Digest>;

		/// The model hash `who` reported for a round, if it reported (v2).
		fn reported_hash(model: ModelId, round: RoundIndex, who: AccountId) -> Option<Digest>;

		/// The commitment `who` made to its report of a round, if any (v3: a restarted
		/// validator checks what it committed to before revealing it).
		fn report_commitment(model: ModelId, round: RoundIndex, who: AccountId) -> Option<Digest>;
	}
}
