//! Training data: loaders for IDX (MNIST family) and CSV files, scaling to `[0, 1]`, and
//! IID / non-IID partitions of a data set among trainers.
//!
//! Loader errors name the file and what is wrong with it, so an operator pointing a trainer at
//! the wrong path learns why from one line.

mod csv_file;
mod dataset;
mod error;
mod idx;
pub mod partition;

pub use csv_file::{load_csv, CsvOptions};
pub use dataset::{Dataset, MinMaxScaler};
pub use error::DataError;
pub use idx::{load_fashion_mnist, load_idx_dataset, read_idx, IdxArray, IdxType, Split};
