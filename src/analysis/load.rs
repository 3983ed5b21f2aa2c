//! The one reader of result directories for the report: their files merged into polars frames.

use std::fs::File;
use std::path::{Path, PathBuf};

use polars::prelude::{
    DataFrame, DataType, Expr, IntoLazy, JoinArgs, JoinType, LazyFrame, NULL, ParquetReader,
    SerReader, SortMultipleOptions, UnionArgs, UniqueKeepStrategy, col, cols, concat, lit,
};

use super::tables::{
    BASELINE_FOLDS_CSV, BASELINES_CSV, CONFIRM, EPOCHS_PARQUET, EVALUATION_PARQUET, FOLDS_PARQUET,
    PREDICTIONS_PARQUET, SEARCH_CONFIG, SEARCH_GENERATION, SETTINGS, TRIALS_PARQUET,
};
use crate::error::{Context, Result};
use crate::store::{GRID_TOML, RunInfo};

/// What one directory's `grid.toml` and `run.json` say about the run; either may be missing
/// (a directory made by hand, or by an older version), and the report then says so instead of
/// failing.
#[derive(Debug, Clone, PartialEq)]
pub struct RunMeta {
    pub dir: PathBuf,
    pub grid_name: Option<String>,
    pub source: Option<String>,
    pub rows: Option<u64>,
    pub values_sha256: Option<String>,
}

/// Every directory's files, merged: a later directory's trial replaces an earlier one with the
/// same id, as a rerun replaces a run, and a baseline likewise by (baseline, window).
pub(crate) struct Loaded {
    /// `trial_id`, every setting, `status`, `val_mse`, `val_trend_acc`, `wall_seconds`,
    /// `unstable`, `test_mse`, `test_trend_acc`, `epochs_run`, a search's `search_config`,
    /// `search_generation` and `confirm` (null for a trial outside a search) and `dir` (the
    /// index of the directory the row came from), sorted by trial id.
    pub trials: DataFrame,
    /// `baseline`, `window`, `train_mse`, `val_mse`, `val_trend_acc`, sorted by window.
    pub baselines: DataFrame,
    /// `trial_id`, `epoch`, `val_mse`, `val_trend_acc` of the trials in `trials`, each from
    /// the directory its trial came from (a rerun's curve never mixes with the run it
    /// replaced), one row per epoch; `None` when some directory has no `epochs.parquet`.
    pub epochs: Option<DataFrame>,
    pub runs: Vec<RunMeta>,
    /// Each directory's `grid.toml` as saved by its sweep, if it has one.
    pub grids: Vec<Option<String>>,
    /// The evaluation samples with the baselines' forecasts (`evaluation.parquet`), when
    /// every directory has them; `None` otherwise.
    pub evaluation: Option<DataFrame>,
    /// The trials' forecasts of those samples (`predictions.parquet`), likewise.
    pub predictions: Option<DataFrame>,
    /// With rolling-origin folds, one row per trial and fold (`folds.parquet`): `trial_id`,
    /// `fold`, `val_mse`, `val_trend_acc`; `None` without folds (or when some directory has
    /// none).
    pub folds: Option<DataFrame>,
    /// The baselines on each fold (`baseline_folds.csv`): `baseline`, `window`, `fold`,
    /// `val_mse`, `val_trend_acc`; likewise.
    pub baseline_folds: Option<DataFrame>,
}

fn read_parquet(path: &Path, columns: Vec<Expr>) -> Result<DataFrame> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    ParquetReader::new(file)
        .finish()
        .with_context(|| format!("cannot read {}", path.display()))?
        .lazy()
        .select(columns)
        .collect()
        .with_context(|| format!("{} lacks a needed column", path.display()))
}

/// The trial columns the report needs, cast to their canonical types so that files from
/// different runs concatenate.
fn trial_columns() -> Vec<Expr> {
    let mut exprs = vec![col("trial_id").strict_cast(DataType::String)];
    exprs.extend(
        SETTINGS
            .iter()
            .map(|(name, kind)| col(*name).strict_cast(kind.dtype())),
    );
    for (name, dtype) in [
        ("status", DataType::String),
        ("val_mse", DataType::Float64),
        ("val_trend_acc", DataType::Float64),
        ("wall_seconds", DataType::Float64),
    ] {
        exprs.push(col(name).strict_cast(dtype));
    }
    exprs
}

/// Trial columns a table may lack, with what stands in for them: tables written before
/// trials were flagged or tested, and tables of sweeps without test samples.
const OPTIONAL_TRIAL_COLUMNS: [(&str, DataType); 3] = [
    ("unstable", DataType::Boolean),
    ("test_mse", DataType::Float64),
    ("test_trend_acc", DataType::Float64),
];

/// Trial columns only some tables have, null where they are absent: the epochs trained
/// (in every table this version writes) and a search's tags (only a search's table).
const SEARCH_TRIAL_COLUMNS: [(&str, DataType); 4] = [
    ("epochs_run", DataType::Int64),
    (SEARCH_CONFIG, DataType::Int64),
    (SEARCH_GENERATION, DataType::Int64),
    (CONFIRM, DataType::Boolean),
];

fn read_trials(path: &Path) -> Result<DataFrame> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let df = ParquetReader::new(file)
        .finish()
        .with_context(|| format!("cannot read {}", path.display()))?;
    let present = df.get_column_names_owned();
    let mut exprs = trial_columns();
    for (name, dtype) in OPTIONAL_TRIAL_COLUMNS {
        exprs.push(if present.iter().any(|p| p.as_str() == name) {
            col(name).strict_cast(dtype)
        } else if dtype == DataType::Boolean {
            lit(false).alias(name)
        } else {
            lit(NULL).cast(dtype).alias(name)
        });
    }
    for (name, dtype) in SEARCH_TRIAL_COLUMNS {
        exprs.push(if present.iter().any(|p| p.as_str() == name) {
            col(name).strict_cast(dtype)
        } else {
            lit(NULL).cast(dtype).alias(name)
        });
    }
    df.lazy()
        .select(exprs)
        .collect()
        .with_context(|| format!("{} lacks a needed column", path.display()))
}

/// A directory's optional Parquet file, `None` when it is absent.
fn read_optional(path: &Path) -> Result<Option<DataFrame>> {
    if !path.is_file() {
        return Ok(None);
    }
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    Ok(Some(ParquetReader::new(file).finish().with_context(
        || format!("cannot read {}", path.display()),
    )?))
}

fn epoch_columns() -> Vec<Expr> {
    vec![
        col("trial_id").strict_cast(DataType::String),
        col("epoch").strict_cast(DataType::Int64),
        col("val_mse").strict_cast(DataType::Float64),
        col("val_trend_acc").strict_cast(DataType::Float64),
    ]
}

fn read_run_meta(dir: &Path) -> RunMeta {
    let grid_name = std::fs::read_to_string(dir.join(GRID_TOML))
        .ok()
        .and_then(|text| toml::from_str::<toml::Table>(&text).ok())
        .and_then(|t| t.get("name").and_then(|v| v.as_str()).map(str::to_string));
    // The same reading as a resume's; a run.json it cannot read leaves the data unknown.
    let run = RunInfo::read(dir).ok().flatten();
    RunMeta {
        dir: dir.to_path_buf(),
        grid_name,
        source: run.as_ref().map(|r| r.dataset.source.clone()),
        rows: run.as_ref().map(|r| r.dataset.rows as u64),
        values_sha256: run.map(|r| r.dataset.values_sha256),
    }
}

/// The frames concatenated, the last row of each key kept, sorted.
fn merge(frames: Vec<LazyFrame>, keys: &[&str], sort: &[&str]) -> Result<LazyFrame> {
    Ok(concat(frames, UnionArgs::default())?
        .unique_stable(Some(cols(keys.to_vec())), UniqueKeepStrategy::Last)
        .sort(
            sort.to_vec(),
            SortMultipleOptions::default().with_maintain_order(true),
        ))
}

/// Reads `trials.parquet`, `baselines.csv`, `epochs.parquet`, `grid.toml` and `run.json`
/// from each directory. A directory without `baselines.csv` is allowed (the baseline cells
/// stay blank); one without `trials.parquet` is not, since it would silently shrink the
/// report.
pub(crate) fn load(dirs: &[PathBuf]) -> Result<Loaded> {
    if dirs.is_empty() {
        crate::fail!("no results directory given to summarize");
    }
    let mut trial_frames = Vec::new();
    let mut baseline_frames = Vec::new();
    let mut runs = Vec::new();
    let mut grids = Vec::new();
    for (d, dir) in dirs.iter().enumerate() {
        let df = read_trials(&dir.join(TRIALS_PARQUET))?;
        trial_frames.push(df.lazy().with_column(lit(d as u32).alias("dir")));
        if dir.join(BASELINES_CSV).is_file() {
            baseline_frames.push(crate::store::read_baselines_frame(dir)?.lazy());
        }
        runs.push(read_run_meta(dir));
        grids.push(std::fs::read_to_string(dir.join(GRID_TOML)).ok());
    }
    let trials = merge(trial_frames, &["trial_id"], &["trial_id"])?
        .collect()
        .context("cannot merge the trials tables")?;
    let baselines = if baseline_frames.is_empty() {
        DataFrame::empty_with_schema(&crate::store::baselines_schema())
    } else {
        merge(
            baseline_frames,
            &["baseline", "window"],
            &["window", "baseline"],
        )?
        .collect()
        .context("cannot merge the baselines tables")?
    };
    let epochs = if dirs.iter().all(|d| d.join(EPOCHS_PARQUET).is_file()) {
        let mut frames = Vec::new();
        for (d, dir) in dirs.iter().enumerate() {
            let df = read_parquet(&dir.join(EPOCHS_PARQUET), epoch_columns())?;
            frames.push(df.lazy().with_column(lit(d as u32).alias("dir")));
        }
        let owners = trials.clone().lazy().select([col("trial_id"), col("dir")]);
        let keys = [col("trial_id"), col("dir")];
        let df = concat(frames, UnionArgs::default())?
            .drop_nulls(None)
            .filter(col("epoch").gt_eq(lit(0i64)))
            .join(owners, keys.clone(), keys, JoinArgs::new(JoinType::Inner))
            .unique_stable(Some(cols(["trial_id", "epoch"])), UniqueKeepStrategy::First)
            .select([
                col("trial_id"),
                col("epoch"),
                col("val_mse"),
                col("val_trend_acc"),
            ])
            .collect()
            .context("cannot merge the epochs tables")?;
        Some(df)
    } else {
        None
    };
    let mut evaluations = Vec::new();
    let mut predictions = Vec::new();
    for dir in dirs {
        evaluations.extend(read_optional(&dir.join(EVALUATION_PARQUET))?.map(|d| d.lazy()));
        predictions.extend(read_optional(&dir.join(PREDICTIONS_PARQUET))?.map(|d| d.lazy()));
    }
    let evaluation = if evaluations.len() == dirs.len() {
        Some(
            merge(evaluations, &["window", "sample"], &["window", "sample"])?
                .collect()
                .context("cannot merge the evaluation tables")?,
        )
    } else {
        None
    };
    let predictions = if predictions.len() == dirs.len() {
        Some(
            merge(
                predictions,
                &["trial_id", "sample"],
                &["trial_id", "sample"],
            )?
            .collect()
            .context("cannot merge the predictions tables")?,
        )
    } else {
        None
    };
    let mut fold_frames = Vec::new();
    let mut baseline_fold_frames = Vec::new();
    for dir in dirs {
        if let Some(df) = read_optional(&dir.join(FOLDS_PARQUET))? {
            fold_frames.push(df.lazy().select([
                col("trial_id"),
                col("fold").cast(DataType::Int64),
                col("val_mse").cast(DataType::Float64),
                col("val_trend_acc").cast(DataType::Float64),
            ]));
        }
        let path = dir.join(BASELINE_FOLDS_CSV);
        if path.is_file() {
            let df = polars::prelude::CsvReadOptions::default()
                .with_has_header(true)
                .try_into_reader_with_file_path(Some(path.clone()))
                .and_then(|r| r.finish())
                .with_context(|| format!("cannot read {}", path.display()))?;
            baseline_fold_frames.push(df.lazy().select([
                col("baseline").cast(DataType::String),
                col("window").cast(DataType::Int64),
                col("fold").cast(DataType::Int64),
                col("val_mse").cast(DataType::Float64),
                col("val_trend_acc").cast(DataType::Float64),
            ]));
        }
    }
    let folds = if !fold_frames.is_empty() && fold_frames.len() == dirs.len() {
        Some(
            merge(fold_frames, &["trial_id", "fold"], &["trial_id", "fold"])?
                .collect()
                .context("cannot merge the folds tables")?,
        )
    } else {
        None
    };
    let baseline_folds =
        if !baseline_fold_frames.is_empty() && baseline_fold_frames.len() == dirs.len() {
            Some(
                merge(
                    baseline_fold_frames,
                    &["baseline", "window", "fold"],
                    &["window", "baseline", "fold"],
                )?
                .collect()
                .context("cannot merge the per-fold baselines")?,
            )
        } else {
            None
        };
    Ok(Loaded {
        trials,
        baselines,
        epochs,
        runs,
        grids,
        evaluation,
        predictions,
        folds,
        baseline_folds,
    })
}
