//! The settings a user can give: what one trial trains with, and where its series comes from.
//! Plain values with serde, shared by the grid file, the trainer and the results on disk.

use serde::{Deserialize, Serialize};

/// Which objective the model is trained on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LossKind {
    /// Squared error plus `λ·|p − y_last|` where the predicted direction is wrong.
    #[default]
    Trend,
    /// The original code as written: the penalty applies where the direction is right.
    Seed,
    /// Squared error only.
    Mse,
}

impl LossKind {
    pub const ALL: [LossKind; 3] = [LossKind::Trend, LossKind::Seed, LossKind::Mse];
    pub fn name(self) -> &'static str {
        match self {
            LossKind::Trend => "trend",
            LossKind::Seed => "seed",
            LossKind::Mse => "mse",
        }
    }
}

/// The function between the hidden layer and the output layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// None at all: the model is linear in its input, as in the original.
    #[default]
    Linear,
    Relu,
    Tanh,
}

impl Activation {
    pub const ALL: [Activation; 3] = [Activation::Linear, Activation::Relu, Activation::Tanh];
    pub fn name(self) -> &'static str {
        match self {
            Activation::Linear => "linear",
            Activation::Relu => "relu",
            Activation::Tanh => "tanh",
        }
    }
}

/// How the series is scaled before training.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    /// Subtract the training part's mean, divide by its standard deviation.
    #[default]
    Zscore,
    None,
}

impl Scale {
    pub fn name(self) -> &'static str {
        match self {
            Scale::Zscore => "zscore",
            Scale::None => "none",
        }
    }
}

/// Everything that defines one training run apart from its data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub n_dense: usize,
    #[serde(with = "crate::results::float")]
    pub lambda: f64,
    pub batch_size: usize,
    #[serde(with = "crate::results::float")]
    pub learning_rate: f64,
    pub seed: u64,
    pub epochs: usize,
    pub loss: LossKind,
    pub activation: Activation,
    pub shuffle: bool,
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
            activation: Activation::Linear,
            shuffle: true,
        }
    }
}

/// What to do with empty cells, NaN or null in the series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Missing {
    #[default]
    Error,
    Drop,
    Interpolate,
}

/// A generated series, for tests, demos and checks against theory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyntheticKind {
    Sine,
    Ar2,
    RandomWalk,
}

/// Where the series comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Source {
    /// A CSV or Parquet file (by extension), already resolved against the grid file's folder.
    File {
        path: std::path::PathBuf,
        column: String,
        features: Vec<String>,
        sort_by: Option<String>,
        /// How the sort_by column's text dates are written (strftime notation, e.g.
        /// `%d/%m/%Y`); without it, text dates must be ISO 8601.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        date_format: Option<String>,
        rows: Option<(usize, usize)>,
        missing: Missing,
    },
    Synthetic {
        kind: SyntheticKind,
        length: usize,
        noise: f64,
        /// Sine: samples per cycle.
        period: f64,
        /// AR(2): `x[t] = phi[0]·x[t-1] + phi[1]·x[t-2] + noise`.
        phi: [f64; 2],
        /// Random walk: mean step.
        drift: f64,
        seed: u64,
    },
}

/// How samples are cut from the series and split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplitSpec {
    pub val_fraction: f64,
    pub test_fraction: f64,
    pub scale: Scale,
}

impl Default for SplitSpec {
    fn default() -> Self {
        SplitSpec {
            val_fraction: 0.15,
            test_fraction: 0.0,
            scale: Scale::Zscore,
        }
    }
}
