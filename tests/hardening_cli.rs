//! The command line under hostile conditions: closed or full output streams, absurd sizes,
//! values f32 cannot hold, flags no machine could honour. Each case runs the real binary.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const GRID: &str = r#"
name = "tiny"
[data]
kind = "sine"
length = 200
seed = 1
window = 4
[train]
epochs = 1
n_dense = 4
batch_size = 16
[grid]
seed = [0, 1]
"#;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_trendsweep"))
}

struct Scene {
    tmp: tempfile::TempDir,
}

impl Scene {
    fn new(grid: &str) -> Scene {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("grid.toml"), grid).unwrap();
        Scene { tmp }
    }
    fn grid(&self) -> PathBuf {
        self.tmp.path().join("grid.toml")
    }
    fn out(&self) -> PathBuf {
        self.tmp.path().join("out")
    }
    fn sweep(&self) -> Command {
        let mut c = bin();
        c.arg("sweep")
            .arg(self.grid())
            .arg("--out")
            .arg(self.out())
            .args(["--threads", "1"]);
        c.current_dir(self.tmp.path());
        c
    }
}

/// Runs `command` with its stdout closed before anything is printed, as `| head -0` would,
/// and checks it ends normally, without a panic.
fn run_with_closed_stdout(mut command: Command) {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = text(&out.stderr);
    assert!(!stderr.contains("panicked"), "{command:?}: {stderr}");
    assert_eq!(out.status.code(), Some(0), "{command:?}: {stderr}");
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every table a finished sweep writes is there and the journal has one line per trial.
#[track_caller]
fn assert_complete(out: &Path, trials: usize) {
    for f in [
        "trials.parquet",
        "trials.csv",
        "epochs.parquet",
        "summary.md",
        "report.html",
    ] {
        assert!(out.join(f).is_file(), "{f} missing in {}", out.display());
    }
    let journal = std::fs::read_to_string(out.join("journal.jsonl")).unwrap();
    let records = journal
        .lines()
        .filter(|l| l.contains("\"trial_id\""))
        .count();
    assert_eq!(records, trials, "{journal}");
}

#[test]
fn a_closed_stdout_ends_quietly_after_the_tables_are_written() {
    let scene = Scene::new(GRID);
    run_with_closed_stdout(scene.sweep());
    assert_complete(&scene.out(), 2);
}

#[test]
fn a_full_stderr_and_stdout_cost_nothing() {
    let scene = Scene::new(GRID);
    let full = || Stdio::from(File::options().write(true).open("/dev/full").unwrap());
    let out = scene
        .sweep()
        .stdout(full())
        .stderr(full())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_complete(&scene.out(), 2);
}

#[test]
fn a_full_stderr_still_gives_the_bad_input_status() {
    let scene = Scene::new("name = \"x\"\n[train]\nepochs = 0\n");
    let full = Stdio::from(File::options().write(true).open("/dev/full").unwrap());
    let out = scene.sweep().stderr(full).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!scene.out().exists());
}

#[test]
fn report_and_plan_into_a_closed_pipe_do_not_panic() {
    let scene = Scene::new(GRID);
    assert!(
        scene
            .sweep()
            .arg("--quiet")
            .output()
            .unwrap()
            .status
            .success()
    );
    for args in [
        vec!["report".to_string(), scene.out().display().to_string()],
        vec!["plan".into(), scene.grid().display().to_string()],
    ] {
        let mut command = bin();
        command.args(&args);
        run_with_closed_stdout(command);
    }
}

/// Exit status 2, one `error:` line holding every needle, no panic, nothing written.
#[track_caller]
fn assert_refused(scene: &Scene, out: &Output, needles: &[&str]) -> String {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("memory allocation"),
        "{stderr}"
    );
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    for needle in needles {
        assert!(stderr.contains(needle), "stderr lacks {needle:?}: {stderr}");
    }
    assert!(
        !scene.out().exists(),
        "{} was created",
        scene.out().display()
    );
    stderr
}

/// `sweep grid --out out` with `extra` (`--threads 1` unless `extra` sets it), refused.
fn refused(grid: &str, extra: &[&str], needles: &[&str]) -> String {
    let scene = Scene::new(grid);
    let mut command = bin();
    command
        .arg("sweep")
        .arg(scene.grid())
        .arg("--out")
        .arg(scene.out())
        .args(extra);
    if !extra.contains(&"--threads") {
        command.args(["--threads", "1"]);
    }
    let out = command.current_dir(scene.tmp.path()).output().unwrap();
    assert_refused(&scene, &out, needles)
}

/// GRID with `line` added to its `[train]` table.
fn with_train(line: &str) -> String {
    GRID.replace("[train]\n", &format!("[train]\n{line}\n"))
        .replace(
            "n_dense = 4\n",
            if line.starts_with("n_dense") {
                ""
            } else {
                "n_dense = 4\n"
            },
        )
        .replace(
            "epochs = 1\n",
            if line.starts_with("epochs") {
                ""
            } else {
                "epochs = 1\n"
            },
        )
}

#[test]
fn sizes_no_run_could_finish_are_refused_with_the_limit() {
    refused(
        &with_train("n_dense = 1000000000"),
        &[],
        &["n_dense", "≤ 1048576", "found 1000000000"],
    );
    refused(
        &with_train("epochs = 1000000000000"),
        &[],
        &["epochs", "≤ 100000", "found 1000000000000"],
    );
    let axis = GRID
        .replace(
            "seed = [0, 1]",
            "seed = [0, 1]\nbatch_size = [8, 100000000]",
        )
        .replace("batch_size = 16\n", "");
    refused(&axis, &[], &["batch_size", "≤ 16777216", "found 100000000"]);
    let long = GRID.replace("length = 200", "length = 1000000000000");
    refused(&long, &[], &["length", "≤ 100000000"]);
}

#[test]
fn a_trial_that_cannot_fit_in_memory_is_refused_before_training() {
    // 100,001 inputs × 1,048,577 hidden units: about 2 TiB of weights, on any machine.
    let grid = GRID
        .replace("length = 200", "length = 200000")
        .replace("window = 4", "window = 100000")
        .replace("n_dense = 4", "n_dense = 1048576");
    let stderr = refused(
        &grid,
        &[],
        &[
            "grid.toml",
            "n_dense = 1048576",
            "needs about",
            "TiB",
            "available",
            "lower n_dense",
        ],
    );
    // The same check guards `plan`.
    let scene = Scene::new(&grid);
    let out = bin().arg("plan").arg(scene.grid()).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("lower n_dense"), "{stderr}");
}

#[test]
fn factors_f32_cannot_hold_are_refused() {
    refused(
        &with_train("learning_rate = 1e-300"),
        &[],
        &["learning_rate", "f32", "1e-300"],
    );
    refused(
        &with_train("lambda = 1e200"),
        &[],
        &["lambda", "f32", "1e200"],
    );
    refused(
        &with_train("lambda = 1e-45"),
        &[],
        &["lambda", "f32", "1e-45"],
    );
    // 0 stays a valid λ (the plain squared error), and ordinary values pass.
    let scene = Scene::new(&with_train("lambda = 0.0\nlearning_rate = 1e-30"));
    let out = scene.sweep().arg("--quiet").output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn absurd_thread_counts_are_refused_at_once() {
    let started = std::time::Instant::now();
    refused(
        GRID,
        &["--threads", "100000"],
        &["--threads 100000", "1 to 1024"],
    );
    refused(GRID, &["--threads", "0"], &["--threads 0", "1 to 1024"]);
    assert!(started.elapsed().as_secs() < 10);
}

#[test]
fn names_too_long_for_a_folder_are_bad_input() {
    let long = "n".repeat(300);
    let scene = Scene::new(&GRID.replace("name = \"tiny\"", &format!("name = \"{long}\"")));
    // Without --out the name becomes the folder.
    let out = bin()
        .arg("sweep")
        .arg(scene.grid())
        .current_dir(scene.tmp.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("at most 200 bytes"),
        "{}",
        text(&out.stderr)
    );
    assert!(!scene.tmp.path().join("results").exists());
    let scene = Scene::new(GRID);
    let out = bin()
        .arg("sweep")
        .arg(scene.grid())
        .arg("--out")
        .arg(scene.tmp.path().join(&long))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("300 bytes long"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_grid_file_that_is_a_fifo_a_directory_or_huge_is_refused() {
    let scene = Scene::new(GRID);
    let fifo = scene.tmp.path().join("fifo.toml");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let huge = scene.tmp.path().join("huge.toml");
    File::create(&huge).unwrap().set_len(2 << 20).unwrap();
    for (path, needle) in [
        (&fifo, "not a regular file"),
        (&scene.tmp.path().to_path_buf(), "a directory"),
        (&huge, "at most"),
    ] {
        let mut child = bin()
            .arg("plan")
            .arg(path)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while child.try_wait().unwrap().is_none() {
            if std::time::Instant::now() > deadline {
                child.kill().unwrap();
                panic!("plan {} did not end", path.display());
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        assert!(text(&out.stderr).contains(needle), "{}", text(&out.stderr));
    }
}

#[test]
fn slurm_options_that_would_inject_script_lines_are_refused() {
    let scene = Scene::new(GRID);
    let out = bin()
        .arg("slurm")
        .arg(scene.grid())
        .args(["--tasks", "2", "--time", "1:00\nrm -rf /", "--out"])
        .arg(scene.out())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("--time"),
        "{}",
        text(&out.stderr)
    );
    assert!(!scene.out().exists());
}

#[test]
fn plan_checks_memory_without_listing_a_huge_grid() {
    let list = |n: usize, f: &dyn Fn(usize) -> String| (0..n).map(f).collect::<Vec<_>>().join(", ");
    // 10,000 seeds × 10,000 λ × 1,000 learning rates: 10^11 trials.
    let grid = format!(
        "{}lambda = [{}]\nlearning_rate = [{}]\n",
        GRID.replace(
            "seed = [0, 1]",
            &format!("seed = [{}]", list(10_000, &|i| i.to_string()))
        ),
        list(10_000, &|i| format!("{i}.5")),
        list(1_000, &|i| format!("{}e-4", i + 1)),
    );
    let scene = Scene::new(&grid);
    let started = std::time::Instant::now();
    let out = bin().arg("plan").arg(scene.grid()).output().unwrap();
    assert!(
        started.elapsed().as_secs() < 30,
        "plan took {:?}",
        started.elapsed()
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("100,000,000,000 trials"),
        "{}",
        text(&out.stdout)
    );
}
