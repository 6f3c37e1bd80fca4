//! Trainer duties: bond for every model the local data fits, then each round train from the
//! round's base version and commit; then reveal (sync), or submit against the base in a later
//! block (buffered: the pallet takes a submission only after its commitment).

use std::collections::BTreeSet;
use std::str::FromStr;
use std::time::Instant;

use fedledger_primitives::{
	model::{Schedule, TrainingConfig},
	rules::micro_to_f64,
	tensor_codec, ModelId, RoundIndex, VersionIndex,
};
use ndarray::Array1;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use fedledger_ml::consensus::decode_capped;
use fedledger_ml::hex::{from_hex, to_hex};

use super::store::CommitJournal;
use super::LOG_TARGET;
use super::{
	Balance, BlockRef, Chain, FlCall, ModelState, RoundPhase, RoundState, Worker, WorkerError,
};
use fedledger_ml::attacks::Attack;
use fedledger_ml::data::Dataset;
use fedledger_ml::model::DenseNet;
use fedledger_ml::training::{train_local_until, TrainConfig, TrainError};

/// A trainer's private data and behaviour.
pub struct TrainerSetup {
	/// The local training set (never leaves the node).
	pub data: Dataset,
	/// The models its operator allows it to bond to (`--fl-models`).
	pub models: AllowedModels,
	/// Poisoning, for tests and demos (the node offers it only in a build with its `attacks`
	/// feature). A node-side trainer sees no one else's update before it commits, so only the
	/// attacks on its own update run here: `sign-flip`, `gaussian[:σ]`, `label-flip` (its
	/// labels are flipped once, when the worker starts) and `scaling[:γ]` (its honestly
	/// trained update times γ, [`DEFAULT_SCALING_GAMMA`] without one; the simulator's
	/// `scaling` also flips labels, the node's never did), and `inflate[:γ]` (−γ times its
	/// update, declaring the model's `max_samples`).
	pub attack: Option<Attack>,
}

/// The models a trainer may bond its operator's tokens to (`--fl-models`): an explicit
/// opt-in, because anyone can register a model and a bond can be slashed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AllowedModels {
	/// Every model the data fits and the node-side checks pass (`all`).
	All,
	/// Only these model ids (`0,3,7`).
	Only(BTreeSet<ModelId>),
}

impl AllowedModels {
	/// Whether `model` is allowed.
	pub fn allows(&self, model: ModelId) -> bool {
		match self {
			Self::All => true,
			Self::Only(ids) => ids.contains(&model),
		}
	}
}

impl FromStr for AllowedModels {
	type Err = String;

	fn from_str(s: &str) -> Result<Self, Self::Err> {
		if s.trim() == "all" {
			return Ok(Self::All);
		}
		let ids = s
			.split(',')
			.map(|id| {
				id.trim().parse::<ModelId>().map_err(|_| {
					format!("`{id}` is not a model id (expected `all` or ids like 0,3)")
				})
			})
			.collect::<Result<BTreeSet<_>, _>>()?;
		Ok(Self::Only(ids))
	}
}

/// Shortest reveal window (blocks) a trainer commits to: one more than the protocol's
/// minimum, so that one block of import latency and one missed inclusion still leave a block
/// to reveal in — a commitment that is not revealed is slashed.
pub const MIN_SAFE_REVEAL_BLOCKS: u32 = 3;

/// Why a model a trainer's data fits is still not worth its bond (the node-side checks).
pub fn refusal(config: &TrainingConfig<Balance>) -> Option<&'static str> {
	if config.reward_per_round == 0 || config.reward_split.trainers == 0 {
		return Some("it pays trainers nothing: a bond would risk slashes for no reward");
	}
	if let Schedule::Sync { reveal_blocks, .. } = config.schedule {
		if reveal_blocks < MIN_SAFE_REVEAL_BLOCKS {
			return Some("its reveal window is too short to reveal in safely");
		}
	}
	None
}

/// A journaled update that matches the trainer's on-chain commitment: what its reveal (or
/// buffered submission) sends.
struct CommittedUpdate {
	journal: CommitJournal,
	payload: Vec<u8>,
	salt: [u8; 32],
}

/// γ of a node-side `scaling` attack given without one (the simulator uses n / f, which a
/// node does not know).
pub const DEFAULT_SCALING_GAMMA: f32 = 10.0;

/// The local-training settings of an on-chain configuration.
pub fn train_config(config: &TrainingConfig<Balance>) -> TrainConfig {
	let h = &config.hyper_params;
	TrainConfig {
		epochs: h.local_epochs as usize,
		batch_size: h.batch_size as usize,
		learning_rate: micro_to_f64(h.learning_rate) as f32,
		prox_mu: micro_to_f64(h.fedprox_mu) as f32,
		clip_norm: h.dp.map(|dp| micro_to_f64(dp.clip) as f32),
		noise_multiplier: h
			.dp
			.map_or(0.0, |dp| micro_to_f64(dp.noise_multiplier) as f32),
	}
}

/// A per-(account, model, round) training seed: reproducible for one trainer, different
/// across trainers and rounds.
fn training_seed(account: &[u8; 32], model: ModelId, round: RoundIndex) -> u64 {
	let mut buf = b"fedledger/train/v1".to_vec();
	buf.extend_from_slice(account);
	buf.extend_from_slice(&model.to_le_bytes());
	buf.extend_from_slice(&round.to_le_bytes());
	let h = tensor_codec::sha3_256(&buf);
	u64::from_le_bytes(h[..8].try_into().expect("8 bytes"))
}

impl<C: Chain> Worker<C> {
	fn data_fits(&self, model: &ModelState) -> bool {
		let Some(setup) = &self.config.trainer else {
			return false;
		};
		let a = &model.config.architecture;
		a.input_dim as usize == setup.data.feature_count()
			&& a.classes as usize == setup.data.classes()
	}

	/// Whether this trainer may bond and commit to `model`: its operator allows it
	/// (`--fl-models`) and it passes the node-side checks ([`refusal`]).
	fn opted_in(&self, model: &ModelState) -> bool {
		let Some(setup) = &self.config.trainer else {
			return false;
		};
		if !setup.models.allows(model.id) {
			return false;
		}
		match refusal(&model.config) {
			Some(why) => {
				log::debug!(target: LOG_TARGET, "model {}: not training it, {why}", model.id);
				false
			}
			None => true,
		}
	}

	/// Bonds for `model` if its data fits and the trainer opted in, then does this round's
	/// part: commit (training first, which is heavy, unless the update is journaled), reveal,
	/// or buffered submit.
	pub(super) fn trainer_duty(
		&mut self,
		at: &BlockRef,
		model: &ModelState,
		round: Option<&RoundState>,
	) -> Result<(), WorkerError> {
		let Some(me) = self.config.account else {
			return Ok(());
		};
		if !self.data_fits(model) {
			return Ok(());
		}
		// A paused model's round in flight runs to its end, and a model may stop passing the
		// checks after a commitment (its owner reconfigured it): a commitment made earlier is
		// still revealed. Nothing new is bonded or committed.
		if !model.active || !self.opted_in(model) {
			return match round {
				Some(round) if round.phase == RoundPhase::Reveal => self.reveal(at, &me, round),
				_ => Ok(()),
			};
		}
		let bond_key = format!("bond-{}", model.id);
		if self.chain.trainer_bond(at, model.id, &me)?.is_none() {
			let amount = self.config.trainer_bond;
			let id = model.id;
			return self.perform(at, &bond_key, |_| {
				Ok(Some(FlCall::BondTrainer { model: id, amount }))
			});
		}
		if self.store.tx(&bond_key)?.is_some() {
			self.settle(&bond_key)?;
		}
		let Some(round) = round else {
			return Ok(());
		};
		match round.phase {
			RoundPhase::Commit => self.commit(at, &me, round, &round.base_hash, round.base_version),
			RoundPhase::Reveal => self.reveal(at, &me, round),
			RoundPhase::Buffer => self.submit_buffered(at, &me, model, round),
			_ => Ok(()),
		}
	}

	/// When training for `round` must give up: once its update could no longer be sent
	/// before the phase ends (the phase's remaining blocks, at least one, times the block
	/// time). `None` if that is too far to represent.
	fn training_deadline(&self, at: &BlockRef, round: &RoundState) -> Option<Instant> {
		let blocks = round.phase_ends_at.saturating_sub(at.number).max(1);
		let left = self.config.block_time.checked_mul(blocks)?;
		Instant::now().checked_add(left)
	}

	/// Trains from `base_hash`'s weights; `None` while those weights are not rebuilt yet.
	/// Training is heavy work: it waits for the heavy pass and the wake-up's budget.
	fn train(
		&mut self,
		at: &BlockRef,
		round: &RoundState,
		base_hash: &[u8; 32],
		me: &[u8; 32],
	) -> Result<Option<(Vec<u8>, u32)>, WorkerError> {
		let err = |message: String| WorkerError::Round {
			model: round.model,
			round: round.index,
			message,
		};
		let Some(base_bytes) = self.store.weights(base_hash)? else {
			return Ok(None);
		};
		if !self.admit_heavy(round.model) {
			return Ok(None);
		}
		let base = decode_capped(&base_bytes, round.parameter_count, self.config.max_params)
			.map_err(|e| err(format!("base weights: {e}")))?;
		let arch = DenseNet::from_architecture(&round.config.architecture)
			.map_err(|e| err(format!("unsupported architecture: {e}")))?;
		let Some(setup) = self.config.trainer.as_ref() else {
			return Ok(None);
		};
		let seed = training_seed(me, round.model, round.index);
		let deadline = self.training_deadline(at, round);
		let started = Instant::now();
		let update = match train_local_until(
			&arch,
			Array1::from(base).view(),
			&setup.data,
			&train_config(&round.config),
			seed,
			deadline,
		) {
			Ok(update) => update,
			Err(e @ TrainError::DeadlinePassed { .. }) => {
				return Err(WorkerError::OverBudget {
					model: round.model,
					round: round.index,
					message: format!(
						"training abandoned after {:.2}s ({e}): its update could not be sent \
						 before block {}",
						started.elapsed().as_secs_f64(),
						round.phase_ends_at
					),
				});
			}
			Err(e) => return Err(err(format!("training: {e}"))),
		};
		let secs = started.elapsed().as_secs_f64();
		if let Some(m) = &self.metrics {
			m.training_seconds.observe(secs);
		}
		self.timings
			.entry((round.model, round.index))
			.or_default()
			.0 = Some(secs);
		let delta = match setup.attack {
			None => update.delta,
			Some(attack) => {
				let mut rng = ChaCha8Rng::seed_from_u64(seed);
				let own = Some(update.delta.view());
				let dim = update.delta.len();
				attack
					.local_update(own, dim, DEFAULT_SCALING_GAMMA, &mut rng)
					.ok_or_else(|| {
						err(format!(
							"attack {attack} crafts from the other trainers' updates, \
							 which a node-side trainer cannot see"
						))
					})?
			}
		};
		let values = delta.to_vec();
		let payload = tensor_codec::encode_f32(&values, &[values.len() as u32])
			.map_err(|e| err(format!("encoding the update: {e:?}")))?;
		log::info!(
			target: LOG_TARGET,
			"model {} round {}: trained on {} samples in {secs:.2}s (loss {:.4})",
			round.model, round.index, update.samples, update.train_loss
		);
		let samples = update.samples.min(u32::MAX as usize) as u32;
		let max_samples = round.config.update_bounds.max_samples;
		let declared = setup
			.attack
			.map_or(samples, |a| a.declared_samples(samples, max_samples));
		Ok(Some((payload, declared)))
	}

	/// Commits to an update of `round` trained from `base_hash` (version `base_version`),
	/// training it first unless it is journaled.
	fn commit(
		&mut self,
		at: &BlockRef,
		me: &[u8; 32],
		round: &RoundState,
		base_hash: &[u8; 32],
		base_version: VersionIndex,
	) -> Result<(), WorkerError> {
		let key = format!("commit-{}-{}", round.model, round.index);
		if self
			.chain
			.commitment(at, round.model, round.index, me)?
			.is_some()
		{
			return self.settle(&key);
		}
		// Train once per round: the journal (payload + salt) is written before the commitment
		// is signed, so a restart commits to (and later reveals) the same update.
		let journal = match self.store.commit(round.model, round.index)? {
			Some(j) => j,
			None => {
				let Some((payload, num_samples)) = self.train(at, round, base_hash, me)? else {
					return Ok(());
				};
				let payload_hash =
					self.store
						.put_round_payload(round.model, round.index, &payload)?;
				let salt: [u8; 32] = rand::random();
				let journal = CommitJournal {
					payload_hash: to_hex(&payload_hash),
					salt: to_hex(&salt),
					num_samples,
					base_version,
				};
				self.store.put_commit(round.model, round.index, &journal)?;
				journal
			}
		};
		let (payload, salt) = self.journaled_update(round, &journal)?;
		let commitment = tensor_codec::commitment(&payload, &salt, me);
		let (model, index) = (round.model, round.index);
		self.perform(at, &key, |_| {
			Ok(Some(FlCall::CommitUpdate {
				model,
				round: index,
				commitment,
			}))
		})
	}

	/// Whether the chain holds this trainer's update of `round` (revealed or submitted).
	fn sent_update(
		&self,
		at: &BlockRef,
		me: &[u8; 32],
		round: &RoundState,
	) -> Result<bool, WorkerError> {
		let updates = self.chain.round_updates(at, round.model, round.index)?;
		Ok(updates.iter().any(|u| u.submitter == *me))
	}

	/// The journaled update `on_chain` commits to; `None` (logged) if the journal is gone or
	/// does not match, when there is nothing this worker can send.
	fn committed_update(
		&self,
		me: &[u8; 32],
		round: &RoundState,
		on_chain: &[u8; 32],
	) -> Result<Option<CommittedUpdate>, WorkerError> {
		let Some(journal) = self.store.commit(round.model, round.index)? else {
			log::error!(
				target: LOG_TARGET,
				"model {} round {}: committed but the commit journal is gone; cannot send the update",
				round.model, round.index
			);
			return Ok(None);
		};
		let (payload, salt) = self.journaled_update(round, &journal)?;
		if tensor_codec::commitment(&payload, &salt, me) != *on_chain {
			log::error!(
				target: LOG_TARGET,
				"model {} round {}: the journaled update does not match the on-chain commitment",
				round.model, round.index
			);
			return Ok(None);
		}
		Ok(Some(CommittedUpdate {
			journal,
			payload,
			salt,
		}))
	}

	fn journaled_update(
		&self,
		round: &RoundState,
		journal: &CommitJournal,
	) -> Result<(Vec<u8>, [u8; 32]), WorkerError> {
		let err = |message: &str| WorkerError::Round {
			model: round.model,
			round: round.index,
			message: message.into(),
		};
		let hash: [u8; 32] = from_hex(&journal.payload_hash)
			.and_then(|h| h.try_into().ok())
			.ok_or_else(|| err("commit journal: bad payload hash"))?;
		let salt: [u8; 32] = from_hex(&journal.salt)
			.and_then(|s| s.try_into().ok())
			.ok_or_else(|| err("commit journal: bad salt"))?;
		let payload = self
			.store
			.payload(&hash)?
			.ok_or_else(|| err("commit journal: payload missing from the store"))?;
		Ok((payload, salt))
	}

	fn reveal(
		&mut self,
		at: &BlockRef,
		me: &[u8; 32],
		round: &RoundState,
	) -> Result<(), WorkerError> {
		let key = format!("reveal-{}-{}", round.model, round.index);
		let Some(on_chain) = self.chain.commitment(at, round.model, round.index, me)? else {
			return Ok(()); // nothing committed this round
		};
		if self.sent_update(at, me, round)? {
			return self.settle(&key);
		}
		let Some(CommittedUpdate {
			journal,
			payload,
			salt,
		}) = self.committed_update(me, round, &on_chain)?
		else {
			return Ok(());
		};
		let (model, index, num_samples) = (round.model, round.index, journal.num_samples);
		self.perform(at, &key, move |_| {
			Ok(Some(FlCall::RevealUpdate {
				model,
				round: index,
				payload,
				salt,
				num_samples,
			}))
		})
	}

	/// Buffered mode: trains against the model's current version and commits (like a sync
	/// commit), then — once the commitment is on chain, so the submission is included in a
	/// later block — submits the committed update.
	fn submit_buffered(
		&mut self,
		at: &BlockRef,
		me: &[u8; 32],
		model: &ModelState,
		round: &RoundState,
	) -> Result<(), WorkerError> {
		let key = format!("submit-{}-{}", round.model, round.index);
		if self.sent_update(at, me, round)? {
			return self.settle(&key);
		}
		let Some(on_chain) = self.chain.commitment(at, round.model, round.index, me)? else {
			return self.commit(at, me, round, &model.version_hash, model.version);
		};
		self.settle(&format!("commit-{}-{}", round.model, round.index))?;
		let Some(CommittedUpdate {
			journal,
			payload,
			salt,
		}) = self.committed_update(me, round, &on_chain)?
		else {
			return Ok(());
		};
		let (model, index) = (round.model, round.index);
		self.perform(at, &key, move |_| {
			Ok(Some(FlCall::SubmitUpdate {
				model,
				round: index,
				base_version: journal.base_version,
				payload,
				salt,
				num_samples: journal.num_samples,
			}))
		})
	}
}
