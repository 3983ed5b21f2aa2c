//! The collection's answer: Naive2, sMAPE, relative MSE and OWA against values worked out
//! here from the raw series, the collection's aggregates against those recomputed from
//! `series.parquet` and `baselines.csv`, and the penalty's headline against a planted
//! exploding series.

mod common;

use std::collections::BTreeMap;

use common::{Grid, Scene, floats, read_csv, read_parquet, strings};
use trendsweep::config::{Scale, SplitSpec};
use trendsweep::data::{Dataset, Series};
use trendsweep::model::baselines::baselines;
use trendsweep::report::collection::CollectionSummary;
use trendsweep::report::scores::{Figs, Unit};
use trendsweep::store::records::BaselineRow;

#[track_caller]
fn close(got: f64, want: f64) {
    assert!(
        (got - want).abs() <= 1e-9 * want.abs().max(1.0),
        "{got} against {want}"
    );
}

/// Quarterly-looking: a rising level times a strong four-step pattern, all positive.
fn seasonal(n: usize) -> Vec<f64> {
    let pattern = [0.8, 1.05, 1.3, 0.85];
    (0..n)
        .map(|t| (50.0 + 0.8 * t as f64) * pattern[t % 4] + ((t * 7) % 3) as f64 * 0.3)
        .collect()
}

/// A wave of period about 4.8 steps with a little wobble: the test at lag 4 finds no season.
fn wavy(n: usize) -> Vec<f64> {
    (0..n)
        .map(|t| 20.0 + 3.0 * (1.3 * t as f64).sin() + ((t * 7) % 5) as f64 * 0.4)
        .collect()
}

/// A rising line with a little wobble.
fn trend(n: usize) -> Vec<f64> {
    (0..n)
        .map(|t| 20.0 + 0.5 * t as f64 + ((t * 5) % 3) as f64 * 0.2)
        .collect()
}

// --- Naive2, worked out here independently of the crate -----------------------------------

fn acf(v: &[f64], k: usize) -> f64 {
    let m = v.iter().sum::<f64>() / v.len() as f64;
    let num: f64 = (k..v.len()).map(|t| (v[t] - m) * (v[t - k] - m)).sum();
    let den: f64 = v.iter().map(|x| (x - m).powi(2)).sum();
    num / den
}

/// M4's test, then statsmodels' classical multiplicative decomposition.
fn indices(v: &[f64], m: usize) -> Option<Vec<f64>> {
    if v.len() < 3 * m || v.iter().any(|x| *x <= 0.0) {
        return None;
    }
    let s: f64 = (1..m).map(|k| acf(v, k).powi(2)).sum();
    if acf(v, m).abs() <= 1.645 * ((1.0 + 2.0 * s) / v.len() as f64).sqrt() {
        return None;
    }
    // Even m: weights ½, 1, …, 1, ½ over m + 1 values.
    let mut weights = vec![1.0; m + 1];
    weights[0] = 0.5;
    weights[m] = 0.5;
    let h = m / 2;
    let mut ratios: Vec<Vec<f64>> = vec![Vec::new(); m];
    for t in h..v.len() - h {
        let ma: f64 = (0..=m).map(|j| weights[j] * v[t - h + j]).sum::<f64>() / m as f64;
        ratios[t % m].push(v[t] / ma);
    }
    let avg: Vec<f64> = ratios
        .iter()
        .map(|r| r.iter().sum::<f64>() / r.len() as f64)
        .collect();
    let mean = avg.iter().sum::<f64>() / m as f64;
    Some(avg.iter().map(|a| a / mean).collect())
}

fn naive2_forecast(v: &[f64], si: &Option<Vec<f64>>, t: usize) -> f64 {
    match si {
        Some(s) => v[t - 1] / s[(t - 1) % s.len()] * s[t % s.len()],
        None => v[t - 1],
    }
}

fn smape(pairs: &[(f64, f64)]) -> f64 {
    pairs
        .iter()
        .map(|(p, y)| 200.0 * (y - p).abs() / (y.abs() + p.abs()))
        .sum::<f64>()
        / pairs.len() as f64
}

fn dataset(values: &[f64]) -> Dataset {
    let series = Series {
        origin: "hand".into(),
        name: "y".into(),
        values: values.to_vec().into(),
        features: vec![],
    };
    let split = SplitSpec {
        val_fraction: 0.25,
        test_fraction: 0.25,
        scale: Scale::None,
        season: Some(4),
        ..SplitSpec::default()
    };
    Dataset::build(&series, 4, &split).unwrap()
}

fn baseline<'a>(rows: &'a [BaselineRow], name: &str) -> &'a BaselineRow {
    rows.iter().find(|r| r.baseline == name).unwrap()
}

/// 64 values, window 4: 60 samples, 30 train (targets 4..34), 15 validation (34..49) and
/// 15 test (49..64).
#[test]
fn naive2_seasonal_and_not_matches_the_worked_computation() {
    for (name, values) in [("seasonal", seasonal(64)), ("wavy", wavy(64))] {
        let rows = baselines(&dataset(&values));
        let n2 = baseline(&rows, "naive2");
        for (split, part, targets) in [("val", 34, 34..49), ("test", 49, 49..64)] {
            let si = indices(&values[..part], 4);
            assert_eq!(
                si.is_some(),
                name == "seasonal",
                "{name} {split}: the test at lag 4"
            );
            let pairs: Vec<(f64, f64)> = targets
                .clone()
                .map(|t| (naive2_forecast(&values, &si, t), values[t]))
                .collect();
            let mse = pairs.iter().map(|(p, y)| (p - y).powi(2)).sum::<f64>() / 15.0;
            let mae = pairs.iter().map(|(p, y)| (p - y).abs()).sum::<f64>() / 15.0;
            let scale = (4..part)
                .map(|t| (values[t] - values[t - 4]).abs())
                .sum::<f64>()
                / (part - 4) as f64;
            let (got_mse, got_smape, got_mase) = if split == "val" {
                (n2.val_mse, n2.val_smape, n2.val_mase)
            } else {
                (n2.test_mse, n2.test_smape, n2.test_mase)
            };
            close(got_mse.unwrap(), mse);
            close(got_smape.unwrap(), smape(&pairs));
            close(got_mase.unwrap(), mae / scale);
            // Relative MSE is against seasonal naive, which is its own reference.
            let sn = baseline(&rows, "seasonal_naive");
            let (rel, sn_mse) = if split == "val" {
                (n2.val_rel_mse, sn.val_mse)
            } else {
                (n2.test_rel_mse, sn.test_mse)
            };
            close(rel.unwrap(), mse / sn_mse.unwrap());
        }
        let persistence = baseline(&rows, "persistence");
        if name == "seasonal" {
            // Carrying the last value over the season beats repeating it.
            assert!(n2.val_mse.unwrap() < 0.2 * persistence.val_mse.unwrap());
        } else {
            assert_eq!(n2.val_mse, persistence.val_mse);
            assert_eq!(n2.test_smape, persistence.test_smape);
        }
    }
    // A value at or below zero: plain naive, whatever the season.
    let mut negative = seasonal(64);
    negative[10] = -1.0;
    let rows = baselines(&dataset(&negative));
    assert_eq!(
        baseline(&rows, "naive2").val_mse,
        baseline(&rows, "persistence").val_mse
    );
}

/// sMAPE in percent, a zero truth and forecast counting as no error, by hand.
#[test]
fn smape_is_m4s_in_percent() {
    let f = trendsweep::model::train::figures(
        [(110.0, 100.0, 90.0), (0.0, 0.0, 1.0), (50.0, 100.0, 90.0)].into_iter(),
    );
    // 200·10/210, 0, 200·50/150, over three.
    close(f.smape, (200.0 * 10.0 / 210.0 + 200.0 * 50.0 / 150.0) / 3.0);
}

/// Four series: seasonal, trend, seasonal with a value below zero (plain Naive2, said so),
/// and a seasonal one of another length and scale.
fn collection(scene: &Scene) -> Grid {
    let mut rows = Vec::new();
    let neg: Vec<f64> = seasonal(56).iter().map(|v| v - 45.0).collect();
    let big: Vec<f64> = seasonal(72).iter().map(|v| v * 1000.0).collect();
    for (id, values) in [
        ("a_seasonal", seasonal(64)),
        ("b_trend", trend(60)),
        ("c_negative", neg),
        ("d_big", big),
    ] {
        for (t, v) in values.iter().enumerate() {
            rows.push(format!("{id},{t},{v}"));
        }
    }
    scene.write("long.csv", common::csv("id,t,y", rows));
    Grid::file("long.csv", "y")
        .set("data", "series_column", "\"id\"")
        .set("data", "sort_by", "\"t\"")
        .set("data", "season", "4")
        .set("data", "val_fraction", "0.25")
        .set("data", "test_fraction", "0.25")
        .set("train", "epochs", "3")
        .set("train", "batch_size", "8")
        .set("grid", "lambda", "[0.0, 0.5]")
        .set("grid", "seed", "[0, 1]")
}

/// The column `name` of `df` as options.
fn opts(df: &polars::prelude::DataFrame, name: &str) -> Vec<Option<f64>> {
    df.column(name)
        .unwrap()
        .cast(&polars::prelude::DataType::Float64)
        .unwrap()
        .f64()
        .unwrap()
        .iter()
        .collect()
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

#[test]
fn a_collections_scores_are_those_recomputed_from_its_series_table() {
    let scene = Scene::new();
    let out = scene.sweep(&collection(&scene));
    scene.assert_trained(&out);
    let dir = scene.out();
    assert!(
        common::stderr(&out).contains("naive2 is the plain naive forecast on 1 series"),
        "{}",
        common::stderr(&out)
    );
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap();
    assert_eq!(run["naive2_plain"], serde_json::json!(["c_negative"]));

    let series = read_parquet(&dir.join("series.parquet"));
    let base = read_csv(&dir.join("baselines.csv"));
    let trials = read_csv(&dir.join("trials.csv"));
    // The baselines by (series, name): validation and test MSE, sMAPE and MASE.
    let names = strings(&base, "baseline");
    let ids = strings(&base, "series");
    let mut b: BTreeMap<(String, String), [[Option<f64>; 3]; 2]> = BTreeMap::new();
    let cols: Vec<Vec<Option<f64>>> = [
        "val_mse",
        "val_smape",
        "val_mase",
        "test_mse",
        "test_smape",
        "test_mase",
    ]
    .iter()
    .map(|c| opts(&base, c))
    .collect();
    for i in 0..base.height() {
        b.insert(
            (ids[i].clone(), names[i].clone()),
            [
                [cols[0][i], cols[1][i], cols[2][i]],
                [cols[3][i], cols[4][i], cols[5][i]],
            ],
        );
    }
    let series_ids = strings(&series, "series");
    let trial_ids = strings(&series, "trial_id");
    let status = strings(&series, "status");
    for (k, split) in ["val", "test"].into_iter().enumerate() {
        let mse = floats(&series, &format!("{split}_mse"));
        let sm = floats(&series, &format!("{split}_smape"));
        let ma = floats(&series, &format!("{split}_mase"));
        let rel = opts(&series, &format!("{split}_rel_mse"));
        // Each row's relative MSE is over its series' seasonal naive.
        for i in 0..series.height() {
            let sn = b[&(series_ids[i].clone(), "seasonal_naive".into())][k][0].unwrap();
            close(rel[i].unwrap(), mse[i] / sn);
        }
        let t_ids = strings(&trials, "trial_id");
        let owa = floats(&trials, &format!("{split}_owa"));
        let gmean = floats(&trials, &format!("{split}_rel_mse_gmean"));
        let wins = floats(&trials, &format!("{split}_win_share"));
        let mase = floats(&trials, &format!("{split}_mase"));
        assert_eq!(t_ids.len(), 4);
        for (j, id) in t_ids.iter().enumerate() {
            let rows: Vec<usize> = (0..series.height())
                .filter(|&i| trial_ids[i] == *id && status[i] == "ok")
                .collect();
            assert_eq!(rows.len(), 4, "{id}: ok on every series");
            let n2 =
                |i: usize, f: usize| b[&(series_ids[i].clone(), "naive2".into())][k][f].unwrap();
            let owa_want = 0.5
                * (mean(&rows.iter().map(|&i| sm[i]).collect::<Vec<_>>())
                    / mean(&rows.iter().map(|&i| n2(i, 1)).collect::<Vec<_>>())
                    + mean(&rows.iter().map(|&i| ma[i]).collect::<Vec<_>>())
                        / mean(&rows.iter().map(|&i| n2(i, 2)).collect::<Vec<_>>()));
            close(owa[j], owa_want);
            let logs: Vec<f64> = rows
                .iter()
                .map(|&i| rel[i].unwrap().clamp(0.01, 100.0).ln())
                .collect();
            close(gmean[j], mean(&logs).exp());
            close(
                mase[j],
                mean(&rows.iter().map(|&i| ma[i]).collect::<Vec<_>>()),
            );
            // The best baseline of a series is its lowest validation MSE.
            let won = rows
                .iter()
                .filter(|&&i| {
                    let best = b
                        .iter()
                        .filter(|((s, _), f)| *s == series_ids[i] && f[0][0].is_some())
                        .min_by(|x, y| x.1[0][0].partial_cmp(&y.1[0][0]).unwrap())
                        .unwrap();
                    mse[i] < best.1[k][0].unwrap()
                })
                .count();
            close(wins[j], won as f64 / 4.0);
        }
    }
    // sMAPE of the test forecasts the predictions table holds, for one trial and series.
    let predictions = read_parquet(&dir.join("predictions.parquet"));
    let p_trial = strings(&predictions, "trial_id");
    let p_series = strings(&predictions, "series");
    let p = floats(&predictions, "prediction");
    let first = (trial_ids[0].clone(), series_ids[0].clone());
    let forecasts: Vec<f64> = (0..p.len())
        .filter(|&i| p_trial[i] == first.0 && p_series[i] == first.1)
        .map(|i| p[i])
        .collect();
    let values = seasonal(64);
    assert_eq!(first.1, "a_seasonal");
    let pairs: Vec<(f64, f64)> = forecasts
        .iter()
        .zip(&values[64 - forecasts.len()..])
        .map(|(p, y)| (*p, *y))
        .collect();
    close(floats(&series, "test_smape")[0], smape(&pairs));

    // The summary says how many series and names Naive2 and the clip.
    let md = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(md.starts_with("# Sweep summary: 4 series"), "{md}");
    for needle in [
        "naive2",
        "OWA",
        "[0.01, 100]",
        "c_negative",
        "λ = 0.5 against λ = 0",
    ] {
        assert!(md.contains(needle), "{needle}: {md}");
    }
    let best = read_csv(&dir.join("best.csv"));
    assert_eq!(strings(&best, "choice"), ["collection", "per_series"]);
    // The page: the per-series strip and the penalty's effects, each also a file.
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("(4 series)"), "{html}");
    assert_eq!(html.matches("<svg").count(), 2);
    for file in ["series_strip.svg", "series_effects.svg"] {
        assert!(html.contains(file) && dir.join(file).is_file(), "{file}");
    }
    // The strip counts the series the setting wins in its legend.
    let strip = std::fs::read_to_string(dir.join("series_strip.svg")).unwrap();
    assert!(strip.contains("setting better ("), "{strip}");
}

/// Per-series rows for `n` series: λ ∈ {0, 0.1} over two seeds, λ = 0.1 changing the MSE by
/// a factor around 0.9 whose logarithm spreads over the series with a standard deviation of
/// 0.36, as the penalty's per-series effects spread on the bundled fertility collection.
fn units(n: usize) -> (Vec<Unit>, Vec<BaselineRow>) {
    let mut units = Vec::new();
    let mut rows = Vec::new();
    for s in 0..n {
        let series = format!("s{s:02}");
        // Evenly spread in log over ±0.62 (a uniform spread with standard deviation 0.36), in
        // an order unrelated to the series' names.
        let u = ((s * 37) % n) as f64 / (n - 1) as f64;
        let factor = 0.9 * (0.62 * (2.0 * u - 1.0)).exp();
        for seed in 0..2 {
            for lambda in [0.0, 0.1] {
                let mse = if lambda == 0.0 { 1.0 } else { factor } * (1.0 + 0.01 * seed as f64);
                let figs = Figs {
                    mse: Some(mse),
                    mase: Some(mse.sqrt()),
                    smape: Some(10.0 * mse.sqrt()),
                    trend_acc: Some(0.6),
                };
                units.push(Unit {
                    trial_id: format!("l{lambda}_s{seed}"),
                    series: series.clone(),
                    window: 4,
                    seed,
                    lambda,
                    setting: format!("lambda {lambda}"),
                    others: String::new(),
                    ok: true,
                    figs: [figs, figs],
                });
            }
        }
        for name in ["persistence", "naive2"] {
            rows.push(BaselineRow {
                series: Some(series.clone()),
                baseline: name.into(),
                window: 4,
                train_mse: Some(1.0),
                val_mse: Some(1.1),
                val_trend_acc: Some(0.0),
                val_mase: Some(1.1),
                val_smape: Some(11.0),
                val_rel_mse: Some(1.0),
                test_mse: Some(1.1),
                test_trend_acc: Some(0.0),
                test_mase: Some(1.1),
                test_smape: Some(11.0),
                test_rel_mse: Some(1.0),
            });
        }
    }
    (units, rows)
}

#[test]
fn a_planted_exploding_series_cannot_move_the_headline_beyond_its_interval() {
    // Sixty series: one series can move the geometric mean by a factor up to 100^(1/60).
    let (mut units, rows) = units(60);
    let clean = CollectionSummary::from_units(&units, &rows, None);
    let effect = clean.effects[0].splits[0].clone().unwrap();
    assert_eq!(clean.effects[0].lambda, 0.1);
    assert!(effect.high < 1.0, "the penalty helps here: {effect:?}");
    assert_eq!(effect.series, 60);
    // One series explodes with λ = 0.1: its MSE a trillion times λ = 0's.
    for u in units
        .iter_mut()
        .filter(|u| u.series == "s07" && u.lambda > 0.0)
    {
        for f in &mut u.figs {
            f.mse = Some(1e12);
        }
    }
    let planted = CollectionSummary::from_units(&units, &rows, None);
    let moved = planted.effects[0].splits[0].clone().unwrap();
    assert!(
        effect.low <= moved.ratio && moved.ratio <= effect.high,
        "{} left [{}, {}]",
        moved.ratio,
        effect.low,
        effect.high
    );
    assert_eq!(moved.helped, effect.helped - 1);
    // Unclipped, the same plant would have thrown the geometric mean far outside.
    let unclipped = (effect.ratio.ln() * 60.0 - effect.per_series[7].1.ln() + 1e12f64.ln()) / 60.0;
    assert!(
        unclipped.exp() - effect.high > effect.high - effect.low,
        "{} against [{}, {}]",
        unclipped.exp(),
        effect.low,
        effect.high
    );
    // The chosen setting is still λ = 0.1, whose validation relative MSE is bounded too.
    assert_eq!(planted.best().unwrap().label, "lambda 0.1");
}
