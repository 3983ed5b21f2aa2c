//! Rolling-origin folds: each trial trains once per fold, on that fold's own scaled data,
//! and stands for the mean of its folds; one fold is the plain split byte for byte; the
//! penalty's pairs are made within folds; searches and pruning run folds in lockstep.

mod common;

use std::path::{Path, PathBuf};

use polars::prelude::*;
use trendsweep::data::Dataset;
use trendsweep::grid::GridSpec;
use trendsweep::model::train::train;
use trendsweep::store::read_journal;

use common::{assert_refused, read_csv, read_parquet, stderr, sweep, write};

const DATA: &str = r#"
[data]
kind = "sine"
length = 500
noise = 0.2
period = 40.0
seed = 1
window = 8
val_fraction = 0.3
test_fraction = 0.1
"#;

const GRID: &str = r#"
[train]
epochs = 3
n_dense = 8
learning_rate = 1e-2

[grid]
lambda = [0.0, 0.1]
batch_size = [8, 32]
seed = [0, 1]
"#;

fn grid(dir: &Path, name: &str, folds: &str) -> PathBuf {
    write(
        dir,
        &format!("{name}.toml"),
        format!("name = \"{name}\"\n{DATA}{folds}\n{GRID}"),
    )
}

fn run_ok(grid: &Path, out: &Path, extra: &[&str]) {
    let o = sweep(grid, out, extra);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// A journal's records with the timings taken out, by trial id.
fn numbers(dir: &Path) -> Vec<(String, String)> {
    let mut records = read_journal(dir).unwrap();
    records.sort_by(|a, b| a.trial_id.cmp(&b.trial_id));
    records
        .into_iter()
        .map(|mut r| {
            r.result.wall_seconds = 0.0;
            r.result.steps_per_second = 0.0;
            (r.trial_id.clone(), serde_json::to_string(&r).unwrap())
        })
        .collect()
}

/// The ols baseline's val_mse in a baselines table, in fold order when it has folds.
fn ols_val_mse(df: &DataFrame) -> Vec<f64> {
    let mut rows = df.clone().lazy().filter(col("baseline").eq(lit("ols")));
    if df.column("fold").is_ok() {
        rows = rows.sort(["fold"], Default::default());
    }
    rows.collect()
        .unwrap()
        .column("val_mse")
        .unwrap()
        .f64()
        .unwrap()
        .into_no_null_iter()
        .collect()
}

#[test]
fn one_fold_without_a_gap_is_the_plain_split_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let plain = grid(tmp.path(), "plain", "");
    let one = grid(tmp.path(), "one", "folds = 1\ngap = 0");
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    run_ok(&plain, &a, &[]);
    run_ok(&one, &b, &[]);
    assert_eq!(numbers(&a), numbers(&b));
    for file in [
        "baselines.csv",
        "best.csv",
        "penalty_headline.csv",
        "run.json",
    ] {
        assert_eq!(
            std::fs::read(a.join(file)).unwrap(),
            std::fs::read(b.join(file)).unwrap(),
            "{file}"
        );
    }
    for dir in [&a, &b] {
        assert!(!dir.join("folds.parquet").exists());
        assert!(!dir.join("baseline_folds.csv").exists());
        let summary = std::fs::read_to_string(dir.join("summary.md")).unwrap();
        assert!(!summary.contains("Per fold"), "{summary}");
    }
    // The summaries differ only in the grid's name.
    let text = |d: &Path| std::fs::read_to_string(d.join("summary.md")).unwrap();
    assert_eq!(text(&a).replace("plain", "one"), text(&b));
}

#[test]
fn a_trial_trains_once_per_fold_on_that_folds_data_and_reports_their_mean() {
    let tmp = tempfile::tempdir().unwrap();
    let file = grid(tmp.path(), "folds", "folds = 3\ngap = 2");
    let out = tmp.path().join("out");
    run_ok(&file, &out, &["--threads", "2"]);

    // Each fold's curve is exactly a plain training run on that fold's dataset.
    let spec = GridSpec::load(&file).unwrap();
    let (series, _) = trendsweep::data::load_series(&spec.source).unwrap();
    let folds = Dataset::build_folds(&series, 8, &spec.split).unwrap();
    assert_eq!(folds.len(), 3);
    let records = read_journal(&out).unwrap();
    assert_eq!(records.len(), 8);
    for r in &records {
        assert_eq!(r.result.folds.len(), 3, "{}", r.trial_id);
        for (k, fold) in r.result.folds.iter().enumerate() {
            let alone = train(&folds[k], &r.config);
            assert_eq!(fold.curve, alone.curve, "{} fold {k}", r.trial_id);
            assert_eq!(fold.best_epoch, alone.best_epoch);
        }
        // The trial's curve is the folds' mean, epoch by epoch.
        for (e, m) in r.result.curve.iter().enumerate() {
            let mean = r
                .result
                .folds
                .iter()
                .map(|f| f.curve[e].val_mse.unwrap())
                .sum::<f64>()
                / 3.0;
            assert!(
                (m.val_mse.unwrap() - mean).abs() <= 1e-12 * mean,
                "epoch {e}"
            );
        }
        // Its test figures are the last fold's model's.
        let last = train(&folds[2], &r.config);
        assert_eq!(r.result.test_mse, last.test_mse);
    }

    // folds.parquet: one row per trial and fold, the fold's figures.
    let f = read_parquet(&out.join("folds.parquet"));
    assert_eq!(f.height(), 8 * 3);
    let trials = read_parquet(&out.join("trials.parquet"));
    let means = f
        .clone()
        .lazy()
        .group_by([col("trial_id")])
        .agg([col("val_mse").mean().alias("fold_mean")])
        .join(
            trials.lazy(),
            [col("trial_id")],
            [col("trial_id")],
            JoinArgs::new(JoinType::Inner),
        )
        .select([((col("fold_mean") - col("val_mse")) / col("val_mse")).alias("rel")])
        .collect()
        .unwrap();
    let rel = means.column("rel").unwrap().f64().unwrap().clone();
    assert_eq!(rel.len(), 8);
    let worst = rel.into_no_null_iter().fold(0.0f64, |m, v| m.max(v.abs()));
    assert!(
        worst < 1e-12,
        "trials.parquet's val_mse is the fold mean: {worst}"
    );

    // The baselines: each fold fits its own, and baselines.csv holds their means.
    let per_fold = read_csv(&out.join("baseline_folds.csv"));
    let ols = ols_val_mse(&per_fold);
    assert_eq!(ols.len(), 3);
    assert!(ols[0] != ols[1] && ols[1] != ols[2], "own fits: {ols:?}");
    let ols_mean = ols_val_mse(&read_csv(&out.join("baselines.csv")))[0];
    assert!((ols_mean - ols.iter().sum::<f64>() / 3.0).abs() <= 1e-12 * ols_mean);

    // Pairs are made within folds: 2 batch sizes × 2 seeds × 3 folds for λ = 0.1.
    let headline = read_csv(&out.join("penalty_headline.csv"));
    assert_eq!(
        headline.column("n").unwrap().i64().unwrap().get(0),
        Some(12)
    );
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(summary.contains("## Per fold"), "{summary}");
    assert!(summary.contains("folds."), "{summary}");
}

#[test]
fn bad_fold_settings_are_refused_naming_the_key() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    for (case, extra, needles) in [
        ("zero folds", "folds = 0", vec!["[data] folds", "from 1"]),
        ("negative gap", "gap = -1", vec!["[data] gap", "from 0"]),
        (
            "more folds than validation samples",
            "folds = 200",
            vec!["folds = 200", "rows are too few"],
        ),
        (
            "a gap longer than the training part",
            "gap = 400",
            vec!["gap = 400", "rows are too few"],
        ),
    ] {
        let file = grid(tmp.path(), "bad", extra);
        let o = sweep(&file, &out, &[]);
        let err = assert_refused(&o, &needles);
        assert!(err.contains("bad.toml"), "{case}: {err}");
        assert!(!out.exists(), "{case}: nothing written");
    }
    let no_val = write(
        tmp.path(),
        "noval.toml",
        format!(
            "{}\nfolds = 2\n{GRID}",
            DATA.replace("val_fraction = 0.3", "val_fraction = 0.0")
        ),
    );
    assert_refused(
        &sweep(&no_val, &out, &[]),
        &["[data] folds = 2", "val_fraction = 0"],
    );
    assert!(!out.exists());
}

#[test]
fn a_pruned_search_on_folds_runs_them_in_lockstep_and_is_the_same_on_any_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    let search = common::search_table("random", (6, 6), 4, 0, "");
    let file = write(
        tmp.path(),
        "search.toml",
        format!(
            r#"name = "fs"
{DATA}folds = 2

[train]
epochs = 6
n_dense = 8

{search}
[grid]
learning_rate = {{ log_uniform = [1e-3, 1e-1] }}
batch_size = [8, 32]
seed = [0, 1]

[prune]
strategy = "asha"
min_epochs = 2
reduction_factor = 3
"#
        ),
    );
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    run_ok(&file, &a, &["--threads", "1"]);
    run_ok(&file, &b, &["--threads", "2"]);
    assert_eq!(numbers(&a), numbers(&b));
    let records = read_journal(&a).unwrap();
    let pruned: Vec<_> = records
        .iter()
        .filter(|r| r.result.status.name() == "pruned")
        .collect();
    // Rung at 2 epochs: 6 configurations, 2 go on, 4 stop.
    assert_eq!(pruned.len(), 4 * 2);
    for r in pruned {
        assert_eq!(r.result.folds.len(), 2);
        for f in &r.result.folds {
            assert_eq!(f.curve.len(), 2, "every fold stopped at the rung");
        }
    }
}

#[test]
fn a_merged_report_keeps_the_folds_and_their_baselines() {
    let tmp = tempfile::tempdir().unwrap();
    let a_grid = grid(tmp.path(), "a", "folds = 2");
    let b_text = std::fs::read_to_string(&a_grid)
        .unwrap()
        .replace("name = \"a\"", "name = \"b\"")
        .replace("lambda = [0.0, 0.1]", "lambda = [1.0]");
    let b_grid = write(tmp.path(), "b.toml", b_text);
    let (a, b, merged) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("m"),
    );
    run_ok(&a_grid, &a, &[]);
    run_ok(&b_grid, &b, &[]);
    let o = common::report(&[&a, &b], &["--out", merged.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(a.join("baseline_folds.csv")).unwrap(),
        std::fs::read(merged.join("baseline_folds.csv")).unwrap(),
        "the same data and split: the same per-fold baselines"
    );
    assert_eq!(read_parquet(&merged.join("folds.parquet")).height(), 12 * 2);
    let summary = std::fs::read_to_string(merged.join("summary.md")).unwrap();
    assert!(summary.contains("## Per fold"), "{summary}");
}

#[test]
fn folds_that_cannot_all_be_held_in_memory_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    // One fold's model (window 100, n_dense 1,000,000: weights, Adam state and gradients of
    // about 1.6 GB) fits; a trial holds all 100 folds' at once, which no machine here has.
    let file = write(
        tmp.path(),
        "wide.toml",
        "[data]\nkind = \"sine\"\nlength = 1000\nwindow = 100\nval_fraction = 0.3\nfolds = 100\n\
         [train]\nepochs = 1\nn_dense = 1000000\n",
    );
    let out = tmp.path().join("out");
    assert_refused(
        &sweep(&file, &out, &[]),
        &["wide.toml", "[data] folds = 100", "one model per fold"],
    );
    assert!(!out.exists(), "nothing written");
}
