//! A stack of dense layers (ReLU between them) with a softmax cross-entropy head.

use std::ops::Range;

use fedledger_primitives::model::{Architecture, ModelKind, MAX_HIDDEN_LAYERS};
use ndarray::linalg::general_mat_mul;
use ndarray::{s, Array1, Array2, ArrayView1, ArrayView2, ArrayViewMut2, Axis};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// Rows evaluated at once by [`DenseNet::evaluate`]: bounds the activation memory of a
/// large validation/test set without changing the result (the loss is summed in `f64`).
const EVAL_CHUNK: usize = 2048;

/// Why a model operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
	/// The layer widths do not describe a supported model.
	#[error("invalid architecture: {0}")]
	Architecture(String),
	/// The flat parameter vector has the wrong length for this architecture.
	#[error("parameter vector has {got} values, the architecture needs {expected}")]
	ParamLength { expected: usize, got: usize },
	/// The input matrix has the wrong number of columns.
	#[error("input has {got} features per row, the model expects {expected}")]
	InputWidth { expected: usize, got: usize },
	/// Labels and input rows disagree in number.
	#[error("{rows} input rows but {labels} labels")]
	LabelCount { rows: usize, labels: usize },
	/// A label is not a valid class index.
	#[error("label {label} at row {row} is not below the class count {classes}")]
	LabelOutOfRange {
		row: usize,
		label: u32,
		classes: usize,
	},
	/// Loss or accuracy of an empty set is undefined.
	#[error("no rows to evaluate")]
	Empty,
}

/// The on-chain [`ModelKind`] of hidden-layer widths: none is logistic regression, one or two
/// an MLP (the CLI's `--hidden 64` or `--hidden 128,64`).
pub fn model_kind(hidden: &[usize]) -> Result<ModelKind, ModelError> {
	if hidden.is_empty() {
		return Ok(ModelKind::Logistic);
	}
	if hidden.len() > MAX_HIDDEN_LAYERS || hidden.contains(&0) {
		return Err(ModelError::Architecture(format!(
			"an MLP has 1 or {MAX_HIDDEN_LAYERS} non-zero hidden widths, got {hidden:?}"
		)));
	}
	let mut widths = [0u32; MAX_HIDDEN_LAYERS];
	for (w, &h) in widths.iter_mut().zip(hidden) {
		*w = u32::try_from(h)
			.map_err(|_| ModelError::Architecture(format!("hidden width {h} is too large")))?;
	}
	Ok(ModelKind::Mlp { hidden: widths })
}

/// Validation loss and accuracy of a parameter vector.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evaluation {
	/// Mean softmax cross-entropy (natural log).
	pub loss: f64,
	/// Fraction of rows whose arg-max logit is the label.
	pub accuracy: f64,
}

/// A dense ReLU network with a softmax head, as the native side trains and evaluates it:
/// layer widths `[inputs, hidden.., classes]`; `[inputs, classes]` is multinomial logistic
/// regression.
///
/// Named for what it is: the on-chain description of a model's shape is
/// [`fedledger_primitives::model::Architecture`], from which
/// [`DenseNet::from_architecture`] builds this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DenseNet {
	widths: Vec<usize>,
}

impl DenseNet {
	/// The network an on-chain architecture describes.
	pub fn from_architecture(a: &Architecture) -> Result<Self, ModelError> {
		let (inputs, classes) = (a.input_dim as usize, a.classes as usize);
		match a.kind {
			ModelKind::Logistic => Self::logistic_regression(inputs, classes),
			ModelKind::Mlp { hidden } => {
				if hidden[0] == 0 {
					return Err(ModelError::Architecture(
						"an MLP's first hidden layer has width 0".into(),
					));
				}
				let hidden: Vec<usize> = hidden
					.iter()
					.filter(|w| **w > 0)
					.map(|w| *w as usize)
					.collect();
				Self::mlp(inputs, &hidden, classes)
			}
		}
	}

	/// Multinomial logistic regression: one dense layer, softmax output.
	pub fn logistic_regression(inputs: usize, classes: usize) -> Result<Self, ModelError> {
		Self::from_widths(vec![inputs, classes])
	}

	/// A ReLU MLP with one or two hidden layers.
	pub fn mlp(inputs: usize, hidden: &[usize], classes: usize) -> Result<Self, ModelError> {
		if hidden.is_empty() || hidden.len() > 2 {
			return Err(ModelError::Architecture(format!(
				"an MLP has 1 or 2 hidden layers, got {}",
				hidden.len()
			)));
		}
		let mut widths = vec![inputs];
		widths.extend_from_slice(hidden);
		widths.push(classes);
		Self::from_widths(widths)
	}

	fn from_widths(widths: Vec<usize>) -> Result<Self, ModelError> {
		if widths.contains(&0) {
			return Err(ModelError::Architecture(format!(
				"zero-width layer in {widths:?}"
			)));
		}
		if *widths.last().expect("at least two widths") < 2 {
			return Err(ModelError::Architecture(
				"softmax needs at least 2 classes".into(),
			));
		}
		Ok(Self { widths })
	}

	/// Number of input features.
	pub fn inputs(&self) -> usize {
		self.widths[0]
	}

	/// Number of output classes.
	pub fn classes(&self) -> usize {
		*self.widths.last().expect("validated")
	}

	/// Hidden-layer widths (empty for logistic regression).
	pub fn hidden(&self) -> &[usize] {
		&self.widths[1..self.widths.len() - 1]
	}

	/// Length of the flat parameter vector.
	pub fn param_count(&self) -> usize {
		self.widths.windows(2).map(|w| w[0] * w[1] + w[1]).sum()
	}

	/// Index ranges of each layer's weights and bias in the flat vector (canonical layout).
	pub fn layer_ranges(&self) -> Vec<(Range<usize>, Range<usize>)> {
		let mut offset = 0;
		self.widths
			.windows(2)
			.map(|w| {
				let weights = offset..offset + w[0] * w[1];
				let bias = weights.end..weights.end + w[1];
				offset = bias.end;
				(weights, bias)
			})
			.collect()
	}

	/// Deterministic initial parameters from `seed`.
	///
	/// Hidden layers use He-normal weights (std `sqrt(2 / fan_in)`, suited to ReLU); the output
	/// layer uses std `sqrt(1 / fan_in)`. Biases start at zero. The same seed gives the same
	/// bits on every platform (ChaCha8 stream, one normal draw per weight in layout order).
	pub fn init(&self, seed: u64) -> Array1<f32> {
		let mut rng = ChaCha8Rng::seed_from_u64(seed);
		let mut params = Array1::<f32>::zeros(self.param_count());
		let last = self.widths.len() - 2;
		for (layer, (weights, _bias)) in self.layer_ranges().into_iter().enumerate() {
			let fan_in = self.widths[layer] as f32;
			let std = if layer == last {
				(1.0 / fan_in).sqrt()
			} else {
				(2.0 / fan_in).sqrt()
			};
			for p in params.slice_mut(s![weights]).iter_mut() {
				let z: f32 = StandardNormal.sample(&mut rng);
				*p = z * std;
			}
		}
		params
	}

	/// Output logits for each row of `x`.
	pub fn logits(
		&self,
		params: ArrayView1<f32>,
		x: ArrayView2<f32>,
	) -> Result<Array2<f32>, ModelError> {
		self.check(params, x)?;
		let mut activations = self.forward(params, x);
		Ok(activations.pop().expect("at least one layer"))
	}

	/// Mean softmax cross-entropy over the rows and its gradient w.r.t. the flat parameters.
	pub fn loss_and_gradient(
		&self,
		params: ArrayView1<f32>,
		x: ArrayView2<f32>,
		labels: &[u32],
	) -> Result<(f64, Array1<f32>), ModelError> {
		self.check(params, x)?;
		self.check_labels(x.nrows(), labels)?;
		if x.nrows() == 0 {
			return Err(ModelError::Empty);
		}
		let rows = x.nrows();
		let mut activations = self.forward(params, x);
		// `delta` becomes d(loss)/d(logits): (softmax - onehot) / rows.
		let mut delta = activations.pop().expect("at least one layer");
		let loss_sum = softmax_xent_in_place(&mut delta, labels);
		delta.mapv_inplace(|v| v / rows as f32);

		let mut grad = Array1::<f32>::zeros(self.param_count());
		let ranges = self.layer_ranges();
		for layer in (0..ranges.len()).rev() {
			let (w_range, b_range) = ranges[layer].clone();
			let (fan_in, fan_out) = (self.widths[layer], self.widths[layer + 1]);
			let input = if layer == 0 {
				x.view()
			} else {
				activations[layer - 1].view()
			};
			{
				let g = grad.as_slice_mut().expect("fresh array is contiguous");
				let mut g_w = ArrayViewMut2::from_shape((fan_in, fan_out), &mut g[w_range.clone()])
					.expect("range length matches the shape");
				general_mat_mul(1.0, &input.t(), &delta, 0.0, &mut g_w);
			}
			grad.slice_mut(s![b_range]).assign(&delta.sum_axis(Axis(0)));
			if layer > 0 {
				let w = weight_view(params, w_range, fan_in, fan_out);
				let mut prev = delta.dot(&w.t());
				// ReLU derivative: pass the gradient only where the activation was positive.
				ndarray::Zip::from(&mut prev)
					.and(&activations[layer - 1])
					.for_each(|d, &a| {
						if a <= 0.0 {
							*d = 0.0
						}
					});
				delta = prev;
			}
		}
		Ok((loss_sum / rows as f64, grad))
	}

	/// Mean loss and accuracy over all rows (evaluated in fixed-size chunks).
	pub fn evaluate(
		&self,
		params: ArrayView1<f32>,
		x: ArrayView2<f32>,
		labels: &[u32],
	) -> Result<Evaluation, ModelError> {
		self.check(params, x)?;
		self.check_labels(x.nrows(), labels)?;
		if x.nrows() == 0 {
			return Err(ModelError::Empty);
		}
		let (mut loss_sum, mut correct) = (0.0f64, 0usize);
		for start in (0..x.nrows()).step_by(EVAL_CHUNK) {
			let end = (start + EVAL_CHUNK).min(x.nrows());
			let mut logits = self
				.forward(params, x.slice(s![start..end, ..]))
				.pop()
				.expect("layer");
			correct += logits
				.rows()
				.into_iter()
				.zip(&labels[start..end])
				.filter(|(row, &y)| argmax(row.as_slice().expect("row-major")) == y as usize)
				.count();
			loss_sum += softmax_xent_in_place(&mut logits, &labels[start..end]);
		}
		Ok(Evaluation {
			loss: loss_sum / x.nrows() as f64,
			accuracy: correct as f64 / x.nrows() as f64,
		})
	}

	/// Activations of every layer; the last entry holds the logits (no ReLU applied).
	fn forward(&self, params: ArrayView1<f32>, x: ArrayView2<f32>) -> Vec<Array2<f32>> {
		let ranges = self.layer_ranges();
		let mut out: Vec<Array2<f32>> = Vec::with_capacity(ranges.len());
		for (layer, (w_range, b_range)) in ranges.into_iter().enumerate() {
			let (fan_in, fan_out) = (self.widths[layer], self.widths[layer + 1]);
			let w = weight_view(params, w_range, fan_in, fan_out);
			let b = params.slice(s![b_range]);
			let input = if layer == 0 {
				x.view()
			} else {
				out[layer - 1].view()
			};
			let mut z = input.dot(&w);
			z += &b;
			if layer + 2 < self.widths.len() {
				z.mapv_inplace(|v| v.max(0.0));
			}
			out.push(z);
		}
		out
	}

	fn check(&self, params: ArrayView1<f32>, x: ArrayView2<f32>) -> Result<(), ModelError> {
		if params.len() != self.param_count() {
			return Err(ModelError::ParamLength {
				expected: self.param_count(),
				got: params.len(),
			});
		}
		if x.ncols() != self.inputs() {
			return Err(ModelError::InputWidth {
				expected: self.inputs(),
				got: x.ncols(),
			});
		}
		Ok(())
	}

	fn check_labels(&self, rows: usize, labels: &[u32]) -> Result<(), ModelError> {
		if labels.len() != rows {
			return Err(ModelError::LabelCount {
				rows,
				labels: labels.len(),
			});
		}
		if let Some((row, &label)) = labels
			.iter()
			.enumerate()
			.find(|(_, &l)| l as usize >= self.classes())
		{
			return Err(ModelError::LabelOutOfRange {
				row,
				label,
				classes: self.classes(),
			});
		}
		Ok(())
	}
}

fn weight_view(
	params: ArrayView1<f32>,
	range: Range<usize>,
	fan_in: usize,
	fan_out: usize,
) -> ArrayView2<f32> {
	params
		.slice_move(s![range])
		.into_shape_with_order((fan_in, fan_out))
		.expect("range length matches the layer shape")
}

/// Replaces each row of logits by its softmax and returns the summed cross-entropy.
///
/// Log-sum-exp is taken around the row maximum so large logits cannot overflow.
fn softmax_xent_in_place(logits: &mut Array2<f32>, labels: &[u32]) -> f64 {
	let mut loss = 0.0f64;
	for (mut row, &y) in logits.rows_mut().into_iter().zip(labels) {
		let max = row.fold(f32::NEG_INFINITY, |m, &v| m.max(v));
		// Taken before exponentiating: exp(z_y - max) may underflow to 0 for a confident miss.
		let shifted_y = row[y as usize] - max;
		let mut sum = 0.0f32;
		for v in row.iter_mut() {
			*v = (*v - max).exp();
			sum += *v;
		}
		// -log softmax_y = log(sum) - (z_y - max).
		loss += (sum.ln() - shifted_y) as f64;
		row.mapv_inplace(|v| v / sum);
		row[y as usize] -= 1.0;
	}
	loss
}

/// Index of the first maximum (ties go to the lower class, deterministically).
fn argmax(row: &[f32]) -> usize {
	let mut best = 0;
	for (i, &v) in row.iter().enumerate() {
		if v > row[best] {
			best = i;
		}
	}
	best
}

#[cfg(test)]
mod tests {
	use super::*;
	use rand::Rng;

	fn random_batch(rows: usize, cols: usize, classes: u32, seed: u64) -> (Array2<f32>, Vec<u32>) {
		let mut rng = ChaCha8Rng::seed_from_u64(seed);
		let x = Array2::from_shape_fn((rows, cols), |_| rng.gen_range(-1.0f32..1.0));
		let y = (0..rows).map(|_| rng.gen_range(0..classes)).collect();
		(x, y)
	}

	/// Central finite differences of the loss agree with the analytic gradient.
	fn check_gradient(arch: &DenseNet) {
		let (x, y) = random_batch(7, arch.inputs(), arch.classes() as u32, 11);
		// Larger init scale so ReLUs are active and biases matter.
		let mut params = arch.init(3);
		params
			.iter_mut()
			.enumerate()
			.for_each(|(i, p)| *p += 0.05 * ((i % 7) as f32 - 3.0));
		let (_, grad) = arch.loss_and_gradient(params.view(), x.view(), &y).unwrap();
		let eps = 1e-2f32;
		let mut worst = 0.0f32;
		for i in 0..params.len() {
			let mut plus = params.clone();
			plus[i] += eps;
			let mut minus = params.clone();
			minus[i] -= eps;
			let lp = arch.evaluate(plus.view(), x.view(), &y).unwrap().loss;
			let lm = arch.evaluate(minus.view(), x.view(), &y).unwrap().loss;
			let numeric = ((lp - lm) / (2.0 * eps as f64)) as f32;
			let err = (numeric - grad[i]).abs() / (1e-2 + grad[i].abs().max(numeric.abs()));
			worst = worst.max(err);
		}
		assert!(
			worst < 2e-2,
			"worst relative gradient error {worst} for {arch:?}"
		);
	}

	#[test]
	fn built_from_the_on_chain_architecture() {
		let onchain = |kind| Architecture {
			kind,
			input_dim: 784,
			classes: 10,
		};
		let lr = DenseNet::from_architecture(&onchain(ModelKind::Logistic)).unwrap();
		assert_eq!(lr, DenseNet::logistic_regression(784, 10).unwrap());
		let kind = model_kind(&[128, 64]).unwrap();
		let mlp = DenseNet::from_architecture(&onchain(kind)).unwrap();
		assert_eq!(mlp.hidden(), &[128, 64]);
		assert_eq!(
			Some(mlp.param_count() as u32),
			onchain(kind).parameter_count()
		);
		assert_eq!(model_kind(&[]), Ok(ModelKind::Logistic));
		assert!(model_kind(&[1, 2, 3]).is_err());
		let no_first = onchain(ModelKind::Mlp { hidden: [0, 8] });
		assert!(DenseNet::from_architecture(&no_first).is_err());
	}

	#[test]
	fn gradient_matches_finite_differences_logreg() {
		check_gradient(&DenseNet::logistic_regression(5, 3).unwrap());
	}

	#[test]
	fn gradient_matches_finite_differences_mlp_one_hidden() {
		check_gradient(&DenseNet::mlp(4, &[6], 3).unwrap());
	}

	#[test]
	fn gradient_matches_finite_differences_mlp_two_hidden() {
		check_gradient(&DenseNet::mlp(4, &[5, 4], 3).unwrap());
	}

	#[test]
	fn layout_is_layer_by_layer_weights_then_bias() {
		let arch = DenseNet::mlp(3, &[4], 2).unwrap();
		assert_eq!(arch.param_count(), 3 * 4 + 4 + 4 * 2 + 2);
		assert_eq!(arch.layer_ranges(), vec![(0..12, 12..16), (16..24, 24..26)]);
		// A one-hot input selects row i of W: logits = W[i] + b (no hidden layer here).
		let lr = DenseNet::logistic_regression(3, 2).unwrap();
		let params = Array1::from(vec![1., 2., 3., 4., 5., 6., 10., 20.]);
		let x = ndarray::arr2(&[[0., 1., 0.]]);
		assert_eq!(
			lr.logits(params.view(), x.view()).unwrap(),
			ndarray::arr2(&[[13., 24.]])
		);
	}

	#[test]
	fn init_is_deterministic_and_seed_dependent() {
		let arch = DenseNet::mlp(10, &[8, 6], 4).unwrap();
		assert_eq!(arch.init(7), arch.init(7));
		assert_ne!(arch.init(7), arch.init(8));
		// Biases start at zero.
		for (_, b) in arch.layer_ranges() {
			assert!(arch.init(7).slice(s![b]).iter().all(|&v| v == 0.0));
		}
	}

	#[test]
	fn uniform_logits_give_log_classes_loss_and_argmax_accuracy() {
		let arch = DenseNet::logistic_regression(2, 4).unwrap();
		let zeros = Array1::zeros(arch.param_count());
		let (x, y) = random_batch(10, 2, 4, 1);
		let eval = arch.evaluate(zeros.view(), x.view(), &y).unwrap();
		assert!((eval.loss - 4f64.ln()).abs() < 1e-6);
		// All logits tie, argmax picks class 0.
		let expected = y.iter().filter(|&&l| l == 0).count() as f64 / 10.0;
		assert_eq!(eval.accuracy, expected);
	}

	#[test]
	fn rejects_bad_shapes_and_labels() {
		let arch = DenseNet::logistic_regression(3, 2).unwrap();
		let p = arch.init(0);
		let x = Array2::<f32>::zeros((2, 3));
		assert_eq!(
			arch.evaluate(p.slice(s![..3]), x.view(), &[0, 1]),
			Err(ModelError::ParamLength {
				expected: 8,
				got: 3
			})
		);
		assert_eq!(
			arch.evaluate(p.view(), Array2::zeros((2, 4)).view(), &[0, 1]),
			Err(ModelError::InputWidth {
				expected: 3,
				got: 4
			})
		);
		assert_eq!(
			arch.evaluate(p.view(), x.view(), &[0, 2]),
			Err(ModelError::LabelOutOfRange {
				row: 1,
				label: 2,
				classes: 2
			})
		);
		assert!(DenseNet::mlp(3, &[], 2).is_err());
		assert!(DenseNet::mlp(3, &[2, 2, 2], 2).is_err());
	}

	#[test]
	fn gradient_descent_fits_a_separable_problem() {
		// Two Gaussian blobs; a few hundred full-batch steps must reach high accuracy.
		let mut rng = ChaCha8Rng::seed_from_u64(5);
		let rows = 200;
		let y: Vec<u32> = (0..rows).map(|i| (i % 2) as u32).collect();
		let x = Array2::from_shape_fn((rows, 2), |(r, _)| {
			let centre = if y[r] == 0 { -1.5 } else { 1.5 };
			centre + rng.gen_range(-1.0f32..1.0)
		});
		let arch = DenseNet::mlp(2, &[8], 2).unwrap();
		let mut p = arch.init(1);
		for _ in 0..300 {
			let (_, g) = arch.loss_and_gradient(p.view(), x.view(), &y).unwrap();
			p.scaled_add(-0.5, &g);
		}
		assert!(arch.evaluate(p.view(), x.view(), &y).unwrap().accuracy > 0.97);
	}
}
