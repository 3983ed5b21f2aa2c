//! Does the setting chosen on validation beat the best baseline on samples it was not chosen
//! on? Diebold–Mariano (with the Harvey–Leybourne–Newbold correction) on squared errors for
//! MSE, and an exact McNemar test on paired direction hits for trend accuracy, each against
//! the baseline that is best on validation by the same metric. The samples are the
//! evaluation split's: test when the run has test samples, else validation (where the
//! comparison is no longer held out, which the views say).

use polars::prelude::{DataFrame, Expr, IntoLazy, col, lit};

use super::{BestBy, BestRow, SettingValue, Significance, ok_expr};
use crate::analysis::stats::{diebold_mariano, mcnemar_exact};
use crate::error::Result;
use crate::model::loss::sign;

fn literal(value: &SettingValue) -> Expr {
    match value {
        SettingValue::Int(i) => lit(*i as i64),
        SettingValue::Float(x) => lit(*x),
        SettingValue::Str(s) => lit(s.clone()),
        SettingValue::Bool(b) => lit(*b),
    }
}

fn f64s(df: &DataFrame, name: &str) -> Result<Vec<Option<f64>>> {
    Ok(df.column(name)?.f64()?.iter().collect())
}

/// The best baseline on validation by `row`'s metric: a test on held-out samples against a
/// baseline chosen on them would favour the baseline.
pub(super) fn best_baseline(row: &BestRow) -> Option<&str> {
    let baseline = match row.by {
        BestBy::LowestValMse => row
            .baselines
            .iter()
            .filter_map(|b| b.val_mse.map(|v| (v, b)))
            .min_by(|a, b| a.0.total_cmp(&b.0)),
        BestBy::HighestValTrendAcc => row
            .baselines
            .iter()
            .filter_map(|b| b.val_trend_acc.map(|v| (-v, b)))
            .min_by(|a, b| a.0.total_cmp(&b.0)),
    };
    baseline.map(|(_, b)| b.name.as_str())
}

/// A best row's evaluation samples and its seeds' forecasts of them: gathered once, then
/// paired with each baseline in turn.
pub(super) struct RowForecasts {
    samples: DataFrame,
    split: String,
    y_true: Vec<Option<f64>>,
    y_last: Vec<Option<f64>>,
    /// Per seed (trial), its forecast of each sample.
    seeds: Vec<Vec<Option<f64>>>,
}

impl RowForecasts {
    /// `None` when there is nothing to pair: no evaluation samples for the row's window, or
    /// no trials of the row's settings.
    pub(super) fn gather(
        row: &BestRow,
        trials: &DataFrame,
        evaluation: &DataFrame,
        predictions: &DataFrame,
    ) -> Result<Option<RowForecasts>> {
        let Some(SettingValue::Int(window)) = row.setting("window") else {
            return Ok(None);
        };
        let group = row.settings.iter().fold(ok_expr(), |e, (name, v)| {
            e.and(col(name.as_str()).eq(literal(v)))
        });
        let ids = trials
            .clone()
            .lazy()
            .filter(group)
            .select([col("trial_id")])
            .collect()?;
        let ids: Vec<String> = ids
            .column("trial_id")?
            .str()?
            .iter()
            .flatten()
            .map(str::to_string)
            .collect();
        let samples = evaluation
            .clone()
            .lazy()
            .filter(col("window").eq(lit(*window as i64)))
            .collect()?;
        let n = samples.height();
        if n == 0 || ids.is_empty() {
            return Ok(None);
        }
        let split = samples
            .column("split")?
            .str()?
            .get(0)
            .unwrap_or("test")
            .to_string();
        let mut seeds: Vec<Vec<Option<f64>>> = Vec::with_capacity(ids.len());
        for id in &ids {
            let df = predictions
                .clone()
                .lazy()
                .filter(col("trial_id").eq(lit(id.clone())))
                .collect()?;
            let mut forecast = vec![None; n];
            let sample = df.column("sample")?.i64()?;
            let prediction = df.column("prediction")?.f64()?;
            for (s, p) in sample.iter().zip(prediction.iter()) {
                if let (Some(s), Some(p)) = (s, p)
                    && let Some(slot) = usize::try_from(s).ok().and_then(|s| forecast.get_mut(s))
                {
                    *slot = Some(p);
                }
            }
            seeds.push(forecast);
        }
        Ok(Some(RowForecasts {
            y_true: f64s(&samples, "y_true")?,
            y_last: f64s(&samples, "y_last")?,
            samples,
            split,
            seeds,
        }))
    }
}

/// The test of `row` against baseline `name` by the row's metric (Diebold–Mariano for MSE,
/// exact McNemar for accuracy), or `None` when the baseline cannot take it (no forecasts, or
/// no sample both forecast).
pub(super) fn compare(
    row: &BestRow,
    name: &str,
    forecasts: &RowForecasts,
) -> Result<Option<Significance>> {
    let Some(baseline) = row.baseline(name) else {
        return Ok(None);
    };
    let RowForecasts {
        samples,
        split,
        y_true,
        y_last,
        seeds,
    } = forecasts;
    let split = split.clone();
    let n = samples.height();

    let test = match row.by {
        BestBy::LowestValMse => {
            if samples.column(&baseline.name).is_err() {
                return Ok(None);
            }
            let base = f64s(samples, &baseline.name)?;
            let mut d = Vec::with_capacity(n);
            let (mut model_se, mut base_se) = (0.0, 0.0);
            for t in 0..n {
                let (Some(y), Some(b)) = (y_true[t], base[t]) else {
                    continue;
                };
                let errors: Option<Vec<f64>> = seeds
                    .iter()
                    .map(|s| s[t].map(|p| (p - y).powi(2)))
                    .collect();
                let Some(errors) = errors else { continue };
                let m = errors.iter().sum::<f64>() / errors.len() as f64;
                let be = (b - y).powi(2);
                model_se += m;
                base_se += be;
                d.push(m - be);
            }
            if d.is_empty() {
                return Ok(None);
            }
            let k = d.len() as f64;
            Significance {
                split,
                baseline: baseline.name.clone(),
                n: d.len(),
                setting: model_se / k,
                baseline_value: base_se / k,
                p_value: diebold_mariano(&d).map(|t| t.p_value),
                discordant: None,
            }
        }
        BestBy::HighestValTrendAcc => {
            let base: Option<Vec<Option<f64>>> = samples
                .column(&baseline.name)
                .ok()
                .map(|_| f64s(samples, &baseline.name))
                .transpose()?;
            let majority = samples.column("majority_sign")?.i64()?.get(0);
            let (mut only_model, mut only_base, mut model_hits, mut base_hits, mut k) =
                (0u64, 0u64, 0usize, 0usize, 0usize);
            for t in 0..n {
                let (Some(y), Some(last)) = (y_true[t], y_last[t]) else {
                    continue;
                };
                let truth = sign(y - last);
                let base_hit = match (&base, baseline.name.as_str()) {
                    (_, "majority_direction") => majority.map(|m| m as i8 == truth),
                    (Some(b), _) => b[t].map(|f| sign(f - last) == truth),
                    (None, _) => None,
                };
                let forecasts: Option<Vec<f64>> = seeds.iter().map(|s| s[t]).collect();
                let (Some(base_hit), Some(forecasts)) = (base_hit, forecasts) else {
                    continue;
                };
                // The setting hits a sample when most of its seeds do; on a tie, when the
                // mean of its seeds' forecasts does.
                let hits = forecasts
                    .iter()
                    .filter(|p| sign(**p - last) == truth)
                    .count();
                let mean = forecasts.iter().sum::<f64>() / forecasts.len() as f64;
                let model_hit = match (2 * hits).cmp(&forecasts.len()) {
                    std::cmp::Ordering::Greater => true,
                    std::cmp::Ordering::Less => false,
                    std::cmp::Ordering::Equal => sign(mean - last) == truth,
                };
                k += 1;
                model_hits += model_hit as usize;
                base_hits += base_hit as usize;
                match (model_hit, base_hit) {
                    (true, false) => only_model += 1,
                    (false, true) => only_base += 1,
                    _ => {}
                }
            }
            if k == 0 {
                return Ok(None);
            }
            Significance {
                split,
                baseline: baseline.name.clone(),
                n: k,
                setting: model_hits as f64 / k as f64,
                baseline_value: base_hits as f64 / k as f64,
                p_value: Some(mcnemar_exact(only_model, only_base)),
                discordant: Some((only_model, only_base)),
            }
        }
    };
    Ok(Some(test))
}
