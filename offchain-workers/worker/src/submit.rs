//! Signing, journaling and (re-)sending the worker's transactions.
//!
//! Each duty (bond, commit of round r, report of round r, …) has a key. Before a transaction
//! is handed to the pool, its signed bytes and nonce are written to the store under that key.
//! While its nonce is not yet used on chain, the worker only ever re-sends those same bytes
//! (the pool deduplicates them; the chain can apply them at most once), also after a restart.
//! When the nonce is used but the chain does not show the duty done, the transaction failed
//! and the duty may be signed again, a bounded number of times.

use fedledger_ml::hex::{from_hex, to_hex};

use super::store::TxJournal;
use super::LOG_TARGET;
use super::{BlockRef, Chain, FlCall, SignedTx, Worker, WorkerError};

/// Signing attempts per duty before the worker gives up on it.
const MAX_ATTEMPTS: u32 = 3;
/// Blocks between re-sends of a pending transaction.
const RESEND_EVERY: u32 = 3;
/// Blocks a used-nonce journal is kept (for inspection) before it is dropped.
const KEEP_USED_FOR: u32 = 100;

impl<C: Chain> Worker<C> {
	fn account_or_err(&self) -> Result<[u8; 32], WorkerError> {
		self.config.account.ok_or_else(|| {
			WorkerError::Chain(super::ChainError::Keystore(
				"no FL key (key type `fedl`) in the keystore".into(),
			))
		})
	}

	/// Ensures the transaction of duty `key` is on its way; `build` makes the call when a new
	/// one must be signed (it may decline with `None`). The caller has checked that the chain
	/// does not show the duty done.
	pub(super) fn perform(
		&mut self,
		at: &BlockRef,
		key: &str,
		build: impl FnOnce(&mut Self) -> Result<Option<FlCall>, WorkerError>,
	) -> Result<(), WorkerError> {
		let me = self.account_or_err()?;
		let chain_nonce = self.chain.account_nonce(at, &me)?;
		let mut attempts = 0;
		if let Some(journal) = self.store.tx(key)? {
			if journal.nonce >= chain_nonce {
				return Ok(()); // pending: `pump` keeps re-sending it
			}
			attempts = journal.attempts;
			if attempts >= MAX_ATTEMPTS {
				// Logged once per duty: the journal stays, so this is re-checked every block.
				if self.abandoned.insert(key.to_string()) {
					log::warn!(
						target: LOG_TARGET,
						"{key}: {attempts} signed transactions were used without effect; giving up"
					);
				}
				return Ok(());
			}
			log::warn!(
				target: LOG_TARGET,
				"{key}: transaction with nonce {} was used without effect; signing again",
				journal.nonce
			);
		}
		let Some(call) = build(self)? else {
			return Ok(());
		};
		let pending_max = self
			.store
			.txs()?
			.into_iter()
			.map(|(_, tx)| tx.nonce)
			.filter(|n| *n >= chain_nonce)
			.max();
		let nonce = pending_max.map_or(chain_nonce, |n| n + 1);
		let signed = self.chain.sign(&call, nonce)?;
		self.store.put_tx(
			key,
			&TxJournal {
				nonce,
				bytes: to_hex(&signed.bytes),
				submitted_at: at.number,
				attempts: attempts + 1,
			},
		)?;
		self.resent.insert(key.to_string(), at.number);
		if let Err(e) = self.chain.submit(&signed) {
			log::warn!(target: LOG_TARGET, "{key}: submit failed ({e}); will re-send");
		} else {
			log::info!(target: LOG_TARGET, "{key}: submitted with nonce {nonce}");
		}
		self.count_submission(&call);
		Ok(())
	}

	/// Forgets the journal of a duty the chain shows done.
	pub(super) fn settle(&mut self, key: &str) -> Result<(), WorkerError> {
		self.resent.remove(key);
		self.abandoned.remove(key);
		Ok(self.store.remove_tx(key)?)
	}

	/// Re-sends every journaled transaction whose nonce is still unused (after a restart, a
	/// dropped pool entry or a reorg), and drops long-used journals.
	pub(super) fn pump(&mut self, at: &BlockRef) -> Result<(), WorkerError> {
		let Some(me) = self.config.account else {
			return Ok(());
		};
		let chain_nonce = self.chain.account_nonce(at, &me)?;
		for (key, journal) in self.store.txs()? {
			if journal.nonce < chain_nonce {
				if at.number > journal.submitted_at + KEEP_USED_FOR {
					self.settle(&key)?;
				}
				continue;
			}
			let last = self.resent.get(&key).copied();
			if last.is_some_and(|b| at.number < b + RESEND_EVERY) {
				continue;
			}
			let Some(bytes) = from_hex(&journal.bytes) else {
				log::warn!(target: LOG_TARGET, "{key}: journal holds no valid hex; dropped");
				self.settle(&key)?;
				continue;
			};
			self.resent.insert(key.clone(), at.number);
			let tx = SignedTx {
				nonce: journal.nonce,
				bytes,
			};
			if let Err(e) = self.chain.submit(&tx) {
				log::debug!(target: LOG_TARGET, "{key}: re-send: {e}");
			}
		}
		Ok(())
	}
}
