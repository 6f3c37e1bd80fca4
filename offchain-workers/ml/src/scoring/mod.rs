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
