//! The figures behind the HTML report's plots, read from the result files into plain sorted Rust values.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::path::{Path, PathBuf};

use crate::error::Context;
use polars::prelude::{Column, DataFrame, DataType, Expr, IntoLazy, ParquetReader, SerReader, col};

use super::stats::Interval;
use super::summary::{PenaltyTable, SettingValue};
use super::tables::{self, BASELINES_CSV, EPOCHS_PARQUET, SETTINGS, SettingKind, TRIALS_PARQUET};

/// Settings compared by value, floats by `total_cmp`, so that groups and axes can live in
/// ordered maps: every iteration over them is sorted and the report's bytes never depend on
/// hash order or on the order of rows in the files.
#[derive(Debug, Clone)]
pub(crate) struct Key(pub Vec<SettingValue>);

fn variant_rank(v: &SettingValue) -> u8 {
    match v {
        SettingValue::Int(_) => 0,
        SettingValue::Float(_) => 1,
        SettingValue::Str(_) => 2,
        SettingValue::Bool(_) => 3,
    }
}

pub(crate) fn cmp_setting(a: &SettingValue, b: &SettingValue) -> Ordering {
    match (a, b) {
        (SettingValue::Int(x), SettingValue::Int(y)) => x.cmp(y),
        (SettingValue::Float(x), SettingValue::Float(y)) => x.total_cmp(y),
        (SettingValue::Str(x), SettingValue::Str(y)) => x.cmp(y),
        (SettingValue::Bool(x), SettingValue::Bool(y)) => x.cmp(y),
        _ => variant_rank(a).cmp(&variant_rank(b)),
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Self) -> Ordering {
        for (a, b) in self.0.iter().zip(&other.0) {
            let o = cmp_setting(a, b);
            if o != Ordering::Equal {
                return o;
            }
        }
        self.0.len().cmp(&other.0.len())
    }
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Key {}

/// The settings that define a setting group: all of them but the seed, in [`SETTINGS`] order.
pub(crate) fn group_settings() -> Vec<&'static str> {
    SETTINGS
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| *n != "seed")
        .collect()
}

/// Position of a setting within a group key.
pub(crate) fn group_index(name: &str) -> Option<usize> {
    group_settings().iter().position(|n| *n == name)
}

#[derive(Debug, Clone)]
pub(crate) struct TrialRow {
    pub id: String,
    /// Every setting, in [`SETTINGS`] order.
    pub settings: Vec<SettingValue>,
    pub ok: bool,
    pub val_mse: Option<f64>,
    pub val_trend_acc: Option<f64>,
    pub wall_seconds: f64,
}

impl TrialRow {
    pub fn setting(&self, name: &str) -> Option<&SettingValue> {
        SETTINGS
            .iter()
            .position(|(n, _)| *n == name)
            .map(|i| &self.settings[i])
    }

    pub fn group_key(&self) -> Key {
        Key(group_settings()
            .iter()
            .map(|n| self.setting(n).cloned().expect("every setting is read"))
            .collect())
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct EpochPoint {
    pub epoch: u64,
    pub val_mse: f64,
    pub val_trend_acc: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BaselinePoint {
    pub name: String,
    pub window: u64,
    pub val_mse: f64,
    pub val_trend_acc: f64,
}

/// What one directory's `grid.toml` and `run.json` say about the run; either may be missing
/// (a directory made by hand, or by an older version), and the report then says so instead of
/// failing.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RunMeta {
    pub dir: PathBuf,
    pub grid_name: Option<String>,
    pub source: Option<String>,
    pub rows: Option<u64>,
    pub values_sha256: Option<String>,
}

/// Ok trials sharing every setting but the seed, with their means over seeds.
#[derive(Debug, Clone)]
pub(crate) struct Group {
    pub key: Key,
    /// The ok trials' ids, sorted.
    pub trial_ids: Vec<String>,
    pub val_mse: f64,
    pub val_trend_acc: f64,
}

impl Group {
    pub fn setting(&self, name: &str) -> Option<&SettingValue> {
        group_index(name).map(|i| &self.key.0[i])
    }

    pub fn lambda(&self) -> f64 {
        self.setting("lambda")
            .and_then(SettingValue::as_f64)
            .unwrap_or(f64::NAN)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct PlotData {
    /// Merged across directories, later ones replacing earlier trials with the same id, sorted
    /// by id: the same rule as the summary, so the plots and tables show the same trials.
    pub trials: Vec<TrialRow>,
    /// Per trial id, its curve sorted by epoch; `None` when some directory lacks epochs.parquet.
    pub epochs: Option<BTreeMap<String, Vec<EpochPoint>>>,
    pub baselines: Vec<BaselinePoint>,
    pub runs: Vec<RunMeta>,
}

fn column_values(
    df: &DataFrame,
    name: &str,
    kind: SettingKind,
) -> crate::error::Result<Vec<SettingValue>> {
    let c: &Column = df.column(name)?;
    let missing = || crate::error::Error::failed(format!("column {name} has a missing value"));
    Ok(match kind {
        SettingKind::Int => c
            .i64()?
            .iter()
            .map(|v| {
                let v = v.ok_or_else(missing)?;
                let v = u64::try_from(v)
                    .with_context(|| format!("column {name} has a negative value {v}"))?;
                Ok(SettingValue::Int(v))
            })
            .collect::<crate::error::Result<_>>()?,
        SettingKind::Float => c
            .f64()?
            .iter()
            .map(|v| v.map(SettingValue::Float).ok_or_else(missing))
            .collect::<crate::error::Result<_>>()?,
        SettingKind::Str => c
            .str()?
            .iter()
            .map(|v| {
                v.map(|s| SettingValue::Str(s.to_string()))
                    .ok_or_else(missing)
            })
            .collect::<crate::error::Result<_>>()?,
        SettingKind::Bool => c
            .bool()?
            .iter()
            .map(|v| v.map(SettingValue::Bool).ok_or_else(missing))
            .collect::<crate::error::Result<_>>()?,
    })
}

fn read_parquet(path: &Path) -> crate::error::Result<DataFrame> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    ParquetReader::new(file)
        .finish()
        .with_context(|| format!("cannot read {}", path.display()))
}

fn read_trials(dir: &Path) -> crate::error::Result<Vec<TrialRow>> {
    let path = dir.join(TRIALS_PARQUET);
    let mut exprs: Vec<Expr> = vec![col("trial_id").strict_cast(DataType::String)];
    exprs.extend(
        SETTINGS
            .iter()
            .map(|(name, kind)| col(*name).strict_cast(kind.dtype())),
    );
    for (name, dtype) in [
        ("status", DataType::String),
        ("val_mse", DataType::Float64),
        ("val_trend_acc", DataType::Float64),
        ("wall_seconds", DataType::Float64),
    ] {
        exprs.push(col(name).strict_cast(dtype));
    }
    let df = read_parquet(&path)?
        .lazy()
        .select(exprs)
        .collect()
        .with_context(|| format!("{} lacks a needed column", path.display()))?;
    let settings = SETTINGS
        .iter()
        .map(|(name, kind)| column_values(&df, name, *kind))
        .collect::<crate::error::Result<Vec<_>>>()
        .with_context(|| format!("in {}", path.display()))?;
    let ids = df.column("trial_id")?.str()?;
    let status = df.column("status")?.str()?;
    let mse = df.column("val_mse")?.f64()?;
    let acc = df.column("val_trend_acc")?.f64()?;
    let wall = df.column("wall_seconds")?.f64()?;
    let mut rows = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        let Some(id) = ids.get(i) else {
            crate::fail!("{} row {}: no trial id", path.display(), i + 1);
        };
        rows.push(TrialRow {
            id: id.to_string(),
            settings: settings.iter().map(|c| c[i].clone()).collect(),
            ok: status.get(i) == Some("ok"),
            val_mse: mse.get(i).filter(|v| v.is_finite()),
            val_trend_acc: acc.get(i).filter(|v| v.is_finite()),
            wall_seconds: wall.get(i).unwrap_or(0.0),
        });
    }
    Ok(rows)
}

fn read_epochs(dir: &Path) -> crate::error::Result<Vec<(String, EpochPoint)>> {
    let path = dir.join(EPOCHS_PARQUET);
    let df = read_parquet(&path)?
        .lazy()
        .select([
            col("trial_id").strict_cast(DataType::String),
            col("epoch").strict_cast(DataType::Int64),
            col("val_mse").strict_cast(DataType::Float64),
            col("val_trend_acc").strict_cast(DataType::Float64),
        ])
        .collect()
        .with_context(|| format!("{} lacks a needed column", path.display()))?;
    let ids = df.column("trial_id")?.str()?;
    let epoch = df.column("epoch")?.i64()?;
    let mse = df.column("val_mse")?.f64()?;
    let acc = df.column("val_trend_acc")?.f64()?;
    let mut out = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        if let (Some(id), Some(e), Some(m), Some(a)) = (
            ids.get(i),
            epoch.get(i).and_then(|e| u64::try_from(e).ok()),
            mse.get(i),
            acc.get(i),
        ) {
            out.push((
                id.to_string(),
                EpochPoint {
                    epoch: e,
                    val_mse: m,
                    val_trend_acc: a,
                },
            ));
        }
    }
    Ok(out)
}

fn read_run_meta(dir: &Path) -> RunMeta {
    let grid_name = std::fs::read_to_string(dir.join("grid.toml"))
        .ok()
        .and_then(|text| toml::from_str::<toml::Table>(&text).ok())
        .and_then(|t| t.get("name").and_then(|v| v.as_str()).map(str::to_string));
    let run: Option<serde_json::Value> = std::fs::read_to_string(dir.join("run.json"))
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok());
    let dataset = run.as_ref().and_then(|r| r.get("dataset"));
    let field = |name: &str| dataset.and_then(|d| d.get(name));
    RunMeta {
        dir: dir.to_path_buf(),
        grid_name,
        source: field("source").and_then(|v| v.as_str()).map(str::to_string),
        rows: field("rows").and_then(|v| v.as_u64()),
        values_sha256: field("values_sha256")
            .and_then(|v| v.as_str())
            .map(str::to_string),
    }
}

impl PlotData {
    pub fn load(dirs: &[PathBuf]) -> crate::error::Result<PlotData> {
        if dirs.is_empty() {
            crate::fail!("no results directory given to the HTML report");
        }
        let mut by_id: BTreeMap<String, (usize, TrialRow)> = BTreeMap::new();
        let mut runs = Vec::new();
        let mut baselines: BTreeMap<(u64, String), BaselinePoint> = BTreeMap::new();
        for (d, dir) in dirs.iter().enumerate() {
            for row in read_trials(dir)? {
                by_id.insert(row.id.clone(), (d, row));
            }
            if dir.join(BASELINES_CSV).is_file() {
                for b in tables::read_baselines(dir)? {
                    // A baseline is a point on the validation plots: none without validation.
                    let (Some(val_mse), Some(val_trend_acc)) = (b.val_mse, b.val_trend_acc) else {
                        continue;
                    };
                    baselines.insert(
                        (b.window as u64, b.baseline.clone()),
                        BaselinePoint {
                            name: b.baseline,
                            window: b.window as u64,
                            val_mse,
                            val_trend_acc,
                        },
                    );
                }
            }
            runs.push(read_run_meta(dir));
        }
        // A trial's curve comes from the directory its row came from, so a rerun's curve is
        // never mixed with the run it replaced.
        let epochs = if dirs.iter().all(|d| d.join(EPOCHS_PARQUET).is_file()) {
            let mut curves: BTreeMap<String, Vec<EpochPoint>> = BTreeMap::new();
            for (d, dir) in dirs.iter().enumerate() {
                for (id, point) in read_epochs(dir)? {
                    if by_id.get(&id).is_some_and(|(owner, _)| *owner == d) {
                        curves.entry(id).or_default().push(point);
                    }
                }
            }
            for curve in curves.values_mut() {
                curve.sort_by_key(|p| p.epoch);
                curve.dedup_by_key(|p| p.epoch);
            }
            Some(curves)
        } else {
            None
        };
        Ok(PlotData {
            trials: by_id.into_values().map(|(_, row)| row).collect(),
            epochs,
            baselines: baselines.into_values().collect(),
            runs,
        })
    }

    /// Ok trials grouped by every setting but the seed, sorted by settings. A group needs both
    /// metrics from at least one trial to be a point on the trade-off plot.
    pub fn groups(&self) -> Vec<Group> {
        // Per group: trial ids, MSEs, accuracies.
        type Collected = (Vec<String>, Vec<f64>, Vec<f64>);
        let mut acc: BTreeMap<Key, Collected> = BTreeMap::new();
        for t in self.trials.iter().filter(|t| t.ok) {
            let (Some(m), Some(a)) = (t.val_mse, t.val_trend_acc) else {
                continue;
            };
            let e = acc.entry(t.group_key()).or_default();
            e.0.push(t.id.clone());
            e.1.push(m);
            e.2.push(a);
        }
        acc.into_iter()
            .map(|(key, (trial_ids, mse, accs))| Group {
                key,
                trial_ids,
                val_mse: mean(&mse),
                val_trend_acc: mean(&accs),
            })
            .collect()
    }

    /// The distinct values of a setting across all trials (whatever their status), sorted.
    pub fn values_of(&self, name: &str) -> Vec<SettingValue> {
        let set: BTreeSet<Key> = self
            .trials
            .iter()
            .filter_map(|t| t.setting(name).cloned())
            .map(|v| Key(vec![v]))
            .collect();
        set.into_iter()
            .map(|k| k.0.into_iter().next().unwrap())
            .collect()
    }

    /// Mean of a metric over the ok trials matching every `(setting, value)` filter, and how
    /// many trials of any status match, so an empty cell can tell "not run" from "all failed".
    pub fn cell(
        &self,
        filters: &[(&str, &SettingValue)],
        metric: impl Fn(&TrialRow) -> Option<f64>,
    ) -> (Option<f64>, usize) {
        let matching: Vec<&TrialRow> = self
            .trials
            .iter()
            .filter(|t| {
                filters
                    .iter()
                    .all(|(n, v)| t.setting(n).is_some_and(|s| cmp_setting(s, v).is_eq()))
            })
            .collect();
        let values: Vec<f64> = matching
            .iter()
            .filter(|t| t.ok)
            .filter_map(|t| metric(t))
            .collect();
        ((!values.is_empty()).then(|| mean(&values)), matching.len())
    }

    /// A group's learning curve: per epoch, the mean over its ok trials (seeds) that reached it.
    pub fn curve(&self, group: &Group) -> Vec<EpochPoint> {
        let Some(epochs) = &self.epochs else {
            return Vec::new();
        };
        let mut by_epoch: BTreeMap<u64, (Vec<f64>, Vec<f64>)> = BTreeMap::new();
        for id in &group.trial_ids {
            for p in epochs.get(id).map(Vec::as_slice).unwrap_or_default() {
                let e = by_epoch.entry(p.epoch).or_default();
                e.0.push(p.val_mse);
                e.1.push(p.val_trend_acc);
            }
        }
        by_epoch
            .into_iter()
            .map(|(epoch, (m, a))| EpochPoint {
                epoch,
                val_mse: mean(&m),
                val_trend_acc: mean(&a),
            })
            .collect()
    }

    pub fn total_wall_seconds(&self) -> f64 {
        self.trials.iter().map(|t| t.wall_seconds).sum()
    }
}

pub(crate) fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// The groups no other group beats on both counts (lower MSE and higher accuracy), sorted by
/// MSE; an exact tie on both keeps each tied point, since neither is better.
pub(crate) fn pareto_front(groups: &[Group]) -> Vec<&Group> {
    let mut front: Vec<&Group> = groups
        .iter()
        .filter(|g| {
            !groups.iter().any(|h| {
                h.val_mse <= g.val_mse
                    && h.val_trend_acc >= g.val_trend_acc
                    && (h.val_mse < g.val_mse || h.val_trend_acc > g.val_trend_acc)
            })
        })
        .collect();
    front.sort_by(|a, b| {
        a.val_mse
            .total_cmp(&b.val_mse)
            .then(b.val_trend_acc.total_cmp(&a.val_trend_acc))
            .then(a.key.cmp(&b.key))
    });
    front
}

/// The best `n` groups by mean validation MSE (ties to the smaller settings), each with the
/// group that has λ = 0 and otherwise the same settings, when it exists and is not the group
/// itself.
pub(crate) fn best_with_partners(groups: &[Group], n: usize) -> Vec<(&Group, Option<&Group>)> {
    let mut sorted: Vec<&Group> = groups.iter().collect();
    sorted.sort_by(|a, b| a.val_mse.total_cmp(&b.val_mse).then(a.key.cmp(&b.key)));
    let Some(li) = group_index("lambda") else {
        return sorted.into_iter().take(n).map(|g| (g, None)).collect();
    };
    sorted
        .into_iter()
        .take(n)
        .map(|g| {
            let mut key = g.key.clone();
            key.0[li] = SettingValue::Float(0.0);
            let partner = groups.iter().find(|h| h.key == key && h.key != g.key);
            (g, partner)
        })
        .collect()
}

/// One λ's paired differences pooled over the other axes: the penalty table's rows, merged.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PooledPenalty {
    pub lambda: f64,
    pub n: usize,
    pub d_val_mse: Interval,
    pub d_val_trend_acc: Interval,
    /// The per-row means that were pooled, in table order.
    pub row_mse: Vec<f64>,
    pub row_acc: Vec<f64>,
}

/// Pools per-row (n, mean, sd) into the mean and sd of all the pairs together, which is exact:
/// the total sum of squares is the within-row sums, `(n−1)·sd²`, plus the between-row part,
/// `n·(mean − grand mean)²`. This avoids re-pairing trials here, which would duplicate the
/// summary's pairing rule and could drift from it.
fn pool(parts: &[(usize, f64, Option<f64>)]) -> Interval {
    let n: usize = parts.iter().map(|p| p.0).sum();
    if n == 0 {
        return Interval::from_stats(f64::NAN, None, 0);
    }
    let grand = parts.iter().map(|(k, m, _)| *k as f64 * m).sum::<f64>() / n as f64;
    let complete = parts.iter().all(|(k, _, sd)| *k < 2 || sd.is_some());
    let sd = (n >= 2 && complete).then(|| {
        let ss: f64 = parts
            .iter()
            .map(|(k, m, sd)| {
                let k = *k as f64;
                (k - 1.0).max(0.0) * sd.unwrap_or(0.0).powi(2) + k * (m - grand).powi(2)
            })
            .sum();
        (ss / (n as f64 - 1.0)).sqrt()
    });
    Interval::from_stats(grand, sd, n)
}

pub(crate) fn pooled_penalty(table: &PenaltyTable) -> Vec<PooledPenalty> {
    let mut by_lambda: BTreeMap<Key, Vec<usize>> = BTreeMap::new();
    for (i, r) in table.rows.iter().enumerate() {
        by_lambda
            .entry(Key(vec![SettingValue::Float(r.lambda)]))
            .or_default()
            .push(i);
    }
    by_lambda
        .into_iter()
        .filter_map(|(key, idx)| {
            let rows: Vec<_> = idx.iter().map(|&i| &table.rows[i]).collect();
            let mse: Vec<_> = rows
                .iter()
                .filter(|r| r.d_val_mse.mean.is_finite())
                .map(|r| (r.n, r.d_val_mse.mean, r.d_val_mse.sd))
                .collect();
            let acc: Vec<_> = rows
                .iter()
                .filter(|r| r.d_val_trend_acc.mean.is_finite())
                .map(|r| (r.n, r.d_val_trend_acc.mean, r.d_val_trend_acc.sd))
                .collect();
            if mse.is_empty() && acc.is_empty() {
                return None;
            }
            Some(PooledPenalty {
                lambda: key.0[0].as_f64().unwrap_or(f64::NAN),
                n: rows.iter().map(|r| r.n).sum(),
                d_val_mse: pool(&mse),
                d_val_trend_acc: pool(&acc),
                row_mse: mse.iter().map(|p| p.1).collect(),
                row_acc: acc.iter().map(|p| p.1).collect(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sd(xs: &[f64]) -> f64 {
        let m = mean(xs);
        (xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (xs.len() as f64 - 1.0)).sqrt()
    }

    #[test]
    fn pooling_rows_equals_computing_on_all_pairs() {
        let a = [1.0, 2.5, -0.5];
        let b = [4.0, 3.0];
        let c = [7.0];
        let all: Vec<f64> = a.iter().chain(&b).chain(&c).copied().collect();
        let pooled = pool(&[
            (3, mean(&a), Some(sd(&a))),
            (2, mean(&b), Some(sd(&b))),
            (1, mean(&c), None),
        ]);
        assert!((pooled.mean - mean(&all)).abs() < 1e-12);
        assert!((pooled.sd.unwrap() - sd(&all)).abs() < 1e-12);
        let direct = Interval::from_stats(mean(&all), Some(sd(&all)), all.len());
        assert!((pooled.half_width.unwrap() - direct.half_width.unwrap()).abs() < 1e-12);
        assert_eq!(pool(&[(1, 3.0, None)]).half_width, None);
    }

    fn group(mse: f64, acc: f64, lambda: f64) -> Group {
        let mut key: Vec<SettingValue> = group_settings()
            .iter()
            .map(|_| SettingValue::Int(1))
            .collect();
        key[group_index("lambda").unwrap()] = SettingValue::Float(lambda);
        Group {
            key: Key(key),
            trial_ids: vec![],
            val_mse: mse,
            val_trend_acc: acc,
        }
    }

    #[test]
    fn pareto_front_keeps_only_undominated_points() {
        let gs = vec![
            group(1.0, 0.6, 0.0),
            group(2.0, 0.8, 0.1),
            group(1.5, 0.7, 1.0),
            group(2.5, 0.7, 2.0),
            group(0.9, 0.5, 3.0),
        ];
        let front: Vec<f64> = pareto_front(&gs).iter().map(|g| g.val_mse).collect();
        assert_eq!(front, [0.9, 1.0, 1.5, 2.0]);
    }

    #[test]
    fn partners_share_everything_but_lambda() {
        let gs = vec![
            group(1.0, 0.6, 0.1),
            group(3.0, 0.5, 0.0),
            group(2.0, 0.5, 1.0),
        ];
        let best = best_with_partners(&gs, 3);
        assert_eq!(best.len(), 3);
        assert_eq!(best[0].1.map(|p| p.val_mse), Some(3.0));
        assert_eq!(best[2].0.val_mse, 3.0);
        assert!(best[2].1.is_none(), "a λ = 0 group is not its own partner");
    }
}
