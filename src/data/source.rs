//! Reading the series: a column of a CSV or Parquet file (through polars), or a generated
//! one. Missing values are refused, dropped or interpolated as the grid file says, and the
//! values used are fingerprinted so results trained on different data can be told apart.

use std::path::Path;

use anyhow::Result;
use polars::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::{Missing, Source};
use crate::error::bad_input;

/// The target column and any feature columns, aligned row by row.
#[derive(Debug, Clone)]
pub struct Series {
    /// Where it came from, for messages: a file path or `synthetic ar2`.
    pub origin: String,
    /// The target column's name.
    pub name: String,
    pub values: Vec<f64>,
    pub features: Vec<(String, Vec<f64>)>,
}

/// What a result directory records about the data it was trained on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    pub source: String,
    /// File size in bytes (absent for a generated series).
    pub file_bytes: Option<u64>,
    pub rows: usize,
    /// SHA-256 of the values used (target, then features), as little-endian f64.
    pub values_sha256: String,
    /// Rows removed by `missing = "drop"` or filled by `"interpolate"`.
    pub missing_handled: usize,
}

/// Loads the series `source` describes, with a fingerprint of what was used.
pub fn load_series(source: &Source) -> Result<(Series, Fingerprint)> {
    match source {
        Source::Synthetic { kind, length, noise, period, phi, drift, seed } => {
            let values = super::generate(*kind, *length, *noise, *period, *phi, *drift, *seed);
            let origin = format!("synthetic {kind:?} (seed {seed})").to_lowercase();
            let series = Series { origin: origin.clone(), name: "value".into(), values, features: vec![] };
            let fp = fingerprint(&series, origin, None, 0);
            Ok((series, fp))
        }
        Source::File { path, column, features, sort_by, rows, missing } => {
            let shown = path.display().to_string();
            let bytes = std::fs::metadata(path)
                .map_err(|e| bad_input(format!("{shown}: cannot read data file: {e}")))?
                .len();
            let mut df = read_frame(path)?;
            if let Some(key) = sort_by {
                require_column(&df, key, &shown, "sort_by")?;
                df = df
                    .sort([key.as_str()], SortMultipleOptions::default().with_maintain_order(true))
                    .map_err(|e| anyhow::anyhow!("{shown}: sorting by {key:?}: {e}"))?;
            }
            if let Some((start, end)) = rows {
                if *end > df.height() {
                    return Err(bad_input(format!(
                        "{shown}: rows = [{start}, {end}) reaches past the file's {} rows",
                        df.height()
                    )));
                }
                df = df.slice(*start as i64, end - start);
            }
            let mut cols = vec![read_column(&df, column, &shown, "column")?];
            for f in features {
                cols.push(read_column(&df, f, &shown, "features")?);
            }
            let handled = apply_missing(&mut cols, *missing, &shown, &std::iter::once(column).chain(features).cloned().collect::<Vec<_>>())?;
            let mut it = cols.into_iter();
            let values = it.next().expect("the target column is always read").into_iter().map(|v| v.unwrap_or(f64::NAN)).collect();
            let feature_values = features
                .iter()
                .cloned()
                .zip(it.map(|c| c.into_iter().map(|v| v.unwrap_or(f64::NAN)).collect()))
                .collect();
            let series = Series { origin: shown.clone(), name: column.clone(), values, features: feature_values };
            let fp = fingerprint(&series, shown, Some(bytes), handled);
            Ok((series, fp))
        }
    }
}

fn read_frame(path: &Path) -> Result<DataFrame> {
    let shown = path.display().to_string();
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    let result = match ext.as_str() {
        "csv" => CsvReadOptions::default()
            .with_has_header(true)
            .with_infer_schema_length(Some(10_000))
            .try_into_reader_with_file_path(Some(path.to_path_buf()))
            .and_then(|r| r.finish()),
        "parquet" | "pq" => std::fs::File::open(path)
            .map_err(PolarsError::from)
            .and_then(|f| ParquetReader::new(f).finish()),
        _ => {
            return Err(bad_input(format!(
                "{shown}: unknown data file type {ext:?}; use a .csv or .parquet file"
            )));
        }
    };
    result.map_err(|e| bad_input(format!("{shown}: not a valid {} file: {e}", ext.to_uppercase())))
}

fn require_column(df: &DataFrame, name: &str, shown: &str, key: &str) -> Result<()> {
    if df.column(name).is_err() {
        let names: Vec<String> = df.get_column_names().iter().map(|n| n.to_string()).collect();
        return Err(bad_input(format!(
            "{shown}: {key} = {name:?} is not a column of this file; its columns are: {}",
            names.join(", ")
        )));
    }
    Ok(())
}

/// The column as f64, with nulls and NaN as `None`.
fn read_column(df: &DataFrame, name: &str, shown: &str, key: &str) -> Result<Vec<Option<f64>>> {
    require_column(df, name, shown, key)?;
    let col = df.column(name)?;
    if !col.dtype().is_primitive_numeric() {
        return Err(bad_input(format!(
            "{shown}: column {name:?} holds {} values, not numbers; {key} must name a numeric column",
            col.dtype()
        )));
    }
    let as_f64 = col.cast(&DataType::Float64)?;
    Ok(as_f64
        .f64()?
        .downcast_iter()
        .flat_map(|chunk| chunk.iter().map(|v| v.copied().filter(|x| !x.is_nan())))
        .collect())
}

/// Applies the missing-value policy to every column at once (a row missing in any column
/// counts as missing). Returns how many rows were dropped or filled.
fn apply_missing(cols: &mut [Vec<Option<f64>>], policy: Missing, shown: &str, names: &[String]) -> Result<usize> {
    let n = cols[0].len();
    let bad_rows: Vec<usize> = (0..n).filter(|&r| cols.iter().any(|c| c[r].is_none())).collect();
    if bad_rows.is_empty() {
        return Ok(0);
    }
    match policy {
        Missing::Error => {
            let (ci, first) = cols
                .iter()
                .enumerate()
                .filter_map(|(ci, c)| c.iter().position(|v| v.is_none()).map(|r| (ci, r)))
                .min_by_key(|&(_, r)| r)
                .expect("some row is missing");
            let count = cols[ci].iter().filter(|v| v.is_none()).count();
            Err(bad_input(format!(
                "{shown}: column {:?} has {count} missing value(s) (empty, null or NaN), the first at data row {} \
                 (row {} of the file counting the header); set missing = \"drop\" or \"interpolate\" in [data]",
                names[ci],
                first + 1,
                first + 2
            )))
        }
        Missing::Drop => {
            for c in cols.iter_mut() {
                let mut r = 0;
                c.retain(|_| {
                    let keep = bad_rows.binary_search(&r).is_err();
                    r += 1;
                    keep
                });
            }
            Ok(bad_rows.len())
        }
        Missing::Interpolate => {
            let mut filled = 0;
            for (ci, c) in cols.iter_mut().enumerate() {
                let mut r = 0;
                while r < n {
                    if c[r].is_some() {
                        r += 1;
                        continue;
                    }
                    let start = r;
                    while r < n && c[r].is_none() {
                        r += 1;
                    }
                    if start == 0 || r == n {
                        return Err(bad_input(format!(
                            "{shown}: column {:?} has missing values at its {} (data rows {}..{}), which \
                             interpolation cannot fill; trim them with rows = [start, end) or use missing = \"drop\"",
                            names[ci],
                            if start == 0 { "start" } else { "end" },
                            start + 1,
                            r
                        )));
                    }
                    let (a, b) = (c[start - 1].unwrap(), c[r].unwrap());
                    let span = (r - start + 1) as f64;
                    for (k, slot) in c[start..r].iter_mut().enumerate() {
                        *slot = Some(a + (b - a) * (k + 1) as f64 / span);
                        filled += 1;
                    }
                }
            }
            Ok(filled)
        }
    }
}

fn fingerprint(series: &Series, source: String, file_bytes: Option<u64>, missing_handled: usize) -> Fingerprint {
    let mut h = Sha256::new();
    for v in series.values.iter().chain(series.features.iter().flat_map(|(_, f)| f.iter())) {
        h.update(v.to_le_bytes());
    }
    let digest = h.finalize();
    Fingerprint {
        source,
        file_bytes,
        rows: series.values.len(),
        values_sha256: digest.iter().map(|b| format!("{b:02x}")).collect(),
        missing_handled,
    }
}
