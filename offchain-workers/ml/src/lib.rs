//! Native federated-learning library of fedledger.
//!
//! Everything the validators, the version follower and the simulator compute lives here, so
//! that what `fedledger-sim` measures is what the chain computes: the canonical codec bridged
//! to `ndarray`, the dense networks and their local training, data loading, robust
//! aggregation, attribution scorers, attacks (for tests and simulation) and the one
//! [`consensus`] step from a round's revealed updates to the next model.
//!
//! The crate has no CLI, plotting, progress or metrics dependencies: the node-side task
//! (`fedledger-worker`) and the simulator (`fedledger-sim`) add those on top.

pub mod aggregation;
pub mod attacks;
pub mod consensus;
pub mod data;
pub mod hex;
pub mod model;
pub mod scoring;
pub mod training;
