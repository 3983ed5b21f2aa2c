//! Running a grid: load and window the data once, train every trial that is not finished
//! yet on rayon worker threads, hand each finished trial to the journal as it finishes,
//! then rebuild the consolidated tables and the summary from the journal.

mod journal;
mod lock;
mod progress;
mod shard;

pub use journal::JournalWriter;

use std::collections::{BTreeMap, HashSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::baselines::baselines;
use crate::config::SplitSpec;
use crate::data::{Dataset, Fingerprint, load_series};
use crate::error::bad_input;
use crate::grid::{GridSpec, Trial};
use crate::report;
use crate::results::{TrialRecord, TrialResult, TrialStatus};
use crate::train::train;

pub use progress::Progress;
pub use shard::Shard;

/// How a sweep runs, from the command line.
#[derive(Debug, Clone)]
pub struct SweepOptions {
    /// The results directory.
    pub out: PathBuf,
    /// Worker threads for trials.
    pub threads: usize,
    /// Print only the final tables.
    pub quiet: bool,
    /// Refuse grids with more trials than this.
    pub max_trials: u128,
    /// Move an existing results directory aside and start over.
    pub fresh: bool,
    /// Train diverged and failed trials again.
    pub retry_failed: bool,
    /// Train only this shard of the grid.
    pub shard: Option<Shard>,
    /// Called where much memory has just been freed (the series once its datasets are built,
    /// the datasets once the trials have ended): a binary whose allocator keeps freed pages
    /// for a while can hand them back to the system there.
    pub release_memory: Option<fn()>,
}

/// The most worker threads a sweep starts: each is a thread with its own pool, and beyond
/// this many a sweep spends seconds and hundreds of megabytes only starting them.
pub const MAX_THREADS: usize = 1024;

/// Set by Ctrl-C, SIGTERM or SIGHUP: no new trial starts; running ones finish and are kept.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);
/// The signal that stopped the sweep (0: none).
static SIGNAL: AtomicI32 = AtomicI32::new(0);
/// Every trial has ended: the sweep is writing its tables.
static WRITING_TABLES: AtomicBool = AtomicBool::new(false);
/// The results directory, for what the signal handler says.
static OUT_DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// Makes Ctrl-C (SIGINT), SIGTERM (Slurm's cancel and preemption) and SIGHUP (a closed
/// terminal) stop the sweep gracefully: running trials finish and are kept, no new one
/// starts, the tables are written. A second signal exits at once (the journal holds every
/// finished trial either way).
pub fn install_interrupt_handler() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
        return;
    };
    std::thread::spawn(move || {
        for signal in signals.forever() {
            // stderr may be gone (a closed terminal): what cannot be said is not said.
            let mut err = std::io::stderr();
            let report = OUT_DIR
                .get()
                .map_or("trendsweep report DIR".to_string(), |d| {
                    format!("trendsweep report {}", d.display())
                });
            if INTERRUPTED.swap(true, Ordering::SeqCst) {
                let _ = writeln!(
                    err,
                    "\nstopped: finished trials are kept in the journal; the tables may be incomplete: run \
                     `{report}`, or the same sweep again to train the rest"
                );
                std::process::exit(128 + signal);
            }
            SIGNAL.store(signal, Ordering::SeqCst);
            let _ = if WRITING_TABLES.load(Ordering::SeqCst) {
                writeln!(
                    err,
                    "\ninterrupted: every trial is done; finishing the tables (signal again to quit now)"
                )
            } else {
                writeln!(
                    err,
                    "\ninterrupted: finishing the running trials, starting no new ones (Ctrl-C again to quit now)"
                )
            };
        }
    });
}

/// The exit status for a sweep stopped by a signal: 128 + its number, as a shell reports a
/// process the signal ended (130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP).
pub fn interrupt_status() -> u8 {
    match SIGNAL.load(Ordering::SeqCst) {
        s @ 1..=127 => 128 + s as u8,
        _ => 130,
    }
}

/// Environment variable naming a trial id that panics instead of training: lets the tests
/// check that a panicking trial is recorded as `failed` and the sweep goes on.
pub const PANIC_HOOK_ENV: &str = "TRENDSWEEP_TEST_PANIC_TRIAL";

/// What a results directory records about the data, so a rerun can tell it is the same
/// experiment (resume) rather than a different one (refuse).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    pub dataset: Fingerprint,
    pub split: SplitSpec,
}

impl RunInfo {
    /// The `run.json` of a results directory, if it has one.
    pub fn read(dir: &Path) -> Result<Option<RunInfo>> {
        let path = dir.join("run.json");
        let Ok(text) = std::fs::read_to_string(&path) else {
            return Ok(None);
        };
        let info =
            serde_json::from_str(&text).with_context(|| format!("reading {}", path.display()))?;
        Ok(Some(info))
    }

    /// One line naming the data and the split, for messages comparing two runs.
    pub fn describe(&self) -> String {
        format!(
            "{} ({} rows, values {}…; val_fraction {}, test_fraction {}, scale {})",
            self.dataset.source,
            self.dataset.rows,
            &self.dataset.values_sha256[..12],
            self.split.val_fraction,
            self.split.test_fraction,
            self.split.scale.name()
        )
    }
}

/// What a finished sweep did.
#[derive(Debug, Clone)]
pub struct SweepOutcome {
    pub total: usize,
    pub already_done: usize,
    pub trained: usize,
    /// Trials of the grid still not trained (non-zero only after an interruption).
    pub remaining: usize,
    pub diverged: usize,
    pub failed: usize,
    /// Ctrl-C stopped the sweep before every trial ran.
    pub interrupted: bool,
    pub seconds: f64,
    pub summary: report::Summary,
}

/// The datasets of a grid, one per window value, built once and shared by every trial.
pub struct Prepared {
    pub info: RunInfo,
    pub datasets: BTreeMap<usize, Arc<Dataset>>,
}

/// Loads the grid's series and builds one dataset per window.
pub fn prepare(spec: &GridSpec) -> Result<Prepared> {
    let (series, fingerprint) = load_series(&spec.source)?;
    let mut datasets = BTreeMap::new();
    for w in spec.windows() {
        let d = Dataset::build(&series, w, &spec.split)
            .with_context(|| format!("{}: [data] window = {w}", spec.file.display()))?;
        datasets.insert(w, Arc::new(d));
    }
    Ok(Prepared {
        info: RunInfo {
            dataset: fingerprint,
            split: spec.split.clone(),
        },
        datasets,
    })
}

/// Refuses a grid whose trials cannot fit in the memory left (see [`crate::memory`]), with
/// `threads` trials running at once; the message starts with the grid file's path.
pub fn check_memory(spec: &GridSpec, prepared: &Prepared, threads: usize) -> Result<()> {
    let Some(available) = crate::memory::available() else {
        return Ok(());
    };
    // A trial's memory depends on these four settings only. A grid is their product times
    // the other axes, so each shape stands for `total / shapes` trials; when there are too
    // many shapes to list, the largest value of each stands for all (an over-estimate).
    let mut values = ["n_dense", "batch_size", "epochs"].map(|name| spec.int_values(name));
    let windows = spec.windows();
    let shapes = [
        windows.len(),
        values[0].len(),
        values[1].len(),
        values[2].len(),
    ]
    .iter()
    .fold(1u128, |p, &n| p.saturating_mul(n as u128));
    if shapes > 100_000 {
        for v in &mut values {
            *v = vec![v.iter().copied().max().unwrap_or(1)];
        }
    }
    let per_shape = (spec.trial_count() / shapes).max(1);
    let mut configs = Vec::new();
    for &window in &windows {
        for &n_dense in &values[0] {
            for &batch_size in &values[1] {
                for &epochs in &values[2] {
                    let config = crate::config::TrainConfig {
                        n_dense: n_dense as usize,
                        batch_size: batch_size as usize,
                        epochs: epochs as usize,
                        ..crate::config::TrainConfig::default()
                    };
                    configs.push((window, config));
                }
            }
        }
    }
    let sized = configs.iter().map(|(window, config)| {
        let d = &prepared.datasets[window];
        let shape = crate::memory::TrialShape {
            window: *window,
            config,
            n_inputs: d.n_inputs,
            n_train: d.train.len(),
            n_rows: d.train.len().max(d.val.len()).max(d.test.len()),
        };
        (shape, per_shape)
    });
    crate::memory::check_fits(sized, threads, available)
        .map_err(|why| bad_input(format!("{}: {why}", spec.file.display())))
}

/// Trains one trial, turning a panic into a `failed` record so the sweep goes on.
pub fn run_trial(trial: &Trial, data: &Dataset) -> TrialRecord {
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        if std::env::var(PANIC_HOOK_ENV).is_ok_and(|id| id == trial.id) {
            panic!("test hook: trial {} panics on purpose", trial.id);
        }
        train(data, &trial.config)
    }))
    .unwrap_or_else(|panic| {
        let message = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "the trial panicked".into());
        TrialResult {
            status: TrialStatus::Failed,
            message: Some(message),
            curve: vec![],
            best_epoch: None,
            wall_seconds: 0.0,
            steps: 0,
            steps_per_second: 0.0,
        }
    });
    TrialRecord {
        trial_id: trial.id.clone(),
        window: trial.window,
        config: trial.config.clone(),
        result,
    }
}

fn check_out_dir(out: &Path) -> Result<()> {
    // File systems cap a name at 255 bytes; --fresh adds ".old-N" to the last one.
    if let Some(long) = out
        .components()
        .map(|c| c.as_os_str())
        .find(|c| c.len() > 240)
    {
        return Err(bad_input(format!(
            "--out {}: the folder name {:?}… is {} bytes long; names of at most 240 bytes fit every file system",
            out.display(),
            long.to_string_lossy().chars().take(40).collect::<String>(),
            long.len()
        )));
    }
    // A symbolic link to nothing (or a loop) cannot become the directory either.
    if let Some(link) = out
        .ancestors()
        .find(|a| !a.as_os_str().is_empty() && a.symlink_metadata().is_ok() && !a.exists())
    {
        return Err(bad_input(format!(
            "--out {}: {} is a symbolic link to nothing (or a loop of links); point it at a directory or give another --out",
            out.display(),
            link.display()
        )));
    }
    // The directory, or any folder it would be created in, must not be a file.
    if let Some(file) = out
        .ancestors()
        .find(|a| !a.as_os_str().is_empty() && a.exists() && !a.is_dir())
    {
        let what = if file == out {
            "is a file".to_string()
        } else {
            format!("{} is a file", file.display())
        };
        return Err(bad_input(format!(
            "--out {}: {what}, not a directory; give a directory for the results",
            out.display()
        )));
    }
    Ok(())
}

/// Refuses a directory that holds results trained on other data: its `run.json` (older
/// journals have only that) or the header of any of its journal files (shards' too) differs.
fn check_same_experiment(out: &Path, info: &RunInfo) -> Result<()> {
    if !out.is_dir() {
        return Ok(());
    }
    let read = report::read_journal_detailed(out)?;
    let recorded = RunInfo::read(out)?.map(|i| (out.join("run.json"), i));
    for (file, old) in recorded.into_iter().chain(read.headers) {
        if &old != info {
            let what = if old.dataset != info.dataset {
                "different data"
            } else {
                "the same data split differently"
            };
            return Err(bad_input(format!(
                "{}: holds results of a different grid, trained on {what}: {} there ({}), {} now; \
                 use --fresh to start over (the old directory is kept beside it) or another --out",
                out.display(),
                old.describe(),
                file.display(),
                info.describe()
            )));
        }
    }
    Ok(())
}

/// Renames an old results directory to the first free `<dir>.old-N`, holding it exclusively
/// so that no sweep (and no shard) is running in it.
fn move_aside(out: &Path, quiet: bool) -> Result<()> {
    let lock = lock::lock_sweep(out, None)?;
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "results".into());
    let aside = (1..)
        .map(|n| out.with_file_name(format!("{name}.old-{n}")))
        .find(|p| !p.exists())
        .expect("some name is free");
    std::fs::rename(out, &aside).map_err(|e| {
        anyhow::anyhow!(
            "cannot move {} aside to {}: {e}",
            out.display(),
            aside.display()
        )
    })?;
    lock.moved_to(&aside);
    if !quiet {
        errln!("--fresh: moved the old results to {}", aside.display());
    }
    Ok(())
}

/// Takes the directory's locks and, under them, checks it holds results of this experiment
/// and opens this sweep's journal. On refusal a directory this call created is removed again.
fn open_results(opts: &SweepOptions, info: &RunInfo) -> Result<(lock::SweepLock, JournalWriter)> {
    let created = !opts.out.exists();
    std::fs::create_dir_all(&opts.out)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", opts.out.display()))?;
    let opened = (|| {
        let mut lock = lock::lock_sweep(&opts.out, opts.shard)?;
        check_same_experiment(&opts.out, info)?;
        let journal_path = opts.out.join(
            opts.shard
                .map_or("journal.jsonl".to_string(), |s| s.journal_name()),
        );
        let journal = JournalWriter::open(&journal_path, Some(info))?;
        lock.setup_done();
        Ok((lock, journal))
    })();
    if opened.is_err() && created {
        let _ = std::fs::remove_dir(&opts.out);
    }
    opened
}

/// Writes `contents` to `path` through a temporary file and a rename.
fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    report::tables::write_atomically(path, |f| Ok(std::io::Write::write_all(f, contents)?))
}

/// Rebuilds every table, the summary and the report from the journal.
fn write_tables(out: &Path) -> Result<report::Summary> {
    let records = report::read_journal(out)?;
    report::write_trial_tables(out, &records)?;
    let summary = report::summarize(std::slice::from_ref(&out.to_path_buf()))?;
    summary.write(out)?;
    report::write_html(out, std::slice::from_ref(&out.to_path_buf()), &summary)?;
    Ok(summary)
}

fn release(opts: &SweepOptions) {
    if let Some(release) = opts.release_memory {
        release();
    }
}

/// Runs a sweep: trains what is not yet in the results directory's journal, then rebuilds
/// every output from the journal.
pub fn run(spec: &GridSpec, opts: &SweepOptions) -> Result<SweepOutcome> {
    let started = Instant::now();
    let total = spec.trial_count();
    if total > opts.max_trials {
        return Err(bad_input(format!(
            "{}: the grid has {total} trials, more than --max-trials {}; shrink an axis or raise --max-trials",
            spec.file.display(),
            opts.max_trials
        )));
    }
    if opts.threads == 0 || opts.threads > MAX_THREADS {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        return Err(bad_input(format!(
            "--threads {}: give 1 to {MAX_THREADS} worker threads (this machine has {cores} cores; more threads than cores only share them)",
            opts.threads
        )));
    }
    if opts.fresh && opts.shard.is_some() {
        return Err(bad_input(
            "--fresh with --shard: other shards share the results directory; start over with another --out instead",
        ));
    }
    check_out_dir(&opts.out)?;
    let prepared = prepare(spec)?;
    check_memory(spec, &prepared, opts.threads)?;
    if let (false, crate::config::Source::File { missing, .. }) = (opts.quiet, &spec.source) {
        let n = prepared.info.dataset.missing_handled;
        if n > 0 {
            let did = if *missing == crate::config::Missing::Drop {
                format!("dropped {n} row(s) with missing values (missing = \"drop\")")
            } else {
                format!(
                    "filled {n} missing value(s) by linear interpolation (missing = \"interpolate\")"
                )
            };
            errln!("{}: {did}", prepared.info.dataset.source);
        }
    }
    if opts.fresh && opts.out.exists() {
        move_aside(&opts.out, opts.quiet)?;
    } else {
        // Refused early, before any lock file is made; checked again under the lock below.
        check_same_experiment(&opts.out, &prepared.info)?;
    }

    // Everything that could be refused has been checked: only now touch the directory.
    let _ = OUT_DIR.set(opts.out.clone());
    let (_lock, mut journal) = open_results(opts, &prepared.info)?;
    write_atomic(
        &opts.out.join("run.json"),
        serde_json::to_string_pretty(&prepared.info)?.as_bytes(),
    )?;
    write_atomic(&opts.out.join("grid.toml"), spec.text.as_bytes())?;
    let mut base_rows: Vec<_> = prepared
        .datasets
        .values()
        .flat_map(|d| baselines(d))
        .collect();
    // A rerun with other windows keeps the rows of windows already in the results (same
    // data and split, so the same figures); an unreadable old file is recomputed in part.
    if opts.out.join(report::BASELINES_CSV).is_file() {
        let old = report::read_baselines(&opts.out).unwrap_or_default();
        base_rows.extend(
            old.into_iter()
                .filter(|o| !prepared.datasets.contains_key(&o.window)),
        );
    }
    report::write_baselines(&opts.out, &base_rows)?;

    let done: HashSet<String> = report::read_journal(&opts.out)?
        .into_iter()
        .filter(|r| !opts.retry_failed || r.result.status == TrialStatus::Ok)
        .map(|r| r.trial_id)
        .collect();
    let mine = |t: &Trial| opts.shard.is_none_or(|s| s.contains(&t.id));
    let total = spec.trials().filter(|t| mine(t)).count();
    let todo: Vec<Trial> = spec
        .trials()
        .filter(|t| mine(t) && !done.contains(&t.id))
        .collect();
    let already_done = total - todo.len();

    release(opts);
    let progress = Progress::new(todo.len(), already_done, opts.quiet);
    let (tx, rx) = mpsc::channel::<TrialRecord>();
    let writer_progress = progress.clone();
    let writer = std::thread::spawn(move || -> Result<(usize, usize, usize)> {
        let (mut written, mut diverged, mut failed) = (0, 0, 0);
        for record in rx {
            journal.append(&record)?;
            written += 1;
            match record.result.status {
                TrialStatus::Ok => {}
                TrialStatus::Diverged => diverged += 1,
                TrialStatus::Failed => failed += 1,
            }
            writer_progress.finished(&record);
        }
        journal.sync()?;
        Ok((written, diverged, failed))
    });

    // Each worker is a one-thread rayon pool fed from a shared counter. dfdx's matmul hands
    // gemm `rayon::current_num_threads()`: inside one pool of N workers, gemm splits large
    // products across workers that are busy with trials of their own. `trendsweep bench`
    // measures two n_dense 512 trials sharing a 2-thread pool at 10-20 % fewer steps/s each
    // than a trial on a pool of its own; with one thread per pool each product stays put.
    let workers: Vec<rayon::ThreadPool> = (0..opts.threads.min(todo.len()))
        .map(|_| rayon::ThreadPoolBuilder::new().num_threads(1).build())
        .collect::<Result<_, _>>()
        .context("starting the worker threads")?;
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for worker in &workers {
            let (tx, next, todo, prepared, progress) =
                (tx.clone(), &next, &todo, &prepared, &progress);
            scope.spawn(move || {
                while !INTERRUPTED.load(Ordering::SeqCst) {
                    let Some(trial) = todo.get(next.fetch_add(1, Ordering::SeqCst)) else {
                        break;
                    };
                    let data = &prepared.datasets[&trial.window];
                    progress.started();
                    let record = worker.install(|| run_trial(trial, data));
                    // The writer only goes away after an I/O error, which it reports itself.
                    if tx.send(record).is_err() {
                        break;
                    }
                }
            });
        }
    });
    drop(tx);
    let (trained, diverged, failed) = writer.join().expect("the journal writer does not panic")?;
    progress.finish();
    // The report works from the journal alone: the series need not stay resident while
    // polars builds the tables.
    drop(prepared);
    release(opts);

    WRITING_TABLES.store(true, Ordering::SeqCst);
    let summary = write_tables(&opts.out).map_err(|e| {
        anyhow::anyhow!(
            "{e:#}; every finished trial is kept in the journal: once that is fixed, run `trendsweep report {}` \
             to write the tables",
            opts.out.display()
        )
    })?;
    Ok(SweepOutcome {
        total,
        already_done,
        trained,
        remaining: todo.len() - trained,
        diverged,
        failed,
        interrupted: INTERRUPTED.load(Ordering::SeqCst),
        seconds: started.elapsed().as_secs_f64(),
        summary,
    })
}
