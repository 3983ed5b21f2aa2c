//! A collection's summary, scored as forecasting practice scores collections
//! ([`super::scores`]): its settings ranked by the geometric mean over series of their
//! validation MSE relative to the reference baseline, with mean MASE, OWA against Naive2,
//! mean trend accuracy and the share of series won beside it; the penalty's effect paired
//! within series and seed, with a bootstrap interval over series; one setting for the whole
//! collection and the per-series winners, each confirmed on the test parts. Read from the
//! tables on disk (`series.parquet`, `baselines.csv`, `run.json`) like every other summary;
//! the views render it ([`super::views::collection`]).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::scores::{self, Baselines, Figs, Scores, Unit, clipped_log};
use super::tables::{BASELINES_CSV, SERIES_PARQUET};
use crate::error::Result;
use crate::store::{RunInfo, SkippedSeries};

/// Bootstrap resamples of the series for the penalty's intervals; the draws come from a fixed
/// seed, so the same tables give the same interval.
pub const BOOTSTRAP: usize = 2000;
const BOOTSTRAP_SEED: u64 = 20_260_101;

/// A setting (every axis but the seed): its figure on each series is the mean over the seeds
/// that ended ok there, and its scores aggregate those over the series.
#[derive(Debug, Clone, PartialEq)]
pub struct CollectionSetting {
    /// The varying settings, as `name value` pairs; empty when only the seed varies.
    pub label: String,
    pub window: usize,
    pub seeds: usize,
    /// Validation, then test.
    pub scores: [Scores; 2],
    /// Per series, the mean figures over its ok seeds.
    pub per_series: BTreeMap<String, [Figs; 2]>,
}

/// A baseline's scores across the series, for one window.
#[derive(Debug, Clone, PartialEq)]
pub struct CollectionBaseline {
    pub baseline: String,
    pub window: usize,
    pub scores: [Scores; 2],
}

/// The penalty's effect at one λ against λ = 0, paired within series, seed and the other
/// settings: per series the mean log of the clipped MSE ratio over its pairs.
#[derive(Debug, Clone, PartialEq)]
pub struct LambdaEffect {
    pub lambda: f64,
    /// Validation, then test (`None` without test parts or pairs).
    pub splits: [Option<Effect>; 2],
}

#[derive(Debug, Clone, PartialEq)]
pub struct Effect {
    /// The geometric mean over series of the MSE ratio (λ over λ = 0).
    pub ratio: f64,
    /// Its 95 % percentile bootstrap interval, resampling series.
    pub low: f64,
    pub high: f64,
    /// Series with a pair, and those whose mean ratio is below 1.
    pub series: usize,
    pub helped: usize,
    /// Per series, its geometric mean ratio.
    pub per_series: Vec<(String, f64)>,
}

/// A choice confirmed on the test parts: on how many series its test MSE beats Naive2's and
/// that of the best baseline (chosen per series on validation).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Confirmation {
    pub series: usize,
    pub beats_naive2: usize,
    pub beats_best: usize,
    /// Per series: the choice's test MSE over the best baseline's (validation when there is
    /// no test part), for the per-series picture.
    pub against_best: Vec<(String, f64)>,
}

/// The per-series winners: on each series the setting with the lowest validation MSE.
#[derive(Debug, Clone, PartialEq)]
pub struct PerSeriesWinners {
    pub window: usize,
    pub scores: [Scores; 2],
    /// How many distinct settings win somewhere.
    pub distinct: usize,
    pub confirmation: Option<Confirmation>,
}

/// What a collection's summary says.
#[derive(Debug, Clone, PartialEq)]
pub struct CollectionSummary {
    /// Series swept.
    pub series: usize,
    pub skipped: Vec<SkippedSeries>,
    /// Series on which naive2 is the plain naive forecast for values at or below 0.
    pub naive2_plain: Vec<String>,
    /// Trials (settings and seeds), and how many ended ok on every series.
    pub trials: usize,
    pub trials_ok: usize,
    /// Whether the series had test parts.
    pub tested: bool,
    /// Settings with a figure on every series of their window, best validation geometric
    /// mean relative MSE first.
    pub settings: Vec<CollectionSetting>,
    /// Settings without a figure on some series (every seed failed there): not ranked.
    pub incomplete: usize,
    pub baselines: Vec<CollectionBaseline>,
    pub effects: Vec<LambdaEffect>,
    /// The chosen setting's confirmation on the test parts (`settings[0]`).
    pub confirmation: Option<Confirmation>,
    pub winners: Option<PerSeriesWinners>,
}

impl CollectionSummary {
    /// The summary of the collection whose tables are in `dir`.
    pub fn read(dir: &Path) -> Result<CollectionSummary> {
        let frame = super::tables::read_parquet(&dir.join(SERIES_PARQUET))?;
        let units = scores::units(&frame)?;
        let rows = if dir.join(BASELINES_CSV).is_file() {
            crate::store::read_baselines(dir)?
        } else {
            Vec::new()
        };
        let info = RunInfo::read(dir)?;
        Ok(Self::from_units(&units, &rows, info))
    }

    /// The summary of the per-series rows `units` and the baselines' rows.
    pub fn from_units(
        units: &[Unit],
        baseline_rows: &[crate::model::records::BaselineRow],
        info: Option<RunInfo>,
    ) -> CollectionSummary {
        let baselines = Baselines::new(baseline_rows);
        let tested = units.iter().any(|u| u.figs[1].mse.is_some());
        let series: BTreeSet<&str> = units.iter().map(|u| u.series.as_str()).collect();
        let mut trials: BTreeMap<&str, bool> = BTreeMap::new();
        for u in units {
            *trials.entry(&u.trial_id).or_insert(true) &= u.ok;
        }
        let (mut settings, incomplete) = settings(units, &baselines);
        settings.sort_by(|a, b| {
            let key = |s: &CollectionSetting| s.scores[0].rel_mse_gmean.unwrap_or(f64::INFINITY);
            key(a)
                .total_cmp(&key(b))
                .then_with(|| a.label.cmp(&b.label))
        });
        let confirmation = settings
            .first()
            .map(|s| confirm(&s.per_series, s.window, &baselines, tested));
        let winners = settings
            .first()
            .map(|best| winners(&settings, best.window, &baselines, tested));
        let baselines_rows = baseline_scores(baseline_rows, &baselines);
        let (skipped, naive2_plain) = info
            .map(|i| (i.skipped, i.naive2_plain))
            .unwrap_or_default();
        CollectionSummary {
            series: series.len(),
            skipped,
            naive2_plain,
            trials: trials.len(),
            trials_ok: trials.values().filter(|ok| **ok).count(),
            tested,
            settings,
            incomplete,
            baselines: baselines_rows,
            effects: effects(units, tested),
            confirmation,
            winners,
        }
    }

    /// The setting chosen for the whole collection, if any has a figure on every series.
    pub fn best(&self) -> Option<&CollectionSetting> {
        self.settings
            .first()
            .filter(|s| s.scores[0].rel_mse_gmean.is_some())
    }

    /// The baseline with the lowest validation geometric mean relative MSE on `window`.
    pub fn best_baseline(&self, window: usize) -> Option<&CollectionBaseline> {
        self.baselines
            .iter()
            .filter(|b| b.window == window && b.scores[0].rel_mse_gmean.is_some())
            .min_by(|a, b| {
                a.scores[0]
                    .rel_mse_gmean
                    .partial_cmp(&b.scores[0].rel_mse_gmean)
                    .expect("finite means")
            })
    }

    /// Naive2's scores on `window`.
    pub fn naive2(&self, window: usize) -> Option<&CollectionBaseline> {
        self.baselines
            .iter()
            .find(|b| b.window == window && b.baseline == "naive2")
    }
}

/// Every setting's per-series figures (means over its ok seeds) and scores; the second value
/// counts the settings left without a figure on some series of their window.
fn settings(units: &[Unit], baselines: &Baselines) -> (Vec<CollectionSetting>, usize) {
    let mut groups: BTreeMap<(usize, &str), Vec<&Unit>> = BTreeMap::new();
    for u in units {
        groups.entry((u.window, &u.setting)).or_default().push(u);
    }
    let mut out = Vec::new();
    let mut incomplete = 0;
    for ((window, label), rows) in groups {
        let all: BTreeSet<&str> = rows.iter().map(|u| u.series.as_str()).collect();
        let seeds: BTreeSet<i64> = rows.iter().map(|u| u.seed).collect();
        let mut by_series: BTreeMap<String, Vec<&Unit>> = BTreeMap::new();
        for u in rows.iter().filter(|u| u.ok) {
            by_series.entry(u.series.clone()).or_default().push(u);
        }
        if by_series.len() < all.len() {
            incomplete += 1;
            continue;
        }
        let per_series: BTreeMap<String, [Figs; 2]> = by_series
            .into_iter()
            .map(|(s, us)| {
                let figs = |k: usize| Figs::mean(us.iter().map(|u| &u.figs[k]));
                (s, [figs(0), figs(1)])
            })
            .collect();
        let scores = split_scores(&per_series, window, baselines);
        out.push(CollectionSetting {
            label: label.to_string(),
            window,
            seeds: seeds.len(),
            scores,
            per_series,
        });
    }
    (out, incomplete)
}

fn split_scores(
    per_series: &BTreeMap<String, [Figs; 2]>,
    window: usize,
    baselines: &Baselines,
) -> [Scores; 2] {
    let split = |k: usize| {
        let figs: BTreeMap<String, Figs> =
            per_series.iter().map(|(s, f)| (s.clone(), f[k])).collect();
        scores::scores(&figs, window, baselines, k)
    };
    [split(0), split(1)]
}

/// Each baseline's scores across the series, per window, in name order.
fn baseline_scores(
    rows: &[crate::model::records::BaselineRow],
    baselines: &Baselines,
) -> Vec<CollectionBaseline> {
    let mut groups: BTreeMap<(usize, &str), BTreeMap<String, [Figs; 2]>> = BTreeMap::new();
    for r in rows {
        let Some(series) = &r.series else { continue };
        let figs = scores::figs_of(r);
        groups
            .entry((r.window, &r.baseline))
            .or_default()
            .insert(series.clone(), figs);
    }
    groups
        .into_iter()
        .map(|((window, name), per_series)| {
            // A baseline's share of series won against the best baseline says nothing.
            let mut scores = split_scores(&per_series, window, baselines);
            for s in &mut scores {
                s.win_share = None;
            }
            CollectionBaseline {
                baseline: name.to_string(),
                window,
                scores,
            }
        })
        .collect()
}

/// A choice's test MSE per series against Naive2's and the best baseline's (see
/// [`Confirmation`]); without test parts, the validation figures stand in for the picture and
/// the counts.
fn confirm(
    per_series: &BTreeMap<String, [Figs; 2]>,
    window: usize,
    baselines: &Baselines,
    tested: bool,
) -> Confirmation {
    let k = usize::from(tested);
    let mut c = Confirmation::default();
    for (s, figs) in per_series {
        let (Some(mse), Some(b)) = (figs[k].mse, baselines.get(window, s)) else {
            continue;
        };
        c.series += 1;
        if b.naive2[k].mse.is_some_and(|n| mse < n) {
            c.beats_naive2 += 1;
        }
        if let Some(best) = b.best.as_ref().and_then(|(_, m)| m[k]) {
            if mse < best {
                c.beats_best += 1;
            }
            if best > 0.0 {
                c.against_best.push((s.clone(), mse / best));
            }
        }
    }
    c
}

/// On each series of `window`, the setting with the lowest validation MSE there.
fn winners(
    settings: &[CollectionSetting],
    window: usize,
    baselines: &Baselines,
    tested: bool,
) -> PerSeriesWinners {
    let mut picks: BTreeMap<String, ([Figs; 2], &str)> = BTreeMap::new();
    for s in settings.iter().filter(|s| s.window == window) {
        for (series, figs) in &s.per_series {
            let Some(v) = figs[0].mse else { continue };
            let better = picks
                .get(series)
                .is_none_or(|(f, _)| f[0].mse.is_none_or(|b| v < b));
            if better {
                picks.insert(series.clone(), (*figs, &s.label));
            }
        }
    }
    let distinct: BTreeSet<&str> = picks.values().map(|(_, l)| *l).collect();
    let per_series: BTreeMap<String, [Figs; 2]> =
        picks.iter().map(|(s, (f, _))| (s.clone(), *f)).collect();
    PerSeriesWinners {
        window,
        scores: split_scores(&per_series, window, baselines),
        distinct: distinct.len(),
        confirmation: tested.then(|| confirm(&per_series, window, baselines, true)),
    }
}

/// The penalty's paired effects, one per λ > 0 (see [`LambdaEffect`]).
fn effects(units: &[Unit], tested: bool) -> Vec<LambdaEffect> {
    // λ = 0's figures by (series, window, seed, other settings).
    let key = |u: &Unit| (u.series.clone(), u.window, u.seed, u.others.clone());
    let zero: BTreeMap<_, &Unit> = units
        .iter()
        .filter(|u| u.ok && u.lambda == 0.0)
        .map(|u| (key(u), u))
        .collect();
    let lambdas: BTreeSet<u64> = units
        .iter()
        .filter(|u| u.lambda > 0.0)
        .map(|u| u.lambda.to_bits())
        .collect();
    let effect = |lambda: f64, k: usize| -> Option<Effect> {
        let mut logs: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for u in units.iter().filter(|u| u.ok && u.lambda == lambda) {
            let Some(base) = zero.get(&key(u)) else {
                continue;
            };
            let (Some(a), Some(b)) = (u.figs[k].mse, base.figs[k].mse) else {
                continue;
            };
            if a.is_finite() && b.is_finite() && b > 0.0 {
                logs.entry(u.series.clone())
                    .or_default()
                    .push(clipped_log(a / b));
            }
        }
        let per_series: Vec<(String, f64)> = logs
            .into_iter()
            .map(|(s, l)| (s, l.iter().sum::<f64>() / l.len() as f64))
            .collect();
        if per_series.is_empty() {
            return None;
        }
        let values: Vec<f64> = per_series.iter().map(|(_, l)| *l).collect();
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        let (low, high) = bootstrap(&values);
        Some(Effect {
            ratio: mean(&values).exp(),
            low: low.exp(),
            high: high.exp(),
            series: values.len(),
            helped: values.iter().filter(|l| **l < 0.0).count(),
            per_series: per_series.into_iter().map(|(s, l)| (s, l.exp())).collect(),
        })
    };
    lambdas
        .into_iter()
        .map(f64::from_bits)
        .map(|lambda| LambdaEffect {
            lambda,
            splits: [
                effect(lambda, 0),
                if tested { effect(lambda, 1) } else { None },
            ],
        })
        .collect()
}

/// The 2.5th and 97.5th percentiles of the mean of `values` over [`BOOTSTRAP`] resamples with
/// replacement.
pub fn bootstrap(values: &[f64]) -> (f64, f64) {
    let n = values.len();
    let mut rng = ChaCha8Rng::seed_from_u64(BOOTSTRAP_SEED);
    let mut means: Vec<f64> = (0..BOOTSTRAP)
        .map(|_| (0..n).map(|_| values[rng.gen_range(0..n)]).sum::<f64>() / n as f64)
        .collect();
    means.sort_by(f64::total_cmp);
    let at = |q: f64| means[((q * (BOOTSTRAP - 1) as f64).round() as usize).min(BOOTSTRAP - 1)];
    (at(0.025), at(0.975))
}
