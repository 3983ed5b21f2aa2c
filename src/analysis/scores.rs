//! A collection's scale-free scores, as forecasting practice scores collections: mean MASE;
//! M4's OWA against Naive2; the geometric mean over series of the MSE relative to the
//! reference baseline (`seasonal_naive`, else `persistence`), each series' ratio clipped to
//! [`CLIP`]; mean trend accuracy; and the share of series on which a setting beats the best
//! baseline of that series. Every figure is first one per series, so that no series weighs
//! more than another whatever its scale.

use std::collections::BTreeMap;

use polars::prelude::{AnyValue, DataFrame, DataType, PolarsResult};

use super::tables::{SERIES, SETTINGS, float_column, string_column};
use crate::model::baselines::{reference_baseline, relative};
use crate::model::records::BaselineRow;

/// The range each series' relative MSE is clipped to before the geometric mean: a series
/// where a setting explodes (or where the reference is nearly perfect) moves the mean by at
/// most a factor `100^(1/N)` over `N` series.
pub const CLIP: (f64, f64) = (0.01, 100.0);

/// Validation, then test.
pub const SPLITS: [&str; 2] = ["val", "test"];

/// A forecast's figures on one split of one series.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Figs {
    pub mse: Option<f64>,
    pub mase: Option<f64>,
    pub smape: Option<f64>,
    pub trend_acc: Option<f64>,
}

impl Figs {
    /// The mean of each figure over `figs`, over those that have it.
    pub fn mean<'a>(figs: impl IntoIterator<Item = &'a Figs>) -> Figs {
        let figs: Vec<&Figs> = figs.into_iter().collect();
        let mean = |f: fn(&Figs) -> Option<f64>| mean(figs.iter().filter_map(|x| f(x)));
        Figs {
            mse: mean(|f| f.mse),
            mase: mean(|f| f.mase),
            smape: mean(|f| f.smape),
            trend_acc: mean(|f| f.trend_acc),
        }
    }
}

/// The mean of `values`, `None` for none.
pub fn mean(values: impl IntoIterator<Item = f64>) -> Option<f64> {
    let (n, sum) = values
        .into_iter()
        .fold((0usize, 0.0), |(n, s), v| (n + 1, s + v));
    (n > 0).then(|| sum / n as f64)
}

/// A baseline row's figures, validation then test.
pub fn figs_of(r: &BaselineRow) -> [Figs; 2] {
    [
        Figs {
            mse: r.val_mse,
            mase: r.val_mase,
            smape: r.val_smape,
            trend_acc: r.val_trend_acc,
        },
        Figs {
            mse: r.test_mse,
            mase: r.test_mase,
            smape: r.test_smape,
            trend_acc: r.test_trend_acc,
        },
    ]
}

/// What one series' baselines give a setting to be compared with, on one window.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SeriesBaselines {
    /// The reference baseline's MSE, per split.
    pub reference: [Option<f64>; 2],
    /// Naive2's figures, per split.
    pub naive2: [Figs; 2],
    /// The baseline with the lowest validation MSE, and its MSE per split: the best baseline
    /// of the series, chosen as a setting is, on validation.
    pub best: Option<(String, [Option<f64>; 2])>,
}

/// Every series' baselines, by (window, series).
#[derive(Debug, Clone, Default)]
pub struct Baselines {
    pub by_series: BTreeMap<(usize, String), SeriesBaselines>,
}

impl Baselines {
    /// Indexes the rows of `baselines.csv` (a collection's: each names its series).
    pub fn new(rows: &[BaselineRow]) -> Baselines {
        let mut grouped: BTreeMap<(usize, String), Vec<&BaselineRow>> = BTreeMap::new();
        for r in rows {
            if let Some(s) = &r.series {
                grouped.entry((r.window, s.clone())).or_default().push(r);
            }
        }
        let by_series = grouped
            .into_iter()
            .map(|(key, rows)| {
                let names: Vec<&str> = rows.iter().map(|r| r.baseline.as_str()).collect();
                let reference = reference_baseline(&names);
                let find = |name: &str| rows.iter().find(|r| r.baseline == name);
                let best = rows
                    .iter()
                    .filter(|r| r.val_mse.is_some_and(f64::is_finite))
                    .min_by(|a, b| {
                        a.val_mse
                            .partial_cmp(&b.val_mse)
                            .expect("finite MSEs")
                            .then_with(|| a.baseline.cmp(&b.baseline))
                    })
                    .map(|r| (r.baseline.clone(), [r.val_mse, r.test_mse]));
                let series = SeriesBaselines {
                    reference: find(reference).map_or([None, None], |r| [r.val_mse, r.test_mse]),
                    naive2: find("naive2").map_or_else(Default::default, |r| figs_of(r)),
                    best,
                };
                (key, series)
            })
            .collect();
        Baselines { by_series }
    }

    /// The series with baselines on `window`.
    pub fn series(&self, window: usize) -> impl Iterator<Item = &String> {
        self.by_series
            .keys()
            .filter(move |(w, _)| *w == window)
            .map(|(_, s)| s)
    }

    pub fn get(&self, window: usize, series: &str) -> Option<&SeriesBaselines> {
        self.by_series.get(&(window, series.to_string()))
    }

    /// A series' MSE on split `k` relative to its reference baseline's.
    pub fn relative_mse(
        &self,
        window: usize,
        series: &str,
        k: usize,
        mse: Option<f64>,
    ) -> Option<f64> {
        relative(mse, self.get(window, series)?.reference[k])
    }
}

/// A setting's (or a trial's) scores on one split across a collection.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Scores {
    /// Series with a figure.
    pub n_series: usize,
    pub mase: Option<f64>,
    pub trend_acc: Option<f64>,
    /// `½·(sMAPE / sMAPE_Naive2 + MASE / MASE_Naive2)`, each a ratio of the means over the
    /// series where all four figures exist.
    pub owa: Option<f64>,
    /// The geometric mean of the series' relative MSEs, each clipped to [`CLIP`].
    pub rel_mse_gmean: Option<f64>,
    /// The share of the window's series (with a best baseline) on which the MSE is below the
    /// best baseline's; a series without a figure counts as not beaten.
    pub win_share: Option<f64>,
}

/// A series' relative MSE clipped to [`CLIP`], as its logarithm.
pub fn clipped_log(rel: f64) -> f64 {
    rel.clamp(CLIP.0, CLIP.1).ln()
}

/// The scores on split `k` of one figure per series (`per_series`, all on `window`).
pub fn scores(
    per_series: &BTreeMap<String, Figs>,
    window: usize,
    baselines: &Baselines,
    k: usize,
) -> Scores {
    let figs: Vec<&Figs> = per_series.values().collect();
    let mase = mean(figs.iter().filter_map(|f| f.mase));
    let trend_acc = mean(figs.iter().filter_map(|f| f.trend_acc));
    // OWA over the series where the setting and Naive2 both have sMAPE and MASE.
    let paired: Vec<(&Figs, &Figs)> = per_series
        .iter()
        .filter_map(|(s, f)| Some((f, &baselines.get(window, s)?.naive2[k])))
        .filter(|(f, n)| {
            f.smape.is_some() && f.mase.is_some() && n.smape.is_some() && n.mase.is_some()
        })
        .collect();
    let owa = (!paired.is_empty())
        .then(|| {
            let m = |g: fn(&(&Figs, &Figs)) -> Option<f64>| mean(paired.iter().filter_map(g));
            let smape = m(|p| p.0.smape)? / m(|p| p.1.smape)?;
            let mase = m(|p| p.0.mase)? / m(|p| p.1.mase)?;
            Some(0.5 * (smape + mase)).filter(|v| v.is_finite())
        })
        .flatten();
    let logs: Vec<f64> = per_series
        .iter()
        .filter_map(|(s, f)| baselines.relative_mse(window, s, k, f.mse))
        .map(clipped_log)
        .collect();
    let rel_mse_gmean = mean(logs.iter().copied()).map(f64::exp);
    let contests: Vec<bool> = baselines
        .series(window)
        .filter_map(|s| {
            let best = baselines.get(window, s)?.best.as_ref()?.1[k]?;
            let mse = per_series.get(s).and_then(|f| f.mse);
            Some(mse.is_some_and(|m| m < best))
        })
        .collect();
    let win_share = (!contests.is_empty())
        .then(|| contests.iter().filter(|w| **w).count() as f64 / contests.len() as f64);
    Scores {
        n_series: per_series.len(),
        mase,
        trend_acc,
        owa,
        rel_mse_gmean,
        win_share,
    }
}

/// One trial on one series, as `series.parquet` holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    pub trial_id: String,
    pub series: String,
    pub window: usize,
    pub seed: i64,
    pub lambda: f64,
    /// The settings that vary in the sweep but the seed, as `name value` pairs: a setting.
    pub setting: String,
    /// The same without λ: what a λ > 0 setting is paired with λ = 0 on.
    pub others: String,
    /// Whether the trial ended ok on this series.
    pub ok: bool,
    pub figs: [Figs; 2],
}

/// A value of a setting column as text.
fn text(value: AnyValue<'_>) -> String {
    match value {
        AnyValue::Float64(x) => crate::grid::fmt_setting_float(x),
        AnyValue::String(s) => s.to_string(),
        AnyValue::StringOwned(s) => s.to_string(),
        other => other.to_string(),
    }
}

/// The rows of a per-series table (`series.parquet`, or the frame it is written from).
pub fn units(df: &DataFrame) -> PolarsResult<Vec<Unit>> {
    let ints = |name: &str| -> PolarsResult<Vec<Option<i64>>> {
        Ok(df
            .column(name)?
            .cast(&DataType::Int64)?
            .i64()?
            .iter()
            .collect())
    };
    let varying: Vec<&str> = SETTINGS
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| *name != "seed")
        .filter(|name| {
            df.column(name)
                .is_ok_and(|c| c.n_unique().is_ok_and(|n| n > 1))
        })
        .collect();
    let label = |row: usize, skip: &str| -> PolarsResult<String> {
        Ok(varying
            .iter()
            .filter(|n| **n != skip)
            .map(|name| Ok(format!("{name} {}", text(df.column(name)?.get(row)?))))
            .collect::<PolarsResult<Vec<String>>>()?
            .join(", "))
    };
    let strings = |name: &str| string_column(df, name);
    let (ids, series, status) = (strings("trial_id")?, strings(SERIES)?, strings("status")?);
    let lambda = float_column(df, "lambda")?;
    let (window, seed) = (ints("window")?, ints("seed")?);
    let figure = |split: &str, name: &str| float_column(df, &format!("{split}_{name}"));
    let mut per_split = Vec::new();
    for split in SPLITS {
        per_split.push([
            figure(split, "mse")?,
            figure(split, "mase")?,
            figure(split, "smape")?,
            figure(split, "trend_acc")?,
        ]);
    }
    (0..df.height())
        .map(|i| {
            let figs = |k: usize| Figs {
                mse: per_split[k][0][i],
                mase: per_split[k][1][i],
                smape: per_split[k][2][i],
                trend_acc: per_split[k][3][i],
            };
            Ok(Unit {
                trial_id: ids[i].clone(),
                series: series[i].clone(),
                window: window[i].unwrap_or(0).max(0) as usize,
                seed: seed[i].unwrap_or(0),
                lambda: lambda[i].unwrap_or(0.0),
                setting: label(i, "")?,
                others: label(i, "lambda")?,
                ok: status[i] == "ok",
                figs: [figs(0), figs(1)],
            })
        })
        .collect()
}

/// Each trial's scores on both splits, from its ok series, by trial id.
pub fn trial_scores(units: &[Unit], baselines: &Baselines) -> BTreeMap<String, [Scores; 2]> {
    let mut trials: BTreeMap<&str, Vec<&Unit>> = BTreeMap::new();
    for u in units {
        trials.entry(&u.trial_id).or_default().push(u);
    }
    trials
        .into_iter()
        .map(|(id, rows)| {
            let window = rows[0].window;
            let split = |k: usize| {
                let per_series: BTreeMap<String, Figs> = rows
                    .iter()
                    .filter(|u| u.ok)
                    .map(|u| (u.series.clone(), u.figs[k]))
                    .collect();
                scores(&per_series, window, baselines, k)
            };
            (id.to_string(), [split(0), split(1)])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(series: &str, baseline: &str, val_mse: f64, smape: f64, mase: f64) -> BaselineRow {
        BaselineRow {
            series: Some(series.into()),
            baseline: baseline.into(),
            window: 2,
            train_mse: None,
            val_mse: Some(val_mse),
            val_trend_acc: Some(0.5),
            val_mase: Some(mase),
            val_smape: Some(smape),
            ..BaselineRow::default()
        }
    }

    #[test]
    fn owa_clipping_and_wins_by_hand() {
        // Persistence is the reference (no seasonal_naive); naive2 scores sMAPE 10 and 20,
        // MASE 1 and 2; drift is the best baseline of both series (MSE 0.5 and 1).
        let rows = vec![
            row("a", "persistence", 1.0, 10.0, 1.0),
            row("a", "naive2", 1.0, 10.0, 1.0),
            row("a", "drift", 0.5, 9.0, 0.9),
            row("b", "persistence", 1.0, 20.0, 2.0),
            row("b", "naive2", 1.0, 20.0, 2.0),
            row("b", "drift", 1.0, 19.0, 1.9),
        ];
        let baselines = Baselines::new(&rows);
        let figs = |mse: f64, smape: f64, mase: f64| Figs {
            mse: Some(mse),
            mase: Some(mase),
            smape: Some(smape),
            trend_acc: Some(0.75),
        };
        // MSE 10⁴ times the reference on one series and 10⁻⁴ times on the other: each is
        // clipped to [0.01, 100], and the geometric mean of 100 and 0.01 is 1.
        let per_series = BTreeMap::from([
            ("a".to_string(), figs(1e4, 5.0, 0.5)),
            ("b".to_string(), figs(1e-4, 10.0, 1.0)),
        ]);
        let s = scores(&per_series, 2, &baselines, 0);
        // ½·(7.5/15 + 0.75/1.5) = 0.5.
        assert!((s.owa.unwrap() - 0.5).abs() < 1e-12, "{s:?}");
        assert!((s.rel_mse_gmean.unwrap() - 1.0).abs() < 1e-12, "{s:?}");
        // Beats drift (1) on b only.
        assert_eq!(s.win_share, Some(0.5));
        assert_eq!(s.mase, Some(0.75));
        assert_eq!(s.n_series, 2);
        // Unclipped, the ratio 10⁴ alone would give a geometric mean of 10⁰ only by luck of
        // the pairing: drop b and the clip shows.
        let one = BTreeMap::from([("a".to_string(), figs(1e4, 5.0, 0.5))]);
        assert!((scores(&one, 2, &baselines, 0).rel_mse_gmean.unwrap() - 100.0).abs() < 1e-9);
        // A series the setting has no figure on counts as not won.
        let missing = BTreeMap::from([("b".to_string(), figs(1e-4, 10.0, 1.0))]);
        assert_eq!(scores(&missing, 2, &baselines, 0).win_share, Some(0.5));
    }
}
