//! An in-memory labelled data set and min-max scaling.

use ndarray::{Array2, ArrayView2, Axis};

use super::DataError;

/// Features (one row per sample) and integer class labels.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
	features: Array2<f32>,
	labels: Vec<u32>,
	classes: usize,
}

impl Dataset {
	/// Checks that rows and labels match and every label is below `classes`.
	pub fn new(features: Array2<f32>, labels: Vec<u32>, classes: usize) -> Result<Self, DataError> {
		if features.nrows() != labels.len() {
			return Err(DataError::Inconsistent(format!(
				"{} feature rows but {} labels",
				features.nrows(),
				labels.len()
			)));
		}
		if let Some((i, l)) = labels
			.iter()
			.enumerate()
			.find(|(_, &l)| l as usize >= classes)
		{
			return Err(DataError::Inconsistent(format!(
				"label {l} at row {i} is not below the class count {classes}"
			)));
		}
		Ok(Self {
			features,
			labels,
			classes,
		})
	}

	/// Number of samples.
	pub fn len(&self) -> usize {
		self.labels.len()
	}

	/// True when there are no samples.
	pub fn is_empty(&self) -> bool {
		self.labels.is_empty()
	}

	/// Number of features per sample.
	pub fn feature_count(&self) -> usize {
		self.features.ncols()
	}

	/// Number of classes (labels are `0..classes`).
	pub fn classes(&self) -> usize {
		self.classes
	}

	/// The feature matrix, one row per sample.
	pub fn features(&self) -> ArrayView2<'_, f32> {
		self.features.view()
	}

	/// The labels, one per sample.
	pub fn labels(&self) -> &[u32] {
		&self.labels
	}

	/// Mutable labels (used by the data-level label-flip attack).
	pub fn labels_mut(&mut self) -> &mut [u32] {
		&mut self.labels
	}

	/// The samples at `indices`, in that order.
	pub fn subset(&self, indices: &[usize]) -> Dataset {
		Dataset {
			features: self.features.select(Axis(0), indices),
			labels: indices.iter().map(|&i| self.labels[i]).collect(),
			classes: self.classes,
		}
	}

	/// The first `n` samples (all of them if there are fewer).
	pub fn head(&self, n: usize) -> Dataset {
		let n = n.min(self.len());
		self.subset(&(0..n).collect::<Vec<_>>())
	}

	/// Samples per class.
	pub fn class_counts(&self) -> Vec<usize> {
		let mut counts = vec![0; self.classes];
		for &l in &self.labels {
			counts[l as usize] += 1;
		}
		counts
	}

	pub(crate) fn features_mut(&mut self) -> &mut Array2<f32> {
		&mut self.features
	}
}

/// Per-feature min-max scaling to `[0, 1]`, fitted on one set and applied to others.
///
/// Fitting on the training set and reusing the statistics for validation/test keeps the test
/// set from leaking into preprocessing. Values outside the fitted range are clamped; a constant
/// feature maps to 0.
#[derive(Debug, Clone, PartialEq)]
pub struct MinMaxScaler {
	min: Vec<f32>,
	max: Vec<f32>,
}

impl MinMaxScaler {
	/// Per-column minimum and maximum of `features`.
	pub fn fit(features: ArrayView2<f32>) -> Self {
		let min = features
			.columns()
			.into_iter()
			.map(|c| c.fold(f32::INFINITY, |m, &v| m.min(v)))
			.collect();
		let max = features
			.columns()
			.into_iter()
			.map(|c| c.fold(f32::NEG_INFINITY, |m, &v| m.max(v)))
			.collect();
		Self { min, max }
	}

	/// Scales every feature of `data` into `[0, 1]` in place.
	pub fn transform(&self, data: &mut Dataset) -> Result<(), DataError> {
		if data.feature_count() != self.min.len() {
			return Err(DataError::Inconsistent(format!(
				"scaler fitted on {} features, data has {}",
				self.min.len(),
				data.feature_count()
			)));
		}
		for (mut col, (&lo, &hi)) in data
			.features_mut()
			.columns_mut()
			.into_iter()
			.zip(self.min.iter().zip(&self.max))
		{
			let range = hi - lo;
			col.mapv_inplace(|v| {
				if range > 0.0 {
					((v - lo) / range).clamp(0.0, 1.0)
				} else {
					0.0
				}
			});
		}
		Ok(())
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use ndarray::arr2;

	#[test]
	fn min_max_scales_into_unit_range_and_clamps_unseen_values() {
		let train = Dataset::new(arr2(&[[0., 10., 5.], [4., 20., 5.]]), vec![0, 1], 2).unwrap();
		let scaler = MinMaxScaler::fit(train.features());
		let mut test = Dataset::new(arr2(&[[2., 25., 7.], [-1., 10., 5.]]), vec![1, 0], 2).unwrap();
		scaler.transform(&mut test).unwrap();
		assert_eq!(test.features(), arr2(&[[0.5, 1.0, 0.0], [0.0, 0.0, 0.0]]));
	}

	#[test]
	fn rejects_inconsistent_sets() {
		assert!(Dataset::new(Array2::zeros((2, 1)), vec![0], 2).is_err());
		assert!(Dataset::new(Array2::zeros((1, 1)), vec![2], 2).is_err());
	}

	#[test]
	fn subset_selects_rows_and_labels() {
		let d = Dataset::new(arr2(&[[0.], [1.], [2.]]), vec![0, 1, 2], 3).unwrap();
		let s = d.subset(&[2, 0]);
		assert_eq!(s.features(), arr2(&[[2.], [0.]]));
		assert_eq!(s.labels(), &[2, 0]);
		assert_eq!(d.class_counts(), vec![1, 1, 1]);
	}
}
