//! The results directory under attack: journals cut short or edited, sweeps started
//! together, signals, leftovers of killed writers and a full disk. Every test runs the real
//! binary.

mod common;

use std::path::Path;
use std::process::{Child, Command, Output};
use std::time::Duration;

use common::{
    bin, hold_lock, journal_records as records, quick, signal, slow_grid, spawn_sweep as spawn,
    stderr, sweep, wait_for,
};

/// Data rows of trials.csv.
fn csv_rows(dir: &Path) -> usize {
    std::fs::read_to_string(dir.join("trials.csv"))
        .unwrap()
        .lines()
        .count()
        - 1
}

fn finish(mut child: Child) -> Output {
    let _ = Command::new("kill")
        .args(["-9", &child.id().to_string()])
        .status();
    let _ = child.wait();
    child.wait_with_output().unwrap()
}

// Item 6: a record whose write stopped just before its newline.
#[test]
fn a_record_missing_only_its_newline_counts_and_gets_it_back() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("q");
    assert!(sweep(&quick(), &dir, &["--quiet"]).status.success());
    let journal = dir.join("journal.jsonl");
    let len = std::fs::metadata(&journal).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&journal)
        .unwrap()
        .set_len(len - 1)
        .unwrap();
    let out = sweep(&quick(), &dir, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("8 trials already done, 0 to train"),
        "{}",
        stderr(&out)
    );
    assert_eq!(csv_rows(&dir), 8, "every trial has its row");
    let text = std::fs::read_to_string(&journal).unwrap();
    assert!(text.ends_with('\n'), "the newline is restored");
    assert_eq!(records(&journal).len(), 8);
}

// Item 7: a whole line that is not a record, last or not.
#[test]
fn a_line_no_crash_explains_is_refused_before_training_naming_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("q");
    assert!(sweep(&quick(), &dir, &["--quiet"]).status.success());
    let journal = dir.join("journal.jsonl");
    let good = std::fs::read_to_string(&journal).unwrap();
    let lines = good.lines().count();
    // Drop two records, so a sweep that went ahead would train them.
    let kept: Vec<&str> = good.lines().take(lines - 2).collect();
    for (case, bad) in [
        ("last, with newline", "{\"oops\":true}\n"),
        ("last, no newline", "{\"oops\":true}"),
    ] {
        let text = format!("{}\n{bad}", kept.join("\n"));
        std::fs::write(&journal, &text).unwrap();
        let out = sweep(&quick(), &dir, &[]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{case}: {err}");
        assert!(
            err.contains("journal.jsonl") && err.contains(&format!("line {}", lines - 1)),
            "{case}: {err}"
        );
        assert!(
            !err.contains("to train"),
            "{case}: nothing is trained: {err}"
        );
        assert_eq!(
            std::fs::read_to_string(&journal).unwrap(),
            text,
            "{case}: the journal is left as it was"
        );
    }
    // The same line in the middle.
    let mut middle: Vec<&str> = good.lines().collect();
    middle.insert(3, "{\"oops\":true}");
    std::fs::write(&journal, middle.join("\n") + "\n").unwrap();
    let out = sweep(&quick(), &dir, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("line 4"), "{}", stderr(&out));
    // `report` judges the same way.
    let out = common::report(&[&dir], &[]);
    assert!(
        !out.status.success() && stderr(&out).contains("line 4"),
        "{}",
        stderr(&out)
    );
}

// A kill during the header write leaves part of the header: it is torn like any line.
#[test]
fn a_torn_header_is_cut_and_written_again() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("q");
    assert!(sweep(&quick(), &dir, &["--quiet"]).status.success());
    let journal = dir.join("journal.jsonl");
    let header = std::fs::read_to_string(&journal)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    assert!(
        header.contains("trendsweep_journal"),
        "the first line is the header: {header}"
    );
    let other = tmp.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("journal.jsonl"), &header[..header.len() / 2]).unwrap();
    let out = sweep(&quick(), &other, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("0 trials already done, 8 to train"),
        "{}",
        stderr(&out)
    );
    let text = std::fs::read_to_string(other.join("journal.jsonl")).unwrap();
    assert_eq!(text.lines().next().unwrap(), header);
    assert_eq!(records(&other.join("journal.jsonl")).len(), 8);
}

// Item 12: the fingerprint travels with the journal.
#[test]
fn without_run_json_the_journal_header_still_refuses_other_data() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("q");
    assert!(sweep(&quick(), &dir, &["--quiet"]).status.success());
    std::fs::remove_file(dir.join("run.json")).unwrap();
    let other = tmp.path().join("other.toml");
    let text = std::fs::read_to_string(quick())
        .unwrap()
        .replace("noise = 0.2", "noise = 0.3");
    std::fs::write(&other, text).unwrap();
    let before = std::fs::read(dir.join("journal.jsonl")).unwrap();
    let out = sweep(&other, &dir, &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("different data") && err.contains("journal.jsonl"),
        "{err}"
    );
    assert_eq!(std::fs::read(dir.join("journal.jsonl")).unwrap(), before);
    assert!(!dir.join("run.json").exists(), "nothing is written");
    // Shard journals carry the header too.
    let sharded = tmp.path().join("s");
    assert!(
        sweep(&quick(), &sharded, &["--quiet", "--shard", "1/2"])
            .status
            .success()
    );
    let first = std::fs::read_to_string(sharded.join("journal-1-of-2.jsonl")).unwrap();
    assert!(
        first.lines().next().unwrap().contains("trendsweep_journal"),
        "{first}"
    );
    std::fs::remove_file(sharded.join("run.json")).unwrap();
    let out = sweep(&other, &sharded, &["--shard", "0/2"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(!sharded.join("journal-0-of-2.jsonl").exists());
}

// Item 11: an OS lock, whatever the lock file says.
#[test]
fn the_lock_is_the_kernels_not_the_files_text() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("q");
    std::fs::create_dir_all(&dir).unwrap();
    let lock = dir.join(".trendsweep.lock");
    // An empty lock file held by a live process (what a sweep's lock looks like the moment
    // it is created) must hold the directory.
    let mut holder = hold_lock(&lock, 60);
    let out = sweep(&quick(), &dir, &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("another sweep"), "{err}");
    assert!(lock.exists(), "a lock file someone holds is never deleted");
    assert!(!dir.join("trials.csv").exists() && !dir.join("journal.jsonl").exists());
    holder.kill().unwrap();
    holder.wait().unwrap();
    // A lock file naming a live process that holds no lock (pid 1, as after a reboot reused
    // the number) is no lock at all.
    std::fs::write(&lock, "1 somehost\n").unwrap();
    let out = sweep(&quick(), &dir, &["--quiet"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!lock.exists(), "the lock file is removed at the end");
}

#[test]
fn two_sweeps_started_together_into_one_directory_one_runs() {
    let tmp = tempfile::tempdir().unwrap();
    for round in 0..3 {
        let dir = tmp.path().join(format!("q{round}"));
        let a = spawn(&quick(), &dir, &[]);
        let b = spawn(&quick(), &dir, &[]);
        let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
        let codes = [a.status.code(), b.status.code()];
        assert!(
            codes.contains(&Some(0)) && codes.contains(&Some(2)),
            "{codes:?} {} {}",
            stderr(&a),
            stderr(&b)
        );
        assert_eq!(records(&dir.join("journal.jsonl")).len(), 8);
    }
}

// Item 14: one lock story for shards, unsharded sweeps and --fresh.
#[test]
fn shards_unsharded_sweeps_and_fresh_exclude_each_other() {
    let tmp = tempfile::tempdir().unwrap();
    let grid = slow_grid();
    let dir = tmp.path().join("s");
    let running = spawn(&grid, &dir, &["--shard", "0/2"]);
    wait_for("the shard's first trial", || {
        !records(&dir.join("journal-0-of-2.jsonl")).is_empty()
    });
    for (case, extra, says) in [
        ("--fresh", &["--fresh"][..], "shard 0/2"),
        ("unsharded", &[][..], "shard 0/2"),
        ("0/3 beside 0/2", &["--shard", "0/3"][..], "same N"),
        ("0/2 twice", &["--shard", "0/2"][..], "already running"),
    ] {
        let out = sweep(&grid, &dir, extra);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{case}: {err}");
        assert!(err.contains(says), "{case}: {err}");
    }
    assert!(
        dir.join("journal-0-of-2.jsonl").exists(),
        "the running shard's directory stays in place"
    );
    assert!(!tmp.path().join("s.old-1").exists());
    // Another shard of the same split runs beside it.
    let out = sweep(&grid, &dir, &["--shard", "1/2", "--quiet"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Whether it has ended by now or not, the running shard kept every trial it finished.
    let _ = finish(running);
    assert!(!records(&dir.join("journal-0-of-2.jsonl")).is_empty());
}

#[test]
fn shards_of_grids_on_different_data_started_together_cannot_both_run() {
    let tmp = tempfile::tempdir().unwrap();
    let grid = slow_grid();
    let other = tmp.path().join("other.toml");
    std::fs::write(
        &other,
        std::fs::read_to_string(&grid)
            .unwrap()
            .replace("noise = 0.2", "noise = 0.25"),
    )
    .unwrap();
    let dir = tmp.path().join("s");
    let a = spawn(&grid, &dir, &["--shard", "0/2"]);
    let b = spawn(&other, &dir, &["--shard", "1/2"]);
    wait_for("one of them to train or end", || {
        records(&dir.join("journal-0-of-2.jsonl")).len()
            + records(&dir.join("journal-1-of-2.jsonl")).len()
            >= 1
    });
    std::thread::sleep(Duration::from_millis(300));
    let (a, b) = (finish(a), finish(b));
    let refused = [&a, &b]
        .iter()
        .filter(|o| o.status.code() == Some(2))
        .count();
    assert_eq!(refused, 1, "{} / {}", stderr(&a), stderr(&b));
    let err = if a.status.code() == Some(2) {
        stderr(&a)
    } else {
        stderr(&b)
    };
    assert!(err.contains("different data"), "{err}");
}

// Item 13: SIGTERM and SIGHUP stop a sweep as Ctrl-C does.
#[test]
fn sigterm_and_sighup_keep_finished_trials_write_tables_and_release_the_lock() {
    let tmp = tempfile::tempdir().unwrap();
    let grid = slow_grid();
    for (sig, status) in [("-TERM", 143), ("-HUP", 129), ("-INT", 130)] {
        let dir = tmp.path().join(format!("sig{sig}"));
        let child = spawn(&grid, &dir, &[]);
        wait_for("two finished trials", || {
            records(&dir.join("journal.jsonl")).len() >= 2
        });
        signal(&child, sig);
        let out = child.wait_with_output().unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(status), "{sig}: {err}");
        assert!(err.contains("run the same command again"), "{sig}: {err}");
        let kept = records(&dir.join("journal.jsonl")).len();
        assert!((2..12).contains(&kept), "{sig}: {kept} kept");
        assert_eq!(
            csv_rows(&dir),
            kept,
            "{sig}: tables for the finished trials"
        );
        assert!(
            !dir.join(".trendsweep.lock").exists(),
            "{sig}: the lock is released"
        );
    }
}

// Item 17: leftovers of killed writers.
#[test]
fn temporary_files_of_dead_writers_are_cleaned_up() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("q");
    assert!(sweep(&quick(), &dir, &["--quiet"]).status.success());
    // A pid no process has (above the kernel's limit).
    let dead = dir.join(".trials.parquet.tmp-4194305");
    std::fs::write(&dead, "half a table").unwrap();
    let out = sweep(&quick(), &dir, &["--quiet"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!dead.exists());
    let left: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_journal_that_is_a_directory_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("q");
    std::fs::create_dir_all(dir.join("journal.jsonl")).unwrap();
    let out = sweep(&quick(), &dir, &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("journal.jsonl") && err.contains("directory"),
        "{err}"
    );
}

// Item 17: a full disk says so once, with the path and how to go on.
#[test]
fn a_full_disk_is_one_line_naming_the_path_and_what_to_do() {
    let uid = Command::new("id").arg("-u").output().unwrap();
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        println!("skipped: mounting a small tmpfs needs root");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let mount = tmp.path().join("small");
    std::fs::create_dir_all(&mount).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=48k", "tmpfs"])
        .arg(&mount)
        .status();
    if !mounted.is_ok_and(|s| s.success()) {
        println!("skipped: cannot mount a tmpfs here");
        return;
    }
    let dir = mount.join("q");
    let out = sweep(&quick(), &dir, &["--quiet"]);
    let _ = Command::new("umount").arg(&mount).status();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert_eq!(err.matches("No space left on device").count(), 1, "{err}");
    assert_eq!(err.matches("cannot").count(), 1, "{err}");
    assert!(err.contains(&dir.display().to_string()), "{err}");
    assert!(err.contains("kept") && err.contains("run"), "{err}");
}

// Item 17: "File exists (os error 17)" never comes without its path.
#[test]
fn an_out_that_cannot_be_a_directory_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let looped = tmp.path().join("loop");
    std::os::unix::fs::symlink(&looped, &looped).unwrap();
    let dangling = tmp.path().join("dangling");
    std::os::unix::fs::symlink(tmp.path().join("nowhere"), &dangling).unwrap();
    for out in [looped.join("q"), dangling.clone()] {
        let o = sweep(&quick(), &out, &[]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(
            err.contains("symbolic link") && err.contains(&out.display().to_string()),
            "{err}"
        );
    }
    let q = tmp.path().join("q");
    assert!(sweep(&quick(), &q, &["--quiet"]).status.success());
    let file = tmp.path().join("file");
    std::fs::write(&file, "").unwrap();
    let o = bin()
        .arg("report")
        .arg(&q)
        .arg("--out")
        .arg(file.join("sub"))
        .output()
        .unwrap();
    let err = stderr(&o);
    assert!(!o.status.success());
    assert!(err.contains(&file.display().to_string()), "{err}");
}
