//! What a finished trial leaves behind: one record per trial (its settings, its final and
//! best figures, its per-epoch curve), and the baselines' figures. These are the rows of
//! the journal and, through polars, of `trials.parquet`, `epochs.parquet` and `baselines.csv`.

use serde::{Deserialize, Serialize};

use crate::config::TrainConfig;

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
}

impl TrialStatus {
    pub fn name(self) -> &'static str {
        match self {
            TrialStatus::Ok => "ok",
            TrialStatus::Diverged => "diverged",
            TrialStatus::Failed => "failed",
        }
    }
}

/// The figures measured after one epoch. MSEs are in the series' own units.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EpochMetrics {
    /// 1-based.
    pub epoch: usize,
    /// The training objective, mean over the epoch's batches (in scaled units).
    pub train_loss: f64,
    pub train_mse: f64,
    pub val_mse: f64,
    /// Fraction of validation samples whose predicted direction matches the true one.
    pub val_trend_acc: f64,
}

/// One trial's outcome, apart from its settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrialResult {
    pub status: TrialStatus,
    /// Why a trial diverged or failed.
    pub message: Option<String>,
    pub curve: Vec<EpochMetrics>,
    /// Epoch with the lowest `val_mse` (1-based), if any epoch finished.
    pub best_epoch: Option<usize>,
    pub wall_seconds: f64,
    /// Optimiser steps taken.
    #[serde(default)]
    pub steps: u64,
    /// Steps per second of training time (the per-epoch evaluation excluded).
    pub steps_per_second: f64,
}

impl TrialResult {
    pub fn epochs_run(&self) -> usize {
        self.curve.len()
    }
    pub fn last(&self) -> Option<&EpochMetrics> {
        self.curve.last()
    }
    pub fn best(&self) -> Option<&EpochMetrics> {
        self.best_epoch.map(|e| &self.curve[e - 1])
    }
}

/// A journal line: the trial's id and settings, and its result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrialRecord {
    pub trial_id: String,
    pub window: usize,
    pub config: TrainConfig,
    pub result: TrialResult,
}

/// A baseline's figures on one dataset split (one per window, since windows change the samples).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineRow {
    /// `persistence` or `ols`.
    pub baseline: String,
    pub window: usize,
    pub train_mse: f64,
    pub val_mse: f64,
    pub val_trend_acc: f64,
}
