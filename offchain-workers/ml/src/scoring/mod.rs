//! Attribution scorers: how much did each update help this round's model?
//!
//! * [`cosine_to_aggregate`] — direction agreement with the round's aggregate; needs no data,
//!   so every validator can compute it from chain data alone.
//! * [`leave_one_out`] — utility of everyone minus utility without the update.
//! * [`gtg_shapley`] — GTG-Shapley (Liu et al. 2022), a truncated Monte-Carlo estimate of the
//!   Shapley value that reuses the round's updates instead of retraining.
//! * [`exact_shapley`] — enumerates all 2ⁿ coalitions; the reference for small n.
//!
//! The data-based scorers take the coalition utility as a closure over sorted member indices,
//! so they do not depend on a particular aggregation rule or metric; [`ValidationUtility`]
//! builds the usual one (validation accuracy or negative loss of `global + aggregate(S)`).
//! Scores are `f64` and need not be bit-identical across validators: the chain quantizes them
//! and takes a stake-weighted median.

mod cosine;
mod shapley;
mod utility;

pub use cosine::cosine_to_aggregate;
pub use shapley::{
	exact_shapley, gtg_shapley, leave_one_out, GtgConfig, GtgOutcome, EXACT_SHAPLEY_MAX_PLAYERS,
};
pub use utility::{weighted_mean, Metric, ValidationUtility};

use fedledger_primitives::model::Scorer;

/// Names of the scorers on command lines: `none`, `cosine`, `loo`, `gtg`. The scorer type is
/// the on-chain [`Scorer`]; `None` (no scoring) exists only in experiments.
pub const SCORER_NAMES: [(&str, Option<Scorer>); 4] = [
	("none", None),
	("cosine", Some(Scorer::CosineToAggregate)),
	("loo", Some(Scorer::LeaveOneOut)),
	("gtg", Some(Scorer::GtgShapley)),
];

/// Parses a scorer name of [`SCORER_NAMES`] (usable as a clap `value_parser`).
pub fn parse_scorer(s: &str) -> Result<Option<Scorer>, String> {
	SCORER_NAMES
		.iter()
		.find(|(name, _)| *name == s)
		.map(|(_, scorer)| *scorer)
		.ok_or_else(|| format!("unknown scorer {s:?} (none, cosine, loo, gtg)"))
}

/// The name [`parse_scorer`] reads back.
pub fn scorer_name(scorer: Option<Scorer>) -> &'static str {
	SCORER_NAMES
		.iter()
		.find(|(_, s)| *s == scorer)
		.map_or("none", |(name, _)| name)
}

#[cfg(test)]
#[test]
fn scorer_names_round_trip() {
	for (name, scorer) in SCORER_NAMES {
		assert_eq!(parse_scorer(name), Ok(scorer));
		assert_eq!(scorer_name(scorer), name);
	}
	assert!(parse_scorer("shapley").is_err());
}
