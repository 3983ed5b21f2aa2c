//! `baselines.csv`: the baselines' figures, one row per baseline and window, written by the
//! sweep beside its journal and read back by a rerun (which keeps other windows' rows) and
//! by the report.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use polars::prelude::{
    Column, CsvReadOptions, DataFrame, DataType, Expr, Field, IntoLazy, NULL, ParquetReader,
    PolarsResult, Schema, SerReader, SortMultipleOptions, UnionArgs, col, concat, lit,
};

use super::records::{BaselineRow, EvaluationSamples};
use super::{BASELINES_CSV, EVALUATION_PARQUET, SERIES, int, write_csv, write_parquet};

use crate::error::{Context, Result};

/// The baselines table, sorted by (window, baseline).
pub fn baselines_frame(rows: &[BaselineRow]) -> PolarsResult<DataFrame> {
    // Test columns only when there were test samples: an empty column would read as a
    // measurement of nothing.
    let tested = rows
        .iter()
        .any(|r| r.test_mse.is_some() || r.test_trend_acc.is_some());
    let mut sorted: Vec<&BaselineRow> = rows.iter().collect();
    sorted.sort_by(|a, b| {
        a.series
            .cmp(&b.series)
            .then_with(|| a.window.cmp(&b.window))
            .then_with(|| a.baseline.cmp(&b.baseline))
    });
    let mut columns = Vec::new();
    // A collection's rows name their series, first.
    if sorted.iter().any(|r| r.series.is_some()) {
        columns.push(Column::new(
            "series".into(),
            sorted
                .iter()
                .map(|r| r.series.as_deref())
                .collect::<Vec<_>>(),
        ));
    }
    columns.extend([
        Column::new(
            "baseline".into(),
            sorted
                .iter()
                .map(|r| r.baseline.as_str())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "window".into(),
            sorted
                .iter()
                .map(|r| int(r.window, "window"))
                .collect::<PolarsResult<Vec<i64>>>()?,
        ),
        Column::new(
            "train_mse".into(),
            sorted.iter().map(|r| r.train_mse).collect::<Vec<_>>(),
        ),
        Column::new(
            "val_mse".into(),
            sorted.iter().map(|r| r.val_mse).collect::<Vec<_>>(),
        ),
        Column::new(
            "val_trend_acc".into(),
            sorted.iter().map(|r| r.val_trend_acc).collect::<Vec<_>>(),
        ),
    ]);
    let figure = |name: &str, f: fn(&BaselineRow) -> Option<f64>| {
        Column::new(name.into(), sorted.iter().map(|r| f(r)).collect::<Vec<_>>())
    };
    columns.extend([
        figure("val_mase", |r| r.val_mase),
        figure("val_smape", |r| r.val_smape),
        figure("val_rel_mse", |r| r.val_rel_mse),
    ]);
    if tested {
        columns.extend([
            figure("test_mse", |r| r.test_mse),
            figure("test_trend_acc", |r| r.test_trend_acc),
            figure("test_mase", |r| r.test_mase),
            figure("test_smape", |r| r.test_smape),
            figure("test_rel_mse", |r| r.test_rel_mse),
        ]);
    }
    DataFrame::new_infer_height(columns)
}

/// Writes `baseline_folds.csv`: the baselines' figures on each fold, `fold` after `window`.
pub fn write_baseline_folds(dir: &Path, folds: &[Vec<BaselineRow>]) -> Result<()> {
    let mut frames = Vec::new();
    for (fold, rows) in folds.iter().enumerate() {
        let mut df = baselines_frame(rows).context("cannot build the per-fold baselines")?;
        let n = df.height();
        let at = df.get_column_index("window").map_or(0, |i| i + 1);
        df.insert_column(at, Column::new("fold".into(), vec![fold as i64; n]))
            .context("cannot build the per-fold baselines")?;
        frames.push(df);
    }
    let mut all = match frames.split_first() {
        Some((first, rest)) => {
            let mut all = first.clone();
            for df in rest {
                all.vstack_mut(df)
                    .context("cannot build the per-fold baselines")?;
            }
            all
        }
        None => return Ok(()),
    };
    write_csv(&dir.join(super::BASELINE_FOLDS_CSV), &mut all)
}

/// The mean over folds of each baseline's figures (each fold's rows in the same order):
/// what the tables compare the trials' fold means with. Test figures are the last fold's,
/// as the trials' are.
pub fn fold_means(folds: &[Vec<BaselineRow>]) -> Vec<BaselineRow> {
    let Some(last) = folds.last() else {
        return Vec::new();
    };
    let mean = |values: Vec<Option<f64>>| -> Option<f64> {
        let n = values.len() as f64;
        values
            .into_iter()
            .collect::<Option<Vec<f64>>>()
            .map(|v| v.iter().sum::<f64>() / n)
    };
    let mut rows: Vec<BaselineRow> = last
        .iter()
        .enumerate()
        .map(|(i, row)| BaselineRow {
            train_mse: mean(folds.iter().map(|f| f[i].train_mse).collect()),
            val_mse: mean(folds.iter().map(|f| f[i].val_mse).collect()),
            val_trend_acc: mean(folds.iter().map(|f| f[i].val_trend_acc).collect()),
            val_mase: mean(folds.iter().map(|f| f[i].val_mase).collect()),
            val_smape: mean(folds.iter().map(|f| f[i].val_smape).collect()),
            ..row.clone()
        })
        .collect();
    // Relative MSE of the fold means, as the trials' is of theirs.
    crate::model::baselines::set_relative_mse(&mut rows);
    rows
}

/// Writes `baselines.csv` into `dir`, sorted by (window, baseline).
pub fn write_baselines(dir: &Path, rows: &[BaselineRow]) -> Result<()> {
    let mut df = baselines_frame(rows).context("cannot build the baselines table")?;
    write_csv(&dir.join(BASELINES_CSV), &mut df)?;
    write_parquet(&dir.join(super::BASELINES_PARQUET), &mut df)
}

/// The dtypes `baselines.csv` is read with, by name: inference would make `window` an i64 and
/// an all-integer MSE column an integer.
pub fn baselines_schema() -> Schema {
    Schema::from_iter([
        Field::new("baseline".into(), DataType::String),
        Field::new("window".into(), DataType::Int64),
        Field::new("train_mse".into(), DataType::Float64),
        Field::new("val_mse".into(), DataType::Float64),
        Field::new("val_trend_acc".into(), DataType::Float64),
        Field::new("val_mase".into(), DataType::Float64),
        Field::new("val_smape".into(), DataType::Float64),
        Field::new("val_rel_mse".into(), DataType::Float64),
        Field::new("test_mse".into(), DataType::Float64),
        Field::new("test_trend_acc".into(), DataType::Float64),
        Field::new("test_mase".into(), DataType::Float64),
        Field::new("test_smape".into(), DataType::Float64),
        Field::new("test_rel_mse".into(), DataType::Float64),
    ])
}

/// Columns of `baselines.csv` that a file may lack (no test samples, or written before
/// MASE, sMAPE and relative MSE): read as empty.
fn optional_column(name: &str) -> bool {
    name.starts_with("test_")
        || name.ends_with("_mase")
        || name.ends_with("_smape")
        || name.ends_with("_rel_mse")
}

/// Reads `baselines.csv` from `dir` as it is, every column it has, with the canonical dtypes
/// where it has them and a collection's `series` as text (so ids that look like numbers keep
/// their spelling).
pub fn read_baselines_file(dir: &Path) -> Result<DataFrame> {
    let path = dir.join(BASELINES_CSV);
    let mut schema = baselines_schema();
    schema.insert(SERIES.into(), DataType::String);
    CsvReadOptions::default()
        .with_has_header(true)
        .with_schema_overwrite(Some(Arc::new(schema)))
        .try_into_reader_with_file_path(Some(path.clone()))
        .and_then(|r| r.finish())
        .with_context(|| format!("cannot read {}", path.display()))
}

/// Reads `baselines.csv` from `dir` as a frame with the canonical columns and dtypes.
pub fn read_baselines_frame(dir: &Path) -> Result<DataFrame> {
    canonical(read_baselines_file(dir)?, &dir.join(BASELINES_CSV))
}

/// The canonical columns of the baselines table `df` read from `path`.
fn canonical(df: DataFrame, path: &Path) -> Result<DataFrame> {
    let schema = baselines_schema();
    let names: Vec<&str> = schema.iter_names().map(|n| n.as_str()).collect();
    // Without test samples the test columns are left out of the file, and files written
    // before MASE lack it: read them as empty.
    let present = df.get_column_names_owned();
    let exprs: Vec<Expr> = schema
        .iter()
        .map(|(name, dtype)| {
            if optional_column(name) && !present.contains(name) {
                lit(NULL).cast(dtype.clone()).alias(name.clone())
            } else {
                col(name.clone()).strict_cast(dtype.clone())
            }
        })
        .collect();
    df.lazy()
        .select(exprs)
        .collect()
        .with_context(|| format!("{} lacks a column among {names:?}", path.display()))
}

/// Reads `baselines.csv` from `dir` back into rows.
pub fn read_baselines(dir: &Path) -> Result<Vec<BaselineRow>> {
    let path = dir.join(BASELINES_CSV);
    let file = read_baselines_file(dir)?;
    // A collection's series, one per row (none for a single series' table).
    let series: Option<Vec<Option<String>>> = match file.column(SERIES) {
        Ok(c) => Some(c.str()?.iter().map(|v| v.map(str::to_string)).collect()),
        Err(_) => None,
    };
    let df = canonical(file, &path)?;
    let baseline = df.column("baseline")?.str()?;
    let window = df.column("window")?.i64()?;
    let train_mse = df.column("train_mse")?.f64()?;
    let val_mse = df.column("val_mse")?.f64()?;
    let val_trend_acc = df.column("val_trend_acc")?.f64()?;
    let val_mase = df.column("val_mase")?.f64()?;
    let val_smape = df.column("val_smape")?.f64()?;
    let val_rel_mse = df.column("val_rel_mse")?.f64()?;
    let test_mse = df.column("test_mse")?.f64()?;
    let test_trend_acc = df.column("test_trend_acc")?.f64()?;
    let test_mase = df.column("test_mase")?.f64()?;
    let test_smape = df.column("test_smape")?.f64()?;
    let test_rel_mse = df.column("test_rel_mse")?.f64()?;
    let mut rows = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        // The validation and test figures are empty without their split, and
        // majority_direction has no MSE.
        let (Some(b), Some(w)) = (baseline.get(i), window.get(i)) else {
            crate::fail!("{} row {}: a value is missing", path.display(), i + 1);
        };
        rows.push(BaselineRow {
            series: series.as_ref().and_then(|s| s[i].clone()),
            baseline: b.to_string(),
            window: usize::try_from(w).with_context(|| {
                format!("{} row {}: window {w} is not a size", path.display(), i + 1)
            })?,
            train_mse: train_mse.get(i),
            val_mse: val_mse.get(i),
            val_trend_acc: val_trend_acc.get(i),
            val_mase: val_mase.get(i),
            val_smape: val_smape.get(i),
            val_rel_mse: val_rel_mse.get(i),
            test_mse: test_mse.get(i),
            test_trend_acc: test_trend_acc.get(i),
            test_mase: test_mase.get(i),
            test_smape: test_smape.get(i),
            test_rel_mse: test_rel_mse.get(i),
        });
    }
    Ok(rows)
}

/// The evaluation table: one row per window and sample, with `window`, `split`, `sample`
/// (0-based within the split), `y_true`, `y_last`, a column per baseline forecast and
/// `majority_sign`, sorted by (window, sample).
pub fn evaluation_frame(windows: &[EvaluationSamples]) -> PolarsResult<DataFrame> {
    let mut sorted: Vec<&EvaluationSamples> = windows.iter().collect();
    sorted.sort_by_key(|w| w.window);
    let mut names: Vec<&str> = Vec::new();
    for w in &sorted {
        for (name, _) in &w.forecasts {
            if !names.contains(name) {
                names.push(name);
            }
        }
    }
    let each = |f: &dyn Fn(&EvaluationSamples) -> Vec<f64>| -> Vec<f64> {
        sorted.iter().flat_map(|w| f(w)).collect()
    };
    let mut columns = vec![
        Column::new(
            "window".into(),
            sorted
                .iter()
                .map(|w| int(w.window, "window").map(|v| vec![v; w.y_true.len()]))
                .collect::<PolarsResult<Vec<_>>>()?
                .concat(),
        ),
        Column::new(
            "split".into(),
            sorted
                .iter()
                .flat_map(|w| std::iter::repeat_n(w.split, w.y_true.len()))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "sample".into(),
            sorted
                .iter()
                .flat_map(|w| 0..w.y_true.len() as i64)
                .collect::<Vec<i64>>(),
        ),
        Column::new("y_true".into(), each(&|w| w.y_true.clone())),
        Column::new("y_last".into(), each(&|w| w.y_last.clone())),
    ];
    for name in names {
        let values: Vec<Option<f64>> = sorted
            .iter()
            .flat_map(|w| {
                w.forecasts
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map_or_else(|| vec![None; w.y_true.len()], |(_, v)| v.clone())
            })
            .collect();
        columns.push(Column::new(name.into(), values));
    }
    columns.push(Column::new(
        "majority_sign".into(),
        sorted
            .iter()
            .flat_map(|w| std::iter::repeat_n(w.majority_sign as i64, w.y_true.len()))
            .collect::<Vec<i64>>(),
    ));
    DataFrame::new_infer_height(columns)
}

/// Writes `evaluation.parquet` into `dir`: these windows, and the windows an earlier run of
/// the same experiment left there (same data and split, so the same samples). An unreadable
/// old file is replaced.
pub fn write_evaluation(dir: &Path, windows: &[EvaluationSamples]) -> Result<()> {
    let path = dir.join(EVALUATION_PARQUET);
    let mut df = evaluation_frame(windows).context("cannot build the evaluation table")?;
    let old = path
        .is_file()
        .then(|| File::open(&path).ok())
        .flatten()
        .and_then(|f| ParquetReader::new(f).finish().ok());
    if let Some(old) = old {
        let theirs = windows.iter().fold(lit(true), |keep, w| {
            keep.and(col("window").neq(lit(w.window as i64)))
        });
        let others = old
            .lazy()
            .filter(theirs)
            .collect()
            .ok()
            .filter(|d| d.height() > 0);
        // The same experiment gives the same columns; should they differ, the old rows go.
        let merged = others.and_then(|others| {
            concat([df.clone().lazy(), others.lazy()], UnionArgs::default())
                .and_then(|lf| {
                    lf.sort(["window", "sample"], SortMultipleOptions::default())
                        .collect()
                })
                .ok()
        });
        if let Some(merged) = merged {
            df = merged;
        }
    }
    write_parquet(&path, &mut df)
}

/// Reads `evaluation.parquet` from `dir`, if it has a readable one.
pub fn read_evaluation(dir: &Path) -> Option<DataFrame> {
    let file = File::open(dir.join(EVALUATION_PARQUET)).ok()?;
    ParquetReader::new(file).finish().ok()
}

/// Writes into `out` the evaluation samples of every directory of `dirs` that has them, a
/// later directory's window replacing an earlier one's (as its baselines do); removes a
/// stale file when none has any.
pub fn merge_evaluation(dirs: &[std::path::PathBuf], out: &Path) -> Result<()> {
    let mut merged: Option<DataFrame> = None;
    for frame in dirs.iter().filter_map(|d| read_evaluation(d)) {
        merged = Some(match merged {
            None => frame,
            Some(before) => {
                let mut windows: Vec<i64> =
                    frame.column("window")?.i64()?.iter().flatten().collect();
                windows.dedup();
                let keep = windows
                    .into_iter()
                    .fold(lit(true), |k, w| k.and(col("window").neq(lit(w))));
                let before = before.lazy().filter(keep);
                concat([before, frame.clone().lazy()], UnionArgs::default())
                    .and_then(|lf| {
                        lf.sort(["window", "sample"], SortMultipleOptions::default())
                            .collect()
                    })
                    .unwrap_or(frame)
            }
        });
    }
    let path = out.join(EVALUATION_PARQUET);
    match merged {
        Some(mut df) => write_parquet(&path, &mut df),
        None => super::remove_if_present(&path),
    }
}
