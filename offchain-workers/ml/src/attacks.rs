//! Byzantine attacks, for tests and simulation.
//!
//! Each model-poisoning attack is a function of the honest updates the attacker can see (the
//! omniscient threat model of the robust-aggregation literature) and/or the attacker's own
//! honestly-computed update. Updates are rows of an `n × d` matrix.
//!
//! | attack | crafted update |
//! |---|---|
//! | sign flip | `−own` |
//! | Gaussian | `N(0, σ²)` per coordinate |
//! | label flip | honest training on labels `y → C−1−y` (data level) |
//! | ALIE (Baruch et al. 2019) | `μ − z·σ` coordinate-wise over the honest updates |
//! | IPM (Xie et al. 2020) | `−ε·μ` |
//! | mimic (Karimireddy et al. 2022) | a copy of one honest update, the outlier along the top principal direction |
//! | scaling / model replacement (Bagdasaryan et al. 2020) | `γ·own` |
//! | sample-count inflation | `−γ·own`, declaring the most samples the model admits |

use std::fmt;
use std::str::FromStr;

use ndarray::{Array1, ArrayView1, ArrayView2, Axis};
use rand::Rng;
use rand_distr::{Distribution, Normal};

/// A Byzantine behaviour: the one attack type the simulator, the node-side trainer (in
/// builds with the node's `attacks` feature) and their command lines share.
///
/// Names (`FromStr` / `Display`, which round-trip): `none`, `sign-flip`, `gaussian[:σ]`,
/// `label-flip`, `alie[:z]`, `ipm[:ε]`, `mimic`, `scaling[:γ]`, `inflate[:γ]`. `Display` omits a parameter
/// equal to its default (σ = 1, ε = 0.1, z and γ derived from n and f), so the default forms
/// print as bare names.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Attack {
	/// Everyone is honest (the Byzantine trainers train normally).
	None,
	/// Send the negation of an honestly trained update.
	SignFlip,
	/// Send N(0, σ²) noise.
	Gaussian { sigma: f32 },
	/// Train honestly on labels `y → C−1−y`.
	LabelFlip,
	/// A Little Is Enough with shift `z` (`None`: the paper's `z_max(n, f)`).
	Alie { z: Option<f64> },
	/// Inner-product manipulation `−ε·mean(honest)`.
	Ipm { epsilon: f64 },
	/// Copy the honest update that is the outlier along the main principal direction.
	Mimic,
	/// Label-flip training, update boosted by `γ` (`None`: `n / f`, collective model replacement).
	Scaling { gamma: Option<f32> },
	/// Send `−γ·own` (`None`: γ = [`DEFAULT_INFLATE_GAMMA`]) and declare as many samples as
	/// the model admits, so that any rule weighting by declared counts follows the attacker.
	Inflate { gamma: Option<f32> },
}

/// Default γ of `inflate`: the measured attacker sent Δ = −10 against honest Δ ≈ +1.
pub const DEFAULT_INFLATE_GAMMA: f32 = 10.0;

/// Default σ of `gaussian`.
pub const DEFAULT_GAUSSIAN_SIGMA: f32 = 1.0;
/// Default ε of `ipm`.
pub const DEFAULT_IPM_EPSILON: f64 = 0.1;

impl Attack {
	/// Whether the attacker needs its own locally trained update.
	pub fn trains(&self) -> bool {
		matches!(
			self,
			Self::None
				| Self::SignFlip
				| Self::LabelFlip
				| Self::Scaling { .. }
				| Self::Inflate { .. }
		)
	}

	/// The sample count the attacker declares, given its real count and the most the model
	/// admits (`UpdateBounds::max_samples`): inflation claims the most, the others the truth.
	pub fn declared_samples(&self, real: u32, max_samples: u32) -> u32 {
		match self {
			Self::Inflate { .. } => max_samples,
			_ => real,
		}
	}

	/// Whether the attacker's local labels are flipped before training.
	pub fn flips_labels(&self) -> bool {
		matches!(self, Self::LabelFlip | Self::Scaling { .. })
	}

	/// Whether the attack crafts its update from the honest updates (omniscient attacker), which
	/// a node-side trainer cannot see before it commits.
	pub fn needs_honest_updates(&self) -> bool {
		matches!(self, Self::Alie { .. } | Self::Ipm { .. } | Self::Mimic)
	}

	/// Short name, without parameters (table columns).
	pub fn name(&self) -> &'static str {
		match self {
			Self::None => "none",
			Self::SignFlip => "sign-flip",
			Self::Gaussian { .. } => "gaussian",
			Self::LabelFlip => "label-flip",
			Self::Alie { .. } => "alie",
			Self::Ipm { .. } => "ipm",
			Self::Mimic => "mimic",
			Self::Scaling { .. } => "scaling",
			Self::Inflate { .. } => "inflate",
		}
	}

	/// The update an attacker sends when the attack needs no one else's update: `own` is its
	/// honestly trained update (required when [`Attack::trains`]), `dim` the parameter count,
	/// `default_gamma` the scaling factor when `scaling` has none. `None` for the attacks that
	/// need the honest updates ([`Attack::needs_honest_updates`]).
	pub fn local_update<R: Rng>(
		&self,
		own: Option<ArrayView1<f32>>,
		dim: usize,
		default_gamma: f32,
		rng: &mut R,
	) -> Option<Array1<f32>> {
		let own = || own.expect("this attack trains its own update");
		Some(match *self {
			Self::None | Self::LabelFlip => own().to_owned(),
			Self::SignFlip => sign_flip(own()),
			Self::Gaussian { sigma } => gaussian(dim, sigma, rng),
			Self::Scaling { gamma } => scaling(own(), gamma.unwrap_or(default_gamma)),
			Self::Inflate { gamma } => scaling(own(), -gamma.unwrap_or(DEFAULT_INFLATE_GAMMA)),
			Self::Alie { .. } | Self::Ipm { .. } | Self::Mimic => return None,
		})
	}
}

impl fmt::Display for Attack {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		f.write_str(self.name())?;
		match *self {
			Self::Gaussian { sigma } if sigma != DEFAULT_GAUSSIAN_SIGMA => write!(f, ":{sigma}"),
			Self::Alie { z: Some(z) } => write!(f, ":{z}"),
			Self::Ipm { epsilon } if epsilon != DEFAULT_IPM_EPSILON => write!(f, ":{epsilon}"),
			Self::Scaling { gamma: Some(g) } | Self::Inflate { gamma: Some(g) } => {
				write!(f, ":{g}")
			}
			_ => Ok(()),
		}
	}
}

impl FromStr for Attack {
	type Err = String;
	/// `none`, `sign-flip`, `gaussian[:σ]`, `label-flip`, `alie[:z]`, `ipm[:ε]`, `mimic`,
	/// `scaling[:γ]`, `inflate[:γ]`.
	fn from_str(s: &str) -> Result<Self, String> {
		let (name, arg) = match s.split_once(':') {
			Some((n, a)) => (n, Some(a)),
			None => (s, None),
		};
		let num = |default: f64| -> Result<f64, String> {
			arg.map_or(Ok(default), |a| {
				a.parse().map_err(|_| format!("bad number {a:?} in {s:?}"))
			})
		};
		Ok(match name {
			"none" | "clean" => Self::None,
			"sign-flip" => Self::SignFlip,
			"gaussian" => Self::Gaussian {
				sigma: num(DEFAULT_GAUSSIAN_SIGMA as f64)? as f32,
			},
			"label-flip" => Self::LabelFlip,
			"alie" => Self::Alie {
				z: arg.map(|_| num(0.0)).transpose()?,
			},
			"ipm" => Self::Ipm {
				epsilon: num(DEFAULT_IPM_EPSILON)?,
			},
			"mimic" => Self::Mimic,
			"scaling" => Self::Scaling {
				gamma: arg.map(|_| num(0.0)).transpose()?.map(|g| g as f32),
			},
			"inflate" => Self::Inflate {
				gamma: arg.map(|_| num(0.0)).transpose()?.map(|g| g as f32),
			},
			_ => return Err(format!(
				"unknown attack {s:?} (none, sign-flip, gaussian[:σ], label-flip, alie[:z], ipm[:ε], mimic, scaling[:γ], inflate[:γ])"
			)),
		})
	}
}

/// Sign flip: the attacker sends the negation of its honest update.
pub fn sign_flip(own: ArrayView1<f32>) -> Array1<f32> {
	own.mapv(|v| -v)
}

/// Gaussian: pure noise with standard deviation `sigma` per coordinate.
pub fn gaussian<R: Rng>(dim: usize, sigma: f32, rng: &mut R) -> Array1<f32> {
	let normal = Normal::new(0.0f32, sigma.max(0.0)).expect("sigma is finite and non-negative");
	Array1::from_shape_simple_fn(dim, || normal.sample(rng))
}

/// Label flip (data level): class `y` becomes `classes − 1 − y` in place. Applying it twice
/// restores the labels.
pub fn flip_labels(labels: &mut [u32], classes: usize) {
	for l in labels {
		*l = classes as u32 - 1 - *l;
	}
}

/// Coordinate-wise mean and (population) standard deviation of the rows, accumulated in f64.
pub fn mean_and_std(honest: ArrayView2<f32>) -> (Array1<f64>, Array1<f64>) {
	let n = honest.nrows() as f64;
	let mut mean = Array1::<f64>::zeros(honest.ncols());
	for row in honest.rows() {
		mean.zip_mut_with(&row, |m, &v| *m += v as f64);
	}
	mean /= n;
	let mut var = Array1::<f64>::zeros(honest.ncols());
	for row in honest.rows() {
		ndarray::Zip::from(&mut var)
			.and(&mean)
			.and(&row)
			.for_each(|s, &m, &v| {
				let d = v as f64 - m;
				*s += d * d;
			});
	}
	(mean, (var / n).mapv(f64::sqrt))
}

/// A Little Is Enough: `μ − z·σ` per coordinate. Small enough per coordinate to hide inside
/// the honest spread, yet all attackers push the same direction.
pub fn alie(honest: ArrayView2<f32>, z: f64) -> Array1<f32> {
	let (mean, std) = mean_and_std(honest);
	ndarray::Zip::from(&mean)
		.and(&std)
		.map_collect(|&m, &s| (m - z * s) as f32)
}

/// The `z` of Baruch et al.: the largest shift that keeps the attacker inside the set a
/// majority-based rule still accepts, `z = Φ⁻¹((n − s)/n)` with `s = ⌊n/2 + 1⌋ − f`.
pub fn alie_z_max(n: usize, f: usize) -> f64 {
	let s = (n / 2 + 1).saturating_sub(f);
	let p = (n - s) as f64 / n as f64;
	inverse_normal_cdf(p.clamp(1e-12, 1.0 - 1e-12))
}

/// Inner-product manipulation: `−ε` times the honest mean, so that for small ε the aggregate
/// keeps a positive but reduced inner product with the true direction and for large ε a
/// negative one.
pub fn ipm(honest: ArrayView2<f32>, epsilon: f64) -> Array1<f32> {
	let (mean, _) = mean_and_std(honest);
	mean.mapv(|m| (-epsilon * m) as f32)
}

/// Mimic: the index of the honest update the attackers copy — the one farthest from the mean
/// along the top principal direction of the honest updates (found by power iteration). Copying
/// it over-weights one client's (non-IID) data while every copy looks perfectly honest.
pub fn mimic_target(honest: ArrayView2<f32>) -> usize {
	let (mean, _) = mean_and_std(honest);
	let centred: Vec<Array1<f64>> = honest
		.rows()
		.into_iter()
		.map(|r| r.mapv(|v| v as f64) - &mean)
		.collect();
	// Deterministic start: the centred update with the largest norm.
	let mut dir = centred
		.iter()
		.max_by(|a, b| a.dot(*a).total_cmp(&b.dot(*b)))
		.cloned()
		.unwrap_or_else(|| Array1::zeros(honest.ncols()));
	for _ in 0..30 {
		let mut next = Array1::<f64>::zeros(dir.len());
		for c in &centred {
			next.scaled_add(c.dot(&dir), c);
		}
		let norm = next.dot(&next).sqrt();
		if norm == 0.0 {
			break;
		}
		dir = next / norm;
	}
	centred
		.iter()
		.enumerate()
		.max_by(|(_, a), (_, b)| a.dot(&dir).abs().total_cmp(&b.dot(&dir).abs()))
		.map_or(0, |(i, _)| i)
}

/// Mimic: a copy of the honest update [`mimic_target`] picks.
pub fn mimic(honest: ArrayView2<f32>) -> Array1<f32> {
	honest.index_axis(Axis(0), mimic_target(honest)).to_owned()
}

/// Scaling / model replacement: the attacker's own (e.g. backdoored or label-flipped) update
/// boosted by `gamma`. With `gamma = n / η` (n trainers, server learning rate η) one attacker
/// replaces the FedAvg model by its own.
pub fn scaling(own: ArrayView1<f32>, gamma: f32) -> Array1<f32> {
	own.mapv(|v| gamma * v)
}

/// Inverse of the standard normal CDF (Acklam's rational approximation, relative error below
/// 1.2e-9 — far below what an attack parameter needs).
pub fn inverse_normal_cdf(p: f64) -> f64 {
	const A: [f64; 6] = [
		-3.969683028665376e1,
		2.209460984245205e2,
		-2.759285104469687e2,
		1.383_577_518_672_69e2,
		-3.066479806614716e1,
		2.506628277459239,
	];
	const B: [f64; 5] = [
		-5.447609879822406e1,
		1.615858368580409e2,
		-1.556989798598866e2,
		6.680131188771972e1,
		-1.328068155288572e1,
	];
	const C: [f64; 6] = [
		-7.784894002430293e-3,
		-3.223964580411365e-1,
		-2.400758277161838,
		-2.549732539343734,
		4.374664141464968,
		2.938163982698783,
	];
	const D: [f64; 4] = [
		7.784695709041462e-3,
		3.224671290700398e-1,
		2.445134137142996,
		3.754408661907416,
	];
	let tail = |q: f64| {
		(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
			/ ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
	};
	if p < 0.02425 {
		tail((-2.0 * p.ln()).sqrt())
	} else if p > 1.0 - 0.02425 {
		-tail((-2.0 * (1.0 - p).ln()).sqrt())
	} else {
		let q = p - 0.5;
		let r = q * q;
		(((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
			/ (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use ndarray::{arr1, arr2, Array2};
	use rand::SeedableRng;
	use rand_chacha::ChaCha8Rng;

	fn honest() -> Array2<f32> {
		arr2(&[
			[1.0, 2.0, -1.0],
			[3.0, 2.0, -3.0],
			[2.0, 2.0, -2.0],
			[2.0, 6.0, -2.0],
		])
	}

	#[test]
	fn sign_flip_negates_and_scaling_multiplies() {
		let own = arr1(&[1.0f32, -2.0, 0.5]);
		assert_eq!(sign_flip(own.view()), arr1(&[-1.0, 2.0, -0.5]));
		assert_eq!(scaling(own.view(), 25.0), arr1(&[25.0, -50.0, 12.5]));
	}

	#[test]
	fn ipm_is_minus_epsilon_times_honest_mean() {
		// mean = [2, 3, -2]
		assert_eq!(ipm(honest().view(), 0.5), arr1(&[-1.0, -1.5, 1.0]));
		let m = ipm(honest().view(), 100.0);
		assert_eq!(m, arr1(&[-200.0, -300.0, 200.0]));
	}

	#[test]
	fn alie_is_mean_minus_z_std() {
		// coordinate 0: mean 2, population std sqrt(0.5); coordinate 1: mean 3, std sqrt(3)
		let z = 1.5;
		let a = alie(honest().view(), z);
		let expect = [
			2.0 - z * 0.5f64.sqrt(),
			3.0 - z * 3f64.sqrt(),
			-2.0 - z * 0.5f64.sqrt(),
		];
		for (got, want) in a.iter().zip(expect) {
			assert!((*got as f64 - want).abs() < 1e-6, "{got} vs {want}");
		}
		// z = 0 is exactly the mean.
		assert_eq!(alie(honest().view(), 0.0), arr1(&[2.0, 3.0, -2.0]));
	}

	#[test]
	fn alie_z_max_matches_the_paper() {
		// n = 50, f = 24 in Baruch et al.: s = 26 − 24 = 2, z = Φ⁻¹(48/50) ≈ 1.75
		assert!((alie_z_max(50, 24) - 1.7507).abs() < 1e-3);
		// n = 25, f = 5: s = 8, z = Φ⁻¹(17/25) ≈ 0.4677
		assert!((alie_z_max(25, 5) - 0.4677).abs() < 1e-3);
		assert!((inverse_normal_cdf(0.975) - 1.959964).abs() < 1e-6);
		assert!((inverse_normal_cdf(0.001) + 3.090232).abs() < 1e-6);
	}

	#[test]
	fn mimic_copies_the_outlier_along_the_main_axis() {
		// Three honest updates around the origin, one far along the second axis.
		let h = arr2(&[[0.1f32, 0.0], [-0.1, 0.1], [0.0, -0.1], [0.2, 5.0]]);
		assert_eq!(mimic_target(h.view()), 3);
		assert_eq!(mimic(h.view()), arr1(&[0.2, 5.0]));
	}

	#[test]
	fn gaussian_has_the_requested_spread() {
		let mut rng = ChaCha8Rng::seed_from_u64(1);
		let g = gaussian(20_000, 3.0, &mut rng);
		let (mean, std) = mean_and_std(g.view().insert_axis(Axis(1)));
		assert!(
			mean[0].abs() < 0.1 && (std[0] - 3.0).abs() < 0.1,
			"{mean} {std}"
		);
		let mut rng2 = ChaCha8Rng::seed_from_u64(1);
		assert_eq!(g, gaussian(20_000, 3.0, &mut rng2));
	}

	#[test]
	fn attack_names_round_trip() {
		for name in [
			"none",
			"sign-flip",
			"gaussian",
			"gaussian:0.1",
			"label-flip",
			"alie",
			"alie:1.5",
			"ipm",
			"ipm:2",
			"mimic",
			"scaling",
			"scaling:10",
			"inflate",
			"inflate:3",
		] {
			let attack: Attack = name.parse().unwrap();
			assert_eq!(attack.to_string(), name);
			assert_eq!(attack.to_string().parse::<Attack>(), Ok(attack));
		}
		assert_eq!("ipm:0.1".parse::<Attack>().unwrap().to_string(), "ipm");
		assert!("bogus".parse::<Attack>().is_err());
	}

	#[test]
	fn label_flip_maps_y_to_c_minus_1_minus_y_and_is_an_involution() {
		let mut y = vec![0u32, 9, 4, 5];
		flip_labels(&mut y, 10);
		assert_eq!(y, vec![9, 0, 5, 4]);
		flip_labels(&mut y, 10);
		assert_eq!(y, vec![0, 9, 4, 5]);
	}
}
