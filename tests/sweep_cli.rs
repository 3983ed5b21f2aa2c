//! The sweep as a user runs it: `trendsweep sweep experiments/quick.toml` writes every
//! output file, `report` rebuilds the same summary, and the thread count changes nothing;
//! and the sweep offers its freed memory back before the trials and before the report.

mod common;

use polars::prelude::{IntoLazy, col, lit};

use common::{
    EPOCH_COLUMNS, TRIAL_COLUMNS, bin, names, outcome_columns, read_csv, read_parquet, root,
    run_in, run_ok as trendsweep, strings,
};

#[test]
fn sweep_writes_every_output_and_report_rebuilds_the_summary() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("quick");
    let d = dir.to_str().unwrap();
    let run = trendsweep(&[
        "sweep",
        "experiments/quick.toml",
        "--out",
        d,
        "--threads",
        "2",
    ]);
    let printed = String::from_utf8(run.stdout).unwrap();
    assert!(printed.contains("Penalty effect"), "{printed}");
    for line in printed.lines() {
        assert!(
            line.chars().count() <= 100,
            "terminal line over 100 columns: {line:?}"
        );
    }

    // quick.toml: lambda 2 × batch_size 2 × seed 2 = 8 trials of 3 epochs.
    let trials = read_parquet(&dir.join("trials.parquet"));
    assert_eq!(trials.height(), 8);
    let have = names(&trials);
    for col in TRIAL_COLUMNS {
        assert!(
            have.iter().any(|h| h == col),
            "trials.parquet lacks {col}: {have:?}"
        );
    }
    let ids = trials.column("trial_id").unwrap().n_unique().unwrap();
    assert_eq!(ids, 8, "one row per trial");
    assert_eq!(read_csv(&dir.join("trials.csv")).height(), 8);

    let epochs = read_parquet(&dir.join("epochs.parquet"));
    assert_eq!(epochs.height(), 8 * 3);
    assert_eq!(names(&epochs), EPOCH_COLUMNS);

    let baselines = read_csv(&dir.join("baselines.csv"));
    assert_eq!(baselines.height(), 5);
    assert_eq!(
        strings(&baselines, "baseline"),
        [
            "drift",
            "majority_direction",
            "naive2",
            "ols",
            "persistence"
        ]
    );

    // One paired row per λ > 0 (one value) and batch size (two values).
    let penalty = read_csv(&dir.join("penalty_effect.csv"));
    assert_eq!(penalty.height(), 2);
    assert!(dir.join("axis_lambda.csv").exists() && dir.join("axis_batch_size.csv").exists());
    assert!(dir.join("best.csv").exists());
    assert_eq!(
        std::fs::read_to_string(dir.join("grid.toml")).unwrap(),
        std::fs::read_to_string("experiments/quick.toml").unwrap()
    );

    let summary = std::fs::read(dir.join("summary.md")).unwrap();
    std::fs::remove_file(dir.join("summary.md")).unwrap();
    std::fs::remove_file(dir.join("penalty_effect.csv")).unwrap();
    trendsweep(&["report", d, "--quiet"]);
    assert_eq!(
        std::fs::read(dir.join("summary.md")).unwrap(),
        summary,
        "report must rebuild summary.md byte for byte"
    );
    assert_eq!(read_csv(&dir.join("penalty_effect.csv")).height(), 2);
}

#[test]
fn thread_count_does_not_change_the_numbers() {
    let tmp = tempfile::tempdir().unwrap();
    let one = tmp.path().join("one");
    let two = tmp.path().join("two");
    trendsweep(&[
        "sweep",
        "experiments/quick.toml",
        "--out",
        one.to_str().unwrap(),
        "--threads",
        "1",
        "--quiet",
    ]);
    trendsweep(&[
        "sweep",
        "experiments/quick.toml",
        "--out",
        two.to_str().unwrap(),
        "--threads",
        "2",
        "--quiet",
    ]);
    let a = read_parquet(&one.join("trials.parquet"))
        .select(outcome_columns())
        .unwrap();
    let b = read_parquet(&two.join("trials.parquet"))
        .select(outcome_columns())
        .unwrap();
    assert!(a.equals_missing(&b), "{a}\n{b}");
    let ea = read_parquet(&one.join("epochs.parquet"));
    let eb = read_parquet(&two.join("epochs.parquet"));
    assert!(ea.equals_missing(&eb));
    assert_eq!(
        std::fs::read(one.join("summary.md")).unwrap(),
        std::fs::read(two.join("summary.md")).unwrap()
    );
}

#[test]
fn plan_lists_trials_without_training() {
    let tmp = tempfile::tempdir().unwrap();
    let out = trendsweep(&["plan", "experiments/quick.toml"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("8"), "{text}");
    assert!(
        text.contains("lambda") && text.contains("batch_size"),
        "{text}"
    );
    assert!(text.contains("steps"), "{text}");
    assert!(std::fs::read_dir(tmp.path()).unwrap().next().is_none());
}

#[test]
fn rerun_trains_only_what_is_missing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("r");
    let d = dir.to_str().unwrap();
    trendsweep(&["sweep", "experiments/quick.toml", "--out", d, "--quiet"]);
    let first = read_parquet(&dir.join("trials.parquet"));
    let again = run_in(root(), &["sweep", "experiments/quick.toml", "--out", d]);
    assert!(again.status.success());
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(err.contains("8 trials already done, 0 to train"), "{err}");
    let second = read_parquet(&dir.join("trials.parquet"));
    assert!(first.equals_missing(&second));
}

#[test]
fn progress_in_a_log_is_plain_lines_and_quiet_prints_only_the_tables() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |dir: &str, quiet: bool| {
        let out_dir = tmp.path().join(dir);
        let mut args = vec![
            "sweep",
            "experiments/quick.toml",
            "--out",
            out_dir.to_str().unwrap(),
        ];
        if quiet {
            args.push("--quiet");
        }
        let out = run_in(root(), &args);
        assert!(out.status.success());
        (
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    // Standard error is a pipe here, not a terminal: no carriage returns or escape codes.
    let (stdout, stderr) = run("loud", false);
    assert!(
        !stderr.contains('\r') && !stderr.contains('\u{1b}'),
        "{stderr:?}"
    );
    assert!(
        stderr.contains("0 trials already done, 8 to train"),
        "{stderr}"
    );
    assert!(
        stderr
            .lines()
            .any(|l| l.contains("8/8 trials") && l.contains("steps/s")),
        "{stderr}"
    );
    assert!(stdout.contains("Penalty effect"));
    let (quiet_out, quiet_err) = run("quiet", true);
    assert!(
        quiet_err.is_empty(),
        "--quiet must print nothing but the tables: {quiet_err}"
    );
    assert_eq!(
        quiet_out.replace("/quiet/", "/loud/"),
        stdout,
        "the summary is the same either way"
    );
}

#[test]
fn report_merging_results_of_different_data_refuses() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b, ab) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("ab"),
    );
    trendsweep(&[
        "sweep",
        "experiments/quick.toml",
        "--out",
        a.to_str().unwrap(),
        "--quiet",
    ]);
    // The same grid on a differently seeded series: different data, same trial ids.
    let other = tmp.path().join("other.toml");
    let text = std::fs::read_to_string("experiments/quick.toml")
        .unwrap()
        .replace("seed = 1\n", "seed = 2\n");
    std::fs::write(&other, text).unwrap();
    trendsweep(&[
        "sweep",
        other.to_str().unwrap(),
        "--out",
        b.to_str().unwrap(),
        "--quiet",
    ]);
    // Pooling them would rank numbers that cannot be compared: refused, and nothing written.
    let merged = bin()
        .args([
            "report",
            a.to_str().unwrap(),
            b.to_str().unwrap(),
            "--out",
            ab.to_str().unwrap(),
            "--quiet",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&merged.stderr);
    assert_eq!(merged.status.code(), Some(2), "{err}");
    assert!(
        err.contains("different data") && err.contains("not comparable"),
        "{err}"
    );
    assert!(!ab.exists());
    // Same data: no warning.
    let same = trendsweep(&[
        "report",
        a.to_str().unwrap(),
        a.to_str().unwrap(),
        "--out",
        ab.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(!String::from_utf8_lossy(&same.stderr).contains("different data"));
}

#[test]
fn the_log_says_how_many_rows_missing_values_cost() {
    let tmp = tempfile::tempdir().unwrap();
    let mut csv = String::from("t,y\n");
    for t in 0..40 {
        // Rows 5 and 17 have no value.
        if t == 5 || t == 17 {
            csv.push_str(&format!("{t},\n"))
        } else {
            csv.push_str(&format!("{t},{}\n", (t * 7 % 11) as f64))
        }
    }
    std::fs::write(tmp.path().join("s.csv"), csv).unwrap();
    for (policy, said) in [
        ("drop", "dropped 2 row(s)"),
        ("interpolate", "filled 2 missing value(s)"),
    ] {
        let grid = tmp.path().join(format!("{policy}.toml"));
        std::fs::write(&grid, format!("[data]\npath = \"s.csv\"\ncolumn = \"y\"\nwindow = 3\nmissing = \"{policy}\"\n[train]\nepochs = 1\n")).unwrap();
        let out = bin()
            .args([
                "sweep",
                grid.to_str().unwrap(),
                "--out",
                tmp.path().join(policy).to_str().unwrap(),
            ])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{err}");
        assert!(err.contains(said), "{policy}: {err}");
    }
}

#[test]
fn a_sweep_frees_its_data_and_leaves_the_tables_to_the_report() {
    use std::sync::{Arc, Weak};
    use trendsweep::data::Dataset;
    use trendsweep::grid::GridSpec;
    use trendsweep::sweep::{self, SweepOptions};
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("quick");
    let spec = GridSpec::load(&common::quick()).unwrap();
    let opts = SweepOptions {
        out: out.clone(),
        threads: 1,
        quiet: true,
        max_trials: u128::MAX,
        fresh: false,
        retry_failed: false,
        stack: trendsweep::model::stack::MAX_STACK,
        shard: None,
        shard_wait: std::time::Duration::from_secs(3600),
    };
    let prepared = sweep::prepare(&spec).unwrap();
    let datasets: Vec<Weak<Vec<Dataset>>> = prepared
        .single()
        .datasets
        .values()
        .map(Arc::downgrade)
        .collect();
    let outcome = sweep::run(&spec, prepared, &opts).unwrap();
    assert!(outcome.total > 1);
    assert_eq!(outcome.trained, outcome.total);
    // Once the trials have ended nothing holds the data any more ...
    assert!(datasets.iter().all(|d| d.upgrade().is_none()));
    // ... and every trial is in the journal, with the tables not written yet.
    assert_eq!(
        trendsweep::store::read_journal(&out).unwrap().len(),
        outcome.total
    );
    assert!(!out.join("trials.parquet").exists());
    // The sweep's own report, under the locks it still holds.
    let built = trendsweep::report::build_for_sweep(&out, false).unwrap();
    assert_eq!(built.dir, out);
    assert_eq!(built.trials(), outcome.total);
    assert!(out.join("trials.parquet").is_file() && out.join("report.html").is_file());
}

/// A sweep with test samples and a season: every trial is tested once, the direction
/// baselines appear, and the best settings are tested against the best baseline.
#[test]
fn held_out_test_baselines_and_significance_reach_every_table() {
    let scene = common::Scene::new();
    let grid = common::Grid::tiny()
        .set("data", "length", "400")
        .set("data", "test_fraction", "0.2")
        .set("data", "season", "20")
        .set("train", "epochs", "4")
        .set("grid", "metric_epoch", "[\"final\", \"best\"]")
        .set("grid", "lambda", "[0.0, 0.5]")
        .set("grid", "seed", "[0, 1, 2]");
    let out = scene.sweep(&grid);
    scene.assert_trained(&out);
    let dir = scene.out();
    let trials = read_parquet(&dir.join("trials.parquet"));
    assert_eq!(trials.height(), 12);
    for c in ["test_mse", "test_trend_acc", "unstable", "final_val_mse"] {
        assert!(names(&trials).contains(&c.to_string()), "{c} missing");
    }
    assert_eq!(trials.column("test_mse").unwrap().null_count(), 0);
    // With metric_epoch = "best" the trial's figures are its best epoch's.
    let df = trials
        .clone()
        .lazy()
        .filter(col("metric_epoch").eq(lit("best")))
        .select([col("val_mse"), col("best_val_mse")])
        .collect()
        .unwrap();
    let (v, b) = (
        df.column("val_mse").unwrap().f64().unwrap(),
        df.column("best_val_mse").unwrap().f64().unwrap(),
    );
    assert_eq!(df.height(), 6);
    for (v, b) in v.iter().zip(b.iter()) {
        assert_eq!(v, b);
    }

    let baselines = read_csv(&dir.join("baselines.csv"));
    let got = strings(&baselines, "baseline");
    for b in [
        "persistence",
        "drift",
        "seasonal_naive",
        "ols",
        "majority_direction",
    ] {
        assert!(got.contains(&b.to_string()), "{b} missing from {got:?}");
    }
    assert!(names(&baselines).contains(&"test_mse".to_string()));

    // Every trial's forecasts of every test sample.
    let eval = read_parquet(&dir.join("evaluation.parquet"));
    let predictions = read_parquet(&dir.join("predictions.parquet"));
    assert!(eval.height() > 0);
    assert_eq!(predictions.height(), 12 * eval.height());
    assert_eq!(strings(&eval, "split")[0], "test");

    let best = read_csv(&dir.join("best.csv"));
    let p = best.column("p_value").unwrap().f64().unwrap();
    assert_eq!(p.len(), 2);
    for p in p.iter() {
        let p = p.expect("a p-value");
        assert!((0.0..=1.0).contains(&p), "{p}");
    }
    let md = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(md.contains("Diebold–Mariano"), "{md}");
    assert!(md.contains("McNemar"), "{md}");
    // The terminal gets the verdict, not every table.
    let text = common::stdout(&out);
    assert!(text.contains("Verdict"), "{text}");
    assert!(text.lines().count() < 60, "{text}");
}
