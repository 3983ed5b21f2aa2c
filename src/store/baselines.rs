//! `baselines.csv`: the baselines' figures, one row per baseline and window, written by the
//! sweep beside its journal and read back by a rerun (which keeps other windows' rows) and
//! by the report.

use std::path::Path;
use std::sync::Arc;

use polars::prelude::{
    Column, CsvReadOptions, DataFrame, DataType, Expr, Field, IntoLazy, PolarsResult, Schema,
    SerReader, col,
};

use super::records::BaselineRow;
use super::{BASELINES_CSV, int, write_csv};

use crate::error::{Context, Result};

/// The baselines table, sorted by (window, baseline).
pub fn baselines_frame(rows: &[BaselineRow]) -> PolarsResult<DataFrame> {
    let mut sorted: Vec<&BaselineRow> = rows.iter().collect();
    sorted.sort_by(|a, b| {
        a.window
            .cmp(&b.window)
            .then_with(|| a.baseline.cmp(&b.baseline))
    });
    DataFrame::new_infer_height(vec![
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
    ])
}

/// Writes `baselines.csv` into `dir`, sorted by (window, baseline).
pub fn write_baselines(dir: &Path, rows: &[BaselineRow]) -> Result<()> {
    let mut df = baselines_frame(rows).context("cannot build the baselines table")?;
    write_csv(&dir.join(BASELINES_CSV), &mut df)
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
    ])
}

/// Reads `baselines.csv` from `dir` as a frame with the canonical dtypes.
pub fn read_baselines_frame(dir: &Path) -> Result<DataFrame> {
    let path = dir.join(BASELINES_CSV);
    let df = CsvReadOptions::default()
        .with_has_header(true)
        .with_schema_overwrite(Some(Arc::new(baselines_schema())))
        .try_into_reader_with_file_path(Some(path.clone()))
        .and_then(|r| r.finish())
        .with_context(|| format!("cannot read {}", path.display()))?;
    let schema = baselines_schema();
    let names: Vec<&str> = schema.iter_names().map(|n| n.as_str()).collect();
    let exprs: Vec<Expr> = schema
        .iter()
        .map(|(name, dtype)| col(name.clone()).strict_cast(dtype.clone()))
        .collect();
    df.lazy()
        .select(exprs)
        .collect()
        .with_context(|| format!("{} lacks a column among {names:?}", path.display()))
}

/// Reads `baselines.csv` from `dir` back into rows.
pub fn read_baselines(dir: &Path) -> Result<Vec<BaselineRow>> {
    let path = dir.join(BASELINES_CSV);
    let df = read_baselines_frame(dir)?;
    let baseline = df.column("baseline")?.str()?;
    let window = df.column("window")?.i64()?;
    let train_mse = df.column("train_mse")?.f64()?;
    let val_mse = df.column("val_mse")?.f64()?;
    let val_trend_acc = df.column("val_trend_acc")?.f64()?;
    let mut rows = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        // The validation figures are empty without a validation split.
        let (Some(b), Some(w), Some(t)) = (baseline.get(i), window.get(i), train_mse.get(i)) else {
            crate::fail!("{} row {}: a value is missing", path.display(), i + 1);
        };
        rows.push(BaselineRow {
            baseline: b.to_string(),
            window: usize::try_from(w).with_context(|| {
                format!("{} row {}: window {w} is not a size", path.display(), i + 1)
            })?,
            train_mse: t,
            val_mse: val_mse.get(i),
            val_trend_acc: val_trend_acc.get(i),
        });
    }
    Ok(rows)
}
