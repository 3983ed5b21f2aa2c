//! A collection's summary: its settings ranked by their mean validation MASE across the
//! series (and seeds), with the held-out figures of each and the baselines' means beside
//! them. Read from the tables on disk (`trials.parquet`, `baselines.csv`, `run.json`) like
//! every other summary; the views render it ([`super::views::collection`]).

use std::path::Path;

use polars::prelude::{
    AnyValue, DataFrame, DataType, IntoLazy, ParquetReader, SerReader, SortMultipleOptions, col,
    len, lit,
};

use super::tables::{BASELINES_CSV, SETTINGS, TRIALS_PARQUET};
use crate::error::{Context, Result};
use crate::store::{RunInfo, SkippedSeries};

/// A setting (every axis but the seed) with its means over the seeds it was trained with,
/// each seed's figure already the mean over the series it ended ok on.
#[derive(Debug, Clone, PartialEq)]
pub struct CollectionSetting {
    /// The varying settings, as `name value` pairs; empty when only the seed varies.
    pub label: String,
    pub window: usize,
    pub seeds: usize,
    pub val_mase: Option<f64>,
    pub val_trend_acc: Option<f64>,
    pub test_mase: Option<f64>,
    pub test_trend_acc: Option<f64>,
}

/// A baseline's means over the series, for one window.
#[derive(Debug, Clone, PartialEq)]
pub struct CollectionBaseline {
    pub baseline: String,
    pub window: usize,
    pub series: usize,
    pub val_mase: Option<f64>,
    pub val_trend_acc: Option<f64>,
    pub test_mase: Option<f64>,
    pub test_trend_acc: Option<f64>,
}

/// What a collection's summary says.
#[derive(Debug, Clone, PartialEq)]
pub struct CollectionSummary {
    /// Series swept.
    pub series: usize,
    pub skipped: Vec<SkippedSeries>,
    /// Trials (settings and seeds), and how many ended ok on every series.
    pub trials: usize,
    pub trials_ok: usize,
    /// Whether the series had test parts.
    pub tested: bool,
    /// Settings that ended ok on every series for some seed, best mean validation MASE first.
    pub settings: Vec<CollectionSetting>,
    pub baselines: Vec<CollectionBaseline>,
}

fn read_parquet(path: &Path) -> Result<DataFrame> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    ParquetReader::new(file)
        .finish()
        .with_context(|| format!("cannot read {}", path.display()))
}

fn opt_f64(df: &DataFrame, name: &str, row: usize) -> Result<Option<f64>> {
    match df.column(name) {
        Ok(c) => Ok(c.cast(&DataType::Float64)?.f64()?.get(row)),
        Err(_) => Ok(None),
    }
}

fn count(df: &DataFrame, name: &str, row: usize) -> Result<usize> {
    Ok(df
        .column(name)?
        .cast(&DataType::Int64)?
        .i64()?
        .get(row)
        .unwrap_or(0)
        .max(0) as usize)
}

/// A setting's value as the summary prints it.
fn value_text(value: AnyValue<'_>) -> String {
    match value {
        AnyValue::Float64(x) => crate::grid::fmt_setting_float(x),
        AnyValue::String(s) => s.to_string(),
        AnyValue::StringOwned(s) => s.to_string(),
        other => other.to_string(),
    }
}

impl CollectionSummary {
    /// The summary of the collection whose tables are in `dir`.
    pub fn read(dir: &Path) -> Result<CollectionSummary> {
        let trials = read_parquet(&dir.join(TRIALS_PARQUET))?;
        let info = RunInfo::read(dir)?;
        let tested = trials.get_column_index("test_mase").is_some();
        let ok = trials
            .clone()
            .lazy()
            .filter(col("status").eq(lit("ok")))
            .collect()?;
        // The settings that vary, but the seed: a setting is one value of each.
        let varying: Vec<&str> = SETTINGS
            .iter()
            .map(|(name, _)| *name)
            .filter(|name| *name != "seed")
            .filter(|name| {
                trials
                    .column(name)
                    .is_ok_and(|c| c.n_unique().is_ok_and(|n| n > 1))
            })
            .collect();
        let mut keys = vec![col("window")];
        keys.extend(varying.iter().filter(|n| **n != "window").map(|n| col(*n)));
        let mut figures = vec!["val_mase", "val_trend_acc"];
        if tested {
            figures.extend(["test_mase", "test_trend_acc"]);
        }
        let mut aggs = vec![len().alias("seeds")];
        aggs.extend(figures.iter().map(|f| col(*f).mean()));
        let grouped = ok
            .lazy()
            .group_by_stable(keys)
            .agg(aggs)
            .sort(
                ["val_mase"],
                SortMultipleOptions::default()
                    .with_nulls_last(true)
                    .with_maintain_order(true),
            )
            .collect()?;
        let mut settings = Vec::with_capacity(grouped.height());
        for row in 0..grouped.height() {
            let label = varying
                .iter()
                .map(|name| -> Result<String> {
                    Ok(format!(
                        "{name} {}",
                        value_text(grouped.column(name)?.get(row)?)
                    ))
                })
                .collect::<Result<Vec<_>>>()?
                .join(", ");
            settings.push(CollectionSetting {
                label,
                window: count(&grouped, "window", row)?,
                seeds: count(&grouped, "seeds", row)?,
                val_mase: opt_f64(&grouped, "val_mase", row)?,
                val_trend_acc: opt_f64(&grouped, "val_trend_acc", row)?,
                test_mase: opt_f64(&grouped, "test_mase", row)?,
                test_trend_acc: opt_f64(&grouped, "test_trend_acc", row)?,
            });
        }
        let series = trials
            .column("n_series")
            .ok()
            .and_then(|c| c.cast(&DataType::Int64).ok())
            .and_then(|c| c.i64().ok().and_then(|c| c.iter().flatten().max()))
            .unwrap_or(0)
            .max(0) as usize;
        Ok(CollectionSummary {
            series,
            skipped: info.map(|i| i.skipped).unwrap_or_default(),
            trials: trials.height(),
            trials_ok: ok_count(&trials)?,
            tested,
            settings,
            baselines: read_baselines(dir)?,
        })
    }

    /// The best setting by mean validation MASE, if any ended ok on every series.
    pub fn best(&self) -> Option<&CollectionSetting> {
        self.settings.first().filter(|s| s.val_mase.is_some())
    }

    /// The baseline with the lowest mean validation MASE on `window`.
    pub fn best_baseline(&self, window: usize) -> Option<&CollectionBaseline> {
        self.baselines
            .iter()
            .filter(|b| b.window == window && b.val_mase.is_some())
            .min_by(|a, b| a.val_mase.partial_cmp(&b.val_mase).expect("finite means"))
    }
}

fn ok_count(trials: &DataFrame) -> Result<usize> {
    Ok(trials
        .column("status")?
        .str()?
        .iter()
        .filter(|s| *s == Some("ok"))
        .count())
}

/// The baselines' means over the series, per baseline and window.
fn read_baselines(dir: &Path) -> Result<Vec<CollectionBaseline>> {
    let path = dir.join(BASELINES_CSV);
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let df = crate::store::read_baselines_file(dir)?;
    let present: Vec<&str> = ["val_mase", "val_trend_acc", "test_mase", "test_trend_acc"]
        .into_iter()
        .filter(|n| df.get_column_index(n).is_some())
        .collect();
    let mut aggs = vec![len().alias("n")];
    aggs.extend(
        present
            .iter()
            .map(|n| col(*n).cast(DataType::Float64).mean()),
    );
    let grouped = df
        .lazy()
        .group_by_stable([col("window"), col("baseline")])
        .agg(aggs)
        .sort(["window", "baseline"], Default::default())
        .collect()?;
    let names = grouped.column("baseline")?.str()?.clone();
    let mut rows = Vec::with_capacity(grouped.height());
    for row in 0..grouped.height() {
        rows.push(CollectionBaseline {
            baseline: names.get(row).unwrap_or_default().to_string(),
            window: count(&grouped, "window", row)?,
            series: count(&grouped, "n", row)?,
            val_mase: opt_f64(&grouped, "val_mase", row)?,
            val_trend_acc: opt_f64(&grouped, "val_trend_acc", row)?,
            test_mase: opt_f64(&grouped, "test_mase", row)?,
            test_trend_acc: opt_f64(&grouped, "test_trend_acc", row)?,
        });
    }
    Ok(rows)
}
