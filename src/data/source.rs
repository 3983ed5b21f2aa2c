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
    /// Shared with the datasets built from it, so the values are held once.
    pub values: std::sync::Arc<[f64]>,
    pub features: Vec<(String, Vec<f64>)>,
}

/// What a result directory records about the data it was trained on.
///
/// Two fingerprints are equal when the values used are: the same rows with the same SHA-256.
/// `source`, `file_bytes` and `missing_handled` describe where the values came from, for
/// messages, and do not take part: the same file reached through another relative path
/// (a sweep started from another folder), or a file that only changed in a column the grid
/// does not read, still holds the same experiment's data.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fingerprint {
    pub source: String,
    /// File size in bytes (absent for a generated series).
    pub file_bytes: Option<u64>,
    pub rows: usize,
    /// SHA-256 of the values used (target, then features), as little-endian f64.
    pub values_sha256: String,
    /// Rows removed by `missing = "drop"` or values filled by `"interpolate"`.
    pub missing_handled: usize,
}

impl PartialEq for Fingerprint {
    fn eq(&self, other: &Fingerprint) -> bool {
        self.rows == other.rows && self.values_sha256 == other.values_sha256
    }
}

impl Eq for Fingerprint {}

/// Loads the series `source` describes, with a fingerprint of what was used.
pub fn load_series(source: &Source) -> Result<(Series, Fingerprint)> {
    match source {
        Source::Synthetic {
            kind,
            length,
            noise,
            period,
            phi,
            drift,
            seed,
        } => {
            let values = super::generate(*kind, *length, *noise, *period, *phi, *drift, *seed);
            let origin = format!("synthetic {kind:?} (seed {seed})").to_lowercase();
            let series = Series {
                origin: origin.clone(),
                name: "value".into(),
                values: values.into(),
                features: vec![],
            };
            let fp = fingerprint(&series, origin, None, 0);
            Ok((series, fp))
        }
        Source::File {
            path,
            column,
            features,
            sort_by,
            rows,
            missing,
        } => {
            let shown = path.display().to_string();
            let meta = std::fs::metadata(path).map_err(|e| {
                let why = if e.kind() == std::io::ErrorKind::NotFound {
                    "data file not found".to_string()
                } else {
                    format!("cannot read data file: {e}")
                };
                bad_input(format!(
                    "{shown}: {why}; [data] path must name a .csv or .parquet file, relative to the grid file's folder"
                ))
            })?;
            if meta.is_dir() {
                return Err(bad_input(format!(
                    "{shown}: is a directory, not a data file; [data] path must name a .csv or .parquet file"
                )));
            }
            let kind = FileKind::of(path)?;
            let mut df = read_frame(path, kind)?;
            // Where each row was in the file, so messages point at the file's own rows even
            // after sorting and slicing.
            let index_name = row_index_name(&df);
            df = df.with_row_index(index_name.as_str().into(), None)?;
            if let Some(key) = sort_by {
                require_column(&df, key, &shown, "sort_by")?;
                df = df
                    .sort(
                        [key.as_str()],
                        SortMultipleOptions::default().with_maintain_order(true),
                    )
                    .map_err(|e| {
                        bad_input(format!(
                            "{shown}: cannot sort by {key:?}: {}",
                            one_line(&e.to_string())
                        ))
                    })?;
            }
            if let Some((start, end)) = rows {
                if *end > df.height() {
                    return Err(bad_input(format!(
                        "{shown}: rows = [{start}, {end}) reaches past the file's {} rows; the end can be at most {}",
                        df.height(),
                        df.height()
                    )));
                }
                df = df.slice(*start as i64, end - start);
            }
            let file_rows: Vec<usize> = df
                .column(&index_name)?
                .cast(&DataType::UInt64)?
                .u64()?
                .into_no_null_iter()
                .map(|r| r as usize)
                .collect();
            let df = df.drop(&index_name)?;
            let mut cols = vec![read_column(&df, column, &shown, "column")?];
            for f in features {
                cols.push(read_column(&df, f, &shown, "features")?);
            }
            let names: Vec<String> = std::iter::once(column).chain(features).cloned().collect();
            let handled = apply_missing(&mut cols, *missing, &shown, &names, &file_rows, kind)?;
            let mut it = cols.into_iter();
            let values: Vec<f64> = it
                .next()
                .expect("the target column is always read")
                .into_iter()
                .map(|v| v.unwrap_or(f64::NAN))
                .collect();
            let feature_values = features
                .iter()
                .cloned()
                .zip(it.map(|c| c.into_iter().map(|v| v.unwrap_or(f64::NAN)).collect()))
                .collect();
            let series = Series {
                origin: shown.clone(),
                name: column.clone(),
                values: values.into(),
                features: feature_values,
            };
            let fp = fingerprint(&series, shown, Some(meta.len()), handled);
            Ok((series, fp))
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileKind {
    Csv,
    Parquet,
}

impl FileKind {
    fn of(path: &Path) -> Result<FileKind> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Ok(FileKind::Csv),
            "parquet" | "pq" => Ok(FileKind::Parquet),
            _ => Err(bad_input(format!(
                "{}: unknown data file type {}; use a .csv or .parquet file",
                path.display(),
                if ext.is_empty() {
                    "(no extension)".to_string()
                } else {
                    format!("\".{ext}\"")
                }
            ))),
        }
    }

    fn name(self) -> &'static str {
        match self {
            FileKind::Csv => "CSV",
            FileKind::Parquet => "Parquet",
        }
    }
}

/// The first paragraph of a (polars) error message, on one line: the rest is advice about
/// polars options (`truncate_ragged_lines`, `infer_schema_length`) that a grid file cannot set.
fn one_line(msg: &str) -> String {
    let first = msg.split("\n\n").next().unwrap_or(msg);
    first.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn read_frame(path: &Path, kind: FileKind) -> Result<DataFrame> {
    let shown = path.display().to_string();
    let file = std::fs::File::open(path)
        .map_err(|e| bad_input(format!("{shown}: cannot read data file: {e}")))?;
    let result = match kind {
        // The whole file decides each column's type, so a stray word far down a column makes
        // it a text column (refused below, with the word) rather than a parse error.
        FileKind::Csv => CsvReadOptions::default()
            .with_has_header(true)
            .with_infer_schema_length(None)
            .into_reader_with_file_handle(file)
            .finish(),
        FileKind::Parquet => ParquetReader::new(file).finish(),
    };
    result.map_err(|e| {
        bad_input(format!(
            "{shown}: not a valid {} file: {}; {}",
            kind.name(),
            one_line(&e.to_string()),
            match kind {
                FileKind::Csv =>
                    "a CSV file needs a header row naming its columns and the same number of \
                                  comma-separated fields on every line",
                FileKind::Parquet =>
                    "give a file written as Parquet (a CSV file needs the .csv extension)",
            }
        ))
    })
}

/// A column name the file does not use, for the row index added while loading.
fn row_index_name(df: &DataFrame) -> String {
    let mut name = String::from("__trendsweep_row");
    while df.column(&name).is_ok() {
        name.push('_');
    }
    name
}

fn require_column(df: &DataFrame, name: &str, shown: &str, key: &str) -> Result<()> {
    if df.column(name).is_err() {
        let names: Vec<String> = df
            .get_column_names()
            .iter()
            .map(|n| n.to_string())
            .filter(|n| !n.starts_with("__trendsweep_row"))
            .collect();
        return Err(bad_input(format!(
            "{shown}: {key} = {name:?} is not a column of this file; its columns are: {}",
            names.join(", ")
        )));
    }
    Ok(())
}

/// The column as f64, with nulls, NaN and infinities as `None`.
fn read_column(df: &DataFrame, name: &str, shown: &str, key: &str) -> Result<Vec<Option<f64>>> {
    require_column(df, name, shown, key)?;
    let col = df.column(name)?;
    // A column with no values at all has no type to infer (a CSV reader calls it text).
    if col.null_count() == col.len() {
        return Ok(vec![None; col.len()]);
    }
    if !col.dtype().is_primitive_numeric() {
        let example = match col.dtype() {
            DataType::String => col
                .str()?
                .iter()
                .enumerate()
                .find(|(_, v)| {
                    v.is_some_and(|s| !s.trim().is_empty() && s.trim().parse::<f64>().is_err())
                })
                .map(|(row, v)| format!(" (row {} is {:?})", row + 1, v.unwrap_or_default()))
                .unwrap_or_default(),
            _ => String::new(),
        };
        let what = match col.dtype() {
            DataType::String => "text".to_string(),
            DataType::Boolean => "true/false".to_string(),
            other => other.to_string(),
        };
        return Err(bad_input(format!(
            "{shown}: column {name:?} holds {what} values, not numbers{example}; {key} must name a numeric column"
        )));
    }
    let as_f64 = col.cast(&DataType::Float64)?;
    Ok(as_f64
        .f64()?
        .iter()
        .map(|v| v.filter(|x| x.is_finite()))
        .collect())
}

/// Applies the missing-value policy to every column at once (a row missing in any column
/// counts as missing). Returns how many rows were dropped or values filled. `file_rows`
/// holds each row's 0-based position among the file's data rows, for messages.
fn apply_missing(
    cols: &mut [Vec<Option<f64>>],
    policy: Missing,
    shown: &str,
    names: &[String],
    file_rows: &[usize],
    kind: FileKind,
) -> Result<usize> {
    let n = cols[0].len();
    let bad_rows: Vec<usize> = (0..n)
        .filter(|&r| cols.iter().any(|c| c[r].is_none()))
        .collect();
    if bad_rows.is_empty() {
        return Ok(0);
    }
    // "data row 13 (line 14 of the file)": rows count from 1 after the header.
    let rows_text = |first: usize, last: usize| {
        let (a, b) = (file_rows[first] + 1, file_rows[last] + 1);
        match (kind, a == b) {
            (FileKind::Csv, true) => format!("data row {a} (line {} of the file)", a + 1),
            (FileKind::Csv, false) => format!(
                "data rows {a} to {b} (lines {} to {} of the file)",
                a + 1,
                b + 1
            ),
            (FileKind::Parquet, true) => format!("row {a}"),
            (FileKind::Parquet, false) => format!("rows {a} to {b}"),
        }
    };
    let row_text = |r: usize| rows_text(r, r);
    match policy {
        Missing::Error => {
            // The column with the missing value that comes first in the file.
            let first_in = |c: &Vec<Option<f64>>| {
                (0..n)
                    .filter(|&r| c[r].is_none())
                    .min_by_key(|&r| file_rows[r])
            };
            let (ci, first) = cols
                .iter()
                .enumerate()
                .filter_map(|(ci, c)| first_in(c).map(|r| (ci, r)))
                .min_by_key(|&(ci, r)| (file_rows[r], ci))
                .expect("some row is missing");
            let count = cols[ci].iter().filter(|v| v.is_none()).count();
            let others: Vec<String> = cols
                .iter()
                .enumerate()
                .filter(|&(cj, _)| cj != ci)
                .map(|(cj, c)| (cj, c.iter().filter(|v| v.is_none()).count()))
                .filter(|&(_, k)| k > 0)
                .map(|(cj, k)| format!("{:?} has {k}", names[cj]))
                .collect();
            let others = if others.is_empty() {
                String::new()
            } else {
                format!(" (and column {})", others.join(", "))
            };
            Err(bad_input(format!(
                "{shown}: column {:?} has {count} missing value(s) (empty, null, NaN or infinite), the first at {}{others}; \
                 set missing = \"drop\" or \"interpolate\" in [data], or fix the file",
                names[ci],
                row_text(first)
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
                        let span = rows_text(start, r - 1);
                        return Err(bad_input(format!(
                            "{shown}: column {:?} is missing {} value(s) at the {} of the rows used ({span}), \
                             which interpolation cannot fill (it needs a value on both sides); \
                             trim them with rows = [start, end) or use missing = \"drop\"",
                            names[ci],
                            r - start,
                            if start == 0 { "start" } else { "end" },
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

fn fingerprint(
    series: &Series,
    source: String,
    file_bytes: Option<u64>,
    missing_handled: usize,
) -> Fingerprint {
    let mut h = Sha256::new();
    for v in series
        .values
        .iter()
        .chain(series.features.iter().flat_map(|(_, f)| f.iter()))
    {
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
