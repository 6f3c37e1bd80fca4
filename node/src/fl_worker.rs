//! Wires the federated-learning worker (`fedledger_offchain_workers::worker`) into the node:
//! the [`Chain`] adapter over the client, transaction pool and keystore, dataset loading for
//! the trainer role, and the thread that wakes the worker on every new best block.

use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use codec::{Decode, Encode};
use fedledger_offchain_workers::data::{load_fashion_mnist, partition, Split};
use fedledger_offchain_workers::worker::{
	Account, Attack, BlockRef, Chain, ChainError, FlCall, Metrics, ModelState, RoundPhase,
	RoundState, SignedTx, Store, TrainerSetup, UpdateRef, VersionLink, Worker, WorkerConfig,
	WorkerStatus,
};
use fedledger_primitives::{tensor_codec, traits::ModelStatus, Digest, ModelId, RoundIndex};
use fedledger_runtime::{
	opaque::Block, AccountId, Balance, BlockNumber, Nonce, Runtime, RuntimeCall, SignedPayload,
	UncheckedExtrinsic,
};
use fedledger_runtime_api::FedLedgerApi;
use futures::StreamExt;
use sc_client_api::{BlockBackend, BlockchainEvents};
use sc_transaction_pool_api::{TransactionPool, TransactionSource};
use sp_api::{Core, ProvideRuntimeApi};
use sp_blockchain::HeaderBackend;
use sp_core::{crypto::KeyTypeId, sr25519, H256};
use sp_keystore::KeystorePtr;
use sp_runtime::{traits::Get, MultiAddress, MultiSignature};
use substrate_frame_rpc_system::AccountNonceApi;

use crate::cli::FlArgs;
use crate::service::FullClient;

/// Key type of the FL identity in the keystore (sr25519).
pub const FL_KEY_TYPE: KeyTypeId = KeyTypeId(*b"fedl");

/// What the RPC shares with the worker.
#[derive(Clone)]
pub struct FlShared {
	pub store: Store,
	pub status: Arc<Mutex<WorkerStatus>>,
}

/// The worker's view of this node.
pub struct ClientChain<P> {
	client: Arc<FullClient>,
	pool: Arc<P>,
	keystore: KeystorePtr,
	public: Option<sr25519::Public>,
	genesis: H256,
}

fn api_err(e: impl std::fmt::Display) -> ChainError {
	ChainError::Api(e.to_string())
}

fn phase(p: pallet_gradient_commitments::RoundPhase) -> RoundPhase {
	use pallet_gradient_commitments::RoundPhase as P;
	match p {
		P::Commit => RoundPhase::Commit,
		P::Reveal => RoundPhase::Reveal,
		P::Buffer => RoundPhase::Buffer,
		P::Aggregate => RoundPhase::Aggregate,
		P::Finalized => RoundPhase::Finalized,
		P::Failed => RoundPhase::Failed,
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
		phase: phase(info.phase),
		phase_ends_at: info.phase_ends_at,
		updates: info.updates,
		finalized_hash: info.finalized_hash,
	}
}

fn account(a: &Account) -> AccountId {
	AccountId::new(*a)
}

impl<P> ClientChain<P>
where
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

impl<P> Chain for ClientChain<P>
where
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
		let call = runtime_call(call)?;
		let best = self.client.info().best_hash;
		let version = Core::version(&*self.client.runtime_api(), best).map_err(api_err)?;
		let extension = fedledger_runtime::immortal_tx_extension(nonce);
		// What the extensions add to the signed payload without carrying it in the extrinsic.
		let implicit = (
			(),
			version.spec_version,
			version.transaction_version,
			self.genesis,
			self.genesis,
			(),
			(),
			(),
			None,
			(),
		);
		let payload = SignedPayload::from_raw(call.clone(), extension.clone(), implicit);
		let signature = payload
			.using_encoded(|bytes| self.keystore.sr25519_sign(FL_KEY_TYPE, &public, bytes))
			.map_err(|e| ChainError::Keystore(e.to_string()))?
			.ok_or_else(|| ChainError::Keystore("the `fedl` key cannot sign".into()))?;
		let xt = UncheckedExtrinsic::new_signed(
			call,
			MultiAddress::Id(AccountId::from(public)),
			MultiSignature::Sr25519(signature),
			extension,
		);
		Ok(SignedTx {
			nonce,
			bytes: xt.encode(),
		})
	}

	fn submit(&self, tx: &SignedTx) -> Result<(), ChainError> {
		let xt = <Block as sp_runtime::traits::Block>::Extrinsic::decode(&mut &tx.bytes[..])
			.map_err(|e| ChainError::Pool(format!("undecodable transaction: {e}")))?;
		let best = self.client.info().best_hash;
		futures::executor::block_on(self.pool.submit_one(best, TransactionSource::External, xt))
			.map(|_| ())
			.map_err(|e| ChainError::Pool(e.to_string()))
	}
}

fn bounded<T, S: Get<u32>>(
	v: Vec<T>,
	what: &str,
) -> Result<sp_runtime::BoundedVec<T, S>, ChainError> {
	v.try_into()
		.map_err(|_| ChainError::Pool(format!("{what} exceeds the runtime's bound")))
}

/// The runtime call of a worker call.
fn runtime_call(call: &FlCall) -> Result<RuntimeCall, ChainError> {
	use pallet_gradient_commitments::Call as Gc;
	Ok(RuntimeCall::GradientCommitments(match call.clone() {
		FlCall::BondTrainer { model, amount } => Gc::bond_trainer { model, amount },
		FlCall::RegisterValidator { amount } => Gc::register_validator { amount },
		FlCall::CommitUpdate {
			model,
			round,
			commitment,
		} => Gc::commit_update {
			model,
			round,
			commitment,
		},
		FlCall::RevealUpdate {
			model,
			round,
			payload,
			salt,
			num_samples,
		} => Gc::reveal_update {
			model,
			round,
			payload: bounded(payload, "payload")?,
			salt,
			num_samples,
		},
		FlCall::SubmitUpdate {
			model,
			round,
			base_version,
			payload,
			num_samples,
		} => Gc::submit_update {
			model,
			round,
			base_version,
			payload: bounded(payload, "payload")?,
			num_samples,
		},
		FlCall::ReportAggregate {
			model,
			round,
			model_hash,
			accepted,
			scores,
		} => Gc::report_aggregate {
			model,
			round,
			model_hash,
			accepted: bounded(accepted, "accepted set")?,
			scores: bounded(scores, "scores")?,
		},
	}))
}

/// Loads the trainer's shard: shard `index` of a Dirichlet(α) split of the training set.
fn load_trainer(args: &FlArgs, dir: &Path) -> Result<TrainerSetup, String> {
	let full = load_fashion_mnist(dir, Split::Train).map_err(|e| e.to_string())?;
	let shards = partition::dirichlet(
		full.labels(),
		full.classes(),
		args.fl_shard.count,
		args.fl_alpha,
		10,
		args.fl_partition_seed,
	)
	.map_err(|e| format!("{}: {e}", dir.display()))?;
	let data = full.subset(&shards[args.fl_shard.index]);
	#[cfg(feature = "attacks")]
	let attack = args.fl_attack.map(|a| match a {
		crate::cli::AttackArg::SignFlip => Attack::SignFlip,
		crate::cli::AttackArg::Scaling => Attack::Scaling(10.0),
		crate::cli::AttackArg::Gaussian => Attack::Gaussian(0.1),
	});
	#[cfg(not(feature = "attacks"))]
	let attack: Option<Attack> = None;
	log::info!(
		target: "fl-worker",
		"trainer data: shard {}/{} of {} ({} samples, classes {:?}){}",
		args.fl_shard.index,
		args.fl_shard.count,
		dir.display(),
		data.len(),
		data.class_counts(),
		attack.map_or(String::new(), |a| format!(", ATTACK {a:?}")),
	);
	Ok(TrainerSetup { data, attack })
}

/// Opens the worker's store under the node's chain directory.
pub fn open_store(chain_dir: &Path) -> Result<FlShared, String> {
	let root: PathBuf = chain_dir.join("fl-worker");
	let store = Store::open(&root).map_err(|e| e.to_string())?;
	Ok(FlShared {
		store,
		status: Arc::new(Mutex::new(WorkerStatus::default())),
	})
}

/// Starts the worker thread, woken on every new best block (and every few seconds).
pub fn spawn<P>(
	args: &FlArgs,
	shared: &FlShared,
	client: Arc<FullClient>,
	pool: Arc<P>,
	keystore: KeystorePtr,
	registry: Option<&prometheus_endpoint::Registry>,
	spawner: &sc_service::SpawnTaskHandle,
) -> Result<(), String>
where
	P: TransactionPool<Block = Block> + 'static,
{
	let public = keystore.sr25519_public_keys(FL_KEY_TYPE).into_iter().next();
	if (args.fl_validator || args.fl_trainer) && public.is_none() {
		return Err(
			"--fl-validator/--fl-trainer need an sr25519 key of type `fedl` in the keystore \
			 (fedledger-node key insert --key-type fedl --scheme sr25519 --suri …)"
				.into(),
		);
	}
	let trainer = match (&args.fl_trainer, &args.fl_dataset) {
		(true, Some(dir)) => Some(load_trainer(args, dir)?),
		_ => None,
	};
	let metrics = match registry {
		Some(r) => Some(Metrics::register(r).map_err(|e| e.to_string())?),
		None => None,
	};
	let genesis = client.info().genesis_hash;
	let chain = Arc::new(ClientChain {
		client: client.clone(),
		pool,
		keystore,
		public,
		genesis,
	});
	let config = WorkerConfig {
		account: public.map(|p| p.0),
		validator: args.fl_validator,
		trainer,
		trainer_bond: <Runtime as pallet_gradient_commitments::Config>::MinTrainerBond::get(),
		validator_bond: <Runtime as pallet_gradient_commitments::Config>::MinValidatorBond::get(),
	};
	let mut worker = Worker::new(
		chain,
		shared.store.clone(),
		config,
		metrics,
		shared.status.clone(),
	);

	let (wake, woken) = mpsc::sync_channel::<()>(1);
	let mut imports = client.import_notification_stream();
	spawner.spawn("fl-worker-notifications", Some("fedledger"), async move {
		while let Some(n) = imports.next().await {
			if n.is_new_best {
				// A full channel already holds a wake-up: the worker reads the best block then.
				let _ = wake.try_send(());
			}
		}
	});
	spawner.spawn_blocking("fl-worker", Some("fedledger"), async move {
		// Wakes on each new best block, or after 6 s without one; stops with the node.
		while let Ok(()) | Err(mpsc::RecvTimeoutError::Timeout) =
			woken.recv_timeout(Duration::from_secs(6))
		{
			if let Err(e) = worker.on_block() {
				log::warn!(target: "fl-worker", "{e}");
			}
		}
	});
	Ok(())
}
