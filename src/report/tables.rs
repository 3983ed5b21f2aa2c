//! The consolidated result files (trials, epochs, baselines) as polars frames on disk.

use std::path::Path;
use std::sync::Arc;

use crate::error::Context;
use polars::prelude::{
    Column, CsvReadOptions, CsvWriter, DataFrame, DataType, Expr, Field, IntoLazy, ParquetWriter,
    PolarsError, PolarsResult, Schema, SerReader, SerWriter, col,
};

use crate::grid::{self, Setting, SettingValue};
use crate::store::records::{BaselineRow, EpochMetrics, TrialRecord};

use crate::store::write_atomically;
pub use crate::store::{BASELINES_CSV, EPOCHS_PARQUET, TRIALS_CSV, TRIALS_PARQUET};

pub use crate::grid::SettingKind;

/// The setting columns as (name, kind) pairs, in canonical order: a view of
/// [`grid::SETTINGS`](crate::grid::SETTINGS), where the settings are defined, for code that
/// only needs the columns. `seed` is last, the one axis every table pools over.
pub const SETTINGS: [(&str, SettingKind); grid::SETTINGS.len()] = {
    let mut columns = [("", SettingKind::Int); grid::SETTINGS.len()];
    let mut i = 0;
    while i < columns.len() {
        columns[i] = (grid::SETTINGS[i].name, grid::SETTINGS[i].kind());
        i += 1;
    }
    columns
};

/// The kind of a setting column, or `None` for a name that is not a setting.
pub fn setting_kind(name: &str) -> Option<SettingKind> {
    grid::setting(name).map(|s| s.kind())
}

/// A count or setting as the signed 64-bit integer the tables hold. Every value a grid can
/// give fits (TOML integers are signed 64-bit); anything else is an error, never a wrap.
fn int(value: impl TryInto<i64> + Copy + std::fmt::Display, what: &str) -> PolarsResult<i64> {
    value.try_into().map_err(|_| {
        PolarsError::ComputeError(
            format!("{what} = {value} does not fit a signed 64-bit integer column").into(),
        )
    })
}

/// The trials table: one row per record, sorted by trial id. Validation figures are null for
/// trials without any (no validation split, or no finished epoch); NaN and infinities
/// are kept as they were measured.
pub fn trials_frame(records: &[TrialRecord]) -> PolarsResult<DataFrame> {
    let mut sorted: Vec<&TrialRecord> = records.iter().collect();
    sorted.sort_by(|a, b| a.trial_id.cmp(&b.trial_id));
    let u = |what: &str, f: &dyn Fn(&TrialRecord) -> u64| {
        sorted
            .iter()
            .map(|r| int(f(r), what))
            .collect::<PolarsResult<Vec<i64>>>()
    };
    let f = |f: &dyn Fn(&TrialRecord) -> f64| sorted.iter().map(|r| f(r)).collect::<Vec<f64>>();
    let mut settings = grid::SETTINGS
        .iter()
        .map(|s| setting_column(s, &sorted))
        .collect::<PolarsResult<Vec<Column>>>()?;
    // The table has always carried `seed` straight after `learning_rate`; files on disk and
    // scripts that read columns by position keep that layout.
    let at = |name: &str, columns: &[Column]| columns.iter().position(|c| c.name() == name);
    if let Some(seed) = at("seed", &settings) {
        let seed = settings.remove(seed);
        let after = at("learning_rate", &settings).map_or(settings.len(), |i| i + 1);
        settings.insert(after, seed);
    }
    let last = |f: &dyn Fn(&EpochMetrics) -> Option<f64>| {
        sorted
            .iter()
            .map(|r| r.result.last().and_then(f))
            .collect::<Vec<Option<f64>>>()
    };
    let mut columns = vec![Column::new(
        "trial_id".into(),
        sorted
            .iter()
            .map(|r| r.trial_id.as_str())
            .collect::<Vec<_>>(),
    )];
    columns.extend(settings);
    columns.extend([
        Column::new(
            "status".into(),
            sorted
                .iter()
                .map(|r| r.result.status.name())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "message".into(),
            sorted
                .iter()
                .map(|r| r.result.message.as_deref())
                .collect::<Vec<Option<&str>>>(),
        ),
        Column::new(
            "epochs_run".into(),
            u("epochs_run", &|r| r.result.epochs_run() as u64)?,
        ),
        Column::new("train_loss".into(), last(&|m| Some(m.train_loss))),
        Column::new("train_mse".into(), last(&|m| Some(m.train_mse))),
        Column::new("val_mse".into(), last(&|m| m.val_mse)),
        Column::new("val_trend_acc".into(), last(&|m| m.val_trend_acc)),
        Column::new(
            "best_epoch".into(),
            sorted
                .iter()
                .map(|r| {
                    r.result
                        .best_epoch
                        .map(|e| int(e, "best_epoch"))
                        .transpose()
                })
                .collect::<PolarsResult<Vec<Option<i64>>>>()?,
        ),
        Column::new(
            "best_val_mse".into(),
            sorted
                .iter()
                .map(|r| best_of(r).and_then(|m| m.val_mse))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "best_val_trend_acc".into(),
            sorted
                .iter()
                .map(|r| best_of(r).and_then(|m| m.val_trend_acc))
                .collect::<Vec<_>>(),
        ),
        Column::new("wall_seconds".into(), f(&|r| r.result.wall_seconds)),
        Column::new("steps_per_second".into(), f(&|r| r.result.steps_per_second)),
    ]);
    DataFrame::new_infer_height(columns)
}

/// One setting's column of the trials table, a value per record, typed by the setting's kind.
fn setting_column(setting: &Setting, records: &[&TrialRecord]) -> PolarsResult<Column> {
    let values: Vec<SettingValue> = records
        .iter()
        .map(|r| setting.read(r.window, &r.config))
        .collect();
    let name = setting.name;
    let mismatch = |v: &SettingValue| -> PolarsError {
        PolarsError::ComputeError(format!("setting {name} read as {v:?}").into())
    };
    Ok(match setting.kind() {
        SettingKind::Int => Column::new(
            name.into(),
            values
                .iter()
                .map(|v| match v {
                    SettingValue::Int(i) => int(*i, name),
                    other => Err(mismatch(other)),
                })
                .collect::<PolarsResult<Vec<i64>>>()?,
        ),
        SettingKind::Float => Column::new(
            name.into(),
            values
                .iter()
                .map(|v| match v {
                    SettingValue::Float(x) => Ok(*x),
                    other => Err(mismatch(other)),
                })
                .collect::<PolarsResult<Vec<f64>>>()?,
        ),
        SettingKind::Str => Column::new(
            name.into(),
            values
                .iter()
                .map(|v| match v {
                    SettingValue::Str(s) => Ok(s.as_str()),
                    other => Err(mismatch(other)),
                })
                .collect::<PolarsResult<Vec<&str>>>()?,
        ),
        SettingKind::Bool => Column::new(
            name.into(),
            values
                .iter()
                .map(|v| match v {
                    SettingValue::Bool(b) => Ok(*b),
                    other => Err(mismatch(other)),
                })
                .collect::<PolarsResult<Vec<bool>>>()?,
        ),
    })
}

/// The best epoch's figures. `TrialResult::best` indexes the curve directly; a hand-edited
/// record must not make the tables panic.
fn best_of(r: &TrialRecord) -> Option<&EpochMetrics> {
    r.result
        .best_epoch
        .and_then(|e| e.checked_sub(1))
        .and_then(|i| r.result.curve.get(i))
}

/// The per-epoch curves: one row per (trial, epoch), sorted by both.
pub fn epochs_frame(records: &[TrialRecord]) -> PolarsResult<DataFrame> {
    let mut rows: Vec<(&str, &EpochMetrics)> = records
        .iter()
        .flat_map(|r| r.result.curve.iter().map(move |m| (r.trial_id.as_str(), m)))
        .collect();
    rows.sort_by(|a, b| a.0.cmp(b.0).then(a.1.epoch.cmp(&b.1.epoch)));
    let f = |f: &dyn Fn(&EpochMetrics) -> Option<f64>| {
        rows.iter().map(|(_, m)| f(m)).collect::<Vec<Option<f64>>>()
    };
    DataFrame::new_infer_height(vec![
        Column::new(
            "trial_id".into(),
            rows.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
        ),
        Column::new(
            "epoch".into(),
            rows.iter()
                .map(|(_, m)| int(m.epoch, "epoch"))
                .collect::<PolarsResult<Vec<i64>>>()?,
        ),
        Column::new("train_loss".into(), f(&|m| Some(m.train_loss))),
        Column::new("train_mse".into(), f(&|m| Some(m.train_mse))),
        Column::new("val_mse".into(), f(&|m| m.val_mse)),
        Column::new("val_trend_acc".into(), f(&|m| m.val_trend_acc)),
    ])
}

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

pub fn write_parquet(path: &Path, df: &mut DataFrame) -> crate::error::Result<()> {
    write_atomically(path, |file| {
        ParquetWriter::new(file).finish(df)?;
        Ok(())
    })
}

pub fn write_csv(path: &Path, df: &mut DataFrame) -> crate::error::Result<()> {
    write_atomically(path, |file| {
        CsvWriter::new(file).include_header(true).finish(df)?;
        Ok(())
    })
}

/// Writes `trials.parquet`, `trials.csv` and `epochs.parquet` into `dir`: the parquet files for
/// the summary and other programs, the CSV for a quick look by eye or in a spreadsheet.
pub fn write_trial_tables(dir: &Path, records: &[TrialRecord]) -> crate::error::Result<()> {
    let mut trials = trials_frame(records).context("cannot build the trials table")?;
    let mut epochs = epochs_frame(records).context("cannot build the epochs table")?;
    write_parquet(&dir.join(TRIALS_PARQUET), &mut trials)?;
    write_csv(&dir.join(TRIALS_CSV), &mut trials)?;
    write_parquet(&dir.join(EPOCHS_PARQUET), &mut epochs)?;
    Ok(())
}

/// Writes `baselines.csv` into `dir`, sorted by (window, baseline).
pub fn write_baselines(dir: &Path, rows: &[BaselineRow]) -> crate::error::Result<()> {
    let mut df = baselines_frame(rows).context("cannot build the baselines table")?;
    write_csv(&dir.join(BASELINES_CSV), &mut df)
}

/// The dtypes `baselines.csv` is read with, by name: inference would make `window` an i64 and
/// an all-integer MSE column an integer.
pub(crate) fn baselines_schema() -> Schema {
    Schema::from_iter([
        Field::new("baseline".into(), DataType::String),
        Field::new("window".into(), DataType::Int64),
        Field::new("train_mse".into(), DataType::Float64),
        Field::new("val_mse".into(), DataType::Float64),
        Field::new("val_trend_acc".into(), DataType::Float64),
    ])
}

/// Reads `baselines.csv` from `dir` as a frame with the canonical dtypes.
pub fn read_baselines_frame(dir: &Path) -> crate::error::Result<DataFrame> {
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
pub fn read_baselines(dir: &Path) -> crate::error::Result<Vec<BaselineRow>> {
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
