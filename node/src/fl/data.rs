//! The trainer's private data: its shard of a dataset directory.

use std::path::Path;

use super::FlArgs;
use fedledger_ml::data::{load_fashion_mnist, partition, Split};
use fedledger_worker::{TrainerSetup, LOG_TARGET};

/// Loads the trainer's shard: shard `index` of a Dirichlet(α) split of the training set.
pub fn load_trainer(args: &FlArgs, dir: &Path) -> Result<TrainerSetup, String> {
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
	let attack = args.fl_attack;
	#[cfg(not(feature = "attacks"))]
	let attack: Option<fedledger_worker::Attack> = None;
	log::info!(
		target: LOG_TARGET,
		"trainer data: shard {}/{} of {} ({} samples, classes {:?}){}",
		args.fl_shard.index,
		args.fl_shard.count,
		dir.display(),
		data.len(),
		data.class_counts(),
		attack.map_or(String::new(), |a| format!(", ATTACK {a}")),
	);
	// `--fl-trainer` requires `--fl-models` (clap enforces it).
	let models = args
		.fl_models
		.clone()
		.ok_or("--fl-trainer needs --fl-models (all, or model ids such as 0,3)")?;
	Ok(TrainerSetup {
		data,
		models,
		attack,
	})
}
