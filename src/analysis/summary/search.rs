//! What a search's report shows beyond a grid's: one row per configuration in the order the
//! search proposed them, the confirmation of the best on fresh seeds, the epochs pruning
//! saved, and the data behind the search's figures. Computed from the trials table's search
//! tags, the epochs table and the directory's `grid.toml` (for the objectives, the pruning
//! rule and which settings were drawn from ranges).

use std::collections::BTreeMap;
use std::path::Path;

use polars::prelude::{DataFrame, IntoLazy, col};

use super::figures::{EpochPoint, group_settings};
use super::{SettingValue, get_setting};
use crate::analysis::load::Loaded;
use crate::analysis::stats::Interval;
use crate::analysis::tables::{CONFIRM, SEARCH_CONFIG, SEARCH_GENERATION};
use crate::config::{Objective, PruneStrategy};
use crate::error::Result;
use crate::grid::GridSpec;
use crate::search::pareto;

/// Above this ratio of largest to smallest value a searched setting's slice plot has a
/// logarithmic axis, whatever its distribution.
pub const SLICE_LOG_RATIO: f64 = 100.0;

/// How a configuration's trials ended, taken over its seeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigStatus {
    /// Every seed trained to its last epoch (`ok`).
    Complete,
    /// Pruning stopped it at a rung.
    Pruned,
    /// A seed diverged.
    Diverged,
    /// A seed failed.
    Failed,
    /// Some seeds have no trial yet (an interrupted search).
    Incomplete,
}

impl ConfigStatus {
    pub fn name(self) -> &'static str {
        match self {
            ConfigStatus::Complete => "complete",
            ConfigStatus::Pruned => "pruned",
            ConfigStatus::Diverged => "diverged",
            ConfigStatus::Failed => "failed",
            ConfigStatus::Incomplete => "incomplete",
        }
    }
}

/// One configuration the search tried, over its search seeds (confirmation runs apart).
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigRow {
    /// Its number in the order the search proposed them, from 0.
    pub index: usize,
    pub generation: usize,
    /// Every setting except the seed, in [`group_settings`] order.
    pub settings: Vec<(String, SettingValue)>,
    /// The seeds it was trained on, sorted.
    pub seeds: Vec<u64>,
    pub status: ConfigStatus,
    /// Epochs trained, summed over its seeds.
    pub epochs: u64,
    /// Means over its seeds at each trial's metric epoch; only for a complete configuration.
    pub val_mse: Option<f64>,
    pub val_trend_acc: Option<f64>,
    /// The best first objective of the complete configurations up to and including this one.
    pub best_so_far: Option<f64>,
    /// On the Pareto front of the complete configurations; `None` with one objective.
    pub pareto: Option<bool>,
    /// Its rank by the confirmed first objective, from 1, if it was confirmed.
    pub confirmed_rank: Option<usize>,
}

impl ConfigRow {
    pub fn objective(&self, o: Objective) -> Option<f64> {
        match o {
            Objective::ValMse => self.val_mse,
            Objective::ValTrendAcc => self.val_trend_acc,
        }
    }

    pub fn setting(&self, name: &str) -> Option<&SettingValue> {
        super::find_setting(&self.settings, name)
    }
}

/// A configuration retrained on seeds the search never used.
#[derive(Debug, Clone, PartialEq)]
pub struct Confirmed {
    pub config: usize,
    /// From 1, by the confirmed first objective; `None` when no confirmation trial finished.
    pub rank: Option<usize>,
    /// Every seed it was retrained on, sorted.
    pub seeds: Vec<u64>,
    /// Of those, the ones that trained to the end (the means are over these).
    pub ok: usize,
    pub val_mse: Option<Interval>,
    pub val_trend_acc: Option<Interval>,
}

impl Confirmed {
    pub fn objective(&self, o: Objective) -> Option<&Interval> {
        match o {
            Objective::ValMse => self.val_mse.as_ref(),
            Objective::ValTrendAcc => self.val_trend_acc.as_ref(),
        }
    }
}

/// A setting the search chose a value for per configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchedSetting {
    pub name: String,
    /// The distribution it was drawn from (`log_uniform`, …) and its bounds; `None` for a
    /// list of choices.
    pub range: Option<(String, f64, f64)>,
    /// Whether its slice plot is logarithmic: a log distribution, or values spanning more
    /// than [`SLICE_LOG_RATIO`].
    pub log_scale: bool,
}

/// The pruning rule, as the grid file set it.
#[derive(Debug, Clone, PartialEq)]
pub struct PruneInfo {
    /// `asha` or `median`.
    pub strategy: String,
    /// The epochs decisions were made at.
    pub rungs: Vec<usize>,
    pub reduction_factor: usize,
}

/// One search trial's validation curve, for the figure of pruned against surviving curves.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchCurve {
    pub config: usize,
    pub pruned: bool,
    pub points: Vec<EpochPoint>,
}

/// Everything the report says about a search.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchSummary {
    /// `grid`, `random` or `tpe`; `None` when the directory has no readable `grid.toml`.
    pub strategy: Option<String>,
    /// Configurations the grid file asked for.
    pub planned: Option<usize>,
    /// Configurations proposed together; `None` when the whole search was one generation.
    pub generation_size: Option<usize>,
    /// What the search optimised: one objective, or two for a Pareto search. Without
    /// `grid.toml`, validation MSE.
    pub objectives: Vec<Objective>,
    pub prune: Option<PruneInfo>,
    /// Every setting the search varied, in canonical order.
    pub searched: Vec<SearchedSetting>,
    /// In proposal order.
    pub configs: Vec<ConfigRow>,
    /// Best confirmed first; configurations without a finished confirmation trial last.
    pub confirmed: Vec<Confirmed>,
    /// How many configurations the grid file asked to confirm, and on how many seeds.
    pub confirm_planned: usize,
    pub confirm_seeds: usize,
    /// Epochs the search's trials trained, and what their settings asked for: what they
    /// would have trained had nothing stopped them early.
    pub epochs_trained: u64,
    pub epochs_unpruned: u64,
    /// Epochs of the confirmation trials, which are never pruned.
    pub confirm_epochs: u64,
    /// Every search trial's curve (confirmation runs apart), by trial id.
    pub curves: Vec<SearchCurve>,
    /// Whether `grid.toml` was missing or unreadable, so the objective is assumed.
    pub grid_missing: bool,
}

impl SearchSummary {
    pub fn first_objective(&self) -> Objective {
        self.objectives
            .first()
            .copied()
            .unwrap_or(Objective::ValMse)
    }

    pub fn config(&self, index: usize) -> Option<&ConfigRow> {
        self.configs.iter().find(|c| c.index == index)
    }

    pub fn count(&self, status: ConfigStatus) -> usize {
        self.configs.iter().filter(|c| c.status == status).count()
    }

    /// The share of the unpruned epochs the search did not train, in [0, 1].
    pub fn saved_share(&self) -> Option<f64> {
        (self.epochs_unpruned > 0)
            .then(|| 1.0 - self.epochs_trained as f64 / self.epochs_unpruned as f64)
    }

    /// The complete configurations, best first by the first objective (ties to the earlier).
    pub fn ranked(&self) -> Vec<&ConfigRow> {
        let o = self.first_objective();
        let mut rows: Vec<&ConfigRow> = self
            .configs
            .iter()
            .filter(|c| c.objective(o).is_some())
            .collect();
        rows.sort_by(|a, b| {
            let (x, y) = (a.objective(o), b.objective(o));
            let loss = |v: Option<f64>| o.as_loss(v.unwrap_or(f64::NAN));
            loss(x).total_cmp(&loss(y)).then(a.index.cmp(&b.index))
        });
        rows
    }

    /// The best configuration by the search-time first objective.
    pub fn best(&self) -> Option<&ConfigRow> {
        self.ranked().into_iter().next()
    }

    /// The Pareto front, sorted by the first objective (best first).
    pub fn front(&self) -> Vec<&ConfigRow> {
        self.ranked()
            .into_iter()
            .filter(|c| c.pareto == Some(true))
            .collect()
    }

    /// Whether a setting was drawn from a range.
    pub fn is_ranged(&self, name: &str) -> bool {
        self.searched
            .iter()
            .any(|s| s.name == name && s.range.is_some())
    }

    pub fn ranged(&self) -> impl Iterator<Item = &SearchedSetting> {
        self.searched.iter().filter(|s| s.range.is_some())
    }
}

/// One search trial as the trials table holds it.
struct Trial {
    id: String,
    config: usize,
    generation: usize,
    confirm: bool,
    status: String,
    seed: u64,
    epochs: u64,
    epochs_run: u64,
    val_mse: Option<f64>,
    val_trend_acc: Option<f64>,
    settings: Vec<SettingValue>,
}

fn search_trials(trials: &DataFrame) -> Result<Vec<Trial>> {
    let df = trials
        .clone()
        .lazy()
        .filter(col(SEARCH_CONFIG).is_not_null())
        .collect()?;
    let ids = df.column("trial_id")?.str()?;
    let config = df.column(SEARCH_CONFIG)?.i64()?;
    let generation = df.column(SEARCH_GENERATION)?.i64()?;
    let confirm = df.column(CONFIRM)?.bool()?;
    let status = df.column("status")?.str()?;
    let seed = df.column("seed")?.i64()?;
    let epochs = df.column("epochs")?.i64()?;
    let epochs_run = df.column("epochs_run")?.i64()?;
    let val_mse = df.column("val_mse")?.f64()?;
    let val_acc = df.column("val_trend_acc")?.f64()?;
    let names = group_settings();
    let count = |v: Option<i64>| v.and_then(|v| u64::try_from(v).ok()).unwrap_or(0);
    (0..df.height())
        .map(|i| {
            Ok(Trial {
                id: ids.get(i).unwrap_or_default().to_string(),
                config: count(config.get(i)) as usize,
                generation: count(generation.get(i)) as usize,
                confirm: confirm.get(i).unwrap_or(false),
                status: status.get(i).unwrap_or_default().to_string(),
                seed: count(seed.get(i)),
                epochs: count(epochs.get(i)),
                epochs_run: count(epochs_run.get(i)),
                val_mse: val_mse.get(i),
                val_trend_acc: val_acc.get(i),
                settings: names
                    .iter()
                    .map(|n| get_setting(&df, n, i))
                    .collect::<Result<_>>()?,
            })
        })
        .collect()
}

/// The mean of values that are all present, or `None`; non-finite means are no score (as
/// the search itself treats them).
fn mean_of(values: impl IntoIterator<Item = Option<f64>>) -> Option<f64> {
    let values: Vec<f64> = values.into_iter().collect::<Option<_>>()?;
    if values.is_empty() {
        return None;
    }
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    mean.is_finite().then_some(mean)
}

/// A mean over seeds with its 95 % t-interval, over the finite values; `None` without any.
fn interval_of(values: &[Option<f64>]) -> Option<Interval> {
    let v: Vec<f64> = values
        .iter()
        .flatten()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    if v.is_empty() {
        return None;
    }
    let n = v.len();
    let mean = v.iter().sum::<f64>() / n as f64;
    let sd = (n >= 2)
        .then(|| (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n as f64 - 1.0)).sqrt());
    Some(Interval::from_stats(mean, sd, n))
}

/// The search's summary, or `None` when the report is not of one search: no trial carries a
/// search tag, or several directories are merged (their configuration numbers would clash).
pub(super) fn search_summary(data: &Loaded) -> Result<Option<SearchSummary>> {
    if data.runs.len() != 1 {
        return Ok(None);
    }
    let trials = search_trials(&data.trials)?;
    if trials.is_empty() {
        return Ok(None);
    }
    let spec = data.grids[0].as_deref().and_then(|text| {
        let path = data.runs[0].dir.join(crate::store::GRID_TOML);
        GridSpec::parse(text, Path::new(&path)).ok()
    });
    let objectives = spec
        .as_ref()
        .map_or_else(|| vec![Objective::ValMse], |s| s.search.objectives.clone());
    let names = group_settings();

    let mut by_config: BTreeMap<usize, Vec<&Trial>> = BTreeMap::new();
    let mut confirmations: BTreeMap<usize, Vec<&Trial>> = BTreeMap::new();
    for t in &trials {
        let map = if t.confirm {
            &mut confirmations
        } else {
            &mut by_config
        };
        map.entry(t.config).or_default().push(t);
    }
    let wanted_seeds = spec.as_ref().map(|s| s.seeds().len());

    let mut configs = Vec::with_capacity(by_config.len());
    for (&index, members) in &by_config {
        let has = |s: &str| members.iter().any(|t| t.status == s);
        let status = if has("failed") {
            ConfigStatus::Failed
        } else if has("diverged") {
            ConfigStatus::Diverged
        } else if has("pruned") {
            ConfigStatus::Pruned
        } else if wanted_seeds.is_some_and(|n| members.len() < n) || !has("ok") {
            ConfigStatus::Incomplete
        } else {
            ConfigStatus::Complete
        };
        let complete = status == ConfigStatus::Complete;
        let mut seeds: Vec<u64> = members.iter().map(|t| t.seed).collect();
        seeds.sort_unstable();
        let first = members[0];
        configs.push(ConfigRow {
            index,
            generation: first.generation,
            settings: names
                .iter()
                .map(|n| n.to_string())
                .zip(first.settings.iter().cloned())
                .collect(),
            seeds,
            status,
            epochs: members.iter().map(|t| t.epochs_run).sum(),
            val_mse: complete
                .then(|| mean_of(members.iter().map(|t| t.val_mse)))
                .flatten(),
            val_trend_acc: complete
                .then(|| mean_of(members.iter().map(|t| t.val_trend_acc)))
                .flatten(),
            best_so_far: None,
            pareto: None,
            confirmed_rank: None,
        });
    }

    // The running best of the first objective, in proposal order.
    let first = objectives.first().copied().unwrap_or(Objective::ValMse);
    let mut best: Option<f64> = None;
    for c in &mut configs {
        if let Some(v) = c.objective(first)
            && best.is_none_or(|b| first.as_loss(v) < first.as_loss(b))
        {
            best = Some(v);
        }
        c.best_so_far = best;
    }

    // The Pareto front of the complete configurations, every objective as a loss.
    if objectives.len() >= 2 {
        let scored: Vec<(usize, Vec<f64>)> = configs
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                objectives
                    .iter()
                    .map(|&o| c.objective(o).map(|v| o.as_loss(v)))
                    .collect::<Option<Vec<f64>>>()
                    .map(|v| (i, v))
            })
            .collect();
        let values: Vec<Vec<f64>> = scored.iter().map(|(_, v)| v.clone()).collect();
        let front = pareto::fronts(&values)
            .into_iter()
            .next()
            .unwrap_or_default();
        for c in &mut configs {
            c.pareto = Some(false);
        }
        for k in front {
            configs[scored[k].0].pareto = Some(true);
        }
    }

    let mut confirmed: Vec<Confirmed> = confirmations
        .iter()
        .map(|(&config, members)| {
            let mut seeds: Vec<u64> = members.iter().map(|t| t.seed).collect();
            seeds.sort_unstable();
            let ok: Vec<&&Trial> = members.iter().filter(|t| t.status == "ok").collect();
            Confirmed {
                config,
                rank: None,
                seeds,
                ok: ok.len(),
                val_mse: interval_of(&ok.iter().map(|t| t.val_mse).collect::<Vec<_>>()),
                val_trend_acc: interval_of(&ok.iter().map(|t| t.val_trend_acc).collect::<Vec<_>>()),
            }
        })
        .collect();
    let score = |c: &Confirmed| c.objective(first).map(|iv| first.as_loss(iv.mean));
    confirmed.sort_by(|a, b| match (score(a), score(b)) {
        (Some(x), Some(y)) => x.total_cmp(&y).then(a.config.cmp(&b.config)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.config.cmp(&b.config),
    });
    let mut rank = 0;
    for c in &mut confirmed {
        if score(c).is_some() {
            rank += 1;
            c.rank = Some(rank);
            if let Some(row) = configs.iter_mut().find(|r| r.index == c.config) {
                row.confirmed_rank = Some(rank);
            }
        }
    }

    let search_trials = || trials.iter().filter(|t| !t.confirm);
    let epochs_trained = search_trials().map(|t| t.epochs_run).sum();
    let epochs_unpruned = search_trials().map(|t| t.epochs).sum();
    let confirm_epochs = trials
        .iter()
        .filter(|t| t.confirm)
        .map(|t| t.epochs_run)
        .sum();

    let searched = searched_settings(spec.as_ref(), &configs);
    let prune = spec
        .as_ref()
        .filter(|s| s.prune.strategy != PruneStrategy::None)
        .map(|s| {
            let epochs = search_trials().map(|t| t.epochs).max().unwrap_or(0) as usize;
            PruneInfo {
                strategy: s.prune.strategy.name().to_string(),
                rungs: s.prune.rungs(epochs),
                reduction_factor: s.prune.reduction_factor,
            }
        });
    let curves = curves(data, &trials)?;
    Ok(Some(SearchSummary {
        strategy: spec.as_ref().map(|s| s.search.strategy.name().to_string()),
        planned: spec
            .as_ref()
            .map(|s| usize::try_from(s.config_count()).unwrap_or(usize::MAX)),
        generation_size: spec
            .as_ref()
            .map(|s| s.search.generation)
            .filter(|&g| g != usize::MAX),
        objectives,
        prune,
        searched,
        configs,
        confirmed,
        confirm_planned: spec.as_ref().map_or(0, |s| s.search.confirm),
        confirm_seeds: spec.as_ref().map_or(0, |s| s.search.confirm_seeds),
        epochs_trained,
        epochs_unpruned,
        confirm_epochs,
        curves,
        grid_missing: spec.is_none(),
    }))
}

/// The settings the search varied: from `grid.toml` its space (lists and ranges); without
/// it, the settings with more than one value among the configurations.
fn searched_settings(spec: Option<&GridSpec>, configs: &[ConfigRow]) -> Vec<SearchedSetting> {
    let values = |name: &str| -> Vec<f64> {
        configs
            .iter()
            .filter_map(|c| c.setting(name).and_then(SettingValue::as_f64))
            .collect()
    };
    let spans = |name: &str| {
        let v = values(name);
        let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        lo > 0.0 && hi.is_finite() && hi / lo > SLICE_LOG_RATIO
    };
    let names: Vec<String> = match spec {
        Some(s) => s.space().into_iter().map(|(n, _)| n.to_string()).collect(),
        None => group_settings()
            .into_iter()
            .filter(|n| {
                let mut seen: Vec<&SettingValue> = Vec::new();
                for c in configs {
                    if let Some(v) = c.setting(n)
                        && !seen.contains(&v)
                    {
                        seen.push(v);
                    }
                }
                seen.len() > 1
            })
            .map(str::to_string)
            .collect(),
    };
    names
        .into_iter()
        .map(|name| {
            let range = spec.and_then(|s| s.ranges().iter().find(|r| r.name == name));
            SearchedSetting {
                log_scale: range.is_some_and(|r| r.kind.log()) || spans(&name),
                range: range.map(|r| (r.kind.name().to_string(), r.low, r.high)),
                name,
            }
        })
        .collect()
}

/// Every search trial's validation curve (confirmation runs apart), by trial id.
fn curves(data: &Loaded, trials: &[Trial]) -> Result<Vec<SearchCurve>> {
    let Some(epochs) = &data.epochs else {
        return Ok(Vec::new());
    };
    let mut points: BTreeMap<&str, Vec<EpochPoint>> = BTreeMap::new();
    let ids = epochs.column("trial_id")?.str()?;
    let epoch = epochs.column("epoch")?.i64()?;
    let mse = epochs.column("val_mse")?.f64()?;
    let acc = epochs.column("val_trend_acc")?.f64()?;
    let wanted: BTreeMap<&str, &Trial> = trials
        .iter()
        .filter(|t| !t.confirm)
        .map(|t| (t.id.as_str(), t))
        .collect();
    for i in 0..epochs.height() {
        let Some(id) = ids.get(i) else { continue };
        let Some((&key, _)) = wanted.get_key_value(id) else {
            continue;
        };
        points.entry(key).or_default().push(EpochPoint {
            epoch: epoch.get(i).unwrap_or_default().max(0) as u64,
            val_mse: mse.get(i).unwrap_or(f64::NAN),
            val_trend_acc: acc.get(i).unwrap_or(f64::NAN),
        });
    }
    Ok(points
        .into_iter()
        .map(|(id, mut pts)| {
            pts.sort_by_key(|p| p.epoch);
            let t = wanted[id];
            SearchCurve {
                config: t.config,
                pruned: t.status == "pruned",
                points: pts,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_over_seeds_skip_missing_values() {
        let iv = interval_of(&[Some(1.0), Some(3.0), None]).unwrap();
        assert_eq!(iv.mean, 2.0);
        assert!(iv.half_width.is_some());
        let one = interval_of(&[Some(5.0)]).unwrap();
        assert_eq!((one.mean, one.half_width), (5.0, None));
        assert!(interval_of(&[None, Some(f64::NAN)]).is_none());
        assert_eq!(mean_of([Some(1.0), Some(2.0)]), Some(1.5));
        assert_eq!(mean_of([Some(1.0), None]), None);
    }
}
