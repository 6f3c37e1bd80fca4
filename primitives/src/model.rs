//! The configuration of a registered model, as stored on chain and read by the native worker.
//!
//! Like [`crate::rules`], these types carry no floating point: real-valued hyper-parameters are
//! integers in micro units ([`crate::rules::MICRO`] = 1.0) and shares are `Perbill`-style parts
//! per billion ([`crate::rules::PARTS_PER_BILLION`] = 100 %).

use crate::rules::{AggregationSpec, RuleConfigError, StalenessFn, PARTS_PER_BILLION};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// Largest number of hidden layers an MLP may have.
pub const MAX_HIDDEN_LAYERS: usize = 2;

// Bounds on what one model may cost every node. Every trainer trains it, every validator
// aggregates its updates and every full node rebuilds its versions, so a registration that is
// too large or too expensive would stall them all: the registry refuses it.

/// Largest parameter count of a model: a dense f32 update or version (4 bytes a parameter
/// plus the codec's 32-byte header) then fits exactly in the runtime's 512 KiB payload and
/// initial-weights bounds, so every admissible model's updates can be revealed and its initial
/// weights registered dense. `(512 · 1024 − 32) / 4`; the runtime checks the fit at compile time.
pub const MAX_PARAMETERS: u32 = 131_064;

/// Widest hidden layer of an MLP. The parameter bound alone would admit one layer of ~32,000
/// units on a 1-feature input; this keeps the per-sample cost of a forward pass in line with
/// its parameter count.
pub const MAX_HIDDEN_WIDTH: u32 = 4_096;

/// Most local epochs per round. Local training must end within a commit window of a few
/// blocks on an ordinary machine; FedAvg's experiments use 1–20.
pub const MAX_LOCAL_EPOCHS: u16 = 20;

/// Largest mini-batch: a batch of activations for the widest admissible layer stays within a
/// few tens of MiB.
pub const MAX_BATCH_SIZE: u32 = 4_096;

/// Largest `max_staleness` of a buffered asynchronous model, in versions. FedBuff and FedAsync
/// discount or drop updates a few versions old; an unbounded window only keeps ancient base
/// versions alive in every worker.
pub const MAX_STALENESS: u32 = 64;

/// The network trained by a model.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum ModelKind {
	/// Multinomial logistic regression (softmax over one linear layer).
	Logistic,
	/// Multi-layer perceptron with ReLU; `hidden[i] == 0` means "no i-th hidden layer", so
	/// `[h, 0]` is one hidden layer of width `h`.
	Mlp {
		/// Widths of up to [`MAX_HIDDEN_LAYERS`] hidden layers.
		hidden: [u32; MAX_HIDDEN_LAYERS],
	},
}

/// Shape of the network: what it takes in and how many classes it predicts.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct Architecture {
	/// Network kind.
	pub kind: ModelKind,
	/// Number of input features (784 for 28×28 images).
	pub input_dim: u32,
	/// Number of classes.
	pub classes: u32,
}

impl Architecture {
	/// The layer widths from input to output, e.g. `[784, 128, 10]`.
	pub fn layer_widths(&self) -> impl Iterator<Item = u32> + '_ {
		let hidden: &[u32] = match &self.kind {
			ModelKind::Logistic => &[],
			ModelKind::Mlp { hidden } => hidden,
		};
		core::iter::once(self.input_dim)
			.chain(hidden.iter().copied().filter(|w| *w > 0))
			.chain(core::iter::once(self.classes))
	}

	/// Number of parameters (weights and biases of every dense layer), or `None` on overflow
	/// or a degenerate shape (zero inputs, fewer than two classes, an MLP without hidden layer).
	pub fn parameter_count(&self) -> Option<u32> {
		if self.input_dim == 0 || self.classes < 2 {
			return None;
		}
		if let ModelKind::Mlp { hidden } = &self.kind {
			// The first hidden layer must exist (`[0, h]` would be ambiguous).
			if hidden[0] == 0 {
				return None;
			}
		}
		let widths: alloc::vec::Vec<u32> = self.layer_widths().collect();
		widths.windows(2).try_fold(0u32, |acc, pair| {
			let weights = pair[0].checked_mul(pair[1])?;
			acc.checked_add(weights)?.checked_add(pair[1])
		})
	}
}

/// Local-training hyper-parameters every trainer uses.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct HyperParams {
	/// Local epochs per round (≥ 1).
	pub local_epochs: u16,
	/// Mini-batch size (≥ 1).
	pub batch_size: u32,
	/// SGD learning rate in micro units (> 0).
	pub learning_rate: u32,
	/// FedProx proximal coefficient μ in micro units (0 = plain FedAvg local training).
	pub fedprox_mu: u32,
	/// Differential privacy: L2 clip of the update in micro units and Gaussian noise multiplier
	/// σ in micro units; `None` for no DP.
	pub dp: Option<DpParams>,
}

/// Update clipping plus Gaussian noise (DP-FedAvg style).
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct DpParams {
	/// L2 clipping bound of an update, micro units (> 0).
	pub clip: u32,
	/// Noise multiplier σ (noise std = σ·clip), micro units.
	pub noise_multiplier: u32,
}

/// How validators attribute a round's result to its trainers.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum Scorer {
	/// Cosine similarity of each accepted update to the aggregate (needs no data).
	CosineToAggregate,
	/// Validation-accuracy drop when the update is left out.
	LeaveOneOut,
	/// GTG-Shapley (guided truncated gradient Shapley) on the validation set.
	GtgShapley,
}

/// When rounds open and close.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum Schedule {
	/// Synchronous rounds: commit, then reveal, then aggregate, each a fixed number of blocks.
	Sync {
		/// Blocks during which trainers commit.
		commit_blocks: u32,
		/// Blocks during which trainers reveal.
		reveal_blocks: u32,
		/// Blocks during which validators report the aggregate.
		aggregate_blocks: u32,
		/// Revealed updates needed to aggregate; fewer and the round fails.
		min_updates: u32,
	},
	/// Buffered asynchronous rounds (FedBuff): updates arrive against any recent version; the
	/// buffer closes after `buffer_size` updates (or at the deadline with at least
	/// `min_updates`), then validators aggregate.
	BufferedAsync {
		/// Updates that close the buffer (K).
		buffer_size: u32,
		/// Updates older than this many versions are refused.
		max_staleness: u32,
		/// Down-weighting of stale updates.
		staleness: StalenessFn,
		/// Blocks the buffer stays open at most.
		buffer_blocks: u32,
		/// Blocks during which validators report the aggregate.
		aggregate_blocks: u32,
		/// Updates needed to aggregate at the deadline; fewer and the round fails.
		min_updates: u32,
	},
}

impl Schedule {
	/// The fewest updates a round aggregates.
	pub fn min_updates(&self) -> u32 {
		match self {
			Self::Sync { min_updates, .. } | Self::BufferedAsync { min_updates, .. } => {
				*min_updates
			}
		}
	}

	/// Blocks of the aggregate window (validators commit to their reports), which is also
	/// the length of the report-reveal window that follows it.
	pub fn aggregate_blocks(&self) -> u32 {
		match self {
			Self::Sync {
				aggregate_blocks, ..
			}
			| Self::BufferedAsync {
				aggregate_blocks, ..
			} => *aggregate_blocks,
		}
	}
}

/// How a round's released reward is split; the three parts sum to 100 %.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct RewardSplit {
	/// Model owner's share, parts per billion.
	pub owner: u32,
	/// Share of the validators that reported the finalized model, parts per billion.
	pub validators: u32,
	/// Share of the trainers, by consensus score, parts per billion.
	pub trainers: u32,
}

impl RewardSplit {
	/// Whether the parts sum to exactly 100 %.
	pub fn is_complete(&self) -> bool {
		(self.owner as u64 + self.validators as u64 + self.trainers as u64)
			== PARTS_PER_BILLION as u64
	}
}

/// What a revealed update may claim and contain. The runtime checks every bound when an update
/// is revealed or submitted and refuses the update with a typed error otherwise, so no
/// validator ever aggregates an update outside them.
///
/// Sample counts are self-declared and cannot be verified; bounding them (and, in
/// [`crate::rules::SampleWeighting`], capping what they weigh) keeps one claim of billions of
/// samples from owning the round. Values and norms are bounded so that no update can push the
/// model step towards the f32 range (the step also saturates, see the consensus step).
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct UpdateBounds {
	/// Most samples an update may declare (≥ 1).
	pub max_samples: u32,
	/// Largest absolute value of a coordinate, micro units (> 0).
	pub max_value: u32,
	/// Largest L2 norm of an update, micro units (> 0).
	pub max_norm: u32,
}

impl UpdateBounds {
	/// Bounds that leave every honest update of the demo's models through by orders of
	/// magnitude: a million samples, |value| ≤ 100, norm ≤ 1,000. Models registered before
	/// bounds existed were migrated to these.
	pub const GENEROUS: Self = Self {
		max_samples: 1_000_000,
		max_value: 100_000_000,
		max_norm: 1_000_000_000,
	};

	/// Whether every bound is usable (none is zero).
	pub fn is_valid(&self) -> bool {
		self.max_samples > 0 && self.max_value > 0 && self.max_norm > 0
	}
}

/// Everything a model owner chooses when registering a model.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct TrainingConfig<Balance> {
	/// The network.
	pub architecture: Architecture,
	/// Local-training hyper-parameters.
	pub hyper_params: HyperParams,
	/// Robust aggregation pipeline (clipping, mixing, rule, sample weighting).
	pub aggregation: AggregationSpec,
	/// What a revealed update may claim and contain.
	pub update_bounds: UpdateBounds,
	/// Attribution scorer.
	pub scorer: Scorer,
	/// Round schedule.
	pub schedule: Schedule,
	/// Reward released from the model's pool for each finalized round.
	pub reward_per_round: Balance,
	/// Split of each round's reward.
	pub reward_split: RewardSplit,
}

/// Why a [`TrainingConfig`] is invalid.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum ConfigError {
	/// The architecture has no valid parameter count.
	BadArchitecture,
	/// A hyper-parameter is out of range (zero epochs, batch or learning rate, zero DP clip).
	BadHyperParams,
	/// A schedule phase has zero blocks, `min_updates` is zero, or the buffer is smaller than
	/// `min_updates`.
	BadSchedule,
	/// The reward split does not sum to 100 %.
	BadRewardSplit,
	/// The aggregation rule cannot work with the schedule's minimum update count.
	Rule(RuleConfigError),
	/// More than [`MAX_PARAMETERS`] parameters.
	TooManyParameters,
	/// A hidden layer wider than [`MAX_HIDDEN_WIDTH`].
	HiddenLayerTooWide,
	/// More than [`MAX_LOCAL_EPOCHS`] local epochs or a batch larger than [`MAX_BATCH_SIZE`].
	TooMuchLocalWork,
	/// A buffered-async `max_staleness` above [`MAX_STALENESS`].
	StalenessTooLarge,
	/// An update bound is zero (appended last, so the other variants keep their encoding).
	BadUpdateBounds,
}

impl<Balance> TrainingConfig<Balance> {
	/// A small valid configuration: logistic regression on `input_dim` features and
	/// `classes` classes, FedAvg, synchronous rounds of 3 + 3 + 3 blocks needing
	/// `min_updates` updates, split 10 % owner / 20 % validators / 70 % trainers. Used by
	/// tests, benchmarks and the demo as a starting point.
	pub fn example(
		input_dim: u32,
		classes: u32,
		min_updates: u32,
		reward_per_round: Balance,
	) -> Self {
		use crate::rules::AggregationRule;
		TrainingConfig {
			architecture: Architecture {
				kind: ModelKind::Logistic,
				input_dim,
				classes,
			},
			hyper_params: HyperParams {
				local_epochs: 1,
				batch_size: 32,
				learning_rate: 100_000,
				fedprox_mu: 0,
				dp: None,
			},
			aggregation: AggregationSpec::plain(AggregationRule::FedAvg),
			update_bounds: UpdateBounds::GENEROUS,
			scorer: Scorer::CosineToAggregate,
			schedule: Schedule::Sync {
				commit_blocks: 3,
				reveal_blocks: 3,
				aggregate_blocks: 3,
				min_updates,
			},
			reward_per_round,
			reward_split: RewardSplit {
				owner: PARTS_PER_BILLION / 10,
				validators: PARTS_PER_BILLION / 5,
				trainers: PARTS_PER_BILLION - PARTS_PER_BILLION / 10 - PARTS_PER_BILLION / 5,
			},
		}
	}

	/// Checks the whole configuration; returns the model's parameter count.
	pub fn validate(&self) -> Result<u32, ConfigError> {
		let params = self
			.architecture
			.parameter_count()
			.ok_or(ConfigError::BadArchitecture)?;
		if params > MAX_PARAMETERS {
			return Err(ConfigError::TooManyParameters);
		}
		if let ModelKind::Mlp { hidden } = &self.architecture.kind {
			if hidden.iter().any(|&w| w > MAX_HIDDEN_WIDTH) {
				return Err(ConfigError::HiddenLayerTooWide);
			}
		}
		let hp = &self.hyper_params;
		if hp.local_epochs == 0
			|| hp.batch_size == 0
			|| hp.learning_rate == 0
			|| hp.dp.is_some_and(|dp| dp.clip == 0)
		{
			return Err(ConfigError::BadHyperParams);
		}
		if hp.local_epochs > MAX_LOCAL_EPOCHS || hp.batch_size > MAX_BATCH_SIZE {
			return Err(ConfigError::TooMuchLocalWork);
		}
		if let Schedule::BufferedAsync { max_staleness, .. } = self.schedule {
			if max_staleness > MAX_STALENESS {
				return Err(ConfigError::StalenessTooLarge);
			}
		}
		let schedule_ok = match self.schedule {
			Schedule::Sync {
				commit_blocks,
				reveal_blocks,
				aggregate_blocks,
				min_updates,
			} => commit_blocks > 0 && reveal_blocks > 0 && aggregate_blocks > 0 && min_updates > 0,
			Schedule::BufferedAsync {
				buffer_size,
				buffer_blocks,
				aggregate_blocks,
				min_updates,
				..
			} => {
				buffer_blocks > 0
					&& aggregate_blocks > 0
					&& min_updates > 0
					&& buffer_size >= min_updates
			}
		};
		if !schedule_ok {
			return Err(ConfigError::BadSchedule);
		}
		if !self.reward_split.is_complete() {
			return Err(ConfigError::BadRewardSplit);
		}
		if !self.update_bounds.is_valid() {
			return Err(ConfigError::BadUpdateBounds);
		}
		self.aggregation
			.validate(self.schedule.min_updates())
			.map_err(ConfigError::Rule)?;
		Ok(params)
	}
}

/// The configuration as stored before update bounds and the aggregation pipeline existed
/// (model-registry storage version 1, gradient-commitments storage version 2), for the pallets'
/// migrations. Defined once here so both pallets translate it the same way.
pub mod legacy {
	use super::*;
	use crate::rules::{AggregationRule, Mixing, SampleWeighting};

	/// `AggregationSpec` before clipping, NNM and sample weighting: a rule and a bucket size.
	#[derive(Clone, Copy, PartialEq, Eq, Debug, Encode, Decode, MaxEncodedLen, TypeInfo)]
	pub struct AggregationSpecV1 {
		/// The rule.
		pub rule: AggregationRule,
		/// Bucket size.
		pub bucketing: Option<u32>,
	}

	/// `TrainingConfig` before [`UpdateBounds`].
	#[derive(Clone, Copy, PartialEq, Eq, Debug, Encode, Decode, MaxEncodedLen, TypeInfo)]
	pub struct TrainingConfigV1<Balance> {
		/// The network.
		pub architecture: Architecture,
		/// Local training.
		pub hyper_params: HyperParams,
		/// The rule and bucket size.
		pub aggregation: AggregationSpecV1,
		/// Scorer.
		pub scorer: Scorer,
		/// Schedule.
		pub schedule: Schedule,
		/// Reward per round.
		pub reward_per_round: Balance,
		/// Split.
		pub reward_split: RewardSplit,
	}

	impl<Balance> TrainingConfigV1<Balance> {
		/// The current form: the same rule and buckets, **unweighted** (the old rules weighted
		/// by declared samples, which let one inflated claim own a round; the migration is the
		/// fix), no clipping, and [`UpdateBounds::GENEROUS`].
		pub fn upgrade(self) -> TrainingConfig<Balance> {
			TrainingConfig {
				architecture: self.architecture,
				hyper_params: self.hyper_params,
				aggregation: AggregationSpec {
					rule: self.aggregation.rule,
					clipping: None,
					mixing: self
						.aggregation
						.bucketing
						.map(|size| Mixing::Bucketing { size }),
					weighting: SampleWeighting::Unweighted,
				},
				update_bounds: UpdateBounds::GENEROUS,
				scorer: self.scorer,
				schedule: self.schedule,
				reward_per_round: self.reward_per_round,
				reward_split: self.reward_split,
			}
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::rules::AggregationRule;

	fn config(rule: AggregationRule, min_updates: u32) -> TrainingConfig<u128> {
		TrainingConfig {
			architecture: Architecture {
				kind: ModelKind::Logistic,
				input_dim: 784,
				classes: 10,
			},
			hyper_params: HyperParams {
				local_epochs: 1,
				batch_size: 32,
				learning_rate: 100_000,
				fedprox_mu: 0,
				dp: None,
			},
			aggregation: AggregationSpec::plain(rule),
			update_bounds: UpdateBounds::GENEROUS,
			scorer: Scorer::CosineToAggregate,
			schedule: Schedule::Sync {
				commit_blocks: 4,
				reveal_blocks: 4,
				aggregate_blocks: 4,
				min_updates,
			},
			reward_per_round: 1_000,
			reward_split: RewardSplit {
				owner: 100_000_000,
				validators: 200_000_000,
				trainers: 700_000_000,
			},
		}
	}

	#[test]
	fn parameter_counts() {
		let logistic = Architecture {
			kind: ModelKind::Logistic,
			input_dim: 784,
			classes: 10,
		};
		assert_eq!(logistic.parameter_count(), Some(7850));
		let mlp = Architecture {
			kind: ModelKind::Mlp { hidden: [128, 0] },
			input_dim: 784,
			classes: 10,
		};
		assert_eq!(mlp.parameter_count(), Some(784 * 128 + 128 + 128 * 10 + 10));
		let deep = Architecture {
			kind: ModelKind::Mlp { hidden: [64, 32] },
			input_dim: 4,
			classes: 3,
		};
		assert_eq!(
			deep.parameter_count(),
			Some(4 * 64 + 64 + 64 * 32 + 32 + 32 * 3 + 3)
		);
		let gap = Architecture {
			kind: ModelKind::Mlp { hidden: [0, 32] },
			input_dim: 4,
			classes: 3,
		};
		assert_eq!(gap.parameter_count(), None);
		let huge = Architecture {
			kind: ModelKind::Logistic,
			input_dim: u32::MAX,
			classes: 10,
		};
		assert_eq!(huge.parameter_count(), None);
	}

	#[test]
	fn zero_update_bounds_are_refused() {
		for bounds in [
			UpdateBounds {
				max_samples: 0,
				..UpdateBounds::GENEROUS
			},
			UpdateBounds {
				max_value: 0,
				..UpdateBounds::GENEROUS
			},
			UpdateBounds {
				max_norm: 0,
				..UpdateBounds::GENEROUS
			},
		] {
			let mut c = config(AggregationRule::FedAvg, 3);
			c.update_bounds = bounds;
			assert_eq!(c.validate(), Err(ConfigError::BadUpdateBounds));
		}
	}

	#[test]
	fn a_legacy_config_upgrades_unweighted_with_its_buckets() {
		use crate::rules::{Mixing, SampleWeighting};
		let current = config(AggregationRule::Krum { f: 1 }, 9);
		let old = legacy::TrainingConfigV1 {
			architecture: current.architecture,
			hyper_params: current.hyper_params,
			aggregation: legacy::AggregationSpecV1 {
				rule: current.aggregation.rule,
				bucketing: Some(2),
			},
			scorer: current.scorer,
			schedule: current.schedule,
			reward_per_round: current.reward_per_round,
			reward_split: current.reward_split,
		};
		let bytes = old.encode();
		let up = legacy::TrainingConfigV1::<u128>::decode(&mut &bytes[..])
			.unwrap()
			.upgrade();
		assert_eq!(up.aggregation.mixing, Some(Mixing::Bucketing { size: 2 }));
		assert_eq!(up.aggregation.weighting, SampleWeighting::Unweighted);
		assert_eq!(up.update_bounds, UpdateBounds::GENEROUS);
		assert_eq!(up.validate(), Ok(7850));
	}

	#[test]
	fn validation() {
		assert_eq!(config(AggregationRule::FedAvg, 3).validate(), Ok(7850));
		// Krum with f = 1 needs 5 updates.
		assert!(config(AggregationRule::Krum { f: 1 }, 5).validate().is_ok());
		assert!(matches!(
			config(AggregationRule::Krum { f: 1 }, 4).validate(),
			Err(ConfigError::Rule(RuleConfigError::TooFewUpdates {
				required: 5,
				available: 4
			}))
		));
		let mut bad_split = config(AggregationRule::FedAvg, 3);
		bad_split.reward_split.owner += 1;
		assert_eq!(bad_split.validate(), Err(ConfigError::BadRewardSplit));
		let mut bad_hp = config(AggregationRule::FedAvg, 3);
		bad_hp.hyper_params.learning_rate = 0;
		assert_eq!(bad_hp.validate(), Err(ConfigError::BadHyperParams));
		assert_eq!(
			config(AggregationRule::FedAvg, 0).validate(),
			Err(ConfigError::BadSchedule)
		);
	}

	/// A hostile owner's configurations (issue #11): each bound is enforced, and the bound
	/// itself is accepted.
	#[test]
	fn compute_bounds_are_enforced_at_the_bound() {
		use crate::rules::MAX_RULE_ITERATIONS;
		let base = || config(AggregationRule::FedAvg, 3);
		let with = |f: &dyn Fn(&mut TrainingConfig<u128>)| {
			let mut c = base();
			f(&mut c);
			c.validate()
		};
		// Parameters: one hidden layer of h units on 784 inputs has 795·h + 10 parameters.
		let widest_fitting = (MAX_PARAMETERS - 10) / 795;
		assert!(with(&|c| c.architecture.kind = ModelKind::Mlp {
			hidden: [widest_fitting, 0]
		})
		.is_ok());
		assert_eq!(
			with(&|c| c.architecture.kind = ModelKind::Mlp {
				hidden: [widest_fitting + 1, 0]
			}),
			Err(ConfigError::TooManyParameters)
		);
		assert_eq!(
			with(&|c| c.architecture.kind = ModelKind::Mlp {
				hidden: [5_000_000, 0]
			}),
			Err(ConfigError::TooManyParameters)
		);
		assert_eq!(
			with(&|c| {
				c.architecture.input_dim = 1;
				c.architecture.kind = ModelKind::Mlp {
					hidden: [MAX_HIDDEN_WIDTH + 1, 0],
				};
			}),
			Err(ConfigError::HiddenLayerTooWide)
		);
		assert!(with(&|c| {
			c.architecture.input_dim = 1;
			c.architecture.kind = ModelKind::Mlp {
				hidden: [MAX_HIDDEN_WIDTH, 0],
			};
		})
		.is_ok());
		// Local work.
		assert!(with(&|c| c.hyper_params.local_epochs = MAX_LOCAL_EPOCHS).is_ok());
		assert_eq!(
			with(&|c| c.hyper_params.local_epochs = MAX_LOCAL_EPOCHS + 1),
			Err(ConfigError::TooMuchLocalWork)
		);
		assert!(with(&|c| c.hyper_params.batch_size = MAX_BATCH_SIZE).is_ok());
		assert_eq!(
			with(&|c| c.hyper_params.batch_size = MAX_BATCH_SIZE + 1),
			Err(ConfigError::TooMuchLocalWork)
		);
		// Rule iterations.
		let gm = |iters| {
			let mut c = base();
			c.aggregation =
				AggregationSpec::plain(AggregationRule::GeometricMedian { iters, eps: 1 });
			c.validate()
		};
		assert!(gm(MAX_RULE_ITERATIONS).is_ok());
		assert_eq!(
			gm(u32::MAX),
			Err(ConfigError::Rule(RuleConfigError::TooManyIterations))
		);
		// Staleness window.
		let stale = |max_staleness| {
			let mut c = base();
			c.schedule = Schedule::BufferedAsync {
				buffer_size: 3,
				max_staleness,
				staleness: crate::rules::StalenessFn::Constant,
				buffer_blocks: 4,
				aggregate_blocks: 4,
				min_updates: 3,
			};
			c.validate()
		};
		assert!(stale(MAX_STALENESS).is_ok());
		assert_eq!(
			stale(MAX_STALENESS + 1),
			Err(ConfigError::StalenessTooLarge)
		);
	}
}
