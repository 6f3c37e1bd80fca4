//! Splitting a data set's sample indices among trainers: IID, Dirichlet(α) label skew and
//! label shards. Every function assigns each sample to exactly one trainer and is a pure
//! function of its seed.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Gamma};

/// A partition request that cannot be satisfied.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PartitionError {
	#[error("cannot split {samples} samples among {clients} clients")]
	TooFewSamples { samples: usize, clients: usize },
	#[error("Dirichlet concentration must be finite and positive, got {0}")]
	BadAlpha(f64),
	#[error("no Dirichlet draw in {attempts} attempts gave every client at least {min} samples")]
	MinSizeUnreachable { attempts: usize, min: usize },
	#[error("invalid parameter: {0}")]
	Invalid(String),
}

/// Shuffles all indices and deals them round-robin: sizes differ by at most one.
pub fn iid(samples: usize, clients: usize, seed: u64) -> Result<Vec<Vec<usize>>, PartitionError> {
	if clients == 0 || samples < clients {
		return Err(PartitionError::TooFewSamples { samples, clients });
	}
	let mut rng = ChaCha8Rng::seed_from_u64(seed);
	let mut order: Vec<usize> = (0..samples).collect();
	order.shuffle(&mut rng);
	let mut parts = vec![Vec::with_capacity(samples / clients + 1); clients];
	for (k, i) in order.into_iter().enumerate() {
		parts[k % clients].push(i);
	}
	Ok(parts)
}

/// Label-skewed partition (Hsu et al. 2019): for each class, the class's samples are split
/// among clients in proportions drawn from Dirichlet(α, …, α).
///
/// Small α (0.1) gives each client few classes; large α (100) approaches IID. Draws are
/// repeated until every client holds at least `min_per_client` samples (at most 1000 tries).
pub fn dirichlet(
	labels: &[u32],
	classes: usize,
	clients: usize,
	alpha: f64,
	min_per_client: usize,
	seed: u64,
) -> Result<Vec<Vec<usize>>, PartitionError> {
	if !(alpha.is_finite() && alpha > 0.0) {
		return Err(PartitionError::BadAlpha(alpha));
	}
	if clients == 0 || labels.len() < clients.max(clients * min_per_client) {
		return Err(PartitionError::TooFewSamples {
			samples: labels.len(),
			clients,
		});
	}
	let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); classes];
	for (i, &l) in labels.iter().enumerate() {
		let class = by_class.get_mut(l as usize).ok_or_else(|| {
			PartitionError::Invalid(format!("label {l} at {i} not below {classes}"))
		})?;
		class.push(i);
	}
	let gamma = Gamma::new(alpha, 1.0).map_err(|_| PartitionError::BadAlpha(alpha))?;
	let mut rng = ChaCha8Rng::seed_from_u64(seed);
	const ATTEMPTS: usize = 1000;
	for _ in 0..ATTEMPTS {
		let mut parts: Vec<Vec<usize>> = vec![Vec::new(); clients];
		for class in &by_class {
			let mut idx = class.clone();
			idx.shuffle(&mut rng);
			let p = dirichlet_draw(&gamma, clients, &mut rng);
			// Cumulative proportions → cut points; the last cut is the class size, so every
			// sample of the class lands in exactly one client.
			let mut acc = 0.0;
			let mut start = 0;
			for (c, part) in parts.iter_mut().enumerate() {
				acc += p[c];
				let end = if c + 1 == clients {
					idx.len()
				} else {
					((acc * idx.len() as f64).round() as usize).clamp(start, idx.len())
				};
				part.extend_from_slice(&idx[start..end]);
				start = end;
			}
		}
		if parts.iter().all(|p| p.len() >= min_per_client.max(1)) {
			return Ok(parts);
		}
	}
	Err(PartitionError::MinSizeUnreachable {
		attempts: ATTEMPTS,
		min: min_per_client,
	})
}

/// One Dirichlet sample as normalised Gamma(α, 1) draws. For tiny α every draw can underflow
/// to zero; such a draw is repeated rather than divided by zero.
fn dirichlet_draw(gamma: &Gamma<f64>, n: usize, rng: &mut ChaCha8Rng) -> Vec<f64> {
	loop {
		let g: Vec<f64> = (0..n).map(|_| gamma.sample(rng)).collect();
		let sum: f64 = g.iter().sum();
		if sum > 0.0 && sum.is_finite() {
			return g.into_iter().map(|v| v / sum).collect();
		}
	}
}

/// Label shards (McMahan et al. 2017): sort samples by label, cut into
/// `clients × shards_per_client` contiguous shards, give each client `shards_per_client`
/// random shards. With 2 shards per client most clients see only two classes.
pub fn label_shards(
	labels: &[u32],
	clients: usize,
	shards_per_client: usize,
	seed: u64,
) -> Result<Vec<Vec<usize>>, PartitionError> {
	if shards_per_client == 0 {
		return Err(PartitionError::Invalid(
			"shards_per_client must be positive".into(),
		));
	}
	let shards = clients * shards_per_client;
	if clients == 0 || labels.len() < shards {
		return Err(PartitionError::TooFewSamples {
			samples: labels.len(),
			clients,
		});
	}
	let mut rng = ChaCha8Rng::seed_from_u64(seed);
	// Shuffle before the stable sort so a class's samples are not in file order inside shards.
	let mut order: Vec<usize> = (0..labels.len()).collect();
	order.shuffle(&mut rng);
	order.sort_by_key(|&i| labels[i]);
	let mut shard_ids: Vec<usize> = (0..shards).collect();
	shard_ids.shuffle(&mut rng);
	let bounds = |s: usize| (s * labels.len() / shards, (s + 1) * labels.len() / shards);
	Ok(shard_ids
		.chunks(shards_per_client)
		.map(|mine| {
			mine.iter()
				.flat_map(|&s| {
					let (a, b) = bounds(s);
					order[a..b].iter().copied()
				})
				.collect()
		})
		.collect())
}

#[cfg(test)]
mod tests {
	use super::*;

	fn labels(n: usize, classes: u32) -> Vec<u32> {
		(0..n)
			.map(|i| (i as u32 * 7 + i as u32 / 3) % classes)
			.collect()
	}

	fn assert_exact_cover(parts: &[Vec<usize>], n: usize) {
		let mut seen = vec![0u32; n];
		for p in parts {
			for &i in p {
				seen[i] += 1;
			}
		}
		assert!(seen.iter().all(|&c| c == 1), "every sample exactly once");
	}

	/// Mean over clients of the share held by the client's most common class.
	fn mean_dominant_share(parts: &[Vec<usize>], labels: &[u32], classes: usize) -> f64 {
		parts
			.iter()
			.map(|p| {
				let mut counts = vec![0usize; classes];
				p.iter().for_each(|&i| counts[labels[i] as usize] += 1);
				*counts.iter().max().unwrap() as f64 / p.len() as f64
			})
			.sum::<f64>()
			/ parts.len() as f64
	}

	#[test]
	fn iid_covers_exactly_once_with_balanced_sizes() {
		let parts = iid(103, 10, 1).unwrap();
		assert_exact_cover(&parts, 103);
		assert!(parts.iter().all(|p| p.len() == 10 || p.len() == 11));
		assert_eq!(parts, iid(103, 10, 1).unwrap());
		assert_ne!(parts, iid(103, 10, 2).unwrap());
	}

	#[test]
	fn dirichlet_covers_exactly_once_and_is_seeded() {
		let y = labels(2000, 10);
		for alpha in [0.05, 0.5, 100.0] {
			let parts = dirichlet(&y, 10, 20, alpha, 5, 9).unwrap();
			assert_eq!(parts.len(), 20);
			assert_exact_cover(&parts, y.len());
			assert!(parts.iter().all(|p| p.len() >= 5));
			assert_eq!(parts, dirichlet(&y, 10, 20, alpha, 5, 9).unwrap());
		}
	}

	#[test]
	fn small_alpha_skews_labels_more_than_large_alpha() {
		let y = labels(5000, 10);
		let skewed = mean_dominant_share(&dirichlet(&y, 10, 20, 0.1, 1, 3).unwrap(), &y, 10);
		let flat = mean_dominant_share(&dirichlet(&y, 10, 20, 100.0, 1, 3).unwrap(), &y, 10);
		assert!(
			skewed > 0.5,
			"α=0.1 should make one class dominate, got {skewed}"
		);
		assert!(flat < 0.2, "α=100 should be near uniform (0.1), got {flat}");
	}

	#[test]
	fn dirichlet_rejects_bad_inputs() {
		let y = labels(100, 10);
		assert_eq!(
			dirichlet(&y, 10, 5, 0.0, 1, 0),
			Err(PartitionError::BadAlpha(0.0))
		);
		assert!(dirichlet(&y, 10, 50, 1.0, 10, 0).is_err());
		assert!(matches!(
			dirichlet(&y, 5, 5, 1.0, 1, 0),
			Err(PartitionError::Invalid(_))
		));
	}

	#[test]
	fn shards_cover_exactly_once_and_limit_classes() {
		let y = labels(1000, 10);
		let parts = label_shards(&y, 10, 2, 4).unwrap();
		assert_exact_cover(&parts, 1000);
		for p in &parts {
			let mut classes: Vec<u32> = p.iter().map(|&i| y[i]).collect();
			classes.sort();
			classes.dedup();
			// Two shards of a label-sorted order span at most 2 classes each.
			assert!(classes.len() <= 4, "client sees {} classes", classes.len());
		}
		assert_eq!(parts, label_shards(&y, 10, 2, 4).unwrap());
		assert!(label_shards(&y, 10, 0, 4).is_err());
	}
}
