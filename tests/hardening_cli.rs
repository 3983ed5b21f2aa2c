//! The command line under hostile conditions: closed or full output streams, absurd sizes,
//! values f32 cannot hold, flags no machine could honour. Each case runs the real binary.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

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
        c.arg("sweep").arg(self.grid()).arg("--out").arg(self.out()).args(["--threads", "1"]);
        c.current_dir(self.tmp.path());
        c
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every table a finished sweep writes is there and the journal has one line per trial.
#[track_caller]
fn assert_complete(out: &Path, trials: usize) {
    for f in ["trials.parquet", "trials.csv", "epochs.parquet", "summary.md", "report.html"] {
        assert!(out.join(f).is_file(), "{f} missing in {}", out.display());
    }
    let journal = std::fs::read_to_string(out.join("journal.jsonl")).unwrap();
    let records = journal.lines().filter(|l| l.contains("\"trial_id\"")).count();
    assert_eq!(records, trials, "{journal}");
}

#[test]
fn a_closed_stdout_ends_quietly_after_the_tables_are_written() {
    let scene = Scene::new(GRID);
    let mut child = scene.sweep().stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    // The reader goes away before anything is printed, as `| head -0` would.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = text(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_complete(&scene.out(), 2);
}

#[test]
fn a_full_stderr_and_stdout_cost_nothing() {
    let scene = Scene::new(GRID);
    let full = || Stdio::from(File::options().write(true).open("/dev/full").unwrap());
    let out = scene.sweep().stdout(full()).stderr(full()).output().unwrap();
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
    assert!(scene.sweep().arg("--quiet").output().unwrap().status.success());
    for args in [vec!["report".to_string(), scene.out().display().to_string()], vec!["plan".into(), scene.grid().display().to_string()]] {
        let mut child = bin().args(&args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = text(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
    }
}
