//! `optuna.log`: every sweep as one Optuna study in the journal format Optuna's
//! `JournalFileBackend` reads, so that `optuna-dashboard` and `optuna.load_study` open it with
//! no export step. The file is one JSON object per line: the study's creation, then one
//! trial per configuration, each created whole (state, values, parameters with their
//! distributions, intermediate values, user attributes) in configuration order.
//!
//! It is written from the tables on disk like every other output, atomically, and holds no
//! clock time: a trial's start is the end of the one before, counted from the Unix epoch, and
//! its duration the training time of its trials, so the same results give the same bytes.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value, json};

use super::SettingValue;
use crate::analysis::summary::{ConfigStatus, SearchSummary, Summary};
use crate::analysis::tables::{
    CONFIRM, EPOCHS_PARQUET, SEARCH_CONFIG, SERIES, SETTINGS, TRIALS_PARQUET, float_column,
    read_parquet, string_column,
};
use crate::config::Objective;
use crate::error::Result;

pub const OPTUNA_LOG: &str = "optuna.log";

/// Optuna's journal operation codes that the file uses.
const CREATE_STUDY: u8 = 0;
const SET_STUDY_SYSTEM_ATTR: u8 = 3;
const CREATE_TRIAL: u8 = 4;
/// The writer's name in every line (Optuna records which process wrote an operation).
const WORKER: &str = "trendsweep";

/// A parameter's distribution, as Optuna names and serialises it.
#[derive(Debug, Clone, PartialEq)]
pub enum Distribution {
    Float { low: f64, high: f64, log: bool },
    Int { low: i64, high: i64, log: bool },
    Categorical(Vec<Value>),
}

impl Distribution {
    /// The JSON text Optuna stores for the distribution.
    fn json(&self) -> String {
        let (name, attributes) = match self {
            Distribution::Float { low, high, log } => (
                "FloatDistribution",
                json!({"step": null, "low": low, "high": high, "log": log}),
            ),
            Distribution::Int { low, high, log } => (
                "IntDistribution",
                json!({"log": log, "step": 1, "low": low, "high": high}),
            ),
            Distribution::Categorical(choices) => {
                ("CategoricalDistribution", json!({ "choices": choices }))
            }
        };
        json!({"name": name, "attributes": attributes}).to_string()
    }

    /// A value as Optuna stores it: a choice's index, a number as it is.
    fn internal(&self, value: &Value) -> Value {
        match self {
            Distribution::Categorical(choices) => {
                json!(choices.iter().position(|c| c == value).unwrap_or(0))
            }
            _ => value.clone(),
        }
    }
}

/// Optuna's trial states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Running = 0,
    Complete = 1,
    Pruned = 2,
    Fail = 3,
}

/// One Optuna trial: a configuration (a setting combination without the seed).
#[derive(Debug, Clone, PartialEq)]
pub struct StudyTrial {
    pub params: Vec<(String, Distribution, Value)>,
    pub state: State,
    /// One per objective; `None` for a failed trial.
    pub values: Option<Vec<f64>>,
    /// Per epoch, the first objective's mean over the seeds.
    pub intermediate: Vec<(u64, f64)>,
    pub user_attrs: Map<String, Value>,
    /// Training time of its trials, summed.
    pub seconds: f64,
}

/// Optuna's study directions: 1 minimises, 2 maximises.
fn direction(o: Objective) -> u8 {
    match o {
        Objective::ValMse => 1,
        Objective::ValTrendAcc => 2,
    }
}

/// `seconds` after the Unix epoch as ISO 8601 with microseconds, as Optuna writes times.
fn iso(seconds: f64) -> String {
    let micros = (seconds.max(0.0) * 1e6).round() as i64;
    let (days, rest) = (
        micros.div_euclid(86_400_000_000),
        micros.rem_euclid(86_400_000_000),
    );
    // Days to a civil date (proleptic Gregorian), after Howard Hinnant's algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let (h, m) = (rest / 3_600_000_000, rest / 60_000_000 % 60);
    let (s, us) = (rest / 1_000_000 % 60, rest % 1_000_000);
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{us:06}+00:00")
}

/// The journal's text: the study `name` with one direction per objective and the objectives'
/// names (`metrics`, which the dashboard shows), then `trials`.
pub fn journal(name: &str, directions: &[u8], metrics: &[&str], trials: &[StudyTrial]) -> String {
    let mut out = String::new();
    let mut line = |v: Value| {
        out.push_str(&v.to_string());
        out.push('\n');
    };
    line(json!({
        "op_code": CREATE_STUDY,
        "worker_id": WORKER,
        "study_name": name,
        "directions": directions,
    }));
    line(json!({
        "op_code": SET_STUDY_SYSTEM_ATTR,
        "worker_id": WORKER,
        "study_id": 0,
        "system_attr": {"study:metric_names": metrics},
    }));
    let mut clock = 0.0;
    for t in trials {
        let start = iso(clock);
        clock += t.seconds.max(0.0);
        let mut log = json!({
            "op_code": CREATE_TRIAL,
            "worker_id": WORKER,
            "study_id": 0,
            "state": t.state as u8,
            "datetime_start": start,
            "distributions": t.params.iter().map(|(n, d, _)| (n.clone(), json!(d.json()))).collect::<Map<_, _>>(),
            "params": t.params.iter().map(|(n, d, v)| (n.clone(), d.internal(v))).collect::<Map<_, _>>(),
            "user_attrs": t.user_attrs,
            "system_attrs": {},
            "intermediate_values": t
                .intermediate
                .iter()
                .map(|(e, v)| (e.to_string(), json!(v)))
                .collect::<Map<_, _>>(),
        });
        let values: Option<Vec<f64>> = t
            .values
            .clone()
            .filter(|v| v.iter().all(|x| x.is_finite()) && t.state != State::Fail);
        let m = log.as_object_mut().expect("an object");
        match values {
            Some(v) if v.len() > 1 => {
                m.insert("value".into(), Value::Null);
                m.insert("values".into(), json!(v));
            }
            Some(v) => {
                m.insert("value".into(), json!(v[0]));
                m.insert("values".into(), Value::Null);
            }
            None => {
                m.insert("value".into(), Value::Null);
                m.insert("values".into(), Value::Null);
            }
        }
        if t.state != State::Running {
            m.insert("datetime_complete".into(), json!(iso(clock)));
        }
        line(log);
    }
    out
}

fn setting_json(v: &SettingValue) -> Value {
    match v {
        SettingValue::Int(i) => json!(i),
        SettingValue::Float(x) => json!(x),
        SettingValue::Str(s) => json!(s),
        SettingValue::Bool(b) => json!(b),
    }
}

/// Per epoch, the mean of `column` over `ids`' rows of the epochs table.
fn mean_curve(epochs: Option<&EpochRows>, ids: &[String]) -> Vec<(u64, f64)> {
    let Some(rows) = epochs else {
        return Vec::new();
    };
    let mut sums: BTreeMap<u64, (f64, usize)> = BTreeMap::new();
    for id in ids {
        for (epoch, v) in rows.get(id).into_iter().flatten() {
            if v.is_finite() {
                let e = sums.entry(*epoch).or_default();
                e.0 += v;
                e.1 += 1;
            }
        }
    }
    sums.into_iter()
        .map(|(e, (s, n))| (e, s / n as f64))
        .collect()
}

/// Each trial's `(epoch, figure)` rows, by trial id.
type EpochRows = BTreeMap<String, Vec<(u64, f64)>>;

/// Every trial's `column` (`val_mse` or `val_trend_acc`) after each epoch.
fn epoch_rows(dir: &Path, column: &str) -> Result<Option<EpochRows>> {
    let path = dir.join(EPOCHS_PARQUET);
    if !path.is_file() {
        return Ok(None);
    }
    let df = read_parquet(&path)?;
    // A collection's curves are per series, in each series' own units: no mean of them
    // means anything, so its study has no intermediate values.
    if df.get_column_index(SERIES).is_some() {
        return Ok(None);
    }
    let (ids, epochs, mse) = (
        string_column(&df, "trial_id")?,
        float_column(&df, "epoch")?,
        float_column(&df, column)?,
    );
    let mut rows: EpochRows = BTreeMap::new();
    for i in 0..df.height() {
        if let (Some(e), Some(v)) = (epochs[i], mse[i]) {
            rows.entry(ids[i].clone()).or_default().push((e as u64, v));
        }
    }
    Ok(Some(rows))
}

/// A search's configurations as trials: parameters from the searched settings, values as
/// `search.csv` gives them, intermediate values from the search trials' curves.
fn search_trials(dir: &Path, search: &SearchSummary) -> Result<Vec<StudyTrial>> {
    let trials = read_parquet(&dir.join(TRIALS_PARQUET))?;
    let ids = string_column(&trials, "trial_id")?;
    let config = float_column(&trials, SEARCH_CONFIG)?;
    let confirm: Vec<bool> = match trials.column(CONFIRM) {
        Ok(c) => c.bool()?.iter().map(|b| b.unwrap_or(false)).collect(),
        Err(_) => vec![false; trials.height()],
    };
    let wall = float_column(&trials, "wall_seconds")?;
    let mut by_config: BTreeMap<usize, (Vec<String>, f64)> = BTreeMap::new();
    for i in 0..trials.height() {
        if let (Some(c), false) = (config[i], confirm[i]) {
            let e = by_config.entry(c as usize).or_default();
            e.0.push(ids[i].clone());
            e.1 += wall[i].unwrap_or(0.0);
        }
    }
    let objectives = &search.objectives;
    let first = objectives.first().copied().unwrap_or(Objective::ValMse);
    let epochs = epoch_rows(dir, first.name())?;
    // A list's choices are the values the configurations took, in order of value.
    let mut taken: BTreeMap<&str, Vec<SettingKey>> = BTreeMap::new();
    for c in &search.configs {
        for s in search.searched.iter().filter(|s| s.range.is_none()) {
            if let Some(v) = c.setting(&s.name) {
                taken
                    .entry(&s.name)
                    .or_default()
                    .push(SettingKey(v.clone()));
            }
        }
    }
    let choices: BTreeMap<&str, Vec<Value>> = taken
        .into_iter()
        .map(|(name, mut values)| {
            values.sort();
            values.dedup();
            (name, values.iter().map(|k| setting_json(&k.0)).collect())
        })
        .collect();
    let mut out = Vec::new();
    for c in &search.configs {
        let mut params = Vec::new();
        for s in &search.searched {
            let Some(value) = c.setting(&s.name).map(setting_json) else {
                continue;
            };
            let dist = match &s.range {
                Some((kind, lo, hi)) if kind.starts_with("int_") => Distribution::Int {
                    low: *lo as i64,
                    high: *hi as i64,
                    log: kind.contains("log"),
                },
                Some((kind, lo, hi)) => Distribution::Float {
                    low: *lo,
                    high: *hi,
                    log: kind.contains("log"),
                },
                None => Distribution::Categorical(choices[s.name.as_str()].clone()),
            };
            params.push((s.name.clone(), dist, value));
        }
        let state = match c.status {
            ConfigStatus::Complete => State::Complete,
            ConfigStatus::Pruned => State::Pruned,
            ConfigStatus::Diverged | ConfigStatus::Failed => State::Fail,
            ConfigStatus::Incomplete => State::Running,
        };
        let values: Option<Vec<f64>> = objectives.iter().map(|o| c.objective(*o)).collect();
        let (trial_ids, seconds) = by_config.get(&c.index).cloned().unwrap_or_default();
        let mut attrs = Map::new();
        attrs.insert("config".into(), json!(c.index));
        attrs.insert("generation".into(), json!(c.generation));
        attrs.insert("seeds".into(), json!(c.seeds));
        attrs.insert("trial_ids".into(), json!(trial_ids));
        attrs.insert("epochs_trained".into(), json!(c.epochs));
        for o in [Objective::ValMse, Objective::ValTrendAcc] {
            if let Some(v) = c.objective(o).filter(|v| v.is_finite()) {
                attrs.insert(o.name().into(), json!(v));
            }
        }
        if let Some(k) = search.confirmed.iter().find(|k| k.config == c.index) {
            attrs.insert("confirmed_rank".into(), json!(k.rank));
            attrs.insert("confirmed_seeds".into(), json!(k.seeds));
            attrs.insert("confirmed_ok".into(), json!(k.ok));
            for (name, i) in [
                ("confirmed_val_mse", &k.val_mse),
                ("confirmed_val_trend_acc", &k.val_trend_acc),
            ] {
                if let Some(i) = i.as_ref().filter(|i| i.mean.is_finite()) {
                    attrs.insert(name.into(), json!(i.mean));
                    if let Some(h) = i.half_width.filter(|h| h.is_finite()) {
                        attrs.insert(format!("{name}_ci_half_width"), json!(h));
                    }
                }
            }
        }
        // Optuna keeps intermediate values for single-objective studies only.
        let intermediate = if objectives.len() == 1 {
            mean_curve(epochs.as_ref(), &trial_ids)
        } else {
            Vec::new()
        };
        out.push(StudyTrial {
            params,
            state,
            values,
            intermediate,
            user_attrs: attrs,
            seconds,
        });
    }
    Ok(out)
}

/// A grid's (or a collection's) setting combinations without the seed as trials, from
/// `trials.parquet`: every setting that varies is a categorical parameter, the value is the
/// mean over the combination's ok seeds of `objective`, and combinations come in the order
/// of their values.
fn table_trials(dir: &Path, objective: &str, extra: &[&str]) -> Result<Vec<StudyTrial>> {
    let df = read_parquet(&dir.join(TRIALS_PARQUET))?;
    let varying: Vec<&str> = SETTINGS
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| *n != "seed")
        .filter(|n| {
            df.column(n)
                .is_ok_and(|c| c.n_unique().is_ok_and(|k| k > 1))
        })
        .collect();
    let values: Vec<Vec<SettingValue>> = varying
        .iter()
        .map(|n| {
            let c = df.column(n)?;
            (0..df.height())
                .map(|i| crate::analysis::summary::setting_from_any(c.get(i)?))
                .collect::<Result<Vec<_>>>()
        })
        .collect::<Result<_>>()?;
    let ids = string_column(&df, "trial_id")?;
    let status = string_column(&df, "status")?;
    let seeds = float_column(&df, "seed")?;
    let wall = float_column(&df, "wall_seconds")?;
    let target = float_column(&df, objective)?;
    let others: Vec<(&str, Vec<Option<f64>>)> = extra
        .iter()
        .map(|n| Ok((*n, float_column(&df, n)?)))
        .collect::<Result<_>>()?;
    let mut groups: BTreeMap<Vec<SettingKey>, Vec<usize>> = BTreeMap::new();
    for i in 0..df.height() {
        let key = values.iter().map(|v| SettingKey(v[i].clone())).collect();
        groups.entry(key).or_default().push(i);
    }
    let epochs = epoch_rows(dir, "val_mse")?;
    let choices: Vec<Distribution> = values
        .iter()
        .map(|v| {
            let mut distinct: Vec<SettingKey> = v.iter().cloned().map(SettingKey).collect();
            distinct.sort();
            distinct.dedup();
            Distribution::Categorical(distinct.iter().map(|k| setting_json(&k.0)).collect())
        })
        .collect();
    let mean = |rows: &[usize], col: &[Option<f64>]| {
        let v: Vec<f64> = rows
            .iter()
            .filter_map(|&i| col[i])
            .filter(|x| x.is_finite())
            .collect();
        (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
    };
    let mut out = Vec::new();
    for (key, rows) in groups {
        let ok: Vec<usize> = rows
            .iter()
            .copied()
            .filter(|&i| status[i] == "ok")
            .collect();
        let trial_ids: Vec<String> = rows.iter().map(|&i| ids[i].clone()).collect();
        let ok_ids: Vec<String> = ok.iter().map(|&i| ids[i].clone()).collect();
        let value = mean(&ok, &target);
        let state = if value.is_some() {
            State::Complete
        } else {
            State::Fail
        };
        let mut attrs = Map::new();
        let mut seed_list: Vec<u64> = rows
            .iter()
            .filter_map(|&i| seeds[i])
            .map(|s| s as u64)
            .collect();
        seed_list.sort_unstable();
        attrs.insert("seeds".into(), json!(seed_list));
        attrs.insert("trial_ids".into(), json!(trial_ids));
        attrs.insert("ok".into(), json!(ok.len()));
        for (name, col) in &others {
            if let Some(v) = mean(&ok, col) {
                attrs.insert((*name).into(), json!(v));
            }
        }
        out.push(StudyTrial {
            params: varying
                .iter()
                .zip(&choices)
                .zip(&key)
                .map(|((n, d), k)| (n.to_string(), d.clone(), setting_json(&k.0)))
                .collect(),
            state,
            values: value.map(|v| vec![v]),
            intermediate: mean_curve(epochs.as_ref(), &ok_ids),
            user_attrs: attrs,
            seconds: rows.iter().filter_map(|&i| wall[i]).sum(),
        });
    }
    Ok(out)
}

/// A setting value ordered as a grid lists values: numbers by size, text by its letters.
#[derive(Debug, Clone, PartialEq)]
struct SettingKey(SettingValue);

impl Eq for SettingKey {}

impl PartialOrd for SettingKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SettingKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        use SettingValue::*;
        match (&self.0, &other.0) {
            (Int(a), Int(b)) => a.cmp(b),
            (Float(a), Float(b)) => a.total_cmp(b),
            (Str(a), Str(b)) => a.cmp(b),
            (Bool(a), Bool(b)) => a.cmp(b),
            (a, b) => format!("{a:?}").cmp(&format!("{b:?}")),
        }
    }
}

/// The study's name: the grid's, else the directory's.
fn study_name(dir: &Path) -> String {
    let from_grid = std::fs::read_to_string(dir.join("grid.toml"))
        .ok()
        .and_then(|t| t.parse::<toml::Table>().ok())
        .and_then(|t| t.get("name").and_then(|n| n.as_str()).map(str::to_string));
    from_grid.unwrap_or_else(|| {
        dir.canonicalize()
            .ok()
            .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "trendsweep".into())
    })
}

/// Writes `optuna.log` for the single series' sweep in `dir`: a search's configurations with
/// its objectives, or a grid's setting combinations minimising validation MSE.
pub fn write_study(dir: &Path, summary: &Summary) -> Result<()> {
    let (objectives, trials) = match &summary.search {
        Some(search) => (search.objectives.clone(), search_trials(dir, search)?),
        None => (
            vec![Objective::ValMse],
            table_trials(
                dir,
                "val_mse",
                &["val_trend_acc", "test_mse", "test_trend_acc"],
            )?,
        ),
    };
    let directions: Vec<u8> = objectives.iter().map(|o| direction(*o)).collect();
    let metrics: Vec<&str> = objectives.iter().map(|o| o.name()).collect();
    let text = journal(&study_name(dir), &directions, &metrics, &trials);
    crate::store::write_bytes(&dir.join(OPTUNA_LOG), text.as_bytes())
}

/// Writes `optuna.log` for the collection in `dir`: each setting combination's value is the
/// collection's geometric mean relative validation MSE, its other aggregates user attributes.
pub fn write_collection_study(dir: &Path) -> Result<()> {
    let trials = table_trials(
        dir,
        "val_rel_mse_gmean",
        &[
            "val_owa",
            "val_mase",
            "val_trend_acc",
            "val_win_share",
            "test_rel_mse_gmean",
            "test_owa",
        ],
    )?;
    let text = journal(
        &study_name(dir),
        &[direction(Objective::ValMse)],
        &["val_rel_mse_gmean"],
        &trials,
    );
    crate::store::write_bytes(&dir.join(OPTUNA_LOG), text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_iso_with_microseconds() {
        assert_eq!(iso(0.0), "1970-01-01T00:00:00.000000+00:00");
        // 2000-03-01 is day 11,017; plus 1 h 2 min 3.5 s.
        assert_eq!(
            iso(11_017.0 * 86_400.0 + 3_723.5),
            "2000-03-01T01:02:03.500000+00:00"
        );
    }

    #[test]
    fn distributions_serialise_as_optuna_does() {
        let f = Distribution::Float {
            low: 0.001,
            high: 0.1,
            log: true,
        };
        assert_eq!(
            f.json(),
            r#"{"attributes":{"high":0.1,"log":true,"low":0.001,"step":null},"name":"FloatDistribution"}"#
        );
        let c = Distribution::Categorical(vec![json!(8), json!(32)]);
        assert_eq!(c.internal(&json!(32)), json!(1));
    }
}
