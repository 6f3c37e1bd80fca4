//! Transactions of the worker: its calls as runtime calls, signed with the node's `fedl` key.
//!
//! The extensions and the implicit part of the signed payload come from the runtime
//! ([`fedledger_runtime::immortal_signed_payload`]), so they cannot drift apart.

use codec::Encode;
use fedledger_runtime::{AccountId, RuntimeCall, UncheckedExtrinsic};
use sp_core::{sr25519, H256};
use sp_keystore::KeystorePtr;
use sp_runtime::{traits::Get, MultiAddress, MultiSignature};

use super::FL_KEY_TYPE;
use fedledger_worker::{ChainError, FlCall, SignedTx};

/// Signs `call` as an immortal extrinsic with `nonce` for the chain with `genesis` at its
/// runtime's `spec_version` and `transaction_version`.
pub fn sign(
	keystore: &KeystorePtr,
	public: sr25519::Public,
	call: &FlCall,
	nonce: u32,
	(spec_version, transaction_version): (u32, u32),
	genesis: H256,
) -> Result<SignedTx, ChainError> {
	let call = runtime_call(call)?;
	let payload = fedledger_runtime::immortal_signed_payload(
		call,
		nonce,
		spec_version,
		transaction_version,
		genesis,
	);
	let signature = payload
		.using_encoded(|bytes| keystore.sr25519_sign(FL_KEY_TYPE, &public, bytes))
		.map_err(|e| ChainError::Keystore(e.to_string()))?
		.ok_or_else(|| ChainError::Keystore("the `fedl` key cannot sign".into()))?;
	let (call, extension, _) = payload.deconstruct();
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
			salt,
			num_samples,
		} => Gc::submit_update {
			model,
			round,
			base_version,
			payload: bounded(payload, "payload")?,
			salt,
			num_samples,
		},
		FlCall::CommitReport {
			model,
			round,
			updates_root,
			commitment,
		} => Gc::commit_report {
			model,
			round,
			updates_root,
			commitment,
		},
		FlCall::ReportAggregate {
			model,
			round,
			model_hash,
			accepted,
			scores,
			salt,
		} => Gc::report_aggregate {
			model,
			round,
			model_hash,
			accepted: bounded(accepted, "accepted set")?,
			scores: bounded(scores, "scores")?,
			salt,
		},
	}))
}
