//! Local training of one trainer: mini-batch SGD from the global model, with an optional
//! FedProx proximal term and optional differential-privacy style clipping + Gaussian noise.
//!
//! Determinism: all randomness (batch order, DP noise) comes from one ChaCha8 stream seeded by
//! the caller, and the computation is sequential, so the same inputs and seed give a
//! bit-identical update whatever the rayon thread count. (Matrix products go through
//! `matrixmultiply`, which picks SIMD kernels per CPU, so bit-identity is per machine; the
//! consensus path — aggregation — does not depend on it.)

use std::time::Instant;

use ndarray::{Array1, ArrayView1, Axis};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use crate::data::Dataset;
use crate::model::{DenseNet, ModelError};

/// Hyper-parameters of one local training run.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainConfig {
	/// Passes over the local data.
	pub epochs: usize,
	/// Samples per SGD step (the last batch of an epoch may be smaller).
	pub batch_size: usize,
	/// SGD step size.
	pub learning_rate: f32,
	/// FedProx proximal coefficient μ: adds `μ/2 ‖w − w_global‖²` to the local loss, which keeps
	/// local models near the global one under non-IID data. 0 gives plain FedAvg training.
	pub prox_mu: f32,
	/// L2 bound on the returned update; `None` leaves it unclipped.
	pub clip_norm: Option<f32>,
	/// Gaussian noise multiplier σ: after clipping, each coordinate gets N(0, (σ·clip)²) noise
	/// (the Gaussian mechanism of DP-FedAvg). Requires `clip_norm`.
	pub noise_multiplier: f32,
}

impl Default for TrainConfig {
	fn default() -> Self {
		Self {
			epochs: 1,
			batch_size: 32,
			learning_rate: 0.1,
			prox_mu: 0.0,
			clip_norm: None,
			noise_multiplier: 0.0,
		}
	}
}

/// What a trainer publishes after a local run.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalUpdate {
	/// `local_params − global_params` (after clipping and noise).
	pub delta: Array1<f32>,
	/// Number of local samples (the weight FedAvg gives this update).
	pub samples: usize,
	/// Mean training loss (cross-entropy, without the proximal term) over the last epoch.
	pub train_loss: f64,
}

/// Why local training was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TrainError {
	#[error(transparent)]
	Model(#[from] ModelError),
	#[error("invalid training configuration: {0}")]
	Config(String),
	#[error("the local data set is empty")]
	NoData,
	/// The deadline passed before training finished: the partial result is dropped (an update
	/// that cannot be committed in time is worth nothing, and the thread has other models).
	#[error("deadline passed after {batches} batches of epoch {epoch} (of {epochs})")]
	DeadlinePassed {
		epoch: usize,
		epochs: usize,
		batches: usize,
	},
}

/// Trains from `global` on `data` and returns the update.
pub fn train_local(
	arch: &DenseNet,
	global: ArrayView1<f32>,
	data: &Dataset,
	cfg: &TrainConfig,
	seed: u64,
) -> Result<LocalUpdate, TrainError> {
	train_local_until(arch, global, data, cfg, seed, None)
}

/// [`train_local`] that gives up with [`TrainError::DeadlinePassed`] once `deadline` has
/// passed. The clock is read before every batch (a few tens of nanoseconds against a matrix
/// product), so an over-budget run stops within one batch; a run that finishes is
/// bit-identical to [`train_local`]'s (the deadline never changes the arithmetic).
pub fn train_local_until(
	arch: &DenseNet,
	global: ArrayView1<f32>,
	data: &Dataset,
	cfg: &TrainConfig,
	seed: u64,
	deadline: Option<Instant>,
) -> Result<LocalUpdate, TrainError> {
	validate(cfg)?;
	if data.is_empty() {
		return Err(TrainError::NoData);
	}
	if global.len() != arch.param_count() {
		return Err(ModelError::ParamLength {
			expected: arch.param_count(),
			got: global.len(),
		}
		.into());
	}
	let mut rng = ChaCha8Rng::seed_from_u64(seed);
	let mut params = global.to_owned();
	let mut order: Vec<usize> = (0..data.len()).collect();
	let mut last_epoch_loss = 0.0;
	for epoch in 0..cfg.epochs {
		order.shuffle(&mut rng);
		let mut loss_sum = 0.0;
		for (batches, batch) in order.chunks(cfg.batch_size).enumerate() {
			if deadline.is_some_and(|d| Instant::now() >= d) {
				return Err(TrainError::DeadlinePassed {
					epoch,
					epochs: cfg.epochs,
					batches,
				});
			}
			let x = data.features().select(Axis(0), batch);
			let y: Vec<u32> = batch.iter().map(|&i| data.labels()[i]).collect();
			let (loss, mut grad) = arch.loss_and_gradient(params.view(), x.view(), &y)?;
			loss_sum += loss * batch.len() as f64;
			if cfg.prox_mu > 0.0 {
				// ∇ μ/2 ‖w − w_g‖² = μ (w − w_g)
				ndarray::Zip::from(&mut grad)
					.and(&params)
					.and(global)
					.for_each(|g, &w, &w0| *g += cfg.prox_mu * (w - w0));
			}
			params.scaled_add(-cfg.learning_rate, &grad);
		}
		last_epoch_loss = loss_sum / data.len() as f64;
	}
	let mut delta = params - global;
	if let Some(clip) = cfg.clip_norm {
		clip_l2(&mut delta, clip);
		if cfg.noise_multiplier > 0.0 {
			let std = cfg.noise_multiplier * clip;
			for v in delta.iter_mut() {
				let z: f32 = StandardNormal.sample(&mut rng);
				*v += std * z;
			}
		}
	}
	Ok(LocalUpdate {
		delta,
		samples: data.len(),
		train_loss: last_epoch_loss,
	})
}

/// Scales `v` down to L2 norm `max_norm` if it is longer (norm summed in f64, in index order).
pub fn clip_l2(v: &mut Array1<f32>, max_norm: f32) {
	let norm = l2_norm(v.view());
	if norm > max_norm as f64 {
		let scale = (max_norm as f64 / norm) as f32;
		v.mapv_inplace(|x| x * scale);
	}
}

/// L2 norm, accumulated in f64 in index order.
pub fn l2_norm(v: ArrayView1<f32>) -> f64 {
	v.iter()
		.map(|&x| (x as f64) * (x as f64))
		.sum::<f64>()
		.sqrt()
}

fn validate(cfg: &TrainConfig) -> Result<(), TrainError> {
	let bad = |m: &str| Err(TrainError::Config(m.into()));
	if cfg.epochs == 0 {
		return bad("epochs must be at least 1");
	}
	if cfg.batch_size == 0 {
		return bad("batch_size must be at least 1");
	}
	if !(cfg.learning_rate.is_finite() && cfg.learning_rate > 0.0) {
		return bad("learning_rate must be finite and positive");
	}
	if !(cfg.prox_mu.is_finite() && cfg.prox_mu >= 0.0) {
		return bad("prox_mu must be finite and non-negative");
	}
	if let Some(c) = cfg.clip_norm {
		if !(c.is_finite() && c > 0.0) {
			return bad("clip_norm must be finite and positive");
		}
	}
	if !(cfg.noise_multiplier.is_finite() && cfg.noise_multiplier >= 0.0) {
		return bad("noise_multiplier must be finite and non-negative");
	}
	if cfg.noise_multiplier > 0.0 && cfg.clip_norm.is_none() {
		return bad("Gaussian noise needs clip_norm: its scale is σ·clip");
	}
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;
	use ndarray::Array2;
	use rand::Rng;

	/// Three well-separated Gaussian classes in 4-D.
	fn blobs(n: usize, seed: u64) -> Dataset {
		let mut rng = ChaCha8Rng::seed_from_u64(seed);
		let labels: Vec<u32> = (0..n).map(|i| (i % 3) as u32).collect();
		let x = Array2::from_shape_fn((n, 4), |(r, c)| {
			let centre = if c as u32 == labels[r] { 2.0 } else { 0.0 };
			centre + rng.gen_range(-0.5f32..0.5)
		});
		Dataset::new(x, labels, 3).unwrap()
	}

	fn cfg() -> TrainConfig {
		TrainConfig {
			epochs: 3,
			batch_size: 8,
			learning_rate: 0.2,
			..Default::default()
		}
	}

	#[test]
	fn same_seed_gives_bit_identical_update_and_other_seed_differs() {
		let arch = DenseNet::mlp(4, &[8], 3).unwrap();
		let g = arch.init(1);
		let d = blobs(60, 2);
		let c = TrainConfig {
			clip_norm: Some(0.5),
			noise_multiplier: 0.1,
			..cfg()
		};
		let a = train_local(&arch, g.view(), &d, &c, 42).unwrap();
		let b = train_local(&arch, g.view(), &d, &c, 42).unwrap();
		assert_eq!(a.delta.to_vec(), b.delta.to_vec());
		assert_eq!(a.train_loss.to_bits(), b.train_loss.to_bits());
		let other = train_local(&arch, g.view(), &d, &c, 43).unwrap();
		assert_ne!(a.delta, other.delta);
	}

	#[test]
	fn update_is_identical_under_rayon_pools_of_1_and_4_threads() {
		let arch = DenseNet::mlp(4, &[16, 8], 3).unwrap();
		let g = arch.init(5);
		let d = blobs(90, 3);
		let run = |threads| {
			rayon::ThreadPoolBuilder::new()
				.num_threads(threads)
				.build()
				.unwrap()
				.install(|| train_local(&arch, g.view(), &d, &cfg(), 7).unwrap())
		};
		assert_eq!(run(1).delta.to_vec(), run(4).delta.to_vec());
	}

	#[test]
	fn update_is_local_minus_global_and_reduces_loss() {
		let arch = DenseNet::logistic_regression(4, 3).unwrap();
		let g = arch.init(0);
		let d = blobs(120, 4);
		let before = arch
			.evaluate(g.view(), d.features(), d.labels())
			.unwrap()
			.loss;
		let up = train_local(&arch, g.view(), &d, &cfg(), 1).unwrap();
		assert_eq!(up.samples, 120);
		let local = &g + &up.delta;
		let after = arch
			.evaluate(local.view(), d.features(), d.labels())
			.unwrap();
		assert!(after.loss < before * 0.5, "loss {before} → {}", after.loss);
		assert!(after.accuracy > 0.95);
		assert!(up.train_loss > 0.0 && up.train_loss < before);
	}

	#[test]
	fn one_full_batch_step_equals_manual_sgd() {
		let arch = DenseNet::logistic_regression(4, 3).unwrap();
		let g = arch.init(3);
		let d = blobs(12, 5);
		let c = TrainConfig {
			epochs: 1,
			batch_size: 12,
			learning_rate: 0.3,
			..Default::default()
		};
		let up = train_local(&arch, g.view(), &d, &c, 0).unwrap();
		// A full batch is the whole set; the gradient of a mean is order-independent up to
		// rounding, so compare with a tolerance.
		let (_, grad) = arch
			.loss_and_gradient(g.view(), d.features(), d.labels())
			.unwrap();
		let expected = grad * -0.3f32;
		let err = (&up.delta - &expected)
			.mapv(f32::abs)
			.fold(0.0f32, |m, &v| m.max(v));
		assert!(err < 1e-6, "max error {err}");
	}

	#[test]
	fn proximal_term_keeps_the_update_closer_to_global() {
		let arch = DenseNet::logistic_regression(4, 3).unwrap();
		let g = arch.init(2);
		let d = blobs(90, 6);
		let c = TrainConfig {
			epochs: 10,
			..cfg()
		};
		let plain = train_local(&arch, g.view(), &d, &c, 3).unwrap();
		let prox = train_local(&arch, g.view(), &d, &TrainConfig { prox_mu: 1.0, ..c }, 3).unwrap();
		assert!(l2_norm(prox.delta.view()) < 0.8 * l2_norm(plain.delta.view()));
	}

	#[test]
	fn clipping_bounds_the_norm_and_noise_has_scale_sigma_clip() {
		let arch = DenseNet::mlp(4, &[32], 3).unwrap();
		let g = arch.init(2);
		let d = blobs(60, 7);
		let clipped = train_local(
			&arch,
			g.view(),
			&d,
			&TrainConfig {
				clip_norm: Some(0.01),
				..cfg()
			},
			1,
		)
		.unwrap();
		assert!((l2_norm(clipped.delta.view()) - 0.01).abs() < 1e-6);
		// With σ·clip = 1 the noise dominates: the per-coordinate std must be close to 1.
		let noisy = train_local(
			&arch,
			g.view(),
			&d,
			&TrainConfig {
				clip_norm: Some(0.01),
				noise_multiplier: 100.0,
				..cfg()
			},
			1,
		)
		.unwrap();
		let n = noisy.delta.len() as f64;
		let std = (noisy.delta.iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / n).sqrt();
		assert!((std - 1.0).abs() < 0.1, "noise std {std}, {n} coordinates");
	}

	#[test]
	fn a_passed_deadline_stops_training_and_a_far_one_changes_nothing() {
		let arch = DenseNet::logistic_regression(4, 3).unwrap();
		let g = arch.init(0);
		let d = blobs(60, 8);
		let past = Some(Instant::now());
		assert!(matches!(
			train_local_until(&arch, g.view(), &d, &cfg(), 1, past),
			Err(TrainError::DeadlinePassed {
				epoch: 0,
				epochs: 3,
				batches: 0
			})
		));
		let far = Some(Instant::now() + std::time::Duration::from_secs(3600));
		let timed = train_local_until(&arch, g.view(), &d, &cfg(), 1, far).unwrap();
		assert_eq!(timed, train_local(&arch, g.view(), &d, &cfg(), 1).unwrap());
	}

	#[test]
	fn invalid_configurations_are_rejected() {
		let arch = DenseNet::logistic_regression(4, 3).unwrap();
		let g = arch.init(0);
		let d = blobs(10, 0);
		for bad in [
			TrainConfig { epochs: 0, ..cfg() },
			TrainConfig {
				batch_size: 0,
				..cfg()
			},
			TrainConfig {
				learning_rate: f32::NAN,
				..cfg()
			},
			TrainConfig {
				noise_multiplier: 1.0,
				..cfg()
			},
			TrainConfig {
				clip_norm: Some(-1.0),
				..cfg()
			},
		] {
			assert!(matches!(
				train_local(&arch, g.view(), &d, &bad, 0),
				Err(TrainError::Config(_))
			));
		}
		assert!(matches!(
			train_local(&arch, g.view(), &d.head(0), &cfg(), 0),
			Err(TrainError::NoData)
		));
	}
}
