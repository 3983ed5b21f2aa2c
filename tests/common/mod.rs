//! What the integration tests share: running the binary, a scratch folder for a grid and its
//! results, the grid files under tests/fixtures, reading the tables a sweep writes, and the
//! check every refused input must pass.
//!
//! Each test file takes it in with `mod common;` and uses only part of it; the rest is dead
//! code in that test binary, hence the `allow`.
#![allow(dead_code)]

mod grid;

#[allow(unused_imports)]
pub use grid::{Grid, NOISY_SINE, TWELVE_GROUPS, on_the_sine, search_table};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use polars::prelude::{CsvReadOptions, DataFrame, ParquetReader, SerReader};

// ---------------------------------------------------------------------------------------
// Files of the repository.

/// The repository's root folder.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A file under tests/fixtures.
pub fn fixture(rel: &str) -> PathBuf {
    root().join("tests/fixtures").join(rel)
}

/// experiments/quick.toml: 8 trials of 3 epochs, a few seconds in all.
pub fn quick() -> PathBuf {
    root().join("experiments/quick.toml")
}

/// tests/fixtures/grid/slow.toml: twelve trials of about a second each.
pub fn slow_grid() -> PathBuf {
    fixture("grid/slow.toml")
}

/// Writes `contents` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

// ---------------------------------------------------------------------------------------
// Running the binary.

/// The binary under test.
pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_trendsweep"))
}

/// `trendsweep ARGS...` run in `cwd`.
pub fn run_in(cwd: &Path, args: &[&str]) -> Output {
    bin()
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("running trendsweep")
}

/// `trendsweep ARGS...` run in the repository's root, which must succeed.
pub fn run_ok(args: &[&str]) -> Output {
    let out = run_in(root(), args);
    assert!(
        out.status.success(),
        "trendsweep {args:?} failed: {}\n{}",
        stdout(&out),
        stderr(&out)
    );
    out
}

/// `trendsweep sweep GRID --out OUT --threads 1 EXTRA...`, with `--threads 1` left out when
/// EXTRA sets the thread count itself.
pub fn sweep_command(grid: &Path, out: &Path, extra: &[&str]) -> Command {
    let mut command = bin();
    command.arg("sweep").arg(grid).arg("--out").arg(out);
    if !extra.contains(&"--threads") {
        command.args(["--threads", "1"]);
    }
    command.args(extra);
    command
}

/// Runs [`sweep_command`] to its end.
pub fn sweep(grid: &Path, out: &Path, extra: &[&str]) -> Output {
    sweep_command(grid, out, extra)
        .output()
        .expect("running trendsweep")
}

/// Starts [`sweep_command`] with `--quiet`, its stdout discarded and its stderr kept.
pub fn spawn_sweep(grid: &Path, out: &Path, extra: &[&str]) -> Child {
    let mut command = sweep_command(grid, out, extra);
    if !extra.contains(&"--quiet") {
        command.arg("--quiet");
    }
    command
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting trendsweep")
}

/// `trendsweep report DIRS... EXTRA...`.
pub fn report(dirs: &[&Path], extra: &[&str]) -> Output {
    bin()
        .arg("report")
        .args(dirs)
        .args(extra)
        .output()
        .expect("running trendsweep")
}

/// Sends `sig` (as `kill` spells it: `-TERM`, `-9`, ...) to `child`.
pub fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill {sig} failed");
}

/// Waits (up to two minutes) until `done` holds.
#[track_caller]
pub fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A process holding the kernel lock (`flock`) on `lock` for `seconds`, once it holds it.
pub fn hold_lock(lock: &Path, seconds: u32) -> Child {
    let holder = Command::new("flock")
        .arg("-o")
        .arg(lock)
        .args(["sleep", &seconds.to_string()])
        .spawn()
        .unwrap();
    wait_for("flock to hold the lock", || {
        !Command::new("flock")
            .arg("-n")
            .arg(lock)
            .arg("true")
            .status()
            .unwrap()
            .success()
    });
    holder
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The command ended with exit status 0.
#[track_caller]
pub fn assert_ok(out: &Output) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}\nstdout: {}",
        stderr(out),
        stdout(out)
    );
}

/// Why `out` is not the refusal every bad input must get, or its stderr: exit status 2 and
/// one `error:` line holding every needle, with no panic, backtrace or failed allocation.
pub fn check_refused(out: &Output, needles: &[&str]) -> Result<String, String> {
    let stderr = stderr(out);
    let fail = |why: String| Err(format!("{why}\nstderr: {stderr}\nstdout: {}", stdout(out)));
    if out.status.code() != Some(2) {
        return fail(format!(
            "expected exit status 2, got {:?}",
            out.status.code()
        ));
    }
    for bad in ["panicked", "backtrace", "memory allocation"] {
        if stderr.to_lowercase().contains(bad) {
            return fail(format!("stderr shows {bad:?}"));
        }
    }
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    if lines.len() != 1 {
        return fail(format!("expected one message line, got {}", lines.len()));
    }
    if !lines[0].starts_with("error: ") {
        return fail("the message does not start with \"error: \"".into());
    }
    for needle in needles {
        if !stderr.contains(needle) {
            return fail(format!("stderr lacks {needle:?}"));
        }
    }
    // Shown with --nocapture, to read every message at once.
    println!("{}", lines[0]);
    Ok(stderr)
}

/// [`check_refused`] as an assertion; returns stderr.
#[track_caller]
pub fn assert_refused(out: &Output, needles: &[&str]) -> String {
    check_refused(out, needles).unwrap_or_else(|why| panic!("{why}"))
}

// ---------------------------------------------------------------------------------------
// A scratch folder.

/// A temporary folder holding a grid file `grid.toml`, any data files, and the results
/// directory `out/`. Sweeps run in it, with backtraces on, so that a panic or an error
/// printed with `{:?}` would show one.
pub struct Scene {
    tmp: tempfile::TempDir,
}

impl Scene {
    pub fn new() -> Scene {
        Scene {
            tmp: tempfile::tempdir().unwrap(),
        }
    }

    /// A scene whose grid.toml holds `text`.
    pub fn with_grid(text: impl AsRef<[u8]>) -> Scene {
        let scene = Scene::new();
        scene.write("grid.toml", text);
        scene
    }

    pub fn root(&self) -> &Path {
        self.tmp.path()
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.root().join(name)
    }

    /// The results directory.
    pub fn out(&self) -> PathBuf {
        self.path("out")
    }

    /// The grid file.
    pub fn grid(&self) -> PathBuf {
        self.path("grid.toml")
    }

    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        write(self.root(), name, contents)
    }

    /// Copies a file of tests/fixtures/data into the scene.
    pub fn fixture(&self, name: &str) -> PathBuf {
        let to = self.path(name);
        std::fs::copy(fixture("data").join(name), &to).unwrap();
        to
    }

    /// [`sweep_command`] run in the scene.
    pub fn command(&self, grid: &Path, out: &Path, extra: &[&str]) -> Command {
        let mut command = sweep_command(grid, out, extra);
        command.current_dir(self.root()).env("RUST_BACKTRACE", "1");
        command
    }

    /// `sweep GRID --out OUT` with `extra`, in the scene.
    pub fn run(&self, grid: &Path, out: &Path, extra: &[&str]) -> Output {
        self.command(grid, out, extra)
            .output()
            .expect("running trendsweep")
    }

    /// Writes grid.toml and sweeps it into out/.
    pub fn sweep_text(&self, text: &str, extra: &[&str]) -> Output {
        let grid = self.write("grid.toml", text);
        self.run(&grid, &self.out(), extra)
    }

    pub fn sweep(&self, grid: &Grid) -> Output {
        self.sweep_text(&grid.text(), &[])
    }

    /// [`check_refused`], and out/ was not created.
    pub fn check_refused(&self, out: &Output, needles: &[&str]) -> Result<String, String> {
        let stderr = check_refused(out, needles)?;
        if self.out().exists() {
            return Err(format!(
                "the results directory was created: {}\nstderr: {stderr}",
                self.out().display()
            ));
        }
        Ok(stderr)
    }

    /// [`Scene::check_refused`] as an assertion; returns stderr.
    #[track_caller]
    pub fn assert_refused(&self, out: &Output, needles: &[&str]) -> String {
        self.check_refused(out, needles)
            .unwrap_or_else(|why| panic!("{why}"))
    }

    /// The sweep succeeded and wrote its trials table.
    #[track_caller]
    pub fn assert_trained(&self, out: &Output) {
        assert!(
            out.status.success(),
            "exit {:?}\n{}",
            out.status.code(),
            stderr(out)
        );
        assert!(self.out().join("trials.parquet").exists());
    }
}

// ---------------------------------------------------------------------------------------
// What a sweep writes.

/// The columns of trials.parquet and trials.csv, in order.
pub const TRIAL_COLUMNS: [&str; 29] = [
    "trial_id",
    "window",
    "n_dense",
    "lambda",
    "batch_size",
    "learning_rate",
    "seed",
    "epochs",
    "loss",
    "penalty_mean",
    "activation",
    "shuffle",
    "metric_epoch",
    "patience",
    "status",
    "message",
    "epochs_run",
    "train_loss",
    "train_mse",
    "val_mse",
    "val_trend_acc",
    "final_val_mse",
    "unstable",
    "best_epoch",
    "best_val_mse",
    "best_val_trend_acc",
    "val_mase",
    "wall_seconds",
    "steps_per_second",
];

/// The files `trendsweep report DIR` rebuilds from a directory's journal.
pub const REBUILT_FILES: [&str; 6] = [
    "trials.parquet",
    "trials.csv",
    "epochs.parquet",
    "predictions.parquet",
    "summary.md",
    "report.html",
];

/// The columns of epochs.parquet, in order.
pub const EPOCH_COLUMNS: [&str; 6] = [
    "trial_id",
    "epoch",
    "train_loss",
    "train_mse",
    "val_mse",
    "val_trend_acc",
];

/// A trial's figures, which must not depend on how the sweep ran (threads, interruptions,
/// shards): trials.parquet's id and its columns from `status` to `best_epoch`, but the message.
pub fn outcome_columns() -> Vec<&'static str> {
    let from = TRIAL_COLUMNS.iter().position(|c| *c == "status").unwrap();
    let to = TRIAL_COLUMNS
        .iter()
        .position(|c| *c == "best_epoch")
        .unwrap();
    std::iter::once("trial_id")
        .chain(TRIAL_COLUMNS[from..=to].iter().copied())
        .filter(|c| *c != "message")
        .collect()
}

/// The text content of every <text> element of an SVG figure.
pub fn svg_texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| {
            let body = &t[t.find('>')? + 1..];
            Some(body[..body.find("</text>")?].trim().to_string())
        })
        .collect()
}

pub fn read_parquet(path: &Path) -> DataFrame {
    ParquetReader::new(std::fs::File::open(path).unwrap())
        .finish()
        .unwrap()
}

pub fn read_csv(path: &Path) -> DataFrame {
    CsvReadOptions::default()
        .with_has_header(true)
        .try_into_reader_with_file_path(Some(path.to_path_buf()))
        .unwrap()
        .finish()
        .unwrap()
}

/// A data frame's column names.
pub fn names(df: &DataFrame) -> Vec<String> {
    df.get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect()
}

/// A text column's values (none of them null).
pub fn strings(df: &DataFrame, name: &str) -> Vec<String> {
    let ca = df.column(name).unwrap().str().unwrap();
    (0..ca.len())
        .map(|i| ca.get(i).unwrap().to_string())
        .collect()
}

/// A float column's values, nulls as NaN.
pub fn floats(df: &DataFrame, name: &str) -> Vec<f64> {
    df.column(name)
        .unwrap()
        .f64()
        .unwrap()
        .iter()
        .map(|v| v.unwrap_or(f64::NAN))
        .collect()
}

/// A journal's trial records: its lines that parse and name a trial (so neither its header
/// nor a torn line).
pub fn journal_records(path: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v.get("trial_id").is_some())
        .collect()
}

/// Every file under `dir` with its bytes, to tell that a command changed nothing there.
pub fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.insert(
                    p.strip_prefix(dir).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                );
            }
        }
    }
    files
}

/// A CSV file's text: the header line, then one line a row.
pub fn csv(header: &str, rows: impl IntoIterator<Item = String>) -> String {
    let mut text = format!("{header}\n");
    for row in rows {
        text.push_str(&row);
        text.push('\n');
    }
    text
}

// ---------------------------------------------------------------------------------------
// Series built in the test itself.

/// A generated series of `kind` (`phi` = [0.6, -0.3], no drift) as the loaders give it,
/// named `value`.
pub fn generated(
    kind: trendsweep::config::SyntheticKind,
    length: usize,
    noise: f64,
    period: f64,
    seed: u64,
) -> trendsweep::data::Series {
    series(trendsweep::data::generate(&trendsweep::config::Synthetic {
        kind,
        length,
        noise,
        period,
        phi: [0.6, -0.3],
        drift: 0.0,
        seed,
        series: None,
    }))
}

/// `values` as a series named `value`.
pub fn series(values: Vec<f64>) -> trendsweep::data::Series {
    trendsweep::data::Series {
        origin: "generated".into(),
        name: "value".into(),
        values: values.into(),
        features: vec![],
    }
}

// ---------------------------------------------------------------------------------------
// The model in f64, for finite differences.

/// The model's loss in f64 from plain parameter vectors, with the penalty mask held fixed
/// (the mask is data, not differentiated).
#[allow(clippy::too_many_arguments)]
pub fn model_loss_f64(
    params: &[f64],
    n_in: usize,
    h: usize,
    act: trendsweep::config::Activation,
    x: &[f32],
    y: &[f32],
    last: &[f32],
    weights: &[f64],
) -> f64 {
    let (w1, rest) = params.split_at(n_in * h);
    let (b1, rest) = rest.split_at(h);
    let (w2, b2) = rest.split_at(h);
    let n = y.len();
    let mut total = 0.0;
    for i in 0..n {
        let mut out = b2[0];
        for k in 0..h {
            let mut a = b1[k];
            for j in 0..n_in {
                a += x[i * n_in + j] as f64 * w1[j * h + k];
            }
            let a = match act {
                trendsweep::config::Activation::Linear => a,
                trendsweep::config::Activation::Relu => a.max(0.0),
                trendsweep::config::Activation::Tanh => a.tanh(),
            };
            out += a * w2[k];
        }
        total += (y[i] as f64 - out).powi(2) + weights[i] * (out - last[i] as f64).abs();
    }
    total / n as f64
}
