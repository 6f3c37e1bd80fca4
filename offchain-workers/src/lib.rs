//! Native federated-learning core of fedledger.
//!
//! Everything here runs outside the runtime, with native threads: the canonical codec bridged
//! to `ndarray`, local training, robust aggregation, attacks (for tests and simulation),
//! attribution scorers, data loading, `fedledger-sim`, and the node-side [`worker`].

pub mod aggregation;
pub mod attacks;
pub mod data;
pub mod model;
pub mod scoring;
pub mod sim;
pub mod training;
pub mod worker;
