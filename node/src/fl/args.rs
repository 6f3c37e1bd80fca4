//! The worker's command-line flags (`--fl-*`), flattened into the node's CLI.

use std::path::PathBuf;

/// Which slice of a shared dataset a trainer uses: shard `index` of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
	pub index: usize,
	pub count: usize,
}

impl std::str::FromStr for Shard {
	type Err = String;

	fn from_str(s: &str) -> Result<Self, Self::Err> {
		let (i, n) = s
			.split_once('/')
			.ok_or_else(|| format!("`{s}`: expected I/N, e.g. 0/4"))?;
		let index: usize = i
			.trim()
			.parse()
			.map_err(|_| format!("`{i}` is not a shard index"))?;
		let count: usize = n
			.trim()
			.parse()
			.map_err(|_| format!("`{n}` is not a shard count"))?;
		if count == 0 || index >= count {
			return Err(format!("shard {index}/{count}: need 0 <= I < N"));
		}
		Ok(Self { index, count })
	}
}

/// Federated-learning roles of the node's worker.
///
/// Every node follows and verifies the models' version chains. The FL identity of either
/// role is the sr25519 key of type `fedl` in the keystore
/// (`fedledger-node key insert --key-type fedl --scheme sr25519 …`).
#[derive(Debug, Clone, clap::Args)]
pub struct FlArgs {
	/// Act as FL validator: register (bonding the runtime's minimum) and report the aggregate
	/// of every round.
	#[arg(long)]
	pub fl_validator: bool,

	/// Act as trainer on the private dataset of `--fl-dataset`: bond for every model of
	/// `--fl-models` that it fits, train, commit and reveal each round.
	#[arg(long, requires = "fl_dataset", requires = "fl_models")]
	pub fl_trainer: bool,

	/// The models a trainer may bond to: `all`, or model ids (`0,3,7`). Required with
	/// `--fl-trainer`: anyone can register a model, and a bond can be slashed. Even an allowed
	/// model is skipped if it pays trainers nothing or its reveal window is under
	/// three blocks.
	#[arg(long, value_name = "all|ID,…", requires = "fl_trainer")]
	pub fl_models: Option<fedledger_worker::AllowedModels>,

	/// Directory of an IDX dataset laid out like Fashion-MNIST
	/// (`train-images-idx3-ubyte[.gz]`, `train-labels-idx1-ubyte[.gz]`).
	#[arg(long, value_name = "DIR")]
	pub fl_dataset: Option<PathBuf>,

	/// Train on shard I of N of a Dirichlet(α) split of the dataset (a stand-in for each data
	/// node holding its own, differently distributed data).
	#[arg(long, value_name = "I/N", default_value = "0/1")]
	pub fl_shard: Shard,

	/// Dirichlet concentration of the split (small = more skewed labels per shard).
	#[arg(long, value_name = "ALPHA", default_value_t = 0.5)]
	pub fl_alpha: f64,

	/// Seed of the split (all trainers of one experiment use the same).
	#[arg(long, value_name = "SEED", default_value_t = 42)]
	pub fl_partition_seed: u64,

	/// Largest model, in parameters, this node follows: a model declaring more is not
	/// followed (no version verified, no duty done for it), and no tensor is ever decoded for
	/// more than this. Defaults to the runtime's own bound.
	#[arg(long, value_name = "N", default_value_t = fedledger_worker::DEFAULT_MAX_PARAMS)]
	pub fl_max_params: u32,

	/// Milliseconds a worker wake-up may spend before heavy work (training, aggregation,
	/// rebuilds) of further models waits for the next wake-up. Cheap, deadline-bound duties
	/// (reveals, reports, re-sends) are never deferred.
	#[arg(long, value_name = "MS", default_value_t = fedledger_worker::DEFAULT_WAKEUP_BUDGET_MS)]
	pub fl_wakeup_budget_ms: u64,

	/// Rounds (and versions) of each model whose payloads, candidate weights and version
	/// weights the worker's store keeps; older ones are deleted (the latest verified version
	/// always stays). 0 keeps everything.
	#[arg(long, value_name = "ROUNDS", default_value_t = fedledger_worker::DEFAULT_STORE_ROUNDS)]
	pub fl_store_rounds: u32,

	/// Do not start the FL worker at all (not even to verify versions).
	#[arg(long, conflicts_with_all = ["fl_validator", "fl_trainer"])]
	pub fl_disable: bool,

	/// Poison this trainer's updates (test and demo builds only): `sign-flip`,
	/// `scaling[:γ]` (the honest update × γ, default 10), `gaussian[:σ]` (N(0, σ²) noise,
	/// default σ = 1), `label-flip` or `inflate[:γ]` (−γ × the honest update, default 10,
	/// declaring the model's `max_samples`). Attacks that need the other trainers' updates (ALIE,
	/// IPM, mimic) cannot run on a node, which sees nobody's update before it commits.
	#[cfg(feature = "attacks")]
	#[arg(long, value_name = "ATTACK", requires = "fl_trainer")]
	pub fl_attack: Option<fedledger_ml::attacks::Attack>,

	/// Lie in every report as an FL validator (test and demo builds only): a wrong model hash,
	/// every update accepted and the scores reversed, over the true update set.
	#[cfg(feature = "attacks")]
	#[arg(long, requires = "fl_validator")]
	pub fl_lie: bool,
}
