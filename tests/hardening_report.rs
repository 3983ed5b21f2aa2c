//! Results, tables and reports under hard conditions: runs without validation, values the
//! journal must carry whatever they are, integer columns dataframes can subtract, merged and
//! empty results directories, and baselines kept across windows.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use polars::prelude::*;
use proptest::prelude::*;
use trendsweep::config::{Activation, LossKind, MetricEpoch, PenaltyMean, TrainConfig};
use trendsweep::store::records::{
    BaselineRow, EpochMetrics, TrialRecord, TrialResult, TrialStatus,
};

use common::{assert_ok, assert_refused, read_csv, read_parquet, report, snapshot, write};

fn grid_text(name: &str, extra_data: &str, window: &str) -> String {
    format!(
        r#"name = "{name}"
[data]
kind = "sine"
length = 300
noise = 0.2
period = 60.0
{window}
{extra_data}
[train]
epochs = 3
batch_size = 16
n_dense = 4
learning_rate = 0.01
[grid]
lambda = [0.0, 0.1]
seed = [0, 1]
"#
    )
}

/// A sweep of `grid` into `out`, quietly, with `extra` flags.
fn sweep(grid: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut flags = vec!["--quiet"];
    flags.extend(extra);
    common::sweep(grid, out, &flags)
}

// ---- item 1: no validation split, and every value the journal can be given ----

#[test]
fn a_run_without_validation_reports_training_figures_and_says_why_the_rest_is_blank() {
    let tmp = tempfile::tempdir().unwrap();
    let grid = write(
        tmp.path(),
        "g.toml",
        // A batch-size axis too, so the report has heatmaps to speak of.
        grid_text("noval", "val_fraction = 0.0", "window = 8")
            .replace("batch_size = 16\n", "")
            .replace("seed = [0, 1]", "batch_size = [8, 16]"),
    );
    let out = tmp.path().join("out");
    let first = sweep(&grid, &out, &[]);
    assert_ok(&first);

    let trials = read_parquet(&out.join("trials.parquet"));
    assert_eq!(trials.height(), 4);
    let val = trials.column("val_mse").unwrap().f64().unwrap();
    assert_eq!(
        val.null_count(),
        4,
        "validation figures must be absent, not NaN"
    );
    let train = trials.column("train_mse").unwrap().f64().unwrap();
    assert!(train.iter().all(|v| v.is_some_and(f64::is_finite)));
    assert_eq!(trials.column("best_epoch").unwrap().null_count(), 4);
    let csv = std::fs::read_to_string(out.join("trials.csv")).unwrap();
    assert_eq!(csv.lines().count(), 5, "{csv}");
    assert!(!csv.contains("NaN"), "{csv}");
    let baselines = std::fs::read_to_string(out.join("baselines.csv")).unwrap();
    assert!(!baselines.contains("NaN"), "{baselines}");

    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(summary.contains("val_fraction = 0"), "{summary}");
    assert!(!summary.contains("NaN"), "{summary}");
    assert!(!summary.contains("No trial finished ok"), "{summary}");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("val_fraction = 0"));
    assert!(!html.contains("no ok trial"), "every trial finished ok");
    assert!(!html.contains("NaN"));

    // The journal it wrote reads back: a resume, a report and --retry-failed all work.
    let again = sweep(&grid, &out, &[]);
    assert_ok(&again);
    assert_ok(&report(&[&out], &["--quiet"]));
    assert_ok(&sweep(&grid, &out, &["--retry-failed"]));
    assert_eq!(read_parquet(&out.join("trials.parquet")).height(), 4);
}

#[test]
fn journals_written_before_still_read() {
    // Plain numbers everywhere, and the nulls an earlier version wrote for a run without
    // validation.
    let old = r#"{"trial_id":"a","window":8,"config":{"n_dense":4,"lambda":0.0,"batch_size":16,"learning_rate":0.01,"seed":0,"epochs":1,"loss":"trend","activation":"linear","shuffle":true},"result":{"status":"ok","message":null,"curve":[{"epoch":1,"train_loss":1.5,"train_mse":0.6,"val_mse":0.7,"val_trend_acc":0.5}],"best_epoch":1,"wall_seconds":0.25,"steps":3,"steps_per_second":12.0}}
{"trial_id":"b","window":8,"config":{"n_dense":4,"lambda":0.1,"batch_size":16,"learning_rate":0.01,"seed":0,"epochs":1,"loss":"trend","activation":"linear","shuffle":true},"result":{"status":"ok","message":null,"curve":[{"epoch":1,"train_loss":1,"train_mse":0.5,"val_mse":null,"val_trend_acc":null}],"best_epoch":null,"wall_seconds":0.5,"steps_per_second":10.0}}
"#;
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("journal.jsonl"), old).unwrap();
    let records = trendsweep::store::read_journal(tmp.path()).unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].result.curve[0].val_mse, Some(0.7));
    assert_eq!(records[1].result.curve[0].train_loss, 1.0);
    assert_eq!(records[1].result.curve[0].val_mse, None);
    assert_ok(&report(&[tmp.path()], &["--quiet"]));
}

/// Equal as stored values: NaN equals NaN, and the sign of zero counts.
fn same(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()
}

fn same_opt(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => same(a, b),
        _ => false,
    }
}

fn same_record(a: &TrialRecord, b: &TrialRecord) -> bool {
    let (x, y) = (&a.result, &b.result);
    a.trial_id == b.trial_id
        && a.window == b.window
        && a.config == b.config
        && x.status == y.status
        && x.message == y.message
        && x.best_epoch == y.best_epoch
        && x.steps == y.steps
        && same(x.wall_seconds, y.wall_seconds)
        && same(x.steps_per_second, y.steps_per_second)
        && x.curve.len() == y.curve.len()
        && x.curve.iter().zip(&y.curve).all(|(m, n)| {
            m.epoch == n.epoch
                && same(m.train_loss, n.train_loss)
                && same(m.train_mse, n.train_mse)
                && same_opt(m.val_mse, n.val_mse)
                && same_opt(m.val_trend_acc, n.val_trend_acc)
        })
}

/// Any f64 at all, with the awkward ones often.
fn any_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(-0.0),
        Just(f64::MAX),
        Just(f64::MIN_POSITIVE),
        Just(5e-324),
        proptest::num::f64::ANY,
    ]
}

fn epoch_metrics() -> impl Strategy<Value = EpochMetrics> {
    (
        1usize..1000,
        any_f64(),
        any_f64(),
        proptest::option::of(any_f64()),
        proptest::option::of(any_f64()),
    )
        .prop_map(
            |(epoch, train_loss, train_mse, val_mse, val_trend_acc)| EpochMetrics {
                epoch,
                train_loss,
                train_mse,
                val_mse,
                val_trend_acc,
                val_mase: None,
                val_smape: val_mse.map(|v| v.abs().min(200.0)),
            },
        )
}

fn trial_record() -> impl Strategy<Value = TrialRecord> {
    let config = (
        1usize..100_000,
        // A grid refuses non-finite λ and learning rates before any trial runs.
        proptest::num::f64::POSITIVE | proptest::num::f64::ZERO,
        1usize..100_000,
        proptest::num::f64::POSITIVE,
        0u64..=i64::MAX as u64,
        1usize..100_000,
        prop_oneof![
            Just(LossKind::Trend),
            Just(LossKind::Seed),
            Just(LossKind::Mse)
        ],
        prop_oneof![
            Just(Activation::Linear),
            Just(Activation::Relu),
            Just(Activation::Tanh)
        ],
        any::<bool>(),
    )
        .prop_map(
            |(
                n_dense,
                lambda,
                batch_size,
                learning_rate,
                seed,
                epochs,
                loss,
                activation,
                shuffle,
            )| TrainConfig {
                n_dense,
                lambda,
                batch_size,
                learning_rate,
                seed,
                epochs,
                loss,
                activation,
                shuffle,
                metric_epoch: if seed % 2 == 0 {
                    MetricEpoch::Final
                } else {
                    MetricEpoch::Best
                },
                penalty_mean: if seed % 3 == 0 {
                    PenaltyMean::Mismatched
                } else {
                    PenaltyMean::Batch
                },
                patience: (seed % 4) as usize,
            },
        );
    let result = (
        prop_oneof![
            Just(TrialStatus::Ok),
            Just(TrialStatus::Diverged),
            Just(TrialStatus::Failed)
        ],
        proptest::option::of(".*"),
        proptest::collection::vec(epoch_metrics(), 0..4),
        proptest::option::of(1usize..1000),
        any_f64(),
        any::<u64>(),
        any_f64(),
    )
        .prop_map(
            |(status, message, curve, best_epoch, wall_seconds, steps, steps_per_second)| {
                TrialResult {
                    status,
                    message,
                    wall_seconds,
                    steps,
                    steps_per_second,
                    ..TrialResult::of_curve(curve, best_epoch)
                }
            },
        );
    ("[a-z0-9]{1,12}", 1usize..100_000, config, result).prop_map(
        |(trial_id, window, config, result)| TrialRecord {
            trial_id,
            series: None,
            window,
            config,
            result,
            search: None,
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever a record holds, the line the journal writer makes of it is one the journal
    /// reader takes back, with every value as it was.
    #[test]
    fn every_trial_record_round_trips_through_the_journal(record in trial_record()) {
        let tmp = tempfile::tempdir().unwrap();
        // With a header, as every sweep writes its journal.
        let run = trendsweep::store::RunInfo {
            dataset: trendsweep::data::Fingerprint {
                source: "synthetic sine".into(),
                file_bytes: None,
                rows: 100,
                values_sha256: "0".repeat(64),
                missing_handled: 0,
                series: None,
            },
            split: trendsweep::config::SplitSpec::default(),
            skipped: Vec::new(),
            naive2_plain: Vec::new(),
        };
        let mut writer =
            trendsweep::store::JournalWriter::open(&tmp.path().join("journal.jsonl"), Some(&run)).unwrap();
        writer.append(&record).unwrap();
        drop(writer);
        let read = trendsweep::store::read_journal(tmp.path()).unwrap();
        prop_assert_eq!(read.len(), 1);
        prop_assert!(same_record(&read[0], &record), "wrote {:?}\nread {:?}", record, read[0]);
        // And the tables can be built from it.
        trendsweep::report::write_trial_tables(tmp.path(), &read).unwrap();
    }

    /// Likewise baselines through baselines.csv.
    #[test]
    fn every_baseline_row_round_trips_through_the_csv(
        rows in proptest::collection::vec(
            (prop_oneof![Just("ols"), Just("persistence"), Just("majority_direction")],
             1usize..100_000, proptest::option::of(any_f64()),
             proptest::option::of(any_f64()), proptest::option::of(any_f64()),
             proptest::option::of((any_f64(), any_f64()))),
            0..4,
        )
    ) {
        // One row per (window, baseline), as a sweep writes them.
        let mut rows: Vec<BaselineRow> = rows
            .into_iter()
            .map(|(b, window, train_mse, val_mse, val_trend_acc, test)| BaselineRow {
                series: None, baseline: b.to_string(), window, train_mse, val_mse, val_trend_acc,
                val_mase: val_mse.map(|v| v / 3.0),
                val_smape: val_mse.map(|v| v / 5.0),
                val_rel_mse: val_mse.map(|v| v / 11.0),
                test_mse: test.map(|t| t.0), test_trend_acc: test.map(|t| t.1),
                test_mase: test.map(|t| t.0 / 7.0),
                test_smape: test.map(|t| t.1 / 13.0),
                test_rel_mse: test.map(|t| t.0 / 17.0),
            })
            .collect();
        rows.sort_by(|a, b| a.window.cmp(&b.window).then_with(|| a.baseline.cmp(&b.baseline)));
        rows.dedup_by(|a, b| a.window == b.window && a.baseline == b.baseline);
        let tmp = tempfile::tempdir().unwrap();
        trendsweep::store::write_baselines(tmp.path(), &rows).unwrap();
        let read = trendsweep::store::read_baselines(tmp.path()).unwrap();
        prop_assert_eq!(read.len(), rows.len());
        for (r, w) in read.iter().zip(&rows) {
            prop_assert!(
                r.baseline == w.baseline && r.window == w.window && same_opt(r.train_mse, w.train_mse)
                    && same_opt(r.val_mse, w.val_mse) && same_opt(r.val_trend_acc, w.val_trend_acc)
                    && same_opt(r.test_mse, w.test_mse)
                    && same_opt(r.test_trend_acc, w.test_trend_acc)
                    && same_opt(r.val_mase, w.val_mase) && same_opt(r.test_mase, w.test_mase),
                "wrote {:?}\nread {:?}", w, r
            );
        }
    }
}

// ---- item 5: signed integer columns ----

#[test]
fn integer_columns_are_signed_64_bit_in_parquet_and_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let grid = write(tmp.path(), "g.toml", grid_text("ints", "", "window = 8"));
    let out = tmp.path().join("out");
    assert_ok(&sweep(&grid, &out, &[]));
    let ints = [
        "window",
        "n_dense",
        "batch_size",
        "seed",
        "epochs",
        "epochs_run",
        "best_epoch",
    ];
    for (what, df) in [
        ("trials.parquet", read_parquet(&out.join("trials.parquet"))),
        ("trials.csv", read_csv(&out.join("trials.csv"))),
    ] {
        for name in ints {
            assert_eq!(
                df.column(name).unwrap().dtype(),
                &DataType::Int64,
                "{what}: {name}"
            );
        }
        // What a user computes first: how far before the end the best epoch was.
        let before_end = df
            .clone()
            .lazy()
            .select([(col("best_epoch") - col("epochs")).alias("d")])
            .collect()
            .unwrap();
        let d = before_end.column("d").unwrap().i64().unwrap();
        assert_eq!(d.len(), 4);
        assert!(
            d.iter().all(|v| v.is_some_and(|v| (-3..=0).contains(&v))),
            "{what}: {before_end}"
        );
    }
    let epochs = read_parquet(&out.join("epochs.parquet"));
    assert_eq!(epochs.column("epoch").unwrap().dtype(), &DataType::Int64);
    let baselines = read_csv(&out.join("baselines.csv"));
    assert_eq!(
        baselines.column("window").unwrap().dtype(),
        &DataType::Int64
    );
    // And they read back as such: the report rebuilds from them.
    assert_ok(&report(&[&out], &["--quiet"]));
}

// ---- item 15: merging ----

/// Two halves of one grid (seeds 0-1 and 2-3) on the same data, as two sweeps would leave.
fn two_halves(root: &Path) -> (PathBuf, PathBuf) {
    let (a, b) = (root.join("a"), root.join("b"));
    let ga = write(root, "a.toml", grid_text("half", "", "window = 8"));
    let gb = write(
        root,
        "b.toml",
        grid_text("half", "", "window = 8").replace("seed = [0, 1]", "seed = [2, 3]"),
    );
    assert_ok(&sweep(&ga, &a, &[]));
    assert_ok(&sweep(&gb, &b, &[]));
    (a, b)
}

#[test]
fn a_report_never_writes_into_its_inputs() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = two_halves(tmp.path());
    // Stale tables in the input stay stale: rebuilding them is `report a`'s job, not a merge's.
    std::fs::remove_file(a.join("trials.csv")).unwrap();
    let (before_a, before_b) = (snapshot(&a), snapshot(&b));
    let m = tmp.path().join("m");
    assert_ok(&report(&[&a], &["--out", m.to_str().unwrap(), "--quiet"]));
    assert_ok(&report(
        &[&a, &b],
        &["--out", m.to_str().unwrap(), "--quiet"],
    ));
    assert_eq!(snapshot(&a), before_a);
    assert_eq!(snapshot(&b), before_b);

    // Several directories without --out: refused, nothing written.
    assert_refused(&report(&[&a, &b], &["--quiet"]), &["--out"]);
    assert_eq!(snapshot(&a), before_a);
    // --out inside an input, or a directory holding other files: refused too.
    assert_refused(
        &report(&[&a, &b], &["--out", a.join("sub").to_str().unwrap()]),
        &["a"],
    );
    assert!(!a.join("sub").exists());
    assert_refused(
        &report(&[&a], &["--out", b.to_str().unwrap()]),
        &["already holds"],
    );
    assert_eq!(snapshot(&b), before_b);
}

#[test]
fn a_merged_directory_is_a_results_directory_like_any_other() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = two_halves(tmp.path());
    let m = tmp.path().join("m");
    assert_ok(&report(
        &[&a, &b],
        &["--out", m.to_str().unwrap(), "--quiet"],
    ));
    let trials = read_parquet(&m.join("trials.parquet"));
    assert_eq!(trials.height(), 8);
    let seeds = trials.column("seed").unwrap().i64().unwrap();
    let mut seeds: Vec<i64> = seeds.iter().map(|s| s.unwrap()).collect();
    seeds.sort();
    seeds.dedup();
    assert_eq!(seeds, [0, 1, 2, 3]);
    assert_eq!(read_parquet(&m.join("epochs.parquet")).height(), 8 * 3);
    // persistence, drift, naive2, ols and majority_direction (no season is set).
    assert_eq!(read_csv(&m.join("baselines.csv")).height(), 5);
    assert_eq!(trendsweep::store::read_journal(&m).unwrap().len(), 8);
    let summary = std::fs::read(m.join("summary.md")).unwrap();
    assert!(String::from_utf8_lossy(&summary).contains("8 trials"));

    // Reported again on its own, it gives the same summary.
    assert_ok(&report(&[&m], &["--quiet"]));
    assert_eq!(std::fs::read(m.join("summary.md")).unwrap(), summary);
    assert_eq!(read_parquet(&m.join("trials.parquet")), trials);
}

#[test]
fn directories_trained_on_different_data_are_not_pooled() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let ga = write(tmp.path(), "a.toml", grid_text("same", "", "window = 8"));
    let gb = write(
        tmp.path(),
        "b.toml",
        grid_text("same", "", "window = 8").replace("period = 60.0", "period = 30.0"),
    );
    assert_ok(&sweep(&ga, &a, &[]));
    assert_ok(&sweep(&gb, &b, &[]));
    let m = tmp.path().join("m");
    let out = report(&[&a, &b], &["--out", m.to_str().unwrap(), "--quiet"]);
    assert_refused(
        &out,
        &[a.to_str().unwrap(), b.to_str().unwrap(), "different data"],
    );
    assert!(!m.exists(), "a refused report wrote {}", m.display());
}

// ---- item 17: an empty directory, and baselines across windows ----

#[test]
fn a_directory_killed_before_its_first_trial_reports_no_trials() {
    let tmp = tempfile::tempdir().unwrap();
    let grid = write(tmp.path(), "g.toml", grid_text("early", "", "window = 8"));
    let out = tmp.path().join("out");
    assert_ok(&sweep(&grid, &out, &[]));
    // What a kill before the first trial leaves: run.json, grid.toml, baselines.csv and an
    // empty journal; no tables.
    std::fs::write(out.join("journal.jsonl"), "").unwrap();
    for f in common::REBUILT_FILES {
        std::fs::remove_file(out.join(f)).unwrap();
    }
    let rep = report(&[&out], &[]);
    assert_ok(&rep);
    assert_eq!(read_parquet(&out.join("trials.parquet")).height(), 0);
    assert_eq!(read_parquet(&out.join("epochs.parquet")).height(), 0);
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(summary.contains("No trial has finished yet"), "{summary}");
    assert!(out.join("report.html").is_file());
    // The run then goes on as if nothing happened.
    assert_ok(&sweep(&grid, &out, &[]));
    assert_eq!(read_parquet(&out.join("trials.parquet")).height(), 4);
}

#[test]
fn a_directory_that_is_no_results_directory_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    assert_refused(&report(&[&empty], &[]), &["not a results directory"]);
    assert_eq!(std::fs::read_dir(&empty).unwrap().count(), 0);
}

#[test]
fn baselines_of_every_window_run_stay() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let g8 = write(tmp.path(), "g8.toml", grid_text("w", "", "window = 8"));
    let g12 = write(tmp.path(), "g12.toml", grid_text("w", "", "window = 12"));
    assert_ok(&sweep(&g8, &out, &[]));
    let first = std::fs::read_to_string(out.join("baselines.csv")).unwrap();
    assert_ok(&sweep(&g12, &out, &[]));
    let rows = read_csv(&out.join("baselines.csv"));
    let windows: Vec<i64> = rows
        .column("window")
        .unwrap()
        .i64()
        .unwrap()
        .iter()
        .map(|w| w.unwrap())
        .collect();
    assert_eq!(windows, [8, 8, 8, 8, 8, 12, 12, 12, 12, 12]);
    // Window 8's rows are those of the first run, to the byte.
    let both = std::fs::read_to_string(out.join("baselines.csv")).unwrap();
    for line in first.lines().skip(1) {
        assert!(both.contains(line), "{line} lost:\n{both}");
    }
    assert_eq!(read_parquet(&out.join("trials.parquet")).height(), 8);
}
