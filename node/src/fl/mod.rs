//! The federated-learning worker inside the node.
//!
//! [`spawn`] starts the worker (the [`fedledger_worker`] task) on a thread of its own, woken
//! on every new best block. Around it this module holds what is node-specific:
//!
//! - [`chain`]: the worker's [`Chain`](fedledger_worker::Chain) port over the client, pool
//!   and keystore;
//! - [`tx`]: the worker's calls as runtime calls, and their signing;
//! - [`data`]: the trainer's private dataset;
//! - [`rpc`]: the `fedledger_*` RPC methods over the worker's store and status;
//! - [`args`]: the `--fl-*` flags.
//!
//! `service` and `rpc` use this module; it uses neither.

mod args;
mod chain;
mod data;
pub mod rpc;
mod tx;

use std::path::Path;
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

pub use args::FlArgs;
use fedledger_runtime::{opaque::Block, Runtime};
use fedledger_worker::{Metrics, Store, Worker, WorkerConfig, WorkerStatus, LOG_TARGET};
use futures::StreamExt;
use sc_client_api::{BlockBackend, BlockchainEvents};
use sc_transaction_pool_api::TransactionPool;
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_core::crypto::KeyTypeId;
use sp_keystore::KeystorePtr;

/// Key type of the FL identity in the keystore (sr25519).
pub const FL_KEY_TYPE: KeyTypeId = KeyTypeId(*b"fedl");

/// Seconds the worker waits for a new best block before it looks again by itself.
const IDLE_WAKE_UP: Duration = Duration::from_secs(6);

/// What the RPC shares with the worker.
#[derive(Clone)]
pub struct FlShared {
	pub store: Store,
	pub status: Arc<Mutex<WorkerStatus>>,
}

impl FlShared {
	/// Opens the worker's store under the node's chain directory (`<chain_dir>/fl-worker`).
	pub fn open(chain_dir: &Path) -> Result<Self, String> {
		let store = Store::open(&chain_dir.join("fl-worker")).map_err(|e| e.to_string())?;
		Ok(Self {
			store,
			status: Arc::new(Mutex::new(WorkerStatus::default())),
		})
	}
}

/// Everything [`spawn`] needs from the node.
pub struct FlParams<C, P> {
	/// The `--fl-*` flags.
	pub args: FlArgs,
	/// Store and status, shared with the RPC.
	pub shared: FlShared,
	pub client: Arc<C>,
	pub pool: Arc<P>,
	pub keystore: KeystorePtr,
	pub registry: Option<prometheus_endpoint::Registry>,
	pub spawner: sc_service::SpawnTaskHandle,
}

/// Starts the worker thread, woken on every new best block (and every [`IDLE_WAKE_UP`]).
///
/// The worker runs on a blocking thread of its own, never on the block-import path: the
/// import notification only `try_send`s into a one-slot channel, so a slow wake-up (training,
/// aggregation) delays the worker's next wake-up, never block import or authoring.
pub fn spawn<C, P>(params: FlParams<C, P>) -> Result<(), String>
where
	C: ProvideRuntimeApi<Block>
		+ HeaderBackend<Block>
		+ BlockBackend<Block>
		+ BlockchainEvents<Block>
		+ Send
		+ Sync
		+ 'static,
	C::Api: chain::FlRuntimeApi,
	P: TransactionPool<Block = Block> + 'static,
{
	let FlParams {
		args,
		shared,
		client,
		pool,
		keystore,
		registry,
		spawner,
	} = params;
	let public = keystore.sr25519_public_keys(FL_KEY_TYPE).into_iter().next();
	if (args.fl_validator || args.fl_trainer) && public.is_none() {
		return Err(
			"--fl-validator/--fl-trainer need an sr25519 key of type `fedl` in the keystore \
			 (fedledger-node key insert --key-type fedl --scheme sr25519 --suri …)"
				.into(),
		);
	}
	let trainer = match (&args.fl_trainer, &args.fl_dataset) {
		(true, Some(dir)) => Some(data::load_trainer(&args, dir)?),
		_ => None,
	};
	let metrics = match &registry {
		Some(r) => Some(Metrics::register(r).map_err(|e| e.to_string())?),
		None => None,
	};
	let chain = Arc::new(chain::ClientChain::new(
		client.clone(),
		pool,
		keystore,
		public,
	));
	let config = WorkerConfig {
		account: public.map(|p| p.0),
		validator: args.fl_validator,
		trainer,
		trainer_bond: <Runtime as pallet_gradient_commitments::Config>::MinTrainerBond::get(),
		validator_bond: <Runtime as pallet_gradient_commitments::Config>::MinValidatorBond::get(),
		max_params: args.fl_max_params,
		wakeup_budget: Duration::from_millis(args.fl_wakeup_budget_ms),
		block_time: Duration::from_millis(fedledger_runtime::SLOT_DURATION),
		store_rounds: args.fl_store_rounds,
		#[cfg(feature = "attacks")]
		lie_in_reports: args.fl_lie,
		#[cfg(not(feature = "attacks"))]
		lie_in_reports: false,
	};
	let mut worker = Worker::new(chain, shared.store, config, metrics, shared.status);

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
		// Stops with the node (the notification task, and with it the sender, ends).
		while let Ok(()) | Err(mpsc::RecvTimeoutError::Timeout) = woken.recv_timeout(IDLE_WAKE_UP) {
			if let Err(e) = worker.on_block() {
				log::warn!(target: LOG_TARGET, "{e}");
			}
		}
	});
	Ok(())
}
