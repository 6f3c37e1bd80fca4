//! CSV data sets: one sample per row, one integer label column, the rest numeric features.

use std::path::Path;

use ndarray::Array2;

use super::{DataError, Dataset};

/// How to read a CSV data set.
#[derive(Debug, Clone)]
pub struct CsvOptions {
	/// Zero-based index of the label column.
	pub label_column: usize,
	/// Skip the first line as a header.
	pub has_header: bool,
	/// Number of classes; `None` takes `max label + 1`.
	pub classes: Option<usize>,
	/// Field delimiter.
	pub delimiter: u8,
}

impl Default for CsvOptions {
	fn default() -> Self {
		Self {
			label_column: 0,
			has_header: true,
			classes: None,
			delimiter: b',',
		}
	}
}

/// Reads a CSV file into a data set. Features are returned as written; fit a
/// [`super::MinMaxScaler`] on the training set to bring them into `[0, 1]`.
pub fn load_csv(path: &Path, opts: &CsvOptions) -> Result<Dataset, DataError> {
	let mut reader = csv::ReaderBuilder::new()
		.has_headers(opts.has_header)
		.delimiter(opts.delimiter)
		.trim(csv::Trim::All)
		.from_path(path)
		.map_err(|e| csv_error(path, e))?;
	let mut values: Vec<f32> = Vec::new();
	let mut raw_labels: Vec<(u64, f64)> = Vec::new();
	let mut width: Option<usize> = None;
	for record in reader.records() {
		let record = record.map_err(|e| csv_error(path, e))?;
		let line = record.position().map_or(0, |p| p.line());
		if opts.label_column >= record.len() {
			return Err(DataError::Csv {
				path: path.into(),
				line,
				message: format!(
					"label column {} does not exist in a row of {} fields",
					opts.label_column,
					record.len()
				),
			});
		}
		if record.len() < 2 {
			return Err(DataError::Csv {
				path: path.into(),
				line,
				message: "a row needs a label and at least one feature".into(),
			});
		}
		width.get_or_insert(record.len() - 1);
		for (column, field) in record.iter().enumerate() {
			let v: f64 = field.parse().map_err(|_| DataError::Parse {
				path: path.into(),
				line,
				column,
				value: field.to_string(),
			})?;
			if column == opts.label_column {
				raw_labels.push((line, v));
			} else {
				values.push(v as f32);
			}
		}
	}
	let Some(width) = width else {
		return Err(DataError::Empty { path: path.into() });
	};
	let max_label = raw_labels.iter().map(|&(_, v)| v).fold(0.0, f64::max);
	let classes = opts.classes.unwrap_or(max_label as usize + 1);
	let labels = raw_labels
		.iter()
		.enumerate()
		.map(|(item, &(_line, v))| {
			if v >= 0.0 && v.fract() == 0.0 && (v as usize) < classes {
				Ok(v as u32)
			} else {
				Err(DataError::LabelOutOfRange {
					path: path.into(),
					item,
					label: v,
					classes,
				})
			}
		})
		.collect::<Result<Vec<_>, _>>()?;
	let features = Array2::from_shape_vec((labels.len(), width), values)
		.expect("csv reader enforces equal row lengths");
	Dataset::new(features, labels, classes)
}

fn csv_error(path: &Path, e: csv::Error) -> DataError {
	let line = e.position().map_or(0, |p| p.line());
	match e.into_kind() {
		csv::ErrorKind::Io(source) => DataError::Io {
			path: path.into(),
			source,
		},
		csv::ErrorKind::UnequalLengths {
			expected_len, len, ..
		} => DataError::Csv {
			path: path.into(),
			line,
			message: format!("row has {len} fields, earlier rows have {expected_len}"),
		},
		other => DataError::Csv {
			path: path.into(),
			line,
			message: format!("{other:?}"),
		},
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn write(content: &str) -> (tempfile::TempDir, std::path::PathBuf) {
		let dir = tempfile::tempdir().unwrap();
		let p = dir.path().join("data.csv");
		std::fs::write(&p, content).unwrap();
		(dir, p)
	}

	#[test]
	fn reads_label_column_anywhere() {
		let (_d, p) = write("a,label,b\n1.5,2,3\n4,0,5\n");
		let opts = CsvOptions {
			label_column: 1,
			..Default::default()
		};
		let d = load_csv(&p, &opts).unwrap();
		assert_eq!(d.labels(), &[2, 0]);
		assert_eq!(d.classes(), 3);
		assert_eq!(d.features(), ndarray::arr2(&[[1.5, 3.0], [4.0, 5.0]]));
	}

	#[test]
	fn non_numeric_field_names_file_line_and_column() {
		let (_d, p) = write("y,x\n0,1\n1,abc\n");
		let err = load_csv(&p, &CsvOptions::default()).unwrap_err();
		assert!(
			matches!(
				err,
				DataError::Parse {
					line: 3,
					column: 1,
					..
				}
			),
			"{err:?}"
		);
		assert!(err.to_string().contains("data.csv"));
	}

	#[test]
	fn ragged_rows_are_errors() {
		let (_d, p) = write("0,1,2\n1,2\n");
		let opts = CsvOptions {
			has_header: false,
			..Default::default()
		};
		let err = load_csv(&p, &opts).unwrap_err();
		assert!(matches!(err, DataError::Csv { line: 2, .. }), "{err:?}");
	}

	#[test]
	fn labels_must_be_class_indices() {
		let (_d, p) = write("y,x\n0,1\n5,2\n");
		let opts = CsvOptions {
			classes: Some(3),
			..Default::default()
		};
		assert!(matches!(
			load_csv(&p, &opts),
			Err(DataError::LabelOutOfRange { item: 1, .. })
		));
		let (_d, p) = write("y,x\n0.5,1\n");
		assert!(matches!(
			load_csv(&p, &CsvOptions::default()),
			Err(DataError::LabelOutOfRange { .. })
		));
		let (_d, p) = write("y,x\n-1,1\n");
		assert!(matches!(
			load_csv(&p, &CsvOptions::default()),
			Err(DataError::LabelOutOfRange { .. })
		));
	}

	#[test]
	fn empty_file_and_missing_label_column_are_errors() {
		let (_d, p) = write("y,x\n");
		assert!(matches!(
			load_csv(&p, &CsvOptions::default()),
			Err(DataError::Empty { .. })
		));
		let (_d, p) = write("y,x\n0,1\n");
		let opts = CsvOptions {
			label_column: 5,
			..Default::default()
		};
		assert!(matches!(load_csv(&p, &opts), Err(DataError::Csv { .. })));
	}
}
