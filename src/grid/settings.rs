//! The trial settings, defined once. [`SETTINGS`] lists them in canonical order; each entry
//! says where the setting lives in a grid file, which values it accepts, its column type in
//! the result tables and how it is read from and written into a trial's window and config.
//! The grid parser, `plan`, trial ids, the tables and the report all go through this list, so
//! a new setting is one entry here (plus its field in `TrainConfig`, where its default is).
//! A new setting also enters the text every trial id hashes, so it changes every id; the
//! test that pins ids in `grid` says so.

use std::fmt;

use polars::prelude::DataType;
use serde::Serialize;
use strum::VariantNames;

use crate::config::{Activation, LossKind, MetricEpoch, PenaltyMean, TrainConfig};

/// One trial setting.
pub struct Setting {
    pub name: &'static str,
    /// The table it is fixed in when it is not an axis.
    pub(crate) home: Home,
    /// The values it accepts; the rule also decides the column type ([`Setting::kind`]).
    pub(crate) rule: Rule,
    read: fn(usize, &TrainConfig) -> SettingValue,
    /// Called only with a value the rule accepted.
    write: fn(&SettingValue, &mut usize, &mut TrainConfig),
}

/// A `[train]` setting held in the `TrainConfig` field of the same name, stored as an
/// integer, a float, a choice (an enum named by strum) or a bool.
macro_rules! train_setting {
    ($field:ident, $rule:expr, Int) => {
        train_setting!(@ $field, $rule,
            |_, c| SettingValue::Int(c.$field as u64),
            |v, _, c| c.$field = v.int() as _)
    };
    ($field:ident, $rule:expr, Float) => {
        train_setting!(@ $field, $rule,
            |_, c| SettingValue::Float(c.$field),
            |v, _, c| c.$field = v.float())
    };
    ($field:ident, $rule:expr, Choice) => {
        train_setting!(@ $field, $rule,
            |_, c| SettingValue::Str(c.$field.name().into()),
            |v, _, c| c.$field = v.choice())
    };
    ($field:ident, $rule:expr, Bool) => {
        train_setting!(@ $field, $rule,
            |_, c| SettingValue::Bool(c.$field),
            |v, _, c| c.$field = v.flag())
    };
    (@ $field:ident, $rule:expr, $read:expr, $write:expr) => {
        Setting {
            name: stringify!($field),
            home: Home::Train,
            rule: $rule,
            read: $read,
            write: $write,
        }
    };
}

/// Every trial setting in canonical order. Ids, axis order and the "last axis varies fastest"
/// rule all follow this order, so reordering it would change every trial id. `seed` is last:
/// it varies fastest, and it is the one axis every report table pools over.
pub const SETTINGS: &[Setting] = &[
    Setting {
        name: "window",
        home: Home::Data,
        rule: WINDOW_RULE,
        read: |window, _| SettingValue::Int(window as u64),
        write: |v, window, _| *window = v.int() as usize,
    },
    train_setting!(n_dense, N_DENSE_RULE, Int),
    train_setting!(lambda, Rule::NonNegativeF32, Float),
    train_setting!(batch_size, BATCH_RULE, Int),
    train_setting!(learning_rate, Rule::PositiveF32, Float),
    train_setting!(epochs, EPOCHS_RULE, Int),
    train_setting!(loss, Rule::Choice(LossKind::VARIANTS), Choice),
    train_setting!(penalty_mean, Rule::Choice(PenaltyMean::VARIANTS), Choice),
    train_setting!(activation, Rule::Choice(Activation::VARIANTS), Choice),
    train_setting!(shuffle, Rule::Bool, Bool),
    train_setting!(metric_epoch, Rule::Choice(MetricEpoch::VARIANTS), Choice),
    train_setting!(patience, Rule::AnyUnsigned, Int),
    train_setting!(seed, Rule::AnyUnsigned, Int),
];

/// The names of [`SETTINGS`], in the same order.
pub const SETTING_NAMES: [&str; SETTINGS.len()] = {
    let mut names = [""; SETTINGS.len()];
    let mut i = 0;
    while i < names.len() {
        names[i] = SETTINGS[i].name;
        i += 1;
    }
    names
};

/// Settings added after trial ids were first handed out. Each enters a trial's id only when
/// it differs from its default, so results made before it existed keep their ids: a rerun
/// resumes them instead of training every trial again under a new id.
pub const ADDED_LATER: [&str; 3] = ["metric_epoch", "penalty_mean", "patience"];

/// The window used when neither `[data]` nor `[grid]` gives one. The other settings' defaults
/// are `TrainConfig::default()`.
pub const DEFAULT_WINDOW: usize = 16;

/// The setting called `name`, or `None` for a name that is not a setting.
pub fn setting(name: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.name == name)
}

/// The setting called `name`, for names that come from [`SETTINGS`] itself.
///
/// # Panics
/// When `name` is not a setting: that is a bug in the caller, not a user mistake.
pub(crate) fn named(name: &str) -> &'static Setting {
    setting(name).unwrap_or_else(|| unreachable!("not a trial setting: {name}"))
}

impl Setting {
    /// The type of the setting's column in the result tables.
    pub const fn kind(&self) -> SettingKind {
        self.rule.kind()
    }

    /// The setting's value in a trial with this window and config.
    pub fn read(&self, window: usize, config: &TrainConfig) -> SettingValue {
        (self.read)(window, config)
    }

    /// Writes a validated value into a window and config; the inverse of [`Setting::read`].
    ///
    /// # Panics
    /// When the value is not of the setting's kind. Values reach here only after
    /// [`Rule::check`], so a mismatch is a bug in this module, not a user mistake.
    pub(crate) fn write(&self, value: &SettingValue, window: &mut usize, config: &mut TrainConfig) {
        (self.write)(value, window, config)
    }

    /// The value a grid that does not mention the setting gives it.
    pub fn default_value(&self) -> SettingValue {
        self.read(DEFAULT_WINDOW, &TrainConfig::default())
    }
}

/// How a setting column is stored, so every reader casts it back to the same type whichever
/// file or run it came from. Integers are signed 64-bit, as dataframes expect (an unsigned
/// column makes `best_epoch - epochs` wrap around); files written with unsigned columns
/// still read, cast to the same type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingKind {
    Int,
    Float,
    Str,
    Bool,
}

impl SettingKind {
    pub fn dtype(self) -> DataType {
        match self {
            SettingKind::Int => DataType::Int64,
            SettingKind::Float => DataType::Float64,
            SettingKind::Str => DataType::String,
            SettingKind::Bool => DataType::Boolean,
        }
    }
}

/// One value of a trial setting, kept untyped so that axes of different settings share one
/// shape, and typed as stored so that it sorts and prints as the user wrote it (a float axis
/// is not sorted as text).
///
/// It prints two ways. `Display` is the report's: floats as plain decimals or, far from 1,
/// in exponent notation, and whole floats without a decimal point (`1`, `0.001`, `1e-7`).
/// [`SettingValue::grid_text`] is the grid's, for `plan`, messages and trial ids: floats
/// always read as floats and parse back to the same number (`1.0`, `0.001`, `1e-7`), so
/// a value from a plan can be pasted into a grid file.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum SettingValue {
    Int(u64),
    Float(f64),
    Str(String),
    Bool(bool),
}

impl SettingValue {
    /// The value as the grid side writes it; see the type's documentation.
    pub fn grid_text(&self) -> String {
        match self {
            SettingValue::Float(v) => format!("{v:?}"),
            other => other.to_string(),
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            SettingValue::Int(v) => Some(*v as f64),
            SettingValue::Float(v) => Some(*v),
            _ => None,
        }
    }

    pub fn kind(&self) -> SettingKind {
        match self {
            SettingValue::Int(_) => SettingKind::Int,
            SettingValue::Float(_) => SettingKind::Float,
            SettingValue::Str(_) => SettingKind::Str,
            SettingValue::Bool(_) => SettingKind::Bool,
        }
    }

    // The accessors below serve `Setting::write`, which only sees values its rule accepted.

    fn int(&self) -> u64 {
        match self {
            SettingValue::Int(v) => *v,
            other => unreachable!("an integer setting cannot hold {other:?}"),
        }
    }

    fn float(&self) -> f64 {
        match self {
            SettingValue::Float(v) => *v,
            other => unreachable!("a float setting cannot hold {other:?}"),
        }
    }

    fn flag(&self) -> bool {
        match self {
            SettingValue::Bool(v) => *v,
            other => unreachable!("a boolean setting cannot hold {other:?}"),
        }
    }

    fn choice<E: std::str::FromStr>(&self) -> E {
        match self {
            SettingValue::Str(s) => s
                .parse()
                .unwrap_or_else(|_| unreachable!("{s:?} is not a valid choice")),
            other => unreachable!("a choice cannot hold {other:?}"),
        }
    }
}

impl fmt::Display for SettingValue {
    /// The report's form; see the type's documentation.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SettingValue::Int(v) => write!(f, "{v}"),
            SettingValue::Float(v) => f.write_str(&fmt_setting_float(*v)),
            SettingValue::Str(v) => f.write_str(v),
            SettingValue::Bool(v) => write!(f, "{v}"),
        }
    }
}

/// A float setting as the report shows it, as the user would have written it: plain decimals
/// in the usual range, exponent notation outside it so that 1e-7 does not become a run of
/// zeros.
pub fn fmt_setting_float(x: f64) -> String {
    let a = x.abs();
    if x == 0.0 {
        "0".into()
    } else if (1e-4..1e6).contains(&a) {
        format!("{x}")
    } else {
        format!("{x:e}")
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
    /// Sizes and counts: zero would mean an empty model, batch or run, and beyond `max` no
    /// run could finish (the reason is part of the message).
    Count {
        max: u64,
        why: &'static str,
    },
    /// Seeds: any non-negative integer.
    AnyUnsigned,
    NonNegativeFloat,
    PositiveFloat,
    /// A factor training uses in f32 (λ): 0, or a value f32 holds as a normal number, so
    /// that what trains is what the grid says (1e-300 would become 0, 1e300 infinity).
    NonNegativeF32,
    /// As [`Rule::NonNegativeF32`] without 0 (the learning rate).
    PositiveF32,
    Choice(&'static [&'static str]),
    Bool,
}

/// The largest window: each sample's inputs are this many values, and the first layer has
/// (window + 1) × (n_dense + 1) weights.
pub(crate) const WINDOW_RULE: Rule = Rule::count(100_000, "inputs per sample");
/// The largest hidden layer. Memory decides what fits (checked once the data is loaded);
/// this bound keeps sizes in the range where that estimate and the arithmetic hold.
pub(crate) const N_DENSE_RULE: Rule = Rule::count(1 << 20, "hidden units");
/// A batch larger than the training set is the whole set; this bound keeps a batch's
/// activations addressable.
pub(crate) const BATCH_RULE: Rule = Rule::count(1 << 24, "samples per batch");
/// Every epoch is a row of the journal and of `epochs.parquet` for every trial.
pub(crate) const EPOCHS_RULE: Rule = Rule::count(100_000, "each epoch is a row of the journal");
/// A season longer than any series worth a seasonal forecast is a typo.
pub(crate) const SEASON_RULE: Rule = Rule::count(1_000_000, "samples per season");
/// A generated collection holds every series in memory, each trained as a sweep of its own.
pub(crate) const SERIES_RULE: Rule = Rule::count(1_000_000, "series, each swept as if alone");
/// A generated series is held in memory in f64 and f32 (12 bytes a point).
pub(crate) const LENGTH_RULE: Rule = Rule::count(100_000_000, "points held in memory");

/// Names of the settings that may be fixed under `[train]` (everything but `window`).
pub(crate) fn train_keys() -> Vec<&'static str> {
    SETTINGS
        .iter()
        .filter(|s| s.home == Home::Train)
        .map(|s| s.name)
        .collect()
}

impl Rule {
    const fn count(max: u64, why: &'static str) -> Rule {
        Rule::Count { max, why }
    }

    /// The column type of the values the rule accepts.
    pub(crate) const fn kind(self) -> SettingKind {
        match self {
            Rule::Count { .. } | Rule::AnyUnsigned => SettingKind::Int,
            Rule::NonNegativeFloat
            | Rule::PositiveFloat
            | Rule::NonNegativeF32
            | Rule::PositiveF32 => SettingKind::Float,
            Rule::Choice(_) => SettingKind::Str,
            Rule::Bool => SettingKind::Bool,
        }
    }

    pub(crate) fn expected(self) -> String {
        match self {
            Rule::Count { max, why } => format!("an integer ≥ 1 and ≤ {max} ({why})"),
            Rule::AnyUnsigned => "an integer ≥ 0".into(),
            Rule::NonNegativeFloat => "a finite number ≥ 0".into(),
            Rule::PositiveFloat => "a finite number > 0".into(),
            Rule::NonNegativeF32 => {
                format!(
                    "a finite number ≥ 0 that f32 holds (0, or {:e} to {:e})",
                    f32::MIN_POSITIVE,
                    f32::MAX
                )
            }
            Rule::PositiveF32 => format!(
                "a finite number > 0 that f32 holds ({:e} to {:e})",
                f32::MIN_POSITIVE,
                f32::MAX
            ),
            Rule::Choice(names) => format!("one of {}", quoted_list(names)),
            Rule::Bool => "true or false".into(),
        }
    }

    /// Checks one TOML value; on failure returns the text after "expected ..., found ".
    pub(crate) fn check(self, value: &toml::Value) -> Result<SettingValue, String> {
        match (self, value) {
            (Rule::Count { max, .. }, toml::Value::Integer(i)) if *i >= 1 && *i as u64 <= max => {
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
            (Rule::NonNegativeF32 | Rule::PositiveF32, v) => match number(v) {
                Some(x) if x == 0.0 && matches!(self, Rule::NonNegativeF32) => {
                    Ok(SettingValue::Float(0.0))
                }
                Some(x) if x > 0.0 && holds_in_f32(x) => Ok(SettingValue::Float(x)),
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

/// True when `x` survives the conversion to f32 as a normal number: neither infinite nor
/// flushed towards 0, where it would no longer be the value the grid gave.
fn holds_in_f32(x: f64) -> bool {
    let single = x as f32;
    single.is_finite() && single.abs() >= f32::MIN_POSITIVE
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Missing, Scale, SyntheticKind};

    #[test]
    fn grid_text_of_floats_round_trips() {
        for x in [0.001, 1e-5, 0.0, 0.1, 3.0, 1e300] {
            let text = SettingValue::Float(x).grid_text();
            assert_eq!(text.parse::<f64>().unwrap(), x, "{text}");
        }
        assert_eq!(SettingValue::Float(0.0).grid_text(), "0.0");
        assert_eq!(SettingValue::Float(1.0).grid_text(), "1.0");
        assert_eq!(SettingValue::Int(8).grid_text(), "8");
    }

    #[test]
    fn the_report_prints_floats_as_written() {
        let shown = |x: f64| SettingValue::Float(x).to_string();
        assert_eq!(shown(0.0), "0");
        assert_eq!(shown(1.0), "1");
        assert_eq!(shown(0.001), "0.001");
        assert_eq!(shown(1e-7), "1e-7");
        assert_eq!(SettingValue::Int(8).to_string(), "8");
        assert_eq!(SettingValue::Str("trend".into()).to_string(), "trend");
        assert_eq!(SettingValue::Bool(true).to_string(), "true");
    }

    #[test]
    fn read_and_write_are_inverse_for_every_setting() {
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
            metric_epoch: MetricEpoch::Best,
            penalty_mean: PenaltyMean::Mismatched,
            patience: 6,
        };
        let mut window = 5;
        let (mut w2, mut c2) = (DEFAULT_WINDOW, TrainConfig::default());
        for s in SETTINGS {
            s.write(&s.read(window, &config), &mut w2, &mut c2);
        }
        assert_eq!((w2, &c2), (window, &config));
        window += 1;
        config.seed += 1;
        assert_ne!((w2, &c2), (window, &config));
    }

    #[test]
    fn every_setting_reads_as_its_kind_and_its_rule_accepts_its_default() {
        for s in SETTINGS {
            let default = s.default_value();
            assert_eq!(default.kind(), s.kind(), "{}", s.name);
            let written = match &default {
                SettingValue::Int(v) => toml::Value::Integer(*v as i64),
                SettingValue::Float(v) => toml::Value::Float(*v),
                SettingValue::Str(v) => toml::Value::String(v.clone()),
                SettingValue::Bool(v) => toml::Value::Boolean(*v),
            };
            assert_eq!(s.rule.check(&written), Ok(default), "{}", s.name);
        }
    }

    #[test]
    fn names_are_unique_and_listed_in_order() {
        let names: Vec<&str> = SETTINGS.iter().map(|s| s.name).collect();
        assert_eq!(names, SETTING_NAMES);
        for name in SETTING_NAMES {
            assert_eq!(names.iter().filter(|n| **n == name).count(), 1, "{name}");
            assert_eq!(setting(name).map(|s| s.name), Some(name));
        }
        assert!(setting("momentum").is_none());
        assert_eq!(train_keys().len(), SETTINGS.len() - 1);
    }

    #[test]
    fn choice_messages_list_every_name() {
        let expected = |name: &str| named(name).rule.expected();
        assert_eq!(expected("loss"), r#"one of "trend", "seed", "mse""#);
        assert_eq!(expected("activation"), r#"one of "linear", "relu", "tanh""#);
        for (setting, names) in [
            ("loss", LossKind::VARIANTS),
            ("activation", Activation::VARIANTS),
        ] {
            for name in names {
                assert!(expected(setting).contains(&format!("\"{name}\"")));
            }
        }
    }

    /// A second valid value of a setting, different from its default.
    fn another(setting: &Setting) -> SettingValue {
        match (setting.default_value(), setting.rule) {
            (SettingValue::Int(v), _) => SettingValue::Int(v + 1),
            (SettingValue::Float(v), _) => SettingValue::Float(v * 2.0 + 0.5),
            (SettingValue::Bool(v), _) => SettingValue::Bool(!v),
            (SettingValue::Str(v), Rule::Choice(names)) => SettingValue::Str(
                names
                    .iter()
                    .find(|n| **n != v)
                    .expect("two choices")
                    .to_string(),
            ),
            (value, rule) => panic!("{}: {value:?} under {rule:?}", setting.name),
        }
    }

    /// A value as TOML text.
    fn toml_text(value: &SettingValue) -> String {
        match value {
            SettingValue::Str(s) => format!("{s:?}"),
            other => other.grid_text(),
        }
    }

    fn parse(text: &str) -> crate::grid::GridSpec {
        crate::grid::GridSpec::parse(text, std::path::Path::new("g.toml")).unwrap()
    }

    #[test]
    fn every_setting_parses_as_an_axis_and_fixed_in_its_table() {
        for s in SETTINGS {
            let (first, second) = (s.default_value(), another(s));
            let spec = parse(&format!(
                "[data]\nkind = \"sine\"\n[grid]\n{} = [{}, {}]\n",
                s.name,
                toml_text(&second),
                toml_text(&first)
            ));
            let values = &spec.axis(s.name).expect("an axis").values;
            assert_eq!(values, &[second.clone(), first.clone()], "{}", s.name);
            let read = |i| s.read(spec.trial(i).window, &spec.trial(i).config);
            assert_eq!((read(0), read(1)), (second.clone(), first), "{}", s.name);

            let table = match s.home {
                Home::Data => String::new(),
                Home::Train => "[train]\n".into(),
            };
            let spec = parse(&format!(
                "[data]\nkind = \"sine\"\n{table}{} = {}\n",
                s.name,
                toml_text(&second)
            ));
            assert!(spec.fixed().contains(&(s.name, second)), "{}", s.name);
        }
    }

    #[test]
    fn every_choice_lists_all_its_names_when_refused() {
        let data = "[data]\nkind = \"sine\"\n";
        let mut cases: Vec<(String, &[&str])> = vec![
            ("[data]\nkind = \"zzz\"\n".into(), SyntheticKind::VARIANTS),
            (format!("{data}scale = \"zzz\"\n"), Scale::VARIANTS),
            (
                "[data]\npath = \"x.csv\"\ncolumn = \"y\"\nmissing = \"zzz\"\n".into(),
                Missing::VARIANTS,
            ),
        ];
        for s in SETTINGS {
            if let Rule::Choice(names) = s.rule {
                cases.push((format!("{data}[grid]\n{} = [\"zzz\"]\n", s.name), names));
            }
        }
        assert_eq!(cases.len(), 7);
        for (text, names) in cases {
            let err = crate::grid::GridSpec::parse(&text, std::path::Path::new("g.toml"))
                .unwrap_err()
                .to_string();
            for name in names {
                assert!(err.contains(&format!("\"{name}\"")), "{name} not in {err}");
            }
        }
    }

    #[test]
    fn negative_zero_is_normalised_and_negative_lambda_rejected() {
        let rule = named("lambda").rule;
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
