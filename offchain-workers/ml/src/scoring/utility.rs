//! The usual coalition utility: how good is the global model plus the aggregate of a subset
//! of the round's updates, on a validation set.

use std::collections::HashMap;

use ndarray::{Array1, ArrayView1, ArrayView2, Axis};

use crate::data::Dataset;
use crate::model::DenseNet;

/// What "good" means for a model on the validation set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
	/// Validation accuracy in `[0, 1]`.
	Accuracy,
	/// Negative mean cross-entropy (higher is better; smoother than accuracy).
	NegLoss,
}

/// Sample-weighted mean of the rows (FedAvg), accumulated in f64 in row order.
pub fn weighted_mean(updates: ArrayView2<f32>, weights: &[f64]) -> Array1<f32> {
	let total: f64 = weights.iter().sum();
	let mut acc = Array1::<f64>::zeros(updates.ncols());
	for (row, &w) in updates.rows().into_iter().zip(weights) {
		acc.zip_mut_with(&row, |a, &v| *a += w * v as f64);
	}
	acc.mapv(|a| if total > 0.0 { (a / total) as f32 } else { 0.0 })
}

/// `U(S) = metric(global + aggregate(updates[S]))` on a validation set, memoised per coalition.
///
/// `U(∅)` is the metric of the unchanged global model. The aggregation is a closure so scorers
/// work with any rule; robust rules that cannot run on tiny subsets may return `None`, in which
/// case the coalition is valued like the empty one (its members could not move the model).
pub struct ValidationUtility<'a, A> {
	arch: &'a DenseNet,
	global: ArrayView1<'a, f32>,
	validation: &'a Dataset,
	updates: ArrayView2<'a, f32>,
	weights: &'a [f64],
	aggregate: A,
	metric: Metric,
	cache: HashMap<Vec<usize>, f64>,
}

impl<'a, A> ValidationUtility<'a, A>
where
	A: FnMut(ArrayView2<f32>, &[f64]) -> Option<Array1<f32>>,
{
	/// A utility over the rows of `updates` (players are row indices).
	pub fn new(
		arch: &'a DenseNet,
		global: ArrayView1<'a, f32>,
		validation: &'a Dataset,
		updates: ArrayView2<'a, f32>,
		weights: &'a [f64],
		aggregate: A,
		metric: Metric,
	) -> Self {
		assert_eq!(updates.nrows(), weights.len(), "one weight per update");
		Self {
			arch,
			global,
			validation,
			updates,
			weights,
			aggregate,
			metric,
			cache: HashMap::new(),
		}
	}

	/// Number of players (updates).
	pub fn players(&self) -> usize {
		self.updates.nrows()
	}

	/// Distinct coalitions evaluated so far (each is one aggregation + one validation pass).
	pub fn evaluations(&self) -> usize {
		self.cache.len()
	}

	/// The utility of a coalition given as member indices (any order).
	pub fn value(&mut self, coalition: &[usize]) -> f64 {
		let mut key = coalition.to_vec();
		key.sort_unstable();
		if let Some(&v) = self.cache.get(&key) {
			return v;
		}
		let params = if key.is_empty() {
			None
		} else {
			let sub = self.updates.select(Axis(0), &key);
			let w: Vec<f64> = key.iter().map(|&i| self.weights[i]).collect();
			(self.aggregate)(sub.view(), &w).map(|delta| &self.global + &delta)
		};
		let params = params.unwrap_or_else(|| self.global.to_owned());
		let eval = self
			.arch
			.evaluate(
				params.view(),
				self.validation.features(),
				self.validation.labels(),
			)
			.expect("validation set matches the model and is non-empty");
		let v = match self.metric {
			Metric::Accuracy => eval.accuracy,
			Metric::NegLoss => -eval.loss,
		};
		self.cache.insert(key, v);
		v
	}
}
