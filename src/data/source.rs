//! Reading the series: a column of a CSV or Parquet file (through polars), or a generated
//! one. Missing values are refused, dropped or interpolated as the grid file says, and the
//! values used are fingerprinted so results trained on different data can be told apart.

use std::path::Path;

use polars::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::{Missing, Source};
use crate::error::{Result, bad_input};

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
    /// The number of series of a collection (absent for a single series).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series: Option<usize>,
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
        Source::Synthetic(spec) => {
            let values = super::generate(spec);
            let origin = format!("synthetic {:?} (seed {})", spec.kind, spec.seed).to_lowercase();
            let series = Series {
                origin: origin.clone(),
                name: "value".into(),
                values: values.into(),
                features: vec![],
            };
            let fp = fingerprint(&series, origin, None, 0);
            Ok((series, fp))
        }
        Source::File(file) => {
            let mut opened = open_file(file)?;
            let shown = file.path.display().to_string();
            let df = std::mem::replace(&mut opened.df, DataFrame::empty());
            let (series, handled) = one_series(df, file, &shown, &opened, false)?;
            let fp = fingerprint(&series, shown, Some(opened.bytes), handled);
            Ok((series, fp))
        }
    }
}

/// A collection: each series with its id, in the order of their ids.
pub struct Collection {
    pub series: Vec<(String, Series)>,
    pub fingerprint: Fingerprint,
}

/// Loads every series a collection source describes (`series_column`, or a synthetic
/// `series = N`), each read, sorted, sliced and cleaned on its own as if it were the only one
/// in the file. The series come in the order of their ids, whatever the order of the rows.
pub fn load_collection(source: &Source) -> Result<Collection> {
    match source {
        Source::Synthetic(spec) => {
            let count = spec.series.unwrap_or(1);
            let width = (count.max(2) - 1).to_string().len();
            let mut series = Vec::with_capacity(count);
            for k in 0..count {
                let one = crate::config::Synthetic {
                    seed: spec.seed + k as u64,
                    series: None,
                    ..spec.clone()
                };
                let (s, _) = load_series(&Source::Synthetic(one))?;
                series.push((format!("{}_{k:0width$}", spec.kind.name()), s));
            }
            let origin = format!(
                "synthetic {} collection of {count} (seeds {} to {})",
                spec.kind.name(),
                spec.seed,
                spec.seed + count as u64 - 1
            );
            let fingerprint = collection_fingerprint(&series, origin, None, 0);
            Ok(Collection {
                series,
                fingerprint,
            })
        }
        Source::File(file) => {
            let Some(id_column) = file.series_column.as_deref() else {
                let (s, fingerprint) = load_series(source)?;
                return Ok(Collection {
                    series: vec![(s.name.clone(), s)],
                    fingerprint,
                });
            };
            let opened = open_file(file)?;
            let shown = file.path.display().to_string();
            let groups = series_rows(&opened, id_column, &shown)?;
            let mut series = Vec::with_capacity(groups.len());
            let mut handled = 0;
            for (id, rows) in groups {
                let idx = IdxCa::from_vec("idx".into(), rows);
                let part = opened.df.take(&idx)?;
                let named = format!("{shown}, series {}", quoted_id(&id));
                let (s, h) = one_series(part, file, &named, &opened, true)?;
                handled += h;
                series.push((id, s));
            }
            let fingerprint = collection_fingerprint(&series, shown, Some(opened.bytes), handled);
            Ok(Collection {
                series,
                fingerprint,
            })
        }
    }
}

/// A series id as messages show it: quoted, and cut short when long.
pub fn quoted_id(id: &str) -> String {
    if id.chars().count() > 60 {
        format!("{:?}…", id.chars().take(60).collect::<String>())
    } else {
        format!("{id:?}")
    }
}

/// A data file read in the columns the grid names, with each row's place in the file (for
/// messages) and, with `sort_by`, each row's time as a sortable key column.
struct Opened {
    df: DataFrame,
    kind: FileKind,
    bytes: u64,
    index_name: String,
    key_name: Option<String>,
}

/// Checks that `file` names a readable data file, then reads it (see [`Opened`]).
fn open_file(file: &crate::config::DataFile) -> Result<Opened> {
    let (path, column, features) = (&file.path, &file.column, &file.features);
    let sort_by = &file.sort_by;
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
    // Opening a FIFO would wait for a writer forever, and a device has no end.
    if !meta.is_file() {
        return Err(bad_input(format!(
            "{shown}: is {}, not a regular file; [data] path must name a .csv or .parquet file",
            special_file_kind(&meta)
        )));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(bad_input(format!(
            "{shown}: the file is {}, larger than the {} trendsweep reads (a table is held in memory \
             several times over while it is read); keep only the rows and columns the grid uses",
            human_bytes(meta.len()),
            human_bytes(MAX_FILE_BYTES)
        )));
    }
    let kind = FileKind::of(path)?;
    // In the order the columns are checked in: the series column and the sort key first, as
    // they are used first.
    let mut wanted: Vec<(&str, &str)> = Vec::new();
    let named = file
        .series_column
        .iter()
        .map(|k| (k, "series_column"))
        .chain(sort_by.iter().map(|k| (k, "sort_by")))
        .chain(std::iter::once((column, "column")));
    for (name, key) in named.chain(features.iter().map(|f| (f, "features"))) {
        if !wanted.iter().any(|(n, _)| n == name) {
            wanted.push((name.as_str(), key));
        }
    }
    let mut df = read_frame(path, kind, &wanted)?;
    // Where each row was in the file, so messages point at the file's own rows even
    // after sorting and slicing.
    let index_name = row_index_name(&df);
    df = df.with_row_index(index_name.as_str().into(), None)?;
    let mut key_name = None;
    if let Some(key) = sort_by {
        require_column(&df, key, &shown, "sort_by")?;
        // The whole column at once: one time type for every series of a collection.
        let order = sort_key(&df, key, file.date_format.as_deref(), &shown, kind)?;
        let name = format!("{index_name}_key");
        df.with_column(order.with_name(name.as_str().into()))?;
        key_name = Some(name);
    }
    Ok(Opened {
        df,
        kind,
        bytes: meta.len(),
        index_name,
        key_name,
    })
}

/// The rows of each series of a long-format file, by id (sorted), in file order. Refuses a
/// row without an id, naming it.
fn series_rows(
    opened: &Opened,
    id_column: &str,
    shown: &str,
) -> Result<std::collections::BTreeMap<String, Vec<IdxSize>>> {
    let df = &opened.df;
    require_column(df, id_column, shown, "series_column")?;
    let col = df.column(id_column)?;
    let ids = match col.dtype() {
        DataType::String => col.clone(),
        dtype if dtype.is_integer() => col.cast(&DataType::String)?,
        other => {
            return Err(bad_input(format!(
                "{shown}: series_column {id_column:?} holds {other} values; series ids must be text \
                 or whole numbers"
            )));
        }
    };
    let mut groups: std::collections::BTreeMap<String, Vec<IdxSize>> = Default::default();
    for (r, id) in ids.str()?.iter().enumerate() {
        match id {
            Some(id) if !id.trim().is_empty() => {
                groups.entry(id.to_string()).or_default().push(r as IdxSize)
            }
            _ => {
                return Err(bad_input(format!(
                    "{shown}: series_column {id_column:?} is empty at {}; every row needs the id of \
                     the series it belongs to: fill it in, or remove the row",
                    rows_text(opened.kind, r, r)
                )));
            }
        }
    }
    if groups.is_empty() {
        return Err(bad_input(format!(
            "{shown}: the file has no rows, so no series; a collection needs rows of \
             series_column {id_column:?}, the time and the value"
        )));
    }
    Ok(groups)
}

/// One series from `df` (rows of the file with their file row index and sort key): sorted
/// by time, sliced by `rows`, its columns read and its missing values handled. A series of a
/// collection (`collection`) may not repeat a time, and `rows` past its end keeps what it has.
fn one_series(
    mut df: DataFrame,
    file: &crate::config::DataFile,
    shown: &str,
    opened: &Opened,
    collection: bool,
) -> Result<(Series, usize)> {
    let (column, features) = (&file.column, &file.features);
    let (index_name, kind) = (&opened.index_name, opened.kind);
    if let (Some(key), Some(key_name)) = (&file.sort_by, &opened.key_name) {
        df = df
            .sort(
                [key_name.as_str()],
                SortMultipleOptions::default().with_maintain_order(true),
            )
            .map_err(|e| {
                bad_input(format!(
                    "{shown}: cannot sort by {key:?}: {}",
                    one_line(&e.to_string())
                ))
            })?;
        if collection {
            refuse_repeated_times(&df, key, key_name, index_name, shown, kind)?;
        }
        df = df.drop(key_name)?;
    }
    if let Some((start, end)) = file.rows {
        if end > df.height() && !collection {
            return Err(bad_input(format!(
                "{shown}: rows = [{start}, {end}) reaches past the file's {} rows; the end can be at most {}",
                df.height(),
                df.height()
            )));
        }
        let end = end.min(df.height());
        df = df.slice(start as i64, end.saturating_sub(start));
    }
    let file_rows = file_rows_of(&df, index_name)?;
    let df = df.drop(index_name)?;
    let mut cols = vec![read_column(&df, column, shown, "column", &file_rows, kind)?];
    for f in features {
        cols.push(read_column(&df, f, shown, "features", &file_rows, kind)?);
    }
    let names: Vec<String> = std::iter::once(column).chain(features).cloned().collect();
    let handled = apply_missing(&mut cols, file.missing, shown, &names, &file_rows, kind)?;
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
        origin: shown.to_string(),
        name: column.clone(),
        values: values.into(),
        features: feature_values,
    };
    Ok((series, handled))
}

/// Each row's 0-based data row in the file, from the row index column `index_name`.
fn file_rows_of(df: &DataFrame, index_name: &str) -> Result<Vec<usize>> {
    Ok(df
        .column(index_name)?
        .cast(&DataType::UInt64)?
        .u64()?
        .into_no_null_iter()
        .map(|r| r as usize)
        .collect())
}

/// Refuses a series (already sorted by `key_name`) in which two rows have the same time,
/// naming both rows.
fn refuse_repeated_times(
    df: &DataFrame,
    key: &str,
    key_name: &str,
    index_name: &str,
    shown: &str,
    kind: FileKind,
) -> Result<()> {
    let times = df.column(key_name)?;
    let as_bits: Vec<Option<i128>> = match times.dtype() {
        DataType::Float32 | DataType::Float64 => times
            .cast(&DataType::Float64)?
            .f64()?
            .iter()
            .map(|v| v.map(|x| x.to_bits() as i128))
            .collect(),
        _ => times
            .cast(&DataType::Int64)?
            .i64()?
            .iter()
            .map(|v| v.map(i128::from))
            .collect(),
    };
    let file_rows = file_rows_of(df, index_name)?;
    if let Some(i) =
        (1..as_bits.len()).find(|&i| as_bits[i].is_some() && as_bits[i] == as_bits[i - 1])
    {
        let (a, b) = (
            file_rows[i - 1].min(file_rows[i]),
            file_rows[i - 1].max(file_rows[i]),
        );
        let shown_time = df
            .column(key)
            .ok()
            .and_then(|c| c.get(i).ok())
            .map_or_else(String::new, |v| {
                format!(" {}", v.to_string().trim_matches('"'))
            });
        return Err(bad_input(format!(
            "{shown}: two rows have the same {key}{shown_time} ({} and {}); a series has one value \
             per time: remove or merge the duplicate",
            rows_text(kind, a, a),
            rows_text(kind, b, b)
        )));
    }
    Ok(())
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

/// The largest data file read. Polars holds a table several times over while it reads it
/// (the file's bytes, the parsed columns, then the copies sorting and slicing make), so a
/// file of a few GiB can take all of a machine's memory before anything else fails.
pub const MAX_FILE_BYTES: u64 = 1 << 30;

fn human_bytes(n: u64) -> String {
    format!("{} ({n} bytes)", crate::console::human(n))
}

/// What a path that is neither a directory nor a regular file is, for the refusal.
fn special_file_kind(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
    }
    let _ = meta;
    "a special file"
}

/// Runs a polars reader, turning a panic inside it into an error (its message): a file
/// polars cannot cope with is bad input, not a crash. The panic itself is not printed.
fn without_panics<T>(f: impl FnOnce() -> T) -> std::result::Result<T, String> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    std::panic::set_hook(hook);
    result.map_err(|payload| {
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "an internal error".to_string())
    })
}

/// The types of Parquet column trendsweep reads: numbers for values, and also dates,
/// date-times and text (to be parsed as dates) for the sort key.
fn parquet_type_ok(dtype: &ArrowDataType, key: &str) -> bool {
    use ArrowDataType as A;
    let number = matches!(
        dtype,
        A::Null
            | A::Boolean
            | A::Int8
            | A::Int16
            | A::Int32
            | A::Int64
            | A::UInt8
            | A::UInt16
            | A::UInt32
            | A::UInt64
            | A::Float32
            | A::Float64
            | A::Utf8
            | A::LargeUtf8
            | A::Utf8View
    );
    let time = matches!(dtype, A::Date32 | A::Date64 | A::Timestamp(_, None));
    number || (key == "sort_by" && time)
}

/// How a message names the column a grid key chose: "the target column" for `column`,
/// "the time column (sort_by)", "the feature column (features)".
fn column_role(key: &str) -> String {
    match key {
        "column" => "the target column".into(),
        "sort_by" => "the time column (sort_by)".into(),
        "features" => "the feature column (features)".into(),
        "series_column" => "the series column (series_column)".into(),
        other => format!("the {other} column"),
    }
}

fn arrow_type_name(dtype: &ArrowDataType) -> String {
    match dtype {
        ArrowDataType::Decimal(p, s) => format!("Decimal({p}, {s})"),
        ArrowDataType::Timestamp(unit, Some(tz)) => format!("Timestamp({unit:?}, time zone {tz})"),
        other => format!("{other:?}"),
    }
}

/// Reads the columns `wanted` names (with the grid key naming each, for messages) from the
/// file. A Parquet file is read only in those columns, so a column of a type trendsweep
/// cannot read elsewhere in the file does not matter.
fn read_frame(path: &Path, kind: FileKind, wanted: &[(&str, &str)]) -> Result<DataFrame> {
    let shown = path.display().to_string();
    let file = std::fs::File::open(path)
        .map_err(|e| bad_input(format!("{shown}: cannot read data file: {e}")))?;
    let advice = match kind {
        FileKind::Csv => {
            "a CSV file needs a header row naming its columns and the same number of \
             comma-separated fields on every line"
        }
        FileKind::Parquet => "give a file written as Parquet (a CSV file needs the .csv extension)",
    };
    let invalid = |msg: String| {
        bad_input(format!(
            "{shown}: not a valid {} file: {}; {advice}",
            kind.name(),
            one_line(&msg)
        ))
    };
    let fail = |why: String| {
        bad_input(format!(
            "{shown}: the {} reader failed on this file ({}); {advice}",
            kind.name(),
            one_line(&why)
        ))
    };
    let read = |result: std::result::Result<PolarsResult<DataFrame>, String>| match result {
        Ok(Ok(df)) => Ok(df),
        Ok(Err(e)) => Err(invalid(e.to_string())),
        Err(why) => Err(fail(why)),
    };
    match kind {
        // The whole file decides each column's type, so a stray word far down a column makes
        // it a text column (read as numbers or refused below, naming the row) rather than a
        // parse error.
        FileKind::Csv => {
            check_csv_start(&file, &shown)?;
            let blank_tail = trailing_blank_lines(&file, &shown)?;
            let df = read(without_panics(|| {
                CsvReadOptions::default()
                    .with_has_header(true)
                    .with_infer_schema_length(None)
                    .into_reader_with_file_handle(file)
                    .finish()
            }))?;
            // Blank lines at the end (an editor's extra newlines) are not rows of missing values.
            let height = df.height();
            let df = if blank_tail > 0
                && blank_tail <= height
                && df
                    .slice((height - blank_tail) as i64, blank_tail)
                    .columns()
                    .iter()
                    .all(|c| c.null_count() == blank_tail)
            {
                df.slice(0, height - blank_tail)
            } else {
                df
            };
            check_csv_header(df, &shown, wanted)
        }
        FileKind::Parquet => {
            let mut reader = ParquetReader::new(file);
            let schema = match without_panics(|| reader.schema()) {
                Ok(Ok(schema)) => schema,
                Ok(Err(e)) => return Err(invalid(e.to_string())),
                Err(why) => return Err(fail(why)),
            };
            let names: Vec<String> = schema.iter().map(|(n, _)| n.to_string()).collect();
            for &(name, key) in wanted {
                let Some(field) = schema.get(name) else {
                    return Err(missing_column(&shown, key, name, &names));
                };
                if !parquet_type_ok(&field.dtype, key) {
                    let valid = if key == "sort_by" {
                        "numbers, dates, date-times without a time zone, or text dates"
                    } else {
                        "integers or floating-point numbers (Float32 or Float64)"
                    };
                    return Err(bad_input(format!(
                        "{shown}: {} {name:?} has Parquet type {}, which trendsweep does not read; \
                         it reads {valid}: convert the column when writing the file",
                        column_role(key),
                        arrow_type_name(&field.dtype)
                    )));
                }
            }
            let columns = wanted.iter().map(|(n, _)| n.to_string()).collect();
            read(without_panics(move || {
                reader.with_columns(Some(columns)).finish()
            }))
        }
    }
}

/// The longest header line read. Polars takes a file's first line whole as the header, so a
/// file of binary data (or of zeros, as `truncate` makes) would become one enormous column
/// name, several times its size in memory, before any other check could refuse it.
const MAX_HEADER_BYTES: usize = 1 << 20;

/// Refuses a CSV file whose first line is not a plausible header: longer than
/// `MAX_HEADER_BYTES`, or holding NUL bytes (which no text file has).
fn check_csv_start(file: &std::fs::File, shown: &str) -> Result<()> {
    use std::io::{Read, Seek};
    let mut start = Vec::with_capacity(MAX_HEADER_BYTES);
    let mut reader = file;
    reader
        .take(MAX_HEADER_BYTES as u64 + 1)
        .read_to_end(&mut start)
        .map_err(|e| bad_input(format!("{shown}: cannot read data file: {e}")))?;
    reader
        .seek(std::io::SeekFrom::Start(0))
        .map_err(|e| bad_input(format!("{shown}: cannot read data file: {e}")))?;
    let header = match start.iter().position(|&b| b == b'\n') {
        Some(end) => &start[..end],
        None if start.len() > MAX_HEADER_BYTES => {
            return Err(bad_input(format!(
                "{shown}: not a valid CSV file: its first line is longer than {} MiB, so it is not a header row; \
                 a CSV file needs a header row naming its columns",
                MAX_HEADER_BYTES >> 20
            )));
        }
        None => &start[..],
    };
    if let Some(cr) = header.iter().position(|&b| b == b'\r')
        && cr + 1 < header.len()
    {
        return Err(bad_input(format!(
            "{shown}: not a valid CSV file: its lines end in a carriage return alone (as old Mac files do), \
             so the whole file reads as one header line; save it with newline (LF or CRLF) line endings"
        )));
    }
    if header.contains(&0) {
        return Err(bad_input(format!(
            "{shown}: not a valid CSV file: its first line holds NUL bytes, as binary data does, not text; \
             a CSV file needs a header row naming its columns"
        )));
    }
    Ok(())
}

/// How many lines at the end of the file are blank, past the last line's own newline.
fn trailing_blank_lines(file: &std::fs::File, shown: &str) -> Result<usize> {
    use std::io::{Read, Seek, SeekFrom};
    let io = |e: std::io::Error| bad_input(format!("{shown}: cannot read data file: {e}"));
    let mut reader = file;
    let len = reader.seek(SeekFrom::End(0)).map_err(io)?;
    let tail_len = len.min(64 * 1024);
    reader.seek(SeekFrom::Start(len - tail_len)).map_err(io)?;
    let mut tail = Vec::with_capacity(tail_len as usize);
    reader.take(tail_len).read_to_end(&mut tail).map_err(io)?;
    reader.seek(SeekFrom::Start(0)).map_err(io)?;
    let text = String::from_utf8_lossy(&tail);
    let mut lines: Vec<&str> = text.split('\n').collect();
    // The piece after the last newline: empty when the file ends with one.
    if lines.last().is_some_and(|l| l.trim().is_empty()) {
        lines.pop();
    }
    let blank = lines
        .iter()
        .rev()
        .take_while(|l| l.trim().is_empty())
        .count();
    // All blank (a tail of only newlines) says nothing about where the data ends.
    Ok(if blank == lines.len() { 0 } else { blank })
}

/// A CSV file's column names as the grid sees them: a byte-order mark before the first is
/// not part of its name. A header that holds the named columns joined by `;` or a tab is
/// a file with another separator, which the refusal then says.
fn check_csv_header(mut df: DataFrame, shown: &str, wanted: &[(&str, &str)]) -> Result<DataFrame> {
    if let Some(first) = df.get_column_names().first().map(|n| n.to_string())
        && let Some(stripped) = first.strip_prefix('\u{feff}')
    {
        df.rename(&first, stripped.into())?;
    }
    let names: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    for &(name, key) in wanted {
        if names.iter().any(|n| n == name) {
            // Polars renames a repeated column name, which would leave the choice of column
            // to chance: the grid could mean either.
            let copies = names.iter().filter(|n| {
                n.strip_prefix(name)
                    .is_some_and(|rest| rest.starts_with("_duplicated_"))
            });
            let count = copies.count();
            if count > 0 {
                return Err(bad_input(format!(
                    "{shown}: the header names {} columns {name:?}, which {key} = {name:?} cannot tell apart; \
                     give each column its own name",
                    count + 1
                )));
            }
            continue;
        }
        for sep in [';', '\t', '|'] {
            if names
                .iter()
                .any(|n| n.split(sep).any(|part| part.trim_matches('"') == name))
            {
                let shown_sep = if sep == '\t' {
                    "tabs".to_string()
                } else {
                    format!("\"{sep}\"")
                };
                return Err(bad_input(format!(
                    "{shown}: the header {:?} seems to separate its columns by {shown_sep}; \
                     trendsweep reads comma-separated CSV files, so {key} = {name:?} was not found: \
                     write the file with commas between fields",
                    names.join(",")
                )));
            }
        }
    }
    Ok(df)
}

/// Fields of a strftime format that are a time of day, so the format reads date-times.
const TIME_FIELDS: [&str; 13] = [
    "%H", "%I", "%k", "%l", "%M", "%S", "%T", "%R", "%X", "%r", "%p", "%P", "%f",
];

/// Checks a `[data] date_format` before any file is read: it must go with a sort_by column,
/// contain strftime fields, and not ask for time zones (which would order instants by
/// local time). The error is the reason, for the grid file's message.
pub fn check_date_format(format: &str, has_sort_by: bool) -> std::result::Result<(), String> {
    if !has_sort_by {
        return Err(
            "only says how the sort_by column's dates are written, and no sort_by is set; \
                    set sort_by to the date column, or remove date_format"
                .into(),
        );
    }
    if !format.contains('%') {
        return Err(
            "has no strftime fields; write it as, for example, \"%d/%m/%Y\" or \"%m/%d/%Y %H:%M\""
                .into(),
        );
    }
    if ["%z", "%Z", "%:z", "%#z", "%+", "%s"]
        .iter()
        .any(|f| format.contains(f))
    {
        return Err(
            "time zones and Unix timestamps are not supported; give local dates and times \
                    (%Y, %m, %d, %H, %M, %S, ...), or a numeric sort_by column"
                .into(),
        );
    }
    Ok(())
}

/// The formats tried, in order, on a text sort key without date_format: ISO 8601 dates and
/// date-times (with `T` or a space, with or without seconds and fractions).
const ISO_FORMATS: [&str; 5] = [
    "%Y-%m-%d",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
];

/// The values rows are ordered by: a numeric, date or date-time column as it is, and a text
/// column parsed as dates (ISO 8601, or `date_format`). Text is never ordered as text: "01/02/2021"
/// sorts before "31/01/2020". A row without a key, or with text that is not a date in the
/// format, is refused, naming it.
fn sort_key(
    df: &DataFrame,
    key: &str,
    date_format: Option<&str>,
    shown: &str,
    kind: FileKind,
) -> Result<Column> {
    let col = df.column(key)?;
    let dtype = col.dtype().clone();
    let typed =
        dtype.is_primitive_numeric() || matches!(dtype, DataType::Date | DataType::Datetime(_, _));
    let parsed = if typed {
        if let Some(format) = date_format {
            let what = if dtype.is_primitive_numeric() {
                "numbers"
            } else {
                "dates already"
            };
            return Err(bad_input(format!(
                "{shown}: date_format = {format:?} is set, but sort_by column {key:?} holds {what}, \
                 not text; date_format only applies to dates written as text: remove it"
            )));
        }
        col.clone()
    } else if dtype == DataType::String {
        // Spaces around a date are not part of it (a CSV cell written as "2020-01-31 ").
        let trimmed: StringChunked = col.str()?.iter().map(|v| v.map(str::trim)).collect();
        parse_dates(
            &trimmed.with_name(key.into()),
            key,
            date_format,
            shown,
            kind,
        )?
    } else {
        let what = match &dtype {
            DataType::Boolean => "true/false".to_string(),
            other => other.to_string(),
        };
        return Err(bad_input(format!(
            "{shown}: sort_by column {key:?} holds {what} values; sort_by must name a column of numbers, \
             dates, or dates written as text"
        )));
    };
    // NaN has no place in time either.
    let nan = match parsed.dtype() {
        DataType::Float32 | DataType::Float64 => parsed
            .cast(&DataType::Float64)?
            .f64()?
            .iter()
            .map(|v| v.is_some_and(f64::is_nan))
            .collect(),
        _ => vec![false; parsed.len()],
    };
    let missing = parsed
        .is_null()
        .iter()
        .zip(nan)
        .position(|(null, nan)| null == Some(true) || nan);
    if let Some(row) = missing {
        return Err(bad_input(format!(
            "{shown}: sort_by column {key:?} has no value at {}; every row needs one to be put in order: \
             fill it in, or remove the row",
            rows_text(kind, row, row)
        )));
    }
    Ok(parsed)
}

/// Parses a text sort key with `date_format`, or else with the first ISO format that reads
/// every row.
fn parse_dates(
    text: &StringChunked,
    key: &str,
    date_format: Option<&str>,
    shown: &str,
    kind: FileKind,
) -> Result<Column> {
    let parse = |format: &str| -> Result<Column> {
        let is_datetime = TIME_FIELDS.iter().any(|f| format.contains(f)) || format.contains("%.f");
        let result = without_panics(|| {
            if is_datetime {
                let ambiguous = StringChunked::from_slice("ambiguous".into(), &["raise"]);
                text.as_datetime(
                    Some(format),
                    TimeUnit::Microseconds,
                    false,
                    false,
                    None,
                    &ambiguous,
                )
                .map(|c| c.into_column())
            } else {
                text.as_date(Some(format), false).map(|c| c.into_column())
            }
        });
        match result {
            Ok(Ok(col)) => Ok(col),
            Ok(Err(e)) => Err(bad_input(format!(
                "{shown}: date_format = {format:?} cannot be used: {}",
                one_line(&e.to_string())
            ))),
            Err(why) => Err(bad_input(format!(
                "{shown}: date_format = {format:?} cannot be used: {}",
                one_line(&why)
            ))),
        }
    };
    // The first row (0-based) that has text the format does not read.
    let first_unread = |parsed: &Column| -> Option<usize> {
        let parsed_null = parsed.is_null();
        text.iter()
            .zip(parsed_null.iter())
            .position(|(t, n)| t.is_some_and(|t| !t.trim().is_empty()) && n == Some(true))
    };
    let example =
        |row: usize| -> String { text.get(row).unwrap_or_default().chars().take(60).collect() };
    if let Some(format) = date_format {
        let parsed = parse(format)?;
        if let Some(row) = first_unread(&parsed) {
            return Err(bad_input(format!(
                "{shown}: sort_by column {key:?} at {} is {:?}, which is not a date in date_format = {format:?}; \
                 fix the row, or set date_format to the format the column is written in",
                rows_text(kind, row, row),
                example(row)
            )));
        }
        return Ok(parsed);
    }
    // Among the ISO formats, the one that reads every row; failing that, the one that reads
    // the most, whose first unread row the message names.
    let mut best: Option<(usize, usize)> = None;
    for format in ISO_FORMATS {
        let parsed = parse(format)?;
        let Some(row) = first_unread(&parsed) else {
            return Ok(parsed);
        };
        let read = parsed.len() - parsed.null_count();
        if best.is_none_or(|(most, _)| read > most) {
            best = Some((read, row));
        }
    }
    let (_, row) = best.expect("ISO_FORMATS is not empty");
    Err(bad_input(format!(
        "{shown}: sort_by column {key:?} at {} is {:?}, which is not an ISO 8601 date or date-time \
         (like 2020-01-31 or 2020-01-31 14:30:00), and text is not sorted as text; set [data] date_format to the \
         format the column is written in (e.g. \"%d/%m/%Y\")",
        rows_text(kind, row, row),
        example(row)
    )))
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
        return Err(missing_column(shown, key, name, &names));
    }
    Ok(())
}

fn missing_column(shown: &str, key: &str, name: &str, names: &[String]) -> crate::error::Error {
    bad_input(format!(
        "{shown}: {key} = {name:?} is not a column of this file; its columns are: {}",
        names.join(", ")
    ))
}

/// How a row is named in messages: "data row 13 (line 14 of the file)" for a CSV file,
/// "row 13" for Parquet. `first` and `last` are 0-based data rows of the file.
fn rows_text(kind: FileKind, first: usize, last: usize) -> String {
    let (a, b) = (first + 1, last + 1);
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
}

/// Cells that mean "no value" in the files people export: R's `NA`, pandas' `NaN` and
/// `None`, SQL's `null`, spreadsheets' `N/A`. Compared after trimming, ignoring case.
const MISSING_MARKERS: [&str; 5] = ["na", "n/a", "null", "nan", "none"];

/// Text as a value: `None` for an empty cell or a missing-value marker, `Some(None)` for
/// text that is not a number.
fn parse_cell(text: &str) -> Option<Option<f64>> {
    let t = text.trim();
    if t.is_empty() || MISSING_MARKERS.iter().any(|m| t.eq_ignore_ascii_case(m)) {
        return None;
    }
    Some(t.parse::<f64>().ok())
}

/// The column as f64, with nulls, missing-value markers, NaN and infinities as `None`.
/// `file_rows` holds each row's 0-based data row in the file, for messages.
fn read_column(
    df: &DataFrame,
    name: &str,
    shown: &str,
    key: &str,
    file_rows: &[usize],
    kind: FileKind,
) -> Result<Vec<Option<f64>>> {
    require_column(df, name, shown, key)?;
    let col = df.column(name)?;
    // A column with no values at all has no type to infer (a CSV reader calls it text).
    if col.null_count() == col.len() {
        return Ok(vec![None; col.len()]);
    }
    if col.dtype() == &DataType::String {
        // Text that is numbers and missing-value markers (a CSV column with `NA` in it, or
        // quoted numbers) is read as such; a word that is neither is refused, naming it.
        let mut out = Vec::with_capacity(col.len());
        let mut first_word: Option<(usize, String)> = None;
        for (r, cell) in col.str()?.iter().enumerate() {
            match cell.and_then(parse_cell) {
                None => out.push(None),
                Some(Some(v)) => out.push(Some(v).filter(|x| x.is_finite())),
                Some(None) => {
                    if first_word.as_ref().is_none_or(|(fr, _)| file_rows[r] < *fr) {
                        first_word = Some((file_rows[r], cell.unwrap_or_default().to_string()));
                    }
                    out.push(None);
                }
            }
        }
        if let Some((row, word)) = first_word {
            let word: String = word.chars().take(60).collect();
            return Err(bad_input(format!(
                "{shown}: column {name:?} holds text values, not numbers ({} is {word:?}); \
                 {key} must name a numeric column (empty cells and NA, N/A, null, NaN, None count as missing)",
                rows_text(kind, row, row)
            )));
        }
        return Ok(out);
    }
    if !col.dtype().is_primitive_numeric() {
        let what = match col.dtype() {
            DataType::Boolean => "true/false".to_string(),
            other => other.to_string(),
        };
        return Err(bad_input(format!(
            "{shown}: column {name:?} holds {what} values, not numbers; {key} must name a numeric column"
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
    let rows_text = |first: usize, last: usize| rows_text(kind, file_rows[first], file_rows[last]);
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
                "{shown}: column {:?} has {count} missing value(s) (empty, NA, N/A, null, NaN, None or infinite), \
                 the first at {}{others}; missing = \"error\" refuses them: set missing = \"drop\" (remove those rows) \
                 or \"interpolate\" (fill them from their neighbours) in [data], or fix the file",
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

/// Feeds a series' values (target, then features) to `h`, as little-endian f64.
fn hash_values(h: &mut Sha256, series: &Series) {
    for v in series
        .values
        .iter()
        .chain(series.features.iter().flat_map(|(_, f)| f.iter()))
    {
        h.update(v.to_le_bytes());
    }
}

fn fingerprint(
    series: &Series,
    source: String,
    file_bytes: Option<u64>,
    missing_handled: usize,
) -> Fingerprint {
    let mut h = Sha256::new();
    hash_values(&mut h, series);
    Fingerprint {
        source,
        file_bytes,
        rows: series.values.len(),
        values_sha256: hex(&h.finalize()),
        missing_handled,
        series: None,
    }
}

/// A digest as lowercase hexadecimal.
fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The fingerprint of a collection: every series' id, length and values, in id order.
fn collection_fingerprint(
    series: &[(String, Series)],
    source: String,
    file_bytes: Option<u64>,
    missing_handled: usize,
) -> Fingerprint {
    let mut h = Sha256::new();
    for (id, s) in series {
        h.update((id.len() as u64).to_le_bytes());
        h.update(id.as_bytes());
        h.update((s.values.len() as u64).to_le_bytes());
        hash_values(&mut h, s);
    }
    Fingerprint {
        source,
        file_bytes,
        rows: series.iter().map(|(_, s)| s.values.len()).sum(),
        values_sha256: hex(&h.finalize()),
        missing_handled,
        series: Some(series.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_in_a_reader_becomes_its_message() {
        let caught = without_panics(|| -> u32 { panic!("activate 'dtype-x' feature") });
        assert_eq!(caught, Err("activate 'dtype-x' feature".to_string()));
        assert_eq!(without_panics(|| 7), Ok(7));
    }

    #[test]
    fn missing_value_markers_and_numbers_in_text() {
        for marker in [
            "", " ", "NA", "n/a", "N/A", "null", "NULL", "NaN", "nan", "None",
        ] {
            assert_eq!(parse_cell(marker), None, "{marker:?}");
        }
        assert_eq!(parse_cell(" 1.5 "), Some(Some(1.5)));
        assert_eq!(parse_cell("1e3"), Some(Some(1000.0)));
        assert_eq!(parse_cell("oops"), Some(None));
        assert_eq!(parse_cell("1,5"), Some(None));
    }
}
