//! Errors of the data loaders.

use std::path::PathBuf;

/// A data file could not be used. Every file-related variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
	/// Reading the file failed.
	#[error("{path}: cannot read: {source}")]
	Io {
		path: PathBuf,
		source: std::io::Error,
	},
	/// The file starts with the gzip magic but does not decompress.
	#[error("{path}: corrupt or truncated gzip stream: {source}")]
	Gzip {
		path: PathBuf,
		source: std::io::Error,
	},
	/// The IDX magic number is not `00 00 <type> <ndims>` with a known type and ndims ≥ 1.
	#[error("{path}: not an IDX file (magic bytes {magic:02x?}): {reason}")]
	BadMagic {
		path: PathBuf,
		magic: Vec<u8>,
		reason: &'static str,
	},
	/// The file is shorter than its header says.
	#[error("{path}: truncated: header promises {expected} bytes, file has {actual}")]
	Truncated {
		path: PathBuf,
		expected: usize,
		actual: usize,
	},
	/// The file is longer than its header says (a concatenation or a wrong header).
	#[error("{path}: {extra} unexpected trailing bytes after the data the header describes")]
	TrailingBytes { path: PathBuf, extra: usize },
	/// The file's dimensions are not what this use needs.
	#[error("{path}: dimensions {dims:?}: {reason}")]
	Dims {
		path: PathBuf,
		dims: Vec<usize>,
		reason: String,
	},
	/// Image and label files disagree in count.
	#[error("{images} has {image_count} images but {labels} has {label_count} labels")]
	CountMismatch {
		images: PathBuf,
		image_count: usize,
		labels: PathBuf,
		label_count: usize,
	},
	/// A label is not an integer class index below the class count.
	#[error("{path}: label {label} at item {item} is not a class index below {classes}")]
	LabelOutOfRange {
		path: PathBuf,
		item: usize,
		label: f64,
		classes: usize,
	},
	/// CSV syntax error or a row with the wrong number of fields.
	#[error("{path}: line {line}: {message}")]
	Csv {
		path: PathBuf,
		line: u64,
		message: String,
	},
	/// A CSV field is not a number.
	#[error("{path}: line {line}, column {column}: {value:?} is not a number")]
	Parse {
		path: PathBuf,
		line: u64,
		column: usize,
		value: String,
	},
	/// The file holds no data rows.
	#[error("{path}: no data rows")]
	Empty { path: PathBuf },
	/// In-memory data that does not form a data set (not tied to a file).
	#[error("inconsistent data set: {0}")]
	Inconsistent(String),
}
