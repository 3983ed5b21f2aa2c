//! The command line under hostile conditions: closed or full output streams, absurd sizes,
//! values f32 cannot hold, flags no machine could honour. Each case runs the real binary.

mod common;

use std::fs::File;
use std::path::Path;
use std::process::{Command, Stdio};

use common::{Grid, Scene, bin, journal_records};

/// The tiny grid with two seeds: two trials.
fn grid() -> Grid {
    Grid::tiny().set("grid", "seed", "[0, 1]")
}

/// A scene holding `grid`, and its sweep: `sweep grid.toml --out out --threads 1`.
fn scene(grid: &Grid) -> (Scene, Command) {
    let scene = Scene::with_grid(grid.text());
    let sweep = scene.command(&scene.grid(), &scene.out(), &[]);
    (scene, sweep)
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
    let stderr = common::stderr(&out);
    assert!(!stderr.contains("panicked"), "{command:?}: {stderr}");
    assert_eq!(out.status.code(), Some(0), "{command:?}: {stderr}");
}

/// Every table a finished sweep writes is there and the journal has one record per trial.
#[track_caller]
fn assert_complete(out: &Path, trials: usize) {
    for f in common::REBUILT_FILES {
        assert!(out.join(f).is_file(), "{f} missing in {}", out.display());
    }
    let journal = out.join("journal.jsonl");
    assert_eq!(
        journal_records(&journal).len(),
        trials,
        "{}",
        std::fs::read_to_string(&journal).unwrap()
    );
}

#[test]
fn a_closed_stdout_ends_quietly_after_the_tables_are_written() {
    let (scene, sweep) = scene(&grid());
    run_with_closed_stdout(sweep);
    assert_complete(&scene.out(), 2);
}

#[test]
fn a_full_stderr_and_stdout_cost_nothing() {
    let (scene, mut sweep) = scene(&grid());
    let full = || Stdio::from(File::options().write(true).open("/dev/full").unwrap());
    let out = sweep.stdout(full()).stderr(full()).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_complete(&scene.out(), 2);
}

#[test]
fn a_full_stderr_still_gives_the_bad_input_status() {
    let scene = Scene::with_grid("name = \"x\"\n[train]\nepochs = 0\n");
    let full = Stdio::from(File::options().write(true).open("/dev/full").unwrap());
    let out = scene
        .command(&scene.grid(), &scene.out(), &[])
        .stderr(full)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!scene.out().exists());
}

#[test]
fn report_and_plan_into_a_closed_pipe_do_not_panic() {
    let (scene, mut sweep) = scene(&grid());
    assert!(sweep.arg("--quiet").output().unwrap().status.success());
    for args in [
        vec!["report".to_string(), scene.out().display().to_string()],
        vec!["plan".into(), scene.grid().display().to_string()],
    ] {
        let mut command = bin();
        command.args(&args);
        run_with_closed_stdout(command);
    }
}

/// `sweep grid.toml --out out` with `extra` (`--threads 1` unless `extra` sets it), refused
/// with exit status 2 and one message holding every needle, and nothing written.
#[track_caller]
fn refused(grid: &Grid, extra: &[&str], needles: &[&str]) -> String {
    let scene = Scene::with_grid(grid.text());
    let out = scene.run(&scene.grid(), &scene.out(), extra);
    scene.assert_refused(&out, needles)
}

#[test]
fn sizes_no_run_could_finish_are_refused_with_the_limit() {
    refused(
        &grid().set("train", "n_dense", "1000000000"),
        &[],
        &["n_dense", "≤ 1048576", "found 1000000000"],
    );
    refused(
        &grid().set("train", "epochs", "1000000000000"),
        &[],
        &["epochs", "≤ 100000", "found 1000000000000"],
    );
    let axis = grid()
        .unset("train", "batch_size")
        .set("grid", "batch_size", "[8, 100000000]");
    refused(&axis, &[], &["batch_size", "≤ 16777216", "found 100000000"]);
    let long = grid().set("data", "length", "1000000000000");
    refused(&long, &[], &["length", "≤ 100000000"]);
}

#[test]
fn a_trial_that_cannot_fit_in_memory_is_refused_before_training() {
    // 100,001 inputs × 1,048,577 hidden units: about 2 TiB of weights, on any machine.
    let grid = grid()
        .set("data", "length", "200000")
        .set("data", "window", "100000")
        .set("train", "n_dense", "1048576");
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
    let scene = Scene::with_grid(grid.text());
    let out = bin().arg("plan").arg(scene.grid()).output().unwrap();
    let err = common::stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("lower n_dense"), "{stderr}");
}

#[test]
fn factors_f32_cannot_hold_are_refused() {
    refused(
        &grid().set("train", "learning_rate", "1e-300"),
        &[],
        &["learning_rate", "f32", "1e-300"],
    );
    refused(
        &grid().set("train", "lambda", "1e200"),
        &[],
        &["lambda", "f32", "1e200"],
    );
    refused(
        &grid().set("train", "lambda", "1e-45"),
        &[],
        &["lambda", "f32", "1e-45"],
    );
    // 0 stays a valid λ (the plain squared error), and ordinary values pass.
    let (_scene, mut sweep) = scene(&grid().set("train", "lambda", "0.0").set(
        "train",
        "learning_rate",
        "1e-30",
    ));
    let out = sweep.arg("--quiet").output().unwrap();
    assert!(out.status.success(), "{}", common::stderr(&out));
}

#[test]
fn absurd_thread_counts_are_refused_at_once() {
    let started = std::time::Instant::now();
    refused(
        &grid(),
        &["--threads", "100000"],
        &["--threads 100000", "1 to 1024"],
    );
    refused(&grid(), &["--threads", "0"], &["--threads 0", "1 to 1024"]);
    assert!(started.elapsed().as_secs() < 10);
}

#[test]
fn names_too_long_for_a_folder_are_bad_input() {
    let long = "n".repeat(300);
    let scene = Scene::with_grid(grid().set("top", "name", &format!("\"{long}\"")).text());
    // Without --out the name becomes the folder.
    let out = bin()
        .arg("sweep")
        .arg(scene.grid())
        .current_dir(scene.root())
        .output()
        .unwrap();
    let err = common::stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("at most 200 bytes"), "{err}");
    assert!(!scene.path("results").exists());
    let scene = Scene::with_grid(grid().text());
    let out = bin()
        .arg("sweep")
        .arg(scene.grid())
        .arg("--out")
        .arg(scene.path(&long))
        .output()
        .unwrap();
    let err = common::stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("300 bytes long"), "{err}");
}

#[test]
fn a_grid_file_that_is_a_fifo_a_directory_or_huge_is_refused() {
    let scene = Scene::with_grid(grid().text());
    let fifo = scene.path("fifo.toml");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let huge = scene.path("huge.toml");
    File::create(&huge).unwrap().set_len(2 << 20).unwrap();
    for (path, needle) in [
        (&fifo, "not a regular file"),
        (&scene.root().to_path_buf(), "a directory"),
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
        let err = common::stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(needle), "{err}");
    }
}

#[test]
fn slurm_options_that_would_inject_script_lines_are_refused() {
    let scene = Scene::with_grid(grid().text());
    let out = bin()
        .arg("slurm")
        .arg(scene.grid())
        .args(["--tasks", "2", "--time", "1:00\nrm -rf /", "--out"])
        .arg(scene.out())
        .output()
        .unwrap();
    let err = common::stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--time"), "{err}");
    assert!(!scene.out().exists());
}

#[test]
fn plan_checks_memory_without_listing_a_huge_grid() {
    let list = |n: usize, f: &dyn Fn(usize) -> String| (0..n).map(f).collect::<Vec<_>>().join(", ");
    // 10,000 seeds × 10,000 λ × 1,000 learning rates: 10^11 trials.
    let grid = grid()
        .set(
            "grid",
            "seed",
            &format!("[{}]", list(10_000, &|i| i.to_string())),
        )
        .set(
            "grid",
            "lambda",
            &format!("[{}]", list(10_000, &|i| format!("{i}.5"))),
        )
        .set(
            "grid",
            "learning_rate",
            &format!("[{}]", list(1_000, &|i| format!("{}e-4", i + 1))),
        );
    let scene = Scene::with_grid(grid.text());
    let started = std::time::Instant::now();
    let out = bin().arg("plan").arg(scene.grid()).output().unwrap();
    assert!(
        started.elapsed().as_secs() < 30,
        "plan took {:?}",
        started.elapsed()
    );
    assert!(out.status.success(), "{}", common::stderr(&out));
    let printed = common::stdout(&out);
    assert!(printed.contains("100,000,000,000 trials"), "{printed}");
}
