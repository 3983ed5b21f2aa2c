//! Rolling-origin folds in the summary: each chosen setting's validation figures fold by
//! fold beside the baselines' on the same folds, so a reader sees whether a setting wins on
//! every origin or on one.

use polars::prelude::*;

use super::{BestBy, BestRow, significance};
use crate::error::Result;

/// One fold of a [`FoldTable`].
#[derive(Debug, Clone, PartialEq)]
pub struct FoldRow {
    pub fold: usize,
    /// The chosen setting's mean over its seeds on this fold.
    pub setting: Option<f64>,
    /// Every baseline's figure on this fold, in the best row's baseline order.
    pub baselines: Vec<(String, Option<f64>)>,
}

/// A best row's metric on each fold, beside the baselines'.
#[derive(Debug, Clone, PartialEq)]
pub struct FoldTable {
    pub by: BestBy,
    pub rows: Vec<FoldRow>,
    /// The baseline the verdict compares with (best on validation, over the fold means).
    pub best_baseline: Option<String>,
    /// Folds on which the setting does better than that baseline.
    pub wins: usize,
}

impl FoldTable {
    /// The metric's column name.
    pub fn metric(&self) -> &'static str {
        match self.by {
            BestBy::LowestValMse => "val_mse",
            BestBy::HighestValTrendAcc => "val_trend_acc",
        }
    }
}

/// The folds' rows joined with the trials' settings and status: one row per trial and fold,
/// its `val_mse` and `val_trend_acc` the fold's. Pairing and grouping on this frame with
/// `fold` among the keys compares trials within a fold.
pub(crate) fn fold_rows(trials: &DataFrame, folds: &DataFrame) -> Result<DataFrame> {
    Ok(trials
        .clone()
        .lazy()
        .drop(cols(["val_mse", "val_trend_acc"]))
        .join(
            folds.clone().lazy(),
            [col("trial_id")],
            [col("trial_id")],
            JoinArgs::new(JoinType::Inner),
        )
        .sort(["trial_id", "fold"], SortMultipleOptions::default())
        .collect()?)
}

/// The per-fold tables of the best rows, from the per-fold trial rows (`fold_rows` of the
/// trials the best rows were chosen among) and `baseline_folds.csv`.
pub(crate) fn fold_tables(
    best: &[BestRow],
    rows: &DataFrame,
    baseline_folds: &DataFrame,
) -> Result<Vec<FoldTable>> {
    let mut tables = Vec::new();
    for row in best {
        let metric = match row.by {
            BestBy::LowestValMse => "val_mse",
            BestBy::HighestValTrendAcc => "val_trend_acc",
        };
        // The row's trials: every setting but the seed equal to the row's.
        let mut matching = rows.clone().lazy().filter(col("status").eq(lit("ok")));
        for (name, value) in &row.settings {
            let v = match value {
                crate::grid::SettingValue::Int(i) => lit(*i as i64),
                crate::grid::SettingValue::Float(x) => lit(*x),
                crate::grid::SettingValue::Str(s) => lit(s.clone()),
                crate::grid::SettingValue::Bool(b) => lit(*b),
            };
            matching = matching.filter(col(name.as_str()).eq(v));
        }
        let per_fold = matching
            .group_by([col("fold")])
            .agg([col(metric).mean().alias("mean")])
            .sort(["fold"], SortMultipleOptions::default())
            .collect()?;
        let window = match row.setting("window") {
            Some(crate::grid::SettingValue::Int(w)) => *w as i64,
            _ => continue,
        };
        let folds = per_fold.column("fold")?.i64()?.clone();
        let means = per_fold.column("mean")?.f64()?.clone();
        let base = baseline_folds
            .clone()
            .lazy()
            .filter(col("window").eq(lit(window)))
            .collect()?;
        let best_baseline = significance::best_baseline(row).map(str::to_string);
        let mut fold_rows = Vec::new();
        let mut wins = 0;
        for i in 0..per_fold.height() {
            let Some(fold) = folds.get(i) else { continue };
            let setting = means.get(i);
            let at_fold = base
                .clone()
                .lazy()
                .filter(col("fold").eq(lit(fold)))
                .collect()?;
            let names = at_fold.column("baseline")?.str()?.clone();
            let values = at_fold.column(metric)?.f64()?.clone();
            let baselines: Vec<(String, Option<f64>)> = row
                .baselines
                .iter()
                .map(|b| {
                    let v = (0..at_fold.height())
                        .find(|&j| names.get(j) == Some(b.name.as_str()))
                        .and_then(|j| values.get(j));
                    (b.name.clone(), v)
                })
                .collect();
            let against = best_baseline
                .as_ref()
                .and_then(|n| baselines.iter().find(|(b, _)| b == n))
                .and_then(|(_, v)| *v);
            if let (Some(s), Some(b)) = (setting, against) {
                let better = match row.by {
                    BestBy::LowestValMse => s < b,
                    BestBy::HighestValTrendAcc => s > b,
                };
                wins += usize::from(better);
            }
            fold_rows.push(FoldRow {
                fold: fold as usize,
                setting,
                baselines,
            });
        }
        tables.push(FoldTable {
            by: row.by,
            rows: fold_rows,
            best_baseline,
            wins,
        });
    }
    Ok(tables)
}
