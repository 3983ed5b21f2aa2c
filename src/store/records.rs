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

/// A baseline's figures on one dataset split (one per window, since windows change the
/// samples): a row of `baselines.csv`, which polars writes and reads (never the journal).
#[derive(Debug, Clone, PartialEq)]
pub struct BaselineRow {
    /// `persistence` or `ols`.
    pub baseline: String,
    pub window: usize,
    pub train_mse: f64,
    /// `None` without validation samples, as for the trials.
    pub val_mse: Option<f64>,
    pub val_trend_acc: Option<f64>,
}

/// An `f64` in JSON that survives every value, bit for bit: finite numbers as JSON numbers
/// (or, for the few serde_json would not read back exactly, as a decimal string), NaN and
/// infinities (a diverging trial's loss) as the strings `"NaN"`, `"inf"` and `"-inf"`, since
/// JSON has no number for them and `serde_json` would write `null`. Reads numbers, those
/// strings, and `null` as NaN (what journals written before held for a non-finite value).
pub mod float {
    use std::fmt;

    use serde::de::{self, Deserializer, Visitor};
    use serde::ser::Serializer;

    pub fn serialize<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
        if value.is_finite() {
            // serde_json's number parser (without its slower exact mode) can land one unit in
            // the last place off for some long mantissas; those few values are written as a
            // string of the shortest exact decimal, which reads back exactly.
            let exact = serde_json::to_string(value)
                .ok()
                .and_then(|text| serde_json::from_str::<f64>(&text).ok())
                .is_some_and(|back| back.to_bits() == value.to_bits());
            if exact {
                serializer.serialize_f64(*value)
            } else {
                serializer.serialize_str(&format!("{value:e}"))
            }
        } else if value.is_nan() {
            serializer.serialize_str("NaN")
        } else if *value > 0.0 {
            serializer.serialize_str("inf")
        } else {
            serializer.serialize_str("-inf")
        }
    }

    /// The non-finite value a string names, in the spellings [`serialize`] writes and a few
    /// common others.
    pub fn parse_non_finite(text: &str) -> Option<f64> {
        match text.to_ascii_lowercase().as_str() {
            "nan" => Some(f64::NAN),
            "inf" | "+inf" | "infinity" | "+infinity" => Some(f64::INFINITY),
            "-inf" | "-infinity" => Some(f64::NEG_INFINITY),
            _ => None,
        }
    }

    pub(super) struct FloatVisitor;

    impl<'de> Visitor<'de> for FloatVisitor {
        type Value = f64;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a number, or \"NaN\", \"inf\" or \"-inf\"")
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
            Ok(v)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
            Ok(v as f64)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
            Ok(v as f64)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<f64, E> {
            parse_non_finite(v)
                .or_else(|| v.parse::<f64>().ok())
                .ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
        }
        fn visit_unit<E: de::Error>(self) -> Result<f64, E> {
            Ok(f64::NAN)
        }
        fn visit_none<E: de::Error>(self) -> Result<f64, E> {
            Ok(f64::NAN)
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
        deserializer.deserialize_any(FloatVisitor)
    }
}

/// An optional `f64` in JSON: `None` as `null` (or the key left out), a value as in [`float`].
pub mod opt_float {
    use std::fmt;

    use serde::de::{self, Deserializer, Visitor};
    use serde::ser::Serializer;

    pub fn serialize<S: Serializer>(value: &Option<f64>, serializer: S) -> Result<S::Ok, S::Error> {
        match value {
            None => serializer.serialize_none(),
            Some(v) => super::float::serialize(v, serializer),
        }
    }

    struct OptVisitor;

    impl<'de> Visitor<'de> for OptVisitor {
        type Value = Option<f64>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("null, a number, or \"NaN\", \"inf\" or \"-inf\"")
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v as f64))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v as f64))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            super::float::FloatVisitor.visit_str(v).map(Some)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<f64>, D::Error> {
        deserializer.deserialize_any(OptVisitor)
    }
}
