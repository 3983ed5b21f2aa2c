//! The figures' data, computed by polars from the loaded files alongside the summary's tables:
//! setting groups with their learning curves, heatmap cells, baselines and the pooled penalty
//! effect. The views only draw what is here.

use std::cmp::Ordering;

use polars::prelude::{
    DataFrame, Expr, IntoLazy, JoinArgs, JoinType, SortMultipleOptions, col, len,
};

use super::{
    PenaltyEffect, PenaltyTable, SettingValue, count_of, get_count, get_f64, get_setting, ok_expr,
    sorted_by,
};
use crate::analysis::load::{Loaded, RunMeta};
use crate::analysis::stats::Interval;
use crate::analysis::tables::SETTINGS;
use crate::error::{Context, Result};

/// The settings that define a setting group: all of them but the seed, in [`SETTINGS`] order.
pub(crate) fn group_settings() -> Vec<&'static str> {
    SETTINGS
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| *n != "seed")
        .collect()
}

/// Position of a setting within a group key.
pub(crate) fn group_index(name: &str) -> Option<usize> {
    group_settings().iter().position(|n| *n == name)
}

/// Settings compared by value, floats by `total_cmp`, so that ties between groups always
/// break the same way. Values of one setting are all of its kind, so other pairs never meet.
fn cmp_setting(a: &SettingValue, b: &SettingValue) -> Ordering {
    match (a, b) {
        (SettingValue::Int(x), SettingValue::Int(y)) => x.cmp(y),
        (SettingValue::Float(x), SettingValue::Float(y)) => x.total_cmp(y),
        (SettingValue::Str(x), SettingValue::Str(y)) => x.cmp(y),
        (SettingValue::Bool(x), SettingValue::Bool(y)) => x.cmp(y),
        _ => Ordering::Equal,
    }
}

fn cmp_key(a: &[SettingValue], b: &[SettingValue]) -> Ordering {
    a.iter()
        .zip(b)
        .map(|(x, y)| cmp_setting(x, y))
        .find(|o| o.is_ne())
        .unwrap_or_else(|| a.len().cmp(&b.len()))
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpochPoint {
    pub epoch: u64,
    pub val_mse: f64,
    pub val_trend_acc: f64,
}

/// One baseline's validation figures. Either may be missing: a baseline that only predicts a
/// direction (say `majority_direction`) has an accuracy but no MSE.
#[derive(Debug, Clone, PartialEq)]
pub struct BaselinePoint {
    pub name: String,
    pub window: u64,
    pub val_mse: Option<f64>,
    pub val_trend_acc: Option<f64>,
}

/// Ok trials sharing every setting but the seed, with their means over seeds. Only trials
/// with both final validation figures count, since a group is a point on the trade-off plot.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// The values of [`group_settings`], in that order.
    pub key: Vec<SettingValue>,
    /// The ok trials' ids, sorted.
    pub trial_ids: Vec<String>,
    pub val_mse: f64,
    pub val_trend_acc: f64,
    /// Per epoch, the mean over the group's trials that reached it; empty without epochs.
    pub curve: Vec<EpochPoint>,
}

impl Group {
    pub fn setting(&self, name: &str) -> Option<&SettingValue> {
        group_index(name).map(|i| &self.key[i])
    }

    pub fn lambda(&self) -> f64 {
        self.setting("lambda")
            .and_then(SettingValue::as_f64)
            .unwrap_or(f64::NAN)
    }
}

/// One heatmap cell: the mean of each metric over its ok trials, and how many trials of any
/// status fall in it, so an empty cell can tell "not run" from "all failed".
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct HeatCell {
    pub trials: usize,
    pub val_mse: Option<f64>,
    pub val_trend_acc: Option<f64>,
}

/// Means over λ (columns) × batch size (rows), one panel per value of the facet axis.
#[derive(Debug, Clone, PartialEq)]
pub struct Heatmap {
    pub lambdas: Vec<SettingValue>,
    pub batches: Vec<SettingValue>,
    /// One more axis shown as side-by-side panels while it has at most three values; more
    /// panels would shrink the cells below legibility.
    pub facet: Option<(String, Vec<SettingValue>)>,
    /// Per panel, per batch-size row, per λ column.
    pub cells: Vec<Vec<Vec<HeatCell>>>,
}

/// Everything the report's figures show beyond the tables.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    pub runs: Vec<RunMeta>,
    /// The sum of every trial's wall time.
    pub wall_seconds: f64,
    /// Setting groups sorted by settings.
    pub groups: Vec<Group>,
    /// Whether every directory had `epochs.parquet`, so the groups have curves.
    pub has_epochs: bool,
    /// Baselines with a validation MSE or trend accuracy (or both), sorted by window and name.
    pub baselines: Vec<BaselinePoint>,
    /// `None` when λ or batch size has a single value, or nothing was validated.
    pub heatmap: Option<Heatmap>,
    pub pooled_penalty: Vec<PooledPenalty>,
}

/// The distinct values of every setting across all trials (whatever their status), sorted.
pub(super) fn setting_values(trials: &DataFrame) -> Result<Vec<(String, Vec<SettingValue>)>> {
    SETTINGS
        .iter()
        .map(|(name, _)| {
            let df = trials
                .clone()
                .lazy()
                .select([col(*name).unique().sort(Default::default())])
                .collect()?;
            let values = (0..df.height())
                .map(|i| get_setting(&df, name, i))
                .collect::<Result<Vec<_>>>()?;
            Ok((name.to_string(), values))
        })
        .collect()
}

fn finite(name: &str) -> Expr {
    col(name).is_finite()
}

/// The mean of the values polars grouped into a list, summed in row order (trial id order):
/// the figures were always drawn from means summed that way, and a different order could
/// move a colour or a pixel by rounding. `None` for an empty list.
fn list_mean(df: &DataFrame, name: &str, row: usize) -> Result<Option<f64>> {
    let Some(values) = df.column(name)?.list()?.get_as_series(row) else {
        return Ok(None);
    };
    let values = values.f64()?;
    let n = values.len();
    Ok((n > 0).then(|| values.into_no_null_iter().sum::<f64>() / n as f64))
}

/// Computes the figures from the loaded frames and the summary's findings.
pub(super) fn figures(
    data: &Loaded,
    values: &[(String, Vec<SettingValue>)],
    axes: &[(String, usize)],
    penalty: &PenaltyEffect,
    validated: usize,
) -> Result<Figures> {
    let wall = data
        .trials
        .clone()
        .lazy()
        .select([col("wall_seconds").sum()])
        .collect()?;
    Ok(Figures {
        runs: data.runs.clone(),
        wall_seconds: get_f64(&wall, "wall_seconds", 0)?.unwrap_or(0.0),
        groups: groups(data)?,
        has_epochs: data.epochs.is_some(),
        baselines: baseline_points(&data.baselines)?,
        heatmap: heatmap(&data.trials, values, axes, validated)?,
        pooled_penalty: match penalty {
            PenaltyEffect::Computed(t) => pooled_penalty(t),
            PenaltyEffect::NotApplicable(_) => Vec::new(),
        },
    })
}

fn groups(data: &Loaded) -> Result<Vec<Group>> {
    let settings = group_settings();
    let keys: Vec<Expr> = settings.iter().map(|s| col(*s)).collect();
    let members = data.trials.clone().lazy().filter(
        ok_expr()
            .and(finite("val_mse"))
            .and(finite("val_trend_acc")),
    );
    let df = members
        .clone()
        .group_by(keys.clone())
        .agg([col("val_mse"), col("val_trend_acc")])
        .sort(settings.clone(), sorted_by(&settings))
        .with_row_index("group", None)
        .collect()
        .context("cannot group the trials by setting")?;
    let mut groups = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        groups.push(Group {
            key: settings
                .iter()
                .map(|s| get_setting(&df, s, i))
                .collect::<Result<_>>()?,
            trial_ids: Vec::new(),
            val_mse: list_mean(&df, "val_mse", i)?.unwrap_or(f64::NAN),
            val_trend_acc: list_mean(&df, "val_trend_acc", i)?.unwrap_or(f64::NAN),
            curve: Vec::new(),
        });
    }
    let mut index_cols = keys.clone();
    index_cols.push(count_of(col("group")).alias("group"));
    let member_of = members
        .join(
            df.lazy().select(index_cols),
            keys.clone(),
            keys,
            JoinArgs::new(JoinType::Inner),
        )
        .select([col("trial_id"), col("group")])
        .sort(["trial_id"], SortMultipleOptions::default());
    let ids = member_of.clone().collect()?;
    for i in 0..ids.height() {
        let g = get_count(&ids, "group", i)?;
        let id = ids.column("trial_id")?.str()?.get(i).unwrap_or_default();
        groups[g].trial_ids.push(id.to_string());
    }
    if let Some(epochs) = &data.epochs {
        let curves = epochs
            .clone()
            .lazy()
            .join(
                member_of,
                [col("trial_id")],
                [col("trial_id")],
                JoinArgs::new(JoinType::Inner),
            )
            .sort(["trial_id", "epoch"], SortMultipleOptions::default())
            .group_by([col("group"), col("epoch")])
            .agg([col("val_mse"), col("val_trend_acc")])
            .sort(["group", "epoch"], SortMultipleOptions::default())
            .collect()
            .context("cannot compute the learning curves")?;
        let epoch = curves.column("epoch")?.i64()?;
        for i in 0..curves.height() {
            groups[get_count(&curves, "group", i)?]
                .curve
                .push(EpochPoint {
                    epoch: epoch.get(i).unwrap_or_default() as u64,
                    val_mse: list_mean(&curves, "val_mse", i)?.unwrap_or(f64::NAN),
                    val_trend_acc: list_mean(&curves, "val_trend_acc", i)?.unwrap_or(f64::NAN),
                });
        }
    }
    Ok(groups)
}

fn baseline_points(baselines: &DataFrame) -> Result<Vec<BaselinePoint>> {
    // A baseline is a mark on the validation plots, so it needs at least one validation
    // figure. A column that is absent altogether reads as missing in every row.
    let figure = |name: &str| -> Result<Vec<Option<f64>>> {
        Ok(match baselines.column(name) {
            Ok(c) => c
                .cast(&polars::prelude::DataType::Float64)?
                .f64()?
                .iter()
                .map(|v| v.filter(|v| v.is_finite()))
                .collect(),
            Err(_) => vec![None; baselines.height()],
        })
    };
    let (mse, acc) = (figure("val_mse")?, figure("val_trend_acc")?);
    let names = baselines.column("baseline")?.str()?;
    let windows = baselines
        .column("window")?
        .cast(&polars::prelude::DataType::Int64)?;
    let windows = windows.i64()?;
    Ok((0..baselines.height())
        .filter(|&i| mse[i].is_some() || acc[i].is_some())
        .map(|i| BaselinePoint {
            name: names.get(i).unwrap_or_default().to_string(),
            window: windows.get(i).unwrap_or_default() as u64,
            val_mse: mse[i],
            val_trend_acc: acc[i],
        })
        .collect())
}

fn heatmap(
    trials: &DataFrame,
    values: &[(String, Vec<SettingValue>)],
    axes: &[(String, usize)],
    validated: usize,
) -> Result<Option<Heatmap>> {
    let values_of = |name: &str| {
        values
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let (lambdas, batches) = (values_of("lambda"), values_of("batch_size"));
    if validated == 0 || lambdas.len() < 2 || batches.len() < 2 {
        return Ok(None);
    }
    let facet = axes
        .iter()
        .filter(|(n, _)| !matches!(n.as_str(), "lambda" | "batch_size" | "seed"))
        .find(|(_, k)| *k <= 3)
        .map(|(n, _)| (n.clone(), values_of(n)));
    let mut keys = vec!["lambda", "batch_size"];
    keys.extend(facet.as_ref().map(|(n, _)| n.as_str()));
    let ok_values = |name: &str| col(name).filter(ok_expr().and(finite(name))).alias(name);
    let df = trials
        .clone()
        .lazy()
        .group_by(keys.iter().map(|k| col(*k)).collect::<Vec<_>>())
        .agg([
            count_of(len()).alias("trials"),
            ok_values("val_mse"),
            ok_values("val_trend_acc"),
        ])
        .collect()
        .context("cannot compute the heatmap cells")?;
    let panels = facet.as_ref().map_or(1, |(_, v)| v.len());
    let mut cells = vec![vec![vec![HeatCell::default(); lambdas.len()]; batches.len()]; panels];
    let position =
        |all: &[SettingValue], v: &SettingValue| all.iter().position(|x| cmp_setting(x, v).is_eq());
    for i in 0..df.height() {
        let l = position(&lambdas, &get_setting(&df, "lambda", i)?);
        let b = position(&batches, &get_setting(&df, "batch_size", i)?);
        let p = match &facet {
            Some((name, vs)) => position(vs, &get_setting(&df, name, i)?),
            None => Some(0),
        };
        if let (Some(l), Some(b), Some(p)) = (l, b, p) {
            cells[p][b][l] = HeatCell {
                trials: get_count(&df, "trials", i)?,
                val_mse: list_mean(&df, "val_mse", i)?,
                val_trend_acc: list_mean(&df, "val_trend_acc", i)?,
            };
        }
    }
    Ok(Some(Heatmap {
        lambdas,
        batches,
        facet,
        cells,
    }))
}

/// The groups no other group beats on both counts (lower MSE and higher accuracy), sorted by
/// MSE; an exact tie on both keeps each tied point, since neither is better.
pub(crate) fn pareto_front(groups: &[Group]) -> Vec<&Group> {
    let mut front: Vec<&Group> = groups
        .iter()
        .filter(|g| {
            !groups.iter().any(|h| {
                h.val_mse <= g.val_mse
                    && h.val_trend_acc >= g.val_trend_acc
                    && (h.val_mse < g.val_mse || h.val_trend_acc > g.val_trend_acc)
            })
        })
        .collect();
    front.sort_by(|a, b| {
        a.val_mse
            .total_cmp(&b.val_mse)
            .then(b.val_trend_acc.total_cmp(&a.val_trend_acc))
            .then(cmp_key(&a.key, &b.key))
    });
    front
}

/// The best `n` groups by mean validation MSE (ties to the smaller settings), each with the
/// group that has λ = 0 and otherwise the same settings, when it exists and is not the group
/// itself.
pub(crate) fn best_with_partners(groups: &[Group], n: usize) -> Vec<(&Group, Option<&Group>)> {
    let mut sorted: Vec<&Group> = groups.iter().collect();
    sorted.sort_by(|a, b| {
        a.val_mse
            .total_cmp(&b.val_mse)
            .then(cmp_key(&a.key, &b.key))
    });
    let Some(li) = group_index("lambda") else {
        return sorted.into_iter().take(n).map(|g| (g, None)).collect();
    };
    sorted
        .into_iter()
        .take(n)
        .map(|g| {
            let mut key = g.key.clone();
            key[li] = SettingValue::Float(0.0);
            let same = |h: &Group| cmp_key(&h.key, &key).is_eq();
            let partner = groups
                .iter()
                .find(|h| same(h) && cmp_key(&h.key, &g.key).is_ne());
            (g, partner)
        })
        .collect()
}

/// An effect and its 95 % interval, on the scale a figure draws it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Effect {
    pub mean: f64,
    pub low: Option<f64>,
    pub high: Option<f64>,
}

impl Effect {
    pub fn low(&self) -> Option<f64> {
        self.low
    }
    pub fn high(&self) -> Option<f64> {
        self.high
    }
    fn of(iv: &Interval) -> Effect {
        Effect {
            mean: iv.mean,
            low: iv.low(),
            high: iv.high(),
        }
    }
    /// A mean log ratio and its interval as a percentage change: 100·(eˣ − 1).
    fn percent_of_log(iv: &Interval) -> Effect {
        let pct = |x: f64| 100.0 * x.exp_m1();
        Effect {
            mean: pct(iv.mean),
            low: iv.low().map(pct),
            high: iv.high().map(pct),
        }
    }
}

/// One λ's paired effects pooled over the other axes: the headline row, with the penalty
/// table's rows it pools.
#[derive(Debug, Clone, PartialEq)]
pub struct PooledPenalty {
    pub lambda: f64,
    pub n: usize,
    /// The change in validation MSE from λ = 0, in percent: the geometric-mean ratio less
    /// one, so one wild pair cannot carry it.
    pub mse_change: Effect,
    pub d_val_trend_acc: Effect,
    /// The per-row values that were pooled, in table order (MSE as percent changes).
    pub row_mse: Vec<f64>,
    pub row_acc: Vec<f64>,
}

/// Pools per-row (n, mean, sd) into the mean and sd of all the pairs together, which is exact:
/// the total sum of squares is the within-row sums, `(n−1)·sd²`, plus the between-row part,
/// `n·(mean − grand mean)²`. This avoids re-pairing trials here, which would duplicate the
/// summary's pairing rule and could drift from it.
fn pool(parts: &[(usize, f64, Option<f64>)]) -> Interval {
    let n: usize = parts.iter().map(|p| p.0).sum();
    if n == 0 {
        return Interval::from_stats(f64::NAN, None, 0);
    }
    let grand = parts.iter().map(|(k, m, _)| *k as f64 * m).sum::<f64>() / n as f64;
    let complete = parts.iter().all(|(k, _, sd)| *k < 2 || sd.is_some());
    let sd = (n >= 2 && complete).then(|| {
        let ss: f64 = parts
            .iter()
            .map(|(k, m, sd)| {
                let k = *k as f64;
                (k - 1.0).max(0.0) * sd.unwrap_or(0.0).powi(2) + k * (m - grand).powi(2)
            })
            .sum();
        (ss / (n as f64 - 1.0)).sqrt()
    });
    Interval::from_stats(grand, sd, n)
}

fn pooled_penalty(table: &PenaltyTable) -> Vec<PooledPenalty> {
    let mut order: Vec<usize> = (0..table.rows.len()).collect();
    order.sort_by(|&a, &b| table.rows[a].lambda.total_cmp(&table.rows[b].lambda));
    order
        .chunk_by(|&a, &b| {
            table.rows[a]
                .lambda
                .total_cmp(&table.rows[b].lambda)
                .is_eq()
        })
        .filter_map(|idx| {
            let rows: Vec<_> = idx.iter().map(|&i| &table.rows[i]).collect();
            let mse_rows = rows
                .iter()
                .filter(|r| r.log_mse_ratio.mean.is_finite())
                .count();
            let acc: Vec<_> = rows
                .iter()
                .filter(|r| r.d_val_trend_acc.mean.is_finite())
                .map(|r| (r.n, r.d_val_trend_acc.mean, r.d_val_trend_acc.sd))
                .collect();
            if mse_rows == 0 && acc.is_empty() {
                return None;
            }
            let lambda = rows[0].lambda;
            let headline = table
                .headline
                .iter()
                .find(|h| h.lambda.total_cmp(&lambda).is_eq())?;
            Some(PooledPenalty {
                lambda,
                n: rows.iter().map(|r| r.n).sum(),
                mse_change: Effect::percent_of_log(&headline.log_mse_ratio),
                d_val_trend_acc: Effect::of(&pool(&acc)),
                row_mse: rows
                    .iter()
                    .filter(|r| r.log_mse_ratio.mean.is_finite())
                    .map(|r| 100.0 * r.log_mse_ratio.mean.exp_m1())
                    .collect(),
                row_acc: acc.iter().map(|p| p.1).collect(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mean(values: &[f64]) -> f64 {
        values.iter().sum::<f64>() / values.len() as f64
    }

    fn sd(xs: &[f64]) -> f64 {
        let m = mean(xs);
        (xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (xs.len() as f64 - 1.0)).sqrt()
    }

    #[test]
    fn pooling_rows_equals_computing_on_all_pairs() {
        let a = [1.0, 2.5, -0.5];
        let b = [4.0, 3.0];
        let c = [7.0];
        let all: Vec<f64> = a.iter().chain(&b).chain(&c).copied().collect();
        let pooled = pool(&[
            (3, mean(&a), Some(sd(&a))),
            (2, mean(&b), Some(sd(&b))),
            (1, mean(&c), None),
        ]);
        assert!((pooled.mean - mean(&all)).abs() < 1e-12);
        assert!((pooled.sd.unwrap() - sd(&all)).abs() < 1e-12);
        let direct = Interval::from_stats(mean(&all), Some(sd(&all)), all.len());
        assert!((pooled.half_width.unwrap() - direct.half_width.unwrap()).abs() < 1e-12);
        assert_eq!(pool(&[(1, 3.0, None)]).half_width, None);
    }

    fn group(mse: f64, acc: f64, lambda: f64) -> Group {
        let mut key: Vec<SettingValue> = group_settings()
            .iter()
            .map(|_| SettingValue::Int(1))
            .collect();
        key[group_index("lambda").unwrap()] = SettingValue::Float(lambda);
        Group {
            key,
            trial_ids: vec![],
            curve: vec![],
            val_mse: mse,
            val_trend_acc: acc,
        }
    }

    #[test]
    fn pareto_front_keeps_only_undominated_points() {
        let gs = vec![
            group(1.0, 0.6, 0.0),
            group(2.0, 0.8, 0.1),
            group(1.5, 0.7, 1.0),
            group(2.5, 0.7, 2.0),
            group(0.9, 0.5, 3.0),
        ];
        let front: Vec<f64> = pareto_front(&gs).iter().map(|g| g.val_mse).collect();
        assert_eq!(front, [0.9, 1.0, 1.5, 2.0]);
    }

    #[test]
    fn partners_share_everything_but_lambda() {
        let gs = vec![
            group(1.0, 0.6, 0.1),
            group(3.0, 0.5, 0.0),
            group(2.0, 0.5, 1.0),
        ];
        let best = best_with_partners(&gs, 3);
        assert_eq!(best.len(), 3);
        assert_eq!(best[0].1.map(|p| p.val_mse), Some(3.0));
        assert_eq!(best[2].0.val_mse, 3.0);
        assert!(best[2].1.is_none(), "a λ = 0 group is not its own partner");
    }
}
