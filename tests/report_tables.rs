//! Journal → tables → summary, checked against hand-computed figures of a λ × batch × seed grid.

mod common;

use std::path::PathBuf;

use trendsweep::config::{Activation, LossKind, TrainConfig};
use trendsweep::report::{self, BestBy, PenaltyEffect, SettingValue, Summary};
use trendsweep::store::records::{
    BaselineRow, EpochMetrics, TrialRecord, TrialResult, TrialStatus,
};

use common::{EPOCH_COLUMNS, TRIAL_COLUMNS, names, read_csv, read_parquet, strings};

const LAMBDAS: [f64; 3] = [0.0, 0.01, 0.1];
const BATCHES: [usize; 2] = [1, 8];
const SEEDS: [u64; 3] = [0, 1, 2];

/// Final validation MSE, indexed [λ][batch][seed].
const VAL_MSE: [[[f64; 3]; 2]; 3] = [
    [[1.00, 1.10, 0.90], [2.00, 2.20, 1.90]],
    [[0.90, 1.05, 0.85], [2.10, 2.00, 1.95]],
    [[1.20, 1.40, 1.00], [1.50, 1.80, 1.60]],
];
/// Final validation trend accuracy, indexed [λ][batch][seed].
const VAL_ACC: [[[f64; 3]; 2]; 3] = [
    [[0.50, 0.52, 0.54], [0.60, 0.58, 0.62]],
    [[0.55, 0.55, 0.58], [0.61, 0.60, 0.60]],
    [[0.70, 0.66, 0.65], [0.64, 0.63, 0.66]],
];

/// The published two-sided 95 % critical values used by hand below.
const T_975_DF1: f64 = 12.706_204_736_174_696;
const T_975_DF2: f64 = 4.302_652_729_749_462;

fn trial_id(li: usize, bi: usize, seed: u64) -> String {
    format!("l{li}-b{:02}-s{seed}", BATCHES[bi])
}

/// An ok trial whose last of three epochs carries the table's figures (and is the best one).
fn record(li: usize, bi: usize, seed: u64) -> TrialRecord {
    let (mse, acc) = (
        VAL_MSE[li][bi][seed as usize],
        VAL_ACC[li][bi][seed as usize],
    );
    let curve = (1..=3)
        .map(|epoch| {
            let behind = (3 - epoch) as f64;
            EpochMetrics {
                epoch,
                train_loss: 0.5 + 0.1 * behind,
                train_mse: 0.4 + 0.1 * behind,
                val_mse: Some(mse + 0.25 * behind),
                val_trend_acc: Some(acc - 0.01 * behind),
                val_mase: None,
                val_smape: None,
            }
        })
        .collect();
    TrialRecord {
        trial_id: trial_id(li, bi, seed),
        series: None,
        window: 16,
        config: TrainConfig {
            n_dense: 32,
            lambda: LAMBDAS[li],
            batch_size: BATCHES[bi],
            learning_rate: 1e-3,
            seed,
            epochs: 3,
            loss: LossKind::Trend,
            activation: Activation::Linear,
            shuffle: true,
            metric_epoch: Default::default(),
            penalty_mean: Default::default(),
            patience: 0,
        },
        result: TrialResult {
            wall_seconds: 1.5,
            steps: 300,
            steps_per_second: 200.0,
            ..TrialResult::of_curve(curve, Some(3))
        },
        search: None,
    }
}

fn grid() -> Vec<TrialRecord> {
    let mut out = Vec::new();
    for li in 0..LAMBDAS.len() {
        for bi in 0..BATCHES.len() {
            for seed in SEEDS {
                out.push(record(li, bi, seed));
            }
        }
    }
    out
}

/// The grid with two λ = 0 trials failed (so two λ > 0 pairs per λ lose their partner) and
/// one λ = 0.1 trial diverged after one epoch.
fn degraded_grid() -> Vec<TrialRecord> {
    let mut records = grid();
    for r in &mut records {
        if r.trial_id == trial_id(0, 0, 1) || r.trial_id == trial_id(0, 0, 2) {
            r.result = TrialResult {
                wall_seconds: 0.1,
                ..TrialResult::failed("panicked: out of memory".into())
            };
        } else if r.trial_id == trial_id(2, 1, 2) {
            r.result.status = TrialStatus::Diverged;
            r.result.message = Some("val_mse became NaN at epoch 2".into());
            r.result.curve.truncate(1);
            r.result.best_epoch = Some(1);
        }
    }
    records
}

fn baselines() -> Vec<BaselineRow> {
    let row = |baseline: &str, window, val_mse: f64, val_trend_acc: f64| BaselineRow {
        series: None,
        baseline: baseline.into(),
        window,
        train_mse: Some(val_mse * 0.9),
        val_mse: Some(val_mse),
        val_trend_acc: Some(val_trend_acc),
        ..BaselineRow::default()
    };
    // Deliberately unsorted, and with another window that must not be picked.
    vec![
        row("persistence", 32, 9.0, 0.1),
        row("persistence", 16, 1.5, 0.5),
        row("ols", 16, 1.2, 0.55),
        row("ols", 32, 8.0, 0.2),
    ]
}

fn journal_text(records: &[TrialRecord]) -> String {
    records
        .iter()
        .map(|r| serde_json::to_string(r).unwrap() + "\n")
        .collect()
}

fn sorted(mut records: Vec<TrialRecord>) -> Vec<TrialRecord> {
    records.sort_by(|a, b| a.trial_id.cmp(&b.trial_id));
    records
}

/// A results directory made the way a sweep makes it: journal, then tables, then baselines.
fn results_dir(records: &[TrialRecord]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    // Reversed, so that nothing depends on the journal already being in order.
    let reversed: Vec<TrialRecord> = records.iter().rev().cloned().collect();
    std::fs::write(dir.path().join("journal.jsonl"), journal_text(&reversed)).unwrap();
    let read = trendsweep::store::read_journal(dir.path()).unwrap();
    report::write_trial_tables(dir.path(), &read).unwrap();
    trendsweep::store::write_baselines(dir.path(), &baselines()).unwrap();
    dir
}

fn summary_of(records: &[TrialRecord]) -> (tempfile::TempDir, Summary) {
    let dir = results_dir(records);
    let summary = report::summarize(&[dir.path().to_path_buf()]).unwrap();
    (dir, summary)
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

fn sd(xs: &[f64]) -> f64 {
    let m = mean(xs);
    (xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (xs.len() - 1) as f64).sqrt()
}

#[track_caller]
fn close(got: f64, want: f64) {
    assert!((got - want).abs() < 1e-9, "got {got}, want {want}");
}

#[track_caller]
fn close_opt(got: Option<f64>, want: f64) {
    close(got.expect("a value"), want);
}

// ---------------------------------------------------------------------------------------------
// Journal

#[test]
fn journal_round_trips_sorted_by_trial_id() {
    let dir = tempfile::tempdir().unwrap();
    let records = grid();
    let reversed: Vec<TrialRecord> = records.iter().rev().cloned().collect();
    std::fs::write(dir.path().join("journal.jsonl"), journal_text(&reversed)).unwrap();
    // Not a journal: must be ignored.
    std::fs::write(dir.path().join("trials.jsonl"), "garbage\n").unwrap();
    let read = trendsweep::store::read_journal(dir.path()).unwrap();
    assert_eq!(read, sorted(records));
}

#[test]
fn torn_last_line_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let records = grid();
    let mut text = journal_text(&records).into_bytes();
    let next = serde_json::to_string(&record(1, 1, 1)).unwrap();
    // Cut mid-record, inside a multi-byte character for good measure.
    text.extend_from_slice(&next.as_bytes()[..next.len() / 2]);
    text.extend_from_slice(&"λ".as_bytes()[..1]);
    let path = dir.path().join("journal.jsonl");
    std::fs::write(&path, &text).unwrap();
    let read = trendsweep::store::read_journal_detailed(dir.path()).unwrap();
    assert_eq!(read.records, sorted(records));
    assert_eq!(read.torn, vec![(path, 19)]);
}

#[test]
fn bad_middle_line_is_an_error_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let records = grid();
    let mut lines: Vec<String> = records
        .iter()
        .map(|r| serde_json::to_string(r).unwrap())
        .collect();
    let good = lines[4].clone();
    lines[4] = good[..good.len() / 2].to_string();
    std::fs::write(dir.path().join("journal.jsonl"), lines.join("\n") + "\n").unwrap();
    let err = format!(
        "{:#}",
        trendsweep::store::read_journal(dir.path()).unwrap_err()
    );
    assert!(err.contains("journal.jsonl"), "{err}");
    assert!(err.contains("line 5"), "{err}");
}

#[test]
fn reruns_keep_the_last_record_read() {
    let dir = tempfile::tempdir().unwrap();
    let records = grid();
    let mut rerun_in_file = record(0, 0, 0);
    rerun_in_file.result.wall_seconds = 2.0;
    let mut rerun_in_later_file = record(2, 1, 2);
    rerun_in_later_file.result.curve[2].val_mse = Some(0.123);
    let mut first = journal_text(&records);
    first.push_str(&journal_text(std::slice::from_ref(&rerun_in_file)));
    std::fs::write(dir.path().join("journal.jsonl"), first).unwrap();
    std::fs::write(
        dir.path().join("journal-2.jsonl"),
        journal_text(std::slice::from_ref(&rerun_in_later_file)),
    )
    .unwrap();
    let read = trendsweep::store::read_journal_detailed(dir.path()).unwrap();
    assert_eq!(read.records.len(), 18);
    assert_eq!(read.replaced, 2);
    let find = |id: &str| read.records.iter().find(|r| r.trial_id == id).unwrap();
    assert_eq!(find(&trial_id(0, 0, 0)), &rerun_in_file);
    assert_eq!(find(&trial_id(2, 1, 2)), &rerun_in_later_file);
}

// ---------------------------------------------------------------------------------------------
// Consolidated tables

#[test]
fn trial_tables_have_the_right_rows_and_columns() {
    let records = degraded_grid();
    let dir = results_dir(&records);
    let trials = read_parquet(&dir.path().join("trials.parquet"));
    assert_eq!(names(&trials), TRIAL_COLUMNS);
    assert_eq!(trials.height(), 18);
    let csv = read_csv(&dir.path().join("trials.csv"));
    assert_eq!(names(&csv), TRIAL_COLUMNS);
    assert_eq!(csv.height(), 18);

    let epochs = read_parquet(&dir.path().join("epochs.parquet"));
    assert_eq!(names(&epochs), EPOCH_COLUMNS);
    // 15 full curves of 3, one diverged after 1 epoch, two failed with none.
    assert_eq!(epochs.height(), 15 * 3 + 1);

    // Sorted by trial id, and the figures are the final epoch's.
    let ids = strings(&trials, "trial_id");
    let mut want_ids: Vec<String> = records.iter().map(|r| r.trial_id.clone()).collect();
    want_ids.sort();
    assert_eq!(ids, want_ids);
    let row = ids.iter().position(|id| *id == trial_id(1, 1, 2)).unwrap();
    close_opt(
        trials.column("val_mse").unwrap().f64().unwrap().get(row),
        VAL_MSE[1][1][2],
    );
    close_opt(
        trials
            .column("best_val_trend_acc")
            .unwrap()
            .f64()
            .unwrap()
            .get(row),
        VAL_ACC[1][1][2],
    );

    // A failed trial has no figures but has its message.
    let failed = ids.iter().position(|id| *id == trial_id(0, 0, 1)).unwrap();
    assert_eq!(
        trials.column("val_mse").unwrap().f64().unwrap().get(failed),
        None
    );
    assert_eq!(
        trials
            .column("best_epoch")
            .unwrap()
            .i64()
            .unwrap()
            .get(failed),
        None
    );
    assert_eq!(
        trials.column("status").unwrap().str().unwrap().get(failed),
        Some("failed")
    );
    assert_eq!(
        trials.column("message").unwrap().str().unwrap().get(failed),
        Some("panicked: out of memory")
    );
    let ok = ids.iter().position(|id| *id == trial_id(0, 0, 0)).unwrap();
    assert_eq!(
        trials.column("message").unwrap().str().unwrap().get(ok),
        None
    );

    // No temporary files are left behind.
    let leftovers: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn baselines_round_trip_sorted_by_window_then_name() {
    let dir = tempfile::tempdir().unwrap();
    trendsweep::store::write_baselines(dir.path(), &baselines()).unwrap();
    let csv = read_csv(&dir.path().join("baselines.csv"));
    assert_eq!(
        names(&csv),
        [
            "baseline",
            "window",
            "train_mse",
            "val_mse",
            "val_trend_acc",
            "val_mase",
            "val_smape",
            "val_rel_mse"
        ]
    );
    let mut want = baselines();
    want.sort_by(|a, b| a.window.cmp(&b.window).then(a.baseline.cmp(&b.baseline)));
    assert_eq!(trendsweep::store::read_baselines(dir.path()).unwrap(), want);
}

// ---------------------------------------------------------------------------------------------
// Summary

#[test]
fn axes_and_fixed_settings_are_inferred() {
    let (_dir, s) = summary_of(&grid());
    assert_eq!(
        s.axes,
        vec![
            ("lambda".to_string(), 3),
            ("batch_size".to_string(), 2),
            ("seed".to_string(), 3)
        ]
    );
    let fixed: Vec<String> = s.fixed.iter().map(|(n, v)| format!("{n}={v}")).collect();
    assert_eq!(
        fixed,
        [
            "window=16",
            "n_dense=32",
            "learning_rate=0.001",
            "epochs=3",
            "loss=trend",
            "penalty_mean=batch",
            "activation=linear",
            "shuffle=true",
            "metric_epoch=final",
            "patience=0"
        ]
    );
    let tables: Vec<&str> = s.axis_tables.iter().map(|t| t.axis.as_str()).collect();
    assert_eq!(tables, ["lambda", "batch_size"], "no table for seed");
    assert_eq!(
        (
            s.counts.total,
            s.counts.ok,
            s.counts.diverged,
            s.counts.failed
        ),
        (18, 18, 0, 0)
    );
}

#[test]
fn axis_tables_match_hand_computation() {
    let (_dir, s) = summary_of(&grid());
    let lambda = s.axis_table("lambda").unwrap();
    let values: Vec<&SettingValue> = lambda.rows.iter().map(|r| &r.value).collect();
    assert_eq!(
        values,
        [
            &SettingValue::Float(0.0),
            &SettingValue::Float(0.01),
            &SettingValue::Float(0.1)
        ]
    );
    for (li, row) in lambda.rows.iter().enumerate() {
        let mse: Vec<f64> = VAL_MSE[li].iter().flatten().copied().collect();
        let acc: Vec<f64> = VAL_ACC[li].iter().flatten().copied().collect();
        assert_eq!((row.trials, row.diverged), (6, 0));
        close_opt(row.val_mse_mean, mean(&mse));
        close_opt(row.val_mse_std, sd(&mse));
        close_opt(row.val_trend_acc_mean, mean(&acc));
        close_opt(row.val_trend_acc_std, sd(&acc));
    }
    // One figure written out, in case mean() and the code share a mistake.
    close_opt(lambda.rows[0].val_mse_mean, 9.1 / 6.0);

    let batch = s.axis_table("batch_size").unwrap();
    let values: Vec<&SettingValue> = batch.rows.iter().map(|r| &r.value).collect();
    assert_eq!(values, [&SettingValue::Int(1), &SettingValue::Int(8)]);
    for (bi, row) in batch.rows.iter().enumerate() {
        let mse: Vec<f64> = (0..3).flat_map(|li| VAL_MSE[li][bi]).collect();
        let acc: Vec<f64> = (0..3).flat_map(|li| VAL_ACC[li][bi]).collect();
        assert_eq!((row.trials, row.diverged), (9, 0));
        close_opt(row.val_mse_mean, mean(&mse));
        close_opt(row.val_mse_std, sd(&mse));
        close_opt(row.val_trend_acc_mean, mean(&acc));
        close_opt(row.val_trend_acc_std, sd(&acc));
    }
}

#[test]
fn penalty_effect_matches_hand_computation() {
    let (_dir, s) = summary_of(&grid());
    let table = s.penalty_table().expect("a penalty table");
    assert_eq!(table.other_axes, ["batch_size"]);
    assert_eq!(table.unpaired, 0);
    // 2 values of λ > 0 × 2 batch sizes, sorted by λ then batch size.
    assert_eq!(table.rows.len(), 4);
    let keys: Vec<(f64, SettingValue)> = table
        .rows
        .iter()
        .map(|r| (r.lambda, r.others[0].clone()))
        .collect();
    assert_eq!(
        keys,
        [
            (0.01, SettingValue::Int(1)),
            (0.01, SettingValue::Int(8)),
            (0.1, SettingValue::Int(1)),
            (0.1, SettingValue::Int(8))
        ]
    );
    for (row, (li, bi)) in table.rows.iter().zip([(1, 0), (1, 1), (2, 0), (2, 1)]) {
        let d_mse: Vec<f64> = (0..3)
            .map(|s| VAL_MSE[li][bi][s] - VAL_MSE[0][bi][s])
            .collect();
        let d_acc: Vec<f64> = (0..3)
            .map(|s| VAL_ACC[li][bi][s] - VAL_ACC[0][bi][s])
            .collect();
        assert_eq!(row.n, 3);
        close(row.d_val_mse.mean, mean(&d_mse));
        close_opt(
            row.d_val_mse.half_width,
            T_975_DF2 * sd(&d_mse) / 3f64.sqrt(),
        );
        close(row.d_val_trend_acc.mean, mean(&d_acc));
        close_opt(
            row.d_val_trend_acc.half_width,
            T_975_DF2 * sd(&d_acc) / 3f64.sqrt(),
        );
    }
    // λ = 0.1, batch 8: differences −0.5, −0.4, −0.3 → mean −0.4, sd 0.1.
    let last = &table.rows[3].d_val_mse;
    close(last.mean, -0.4);
    close_opt(last.low(), -0.648_413_771_175_033);
    close_opt(last.high(), -0.151_586_228_824_967);
}

#[test]
fn penalty_effect_skips_unpaired_trials_and_marks_single_pairs() {
    let (_dir, s) = summary_of(&degraded_grid());
    assert_eq!(
        (
            s.counts.total,
            s.counts.ok,
            s.counts.diverged,
            s.counts.failed
        ),
        (18, 15, 1, 2)
    );
    let lambda = s.axis_table("lambda").unwrap();
    let diverged: Vec<usize> = lambda.rows.iter().map(|r| r.diverged).collect();
    assert_eq!(diverged, [2, 0, 1]);
    close_opt(lambda.rows[0].val_mse_mean, mean(&[1.00, 2.00, 2.20, 1.90]));
    close_opt(
        lambda.rows[2].val_trend_acc_std,
        sd(&[0.70, 0.66, 0.65, 0.64, 0.63]),
    );

    let table = s.penalty_table().unwrap();
    // Seeds 1 and 2 at batch 1 lost their λ = 0 partner, for both λ > 0.
    assert_eq!(table.unpaired, 4);
    let ns: Vec<usize> = table.rows.iter().map(|r| r.n).collect();
    assert_eq!(ns, [1, 3, 1, 2]);
    let single = &table.rows[0];
    close(single.d_val_mse.mean, -0.10);
    assert_eq!(single.d_val_mse.half_width, None);
    // λ = 0.1, batch 8 without seed 2 (diverged): differences −0.5, −0.4.
    let two = &table.rows[3];
    close(two.d_val_mse.mean, -0.45);
    close_opt(
        two.d_val_mse.half_width,
        T_975_DF1 * sd(&[-0.5, -0.4]) / 2f64.sqrt(),
    );

    let md = s.markdown();
    assert!(md.contains("n=1"), "{md}");
    assert!(
        md.contains("4 ok trials with λ > 0 had no ok λ = 0 partner"),
        "{md}"
    );
}

#[test]
fn best_settings_are_the_expected_groups_with_their_baselines() {
    let (_dir, s) = summary_of(&grid());
    let by_mse = s.best_by(BestBy::LowestValMse).unwrap();
    assert_eq!(by_mse.setting("lambda"), Some(&SettingValue::Float(0.01)));
    assert_eq!(by_mse.setting("batch_size"), Some(&SettingValue::Int(1)));
    assert_eq!(by_mse.setting("seed"), None);
    assert_eq!(by_mse.n_seeds, 3);
    close_opt(by_mse.val_mse_mean, mean(&VAL_MSE[1][0]));
    close_opt(by_mse.val_trend_acc_mean, mean(&VAL_ACC[1][0]));
    let p = by_mse.baseline("persistence").unwrap();
    let o = by_mse.baseline("ols").unwrap();
    assert_eq!(
        (p.val_mse, p.val_trend_acc, o.val_mse, o.val_trend_acc),
        (Some(1.5), Some(0.5), Some(1.2), Some(0.55))
    );
    // Baselines listed in table order, whatever the file's order.
    let names: Vec<&str> = by_mse.baselines.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(names, ["persistence", "ols"]);

    let by_acc = s.best_by(BestBy::HighestValTrendAcc).unwrap();
    assert_eq!(by_acc.setting("lambda"), Some(&SettingValue::Float(0.1)));
    assert_eq!(by_acc.setting("batch_size"), Some(&SettingValue::Int(1)));
    close_opt(by_acc.val_trend_acc_mean, 0.67);
    assert_eq!(by_acc.baselines, by_mse.baselines);
}

#[test]
fn markdown_is_byte_identical_across_runs_and_journal_orders() {
    let (dir_a, a) = summary_of(&grid());
    let b = report::summarize(&[dir_a.path().to_path_buf()]).unwrap();
    assert_eq!(a.markdown(), b.markdown());
    // The same trials journaled in another order give the same text.
    let mut shuffled = grid();
    shuffled.rotate_left(7);
    let (_dir_c, c) = summary_of(&shuffled);
    assert_eq!(a.markdown(), c.markdown());

    let out1 = tempfile::tempdir().unwrap();
    let out2 = tempfile::tempdir().unwrap();
    a.write(out1.path()).unwrap();
    b.write(out2.path()).unwrap();
    for name in [
        "summary.md",
        "axis_lambda.csv",
        "axis_batch_size.csv",
        "penalty_effect.csv",
        "best.csv",
    ] {
        let x = std::fs::read(out1.path().join(name)).unwrap();
        let y = std::fs::read(out2.path().join(name)).unwrap();
        assert_eq!(x, y, "{name} differs");
    }
    let md = a.markdown();
    for needle in [
        "# Sweep summary",
        "18 trials: 18 ok, 0 diverged, 0 failed.",
        concat!(
            "Fixed settings: window = 16, n_dense = 32, learning_rate = 0.001, epochs = 3, ",
            "loss = trend, penalty_mean = batch, activation = linear, shuffle = true, ",
            "metric_epoch = final, patience = 0."
        ),
        "## By lambda",
        "## By batch_size",
        "## Penalty effect",
        "## Best settings",
        "Every ok trial with λ > 0 had its λ = 0 partner.",
    ] {
        assert!(md.contains(needle), "missing {needle:?} in\n{md}");
    }
    assert!(!md.contains("## By seed"), "{md}");
}

#[test]
fn summary_files_are_written_and_stale_ones_removed() {
    let (_dir, s) = summary_of(&grid());
    let out = tempfile::tempdir().unwrap();
    std::fs::write(out.path().join("axis_n_dense.csv"), "stale\n").unwrap();
    std::fs::write(out.path().join("notes.csv"), "mine\n").unwrap();
    s.write(out.path()).unwrap();
    assert!(!out.path().join("axis_n_dense.csv").exists());
    assert!(out.path().join("notes.csv").exists());
    assert_eq!(
        std::fs::read_to_string(out.path().join("summary.md")).unwrap(),
        s.markdown()
    );

    let lambda = read_csv(&out.path().join("axis_lambda.csv"));
    assert_eq!(
        names(&lambda),
        [
            "lambda",
            "trials",
            "diverged",
            "unstable",
            "val_mse_mean",
            "val_mse_std",
            "val_trend_acc_mean",
            "val_trend_acc_std"
        ]
    );
    assert_eq!(lambda.height(), 3);
    let penalty = read_csv(&out.path().join("penalty_effect.csv"));
    assert_eq!(penalty.height(), 4);
    assert_eq!(names(&penalty)[..3], ["lambda", "batch_size", "n"]);
    close_opt(
        penalty
            .column("d_val_mse_ci_low")
            .unwrap()
            .f64()
            .unwrap()
            .get(3),
        -0.648_413_771_175_033,
    );
    let best = read_csv(&out.path().join("best.csv"));
    assert_eq!(best.height(), 2);
    assert_eq!(
        strings(&best, "criterion"),
        ["lowest_val_mse", "highest_val_trend_acc"]
    );
}

fn fits_in_100_columns(text: &str) {
    for line in text.lines() {
        let n = line.chars().count();
        assert!(n <= 100, "{n} columns: {line}");
    }
}

#[test]
fn terminal_text_fits_in_100_columns() {
    let (_dir, s) = summary_of(&degraded_grid());
    let text = s.terminal(std::path::Path::new("results/x"));
    fits_in_100_columns(&text);
    assert!(text.contains("ratio"), "{text}");
    // A screenful: the verdict and the headline, not every table.
    assert!(
        text.lines().count() <= 60,
        "{} lines:\n{text}",
        text.lines().count()
    );
    assert!(!text.contains("By batch_size"), "{text}");
    assert!(text.contains("results/x/summary.md"), "{text}");

    // Many axes make the penalty table too wide for aligned columns.
    let mut wide = grid();
    for (i, r) in wide.iter_mut().enumerate() {
        r.config.n_dense = [16, 32][i % 2];
        r.config.learning_rate = [1e-3, 1e-2][i / 2 % 2];
        r.config.activation = [Activation::Linear, Activation::Tanh][i / 3 % 2];
        r.config.loss = [LossKind::Trend, LossKind::Seed][i / 5 % 2];
        r.config.shuffle = i % 7 < 3;
    }
    let (_dir, s) = summary_of(&wide);
    assert!(s.axes.len() >= 7, "{:?}", s.axes);
    let text = s.terminal(std::path::Path::new("results/x"));
    fits_in_100_columns(&text);
}

#[test]
fn only_lambda_zero_gives_a_reason_instead_of_a_penalty_table() {
    let zero: Vec<TrialRecord> = grid()
        .into_iter()
        .filter(|r| r.config.lambda == 0.0)
        .collect();
    let (_dir, s) = summary_of(&zero);
    match &s.penalty {
        PenaltyEffect::NotApplicable(reason) => {
            assert!(reason.contains("Every trial has λ = 0"), "{reason}")
        }
        other => panic!("expected no penalty table, got {other:?}"),
    }
    let md = s.markdown();
    assert!(md.contains("## Penalty effect"), "{md}");
    assert!(
        md.contains("Every trial has λ = 0, so there is no penalty effect to measure."),
        "{md}"
    );
    assert!(!md.contains("d_val_mse"), "{md}");
    assert!(
        s.fixed
            .iter()
            .any(|(n, v)| n == "lambda" && *v == SettingValue::Float(0.0))
    );
    let out = tempfile::tempdir().unwrap();
    std::fs::write(out.path().join("penalty_effect.csv"), "stale\n").unwrap();
    s.write(out.path()).unwrap();
    assert!(!out.path().join("penalty_effect.csv").exists());
}

#[test]
fn summarize_merges_directories_later_ones_winning() {
    let records = grid();
    let (first, second): (Vec<TrialRecord>, Vec<TrialRecord>) = records
        .iter()
        .cloned()
        .partition(|r| r.config.lambda < 0.05);
    let mut rerun = record(0, 0, 0);
    rerun.result.curve[2].val_mse = Some(0.5);
    let mut second = second;
    second.push(rerun);
    let a = results_dir(&first);
    let b = results_dir(&second);
    let dirs: Vec<PathBuf> = vec![a.path().to_path_buf(), b.path().to_path_buf()];
    let s = report::summarize(&dirs).unwrap();
    assert_eq!(s.counts.total, 18);
    let lambda = s.axis_table("lambda").unwrap();
    let mut zero: Vec<f64> = VAL_MSE[0].iter().flatten().copied().collect();
    zero[0] = 0.5;
    close_opt(lambda.rows[0].val_mse_mean, mean(&zero));
    // A missing trials.parquet is an error naming it.
    let empty = tempfile::tempdir().unwrap();
    let err = format!(
        "{:#}",
        report::summarize(&[empty.path().to_path_buf()]).unwrap_err()
    );
    assert!(err.contains("trials.parquet"), "{err}");
}

#[test]
fn no_trials_give_an_empty_but_complete_summary() {
    let (dir, s) = summary_of(&[]);
    assert_eq!(read_parquet(&dir.path().join("trials.parquet")).height(), 0);
    assert_eq!(s.counts.total, 0);
    assert!(s.axes.is_empty() && s.fixed.is_empty() && s.axis_tables.is_empty());
    assert!(matches!(s.penalty, PenaltyEffect::NotApplicable(_)));
    assert!(s.best.is_empty());
    let md = s.markdown();
    assert!(md.contains("0 trials: 0 ok, 0 diverged, 0 failed."), "{md}");
    assert!(
        md.contains("No trial finished ok, so there is no best setting."),
        "{md}"
    );
    let out = tempfile::tempdir().unwrap();
    s.write(out.path()).unwrap();
    assert_eq!(read_csv(&out.path().join("best.csv")).height(), 0);
}

/// The headline effect of each λ: (mean log ratio, half-width of its interval).
fn headline(s: &Summary) -> Vec<(f64, f64, f64)> {
    let t = s.penalty_table().expect("a penalty table");
    t.headline
        .iter()
        .map(|r| {
            (
                r.lambda,
                r.log_mse_ratio.mean,
                r.log_mse_ratio.half_width.expect("an interval"),
            )
        })
        .collect()
}

#[test]
fn one_planted_unstable_trial_moves_no_headline_effect_beyond_its_interval() {
    let (_clean_dir, clean) = summary_of(&grid());
    let before = headline(&clean);
    assert_eq!(before.len(), LAMBDAS.len() - 1);
    assert_eq!(clean.counts.unstable, 0);

    // One λ = 0 trial whose last epoch jumps to 100 times its partners' MSE while its best
    // epoch stays where it was.
    let mut planted = grid();
    let id = trial_id(0, 0, 1);
    let r = planted.iter_mut().find(|r| r.trial_id == id).unwrap();
    let last = r.result.curve.last_mut().unwrap();
    last.val_mse = Some(100.0 * VAL_MSE[1][0][1]);
    r.result.best_epoch = Some(2);
    let (_dir, s) = summary_of(&planted);
    let after = headline(&s);
    assert_eq!(s.counts.unstable, 1, "the planted trial is flagged");
    for ((lambda, b, _), (_, a, half)) in before.iter().zip(&after) {
        assert!(
            (a - b).abs() < *half,
            "λ = {lambda}: the headline moved from {b} to {a}, beyond its half-width {half}"
        );
    }
    // Every table it touches counts it.
    let t = s.penalty_table().unwrap();
    assert!(
        t.headline.iter().all(|r| r.unstable == 1),
        "{:?}",
        t.headline
    );
    assert_eq!(
        t.rows.iter().map(|r| r.unstable).sum::<usize>(),
        LAMBDAS.len() - 1
    );
    let lambda_table = s.axis_table("lambda").unwrap();
    assert_eq!(lambda_table.rows[0].unstable, 1);
    assert_eq!(lambda_table.rows[1].unstable, 0);
    // The mean difference, by contrast, carries the whole jump.
    let moved =
        t.headline[0].d_val_mse.mean - clean.penalty_table().unwrap().headline[0].d_val_mse.mean;
    assert!(moved < -5.0, "mean difference moved by {moved}");
}

#[test]
fn ratio_median_and_win_share_match_hand_computation() {
    let (_dir, s) = summary_of(&grid());
    let t = s.penalty_table().unwrap();
    // λ = 0.01 at batch 1: pairs (0.90/1.00, 1.05/1.10, 0.85/0.90).
    let row = t
        .rows
        .iter()
        .find(|r| r.lambda == 0.01 && r.others[0] == SettingValue::Int(1))
        .unwrap();
    let logs = [0.9f64 / 1.0, 1.05 / 1.10, 0.85 / 0.90].map(f64::ln);
    close(row.log_mse_ratio.mean, mean(&logs));
    close(row.log_mse_ratio.sd.unwrap(), sd(&logs));
    close(row.mse_ratio().0, mean(&logs).exp());
    close_opt(row.median_d_val_mse, -0.05);
    close_opt(row.mse_wins, 1.0);
    // Accuracy ties count half.
    let d_acc: Vec<f64> = (0..3)
        .map(|k| VAL_ACC[1][0][k] - VAL_ACC[0][0][k])
        .collect();
    let wins = d_acc
        .iter()
        .map(|d| {
            if *d > 0.0 {
                1.0
            } else if *d == 0.0 {
                0.5
            } else {
                0.0
            }
        })
        .sum::<f64>()
        / 3.0;
    close_opt(row.acc_wins, wins);
}

#[test]
fn test_figures_never_choose_the_best_setting() {
    // Give every trial test figures; the group that is worst on validation is best on test.
    let mut records = grid();
    for r in &mut records {
        let worst = r.config.lambda == 0.1 && r.config.batch_size == 8;
        let val = r.result.last().unwrap().val_mse.unwrap();
        r.result.test_mse = Some(if worst { 0.001 } else { val * 3.0 });
        r.result.test_trend_acc = Some(if worst { 0.99 } else { 0.3 });
    }
    let (dir, s) = summary_of(&records);
    assert!(s.tested);
    for b in &s.best {
        assert!(
            !(b.setting("lambda") == Some(&SettingValue::Float(0.1))
                && b.setting("batch_size") == Some(&SettingValue::Int(8))),
            "{:?} chose the setting that is only best on test",
            b.by
        );
        let t = b.test_mse_mean.unwrap();
        assert!(
            t > 0.1,
            "the test figure shown is the chosen setting's own: {t}"
        );
    }
    s.write(dir.path()).unwrap();
    let best = read_csv(&dir.path().join("best.csv"));
    let columns = names(&best);
    assert!(
        columns.contains(&"test_mse_mean".to_string()),
        "{columns:?}"
    );

    // Without test figures the columns are absent, and the summary says why.
    let (dir, s) = summary_of(&grid());
    assert!(!s.tested);
    s.write(dir.path()).unwrap();
    let columns = names(&read_csv(&dir.path().join("best.csv")));
    assert!(!columns.iter().any(|c| c.contains("test")), "{columns:?}");
    let trials = read_parquet(&dir.path().join("trials.parquet"));
    assert!(!names(&trials).iter().any(|c| c.starts_with("test_")));
    assert!(s.markdown().contains("test_fraction = 0"));
}
