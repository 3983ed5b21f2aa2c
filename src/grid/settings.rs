//! The ten trial settings: their canonical order, where each lives, and what values are valid.

use std::fmt;

use serde::Serialize;

use crate::config::{Activation, LossKind, TrainConfig};

/// The names of the trial settings in canonical order. Ids, axis order and the "last axis
/// varies fastest" rule all follow this order, so reordering it would change every trial id.
pub const SETTING_NAMES: [&str; 10] = [
    "window",
    "n_dense",
    "lambda",
    "batch_size",
    "learning_rate",
    "epochs",
    "loss",
    "activation",
    "shuffle",
    "seed",
];

/// The window used when neither `[data]` nor `[grid]` gives one.
pub const DEFAULT_WINDOW: usize = 16;

/// One value of a trial setting, kept untyped so axes of different settings share one shape.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum SettingValue {
    Int(u64),
    Float(f64),
    Str(String),
    Bool(bool),
}

impl fmt::Display for SettingValue {
    /// Floats use `{:?}` because it is the shortest text that parses back to the same number
    /// and still reads as a float (`0.0`, `1e-5`), so a printed plan can be pasted back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SettingValue::Int(v) => write!(f, "{v}"),
            SettingValue::Float(v) => write!(f, "{v:?}"),
            SettingValue::Str(v) => f.write_str(v),
            SettingValue::Bool(v) => write!(f, "{v}"),
        }
    }
}

/// The table a setting lives in when it is fixed rather than an axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Home {
    Data,
    Train,
}

impl Home {
    pub(crate) fn table(self) -> &'static str {
        match self {
            Home::Data => "[data]",
            Home::Train => "[train]",
        }
    }
}

/// What a setting accepts; one rule also yields the "expected ..." half of every message.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Rule {
    /// Sizes and counts: zero would mean an empty model, batch or run.
    PositiveInt,
    /// Seeds: any non-negative integer.
    AnyUnsigned,
    NonNegativeFloat,
    PositiveFloat,
    Choice(&'static [&'static str]),
    Bool,
}

/// Spelled out because `name()` is not a const fn; a unit test keeps them in step with config.rs.
const LOSS_NAMES: [&str; 3] = ["trend", "seed", "mse"];
const ACTIVATION_NAMES: [&str; 3] = ["linear", "relu", "tanh"];

/// Home table and rule of a setting, by canonical name.
pub(crate) fn describe(name: &str) -> (Home, Rule) {
    match name {
        "window" => (Home::Data, Rule::PositiveInt),
        "n_dense" | "batch_size" | "epochs" => (Home::Train, Rule::PositiveInt),
        "lambda" => (Home::Train, Rule::NonNegativeFloat),
        "learning_rate" => (Home::Train, Rule::PositiveFloat),
        "loss" => (Home::Train, Rule::Choice(&LOSS_NAMES)),
        "activation" => (Home::Train, Rule::Choice(&ACTIVATION_NAMES)),
        "shuffle" => (Home::Train, Rule::Bool),
        "seed" => (Home::Train, Rule::AnyUnsigned),
        other => unreachable!("not a trial setting: {other}"),
    }
}

/// Names of the settings that may be fixed under `[train]` (everything but `window`).
pub(crate) fn train_keys() -> Vec<&'static str> {
    SETTING_NAMES
        .iter()
        .copied()
        .filter(|n| describe(n).0 == Home::Train)
        .collect()
}

impl Rule {
    pub(crate) fn expected(self) -> String {
        match self {
            Rule::PositiveInt => "an integer ≥ 1".into(),
            Rule::AnyUnsigned => "an integer ≥ 0".into(),
            Rule::NonNegativeFloat => "a finite number ≥ 0".into(),
            Rule::PositiveFloat => "a finite number > 0".into(),
            Rule::Choice(names) => format!("one of {}", quoted_list(names)),
            Rule::Bool => "true or false".into(),
        }
    }

    /// Checks one TOML value; on failure returns the text after "expected ..., found ".
    pub(crate) fn check(self, value: &toml::Value) -> Result<SettingValue, String> {
        match (self, value) {
            (Rule::PositiveInt, toml::Value::Integer(i)) if *i >= 1 => {
                Ok(SettingValue::Int(*i as u64))
            }
            (Rule::AnyUnsigned, toml::Value::Integer(i)) if *i >= 0 => {
                Ok(SettingValue::Int(*i as u64))
            }
            (Rule::NonNegativeFloat, v) => match number(v) {
                Some(x) if x.is_finite() && x >= 0.0 => Ok(SettingValue::Float(x + 0.0)),
                _ => Err(found(v)),
            },
            (Rule::PositiveFloat, v) => match number(v) {
                Some(x) if x.is_finite() && x > 0.0 => Ok(SettingValue::Float(x)),
                _ => Err(found(v)),
            },
            (Rule::Choice(names), toml::Value::String(s)) if names.contains(&s.as_str()) => {
                Ok(SettingValue::Str(s.clone()))
            }
            (Rule::Bool, toml::Value::Boolean(b)) => Ok(SettingValue::Bool(*b)),
            (_, v) => Err(found(v)),
        }
    }
}

/// Integers are accepted where floats are expected because `lambda = [0, 0.1]` is natural
/// to write; `+ 0.0` turns `-0.0` into `0.0` so both spell the same trial.
pub(crate) fn number(value: &toml::Value) -> Option<f64> {
    match value {
        toml::Value::Integer(i) => Some(*i as f64 + 0.0),
        toml::Value::Float(x) => Some(*x + 0.0),
        _ => None,
    }
}

/// How a value the user wrote is shown back in a message: numbers bare (so a range error
/// reads "found 0"), other types named (so a type error reads "found the string \"8\"").
pub(crate) fn found(value: &toml::Value) -> String {
    match value {
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(x) => float_text(*x),
        toml::Value::String(s) => format!("the string {}", short_quoted(s)),
        toml::Value::Boolean(b) => format!("the boolean {b}"),
        toml::Value::Datetime(d) => format!("the date/time {d}"),
        toml::Value::Array(_) => "an array".into(),
        toml::Value::Table(_) => "a table".into(),
    }
}

/// Spells non-finite floats the way TOML does, so the user recognises what they wrote.
pub(crate) fn float_text(x: f64) -> String {
    if x.is_nan() {
        "nan".into()
    } else if x.is_infinite() {
        if x > 0.0 { "inf".into() } else { "-inf".into() }
    } else {
        format!("{x:?}")
    }
}

/// Long strings are cut so one bad value cannot turn a message into a wall of text.
pub(crate) fn short_quoted(s: &str) -> String {
    const MAX: usize = 40;
    if s.chars().count() <= MAX {
        format!("{s:?}")
    } else {
        let head: String = s.chars().take(MAX).collect();
        format!("{:?}…", head)
    }
}

pub(crate) fn quoted_list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads one setting out of a (window, config) pair; the inverse of [`apply`].
pub(crate) fn get(name: &str, window: usize, config: &TrainConfig) -> SettingValue {
    match name {
        "window" => SettingValue::Int(window as u64),
        "n_dense" => SettingValue::Int(config.n_dense as u64),
        "lambda" => SettingValue::Float(config.lambda),
        "batch_size" => SettingValue::Int(config.batch_size as u64),
        "learning_rate" => SettingValue::Float(config.learning_rate),
        "epochs" => SettingValue::Int(config.epochs as u64),
        "loss" => SettingValue::Str(config.loss.name().into()),
        "activation" => SettingValue::Str(config.activation.name().into()),
        "shuffle" => SettingValue::Bool(config.shuffle),
        "seed" => SettingValue::Int(config.seed),
        other => unreachable!("not a trial setting: {other}"),
    }
}

/// Writes one validated setting into a (window, config) pair. Values reach here only after
/// [`Rule::check`], so a mismatch is a bug in this module, not a user mistake.
pub(crate) fn apply(
    name: &str,
    value: &SettingValue,
    window: &mut usize,
    config: &mut TrainConfig,
) {
    use SettingValue as V;
    match (name, value) {
        ("window", V::Int(v)) => *window = *v as usize,
        ("n_dense", V::Int(v)) => config.n_dense = *v as usize,
        ("lambda", V::Float(v)) => config.lambda = *v,
        ("batch_size", V::Int(v)) => config.batch_size = *v as usize,
        ("learning_rate", V::Float(v)) => config.learning_rate = *v,
        ("epochs", V::Int(v)) => config.epochs = *v as usize,
        ("loss", V::Str(s)) => {
            config.loss = LossKind::ALL
                .into_iter()
                .find(|k| k.name() == s)
                .expect("validated loss")
        }
        ("activation", V::Str(s)) => {
            config.activation = Activation::ALL
                .into_iter()
                .find(|a| a.name() == s)
                .expect("validated activation")
        }
        ("shuffle", V::Bool(b)) => config.shuffle = *b,
        ("seed", V::Int(v)) => config.seed = *v,
        (name, value) => unreachable!("setting {name} cannot hold {value:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_display_so_they_round_trip() {
        for x in [0.001, 1e-5, 0.0, 0.1, 3.0, 1e300] {
            let text = SettingValue::Float(x).to_string();
            assert_eq!(text.parse::<f64>().unwrap(), x, "{text}");
        }
        assert_eq!(SettingValue::Float(0.0).to_string(), "0.0");
        assert_eq!(SettingValue::Int(8).to_string(), "8");
    }

    #[test]
    fn get_and_apply_are_inverse_for_every_setting() {
        let mut config = TrainConfig {
            n_dense: 7,
            lambda: 0.25,
            batch_size: 3,
            learning_rate: 0.5,
            seed: 9,
            epochs: 4,
            loss: LossKind::Mse,
            activation: Activation::Tanh,
            shuffle: false,
        };
        let mut window = 5;
        let (mut w2, mut c2) = (DEFAULT_WINDOW, TrainConfig::default());
        for name in SETTING_NAMES {
            apply(name, &get(name, window, &config), &mut w2, &mut c2);
        }
        assert_eq!((w2, &c2), (window, &config));
        window += 1;
        config.seed += 1;
        assert_ne!((w2, &c2), (window, &config));
    }

    #[test]
    fn choice_lists_match_config() {
        let losses: Vec<_> = LossKind::ALL.iter().map(|k| k.name()).collect();
        let activations: Vec<_> = Activation::ALL.iter().map(|a| a.name()).collect();
        assert_eq!(losses, LOSS_NAMES);
        assert_eq!(activations, ACTIVATION_NAMES);
    }

    #[test]
    fn negative_zero_is_normalised_and_negative_lambda_rejected() {
        let rule = describe("lambda").1;
        assert_eq!(
            rule.check(&toml::Value::Float(-0.0)),
            Ok(SettingValue::Float(0.0))
        );
        assert!(rule.check(&toml::Value::Float(-0.5)).is_err());
        assert!(rule.check(&toml::Value::Float(f64::NAN)).is_err());
        assert_eq!(
            rule.check(&toml::Value::Integer(2)),
            Ok(SettingValue::Float(2.0))
        );
    }
}
