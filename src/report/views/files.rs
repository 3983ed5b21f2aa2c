//! The summary's files: `summary.md` and one CSV per table, typed as in `trials.parquet`.

use std::path::Path;

use polars::prelude::{AnyValue, Column, DataFrame, IntoColumn, Series};

use crate::analysis::stats::Interval;
use crate::analysis::summary::{
    BaselineFigures, BestRow, ConfigRow, Confirmed, PenaltyEffect, PenaltyRow, SearchSummary,
    SettingValue, Summary, baseline_names,
};
use crate::analysis::tables::{self, SettingKind, setting_kind};
use crate::error::{Context, Result};

impl Summary {
    /// Writes `summary.md`, `axis_<name>.csv` per axis table, `penalty_effect.csv` (when the
    /// table exists), `search.csv` and `search.parquet` (for a search) and `best.csv` into
    /// `out`. Table CSVs from an earlier summary that this one
    /// does not have are removed, so the folder never mixes two summaries.
    pub fn write(&self, out: &Path) -> Result<()> {
        std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
        let mut keep: Vec<String> = Vec::new();
        for t in &self.axis_tables {
            let name = format!("axis_{}.csv", t.axis);
            let values: Vec<&SettingValue> = t.rows.iter().map(|r| &r.value).collect();
            let rows = &t.rows;
            let mut df = DataFrame::new_infer_height(vec![
                setting_column(&t.axis, &values)?,
                Column::new(
                    "trials".into(),
                    rows.iter().map(|r| r.trials as i64).collect::<Vec<_>>(),
                ),
                Column::new(
                    "diverged".into(),
                    rows.iter().map(|r| r.diverged as i64).collect::<Vec<_>>(),
                ),
                Column::new(
                    "unstable".into(),
                    rows.iter().map(|r| r.unstable as i64).collect::<Vec<_>>(),
                ),
                Column::new(
                    "val_mse_mean".into(),
                    rows.iter().map(|r| r.val_mse_mean).collect::<Vec<_>>(),
                ),
                Column::new(
                    "val_mse_std".into(),
                    rows.iter().map(|r| r.val_mse_std).collect::<Vec<_>>(),
                ),
                Column::new(
                    "val_trend_acc_mean".into(),
                    rows.iter()
                        .map(|r| r.val_trend_acc_mean)
                        .collect::<Vec<_>>(),
                ),
                Column::new(
                    "val_trend_acc_std".into(),
                    rows.iter().map(|r| r.val_trend_acc_std).collect::<Vec<_>>(),
                ),
            ])?;
            crate::store::write_csv(&out.join(&name), &mut df)?;
            keep.push(name);
        }
        if let PenaltyEffect::Computed(t) = &self.penalty {
            let mut df = penalty_frame(&t.other_axes, &t.rows)?;
            crate::store::write_csv(&out.join("penalty_effect.csv"), &mut df)?;
            keep.push("penalty_effect.csv".into());
            let mut df = penalty_frame(&[], &t.headline)?;
            crate::store::write_csv(&out.join("penalty_headline.csv"), &mut df)?;
            keep.push("penalty_headline.csv".into());
        }
        if let Some(search) = &self.search {
            let mut df = search_frame(search)?;
            crate::store::write_csv(&out.join(SEARCH_CSV), &mut df)?;
            crate::store::write_parquet(&out.join(SEARCH_PARQUET), &mut df)?;
            keep.push(SEARCH_CSV.into());
            keep.push(SEARCH_PARQUET.into());
        }
        let mut best = best_frame(&self.best, self.tested)?;
        crate::store::write_csv(&out.join("best.csv"), &mut best)?;
        let md = self.markdown();
        crate::store::write_atomically(&out.join("summary.md"), |f| {
            use std::io::Write;
            f.write_all(md.as_bytes())?;
            Ok(())
        })?;
        remove_stale(out, &keep)
    }
}

fn remove_stale(out: &Path, keep: &[String]) -> Result<()> {
    for entry in std::fs::read_dir(out).with_context(|| format!("cannot list {}", out.display()))? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours = (name.starts_with("axis_") && name.ends_with(".csv"))
            || name == "penalty_effect.csv"
            || name == "penalty_headline.csv"
            || name == SEARCH_CSV
            || name == SEARCH_PARQUET;
        if ours && !keep.contains(&name) {
            std::fs::remove_file(entry.path())
                .with_context(|| format!("cannot remove the stale {}", entry.path().display()))?;
        }
    }
    Ok(())
}

/// A setting column typed as in `trials.parquet`, so a CSV reader infers the same type.
fn setting_column(name: &str, values: &[&SettingValue]) -> Result<Column> {
    let kind = setting_kind(name).with_context(|| format!("{name} is not a setting"))?;
    let cells = values
        .iter()
        .map(|v| {
            Ok(match (kind, v) {
                (SettingKind::Int, SettingValue::Int(x)) => AnyValue::Int64(i64::try_from(*x)?),
                (SettingKind::Float, SettingValue::Float(x)) => AnyValue::Float64(*x),
                (SettingKind::Str, SettingValue::Str(x)) => AnyValue::StringOwned(x.into()),
                (SettingKind::Bool, SettingValue::Bool(x)) => AnyValue::Boolean(*x),
                _ => crate::fail!("setting {name} has a value of the wrong type: {v:?}"),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Series::from_any_values_and_dtype(name.into(), &cells, &kind.dtype(), true)?.into_column())
}

fn penalty_frame(other_axes: &[String], rows: &[PenaltyRow]) -> Result<DataFrame> {
    let mut columns = vec![Column::new(
        "lambda".into(),
        rows.iter().map(|r| r.lambda).collect::<Vec<_>>(),
    )];
    for (i, axis) in other_axes.iter().enumerate() {
        let values: Vec<&SettingValue> = rows.iter().map(|r| &r.others[i]).collect();
        columns.push(setting_column(axis, &values)?);
    }
    columns.push(Column::new(
        "n".into(),
        rows.iter().map(|r| r.n as i64).collect::<Vec<_>>(),
    ));
    type Ratio = (f64, Option<f64>, Option<f64>);
    let ratio = |f: fn(Ratio) -> Option<f64>| {
        rows.iter()
            .map(|r| {
                r.log_mse_ratio
                    .mean
                    .is_finite()
                    .then(|| f(r.mse_ratio()))
                    .flatten()
            })
            .collect::<Vec<_>>()
    };
    columns.push(Column::new("mse_ratio".into(), ratio(|r| Some(r.0))));
    columns.push(Column::new("mse_ratio_ci_low".into(), ratio(|r| r.1)));
    columns.push(Column::new("mse_ratio_ci_high".into(), ratio(|r| r.2)));
    columns.push(Column::new(
        "median_d_val_mse".into(),
        rows.iter().map(|r| r.median_d_val_mse).collect::<Vec<_>>(),
    ));
    columns.push(Column::new(
        "mse_wins".into(),
        rows.iter().map(|r| r.mse_wins).collect::<Vec<_>>(),
    ));
    for (prefix, get) in [
        (
            "d_val_trend_acc",
            (|r| &r.d_val_trend_acc) as fn(&PenaltyRow) -> &Interval,
        ),
        ("d_val_mse", |r| &r.d_val_mse),
    ] {
        columns.push(Column::new(
            format!("{prefix}_mean").into(),
            rows.iter().map(|r| get(r).mean).collect::<Vec<_>>(),
        ));
        columns.push(Column::new(
            format!("{prefix}_sd").into(),
            rows.iter().map(|r| get(r).sd).collect::<Vec<_>>(),
        ));
        columns.push(Column::new(
            format!("{prefix}_ci_low").into(),
            rows.iter().map(|r| get(r).low()).collect::<Vec<_>>(),
        ));
        columns.push(Column::new(
            format!("{prefix}_ci_high").into(),
            rows.iter().map(|r| get(r).high()).collect::<Vec<_>>(),
        ));
        if prefix == "d_val_trend_acc" {
            columns.push(Column::new(
                "acc_wins".into(),
                rows.iter().map(|r| r.acc_wins).collect::<Vec<_>>(),
            ));
        }
    }
    columns.push(Column::new(
        "unstable".into(),
        rows.iter().map(|r| r.unstable as i64).collect::<Vec<_>>(),
    ));
    Ok(DataFrame::new_infer_height(columns)?)
}

/// The best rows; with `tested`, their test figures and the baselines' beside them.
fn best_frame(best: &[BestRow], tested: bool) -> Result<DataFrame> {
    let mut columns = vec![Column::new(
        "criterion".into(),
        best.iter().map(|b| b.by.name()).collect::<Vec<_>>(),
    )];
    for (name, kind) in tables::SETTINGS.iter().filter(|(n, _)| *n != "seed") {
        let values = best
            .iter()
            .map(|b| {
                b.setting(name)
                    .with_context(|| format!("best row lacks {name}"))
            })
            .collect::<Result<Vec<_>>>()?;
        columns.push(if values.is_empty() {
            Column::new_empty((*name).into(), &kind.dtype())
        } else {
            setting_column(name, &values)?
        });
    }
    columns.push(Column::new(
        "n_seeds".into(),
        best.iter().map(|b| b.n_seeds as i64).collect::<Vec<_>>(),
    ));
    columns.push(Column::new(
        "val_mse_mean".into(),
        best.iter().map(|b| b.val_mse_mean).collect::<Vec<_>>(),
    ));
    columns.push(Column::new(
        "val_trend_acc_mean".into(),
        best.iter()
            .map(|b| b.val_trend_acc_mean)
            .collect::<Vec<_>>(),
    ));
    columns.push(Column::new(
        "unstable".into(),
        best.iter().map(|b| b.unstable as i64).collect::<Vec<_>>(),
    ));
    // Test figures only with test samples: beside the settings validation chose.
    if tested {
        columns.push(Column::new(
            "test_mse_mean".into(),
            best.iter().map(|b| b.test_mse_mean).collect::<Vec<_>>(),
        ));
        columns.push(Column::new(
            "test_trend_acc_mean".into(),
            best.iter()
                .map(|b| b.test_trend_acc_mean)
                .collect::<Vec<_>>(),
        ));
    }
    let names = baseline_names(best);
    type Pick = fn(&BaselineFigures) -> Option<f64>;
    let mut parts: Vec<(&str, Pick)> = vec![
        ("val_mse", |f| f.val_mse),
        ("val_trend_acc", |f| f.val_trend_acc),
    ];
    if tested {
        parts.push(("test_mse", |f| f.test_mse));
        parts.push(("test_trend_acc", |f| f.test_trend_acc));
    }
    for name in names {
        for (what, pick) in &parts {
            columns.push(Column::new(
                format!("{name}_{what}").into(),
                best.iter()
                    .map(|b| b.baseline(name).and_then(pick))
                    .collect::<Vec<_>>(),
            ));
        }
    }
    // The significance test against the best baseline, on the evaluation split.
    let sig = |f: fn(&crate::analysis::summary::Significance) -> Option<f64>| {
        best.iter()
            .map(|b| b.significance.as_ref().and_then(f))
            .collect::<Vec<_>>()
    };
    columns.push(Column::new(
        "compared_with".into(),
        best.iter()
            .map(|b| b.significance.as_ref().map(|s| s.baseline.clone()))
            .collect::<Vec<_>>(),
    ));
    columns.push(Column::new(
        "eval_split".into(),
        best.iter()
            .map(|b| b.significance.as_ref().map(|s| s.split.clone()))
            .collect::<Vec<_>>(),
    ));
    columns.push(Column::new("eval_setting".into(), sig(|s| Some(s.setting))));
    columns.push(Column::new(
        "eval_baseline".into(),
        sig(|s| Some(s.baseline_value)),
    ));
    columns.push(Column::new("p_value".into(), sig(|s| s.p_value)));
    let df = DataFrame::new_infer_height(columns)?;
    if df.height() != best.len() {
        crate::fail!(
            "best table has {} rows for {} best groups",
            df.height(),
            best.len()
        );
    }
    Ok(df)
}

/// A search's table of configurations, as CSV and as Parquet.
pub const SEARCH_CSV: &str = "search.csv";
pub const SEARCH_PARQUET: &str = "search.parquet";

/// Seeds as one text cell, separated by spaces.
fn seed_list(seeds: &[u64]) -> String {
    seeds
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

/// One row per configuration the search tried, in proposal order: its settings, seeds,
/// status, epochs and search-time figures, and its confirmation when it had one.
fn search_frame(search: &SearchSummary) -> Result<DataFrame> {
    let rows = &search.configs;
    let confirmed = |c: &ConfigRow| search.confirmed.iter().find(|x| x.config == c.index);
    let mut columns = vec![
        Column::new(
            "config".into(),
            rows.iter().map(|r| r.index as i64).collect::<Vec<_>>(),
        ),
        Column::new(
            "generation".into(),
            rows.iter().map(|r| r.generation as i64).collect::<Vec<_>>(),
        ),
    ];
    for (name, kind) in tables::SETTINGS.iter().filter(|(n, _)| *n != "seed") {
        let values = rows
            .iter()
            .map(|r| {
                r.setting(name)
                    .with_context(|| format!("configuration {} lacks {name}", r.index))
            })
            .collect::<Result<Vec<_>>>()?;
        columns.push(if values.is_empty() {
            Column::new_empty((*name).into(), &kind.dtype())
        } else {
            setting_column(name, &values)?
        });
    }
    columns.extend([
        Column::new(
            "seeds".into(),
            rows.iter().map(|r| seed_list(&r.seeds)).collect::<Vec<_>>(),
        ),
        Column::new(
            "status".into(),
            rows.iter().map(|r| r.status.name()).collect::<Vec<_>>(),
        ),
        Column::new(
            "epochs_trained".into(),
            rows.iter().map(|r| r.epochs as i64).collect::<Vec<_>>(),
        ),
        Column::new(
            "val_mse".into(),
            rows.iter().map(|r| r.val_mse).collect::<Vec<_>>(),
        ),
        Column::new(
            "val_trend_acc".into(),
            rows.iter().map(|r| r.val_trend_acc).collect::<Vec<_>>(),
        ),
        Column::new(
            "best_so_far".into(),
            rows.iter().map(|r| r.best_so_far).collect::<Vec<_>>(),
        ),
        Column::new(
            "pareto".into(),
            rows.iter().map(|r| r.pareto).collect::<Vec<_>>(),
        ),
        Column::new(
            "confirmed_seeds".into(),
            rows.iter()
                .map(|r| confirmed(r).map(|c| seed_list(&c.seeds)))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "confirmed_ok".into(),
            rows.iter()
                .map(|r| confirmed(r).map(|c| c.ok as i64))
                .collect::<Vec<_>>(),
        ),
    ]);
    type Pick = fn(&Confirmed) -> Option<&Interval>;
    for (name, pick) in [
        ("val_mse", (|c| c.val_mse.as_ref()) as Pick),
        ("val_trend_acc", |c| c.val_trend_acc.as_ref()),
    ] {
        let get = |f: fn(&Interval) -> Option<f64>| {
            rows.iter()
                .map(|r| confirmed(r).and_then(pick).and_then(f))
                .collect::<Vec<_>>()
        };
        columns.push(Column::new(
            format!("confirmed_{name}").into(),
            get(|iv| Some(iv.mean)),
        ));
        columns.push(Column::new(
            format!("confirmed_{name}_ci_low").into(),
            get(Interval::low),
        ));
        columns.push(Column::new(
            format!("confirmed_{name}_ci_high").into(),
            get(Interval::high),
        ));
    }
    columns.push(Column::new(
        "confirmed_rank".into(),
        rows.iter()
            .map(|r| r.confirmed_rank.map(|k| k as i64))
            .collect::<Vec<_>>(),
    ));
    Ok(DataFrame::new_infer_height(columns)?)
}
