//! `fedledger_*` RPC methods: model weights by version, update payloads by hash, and the
//! worker's status. They serve what this node's worker has verified or seen; nothing here
//! changes state.

use fedledger_ml::hex::from_hex;
use fedledger_primitives::{ModelId, VersionIndex};
use fedledger_worker::Store;
use jsonrpsee::{
	core::RpcResult,
	proc_macros::rpc,
	types::{ErrorObject, ErrorObjectOwned},
};
use sp_core::{crypto::Ss58Codec, Bytes, H256};

use super::FlShared;

/// The FL worker's RPC interface.
#[rpc(server, namespace = "fedledger")]
pub trait FlApi {
	/// The weights of `version` of `model` in the canonical tensor codec, if this node has
	/// rebuilt and verified that version against the chain (`null` otherwise).
	#[method(name = "modelWeights")]
	fn model_weights(&self, model: ModelId, version: VersionIndex) -> RpcResult<Option<Bytes>>;

	/// An update payload by its sha3-256, if this node has seen it.
	#[method(name = "payload")]
	fn payload(&self, hash: H256) -> RpcResult<Option<Bytes>>;

	/// The worker's roles, FL account, per-model verified versions and submission counts.
	#[method(name = "workerStatus")]
	fn worker_status(&self) -> RpcResult<serde_json::Value>;
}

/// Serves [`FlApiServer`] from the worker's store and status.
pub struct FlRpc {
	shared: FlShared,
}

impl FlRpc {
	pub fn new(shared: FlShared) -> Self {
		Self { shared }
	}

	fn store(&self) -> &Store {
		&self.shared.store
	}
}

fn internal(e: impl std::fmt::Display) -> ErrorObjectOwned {
	ErrorObject::owned(1, e.to_string(), None::<()>)
}

impl FlApiServer for FlRpc {
	fn model_weights(&self, model: ModelId, version: VersionIndex) -> RpcResult<Option<Bytes>> {
		let Some(hash) = self.store().version(model, version).map_err(internal)? else {
			return Ok(None);
		};
		Ok(self.store().weights(&hash).map_err(internal)?.map(Bytes))
	}

	fn payload(&self, hash: H256) -> RpcResult<Option<Bytes>> {
		Ok(self.store().payload(&hash.0).map_err(internal)?.map(Bytes))
	}

	fn worker_status(&self) -> RpcResult<serde_json::Value> {
		let status = self.shared.status.lock().map_err(internal)?.clone();
		let mut value = serde_json::to_value(&status).map_err(internal)?;
		let ss58 = status
			.account
			.as_deref()
			.and_then(from_hex)
			.and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
			.map(|raw| sp_core::crypto::AccountId32::from(raw).to_ss58check());
		value["account"] = ss58.into();
		value["accountHex"] = status.account.map(|h| format!("0x{h}")).into();
		Ok(value)
	}
}
