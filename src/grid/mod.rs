//! A grid file and the trials it describes, expanded lazily so huge grids cost nothing to plan.
//!
//! Trials are numbered in mixed radix over the axes in canonical setting order (the last,
//! `seed`, varies fastest), so any trial can be rebuilt from its index alone. Each trial's id
//! hashes its settings rather than its position, so results stay matched to settings when the
//! grid is edited.

mod plan;
mod propose;
pub mod ranges;
mod settings;
mod spec;
mod suggest;

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::search::{Dim, Point};

use crate::config::{PruneSpec, SearchSpec, Source, SplitSpec, Strategy, TrainConfig};
use crate::error::{Result, bad_input};

pub use plan::plan_text;
pub use settings::{
    ADDED_LATER, DEFAULT_WINDOW, SETTING_NAMES, SETTINGS, Setting, SettingKind, SettingValue,
    fmt_setting_float, setting,
};

/// A parsed and validated grid file. Everything a sweep needs to plan, run and label its
/// trials; nothing here depends on the data having been loaded.
#[derive(Debug, Clone, PartialEq)]
pub struct GridSpec {
    /// The grid file as given, for messages and for saving alongside results.
    pub file: PathBuf,
    pub name: String,
    /// A file source's path is already resolved against the grid file's folder, so the sweep
    /// works the same from any current directory.
    pub source: Source,
    pub split: SplitSpec,
    /// The file's text as read, saved with the results so a run can be reproduced even after
    /// the grid file is edited.
    pub text: String,
    /// Axes in canonical order; each holds at least one distinct value.
    axes: Vec<Axis>,
    /// Settings drawn from a distribution by a search, in canonical order.
    ranges: Vec<ranges::Range>,
    /// How configurations are chosen (`[search]`); a plain grid without the table.
    pub search: SearchSpec,
    /// How poor configurations are stopped early (`[prune]`).
    pub prune: PruneSpec,
    /// Every non-axis setting (given or default); axis values are written over these.
    base_window: usize,
    base_config: TrainConfig,
}

/// One setting that varies across trials, with its values in the order the file gave them.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    pub name: &'static str,
    pub values: Vec<SettingValue>,
}

/// One point of the grid: everything needed to train it, plus the id its results go under.
#[derive(Debug, Clone, PartialEq)]
pub struct Trial {
    pub id: String,
    pub window: usize,
    pub config: TrainConfig,
}

impl Trial {
    /// Every setting in canonical order, for tables and result files that list them.
    pub fn settings(&self) -> Vec<(&'static str, SettingValue)> {
        SETTINGS
            .iter()
            .map(|s| (s.name, s.read(self.window, &self.config)))
            .collect()
    }
}

impl GridSpec {
    /// Reads and parses a grid file; an unreadable file is the user's to fix, hence bad input.
    pub fn load(path: &Path) -> Result<GridSpec> {
        // A FIFO or a device would block or never end; a grid file is a few lines of TOML.
        const MAX_BYTES: u64 = 1 << 20;
        let meta = std::fs::metadata(path)
            .map_err(|e| bad_input(format!("{}: cannot read grid file: {e}", path.display())))?;
        if !meta.is_file() {
            let what = if meta.is_dir() {
                "a directory"
            } else {
                "not a regular file (a pipe, socket or device)"
            };
            return Err(bad_input(format!(
                "{}: is {what}; give a grid file (TOML)",
                path.display()
            )));
        }
        if meta.len() > MAX_BYTES {
            return Err(bad_input(format!(
                "{}: is {} bytes; a grid file is a few lines of TOML (at most {MAX_BYTES} bytes)",
                path.display(),
                meta.len()
            )));
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| bad_input(format!("{}: cannot read grid file: {e}", path.display())))?;
        GridSpec::parse(&text, path)
    }

    /// Parses grid text as if it were read from `file`; `file` still matters because data
    /// paths resolve against its folder and the default name is its stem.
    pub fn parse(text: &str, file: &Path) -> Result<GridSpec> {
        spec::parse(text, file)
    }

    pub fn axes(&self) -> &[Axis] {
        &self.axes
    }

    pub fn axis(&self, name: &str) -> Option<&Axis> {
        self.axes.iter().find(|a| a.name == name)
    }

    /// Every setting that is the same in all trials, in canonical order, including defaults,
    /// so a plan or a results file states the whole configuration and not just the changes.
    pub fn fixed(&self) -> Vec<(&'static str, SettingValue)> {
        SETTINGS
            .iter()
            .filter(|s| self.axis(s.name).is_none())
            .map(|s| (s.name, s.read(self.base_window, &self.base_config)))
            .collect()
    }

    /// Saturates at `u128::MAX` instead of overflowing: a grid that large cannot be run
    /// anyway, and the plan should still be able to say so.
    pub fn trial_count(&self) -> u128 {
        product(self.axes.iter().map(|a| a.values.len() as u128))
    }

    /// The trials a sweep of this file trains at most: every grid trial, or for a search
    /// its configurations times the seeds plus the confirmation trials. Saturates.
    pub fn planned_trials(&self) -> u128 {
        if !self.is_search() {
            return self.trial_count();
        }
        let seeds = self.seeds().len() as u128;
        let confirm =
            (self.search.confirm as u128).saturating_mul(self.search.confirm_seeds as u128);
        self.config_count()
            .saturating_mul(seeds)
            .saturating_add(confirm)
    }

    /// Builds trial `index` (0-based) without touching any other trial.
    ///
    /// # Panics
    /// When `index >= trial_count()`: indices come from this grid, so that is a caller bug.
    pub fn trial(&self, index: u128) -> Trial {
        let count = self.trial_count();
        assert!(
            index < count,
            "trial index {index} out of range for a grid of {count} trials"
        );
        let mut rest = index;
        let mut window = self.base_window;
        let mut config = self.base_config.clone();
        for axis in self.axes.iter().rev() {
            let len = axis.values.len() as u128;
            let pick = (rest % len) as usize;
            rest /= len;
            settings::named(axis.name).write(&axis.values[pick], &mut window, &mut config);
        }
        Trial {
            id: trial_id(window, &config),
            window,
            config,
        }
    }

    /// Trials in index order, built one at a time as the caller pulls them.
    pub fn trials(&self) -> impl Iterator<Item = Trial> + '_ {
        (0..self.trial_count()).map(move |i| self.trial(i))
    }

    /// The windows the sweep must build datasets for (each costs a pass over the series).
    pub fn windows(&self) -> Vec<usize> {
        self.int_values("window")
            .into_iter()
            .map(|w| w as usize)
            .collect()
    }

    /// Sums `epochs · ceil(n_train(window) / batch_size)` over all trials. Only window, batch
    /// size and epochs change the step count, so the sum factorises: (Σ epochs) ·
    /// Σ_window Σ_batch ceil(n/b) · (product of the other axes' lengths). This stays cheap for
    /// grids far too large to enumerate. Saturates at `u128::MAX`.
    pub fn total_steps(&self, n_train: impl Fn(usize) -> usize) -> u128 {
        let batches = self.int_values("batch_size");
        let epoch_sum = self
            .int_values("epochs")
            .iter()
            .fold(0u128, |s, &e| s.saturating_add(e as u128));
        let mut per_epoch = 0u128;
        for window in self.windows() {
            let n = n_train(window) as u128;
            for &b in &batches {
                per_epoch = per_epoch.saturating_add(n.div_ceil(b as u128));
            }
        }
        let others = product(
            self.axes
                .iter()
                .filter(|a| !matches!(a.name, "window" | "batch_size" | "epochs"))
                .map(|a| a.values.len() as u128),
        );
        product([epoch_sum, per_epoch, others])
    }

    /// The values an integer setting takes across the grid: its axis, or its one fixed value.
    pub fn int_values(&self, name: &str) -> Vec<u64> {
        let range = self.ranges.iter().find(|r| r.name == name);
        let values = match (self.axis(name), range) {
            (Some(axis), _) => axis.values.clone(),
            // A drawn setting's two ends: the memory check sizes the largest.
            (None, Some(r)) => vec![r.value(r.low), r.value(r.high)],
            (None, None) => vec![settings::named(name).read(self.base_window, &self.base_config)],
        };
        values
            .into_iter()
            .map(|v| match v {
                SettingValue::Int(i) => i,
                other => unreachable!("{name} holds {other:?}"),
            })
            .collect()
    }
}

/// One configuration of a search: every setting but the seed, which varies over the
/// configuration's replicates.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Its coordinates in [`GridSpec::space`]: a list's index, or a range's value.
    pub point: Point,
    pub window: usize,
    /// The settings, with the seed of the first replicate.
    pub config: TrainConfig,
}

impl GridSpec {
    /// Whether the file asks for more than enumerating the grid: another strategy, a
    /// Pareto objective, pruning or confirmation.
    pub fn is_search(&self) -> bool {
        self.search != SearchSpec::default() || self.prune != PruneSpec::default()
    }

    /// The settings drawn from distributions.
    pub fn ranges(&self) -> &[ranges::Range] {
        &self.ranges
    }

    /// The search space: one dimension per setting that varies, except `seed`, in
    /// canonical order, with their names.
    pub fn space(&self) -> Vec<(&'static str, Dim)> {
        SETTINGS
            .iter()
            .filter(|s| s.name != "seed")
            .filter_map(|s| {
                if let Some(axis) = self.axis(s.name) {
                    Some((
                        s.name,
                        Dim::Choice {
                            n: axis.values.len(),
                        },
                    ))
                } else {
                    self.ranges
                        .iter()
                        .find(|r| r.name == s.name)
                        .map(|r| (s.name, r.dim()))
                }
            })
            .collect()
    }

    /// The configuration at a point of [`GridSpec::space`].
    pub fn config_at(&self, point: &[f64]) -> Config {
        let mut window = self.base_window;
        let mut config = self.base_config.clone();
        for ((name, _), &x) in self.space().iter().zip(point) {
            let value = match self.axis(name) {
                Some(axis) => axis.values[x as usize].clone(),
                None => self
                    .ranges
                    .iter()
                    .find(|r| r.name == *name)
                    .expect("a space dimension is an axis or a range")
                    .value(x),
            };
            settings::named(name).write(&value, &mut window, &mut config);
        }
        config.seed = self.seeds()[0];
        // The point as the settings hold it (a range's value after rounding), so equal
        // settings are equal points.
        let point = self
            .space()
            .iter()
            .zip(point)
            .map(|((name, dim), &x)| match dim {
                Dim::Choice { .. } => x,
                Dim::Range { .. } => settings::named(name)
                    .read(window, &config)
                    .as_f64()
                    .expect("a range is numeric"),
            })
            .collect();
        Config {
            point,
            window,
            config,
        }
    }

    /// The replicates every configuration is trained on: the `seed` axis, or the one seed.
    pub fn seeds(&self) -> Vec<u64> {
        self.int_values("seed")
    }

    /// The seeds confirmation retrains on: the first `confirm_seeds` integers that are not
    /// search seeds, so no confirmed figure reuses a draw the search saw.
    pub fn fresh_seeds(&self) -> Vec<u64> {
        let used = self.seeds();
        (0u64..)
            .filter(|s| !used.contains(s))
            .take(self.search.confirm_seeds)
            .collect()
    }

    /// Every configuration of the grid in trial order (the lists' indices, last fastest).
    pub fn grid_configs(&self) -> Vec<Config> {
        let lens: Vec<usize> = self
            .space()
            .iter()
            .map(|(_, d)| match d {
                Dim::Choice { n } => *n,
                Dim::Range { .. } => unreachable!("a grid strategy has no ranges"),
            })
            .collect();
        let count: usize = lens.iter().product();
        (0..count)
            .map(|mut index| {
                let mut point = vec![0.0; lens.len()];
                for (i, len) in lens.iter().enumerate().rev() {
                    point[i] = (index % len) as f64;
                    index /= len;
                }
                self.config_at(&point)
            })
            .collect()
    }

    /// The trials of a configuration, one per seed.
    pub fn trials_of(&self, config: &Config, seeds: &[u64]) -> Vec<Trial> {
        seeds
            .iter()
            .map(|&seed| {
                let settings = TrainConfig {
                    seed,
                    ..config.config.clone()
                };
                Trial {
                    id: trial_id(config.window, &settings),
                    window: config.window,
                    config: settings,
                }
            })
            .collect()
    }

    /// How many configurations a search tries before confirmation.
    pub fn config_count(&self) -> u128 {
        match self.search.strategy {
            Strategy::Grid => product(
                self.axes
                    .iter()
                    .filter(|a| a.name != "seed")
                    .map(|a| a.values.len() as u128),
            ),
            _ => self.search.configs as u128,
        }
    }
}

/// Saturating product; an empty product is 1 (a grid with no axes is one trial).
fn product(factors: impl IntoIterator<Item = u128>) -> u128 {
    factors.into_iter().fold(1u128, |p, f| p.saturating_mul(f))
}

/// The text a trial id hashes: every setting in canonical order as `name=value`, joined by
/// `;`, values in their grid text (floats with `{:?}`, exact and round-trip), except that a
/// setting of [`ADDED_LATER`] at its default is left out. A test pins ids, so a change here
/// that would refile existing results under new ids cannot pass unnoticed.
pub fn canonical_text(window: usize, config: &TrainConfig) -> String {
    let defaults = TrainConfig::default();
    SETTINGS
        .iter()
        .filter(|s| {
            !ADDED_LATER.contains(&s.name) || s.read(window, config) != s.read(window, &defaults)
        })
        .map(|s| format!("{}={}", s.name, s.read(window, config).grid_text()))
        .collect::<Vec<_>>()
        .join(";")
}

/// Stable id: the first 12 hex digits of SHA-256 over [`canonical_text`]. It depends only on
/// the trial's own settings, so it survives reordering keys, moving a setting between `[train]`
/// and `[grid]`, or adding values to other axes — finished trials are recognised and skipped.
pub fn trial_id(window: usize, config: &TrainConfig) -> String {
    let digest = Sha256::digest(canonical_text(window, config).as_bytes());
    digest.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(text: &str) -> GridSpec {
        GridSpec::parse(text, Path::new("g.toml")).unwrap()
    }

    const DATA: &str = "[data]\nkind = \"sine\"\n";

    #[test]
    fn decoding_is_mixed_radix_with_seed_fastest() {
        let g = spec(&format!(
            "{DATA}[grid]\nn_dense = [1, 2]\nseed = [5, 6, 7]\n"
        ));
        let got: Vec<(usize, u64)> = g
            .trials()
            .map(|t| (t.config.n_dense, t.config.seed))
            .collect();
        assert_eq!(got, vec![(1, 5), (1, 6), (1, 7), (2, 5), (2, 6), (2, 7)]);
    }

    #[test]
    fn canonical_text_lists_every_setting_in_order() {
        let text = canonical_text(16, &TrainConfig::default());
        let keys: Vec<&str> = text
            .split(';')
            .map(|kv| kv.split('=').next().unwrap())
            .collect();
        let first: Vec<&str> = SETTING_NAMES
            .into_iter()
            .filter(|n| !ADDED_LATER.contains(n))
            .collect();
        assert_eq!(
            keys, first,
            "settings added later are left out at their default"
        );
        assert!(text.contains("lambda=0.001;"), "{text}");
        let best = TrainConfig {
            metric_epoch: crate::config::MetricEpoch::Best,
            ..TrainConfig::default()
        };
        let text = canonical_text(16, &best);
        assert!(text.contains(";metric_epoch=best;"), "{text}");
        for name in ADDED_LATER {
            assert!(SETTING_NAMES.contains(&name), "{name} is not a setting");
        }
    }

    #[test]
    fn id_is_twelve_hex_digits_and_sensitive_to_every_setting() {
        let base = TrainConfig::default();
        let id = trial_id(16, &base);
        assert_eq!(id.len(), 12);
        assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(trial_id(17, &base), id);
        let changed = TrainConfig {
            shuffle: false,
            ..base
        };
        assert_ne!(trial_id(16, &changed), id);
    }

    #[test]
    fn ids_stay_as_they_were() {
        let grid_first = TrainConfig {
            n_dense: 8,
            lambda: 0.0,
            batch_size: 1,
            learning_rate: 1e-4,
            seed: 0,
            epochs: 30,
            ..TrainConfig::default()
        };
        assert_eq!(trial_id(16, &grid_first), "aa1cc4e67f5e");
        let changed = TrainConfig {
            n_dense: 7,
            lambda: 1e-5,
            batch_size: 3,
            learning_rate: 0.5,
            seed: 9,
            epochs: 4,
            loss: crate::config::LossKind::Mse,
            activation: crate::config::Activation::Tanh,
            shuffle: false,
            metric_epoch: crate::config::MetricEpoch::Best,
            penalty_mean: crate::config::PenaltyMean::Batch,
            patience: 0,
        };
        assert_eq!(
            canonical_text(5, &changed),
            "window=5;n_dense=7;lambda=1e-5;batch_size=3;learning_rate=0.5;epochs=4;\
             loss=mse;activation=tanh;shuffle=false;metric_epoch=best;seed=9"
        );
        assert_eq!(trial_id(5, &changed), "de13712d75c1");
    }

    #[test]
    #[should_panic(expected = "out of range")]
    fn trial_index_past_the_end_panics() {
        spec(DATA).trial(1);
    }
}
