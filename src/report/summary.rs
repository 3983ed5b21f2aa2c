//! What the report shows, computed by polars from the files alone so it can be redone any
//! time: the summary's tables and, in [`figures`], the data behind the plots. Data only: the
//! views (`super::views`) read a [`Summary`] and never compute.

mod figures;

use std::path::PathBuf;

use polars::prelude::{
    AnyValue, DataFrame, DataType, Expr, IntoLazy, JoinArgs, JoinType, SortMultipleOptions,
    UniqueKeepStrategy, col, cols, len, lit,
};

pub use self::figures::{
    BaselinePoint, EpochPoint, Figures, Group, HeatCell, Heatmap, PooledPenalty,
};
pub(crate) use self::figures::{best_with_partners, group_settings, pareto_front};
use super::load::{self, Loaded};
use super::stats::Interval;
use super::tables::SETTINGS;

pub use crate::grid::SettingValue;

use crate::error::{Context, Result};

/// A value read from a setting column, as the setting value it stores.
fn setting_from_any(value: AnyValue<'_>) -> Result<SettingValue> {
    Ok(match value {
        AnyValue::Int64(v) => SettingValue::Int(
            u64::try_from(v).with_context(|| format!("negative setting value {v}"))?,
        ),
        AnyValue::UInt64(v) => SettingValue::Int(v),
        AnyValue::Float64(v) => SettingValue::Float(v),
        AnyValue::String(s) => SettingValue::Str(s.to_string()),
        AnyValue::StringOwned(s) => SettingValue::Str(s.to_string()),
        AnyValue::Boolean(b) => SettingValue::Bool(b),
        other => crate::fail!("unexpected setting value {other:?}"),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TrialCounts {
    pub total: usize,
    pub ok: usize,
    pub diverged: usize,
    pub failed: usize,
}

/// One value of an axis, with every other setting and seed pooled.
#[derive(Debug, Clone, PartialEq)]
pub struct AxisRow {
    pub value: SettingValue,
    pub trials: usize,
    /// Trials that did not finish: diverged or failed.
    pub diverged: usize,
    /// Ok trials with a validation MSE (the count behind the mean and std).
    pub ok: usize,
    pub val_mse_mean: Option<f64>,
    /// Sample std (ddof 1); `None` with fewer than two ok trials.
    pub val_mse_std: Option<f64>,
    pub val_trend_acc_mean: Option<f64>,
    pub val_trend_acc_std: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AxisTable {
    pub axis: String,
    pub rows: Vec<AxisRow>,
}

/// One λ > 0 and one combination of the other non-seed axes, paired with λ = 0 seed by seed.
#[derive(Debug, Clone, PartialEq)]
pub struct PenaltyRow {
    pub lambda: f64,
    /// Values of [`PenaltyTable::other_axes`], in that order.
    pub others: Vec<SettingValue>,
    /// Number of pairs (seeds).
    pub n: usize,
    /// `val_mse(λ) − val_mse(0)`: negative means the penalty helped.
    pub d_val_mse: Interval,
    /// `val_trend_acc(λ) − val_trend_acc(0)`: positive means the penalty helped.
    pub d_val_trend_acc: Interval,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PenaltyTable {
    /// The axes other than λ and seed, in table order.
    pub other_axes: Vec<String>,
    pub rows: Vec<PenaltyRow>,
    /// Ok trials with λ > 0 whose λ = 0 partner is missing or not ok.
    pub unpaired: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PenaltyEffect {
    /// The grid cannot answer the question; the text says why.
    NotApplicable(String),
    Computed(PenaltyTable),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BestBy {
    LowestValMse,
    HighestValTrendAcc,
}

impl BestBy {
    pub fn name(self) -> &'static str {
        match self {
            BestBy::LowestValMse => "lowest_val_mse",
            BestBy::HighestValTrendAcc => "highest_val_trend_acc",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BaselineFigures {
    pub val_mse: f64,
    pub val_trend_acc: f64,
}

/// A group of ok trials sharing every setting but the seed, chosen as best by one criterion.
#[derive(Debug, Clone, PartialEq)]
pub struct BestRow {
    pub by: BestBy,
    /// Every setting except the seed, in [`SETTINGS`] order.
    pub settings: Vec<(String, SettingValue)>,
    pub n_seeds: usize,
    pub val_mse_mean: Option<f64>,
    pub val_trend_acc_mean: Option<f64>,
    /// The baselines at the group's window, if `baselines.csv` had them.
    pub persistence: Option<BaselineFigures>,
    pub ols: Option<BaselineFigures>,
}

impl BestRow {
    pub fn setting(&self, name: &str) -> Option<&SettingValue> {
        self.settings
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }
}

/// Everything the report shows: `summary.md`, the table CSVs and `report.html`.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub counts: TrialCounts,
    /// Settings with one value across all trials.
    pub fixed: Vec<(String, SettingValue)>,
    /// Settings with more than one value, with their number of distinct values.
    pub axes: Vec<(String, usize)>,
    /// One per axis except `seed`, in [`SETTINGS`] order.
    pub axis_tables: Vec<AxisTable>,
    pub penalty: PenaltyEffect,
    /// Best by lowest mean val_mse, then best by highest mean trend accuracy; empty when no
    /// trial finished ok.
    pub best: Vec<BestRow>,
    /// Number of baseline rows found across the directories.
    pub baseline_rows: usize,
    /// Ok trials with a final validation figure: none when the split had no validation
    /// samples (`val_fraction = 0`), and then every table of validation figures is empty.
    pub validated: usize,
    /// Every setting with its distinct values across all trials, sorted, in [`SETTINGS`]
    /// order.
    pub values: Vec<(String, Vec<SettingValue>)>,
    pub figures: Figures,
}

impl Summary {
    pub fn axis_table(&self, axis: &str) -> Option<&AxisTable> {
        self.axis_tables.iter().find(|t| t.axis == axis)
    }

    pub fn penalty_table(&self) -> Option<&PenaltyTable> {
        match &self.penalty {
            PenaltyEffect::Computed(t) => Some(t),
            PenaltyEffect::NotApplicable(_) => None,
        }
    }

    pub fn best_by(&self, by: BestBy) -> Option<&BestRow> {
        self.best.iter().find(|b| b.by == by)
    }

    /// The distinct values of a setting across all trials, sorted.
    pub fn values_of(&self, name: &str) -> &[SettingValue] {
        self.values
            .iter()
            .find(|(n, _)| n == name)
            .map_or(&[], |(_, v)| v.as_slice())
    }

    pub fn is_axis(&self, name: &str) -> bool {
        self.axes.iter().any(|(n, _)| n == name)
    }

    /// Why the validation tables and plots are empty although trials finished ok, if so.
    pub fn no_validation(&self) -> Option<&'static str> {
        (self.counts.ok > 0 && self.validated == 0).then_some(
            "No ok trial has validation figures: the data was split without validation \
             samples (val_fraction = 0), so only training figures were measured.",
        )
    }

    /// Why there is nothing to choose or plot by validation figures, as the start of a
    /// sentence.
    pub fn nothing_validated(&self) -> &'static str {
        if self.no_validation().is_some() {
            "No ok trial has validation figures (val_fraction = 0)"
        } else {
            "No trial finished ok"
        }
    }
}

/// Reads the files of every directory once ([`load`](super::load::load): trials by trial
/// id and baselines by (baseline, window), later directories winning) and computes the tables
/// and the figures' data from them.
pub fn summarize(dirs: &[PathBuf]) -> Result<Summary> {
    summarize_loaded(&load::load(dirs)?)
}

fn ok_expr() -> Expr {
    col("status").eq(lit("ok"))
}

fn sorted_by(names: &[&str]) -> SortMultipleOptions {
    SortMultipleOptions::default()
        .with_maintain_order(true)
        .with_order_descending_multi(vec![false; names.len()])
        .with_nulls_last(true)
}

fn get_count(df: &DataFrame, name: &str, row: usize) -> Result<usize> {
    Ok(df.column(name)?.u64()?.get(row).unwrap_or(0) as usize)
}

fn get_f64(df: &DataFrame, name: &str, row: usize) -> Result<Option<f64>> {
    Ok(df.column(name)?.f64()?.get(row))
}

fn get_setting(df: &DataFrame, name: &str, row: usize) -> Result<SettingValue> {
    setting_from_any(df.column(name)?.get(row)?).with_context(|| format!("column {name} row {row}"))
}

/// Counts as u64 whatever polars' index type is.
fn count_of(expr: Expr) -> Expr {
    expr.cast(DataType::UInt64)
}

fn summarize_loaded(data: &Loaded) -> Result<Summary> {
    let (trials, baselines) = (&data.trials, &data.baselines);
    let counts_df = trials
        .clone()
        .lazy()
        .select([
            count_of(len()).alias("total"),
            count_of(ok_expr().sum()).alias("ok"),
            count_of(col("status").eq(lit("diverged")).sum()).alias("diverged"),
            count_of(col("status").eq(lit("failed")).sum()).alias("failed"),
        ])
        .collect()?;
    let counts = TrialCounts {
        total: get_count(&counts_df, "total", 0)?,
        ok: get_count(&counts_df, "ok", 0)?,
        diverged: get_count(&counts_df, "diverged", 0)?,
        failed: get_count(&counts_df, "failed", 0)?,
    };

    let values = figures::setting_values(trials)?;
    let mut fixed = Vec::new();
    let mut axes = Vec::new();
    for (name, vs) in &values {
        match vs.as_slice() {
            [] => {}
            [only] => fixed.push((name.clone(), only.clone())),
            _ => axes.push((name.clone(), vs.len())),
        }
    }

    let mut axis_tables = Vec::new();
    for (axis, _) in axes.iter().filter(|(a, _)| a != "seed") {
        axis_tables.push(axis_table(trials, axis)?);
    }

    let validated_df = trials
        .clone()
        .lazy()
        .filter(ok_expr())
        .select([count_of(col("val_mse").is_not_null().sum()).alias("validated")])
        .collect()?;
    let validated = get_count(&validated_df, "validated", 0)?;
    let penalty = if counts.ok > 0 && validated == 0 {
        PenaltyEffect::NotApplicable(
            "No ok trial has validation figures (val_fraction = 0), so there is no penalty \
             effect to measure."
                .into(),
        )
    } else {
        penalty_effect(trials, &axes)?
    };
    let best = best_rows(trials, baselines)?;
    let figures = figures::figures(data, &values, &axes, &penalty, validated)?;
    Ok(Summary {
        counts,
        fixed,
        axes,
        axis_tables,
        penalty,
        best,
        baseline_rows: baselines.height(),
        validated,
        values,
        figures,
    })
}

fn axis_table(trials: &DataFrame, axis: &str) -> Result<AxisTable> {
    let ok_col = |name: &str| col(name).filter(ok_expr());
    let df = trials
        .clone()
        .lazy()
        .group_by_stable([col(axis)])
        .agg([
            count_of(len()).alias("trials"),
            count_of(col("status").neq(lit("ok")).sum()).alias("diverged"),
            count_of(ok_col("val_mse").count()).alias("n_mse"),
            ok_col("val_mse").mean().alias("val_mse_mean"),
            ok_col("val_mse").std(1).alias("val_mse_std"),
            count_of(ok_col("val_trend_acc").count()).alias("n_acc"),
            ok_col("val_trend_acc").mean().alias("val_trend_acc_mean"),
            ok_col("val_trend_acc").std(1).alias("val_trend_acc_std"),
        ])
        .sort([axis], sorted_by(&[axis]))
        .collect()
        .with_context(|| format!("cannot compute the table for axis {axis}"))?;
    let mut rows = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        let n_mse = get_count(&df, "n_mse", i)?;
        let n_acc = get_count(&df, "n_acc", i)?;
        rows.push(AxisRow {
            value: get_setting(&df, axis, i)?,
            trials: get_count(&df, "trials", i)?,
            diverged: get_count(&df, "diverged", i)?,
            ok: n_mse,
            val_mse_mean: get_f64(&df, "val_mse_mean", i)?.filter(|_| n_mse >= 1),
            val_mse_std: get_f64(&df, "val_mse_std", i)?.filter(|_| n_mse >= 2),
            val_trend_acc_mean: get_f64(&df, "val_trend_acc_mean", i)?.filter(|_| n_acc >= 1),
            val_trend_acc_std: get_f64(&df, "val_trend_acc_std", i)?.filter(|_| n_acc >= 2),
        });
    }
    Ok(AxisTable {
        axis: axis.to_string(),
        rows,
    })
}

/// Pairs each ok λ > 0 trial with the ok λ = 0 trial that shares every other setting,
/// including the seed: with the seed fixed, initialisation and batch order are the same, so
/// the difference isolates the penalty instead of the luck of the draw.
fn penalty_effect(trials: &DataFrame, axes: &[(String, usize)]) -> Result<PenaltyEffect> {
    let lambdas = trials
        .clone()
        .lazy()
        .select([
            count_of(col("lambda").eq(lit(0.0)).sum()).alias("zero"),
            count_of(col("lambda").gt(lit(0.0)).sum()).alias("positive"),
        ])
        .collect()?;
    let zero = get_count(&lambdas, "zero", 0)?;
    let positive = get_count(&lambdas, "positive", 0)?;
    if zero == 0 && positive == 0 {
        return Ok(PenaltyEffect::NotApplicable(
            "No trial has λ = 0 or λ > 0, so there is no penalty effect to measure.".into(),
        ));
    }
    if positive == 0 {
        return Ok(PenaltyEffect::NotApplicable(
            "Every trial has λ = 0, so there is no penalty effect to measure.".into(),
        ));
    }
    if zero == 0 {
        return Ok(PenaltyEffect::NotApplicable(
            "No trial has λ = 0, so no trial can serve as the unpenalised partner of a \
             penalised one."
                .into(),
        ));
    }

    let keys: Vec<&str> = SETTINGS
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| *n != "lambda")
        .collect();
    let key_exprs: Vec<Expr> = keys.iter().map(|k| col(*k)).collect();
    let other_axes: Vec<String> = axes
        .iter()
        .map(|(a, _)| a.clone())
        .filter(|a| a != "lambda" && a != "seed")
        .collect();
    let mut group_keys: Vec<&str> = vec!["lambda"];
    group_keys.extend(other_axes.iter().map(String::as_str));

    let ok = trials.clone().lazy().filter(ok_expr());
    let mut base_cols = key_exprs.clone();
    base_cols.extend([
        col("val_mse").alias("base_val_mse"),
        col("val_trend_acc").alias("base_val_trend_acc"),
        lit(true).alias("has_partner"),
    ]);
    // Reruns with new ids but identical settings would otherwise multiply the pairs.
    let base = ok
        .clone()
        .filter(col("lambda").eq(lit(0.0)))
        .unique_stable(Some(cols(keys.clone())), UniqueKeepStrategy::First)
        .select(base_cols);
    let joined = ok
        .filter(col("lambda").gt(lit(0.0)))
        .join(
            base,
            key_exprs.clone(),
            key_exprs,
            JoinArgs::new(JoinType::Left),
        )
        .with_columns([
            (col("val_mse") - col("base_val_mse")).alias("d_val_mse"),
            (col("val_trend_acc") - col("base_val_trend_acc")).alias("d_val_trend_acc"),
        ])
        .collect()
        .context("cannot pair λ > 0 trials with their λ = 0 partners")?;

    let unpaired_df = joined
        .clone()
        .lazy()
        .select([count_of(col("has_partner").is_null().sum()).alias("unpaired")])
        .collect()?;
    let unpaired = get_count(&unpaired_df, "unpaired", 0)?;

    let df = joined
        .lazy()
        .filter(col("has_partner").is_not_null())
        .group_by_stable(group_keys.iter().map(|k| col(*k)).collect::<Vec<_>>())
        .agg([
            count_of(len()).alias("n"),
            count_of(col("d_val_mse").count()).alias("n_mse"),
            col("d_val_mse").mean().alias("d_val_mse_mean"),
            col("d_val_mse").std(1).alias("d_val_mse_sd"),
            count_of(col("d_val_trend_acc").count()).alias("n_acc"),
            col("d_val_trend_acc").mean().alias("d_val_trend_acc_mean"),
            col("d_val_trend_acc").std(1).alias("d_val_trend_acc_sd"),
        ])
        .sort(group_keys.clone(), sorted_by(&group_keys))
        .collect()
        .context("cannot compute the penalty effect")?;

    let interval = |mean: &str, sd: &str, n: &str, i: usize| -> Result<Interval> {
        let n = get_count(&df, n, i)?;
        let mean = get_f64(&df, mean, i)?.unwrap_or(f64::NAN);
        Ok(Interval::from_stats(mean, get_f64(&df, sd, i)?, n))
    };
    let mut rows = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        let others = other_axes
            .iter()
            .map(|a| get_setting(&df, a, i))
            .collect::<Result<Vec<_>>>()?;
        rows.push(PenaltyRow {
            lambda: get_f64(&df, "lambda", i)?.unwrap_or(f64::NAN),
            others,
            n: get_count(&df, "n", i)?,
            d_val_mse: interval("d_val_mse_mean", "d_val_mse_sd", "n_mse", i)?,
            d_val_trend_acc: interval("d_val_trend_acc_mean", "d_val_trend_acc_sd", "n_acc", i)?,
        });
    }
    Ok(PenaltyEffect::Computed(PenaltyTable {
        other_axes,
        rows,
        unpaired,
    }))
}

fn best_rows(trials: &DataFrame, baselines: &DataFrame) -> Result<Vec<BestRow>> {
    let settings: Vec<&str> = SETTINGS
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| *n != "seed")
        .collect();
    let baseline = |name: &str| {
        baselines
            .clone()
            .lazy()
            .filter(col("baseline").eq(lit(name)))
            .select([
                col("window"),
                col("val_mse").alias(format!("{name}_val_mse")),
                col("val_trend_acc").alias(format!("{name}_val_trend_acc")),
            ])
    };
    let groups = trials
        .clone()
        .lazy()
        .filter(ok_expr())
        .group_by_stable(settings.iter().map(|s| col(*s)).collect::<Vec<_>>())
        .agg([
            count_of(len()).alias("n_seeds"),
            col("val_mse").mean().alias("val_mse_mean"),
            col("val_trend_acc").mean().alias("val_trend_acc_mean"),
        ])
        .join(
            baseline("persistence"),
            [col("window")],
            [col("window")],
            JoinArgs::new(JoinType::Left),
        )
        .join(
            baseline("ols"),
            [col("window")],
            [col("window")],
            JoinArgs::new(JoinType::Left),
        );

    // Ties fall to the lexically smallest settings, so the choice never depends on row order.
    let mut by_mse: Vec<&str> = vec!["val_mse_mean"];
    by_mse.extend(&settings);
    let mut by_acc: Vec<&str> = vec!["val_trend_acc_mean", "val_mse_mean"];
    by_acc.extend(&settings);
    let mut acc_descending = vec![false; by_acc.len()];
    acc_descending[0] = true;

    let choices = [
        (
            BestBy::LowestValMse,
            groups
                .clone()
                .filter(col("val_mse_mean").is_not_null())
                .sort(by_mse.clone(), sorted_by(&by_mse)),
        ),
        (
            BestBy::HighestValTrendAcc,
            groups.filter(col("val_trend_acc_mean").is_not_null()).sort(
                by_acc.clone(),
                sorted_by(&by_acc).with_order_descending_multi(acc_descending),
            ),
        ),
    ];
    let mut best = Vec::new();
    for (by, lf) in choices {
        let df = lf
            .limit(1)
            .collect()
            .with_context(|| format!("cannot find the {}", by.name()))?;
        if df.height() == 0 {
            continue;
        }
        let figures = |name: &str| -> Result<Option<BaselineFigures>> {
            let mse = get_f64(&df, &format!("{name}_val_mse"), 0)?;
            let acc = get_f64(&df, &format!("{name}_val_trend_acc"), 0)?;
            Ok(mse
                .zip(acc)
                .map(|(val_mse, val_trend_acc)| BaselineFigures {
                    val_mse,
                    val_trend_acc,
                }))
        };
        best.push(BestRow {
            by,
            settings: settings
                .iter()
                .map(|s| Ok((s.to_string(), get_setting(&df, s, 0)?)))
                .collect::<Result<Vec<_>>>()?,
            n_seeds: get_count(&df, "n_seeds", 0)?,
            val_mse_mean: get_f64(&df, "val_mse_mean", 0)?,
            val_trend_acc_mean: get_f64(&df, "val_trend_acc_mean", 0)?,
            persistence: figures("persistence")?,
            ols: figures("ols")?,
        });
    }
    Ok(best)
}
