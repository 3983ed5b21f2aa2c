//! The last five defects an adversarial run found: a report racing a sweep, temporaries of
//! killed writers, `--out . --fresh`, the exit status after a late signal, and the message
//! for an unreadable target column (in tests/hardening_data.rs). Every test runs the binary.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{
    Scene, bin, journal_records, quick, read_csv, report, signal, slow_grid, snapshot, spawn_sweep,
    stderr, sweep, wait_for,
};

/// Trial records in a directory's journal.
fn journal_count(dir: &Path) -> usize {
    journal_records(&dir.join("journal.jsonl")).len()
}

/// Rows of trials.csv.
fn trials_rows(dir: &Path) -> usize {
    read_csv(&dir.join("trials.csv")).height()
}

/// The dot-files in `dir` that are not lock files (the lock files of a finished run are gone
/// anyway).
fn hidden_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.') && !n.ends_with(".lock"))
        .collect();
    names.sort();
    names
}

/// This host's name as a temporary file names it.
fn host_tag() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '.')
        .take(64)
        .collect()
}

// A pid no process has (above the kernel's limit).
const DEAD_PID: u32 = 4_194_305;

// 1. A report started while a sweep runs never leaves tables from a partial journal.
#[test]
fn a_report_while_a_sweep_runs_is_refused_and_the_sweep_tables_stay_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("slow");
    let mut child = spawn_sweep(&slow_grid(), &dir, &[]);
    wait_for("the first trial's record", || journal_count(&dir) >= 1);
    let out = report(&[&dir], &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("running in this directory") && err.contains("process"),
        "the message names the running sweep: {err}"
    );
    assert!(child.wait().unwrap().success());
    assert_eq!(journal_count(&dir), 12);
    assert_eq!(trials_rows(&dir), 12, "trials.csv holds the whole journal");
    let summary = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(summary.contains("12 trials"), "{summary}");
    // Once the sweep has ended, the same report runs.
    let out = report(&[&dir], &["--quiet"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(trials_rows(&dir), 12);
}

// 1. A sweep started while a (slowed) report holds the directory waits for it, so the
// report's tables from the partial journal are never written after the sweep's own.
#[test]
#[cfg_attr(
    not(feature = "fault-injection"),
    ignore = "needs the test hook: cargo test --features fault-injection"
)]
fn a_sweep_started_during_a_report_waits_and_its_tables_are_the_last() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("q");
    // A partial directory: the first trials of the slow grid, then killed.
    let mut first = spawn_sweep(&slow_grid(), &dir, &[]);
    wait_for("two records", || journal_count(&dir) >= 2);
    signal(&first, "-9");
    let _ = first.wait();
    let partial = journal_count(&dir);
    assert!(partial < 12, "the sweep was killed before its end");

    let mut reporting = bin()
        .arg("report")
        .arg(&dir)
        .arg("--quiet")
        .env("TRENDSWEEP_TEST_REPORT_DELAY_MS", "4000")
        .spawn()
        .unwrap();
    // A lock file names its holder: the report's process id once it holds the directory.
    let pid = reporting.id().to_string();
    wait_for("the report to hold the directory", || {
        std::fs::read_to_string(dir.join(".trendsweep.lock"))
            .is_ok_and(|t| t.split_whitespace().next() == Some(pid.as_str()))
    });
    let resumed = sweep(&slow_grid(), &dir, &["--quiet"]);
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    assert!(reporting.wait().unwrap().success());
    assert_eq!(journal_count(&dir), 12);
    assert_eq!(
        trials_rows(&dir),
        12,
        "the sweep's tables are the last written"
    );
}

// 2. Temporaries of dead writers go with a shard's rerun and with `report`.
#[test]
fn stale_temporaries_are_removed_by_a_shard_rerun_and_by_report() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("q");
    let shard = ["--quiet", "--shard", "1/2"];
    assert!(sweep(&quick(), &dir, &shard).status.success());
    let legacy = format!(".trials.csv.tmp-{DEAD_PID}");
    let tagged = format!(".run.json.tmp-{DEAD_PID}.{}", host_tag());
    // A temporary of a process on another host: a shard cannot tell whether it still runs.
    let elsewhere = ".grid.toml.tmp-1.some-other-host".to_string();
    for name in [&legacy, &tagged, &elsewhere] {
        std::fs::write(dir.join(name), "half a table").unwrap();
    }
    let out = sweep(&quick(), &dir, &shard);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(hidden_files(&dir), vec![elsewhere.clone()]);

    // `report` holds the directory alone: nothing else writes there, so every
    // temporary is stale.
    std::fs::write(dir.join(&legacy), "half a table").unwrap();
    let out = report(&[&dir], &["--quiet"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(hidden_files(&dir), Vec::<String>::new());
}

// 2. A `report` killed mid-write leaves its temporaries; the next `report` removes them.
#[test]
fn a_report_removes_what_a_killed_report_left() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("q");
    assert!(sweep(&quick(), &dir, &["--quiet"]).status.success());
    let left = dir.join(format!(".trials.csv.tmp-{DEAD_PID}.{}", host_tag()));
    std::fs::write(&left, vec![b'x'; 1 << 20]).unwrap();
    let out = report(&[&dir], &["--quiet"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!left.exists());
}

// 3. `--out . --fresh` cannot move the directory the command runs in.
#[test]
fn fresh_on_the_current_directory_is_refused_up_front() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("q");
    assert!(sweep(&quick(), &dir, &["--quiet"]).status.success());
    let before = snapshot(tmp.path());
    for out_arg in [".", "./", &dir.display().to_string()] {
        let out = bin()
            .arg("sweep")
            .arg(quick())
            .args(["--out", out_arg, "--fresh", "--threads", "1"])
            .current_dir(&dir)
            .output()
            .unwrap();
        let err = common::assert_refused(&out, &["--fresh", "runs in"]);
        assert!(!err.contains("busy"), "{err}");
    }
    // From a folder inside the results, the results hold the command's directory too.
    std::fs::create_dir(dir.join("inner")).unwrap();
    let out = bin()
        .arg("sweep")
        .arg(quick())
        .args(["--out", "..", "--fresh", "--threads", "1"])
        .current_dir(dir.join("inner"))
        .output()
        .unwrap();
    common::assert_refused(&out, &["--fresh", "holding"]);
    std::fs::remove_dir(dir.join("inner")).unwrap();
    assert_eq!(snapshot(tmp.path()), before, "nothing moved or written");
}

// 4. A signal that stops nothing (every trial was already running and ends) exits 0.
#[test]
fn a_signal_while_the_last_trial_runs_exits_0_once_the_tables_are_written() {
    let scene = Scene::with_grid(
        "name = \"one\"\n[data]\nkind = \"sine\"\nlength = 20000\nnoise = 0.2\nperiod = 60.0\n\
         window = 16\n[train]\nepochs = 300\nbatch_size = 1\nn_dense = 16\nlearning_rate = 0.001\n",
    );
    let mut child = scene
        .command(&scene.grid(), &scene.out(), &["--quiet"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_for("the journal", || scene.out().join("journal.jsonl").exists());
    // The single trial takes about six seconds (5 million steps): the signal comes while
    // it runs.
    std::thread::sleep(Duration::from_millis(1500));
    signal(&child, "-TERM");
    let status = child.wait().unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(
        journal_count(&scene.out()) == 1,
        "the running trial finished: {err}"
    );
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(err.contains("all 1 trials are done"), "{err}");
    assert_eq!(trials_rows(&scene.out()), 1);
}
