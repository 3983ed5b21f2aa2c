//! What the report shows, computed by polars from the files alone so it can be redone any
//! time: the summary's tables and, in [`figures`], the data behind the plots. Data only: the
//! views (`super::views`) read a [`Summary`] and never compute.

mod figures;
mod folds;
mod search;
mod significance;

use std::path::PathBuf;

use polars::prelude::{
    AnyValue, Column, DataFrame, DataType, Expr, IntoLazy, JoinArgs, JoinType, LazyFrame,
    SortMultipleOptions, UniqueKeepStrategy, col, cols, len, lit,
};

pub use self::figures::{
    BaselinePoint, Effect, EpochPoint, Figures, Group, HeatCell, Heatmap, PooledPenalty,
};
pub(crate) use self::figures::{best_with_partners, group_settings, pareto_front};
pub use self::folds::{FoldRow, FoldTable};
pub use self::search::{
    ConfigRow, ConfigStatus, Confirmed, PruneInfo, SLICE_LOG_RATIO, SearchCurve, SearchSummary,
    SearchedSetting,
};
use super::load::{self, Loaded};
use super::stats::Interval;
use super::tables::SETTINGS;

pub use crate::grid::SettingValue;

use crate::error::{Context, Result};

/// A value read from a setting column, as the setting value it stores.
pub(crate) fn setting_from_any(value: AnyValue<'_>) -> Result<SettingValue> {
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
    /// Stopped early by a search's pruning.
    pub pruned: usize,
    /// Ok trials whose final validation MSE is over ten times their own best
    /// ([`crate::store::records::UNSTABLE_RATIO`]).
    pub unstable: usize,
}

impl TrialCounts {
    /// "N ok, N diverged, N failed", with ", N pruned" when a search pruned any.
    pub fn outcomes(&self) -> String {
        let pruned = if self.pruned > 0 {
            format!(", {} pruned", self.pruned)
        } else {
            String::new()
        };
        format!(
            "{} ok, {} diverged, {} failed{pruned}",
            self.ok, self.diverged, self.failed
        )
    }
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
    /// Of those, the ones flagged unstable.
    pub unstable: usize,
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
    /// `val_mse(λ) − val_mse(0)`: negative means the penalty helped. One pair can swing
    /// it; the ratio below is the effect to read.
    pub d_val_mse: Interval,
    /// `ln(val_mse(λ) / val_mse(0))` over the pairs with both MSEs positive: its mean,
    /// exponentiated, is the geometric-mean ratio (below 1: the penalty helped), and its
    /// interval exponentiates to the ratio's. A pair a hundred times off moves it by
    /// ln(100)/n, not by its size.
    pub log_mse_ratio: Interval,
    /// Median of `val_mse(λ) − val_mse(0)`.
    pub median_d_val_mse: Option<f64>,
    /// Share of pairs where λ > 0 has the lower validation MSE.
    pub mse_wins: Option<f64>,
    /// `val_trend_acc(λ) − val_trend_acc(0)`: positive means the penalty helped.
    pub d_val_trend_acc: Interval,
    /// Share of pairs where λ > 0 has the higher trend accuracy, a tie counting half.
    pub acc_wins: Option<f64>,
    /// Pairs with an unstable trial on either side.
    pub unstable: usize,
}

impl PenaltyRow {
    /// The geometric-mean ratio of validation MSE and its 95 % interval.
    pub fn mse_ratio(&self) -> (f64, Option<f64>, Option<f64>) {
        let r = &self.log_mse_ratio;
        (r.mean.exp(), r.low().map(f64::exp), r.high().map(f64::exp))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PenaltyTable {
    /// The axes other than λ and seed, in table order.
    pub other_axes: Vec<String>,
    pub rows: Vec<PenaltyRow>,
    /// One row per λ > 0 with every other setting pooled (`others` empty): the headline.
    pub headline: Vec<PenaltyRow>,
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

/// One baseline's figures at a window; a figure it has no samples for (or, for
/// `majority_direction`, no MSE at all) is `None`.
#[derive(Debug, Clone, PartialEq)]
pub struct BaselineFigures {
    pub name: String,
    pub val_mse: Option<f64>,
    pub val_trend_acc: Option<f64>,
    pub test_mse: Option<f64>,
    pub test_trend_acc: Option<f64>,
}

/// A significance test of the best setting against the best baseline on the evaluation
/// split (test when there is one, else validation).
#[derive(Debug, Clone, PartialEq)]
pub struct Significance {
    /// `test` or `validation`.
    pub split: String,
    /// The baseline compared with: the best one on validation by the same metric.
    pub baseline: String,
    /// Samples paired.
    pub n: usize,
    /// The setting's figure on the split (MSE: mean over seeds of squared errors; accuracy:
    /// share of samples most of its seeds get right).
    pub setting: f64,
    pub baseline_value: f64,
    /// Two-sided p-value: Diebold–Mariano (HLN) for MSE, exact McNemar for accuracy;
    /// `None` when the test is undefined (every loss difference equal).
    pub p_value: Option<f64>,
    /// McNemar's discordant pairs: samples only the setting gets right, and only the
    /// baseline; `None` for MSE.
    pub discordant: Option<(u64, u64)>,
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
    /// Means over seeds of the held-out figures: shown only here, beside the settings
    /// validation chose, never used to choose. `None` without test samples.
    pub test_mse_mean: Option<f64>,
    pub test_trend_acc_mean: Option<f64>,
    /// Seeds flagged unstable.
    pub unstable: usize,
    /// Every baseline at the group's window, in table order, if `baselines.csv` had them.
    pub baselines: Vec<BaselineFigures>,
    /// Against the best baseline by this row's metric, when the evaluation samples and the
    /// trials' forecasts are on disk.
    pub significance: Option<Significance>,
    /// The same test against every baseline that can take it, in table order.
    pub comparisons: Vec<Significance>,
}

/// The baselines beside `rows`, each once, in the order the rows list them.
pub(crate) fn baseline_names<'a>(rows: impl IntoIterator<Item = &'a BestRow>) -> Vec<&'a str> {
    let mut names: Vec<&str> = Vec::new();
    for row in rows {
        for f in &row.baselines {
            if !names.contains(&f.name.as_str()) {
                names.push(&f.name);
            }
        }
    }
    names
}

impl BestRow {
    pub fn baseline(&self, name: &str) -> Option<&BaselineFigures> {
        self.baselines.iter().find(|b| b.name == name)
    }

    pub fn setting(&self, name: &str) -> Option<&SettingValue> {
        find_setting(&self.settings, name)
    }
}

/// The value of setting `name` in a row's list of settings.
pub(crate) fn find_setting<'a>(
    settings: &'a [(String, SettingValue)],
    name: &str,
) -> Option<&'a SettingValue> {
    settings.iter().find(|(n, _)| n == name).map(|(_, v)| v)
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
    /// Whether any trial or baseline has test figures (`test_fraction > 0`).
    pub tested: bool,
    /// Ok trials with a final validation figure: none when the split had no validation
    /// samples (`val_fraction = 0`), and then every table of validation figures is empty.
    pub validated: usize,
    /// Every setting with its distinct values across all trials, sorted, in [`SETTINGS`]
    /// order.
    pub values: Vec<(String, Vec<SettingValue>)>,
    pub figures: Figures,
    /// What a search tried, confirmed and saved; `None` for a plain grid and for a merge
    /// of several directories.
    pub search: Option<SearchSummary>,
    /// The best rows were chosen among a search's confirmed configurations, on their fresh
    /// seeds only: the search seeds' scores chose those configurations, so they are
    /// optimistic and left out of the choice.
    pub chosen_from_confirmation: bool,
    /// With rolling-origin folds: each best row's metric on each fold, beside the
    /// baselines'. Empty without folds.
    pub folds: Vec<FoldTable>,
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
            count_of(col("status").eq(lit("pruned")).sum()).alias("pruned"),
            count_of(ok_expr().and(col("unstable")).sum()).alias("unstable"),
        ])
        .collect()?;
    let counts = TrialCounts {
        total: get_count(&counts_df, "total", 0)?,
        ok: get_count(&counts_df, "ok", 0)?,
        diverged: get_count(&counts_df, "diverged", 0)?,
        failed: get_count(&counts_df, "failed", 0)?,
        pruned: get_count(&counts_df, "pruned", 0)?,
        unstable: get_count(&counts_df, "unstable", 0)?,
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

    let search = search::search_summary(data)?;
    // A setting drawn from a range has a value per configuration: a table by value would
    // have a row per configuration, so the slice plots show it instead.
    let ranged = |name: &str| search.as_ref().is_some_and(|s| s.is_ranged(name));
    let mut axis_tables = Vec::new();
    for (axis, _) in axes.iter().filter(|(a, _)| a != "seed" && !ranged(a)) {
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
        // With rolling-origin folds, a λ > 0 trial is paired with its λ = 0 partner on
        // each fold: both trained on the same samples and validated on the same block.
        match &data.folds {
            Some(f) => penalty_effect(&folds::fold_rows(trials, f)?, &axes)?,
            None => penalty_effect(trials, &axes)?,
        }
    };
    let paired = match &penalty {
        PenaltyEffect::Computed(t) => !t.rows.is_empty(),
        PenaltyEffect::NotApplicable(_) => false,
    };
    let searched_lambda = search
        .as_ref()
        .is_some_and(|s| s.searched.iter().any(|x| x.name == "lambda"));
    let penalty = if searched_lambda && !paired && validated > 0 {
        PenaltyEffect::NotApplicable(if ranged("lambda") {
            "A search draws λ, so no configuration has a λ = 0 partner; to measure the \
             penalty's effect, run a grid with lambda = [0, …]."
                .into()
        } else {
            "A search picks each configuration's λ with its other settings, so no \
             configuration with λ > 0 has a λ = 0 partner with otherwise the same settings; \
             to measure the penalty's effect, run a grid with lambda = [0, …]."
                .into()
        })
    } else {
        penalty
    };
    let tested_df = trials
        .clone()
        .lazy()
        .select([count_of(col("test_mse").is_not_null().sum()).alias("tested")])
        .collect()?;
    let tested = get_count(&tested_df, "tested", 0)? > 0;
    // After a search with confirmation, the best rows come from the confirmation trials
    // alone. Among the search trials the lowest mean is the luckiest of many noisy draws;
    // the fresh seeds never took part in a choice.
    let confirmed_df = trials
        .clone()
        .lazy()
        .select([count_of(
            col("confirm")
                .fill_null(lit(false))
                .cast(DataType::UInt32)
                .sum(),
        )
        .alias("confirmed")])
        .collect();
    let chosen_from_confirmation =
        trials.column("confirm").is_ok() && get_count(&confirmed_df?, "confirmed", 0)? > 0;
    let chosen = if chosen_from_confirmation {
        trials
            .clone()
            .lazy()
            .filter(col("confirm").fill_null(lit(false)))
            .collect()?
    } else {
        trials.clone()
    };
    let mut best = best_rows(&chosen, baselines)?;
    if let (Some(evaluation), Some(predictions)) = (&data.evaluation, &data.predictions) {
        for row in &mut best {
            let Some(forecasts) =
                significance::RowForecasts::gather(row, &chosen, evaluation, predictions)?
            else {
                continue;
            };
            let mut comparisons = Vec::new();
            for b in &row.baselines {
                comparisons.extend(significance::compare(row, &b.name, &forecasts)?);
            }
            let best_name = significance::best_baseline(row).map(str::to_string);
            row.significance = comparisons
                .iter()
                .find(|c| Some(&c.baseline) == best_name.as_ref())
                .cloned();
            row.comparisons = comparisons;
        }
    }
    let mut figures = figures::figures(data, &values, &axes, &penalty, validated)?;
    if ranged("lambda") || ranged("batch_size") {
        // One column or row per configuration is no grid to read.
        figures.heatmap = None;
    }
    let fold_tables = match (&data.folds, &data.baseline_folds) {
        (Some(f), Some(b)) => folds::fold_tables(&best, &folds::fold_rows(&chosen, f)?, b)?,
        _ => Vec::new(),
    };
    Ok(Summary {
        folds: fold_tables,
        chosen_from_confirmation,
        counts,
        fixed,
        axes,
        axis_tables,
        penalty,
        best,
        baseline_rows: baselines.height(),
        tested,
        validated,
        values,
        figures,
        search,
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
            count_of(
                col("status")
                    .eq(lit("diverged"))
                    .or(col("status").eq(lit("failed")))
                    .sum(),
            )
            .alias("diverged"),
            count_of(ok_col("val_mse").count()).alias("n_mse"),
            count_of(ok_expr().and(col("unstable")).sum()).alias("unstable"),
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
            unstable: get_count(&df, "unstable", i)?,
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

    let mut keys: Vec<&str> = SETTINGS
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| *n != "lambda")
        .collect();
    if trials.column("fold").is_ok() {
        keys.push("fold");
    }
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
        col("unstable").alias("base_unstable"),
        lit(true).alias("has_partner"),
    ]);
    // Reruns with new ids but identical settings would otherwise multiply the pairs.
    let base = ok
        .clone()
        .filter(col("lambda").eq(lit(0.0)))
        .unique_stable(Some(cols(keys.clone())), UniqueKeepStrategy::First)
        .select(base_cols);
    let mut joined = ok
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
    // The log of the ratio, where both MSEs are positive and finite (polars is built
    // without its log kernels, so it is computed here).
    let log_ratio: Vec<Option<f64>> = {
        let (a, b) = (
            joined.column("val_mse")?.f64()?,
            joined.column("base_val_mse")?.f64()?,
        );
        a.iter()
            .zip(b.iter())
            .map(|pair| match pair {
                (Some(x), Some(y)) if x > 0.0 && y > 0.0 && x.is_finite() && y.is_finite() => {
                    Some((x / y).ln())
                }
                _ => None,
            })
            .collect()
    };
    joined.with_column(Column::new("log_mse_ratio".into(), log_ratio))?;

    let unpaired_df = joined
        .clone()
        .lazy()
        .select([count_of(col("has_partner").is_null().sum()).alias("unpaired")])
        .collect()?;
    let unpaired = get_count(&unpaired_df, "unpaired", 0)?;

    let paired = joined.lazy().filter(col("has_partner").is_not_null());
    let rows = penalty_rows(paired.clone(), &group_keys, &other_axes)?;
    let headline = penalty_rows(paired, &["lambda"], &[])?;
    Ok(PenaltyEffect::Computed(PenaltyTable {
        other_axes,
        rows,
        headline,
        unpaired,
    }))
}

/// The paired effects of `paired` grouped by `keys` (λ first, then `others`).
fn penalty_rows(paired: LazyFrame, keys: &[&str], others: &[String]) -> Result<Vec<PenaltyRow>> {
    let share = |e: Expr| e.cast(DataType::Float64).mean();
    let df = paired
        .group_by_stable(keys.iter().map(|k| col(*k)).collect::<Vec<_>>())
        .agg([
            count_of(len()).alias("n"),
            count_of(col("d_val_mse").count()).alias("n_mse"),
            col("d_val_mse").mean().alias("d_val_mse_mean"),
            col("d_val_mse").std(1).alias("d_val_mse_sd"),
            col("d_val_mse").median().alias("d_val_mse_median"),
            share(col("d_val_mse").lt(lit(0.0))).alias("mse_wins"),
            count_of(col("log_mse_ratio").count()).alias("n_log"),
            col("log_mse_ratio").mean().alias("log_mse_ratio_mean"),
            col("log_mse_ratio").std(1).alias("log_mse_ratio_sd"),
            count_of(col("d_val_trend_acc").count()).alias("n_acc"),
            col("d_val_trend_acc").mean().alias("d_val_trend_acc_mean"),
            col("d_val_trend_acc").std(1).alias("d_val_trend_acc_sd"),
            (share(col("d_val_trend_acc").gt(lit(0.0)))
                + share(col("d_val_trend_acc").eq(lit(0.0))) * lit(0.5))
            .alias("acc_wins"),
            count_of(col("unstable").or(col("base_unstable")).sum()).alias("unstable"),
        ])
        .sort(keys.to_vec(), sorted_by(keys))
        .collect()
        .context("cannot compute the penalty effect")?;

    let interval = |mean: &str, sd: &str, n: &str, i: usize| -> Result<Interval> {
        let n = get_count(&df, n, i)?;
        let mean = get_f64(&df, mean, i)?.unwrap_or(f64::NAN);
        Ok(Interval::from_stats(mean, get_f64(&df, sd, i)?, n))
    };
    let mut rows = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        let values = others
            .iter()
            .map(|a| get_setting(&df, a, i))
            .collect::<Result<Vec<_>>>()?;
        let n_acc = get_count(&df, "n_acc", i)?;
        let n_mse = get_count(&df, "n_mse", i)?;
        rows.push(PenaltyRow {
            lambda: get_f64(&df, "lambda", i)?.unwrap_or(f64::NAN),
            others: values,
            n: get_count(&df, "n", i)?,
            d_val_mse: interval("d_val_mse_mean", "d_val_mse_sd", "n_mse", i)?,
            log_mse_ratio: interval("log_mse_ratio_mean", "log_mse_ratio_sd", "n_log", i)?,
            median_d_val_mse: get_f64(&df, "d_val_mse_median", i)?.filter(|_| n_mse > 0),
            mse_wins: get_f64(&df, "mse_wins", i)?.filter(|_| n_mse > 0),
            d_val_trend_acc: interval("d_val_trend_acc_mean", "d_val_trend_acc_sd", "n_acc", i)?,
            acc_wins: get_f64(&df, "acc_wins", i)?.filter(|_| n_acc > 0),
            unstable: get_count(&df, "unstable", i)?,
        });
    }
    Ok(rows)
}

fn best_rows(trials: &DataFrame, baselines: &DataFrame) -> Result<Vec<BestRow>> {
    let settings: Vec<&str> = SETTINGS
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| *n != "seed")
        .collect();
    let groups = trials
        .clone()
        .lazy()
        .filter(ok_expr())
        .group_by_stable(settings.iter().map(|s| col(*s)).collect::<Vec<_>>())
        .agg([
            count_of(len()).alias("n_seeds"),
            col("val_mse").mean().alias("val_mse_mean"),
            col("val_trend_acc").mean().alias("val_trend_acc_mean"),
            col("test_mse").mean().alias("test_mse_mean"),
            col("test_trend_acc").mean().alias("test_trend_acc_mean"),
            count_of(col("unstable").sum()).alias("unstable"),
        ]);

    // Ties fall to the lexically smallest settings, so the choice never depends on row order.
    // Only validation figures choose: the test columns are carried along, never sorted on.
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
        let window = match get_setting(&df, "window", 0)? {
            SettingValue::Int(w) => w as i64,
            other => crate::fail!("window read as {other:?}"),
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
            test_mse_mean: get_f64(&df, "test_mse_mean", 0)?,
            test_trend_acc_mean: get_f64(&df, "test_trend_acc_mean", 0)?,
            unstable: get_count(&df, "unstable", 0)?,
            baselines: baselines_at(baselines, window)?,
            significance: None,
            comparisons: Vec::new(),
        });
    }
    Ok(best)
}

/// Every baseline's figures at `window`, in the order of
/// [`BASELINE_NAMES`](crate::model::baselines::BASELINE_NAMES).
pub(crate) fn baselines_at(baselines: &DataFrame, window: i64) -> Result<Vec<BaselineFigures>> {
    let df = baselines
        .clone()
        .lazy()
        .filter(col("window").eq(lit(window)))
        .collect()?;
    let names = df.column("baseline")?.str()?;
    let mut out: Vec<BaselineFigures> = (0..df.height())
        .map(|i| {
            Ok(BaselineFigures {
                name: names.get(i).unwrap_or_default().to_string(),
                val_mse: get_f64(&df, "val_mse", i)?,
                val_trend_acc: get_f64(&df, "val_trend_acc", i)?,
                test_mse: get_f64(&df, "test_mse", i)?,
                test_trend_acc: get_f64(&df, "test_trend_acc", i)?,
            })
        })
        .collect::<Result<_>>()?;
    let rank = |name: &str| {
        crate::model::baselines::BASELINE_NAMES
            .iter()
            .position(|n| *n == name)
            .unwrap_or(usize::MAX)
    };
    out.sort_by(|a, b| rank(&a.name).cmp(&rank(&b.name)).then(a.name.cmp(&b.name)));
    Ok(out)
}
