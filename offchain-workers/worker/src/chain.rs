//! What the worker needs from the chain, as a trait the node implements over its client.
//!
//! The worker never touches runtime types: the node's adapter converts runtime-API answers
//! into the plain structs here, reads payloads out of block bodies and signs extrinsics with
//! the FL key. That keeps this crate free of the runtime and lets unit tests drive the worker
//! with an in-memory chain.

use fedledger_primitives::{model::TrainingConfig, Digest, ModelId, RoundIndex, VersionIndex};

/// Where a round stands: the round pallet's own type (defined once, in `primitives`).
pub use fedledger_primitives::round::RoundPhase;

/// An account as the runtime encodes it (`AccountId32`): the 32 bytes that also enter the
/// commitment `sha3_256(payload ‖ salt ‖ account)`.
pub type Account = [u8; 32];

/// Balances in the runtime's smallest unit.
pub type Balance = u128;

/// A block of the best chain, by number and hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockRef {
	pub number: u32,
	pub hash: [u8; 32],
}

/// A registered model.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelState {
	pub id: ModelId,
	/// Active (not paused or retired).
	pub active: bool,
	pub config: TrainingConfig<Balance>,
	pub parameter_count: u32,
	/// Current version and its hash.
	pub version: VersionIndex,
	pub version_hash: Digest,
	/// Block of registration: its body carries the initial weights.
	pub registered_at: u32,
}

/// One round of one model.
#[derive(Clone, Debug, PartialEq)]
pub struct RoundState {
	pub model: ModelId,
	pub index: RoundIndex,
	pub base_version: VersionIndex,
	pub base_hash: Digest,
	/// The configuration snapshot the round runs with.
	pub config: TrainingConfig<Balance>,
	pub parameter_count: u32,
	pub phase: RoundPhase,
	pub phase_ends_at: u32,
	pub updates: u32,
	/// Randomness fixed when the round stopped taking updates (seeds bucketing; zero before).
	pub aggregation_seed: Digest,
	pub finalized_hash: Option<Digest>,
}

/// A revealed (or submitted) update: who, its payload hash, and where the payload is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpdateRef {
	pub submitter: Account,
	pub payload_hash: Digest,
	pub block: u32,
	pub extrinsic_index: u32,
	pub num_samples: u32,
	pub base_version: VersionIndex,
}

/// One link of a model's version chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionLink {
	pub hash: Digest,
	pub parent: Option<Digest>,
	pub round: Option<RoundIndex>,
	pub block: u32,
}

/// The extrinsics the worker submits (signed with its FL key).
#[derive(Clone, Debug, PartialEq)]
pub enum FlCall {
	BondTrainer {
		model: ModelId,
		amount: Balance,
	},
	RegisterValidator {
		amount: Balance,
	},
	CommitUpdate {
		model: ModelId,
		round: RoundIndex,
		commitment: Digest,
	},
	RevealUpdate {
		model: ModelId,
		round: RoundIndex,
		payload: Vec<u8>,
		salt: [u8; 32],
		num_samples: u32,
	},
	SubmitUpdate {
		model: ModelId,
		round: RoundIndex,
		base_version: VersionIndex,
		payload: Vec<u8>,
		/// The salt of the commitment it must match.
		salt: [u8; 32],
		num_samples: u32,
	},
	CommitReport {
		model: ModelId,
		round: RoundIndex,
		/// The root of the update set aggregated (`fedledger_primitives::round`).
		updates_root: Digest,
		/// `fedledger_primitives::round::report_commitment` of the report below.
		commitment: Digest,
	},
	ReportAggregate {
		model: ModelId,
		round: RoundIndex,
		model_hash: Digest,
		accepted: Vec<u32>,
		scores: Vec<u32>,
		/// The salt of the report commitment it must match.
		salt: [u8; 32],
	},
}

/// A signed extrinsic as submitted: its nonce and its exact bytes, so that a restarted worker
/// can re-send the very same transaction (which can only ever apply once) instead of
/// signing a second one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedTx {
	pub nonce: u32,
	pub bytes: Vec<u8>,
}

/// Chain access errors (runtime API, block bodies, the transaction pool).
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
	#[error("runtime API: {0}")]
	Api(String),
	#[error("block {0}: {1}")]
	Block(u32, String),
	#[error("transaction pool: {0}")]
	Pool(String),
	#[error("keystore: {0}")]
	Keystore(String),
}

/// Reads at a given block and submission, implemented by the node over its client.
pub trait Chain: Send + Sync {
	/// The best block.
	fn best(&self) -> Result<BlockRef, ChainError>;
	/// All registered models.
	fn models(&self, at: &BlockRef) -> Result<Vec<ModelState>, ChainError>;
	/// The latest round of a model.
	fn current_round(
		&self,
		at: &BlockRef,
		model: ModelId,
	) -> Result<Option<RoundState>, ChainError>;
	/// Any round of a model.
	fn round(
		&self,
		at: &BlockRef,
		model: ModelId,
		round: RoundIndex,
	) -> Result<Option<RoundState>, ChainError>;
	/// A round's updates in reveal order.
	fn round_updates(
		&self,
		at: &BlockRef,
		model: ModelId,
		round: RoundIndex,
	) -> Result<Vec<UpdateRef>, ChainError>;
	/// Validators allowed to report for a round.
	fn round_validators(
		&self,
		at: &BlockRef,
		model: ModelId,
		round: RoundIndex,
	) -> Result<Vec<(Account, Balance)>, ChainError>;
	/// A link of the version chain.
	fn version(
		&self,
		at: &BlockRef,
		model: ModelId,
		version: VersionIndex,
	) -> Result<Option<VersionLink>, ChainError>;
	/// Whether `who` is an active FL validator.
	fn is_validator(&self, at: &BlockRef, who: &Account) -> Result<bool, ChainError>;
	/// The bond `who` holds for `model`.
	fn trainer_bond(
		&self,
		at: &BlockRef,
		model: ModelId,
		who: &Account,
	) -> Result<Option<Balance>, ChainError>;
	/// The commitment `who` made in a round.
	fn commitment(
		&self,
		at: &BlockRef,
		model: ModelId,
		round: RoundIndex,
		who: &Account,
	) -> Result<Option<Digest>, ChainError>;
	/// The commitment `who` made to its report of a round.
	fn report_commitment(
		&self,
		at: &BlockRef,
		model: ModelId,
		round: RoundIndex,
		who: &Account,
	) -> Result<Option<Digest>, ChainError>;
	/// The hash `who` reported for a round.
	fn reported_hash(
		&self,
		at: &BlockRef,
		model: ModelId,
		round: RoundIndex,
		who: &Account,
	) -> Result<Option<Digest>, ChainError>;
	/// The account's next nonce according to the state at `at`.
	fn account_nonce(&self, at: &BlockRef, who: &Account) -> Result<u32, ChainError>;
	/// The payload an update carries, read from the block body of the best chain.
	fn update_payload(&self, update: &UpdateRef) -> Result<Option<Vec<u8>>, ChainError>;
	/// The initial weights passed to `register_model` (block `registered_at`'s body), the
	/// registration whose weights hash to `hash`.
	fn initial_weights(
		&self,
		registered_at: u32,
		hash: &Digest,
	) -> Result<Option<Vec<u8>>, ChainError>;
	/// Signs `call` with the FL key at `nonce`.
	fn sign(&self, call: &FlCall, nonce: u32) -> Result<SignedTx, ChainError>;
	/// Hands a signed transaction to the pool (re-sending known bytes is harmless).
	fn submit(&self, tx: &SignedTx) -> Result<(), ChainError>;
}
