//! The worker's [`Chain`] port over this node: runtime API reads, block bodies, the
//! transaction pool and the keystore.
//!
//! Generic over the client traits it needs (as polkadot-sdk's gadgets are), so it depends on
//! no concrete service type.

use std::sync::Arc;

use codec::{Decode, Encode};
use fedledger_primitives::{tensor_codec, traits::ModelStatus, Digest, ModelId, RoundIndex};
use fedledger_runtime::{
	opaque::Block, AccountId, Balance, BlockNumber, Nonce, RuntimeCall, UncheckedExtrinsic,
};
use fedledger_runtime_api::FedLedgerApi;
use sc_client_api::BlockBackend;
use sc_transaction_pool_api::{TransactionPool, TransactionSource};
use sp_api::{Core, ProvideRuntimeApi};
use sp_blockchain::HeaderBackend;
use sp_core::{sr25519, H256};
use sp_keystore::KeystorePtr;
use substrate_frame_rpc_system::AccountNonceApi;

use super::tx;
use fedledger_worker::{
	Account, BlockRef, Chain, ChainError, FlCall, ModelState, RoundState, SignedTx, UpdateRef,
	VersionLink,
};

fn api_err(e: impl std::fmt::Display) -> ChainError {
	ChainError::Api(e.to_string())
}

/// The runtime APIs the worker's port calls: one name for the bound that `ClientChain`'s
/// impls and [`super::spawn`] share.
pub trait FlRuntimeApi:
	FedLedgerApi<Block, AccountId, Balance, BlockNumber>
	+ AccountNonceApi<Block, AccountId, Nonce>
	+ Core<Block>
{
}

impl<T> FlRuntimeApi for T where
	T: FedLedgerApi<Block, AccountId, Balance, BlockNumber>
		+ AccountNonceApi<Block, AccountId, Nonce>
		+ Core<Block>
{
}

/// The worker's view of this node.
pub struct ClientChain<C, P> {
	client: Arc<C>,
	pool: Arc<P>,
	keystore: KeystorePtr,
	public: Option<sr25519::Public>,
	genesis: H256,
}

impl<C, P> ClientChain<C, P>
where
	C: HeaderBackend<Block>,
{
	/// The adapter over `client` and `pool`, signing with `public` (the `fedl` key, if any).
	pub fn new(
		client: Arc<C>,
		pool: Arc<P>,
		keystore: KeystorePtr,
		public: Option<sr25519::Public>,
	) -> Self {
		let genesis = client.info().genesis_hash;
		Self {
			client,
			pool,
			keystore,
			public,
			genesis,
		}
	}
}

fn round_state(
	model: ModelId,
	index: RoundIndex,
	info: pallet_gradient_commitments::RoundInfo<Balance, BlockNumber>,
) -> RoundState {
	RoundState {
		model,
		index,
		base_version: info.base_version,
		base_hash: info.base_hash,
		config: info.config,
		parameter_count: info.parameter_count,
		phase: info.phase,
		phase_ends_at: info.phase_ends_at,
		updates: info.updates,
		aggregation_seed: info.aggregation_seed,
		finalized_hash: info.finalized_hash,
	}
}

fn account(a: &Account) -> AccountId {
	AccountId::new(*a)
}

impl<C, P> ClientChain<C, P>
where
	C: ProvideRuntimeApi<Block>
		+ HeaderBackend<Block>
		+ BlockBackend<Block>
		+ Send
		+ Sync
		+ 'static,
	C::Api: FlRuntimeApi,
	P: TransactionPool<Block = Block> + 'static,
{
	fn hash(at: &BlockRef) -> H256 {
		H256::from(at.hash)
	}

	/// The extrinsics of the best chain's block `number`, decoded.
	fn block_calls(&self, number: u32) -> Result<Vec<Option<RuntimeCall>>, ChainError> {
		let hash = self
			.client
			.hash(number)
			.map_err(|e| ChainError::Block(number, e.to_string()))?
			.ok_or_else(|| ChainError::Block(number, "not on the best chain".into()))?;
		let body = self
			.client
			.block_body(hash)
			.map_err(|e| ChainError::Block(number, e.to_string()))?
			.ok_or_else(|| ChainError::Block(number, "body pruned or missing".into()))?;
		Ok(body
			.iter()
			.map(|opaque| {
				UncheckedExtrinsic::decode(&mut &opaque.encode()[..])
					.ok()
					.map(|xt| xt.function)
			})
			.collect())
	}
}

impl<C, P> Chain for ClientChain<C, P>
where
	C: ProvideRuntimeApi<Block>
		+ HeaderBackend<Block>
		+ BlockBackend<Block>
		+ Send
		+ Sync
		+ 'static,
	C::Api: FlRuntimeApi,
	P: TransactionPool<Block = Block> + 'static,
{
	fn best(&self) -> Result<BlockRef, ChainError> {
		let info = self.client.info();
		Ok(BlockRef {
			number: info.best_number,
			hash: info.best_hash.0,
		})
	}

	fn models(&self, at: &BlockRef) -> Result<Vec<ModelState>, ChainError> {
		let api = self.client.runtime_api();
		let at = Self::hash(at);
		let ids = api.models(at).map_err(api_err)?;
		let mut out = Vec::with_capacity(ids.len());
		for id in ids {
			if let Some(info) = api.model(at, id).map_err(api_err)? {
				out.push(ModelState {
					id,
					active: info.status == ModelStatus::Active,
					config: info.config,
					parameter_count: info.parameter_count,
					version: info.version,
					version_hash: info.version_hash,
					registered_at: info.registered_at,
				});
			}
		}
		Ok(out)
	}

	fn current_round(
		&self,
		at: &BlockRef,
		model: ModelId,
	) -> Result<Option<RoundState>, ChainError> {
		let api = self.client.runtime_api();
		Ok(api
			.current_round(Self::hash(at), model)
			.map_err(api_err)?
			.map(|(index, info)| round_state(model, index, info)))
	}

	fn round(
		&self,
		at: &BlockRef,
		model: ModelId,
		round: RoundIndex,
	) -> Result<Option<RoundState>, ChainError> {
		let api = self.client.runtime_api();
		Ok(api
			.round(Self::hash(at), model, round)
			.map_err(api_err)?
			.map(|info| round_state(model, round, info)))
	}

	fn round_updates(
		&self,
		at: &BlockRef,
		model: ModelId,
		round: RoundIndex,
	) -> Result<Vec<UpdateRef>, ChainError> {
		let api = self.client.runtime_api();
		Ok(api
			.round_updates(Self::hash(at), model, round)
			.map_err(api_err)?
			.into_iter()
			.map(|(who, r)| UpdateRef {
				submitter: who.into(),
				payload_hash: r.payload_hash,
				block: r.block,
				extrinsic_index: r.extrinsic_index,
				num_samples: r.num_samples,
				base_version: r.base_version,
			})
			.collect())
	}

	fn round_validators(
		&self,
		at: &BlockRef,
		model: ModelId,
		round: RoundIndex,
	) -> Result<Vec<(Account, u128)>, ChainError> {
		let api = self.client.runtime_api();
		Ok(api
			.round_validators(Self::hash(at), model, round)
			.map_err(api_err)?
			.into_iter()
			.map(|(who, stake)| (who.into(), stake))
			.collect())
	}

	fn version(
		&self,
		at: &BlockRef,
		model: ModelId,
		version: u32,
	) -> Result<Option<VersionLink>, ChainError> {
		let api = self.client.runtime_api();
		Ok(FedLedgerApi::version(&*api, Self::hash(at), model, version)
			.map_err(api_err)?
			.map(|v| VersionLink {
				hash: v.hash,
				parent: v.parent,
				round: v.round,
				block: v.block,
			}))
	}

	fn is_validator(&self, at: &BlockRef, who: &Account) -> Result<bool, ChainError> {
		let api = self.client.runtime_api();
		let me = account(who);
		Ok(api
			.validators(Self::hash(at))
			.map_err(api_err)?
			.iter()
			.any(|(v, _)| *v == me))
	}

	fn trainer_bond(
		&self,
		at: &BlockRef,
		model: ModelId,
		who: &Account,
	) -> Result<Option<u128>, ChainError> {
		let api = self.client.runtime_api();
		api.trainer_bond(Self::hash(at), model, account(who))
			.map_err(api_err)
	}

	fn commitment(
		&self,
		at: &BlockRef,
		model: ModelId,
		round: RoundIndex,
		who: &Account,
	) -> Result<Option<Digest>, ChainError> {
		let api = self.client.runtime_api();
		api.commitment(Self::hash(at), model, round, account(who))
			.map_err(api_err)
	}

	fn report_commitment(
		&self,
		at: &BlockRef,
		model: ModelId,
		round: RoundIndex,
		who: &Account,
	) -> Result<Option<Digest>, ChainError> {
		let api = self.client.runtime_api();
		api.report_commitment(Self::hash(at), model, round, account(who))
			.map_err(api_err)
	}

	fn reported_hash(
		&self,
		at: &BlockRef,
		model: ModelId,
		round: RoundIndex,
		who: &Account,
	) -> Result<Option<Digest>, ChainError> {
		let api = self.client.runtime_api();
		api.reported_hash(Self::hash(at), model, round, account(who))
			.map_err(api_err)
	}

	fn account_nonce(&self, at: &BlockRef, who: &Account) -> Result<u32, ChainError> {
		let api = self.client.runtime_api();
		let nonce: Nonce = api
			.account_nonce(Self::hash(at), account(who))
			.map_err(api_err)?;
		Ok(nonce)
	}

	fn update_payload(&self, update: &UpdateRef) -> Result<Option<Vec<u8>>, ChainError> {
		use pallet_gradient_commitments::Call as Gc;
		let calls = self.block_calls(update.block)?;
		Ok(
			match calls
				.into_iter()
				.nth(update.extrinsic_index as usize)
				.flatten()
			{
				Some(RuntimeCall::GradientCommitments(Gc::reveal_update { payload, .. }))
				| Some(RuntimeCall::GradientCommitments(Gc::submit_update { payload, .. })) => {
					Some(payload.into_inner())
				}
				_ => None,
			},
		)
	}

	fn initial_weights(
		&self,
		registered_at: u32,
		hash: &Digest,
	) -> Result<Option<Vec<u8>>, ChainError> {
		use pallet_model_registry::Call as Mr;
		Ok(self
			.block_calls(registered_at)?
			.into_iter()
			.flatten()
			.find_map(|call| match call {
				RuntimeCall::ModelRegistry(Mr::register_model {
					initial_weights, ..
				}) if tensor_codec::digest(&initial_weights) == *hash => Some(initial_weights.into_inner()),
				_ => None,
			}))
	}

	fn sign(&self, call: &FlCall, nonce: u32) -> Result<SignedTx, ChainError> {
		let public = self
			.public
			.ok_or_else(|| ChainError::Keystore("no `fedl` key in the keystore".into()))?;
		let best = self.client.info().best_hash;
		let version = Core::version(&*self.client.runtime_api(), best).map_err(api_err)?;
		tx::sign(
			&self.keystore,
			public,
			call,
			nonce,
			(version.spec_version, version.transaction_version),
			self.genesis,
		)
	}

	fn submit(&self, tx: &SignedTx) -> Result<(), ChainError> {
		let xt = <Block as sp_runtime::traits::Block>::Extrinsic::decode(&mut &tx.bytes[..])
			.map_err(|e| ChainError::Pool(format!("undecodable transaction: {e}")))?;
		let best = self.client.info().best_hash;
		// The worker's whole loop runs inside one poll of a blocking task, so tokio's
		// cooperative budget is never refilled there: after ~128 operations on the pool's
		// tokio locks every one of them would return `Pending` forever and this `block_on`
		// would spin (seen with 16 models committing in one wake-up). `unconstrained` opts
		// the submission out of the budget.
		let submission =
			tokio::task::unconstrained(self.pool.submit_one(best, TransactionSource::External, xt));
		futures::executor::block_on(submission)
			.map(|_| ())
			.map_err(|e| ChainError::Pool(e.to_string()))
	}
}
