//! The consolidated result files (trials, epochs) as polars frames on disk.

use std::path::Path;

use polars::prelude::{Column, DataFrame, DataType, PolarsError, PolarsResult, SerReader};

use crate::error::{Context, Result};
use crate::grid::{self, Setting, SettingValue};
use crate::store::records::{EpochMetrics, FoldResult, SearchTag, TrialRecord};

pub use crate::store::{
    BASELINE_FOLDS_CSV, BASELINES_CSV, EPOCHS_PARQUET, EVALUATION_PARQUET, FOLDS_PARQUET,
    PREDICTIONS_PARQUET, SERIES, TRIALS_CSV, TRIALS_PARQUET,
};
use crate::store::{int, write_csv, write_parquet};

use super::scores::{self, Baselines, SPLITS};

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

/// The trials table: one row per record, sorted by trial id. Validation figures are null for
/// trials without any (no validation split, or no finished epoch); NaN and infinities
/// are kept as they were measured.
pub fn trials_frame(records: &[TrialRecord]) -> PolarsResult<DataFrame> {
    let mut sorted: Vec<&TrialRecord> = records.iter().collect();
    sorted.sort_by(|a, b| {
        a.trial_id
            .cmp(&b.trial_id)
            .then_with(|| a.series.cmp(&b.series))
    });
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
    // The figures of the epoch each trial's `metric_epoch` names.
    let metric = |f: &dyn Fn(&EpochMetrics) -> Option<f64>| {
        sorted
            .iter()
            .map(|r| r.result.metric(r.config.metric_epoch).and_then(f))
            .collect::<Vec<Option<f64>>>()
    };
    let tested = sorted
        .iter()
        .any(|r| r.result.test_mse.is_some() || r.result.test_trend_acc.is_some());
    // A collection's per-series rows carry sMAPE too, for the collection's OWA.
    let collection = sorted.iter().any(|r| r.series.is_some());
    let mut columns = key_columns(sorted.iter().copied());
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
        Column::new("train_loss".into(), metric(&|m| Some(m.train_loss))),
        Column::new("train_mse".into(), metric(&|m| Some(m.train_mse))),
        Column::new("val_mse".into(), metric(&|m| m.val_mse)),
        Column::new("val_trend_acc".into(), metric(&|m| m.val_trend_acc)),
        Column::new(
            "final_val_mse".into(),
            sorted
                .iter()
                .map(|r| r.result.last().and_then(|m| m.val_mse))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "unstable".into(),
            sorted
                .iter()
                .map(|r| r.result.unstable())
                .collect::<Vec<bool>>(),
        ),
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
                .map(|r| r.result.best().and_then(|m| m.val_mse))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "best_val_trend_acc".into(),
            sorted
                .iter()
                .map(|r| r.result.best().and_then(|m| m.val_trend_acc))
                .collect::<Vec<_>>(),
        ),
        Column::new("val_mase".into(), metric(&|m| m.val_mase)),
    ]);
    if collection {
        columns.push(Column::new("val_smape".into(), metric(&|m| m.val_smape)));
    }
    // Test columns only when some trial was tested: without test samples they are left out.
    if tested {
        columns.extend([
            Column::new(
                "test_mse".into(),
                sorted.iter().map(|r| r.result.test_mse).collect::<Vec<_>>(),
            ),
            Column::new(
                "test_trend_acc".into(),
                sorted
                    .iter()
                    .map(|r| r.result.test_trend_acc)
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "test_mase".into(),
                sorted
                    .iter()
                    .map(|r| r.result.test_mase)
                    .collect::<Vec<_>>(),
            ),
        ]);
        if collection {
            columns.push(Column::new(
                "test_smape".into(),
                sorted
                    .iter()
                    .map(|r| r.result.test_smape)
                    .collect::<Vec<_>>(),
            ));
        }
    }
    columns.extend([
        Column::new("wall_seconds".into(), f(&|r| r.result.wall_seconds)),
        Column::new("steps_per_second".into(), f(&|r| r.result.steps_per_second)),
    ]);
    // A search's trials carry their place in it; a plain grid's table keeps its columns.
    if sorted.iter().any(|r| r.search.is_some()) {
        let tag = |f: &dyn Fn(&SearchTag) -> usize, what: &str| {
            sorted
                .iter()
                .map(|r| r.search.as_ref().map(|t| int(f(t), what)).transpose())
                .collect::<PolarsResult<Vec<Option<i64>>>>()
        };
        columns.extend([
            Column::new(SEARCH_CONFIG.into(), tag(&|t| t.config, SEARCH_CONFIG)?),
            Column::new(
                SEARCH_GENERATION.into(),
                tag(&|t| t.generation, SEARCH_GENERATION)?,
            ),
            Column::new(
                CONFIRM.into(),
                sorted
                    .iter()
                    .map(|r| r.search.as_ref().map(|t| t.confirm))
                    .collect::<Vec<Option<bool>>>(),
            ),
        ]);
    }
    DataFrame::new_infer_height(columns)
}

/// The columns that say whose a row is: `trial_id`, and for a collection `series`, a value
/// per row of `rows`.
fn key_columns<'a>(rows: impl Iterator<Item = &'a TrialRecord> + Clone) -> Vec<Column> {
    let mut columns = vec![Column::new(
        "trial_id".into(),
        rows.clone()
            .map(|r| r.trial_id.as_str())
            .collect::<Vec<_>>(),
    )];
    if rows.clone().any(|r| r.series.is_some()) {
        columns.push(Column::new(
            SERIES.into(),
            rows.map(|r| r.series.as_deref()).collect::<Vec<_>>(),
        ));
    }
    columns
}

/// A collection's per-series table: one row per trial and series.
pub const SERIES_PARQUET: &str = "series.parquet";
pub const SERIES_CSV: &str = "series.csv";

/// The trials table's column of a search trial's configuration (numbered in the order the
/// search proposed them), present only when some trial belongs to a search.
pub const SEARCH_CONFIG: &str = "search_config";
/// The generation that proposed the configuration.
pub const SEARCH_GENERATION: &str = "search_generation";
/// Whether the trial retrains a chosen configuration on a fresh seed after the search.
pub const CONFIRM: &str = "confirm";

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

/// The per-epoch curves: one row per (trial, epoch), sorted by both.
pub fn epochs_frame(records: &[TrialRecord]) -> PolarsResult<DataFrame> {
    let mut rows: Vec<(&TrialRecord, &EpochMetrics)> = records
        .iter()
        .flat_map(|r| r.result.curve.iter().map(move |m| (r, m)))
        .collect();
    rows.sort_by(|a, b| {
        (a.0.trial_id.as_str(), &a.0.series, a.1.epoch).cmp(&(
            b.0.trial_id.as_str(),
            &b.0.series,
            b.1.epoch,
        ))
    });
    let f = |f: &dyn Fn(&EpochMetrics) -> Option<f64>| {
        rows.iter().map(|(_, m)| f(m)).collect::<Vec<Option<f64>>>()
    };
    let mut columns = key_columns(rows.iter().map(|(r, _)| *r));
    columns.extend([
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
    ]);
    DataFrame::new_infer_height(columns)
}

/// Each trial's forecasts of the evaluation split: one row per (trial, sample), sorted by
/// both; trials that did not finish have none.
pub fn predictions_frame(records: &[TrialRecord]) -> PolarsResult<DataFrame> {
    let mut sorted: Vec<&TrialRecord> = records.iter().collect();
    sorted.sort_by(|a, b| {
        a.trial_id
            .cmp(&b.trial_id)
            .then_with(|| a.series.cmp(&b.series))
    });
    let rows = || {
        sorted.iter().flat_map(|r| {
            r.result
                .eval_predictions
                .iter()
                .enumerate()
                .map(move |(i, p)| (*r, i, *p))
        })
    };
    let mut columns = key_columns(rows().map(|(r, _, _)| r));
    columns.extend([
        Column::new(
            "sample".into(),
            rows()
                .map(|(_, i, _)| int(i, "sample"))
                .collect::<PolarsResult<Vec<i64>>>()?,
        ),
        Column::new(
            "prediction".into(),
            rows().map(|(_, _, p)| p).collect::<Vec<f64>>(),
        ),
    ]);
    DataFrame::new_infer_height(columns)
}

/// One row per (trial, fold) of the trials trained on rolling-origin folds, sorted by both:
/// the fold's `status`, `epochs_run`, and `train_mse`, `val_mse`, `val_trend_acc` at the
/// trial's `metric_epoch` in that fold, and its `best_epoch`. `None` when no trial has folds.
pub fn folds_frame(records: &[TrialRecord]) -> PolarsResult<Option<DataFrame>> {
    let mut rows: Vec<(&TrialRecord, &FoldResult)> = records
        .iter()
        .flat_map(|r| r.result.folds.iter().map(move |f| (r, f)))
        .collect();
    if rows.is_empty() {
        return Ok(None);
    }
    rows.sort_by(|a, b| {
        a.0.trial_id
            .cmp(&b.0.trial_id)
            .then_with(|| a.0.series.cmp(&b.0.series))
            .then(a.1.fold.cmp(&b.1.fold))
    });
    let metric = |r: &TrialRecord, f: &FoldResult| f.metric(r.config.metric_epoch).copied();
    let figure = |get: &dyn Fn(&EpochMetrics) -> Option<f64>| -> Vec<Option<f64>> {
        rows.iter()
            .map(|(r, f)| metric(r, f).and_then(|m| get(&m)))
            .collect()
    };
    let mut columns = key_columns(rows.iter().map(|(r, _)| *r));
    columns.extend([
        Column::new(
            "fold".into(),
            rows.iter()
                .map(|(_, f)| int(f.fold, "fold"))
                .collect::<PolarsResult<Vec<i64>>>()?,
        ),
        Column::new(
            "status".into(),
            rows.iter()
                .map(|(_, f)| f.status.name())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "epochs_run".into(),
            rows.iter()
                .map(|(_, f)| int(f.curve.len(), "epochs_run"))
                .collect::<PolarsResult<Vec<i64>>>()?,
        ),
        Column::new("train_mse".into(), figure(&|m| Some(m.train_mse))),
        Column::new("val_mse".into(), figure(&|m| m.val_mse)),
        Column::new("val_trend_acc".into(), figure(&|m| m.val_trend_acc)),
        Column::new(
            "best_epoch".into(),
            rows.iter()
                .map(|(_, f)| f.best_epoch.map(|e| int(e, "best_epoch")).transpose())
                .collect::<PolarsResult<Vec<Option<i64>>>>()?,
        ),
    ]);
    Ok(Some(DataFrame::new_infer_height(columns)?))
}

/// Reads a Parquet table the report wrote.
pub(crate) fn read_parquet(path: &Path) -> Result<DataFrame> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    polars::prelude::ParquetReader::new(file)
        .finish()
        .with_context(|| format!("cannot read {}", path.display()))
}

/// Column `name` of a table as text, a missing value as "".
pub(crate) fn string_column(df: &DataFrame, name: &str) -> PolarsResult<Vec<String>> {
    Ok(df
        .column(name)?
        .cast(&DataType::String)?
        .str()?
        .iter()
        .map(|s| s.unwrap_or_default().to_string())
        .collect())
}

/// Column `name` of a table as floats; all missing when the table has no such column (a
/// figure a sweep did not measure, such as the test figures without test samples).
pub(crate) fn float_column(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<f64>>> {
    Ok(match df.column(name) {
        Ok(c) => c.cast(&DataType::Float64)?.f64()?.iter().collect(),
        Err(_) => vec![None; df.height()],
    })
}

/// Writes `trials.parquet`, `trials.csv` and `epochs.parquet` into `dir`: the parquet files for
/// the summary and other programs, the CSV for a quick look by eye or in a spreadsheet.
///
/// For a collection (records that name their series) the per-trial rows go to
/// `series.parquet` and `series.csv`, one per trial and series, and the trials table holds
/// one row per trial with its aggregates across the series ([`collection_trials`]).
pub fn write_trial_tables(dir: &Path, records: &[TrialRecord]) -> Result<()> {
    let mut trials = trials_frame(records).context("cannot build the trials table")?;
    let mut epochs = epochs_frame(records).context("cannot build the epochs table")?;
    if records.iter().any(|r| r.series.is_some()) {
        let baselines = if dir.join(BASELINES_CSV).is_file() {
            Baselines::new(&crate::store::read_baselines(dir)?)
        } else {
            Baselines::default()
        };
        let units = scores::units(&trials).context("cannot build the series table")?;
        add_relative_mse(&mut trials, &units, &baselines)
            .context("cannot build the series table")?;
        write_parquet(&dir.join(SERIES_PARQUET), &mut trials)?;
        write_csv(&dir.join(SERIES_CSV), &mut trials)?;
        trials = collection_trials(&trials, &units, &baselines)
            .context("cannot build the trials table")?;
    } else {
        crate::store::remove_if_present(&dir.join(SERIES_PARQUET))?;
        crate::store::remove_if_present(&dir.join(SERIES_CSV))?;
    }
    write_parquet(&dir.join(TRIALS_PARQUET), &mut trials)?;
    write_csv(&dir.join(TRIALS_CSV), &mut trials)?;
    write_parquet(&dir.join(EPOCHS_PARQUET), &mut epochs)?;
    let mut predictions =
        predictions_frame(records).context("cannot build the predictions table")?;
    write_parquet(&dir.join(PREDICTIONS_PARQUET), &mut predictions)?;
    match folds_frame(records).context("cannot build the folds table")? {
        Some(mut folds) => write_parquet(&dir.join(FOLDS_PARQUET), &mut folds)?,
        None => crate::store::remove_if_present(&dir.join(FOLDS_PARQUET))?,
    }
    Ok(())
}

/// A collection's trials table from its per-series table: one row per trial, sorted by
/// trial id, with its settings, `status` (`ok` when it ended ok on every series, `partial`
/// when on some, else the first series' status), `n_series` and `n_ok`, and the means over
/// the series it ended ok on of the scale-free figures: `val_mase`, `val_trend_acc` and, with
/// test samples, `test_mase` and `test_trend_acc`; `wall_seconds` is the total.
pub fn collection_trials(
    series: &DataFrame,
    units: &[scores::Unit],
    baselines: &Baselines,
) -> PolarsResult<DataFrame> {
    use polars::prelude::{IntoLazy, col, lit, when};
    let present = |name: &str| series.get_column_index(name).is_some();
    let ok = col("status").eq(lit("ok"));
    let mut aggs = Vec::new();
    let mut order = vec![col("trial_id")];
    // The settings in the per-series table's own order (`seed` after `learning_rate`).
    for name in series.get_column_names() {
        if super::tables::setting_kind(name).is_some() {
            aggs.push(col(name.as_str()).first());
            order.push(col(name.as_str()));
        }
    }
    aggs.extend([
        col("status").first().alias("first_status"),
        col(SERIES)
            .count()
            .cast(polars::prelude::DataType::Int64)
            .alias("n_series"),
        ok.clone()
            .sum()
            .cast(polars::prelude::DataType::Int64)
            .alias("n_ok"),
        col("wall_seconds").sum(),
    ]);
    let mut figures = vec!["val_mase", "val_trend_acc"];
    if present("test_mse") {
        figures.extend(["test_mase", "test_trend_acc"]);
    }
    for name in &figures {
        aggs.push(col(*name).filter(ok.clone()).mean());
    }
    order.extend([col("status"), col("n_series"), col("n_ok")]);
    order.extend(figures.iter().map(|n| col(*n)));
    order.push(col("wall_seconds"));
    let trials = series
        .clone()
        .lazy()
        .group_by_stable([col("trial_id")])
        .agg(aggs)
        .with_column(
            when(col("n_ok").eq(col("n_series")))
                .then(lit("ok"))
                .when(col("n_ok").gt(lit(0)))
                .then(lit("partial"))
                .otherwise(col("first_status"))
                .alias("status"),
        )
        .select(order)
        .sort(["trial_id"], Default::default())
        .collect()?;
    add_scores(trials, units, baselines)
}

/// Inserts each series row's `val_rel_mse` after its `val_smape` and `test_rel_mse` after its
/// `test_smape`: its MSE over its series' reference baseline's on the same window (`units`
/// are the rows read as [`scores::units`] reads them).
fn add_relative_mse(
    series: &mut DataFrame,
    units: &[scores::Unit],
    baselines: &Baselines,
) -> PolarsResult<()> {
    for (k, split) in SPLITS.iter().enumerate() {
        let after = format!("{split}_smape");
        let Some(at) = series.get_column_index(&after) else {
            continue;
        };
        let values: Vec<Option<f64>> = units
            .iter()
            .map(|u| baselines.relative_mse(u.window, &u.series, k, u.figs[k].mse))
            .collect();
        series.insert_column(
            at + 1,
            Column::new(format!("{split}_rel_mse").into(), values),
        )?;
    }
    Ok(())
}

/// Inserts the collection's scores of each trial (over the series it ended ok on) after its
/// mean trend accuracy of each split: `{split}_owa`, `{split}_rel_mse_gmean` and
/// `{split}_win_share` ([`scores::Scores`]).
fn add_scores(
    mut trials: DataFrame,
    units: &[scores::Unit],
    baselines: &Baselines,
) -> PolarsResult<DataFrame> {
    let by_trial = scores::trial_scores(units, baselines);
    let ids = string_column(&trials, "trial_id")?;
    for (k, split) in SPLITS.iter().enumerate() {
        let Some(at) = trials.get_column_index(&format!("{split}_trend_acc")) else {
            continue;
        };
        let column = |name: &str, f: fn(&scores::Scores) -> Option<f64>| {
            let values: Vec<Option<f64>> = ids
                .iter()
                .map(|id| by_trial.get(id).and_then(|s| f(&s[k])))
                .collect();
            Column::new(format!("{split}_{name}").into(), values)
        };
        let new = [
            column("owa", |s| s.owa),
            column("rel_mse_gmean", |s| s.rel_mse_gmean),
            column("win_share", |s| s.win_share),
        ];
        for (i, c) in new.into_iter().enumerate() {
            trials.insert_column(at + 1 + i, c)?;
        }
    }
    Ok(trials)
}
