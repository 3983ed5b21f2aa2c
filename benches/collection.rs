//! Collections at scale: a synthetic collection of 100, 300 and 1,000 AR(2) series of 500
//! points, each swept over a 45-setting grid (one seed), against a single series swept with
//! as many seeds as the collection has series: the same trials, stacks and optimiser steps,
//! so the difference is what a collection adds (a dataset, baselines and records per series).
//! Each run is a child `trendsweep sweep` on two threads; the figures are its wall time
//! (training and the tables), trial-steps per second, and its peak resident memory.
//!
//! `cargo bench --profile dev --bench collection` runs it; `-- --quick` stops at 300 series.
//! Run without `--bench` (as `cargo test --benches` does) it measures nothing.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

/// The 45 settings: 3 widths × 5 penalty weights × 3 learning rates.
const GRID: &str = "[grid]\nn_dense = [8, 16, 32]\nlambda = [0.0, 0.001, 0.01, 0.1, 1.0]\n\
                    learning_rate = [0.001, 0.003, 0.01]\n";
const EPOCHS: usize = 5;
const BATCH: usize = 8;
const LENGTH: usize = 500;
const WINDOW: usize = 8;

fn data_table(extra: &str) -> String {
    format!(
        "name = \"bench\"\n[data]\nkind = \"ar2\"\nlength = {LENGTH}\nwindow = {WINDOW}\n\
         val_fraction = 0.15\ntest_fraction = 0.0\n{extra}\n[train]\nepochs = {EPOCHS}\n\
         batch_size = {BATCH}\n"
    )
}

/// Optimiser steps of one trial on one series.
fn steps_per_trial() -> usize {
    let samples = LENGTH - WINDOW;
    let train = (samples as f64 * 0.85).floor() as usize;
    EPOCHS * train.div_ceil(BATCH)
}

/// Runs the grid `text` in a child sweep on two threads: wall seconds and peak resident KiB.
#[allow(clippy::zombie_processes)] // reaped by wait4 below
fn run(text: &str, dir: &Path) -> (f64, u64) {
    std::fs::create_dir_all(dir).expect("a scratch directory");
    let grid = dir.join("bench.toml");
    std::fs::write(&grid, text).expect("the grid file");
    let out = dir.join("out");
    let _ = std::fs::remove_dir_all(&out);
    let start = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_trendsweep"))
        .arg("sweep")
        .arg(&grid)
        .arg("--out")
        .arg(&out)
        .args(["--threads", "2", "--quiet"])
        .stdout(Stdio::null())
        .spawn()
        .expect("running a child sweep");
    // SAFETY: wait4 reaps our own child and writes only into the two values we pass.
    let (ok, peak) = unsafe {
        let mut status = 0;
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage);
        (
            libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
            usage.ru_maxrss as u64,
        )
    };
    let secs = start.elapsed().as_secs_f64();
    assert!(ok, "the child sweep failed");
    let _ = std::fs::remove_dir_all(&out);
    (secs, peak)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if !args.iter().any(|a| a == "--bench") {
        println!("collection: measures nothing without --bench (run it with cargo bench)");
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    let scratch = tempfile::tempdir().expect("a scratch directory");
    println!(
        "## A collection against one series with as many seeds (45 settings, {LENGTH} points, \
         {EPOCHS} epochs, batch {BATCH}, two threads)\n"
    );
    println!(
        "| series | trials | collection, s | trial-steps/s | peak MiB | one series, s | trial-steps/s | peak MiB | throughput ratio |\n\
         | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    let counts: &[usize] = if quick {
        &[100, 300]
    } else {
        &[100, 300, 1000]
    };
    for &n in counts {
        let collection = format!("{}{GRID}", data_table(&format!("series = {n}")));
        let seeds: Vec<String> = (0..n).map(|k| k.to_string()).collect();
        let single = format!("{}{GRID}seed = [{}]\n", data_table(""), seeds.join(", "));
        let trials = 45 * n;
        let steps = (trials * steps_per_trial()) as f64;
        let (c_secs, c_peak) = run(&collection, &scratch.path().join("c"));
        let (s_secs, s_peak) = run(&single, &scratch.path().join("s"));
        println!(
            "| {n} | {trials} | {c_secs:.1} | {:.0} | {:.0} | {s_secs:.1} | {:.0} | {:.0} | {:.2} |",
            steps / c_secs,
            c_peak as f64 / 1024.0,
            steps / s_secs,
            s_peak as f64 / 1024.0,
            s_secs / c_secs
        );
    }
}
