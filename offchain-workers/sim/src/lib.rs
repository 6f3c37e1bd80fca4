//! `fedledger-sim`: federated learning with simulated trainers, attacks and robust rules,
//! without a chain. The binary in `src/bin/fedledger-sim.rs` is a thin CLI over this crate.
//!
//! Every round goes through `fedledger_ml::consensus::next_model`, the step validators report
//! and followers re-check, with the chain's bucketing seed and sample weights: what the
//! simulator measures is what the chain computes. `aggregate` ([`verify`]) rebuilds a round
//! offline through the same function.

mod config;
mod dump;
mod report;
mod run;
pub mod verify;

pub use dump::{dump_round, DUMP_ARGS};

pub use config::{
	parse_rule, parse_staleness, staleness_name, Mode, PartitionKind, RuleParams, SimConfig,
};
pub use fedledger_ml::attacks::Attack;
pub use fedledger_ml::consensus::RoundInputs;
pub use report::{accuracy_series, csv_line, write_accuracy_plot, write_csv, CSV_HEADER};
pub use run::{derive_seed, run, RoundRecord, SimData, SimError, SimOutcome, SIM_MODEL};

#[cfg(test)]
mod tests;
