//! Writing a simulated round to files, so that `fedledger-sim aggregate` (and so the
//! validators' consensus step) can rebuild it offline.

use std::path::{Path, PathBuf};

use fedledger_ml::consensus::RoundInputs;
use fedledger_primitives::tensor_codec;

use crate::config::staleness_name;

/// File (in the dump directory) holding the `aggregate` flags that describe the round.
pub const DUMP_ARGS: &str = "aggregate-args.txt";

/// Writes a round's inputs: `global.fltc` (base weights), `u000.fltc`, … (the update payloads
/// in the canonical codec, whose hashes seed the bucketing) and [`DUMP_ARGS`], the round's
/// context as `aggregate` flags (`--model`, `--round`, `--aggregation-seed`, `--samples`, and in async mode
/// `--staleness`, `--base-version`, `--base-versions`; `--server-lr` when it is not 1).
/// Returns the update paths.
///
/// `fedledger-sim aggregate $(cat aggregate-args.txt) --rule … --global global.fltc u*.fltc`
/// then reproduces the simulator's new model hash.
pub fn dump_round(dir: &Path, inputs: &RoundInputs) -> std::io::Result<Vec<PathBuf>> {
	std::fs::create_dir_all(dir)?;
	let enc = |v: &[f32]| {
		tensor_codec::encode_f32(v, &[v.len() as u32])
			.map_err(|e| std::io::Error::other(format!("{e:?}")))
	};
	std::fs::write(dir.join("global.fltc"), enc(&inputs.base)?)?;
	let mut paths = Vec::new();
	for (i, u) in inputs.updates.iter().enumerate() {
		let p = dir.join(format!("u{i:03}.fltc"));
		std::fs::write(&p, enc(&u.values)?)?;
		paths.push(p);
	}
	let join = |v: Vec<String>| v.join(",");
	let mut args = vec![
		format!("--model {}", inputs.model),
		format!("--round {}", inputs.round),
		format!(
			"--aggregation-seed {}",
			fedledger_ml::hex::to_hex(&inputs.seed)
		),
		format!(
			"--samples {}",
			join(
				inputs
					.updates
					.iter()
					.map(|u| u.num_samples.to_string())
					.collect()
			)
		),
	];
	if let Some(s) = &inputs.staleness {
		args.push(format!("--staleness {}", staleness_name(s)));
		args.push(format!("--base-version {}", inputs.base_version));
		args.push(format!(
			"--base-versions {}",
			join(
				inputs
					.updates
					.iter()
					.map(|u| u.base_version.to_string())
					.collect()
			)
		));
	}
	if inputs.server_lr != 1.0 {
		args.push(format!("--server-lr {}", inputs.server_lr));
	}
	std::fs::write(dir.join(DUMP_ARGS), args.join(" ") + "\n")?;
	Ok(paths)
}
