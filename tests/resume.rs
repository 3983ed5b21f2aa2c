//! Nothing lost: a sweep killed at any moment and rerun ends with exactly one complete row
//! per trial and the numbers of an uninterrupted run; Ctrl-C, a panicking trial, the lock,
//! `--fresh` and absurd grids behave as the README says.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use polars::prelude::*;
use trendsweep::grid::GridSpec;

use common::{
    bin, hold_lock, outcome_columns, quick, read_parquet, signal, slow_grid, stderr, strings,
    sweep, sweep_command, wait_for,
};

/// A sweep of `grid` into `out` in the background, quietly, its output discarded.
fn spawn_sweep(grid: &Path, out: &Path) -> Child {
    sweep_command(grid, out, &["--quiet"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Finished trials in the journal: whole lines holding a record (its header line is not one).
fn journal_lines(dir: &Path) -> usize {
    std::fs::read_to_string(dir.join("journal.jsonl")).map_or(0, |t| {
        t.split_inclusive('\n')
            .filter(|l| l.ends_with('\n') && l.contains("\"trial_id\""))
            .count()
    })
}

/// Trial rows sorted by id, with the columns that must not depend on interruptions.
fn metrics(dir: &Path) -> DataFrame {
    read_parquet(&dir.join("trials.parquet"))
        .select(outcome_columns())
        .unwrap()
        .sort(["trial_id"], SortMultipleOptions::default())
        .unwrap()
}

struct Fixture {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    grid: PathBuf,
    reference: DataFrame,
    total: usize,
}

fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    let grid = slow_grid();
    let reference_dir = root.join("reference");
    let out = sweep(&grid, &reference_dir, &["--quiet"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let reference = metrics(&reference_dir);
    Fixture {
        _tmp: tmp,
        root,
        grid,
        total: reference.height(),
        reference,
    }
}

#[test]
fn kill_9_at_several_points_then_rerun_loses_nothing() {
    let f = fixture();
    assert_eq!(f.total, 12);
    // Kill points: after the first finished trial, in the middle, after the last trial
    // (during or just before consolidation), each followed by a plain rerun.
    for (case, after_trials) in [1usize, 6, 12].into_iter().enumerate() {
        let dir = f.root.join(format!("killed-{case}"));
        let mut child = spawn_sweep(&f.grid, &dir);
        let start = Instant::now();
        while journal_lines(&dir) < after_trials && start.elapsed() < Duration::from_secs(60) {
            std::thread::sleep(Duration::from_millis(2));
        }
        signal(&child, "-9");
        let status = child.wait().unwrap();
        // After the last trial the kill lands in the consolidation, which takes a few
        // milliseconds; should the run have ended first, the rerun below still must agree.
        if after_trials < f.total {
            assert!(
                !status.success(),
                "case {case}: the sweep finished before the kill"
            );
        }
        let kept = journal_lines(&dir);
        let rerun = sweep(&f.grid, &dir, &[]);
        assert!(rerun.status.success(), "{}", stderr(&rerun));
        let err = stderr(&rerun);
        let said = format!("{kept} trials already done, {} to train", f.total - kept);
        assert!(
            err.contains(&said),
            "case {case}: expected {said:?} in {err}"
        );
        let got = metrics(&dir);
        assert!(
            got.equals_missing(&f.reference),
            "case {case}:\n{got}\n{}",
            f.reference
        );
        println!(
            "kill after {after_trials} finished trials ({}): {kept} kept, {} retrained",
            if status.success() {
                "run had ended"
            } else {
                "killed"
            },
            f.total - kept
        );
    }
}

#[test]
fn a_line_torn_by_a_kill_mid_write_is_dropped_and_retrained() {
    let f = fixture();
    let dir = f.root.join("torn");
    let mut child = spawn_sweep(&f.grid, &dir);
    wait_for("three finished trials", || journal_lines(&dir) >= 3);
    signal(&child, "-9");
    child.wait().unwrap();
    // What a kill in the middle of a write leaves: the start of a record, no newline.
    let text = std::fs::read_to_string(dir.join("journal.jsonl")).unwrap();
    let first = text.lines().next().unwrap();
    let torn = &first[..first.len() / 2];
    std::fs::write(dir.join("journal.jsonl"), format!("{text}{torn}")).unwrap();
    let rerun = sweep(&f.grid, &dir, &["--quiet"]);
    assert!(rerun.status.success(), "{}", stderr(&rerun));
    assert!(metrics(&dir).equals_missing(&f.reference));
    let lines = std::fs::read_to_string(dir.join("journal.jsonl")).unwrap();
    assert!(
        lines
            .lines()
            .all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok()),
        "the torn line was cut off"
    );
}

#[test]
fn ctrl_c_keeps_finished_trials_and_exits_130() {
    let f = fixture();
    let dir = f.root.join("interrupted");
    let child = sweep_command(&f.grid, &dir, &[])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for("two finished trials", || journal_lines(&dir) >= 2);
    signal(&child, "-INT");
    let out = child.wait_with_output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(err.contains("run the same command again"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let kept = journal_lines(&dir);
    assert!(kept >= 2 && kept < f.total, "{kept} trials kept");
    // The outputs were written for what is done.
    let partial = metrics(&dir);
    assert_eq!(partial.height(), kept);
    let rerun = sweep(&f.grid, &dir, &["--quiet"]);
    assert!(rerun.status.success());
    assert!(metrics(&dir).equals_missing(&f.reference));
}

#[test]
#[cfg_attr(
    not(feature = "fault-injection"),
    ignore = "needs the test hook: cargo test --features fault-injection"
)]
fn a_panicking_trial_is_recorded_as_failed_and_the_sweep_goes_on() {
    let f = fixture();
    let spec = GridSpec::load(&f.grid).unwrap();
    let victim = spec.trials().nth(3).unwrap().id;
    let dir = f.root.join("panicky");
    let out = bin()
        .arg("sweep")
        .arg(&f.grid)
        .arg("--out")
        .arg(&dir)
        .args(["--quiet"])
        .env("TRENDSWEEP_TEST_PANIC_TRIAL", &victim)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let df = read_parquet(&dir.join("trials.parquet"));
    assert_eq!(df.height(), f.total);
    let failed = df
        .clone()
        .lazy()
        .filter(col("status").eq(lit("failed")))
        .collect()
        .unwrap();
    assert_eq!(failed.height(), 1);
    assert_eq!(strings(&failed, "trial_id"), [victim]);
    let message = &strings(&failed, "message")[0];
    assert!(message.contains("on purpose"), "{message}");

    // A failed trial counts as finished; --retry-failed trains it again.
    let again = sweep(&f.grid, &dir, &[]);
    assert!(stderr(&again).contains("12 trials already done, 0 to train"));
    let retry = sweep(&f.grid, &dir, &["--retry-failed"]);
    assert!(stderr(&retry).contains("11 trials already done, 1 to train"));
    assert!(metrics(&dir).equals_missing(&f.reference));
}

#[test]
fn a_running_sweep_holds_its_directory_and_a_dead_ones_lock_is_taken_over() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("locked");
    std::fs::create_dir_all(&dir).unwrap();
    // The lock is the kernel's (flock): a process holding it, whose id the file names.
    let lock = dir.join(".trendsweep.lock");
    let mut holder = hold_lock(&lock, 30);
    std::fs::write(&lock, holder.id().to_string()).unwrap();
    let out = sweep(&quick(), &dir, &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("another sweep") && err.contains(&holder.id().to_string()),
        "{err}"
    );
    assert!(!dir.join("trials.parquet").exists());
    holder.kill().unwrap();
    holder.wait().unwrap();
    // The holder is gone, and the kernel released its lock: the next sweep takes it over.
    let out = sweep(&quick(), &dir, &["--quiet"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        !dir.join(".trendsweep.lock").exists(),
        "the lock is released at the end"
    );
}

#[test]
fn fresh_moves_the_old_results_aside() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("q");
    assert!(sweep(&quick(), &dir, &["--quiet"]).status.success());
    let out = sweep(&quick(), &dir, &["--fresh"]);
    assert!(out.status.success());
    assert!(stderr(&out).contains("0 trials already done, 8 to train"));
    let aside = tmp.path().join("q.old-1");
    assert!(
        aside.join("journal.jsonl").exists(),
        "the old directory is kept"
    );
    assert_eq!(journal_lines(&aside), 8);
}

#[test]
fn absurd_grids_are_refused_before_anything_is_built() {
    let tmp = tempfile::tempdir().unwrap();
    let grid = tmp.path().join("huge.toml");
    let values = |n: usize, scale: f64| {
        (1..=n)
            .map(|i| format!("{}", i as f64 * scale))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let text = format!(
        "[data]\nkind = \"sine\"\n[grid]\nn_dense = [{}]\nbatch_size = [{}]\nlearning_rate = [{}]\nlambda = [{}]\nseed = [{}]\n",
        (1..=100)
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(", "),
        (1..=100)
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(", "),
        values(100, 1e-4),
        values(100, 1e-3),
        (0..100)
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(", "),
    );
    std::fs::write(&grid, text).unwrap();
    let dir = tmp.path().join("out");
    let out = sweep(&grid, &dir, &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("10000000000") && err.contains("--max-trials"),
        "{err}"
    );
    assert!(!dir.exists());
    let plan = bin().arg("plan").arg(&grid).output().unwrap();
    // Ten billion trials are counted, not built (building them would need terabytes).
    assert!(plan.status.success(), "{}", stderr(&plan));
    assert!(
        String::from_utf8_lossy(&plan.stdout).contains("10,000,000,000")
            || String::from_utf8_lossy(&plan.stdout).contains("10000000000")
    );
}
