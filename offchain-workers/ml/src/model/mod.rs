//! Models whose parameters are one flat `f32` vector.
//!
//! Federated updates travel as flat vectors (the canonical codec encodes a 1-D tensor), so the
//! models here never own structured weights: every operation takes the flat parameter vector and
//! slices views out of it. Both supported models are the same computation — a stack of dense
//! layers with ReLU between them and softmax cross-entropy at the end — so one implementation
//! serves multinomial logistic regression (no hidden layer) and the MLP (1–2 hidden layers).
//!
//! # Canonical parameter layout
//!
//! Layer by layer, from the input to the output. For a dense layer with `fan_in` inputs and
//! `fan_out` outputs the layer occupies `fan_in * fan_out + fan_out` consecutive values:
//!
//! 1. the weight matrix `W` of shape `(fan_in, fan_out)`, row-major, i.e. `W[i][o]` is at
//!    `offset + i * fan_out + o`;
//! 2. the bias `b` of length `fan_out`.
//!
//! The layer computes `z = x · W + b` for a row vector `x`.

mod dense;

pub use dense::{model_kind, DenseNet, Evaluation, ModelError};
