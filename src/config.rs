//! The settings a user can give: what one trial trains with, and where its series comes from.
//! Plain values with serde, shared by the grid file, the trainer and the results on disk.
//!
//! Each choice (loss, activation, scale, ...) is an enum declared through `choice!`, whose
//! `strum` derives give the name of a variant (`name()`), the list of valid names
//! (`VARIANTS`, quoted in messages) and parsing from a name. They spell names as serde does,
//! which a test checks, so the grid file, the journal and the tables agree.

use serde::{Deserialize, Serialize};
use strum::{EnumIter, EnumString, IntoStaticStr, VariantNames};

/// Declares a choice: an enum whose variants grid files, the journal and the tables name
/// in snake_case, with strum's parsing, names and list of valid names, and `name()`.
macro_rules! choice {
    ($(#[$meta:meta])* pub enum $name:ident { $($body:tt)* }) => {
        $(#[$meta])*
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            Hash,
            Serialize,
            Deserialize,
            EnumString,
            IntoStaticStr,
            VariantNames,
            EnumIter,
        )]
        #[serde(rename_all = "snake_case")]
        #[strum(serialize_all = "snake_case")]
        pub enum $name {
            $($body)*
        }

        impl $name {
            /// The variant's name, as grid files spell it.
            pub fn name(self) -> &'static str {
                self.into()
            }
        }
    };
}

choice! {
/// Which objective the model is trained on.
#[derive(Default)]
pub enum LossKind {
    /// Squared error plus `λ·|p − y_last|` where the predicted direction is wrong.
    #[default]
    Trend,
    /// The original code as written: the penalty applies where the direction is right.
    Seed,
    /// Squared error only.
    Mse,
}
}

impl LossKind {
    /// Every loss, for loops over them; a test keeps it equal to the declared variants.
    pub const ALL: [LossKind; 3] = [LossKind::Trend, LossKind::Seed, LossKind::Mse];
}

choice! {
/// What the penalty's sum over a batch is divided by.
#[derive(Default)]
pub enum PenaltyMean {
    /// The batch size, as Keras averages any per-sample loss: with a batch of 32, one
    /// penalised sample weighs 1/32.
    #[default]
    Batch,
    /// The number of penalised samples in the batch (none penalised: no penalty), so a
    /// penalised sample's weight does not shrink as the batch grows.
    Mismatched,
}
}

impl PenaltyMean {
    /// Every way, for loops over them; a test keeps it equal to the declared variants.
    pub const ALL: [PenaltyMean; 2] = [PenaltyMean::Batch, PenaltyMean::Mismatched];
}

choice! {
/// The function between the hidden layer and the output layer.
#[derive(Default)]
pub enum Activation {
    /// None at all: the model is linear in its input, as in the original.
    #[default]
    Linear,
    Relu,
    Tanh,
}
}

impl Activation {
    /// Every activation, for loops over them; a test keeps it equal to the declared variants.
    pub const ALL: [Activation; 3] = [Activation::Linear, Activation::Relu, Activation::Tanh];
}

choice! {
/// How the series is scaled before training.
#[derive(Default)]
pub enum Scale {
    /// Subtract the training part's mean, divide by its standard deviation.
    #[default]
    Zscore,
    None,
}
}

/// Everything that defines one training run apart from its data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub n_dense: usize,
    #[serde(with = "crate::floats::float")]
    pub lambda: f64,
    pub batch_size: usize,
    #[serde(with = "crate::floats::float")]
    pub learning_rate: f64,
    pub seed: u64,
    pub epochs: usize,
    pub loss: LossKind,
    /// How the penalty is averaged: over the batch, or over the batch's penalised samples.
    /// Journals written before the setting existed read as `batch`.
    #[serde(default)]
    pub penalty_mean: PenaltyMean,
    pub activation: Activation,
    pub shuffle: bool,
    /// Which epoch's model the trial's figures describe: its last (as Keras reports) or its
    /// best by validation MSE. Journals written before the setting existed read as `final`.
    #[serde(default)]
    pub metric_epoch: MetricEpoch,
    /// Early stopping: end the trial once its validation MSE has not improved for this many
    /// epochs (0: never). Journals written before the setting existed read as 0.
    #[serde(default)]
    pub patience: usize,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            n_dense: 32,
            lambda: 1e-3,
            batch_size: 32,
            learning_rate: 1e-3,
            seed: 0,
            epochs: 10,
            loss: LossKind::Trend,
            penalty_mean: PenaltyMean::Batch,
            activation: Activation::Linear,
            shuffle: true,
            metric_epoch: MetricEpoch::Final,
            patience: 0,
        }
    }
}

choice! {
/// Which epoch's figures stand for a trial in the tables, and which model the held-out
/// test pass scores.
#[derive(Default)]
pub enum MetricEpoch {
    /// The last epoch trained, as `model.fit` leaves the model.
    #[default]
    Final,
    /// The epoch with the lowest validation MSE, as if the best weights were restored.
    Best,
}
}

choice! {
/// How a sweep picks the configurations it trains.
#[derive(Default)]
pub enum Strategy {
    /// Every combination of the `[grid]` lists, in order.
    #[default]
    Grid,
    /// Configurations drawn independently from the `[grid]` lists and distributions.
    Random,
    /// Tree-structured Parzen estimator: random at first, then drawn where earlier
    /// configurations scored well.
    Tpe,
}
}

choice! {
/// What a search optimises: one of the tables' validation metrics at `metric_epoch`.
pub enum Objective {
    ValMse,
    ValTrendAcc,
}
}

impl Objective {
    /// Lower is better for MSE, higher for accuracy.
    pub fn minimise(self) -> bool {
        self == Objective::ValMse
    }
    /// The value as a loss: the objective itself, or its negation when higher is better.
    pub fn as_loss(self, value: f64) -> f64 {
        if self.minimise() { value } else { -value }
    }
}

choice! {
/// How a sweep stops configurations that are doing poorly before their last epoch.
#[derive(Default)]
pub enum PruneStrategy {
    #[default]
    None,
    /// Successive halving: at each rung, the bottom `1 - 1/reduction_factor` of a
    /// generation's configurations stop.
    Asha,
    /// A configuration stops at a rung when it is worse than the median of the earlier
    /// configurations there.
    Median,
}
}

/// The `[search]` table: how configurations are chosen, and how many.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchSpec {
    pub strategy: Strategy,
    /// Configurations to try (each trained once per seed). For `grid`, every grid point.
    pub configs: usize,
    /// Configurations proposed together; the next generation sees every earlier one's
    /// results. `usize::MAX` for a grid without `generation`: the whole grid is one.
    pub generation: usize,
    /// The search's own seed (not a training seed).
    pub seed: u64,
    /// One objective, or two for a Pareto search.
    pub objectives: Vec<Objective>,
    /// TPE's independent random configurations before it models the results.
    pub startup: usize,
    /// How many of the best configurations to retrain on fresh seeds after the search.
    pub confirm: usize,
    /// The fresh seeds each of them is retrained on.
    pub confirm_seeds: usize,
}

impl Default for SearchSpec {
    fn default() -> Self {
        SearchSpec {
            strategy: Strategy::Grid,
            configs: 0,
            generation: usize::MAX,
            seed: 0,
            objectives: vec![Objective::ValMse],
            startup: 10,
            confirm: 0,
            confirm_seeds: 10,
        }
    }
}

/// The `[prune]` table.
#[derive(Debug, Clone, PartialEq)]
pub struct PruneSpec {
    pub strategy: PruneStrategy,
    /// The first rung's epoch.
    pub min_epochs: usize,
    /// η: rungs at `min_epochs · η^k` epochs; ASHA keeps the best `1/η` at each.
    pub reduction_factor: usize,
}

impl Default for PruneSpec {
    fn default() -> Self {
        PruneSpec {
            strategy: PruneStrategy::None,
            min_epochs: 3,
            reduction_factor: 3,
        }
    }
}

impl PruneSpec {
    /// The epochs pruning decisions are made at, for trials of `epochs` epochs: every
    /// `min_epochs · η^k` below `epochs` (a decision at the last epoch would save nothing).
    /// Empty without pruning.
    pub fn rungs(&self, epochs: usize) -> Vec<usize> {
        let mut rungs = Vec::new();
        if self.strategy == PruneStrategy::None {
            return rungs;
        }
        let mut at = self.min_epochs.max(1);
        while at < epochs {
            rungs.push(at);
            at = at.saturating_mul(self.reduction_factor.max(2));
        }
        rungs
    }
}

choice! {
/// What to do with empty cells, NaN or null in the series.
#[derive(Default)]
pub enum Missing {
    #[default]
    Error,
    Drop,
    Interpolate,
}
}

choice! {
/// A generated series, for tests, demos and checks against theory.
pub enum SyntheticKind {
    Sine,
    Ar2,
    RandomWalk,
}
}

/// A column of a CSV or Parquet file (by extension), already resolved against the grid
/// file's folder, with the other columns and rows the grid names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataFile {
    pub path: std::path::PathBuf,
    pub column: String,
    pub features: Vec<String>,
    pub sort_by: Option<String>,
    /// How the sort_by column's text dates are written (strftime notation, e.g.
    /// `%d/%m/%Y`); without it, text dates must be ISO 8601.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_format: Option<String>,
    pub rows: Option<(usize, usize)>,
    pub missing: Missing,
    /// A collection in long format: the column naming each row's series. Every series is
    /// sorted, sliced, cleaned and swept on its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series_column: Option<String>,
}

/// A generated series: its kind and the parameters the kinds read (each kind reads its own;
/// see [`crate::data::generate`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Synthetic {
    pub kind: SyntheticKind,
    pub length: usize,
    pub noise: f64,
    /// Sine: samples per cycle.
    pub period: f64,
    /// AR(2): `x[t] = phi[0]·x[t-1] + phi[1]·x[t-2] + noise`.
    pub phi: [f64; 2],
    /// Random walk: mean step.
    pub drift: f64,
    pub seed: u64,
    /// A collection of this many series: series k is the series of seed `seed + k`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series: Option<usize>,
}

/// Where the series comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Source {
    File(DataFile),
    Synthetic(Synthetic),
}

impl Source {
    /// Whether the source is a collection of series (a long-format file, or `series = N`).
    pub fn is_collection(&self) -> bool {
        match self {
            Source::File(f) => f.series_column.is_some(),
            Source::Synthetic(s) => s.series.is_some(),
        }
    }
}

/// How samples are cut from the series and split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplitSpec {
    pub val_fraction: f64,
    pub test_fraction: f64,
    pub scale: Scale,
    /// Samples per season (48 for half-hourly data with a daily cycle), for the
    /// `seasonal_naive` baseline; without it that baseline is left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub season: Option<usize>,
    /// Rolling-origin folds: the validation part is cut into this many blocks in time
    /// order, and fold k trains on everything before block k. 1 is one split, as before.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub folds: usize,
    /// Samples left out between each fold's training part and its validation block.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub gap: usize,
}

fn one() -> usize {
    1
}

fn is_one(n: &usize) -> bool {
    *n == 1
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Default for SplitSpec {
    fn default() -> Self {
        SplitSpec {
            val_fraction: 0.15,
            test_fraction: 0.0,
            scale: Scale::Zscore,
            season: None,
            folds: 1,
            gap: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Debug;
    use std::str::FromStr;

    use serde::Serialize;
    use strum::{IntoEnumIterator, VariantNames};

    use super::*;

    /// Every variant's name is the one serde writes to the journal, is listed in `VARIANTS`
    /// at its place, and parses back to the variant.
    fn names_agree<E>()
    where
        E: IntoEnumIterator + VariantNames + FromStr + Into<&'static str> + Serialize,
        E: Copy + PartialEq + Debug,
        <E as FromStr>::Err: Debug,
    {
        let variants: Vec<E> = E::iter().collect();
        assert_eq!(variants.len(), E::VARIANTS.len());
        for (variant, listed) in variants.into_iter().zip(E::VARIANTS) {
            let name: &'static str = variant.into();
            assert_eq!(name, *listed);
            assert_eq!(serde_json::to_value(variant).unwrap(), name);
            assert_eq!(E::from_str(name).unwrap(), variant);
        }
    }

    #[test]
    fn enum_names_are_the_serde_names() {
        names_agree::<LossKind>();
        names_agree::<Activation>();
        names_agree::<Scale>();
        names_agree::<Missing>();
        names_agree::<SyntheticKind>();
        names_agree::<MetricEpoch>();
        names_agree::<PenaltyMean>();
        names_agree::<Strategy>();
        names_agree::<Objective>();
        names_agree::<PruneStrategy>();
    }

    #[test]
    fn all_lists_every_variant_in_order() {
        assert_eq!(LossKind::ALL.to_vec(), LossKind::iter().collect::<Vec<_>>());
        assert_eq!(
            Activation::ALL.to_vec(),
            Activation::iter().collect::<Vec<_>>()
        );
    }

    #[test]
    fn names_are_as_the_grid_file_spells_them() {
        assert_eq!(LossKind::VARIANTS, ["trend", "seed", "mse"]);
        assert_eq!(Activation::VARIANTS, ["linear", "relu", "tanh"]);
        assert_eq!(Scale::VARIANTS, ["zscore", "none"]);
        assert_eq!(Missing::VARIANTS, ["error", "drop", "interpolate"]);
        assert_eq!(SyntheticKind::VARIANTS, ["sine", "ar2", "random_walk"]);
        assert_eq!(Strategy::VARIANTS, ["grid", "random", "tpe"]);
        assert_eq!(Objective::VARIANTS, ["val_mse", "val_trend_acc"]);
        assert_eq!(PruneStrategy::VARIANTS, ["none", "asha", "median"]);
    }

    #[test]
    fn rungs_are_min_epochs_times_powers_of_eta_below_the_last_epoch() {
        let asha = PruneSpec {
            strategy: PruneStrategy::Asha,
            min_epochs: 3,
            reduction_factor: 3,
        };
        assert_eq!(asha.rungs(30), vec![3, 9, 27]);
        assert_eq!(asha.rungs(27), vec![3, 9]);
        assert_eq!(asha.rungs(3), Vec::<usize>::new());
        assert_eq!(PruneSpec::default().rungs(30), Vec::<usize>::new());
    }
}
