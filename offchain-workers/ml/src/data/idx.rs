//! IDX files (the MNIST family's format), raw or gzip-compressed.
//!
//! Layout: two zero bytes, a type code, the number of dimensions, then each dimension as a
//! big-endian `u32`, then the values big-endian in row-major order.

use std::io::Read;
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;
use ndarray::Array2;

use super::{DataError, Dataset};

/// Element type of an IDX file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdxType {
	U8,
	I8,
	I16,
	I32,
	F32,
	F64,
}

impl IdxType {
	fn from_code(code: u8) -> Option<Self> {
		Some(match code {
			0x08 => Self::U8,
			0x09 => Self::I8,
			0x0B => Self::I16,
			0x0C => Self::I32,
			0x0D => Self::F32,
			0x0E => Self::F64,
			_ => return None,
		})
	}

	fn size(self) -> usize {
		match self {
			Self::U8 | Self::I8 => 1,
			Self::I16 => 2,
			Self::I32 | Self::F32 => 4,
			Self::F64 => 8,
		}
	}
}

/// A decoded IDX tensor. Values are widened to `f64` only while decoding a single element, and
/// stored as `f32`, which holds every `u8`/`i8`/`i16` exactly.
#[derive(Debug, Clone, PartialEq)]
pub struct IdxArray {
	pub dtype: IdxType,
	pub dims: Vec<usize>,
	pub values: Vec<f32>,
}

/// Reads a whole IDX file; gzip is detected from its magic bytes, not the file name.
pub fn read_idx(path: &Path) -> Result<IdxArray, DataError> {
	let raw = std::fs::read(path).map_err(|source| DataError::Io {
		path: path.into(),
		source,
	})?;
	let bytes = if raw.starts_with(&[0x1f, 0x8b]) {
		let mut out = Vec::new();
		GzDecoder::new(raw.as_slice())
			.read_to_end(&mut out)
			.map_err(|source| DataError::Gzip {
				path: path.into(),
				source,
			})?;
		out
	} else {
		raw
	};
	parse_idx(path, &bytes)
}

fn parse_idx(path: &Path, bytes: &[u8]) -> Result<IdxArray, DataError> {
	let bad_magic = |reason| DataError::BadMagic {
		path: path.into(),
		magic: bytes.iter().take(4).copied().collect(),
		reason,
	};
	if bytes.len() < 4 {
		return Err(bad_magic("shorter than the 4-byte magic number"));
	}
	if bytes[0] != 0 || bytes[1] != 0 {
		return Err(bad_magic("first two bytes must be zero"));
	}
	let dtype = IdxType::from_code(bytes[2]).ok_or_else(|| bad_magic("unknown element type"))?;
	let ndims = bytes[3] as usize;
	if ndims == 0 {
		return Err(bad_magic("zero dimensions"));
	}
	let header = 4 + 4 * ndims;
	if bytes.len() < header {
		return Err(DataError::Truncated {
			path: path.into(),
			expected: header,
			actual: bytes.len(),
		});
	}
	let dims: Vec<usize> = bytes[4..header]
		.chunks_exact(4)
		.map(|c| u32::from_be_bytes(c.try_into().expect("4 bytes")) as usize)
		.collect();
	// Checked so a hostile header cannot overflow the size computation.
	let expected = dims
		.iter()
		.try_fold(dtype.size(), |acc, &d| acc.checked_mul(d))
		.and_then(|body| body.checked_add(header))
		.ok_or_else(|| DataError::Dims {
			path: path.into(),
			dims: dims.clone(),
			reason: "size overflows".into(),
		})?;
	if bytes.len() < expected {
		return Err(DataError::Truncated {
			path: path.into(),
			expected,
			actual: bytes.len(),
		});
	}
	if bytes.len() > expected {
		return Err(DataError::TrailingBytes {
			path: path.into(),
			extra: bytes.len() - expected,
		});
	}
	let body = &bytes[header..];
	let values = match dtype {
		IdxType::U8 => body.iter().map(|&b| b as f32).collect(),
		IdxType::I8 => body.iter().map(|&b| b as i8 as f32).collect(),
		IdxType::I16 => body
			.chunks_exact(2)
			.map(|c| i16::from_be_bytes([c[0], c[1]]) as f32)
			.collect(),
		IdxType::I32 => body
			.chunks_exact(4)
			.map(|c| i32::from_be_bytes(c.try_into().expect("4 bytes")) as f32)
			.collect(),
		IdxType::F32 => body
			.chunks_exact(4)
			.map(|c| f32::from_be_bytes(c.try_into().expect("4 bytes")))
			.collect(),
		IdxType::F64 => body
			.chunks_exact(8)
			.map(|c| f64::from_be_bytes(c.try_into().expect("8 bytes")) as f32)
			.collect(),
	};
	Ok(IdxArray {
		dtype,
		dims,
		values,
	})
}

/// Loads an image file (N × …) and a label file (N) into a data set with features in `[0, 1]`.
///
/// Each image is flattened to one row. `u8` pixels are divided by 255 (the usual MNIST
/// scaling); other element types are min-max scaled over the whole file. Labels must be
/// integers in `0..classes`.
pub fn load_idx_dataset(
	images: &Path,
	labels: &Path,
	classes: usize,
) -> Result<Dataset, DataError> {
	let img = read_idx(images)?;
	let lab = read_idx(labels)?;
	if img.dims.len() < 2 {
		return Err(DataError::Dims {
			path: images.into(),
			dims: img.dims,
			reason: "an image file needs at least 2 dimensions (count × features)".into(),
		});
	}
	if lab.dims.len() != 1 {
		return Err(DataError::Dims {
			path: labels.into(),
			dims: lab.dims,
			reason: "a label file must be 1-dimensional".into(),
		});
	}
	let count = img.dims[0];
	if lab.dims[0] != count {
		return Err(DataError::CountMismatch {
			images: images.into(),
			image_count: count,
			labels: labels.into(),
			label_count: lab.dims[0],
		});
	}
	let labels_u32 = lab
		.values
		.iter()
		.enumerate()
		.map(|(item, &v)| {
			if v >= 0.0 && v.fract() == 0.0 && (v as usize) < classes {
				Ok(v as u32)
			} else {
				Err(DataError::LabelOutOfRange {
					path: labels.into(),
					item,
					label: v as f64,
					classes,
				})
			}
		})
		.collect::<Result<Vec<_>, _>>()?;
	let features_per_row = img.dims[1..].iter().product::<usize>();
	let mut values = img.values;
	scale_unit(&mut values, img.dtype);
	let features = Array2::from_shape_vec((count, features_per_row), values)
		.expect("IDX parser checked the body length against the dimensions");
	Dataset::new(features, labels_u32, classes)
}

fn scale_unit(values: &mut [f32], dtype: IdxType) {
	if dtype == IdxType::U8 {
		values.iter_mut().for_each(|v| *v /= 255.0);
		return;
	}
	let lo = values.iter().copied().fold(f32::INFINITY, f32::min);
	let hi = values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
	let range = hi - lo;
	values
		.iter_mut()
		.for_each(|v| *v = if range > 0.0 { (*v - lo) / range } else { 0.0 });
}

/// Which half of an MNIST-family data set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
	Train,
	Test,
}

/// Loads `{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]` from `dir` (10 classes), as laid
/// out by Debian's `dataset-fashion-mnist` in `/usr/share/datasets/fashion-mnist`.
pub fn load_fashion_mnist(dir: &Path, split: Split) -> Result<Dataset, DataError> {
	let prefix = match split {
		Split::Train => "train",
		Split::Test => "t10k",
	};
	let find = |stem: String| -> PathBuf {
		let gz = dir.join(format!("{stem}.gz"));
		if gz.exists() {
			gz
		} else {
			dir.join(stem)
		}
	};
	load_idx_dataset(
		&find(format!("{prefix}-images-idx3-ubyte")),
		&find(format!("{prefix}-labels-idx1-ubyte")),
		10,
	)
}

#[cfg(test)]
mod tests {
	use super::*;
	use flate2::write::GzEncoder;
	use std::io::Write;

	fn idx_bytes(code: u8, dims: &[u32], body: &[u8]) -> Vec<u8> {
		let mut out = vec![0, 0, code, dims.len() as u8];
		for d in dims {
			out.extend_from_slice(&d.to_be_bytes());
		}
		out.extend_from_slice(body);
		out
	}

	fn write(dir: &Path, name: &str, bytes: &[u8], gzip: bool) -> PathBuf {
		let path = dir.join(name);
		if gzip {
			let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::fast());
			enc.write_all(bytes).unwrap();
			std::fs::write(&path, enc.finish().unwrap()).unwrap();
		} else {
			std::fs::write(&path, bytes).unwrap();
		}
		path
	}

	/// Three 2×2 images and their labels.
	fn tiny_pair(dir: &Path, gzip: bool) -> (PathBuf, PathBuf) {
		let pixels: Vec<u8> = vec![0, 255, 51, 102, 1, 2, 3, 4, 255, 255, 0, 0];
		(
			write(dir, "img", &idx_bytes(0x08, &[3, 2, 2], &pixels), gzip),
			write(dir, "lab", &idx_bytes(0x08, &[3], &[2, 0, 1]), gzip),
		)
	}

	#[test]
	fn loads_raw_and_gzip_identically_and_scales_to_unit_range() {
		let dir = tempfile::tempdir().unwrap();
		let raw_dir = dir.path().join("raw");
		let gz_dir = dir.path().join("gz");
		std::fs::create_dir_all(&raw_dir).unwrap();
		std::fs::create_dir_all(&gz_dir).unwrap();
		let (ri, rl) = tiny_pair(&raw_dir, false);
		let (gi, gl) = tiny_pair(&gz_dir, true);
		let raw = load_idx_dataset(&ri, &rl, 3).unwrap();
		let gz = load_idx_dataset(&gi, &gl, 3).unwrap();
		assert_eq!(raw, gz);
		assert_eq!(raw.len(), 3);
		assert_eq!(raw.feature_count(), 4);
		assert_eq!(raw.labels(), &[2, 0, 1]);
		assert_eq!(raw.features().row(0).to_vec(), vec![0.0, 1.0, 0.2, 0.4]);
		assert!(raw.features().iter().all(|&v| (0.0..=1.0).contains(&v)));
	}

	#[test]
	fn fashion_mnist_layout_is_found_in_a_directory() {
		let dir = tempfile::tempdir().unwrap();
		let body: Vec<u8> = (0..2 * 28 * 28).map(|i| (i % 256) as u8).collect();
		write(
			dir.path(),
			"t10k-images-idx3-ubyte.gz",
			&idx_bytes(8, &[2, 28, 28], &body),
			true,
		);
		write(
			dir.path(),
			"t10k-labels-idx1-ubyte",
			&idx_bytes(8, &[2], &[9, 0]),
			false,
		);
		let d = load_fashion_mnist(dir.path(), Split::Test).unwrap();
		assert_eq!((d.len(), d.feature_count(), d.classes()), (2, 784, 10));
	}

	#[test]
	fn wrong_magic_is_reported_with_the_file_name() {
		let dir = tempfile::tempdir().unwrap();
		let p = write(dir.path(), "notidx.bin", &[1, 0, 8, 1, 0, 0, 0, 0], false);
		let err = read_idx(&p).unwrap_err();
		assert!(matches!(err, DataError::BadMagic { .. }), "{err:?}");
		assert!(err.to_string().contains("notidx.bin"));
		let p = write(dir.path(), "badtype", &[0, 0, 0x42, 1, 0, 0, 0, 0], false);
		assert!(matches!(
			read_idx(&p),
			Err(DataError::BadMagic {
				reason: "unknown element type",
				..
			})
		));
		let p = write(dir.path(), "tiny", &[0, 0], false);
		assert!(matches!(read_idx(&p), Err(DataError::BadMagic { .. })));
	}

	#[test]
	fn truncated_body_header_and_gzip_are_errors() {
		let dir = tempfile::tempdir().unwrap();
		let full = idx_bytes(0x08, &[3, 2, 2], &[0; 12]);
		let p = write(dir.path(), "short", &full[..full.len() - 1], false);
		match read_idx(&p).unwrap_err() {
			DataError::Truncated {
				expected, actual, ..
			} => {
				assert_eq!((expected, actual), (4 + 12 + 12, 4 + 12 + 11))
			}
			e => panic!("unexpected {e:?}"),
		}
		let p = write(dir.path(), "shorthdr", &full[..9], false);
		assert!(matches!(read_idx(&p), Err(DataError::Truncated { .. })));
		let p = write(dir.path(), "long", &[full.as_slice(), &[7]].concat(), false);
		assert!(matches!(
			read_idx(&p),
			Err(DataError::TrailingBytes { extra: 1, .. })
		));
		// A gzip stream cut in half.
		let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::fast());
		enc.write_all(&idx_bytes(0x08, &[1000], &[5; 1000]))
			.unwrap();
		let gz = enc.finish().unwrap();
		let p = write(dir.path(), "cut.gz", &gz[..gz.len() / 2], false);
		let err = read_idx(&p).unwrap_err();
		assert!(matches!(err, DataError::Gzip { .. }), "{err:?}");
		assert!(err.to_string().contains("cut.gz"));
	}

	#[test]
	fn missing_file_names_the_path() {
		let err = read_idx(Path::new("/nonexistent/fedledger.idx")).unwrap_err();
		assert!(matches!(err, DataError::Io { .. }));
		assert!(err.to_string().contains("/nonexistent/fedledger.idx"));
	}

	#[test]
	fn count_mismatch_and_bad_dims_are_errors() {
		let dir = tempfile::tempdir().unwrap();
		let img = write(
			dir.path(),
			"img",
			&idx_bytes(8, &[3, 2, 2], &[0; 12]),
			false,
		);
		let lab = write(dir.path(), "lab", &idx_bytes(8, &[2], &[0, 1]), false);
		let err = load_idx_dataset(&img, &lab, 10).unwrap_err();
		assert!(
			matches!(
				err,
				DataError::CountMismatch {
					image_count: 3,
					label_count: 2,
					..
				}
			),
			"{err:?}"
		);
		// Labels given as a 2-D file.
		let lab2 = write(
			dir.path(),
			"lab2",
			&idx_bytes(8, &[3, 1], &[0, 1, 2]),
			false,
		);
		assert!(matches!(
			load_idx_dataset(&img, &lab2, 10),
			Err(DataError::Dims { .. })
		));
		// Images given as a 1-D file.
		assert!(matches!(
			load_idx_dataset(&lab, &lab, 10),
			Err(DataError::Dims { .. })
		));
	}

	#[test]
	fn label_out_of_range_is_an_error() {
		let dir = tempfile::tempdir().unwrap();
		let img = write(dir.path(), "img", &idx_bytes(8, &[2, 1], &[0, 0]), false);
		let lab = write(
			dir.path(),
			"labels.idx",
			&idx_bytes(8, &[2], &[1, 10]),
			false,
		);
		let err = load_idx_dataset(&img, &lab, 10).unwrap_err();
		assert!(
			matches!(err, DataError::LabelOutOfRange { item: 1, .. }),
			"{err:?}"
		);
		assert!(err.to_string().contains("labels.idx"));
	}

	#[test]
	fn wider_types_decode_big_endian() {
		let dir = tempfile::tempdir().unwrap();
		let mut body = Vec::new();
		body.extend_from_slice(&(-2i16).to_be_bytes());
		body.extend_from_slice(&300i16.to_be_bytes());
		let p = write(dir.path(), "i16", &idx_bytes(0x0B, &[2], &body), false);
		assert_eq!(read_idx(&p).unwrap().values, vec![-2.0, 300.0]);
		let body: Vec<u8> = [1.5f32, -0.25]
			.iter()
			.flat_map(|v| v.to_be_bytes())
			.collect();
		let p = write(dir.path(), "f32", &idx_bytes(0x0D, &[2], &body), false);
		assert_eq!(read_idx(&p).unwrap().values, vec![1.5, -0.25]);
	}
}
