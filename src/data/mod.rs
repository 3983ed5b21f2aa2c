//! The series a sweep trains on: loaded once (from a file or generated), cut into windows,
//! split in time order and scaled, then shared read-only by every trial.

mod dataset;
mod naive2;
mod source;
mod synthetic;

pub use dataset::{
    Dataset, MAX_EVALUATION_SAMPLES, Scaler, Split, naive_scale, split_sizes, too_short,
};
pub use naive2::{Naive2, Plain, autocorrelation, is_seasonal, naive2, seasonal_indices};
pub use source::{
    Collection, Fingerprint, MAX_FILE_BYTES, Series, check_date_format, load_collection,
    load_series, quoted_id,
};
pub use synthetic::generate;
