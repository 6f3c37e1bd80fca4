//! Types shared by every part of fedledger: the runtime and its pallets (in `no_std` wasm), and
//! the native worker and simulator (with `std`).
//!
//! Keep this crate small and dependency-light: anything here is compiled into the runtime.
#![cfg_attr(not(feature = "std"), no_std)]

/// Identifier of a registered model.
pub type ModelId = u32;

/// Index of a training round of one model, starting at 0.
pub type RoundIndex = u32;

/// Index of a global model version in a model's version chain; version 0 is the initial weights.
pub type VersionIndex = u32;

/// A 32-byte sha3-256 digest, used for model weights, update payloads and commitments.
pub type Digest = [u8; 32];

extern crate alloc;

pub mod model;
pub mod round;
pub mod rules;
pub mod tensor_codec;
pub mod traits;
