//! What a finished trial leaves behind: one record per trial (its settings, its final and
//! best figures, its per-epoch curve), and the baselines' figures. These are the rows of
//! the journal and, through polars, of `trials.parquet`, `epochs.parquet` and `baselines.csv`.

use serde::{Deserialize, Serialize};

use crate::config::{MetricEpoch, TrainConfig};
pub use crate::floats::{float, opt_float};

/// How a trial ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrialStatus {
    /// Trained every epoch.
    Ok,
    /// A loss or weight became NaN or infinite; the epochs before it are kept.
    Diverged,
    /// The trial panicked; the message says why.
    Failed,
    /// A search's pruning stopped it early for scoring poorly at a rung; the epochs it
    /// trained are kept. Finished: a rerun, even with `--retry-failed`, leaves it.
    Pruned,
}

impl TrialStatus {
    pub fn name(self) -> &'static str {
        match self {
            TrialStatus::Ok => "ok",
            TrialStatus::Diverged => "diverged",
            TrialStatus::Failed => "failed",
            TrialStatus::Pruned => "pruned",
        }
    }
}

/// The figures measured after one epoch. MSEs are in the series' own units.
///
/// A split without validation samples (`val_fraction = 0`) has no validation figures: they are
/// `None`, written as `null` in the journal and left empty in the tables, never NaN.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EpochMetrics {
    /// 1-based.
    pub epoch: usize,
    /// The training objective, mean over the epoch's batches (in scaled units).
    #[serde(with = "float")]
    pub train_loss: f64,
    #[serde(with = "float")]
    pub train_mse: f64,
    #[serde(default, with = "opt_float")]
    pub val_mse: Option<f64>,
    /// Fraction of validation samples whose predicted direction matches the true one.
    #[serde(default, with = "opt_float")]
    pub val_trend_acc: Option<f64>,
    /// Validation MAE over the in-sample seasonal-naive MAE ([`crate::data::Dataset::val_scale`]);
    /// absent without validation samples or a scale (and in journals written before it).
    #[serde(default, with = "opt_float", skip_serializing_if = "Option::is_none")]
    pub val_mase: Option<f64>,
    /// Validation sMAPE in percent ([`crate::model::train::Figures::smape`]); absent without
    /// validation samples (and in journals written before it).
    #[serde(default, with = "opt_float", skip_serializing_if = "Option::is_none")]
    pub val_smape: Option<f64>,
}

/// One trial's outcome, apart from its settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrialResult {
    pub status: TrialStatus,
    /// Why a trial diverged or failed.
    pub message: Option<String>,
    pub curve: Vec<EpochMetrics>,
    /// Epoch with the lowest `val_mse` (1-based), if any epoch finished with a validation
    /// figure; `None` without a validation split, as there is nothing to choose by.
    pub best_epoch: Option<usize>,
    #[serde(with = "float")]
    pub wall_seconds: f64,
    /// Optimiser steps taken.
    #[serde(default)]
    pub steps: u64,
    /// Steps per second of training time (the per-epoch evaluation excluded).
    #[serde(with = "float")]
    pub steps_per_second: f64,
    /// MSE on the held-out test samples, measured once after training with the model of the
    /// trial's `metric_epoch`; `None` without test samples or when the trial did not finish.
    #[serde(default, with = "opt_float", skip_serializing_if = "Option::is_none")]
    pub test_mse: Option<f64>,
    #[serde(default, with = "opt_float", skip_serializing_if = "Option::is_none")]
    pub test_trend_acc: Option<f64>,
    /// Test MAE over the in-sample seasonal-naive MAE ([`crate::data::Dataset::test_scale`]).
    #[serde(default, with = "opt_float", skip_serializing_if = "Option::is_none")]
    pub test_mase: Option<f64>,
    /// Test sMAPE in percent.
    #[serde(default, with = "opt_float", skip_serializing_if = "Option::is_none")]
    pub test_smape: Option<f64>,
    /// The same model's forecasts (series units) of the evaluation samples: the last
    /// [`MAX_EVALUATION_SAMPLES`](crate::data::MAX_EVALUATION_SAMPLES) at most of the test
    /// samples, or of the validation samples without test ones. The significance tests against
    /// the baselines pair them sample by sample. Empty when the trial did not finish.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub eval_predictions: Vec<f64>,
    /// With `[data] folds` above 1, each fold's own run; the fields above then describe the
    /// trial as a whole: its curve is the epoch-by-epoch mean over the folds, its status the
    /// first fold's that did not end ok, and its test figures and forecasts the last
    /// fold's (trained on the most data). Empty with one fold.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub folds: Vec<FoldResult>,
}

/// One fold of a trial trained on rolling-origin folds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoldResult {
    /// 0-based, in time order.
    pub fold: usize,
    pub status: TrialStatus,
    pub message: Option<String>,
    pub curve: Vec<EpochMetrics>,
    pub best_epoch: Option<usize>,
}

impl FoldResult {
    /// The figures of the fold's epoch that stands for it (as [`TrialResult::metric`]).
    pub fn metric(&self, which: MetricEpoch) -> Option<&EpochMetrics> {
        metric_of(&self.curve, self.best_epoch, which)
    }
}

/// The epoch of `curve` with the lowest finite validation MSE (the first, on a tie): the
/// best epoch, where there is one.
pub fn lowest_val_mse(curve: &[EpochMetrics]) -> Option<&EpochMetrics> {
    let mut best: Option<&EpochMetrics> = None;
    for m in curve {
        if let Some(v) = m.val_mse.filter(|v| v.is_finite())
            && best.and_then(|b| b.val_mse).is_none_or(|b| v < b)
        {
            best = Some(m);
        }
    }
    best
}

/// The epoch that stands for a run with this curve and best epoch: the last, or with
/// `metric_epoch = "best"` the best (the last when there is none, or when a hand-edited
/// record's best epoch is not in its curve).
fn metric_of(
    curve: &[EpochMetrics],
    best_epoch: Option<usize>,
    which: MetricEpoch,
) -> Option<&EpochMetrics> {
    let best = best_epoch
        .and_then(|e| e.checked_sub(1))
        .and_then(|i| curve.get(i));
    match which {
        MetricEpoch::Final => curve.last(),
        MetricEpoch::Best => best.or_else(|| curve.last()),
    }
}

impl TrialResult {
    /// A trial that failed before any epoch finished, with why.
    pub fn failed(message: String) -> TrialResult {
        TrialResult {
            status: TrialStatus::Failed,
            message: Some(message),
            ..TrialResult::of_curve(Vec::new(), None)
        }
    }

    /// An ok trial with this curve and best epoch and nothing else measured: no timing, no
    /// test figures, no predictions and no folds.
    pub fn of_curve(curve: Vec<EpochMetrics>, best_epoch: Option<usize>) -> TrialResult {
        TrialResult {
            status: TrialStatus::Ok,
            message: None,
            curve,
            best_epoch,
            wall_seconds: 0.0,
            steps: 0,
            steps_per_second: 0.0,
            test_mse: None,
            test_trend_acc: None,
            test_mase: None,
            test_smape: None,
            eval_predictions: Vec::new(),
            folds: Vec::new(),
        }
    }

    pub fn epochs_run(&self) -> usize {
        self.curve.len()
    }
    pub fn last(&self) -> Option<&EpochMetrics> {
        self.curve.last()
    }
    /// The best epoch's figures; `None` also for a hand-edited record whose best epoch is not
    /// in its curve, so the tables never panic on one.
    pub fn best(&self) -> Option<&EpochMetrics> {
        self.best_epoch
            .and_then(|e| e.checked_sub(1))
            .and_then(|i| self.curve.get(i))
    }
    /// The epoch whose figures stand for the trial: the last, or with
    /// `metric_epoch = "best"` the best by validation MSE (the last when none was validated).
    pub fn metric(&self, which: MetricEpoch) -> Option<&EpochMetrics> {
        metric_of(&self.curve, self.best_epoch, which)
    }
    /// Whether the last epoch's validation MSE is more than [`UNSTABLE_RATIO`] times the
    /// trial's best: training found a good model and then left it.
    pub fn unstable(&self) -> bool {
        match (
            self.last().and_then(|m| m.val_mse),
            self.best().and_then(|m| m.val_mse),
        ) {
            (Some(last), Some(best)) => last > UNSTABLE_RATIO * best,
            _ => false,
        }
    }
}

/// How far above its own best a trial's final validation MSE must be for the trial to be
/// flagged unstable. Seed-to-seed spread of a setting's validation MSE is about 10 %, and a
/// stable run's last epoch sits within a factor of two of its best; a tenfold rise is an
/// order of magnitude beyond either, the mark of a step size that threw the model out of
/// its minimum (the default sweep's worst case rose a hundredfold), while the flag still
/// never fires on ordinary noise.
pub const UNSTABLE_RATIO: f64 = 10.0;

/// A journal line: the trial's id and settings, and its result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrialRecord {
    pub trial_id: String,
    /// The series of a collection the trial trained on (absent for a single series): a
    /// collection's journal holds one record per trial and series.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series: Option<String>,
    pub window: usize,
    pub config: TrainConfig,
    pub result: TrialResult,
    /// Where a search's trial belongs: its configuration and generation. Absent for a grid
    /// without `[search]` or `[prune]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search: Option<SearchTag>,
}

impl TrialRecord {
    /// What the journal keeps one record of: a trial, on a series of a collection.
    pub fn key(&self) -> (String, Option<String>) {
        (self.trial_id.clone(), self.series.clone())
    }
}

/// A search trial's place in the search: the configuration it replicates (numbered in the
/// order the search proposed them), the generation that proposed it, and whether it is a
/// confirmation run on a fresh seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchTag {
    pub config: usize,
    pub generation: usize,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub confirm: bool,
}

/// A baseline's figures on one dataset split (one per window, since windows change the
/// samples): a row of `baselines.csv`, which polars writes and reads (never the journal).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BaselineRow {
    /// The series of a collection (`None` for a single series).
    pub series: Option<String>,
    /// One of [`crate::model::baselines::BASELINE_NAMES`].
    pub baseline: String,
    pub window: usize,
    /// `None` for `majority_direction`, which forecasts a direction and no value.
    pub train_mse: Option<f64>,
    /// `None` without validation samples, as for the trials.
    pub val_mse: Option<f64>,
    pub val_trend_acc: Option<f64>,
    /// Validation MAE over the in-sample naive MAE, as for the trials.
    pub val_mase: Option<f64>,
    /// Validation sMAPE in percent; `None` for `majority_direction`.
    pub val_smape: Option<f64>,
    /// Validation MSE over the reference baseline's (`seasonal_naive`, else `persistence`).
    pub val_rel_mse: Option<f64>,
    /// `None` without test samples.
    pub test_mse: Option<f64>,
    pub test_trend_acc: Option<f64>,
    pub test_mase: Option<f64>,
    pub test_smape: Option<f64>,
    pub test_rel_mse: Option<f64>,
}

/// One window's evaluation samples: the split the significance tests use (test when there
/// are test samples, else validation), its truth, and each baseline's forecasts.
#[derive(Debug, Clone, PartialEq)]
pub struct EvaluationSamples {
    pub window: usize,
    /// `test` or `validation`.
    pub split: &'static str,
    pub y_true: Vec<f64>,
    pub y_last: Vec<f64>,
    /// Per baseline with a value forecast, one per sample (`None` where it has none).
    pub forecasts: Vec<(&'static str, Vec<Option<f64>>)>,
    /// The `majority_direction` baseline's direction, as a sign.
    pub majority_sign: i8,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(val: &[f64], best_epoch: Option<usize>) -> TrialResult {
        TrialResult::of_curve(
            val.iter()
                .enumerate()
                .map(|(i, v)| EpochMetrics {
                    epoch: i + 1,
                    train_loss: 1.0,
                    train_mse: 1.0,
                    val_mse: Some(*v),
                    val_trend_acc: Some(0.5 + i as f64 / 100.0),
                    val_mase: None,
                    val_smape: None,
                })
                .collect(),
            best_epoch,
        )
    }

    #[test]
    fn unstable_means_the_last_epoch_is_over_ten_times_the_best() {
        assert!(result(&[2.0, 1.0, 10.5], Some(2)).unstable());
        assert!(!result(&[2.0, 1.0, 10.0], Some(2)).unstable());
        assert!(!result(&[2.0, 1.0, 1.5], Some(2)).unstable());
        // Without validation figures nothing is flagged.
        let mut none = result(&[1.0], None);
        none.curve[0].val_mse = None;
        assert!(!none.unstable());
    }

    #[test]
    fn the_metric_epoch_picks_the_last_or_the_best() {
        let r = result(&[2.0, 1.0, 3.0], Some(2));
        assert_eq!(r.metric(MetricEpoch::Final).unwrap().epoch, 3);
        assert_eq!(r.metric(MetricEpoch::Best).unwrap().epoch, 2);
        // A best epoch outside the curve (a hand-edited record) falls back to the last.
        let odd = result(&[2.0, 1.0], Some(9));
        assert_eq!(odd.best(), None);
        assert_eq!(odd.metric(MetricEpoch::Best).unwrap().epoch, 2);
    }
}
