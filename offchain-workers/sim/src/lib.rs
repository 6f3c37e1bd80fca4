//! `fedledger-sim`: federated learning with simulated trainers, attacks and robust rules,
//! without a chain. The binary in `src/bin/fedledger-sim.rs` is a thin CLI over this module.

mod config;
mod report;
mod run;
pub mod verify;

pub use dump::dump_round;

mod dump {
	use std::path::{Path, PathBuf};

	use fedledger_primitives::tensor_codec;

	use super::RoundInputs;

	/// Writes a round's inputs in the canonical codec: `global.fltc`, `u000.fltc`, … and
	/// `weights.txt` (comma-separated, shortest round-trip decimal). Returns the update paths.
	///
	/// `fedledger-sim aggregate --global global.fltc` then reproduces the sim's new model hash
	/// when the server step is 1 and the run is synchronous (async runs also scale the step by
	/// the buffer's mean staleness discount, which `aggregate` does not apply).
	pub fn dump_round(dir: &Path, inputs: &RoundInputs) -> std::io::Result<Vec<PathBuf>> {
		std::fs::create_dir_all(dir)?;
		let enc = |v: &[f32]| {
			tensor_codec::encode_f32(v, &[v.len() as u32])
				.map_err(|e| std::io::Error::other(format!("{e:?}")))
		};
		std::fs::write(
			dir.join("global.fltc"),
			enc(inputs.global_before.as_slice().expect("contiguous"))?,
		)?;
		let mut paths = Vec::new();
		for (i, row) in inputs.updates.rows().into_iter().enumerate() {
			let p = dir.join(format!("u{i:03}.fltc"));
			std::fs::write(&p, enc(&row.to_vec())?)?;
			paths.push(p);
		}
		let w: Vec<String> = inputs.weights.iter().map(|w| w.to_string()).collect();
		std::fs::write(dir.join("weights.txt"), w.join(","))?;
		Ok(paths)
	}
}

pub use config::{
	parse_rule, parse_staleness, AttackKind, Mode, ModelKind, PartitionKind, RuleParams,
	ScorerKind, SimConfig,
};
pub use report::{accuracy_series, csv_line, write_accuracy_plot, write_csv, CSV_HEADER};
pub use run::{derive_seed, run, RoundInputs, RoundRecord, SimData, SimError, SimOutcome};

#[cfg(test)]
mod tests;
