//! Running a grid: train every trial that is not finished yet on worker threads, handing
//! each finished trial to the results directory's journal ([`crate::store`]) as it finishes.
//! The sweep stops there: the tables and the summary are the report's ([`crate::report`]),
//! made from the journal alone.

pub mod interrupt;
mod progress;
mod rungs;
pub mod search;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use crate::data::{Dataset, load_series};
use crate::error::{Context, Result, bad_input};
use crate::grid::{GridSpec, Trial};
use crate::model::baselines::{baselines, evaluation_samples};
use crate::model::stack::{StackKey, max_width};
use crate::model::train::train_stack;
use crate::store::records::{TrialRecord, TrialResult, TrialStatus};
use crate::store::{self, RunInfo, Shard};

pub use progress::Progress;

/// How a sweep runs, from the command line.
#[derive(Debug, Clone)]
pub struct SweepOptions {
    /// The results directory.
    pub out: PathBuf,
    /// Worker threads for trials.
    pub threads: usize,
    /// Print only the closing summary, no progress.
    pub quiet: bool,
    /// Refuse grids with more trials than this.
    pub max_trials: u128,
    /// Move an existing results directory aside and start over.
    pub fresh: bool,
    /// Train diverged and failed trials again.
    pub retry_failed: bool,
    /// Train only this shard of the grid.
    pub shard: Option<Shard>,
    /// How long a sharded search waits for the other shards' records of a generation.
    pub shard_wait: std::time::Duration,
    /// The most trials trained together in one stack (1: one at a time).
    pub stack: usize,
}

/// The most worker threads a sweep starts: each is a thread with its own pool, and beyond
/// this many a sweep spends seconds and hundreds of megabytes only starting them.
pub const MAX_THREADS: usize = 1024;

/// Environment variable naming a trial id that panics instead of training, so the tests can
/// check that a panicking trial is recorded as `failed` and the sweep goes on. It exists only
/// in builds with the `fault-injection` feature (the test command enables it).
#[cfg(feature = "fault-injection")]
pub const PANIC_HOOK_ENV: &str = "TRENDSWEEP_TEST_PANIC_TRIAL";

/// What a finished sweep did.
pub struct SweepOutcome {
    pub total: usize,
    pub already_done: usize,
    pub trained: usize,
    /// Trials of the grid still not trained (non-zero only after an interruption).
    pub remaining: usize,
    pub diverged: usize,
    pub failed: usize,
    /// Stopped early by a search's pruning.
    pub pruned: usize,
    /// Ctrl-C stopped the sweep before every trial ran.
    pub interrupted: bool,
    pub seconds: f64,
    /// The series a collection's trials ran on (`None` for a single series): its counts
    /// above are of (trial, series) runs.
    pub series: Option<usize>,
    /// The results directory's locks, still held: drop them once the tables are written,
    /// so that no other sweep starts in the directory while they are.
    pub lock: store::SweepLock,
}

/// One series' datasets: per window value, one per fold (in time order), built once and
/// shared by every trial on the series.
pub struct PreparedSeries {
    /// The series' id in a collection; `None` for a single series.
    pub id: Option<String>,
    pub datasets: BTreeMap<usize, Arc<Vec<Dataset>>>,
}

impl PreparedSeries {
    /// The last fold's dataset of `window` (the only one without folds): the one with the
    /// most training samples, whose test pass and forecasts stand for the trial.
    pub fn last_fold(&self, window: usize) -> &Dataset {
        self.datasets[&window].last().expect("at least one fold")
    }
}

/// The datasets of a grid: one [`PreparedSeries`] for a single series, one per series long
/// enough for a collection (in the order of their ids).
pub struct Prepared {
    pub info: RunInfo,
    pub series: Vec<PreparedSeries>,
}

impl Prepared {
    /// The only series of a single-series sweep (the first of a collection).
    pub fn single(&self) -> &PreparedSeries {
        &self.series[0]
    }

    /// Whether the data is a collection of series.
    pub fn is_collection(&self) -> bool {
        self.series.first().is_some_and(|s| s.id.is_some())
    }

    /// The last fold's dataset of `window` with the most training samples over every series:
    /// what the memory check sizes a trial by.
    pub fn largest_fold(&self, window: usize) -> &Dataset {
        self.series
            .iter()
            .map(|s| s.last_fold(window))
            .max_by_key(|d| (d.train.len(), d.val.len().max(d.test.len())))
            .expect("at least one series")
    }
}

/// Loads the grid's series and builds one dataset per window (and fold). A series of a
/// collection too short for a window, the splits or the folds is left out with a warning
/// (`run.json` lists it); every series too short is bad input.
pub fn prepare(spec: &GridSpec) -> Result<Prepared> {
    let build = |series: &crate::data::Series| -> Result<BTreeMap<usize, Arc<Vec<Dataset>>>> {
        let mut datasets = BTreeMap::new();
        for w in spec.windows() {
            let d = Dataset::build_folds(series, w, &spec.split)
                .with_context(|| format!("{}: [data] window = {w}", spec.file.display()))?;
            datasets.insert(w, Arc::new(d));
        }
        Ok(datasets)
    };
    if !spec.source.is_collection() {
        let (series, fingerprint) = load_series(&spec.source)?;
        let datasets = build(&series)?;
        return Ok(Prepared {
            info: RunInfo {
                dataset: fingerprint,
                split: spec.split.clone(),
                skipped: Vec::new(),
                naive2_plain: if non_positive_naive2(&datasets) {
                    vec![series.name.clone()]
                } else {
                    Vec::new()
                },
            },
            series: vec![PreparedSeries { id: None, datasets }],
        });
    }
    let collection = crate::data::load_collection(&spec.source)?;
    let mut prepared = Vec::new();
    let mut skipped = Vec::new();
    for (id, series) in collection.series {
        let n = series.values.len();
        let needed = spec
            .windows()
            .into_iter()
            .filter_map(|w| crate::data::too_short(n, w, &spec.split))
            .max();
        if let Some(needed) = needed {
            skipped.push(crate::store::SkippedSeries {
                series: id,
                length: n,
                needed,
            });
            continue;
        }
        prepared.push(PreparedSeries {
            id: Some(id),
            datasets: build(&series)?,
        });
    }
    if prepared.is_empty() {
        return Err(bad_input(format!(
            "{}: every one of the {} series of {} is too short for the windows, splits and folds \
             ({}); at least {} values are needed: lower window, folds or the fractions",
            spec.file.display(),
            skipped.len(),
            collection.fingerprint.source,
            crate::store::SkippedSeries::listed(&skipped, 5),
            skipped.iter().map(|s| s.needed).max().unwrap_or(0)
        )));
    }
    let naive2_plain = prepared
        .iter()
        .filter(|s| non_positive_naive2(&s.datasets))
        .filter_map(|s| s.id.clone())
        .collect();
    Ok(Prepared {
        info: RunInfo {
            dataset: collection.fingerprint,
            split: spec.split.clone(),
            skipped,
            naive2_plain,
        },
        series: prepared,
    })
}

/// Whether `naive2` falls back to the plain naive forecast on some window or fold of a series
/// for values at or below zero.
fn non_positive_naive2(datasets: &BTreeMap<usize, Arc<Vec<Dataset>>>) -> bool {
    use crate::data::{Naive2, Plain};
    let plain = |n: &Naive2| *n == Naive2::Plain(Plain::NonPositive);
    datasets
        .values()
        .flat_map(|folds| folds.iter())
        .any(|d| plain(&d.val_naive2) || plain(&d.test_naive2))
}

/// Says on which series `naive2` is the plain naive forecast because of values at or below 0.
fn note_naive2(info: &RunInfo) {
    let plain = &info.naive2_plain;
    if plain.is_empty() {
        return;
    }
    let listed: Vec<String> = plain
        .iter()
        .take(5)
        .map(|s| crate::data::quoted_id(s))
        .collect();
    let more = plain.len().saturating_sub(5);
    errln!(
        "note: {}: naive2 is the plain naive forecast on {} whose values include zero or less \
         (a multiplicative season cannot divide by them): {}{}",
        info.dataset.source,
        if plain.len() == 1 {
            "1 series".to_string()
        } else {
            format!("{} series", plain.len())
        },
        listed.join(", "),
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        }
    );
}

/// Warns about each series of a collection left out for being too short.
fn note_skipped(info: &RunInfo) {
    for s in &info.skipped {
        errln!(
            "warning: {}: series {} has {} values, too few for the windows, splits and folds \
             (at least {} are needed); skipped",
            info.dataset.source,
            crate::data::quoted_id(&s.series),
            s.length,
            s.needed
        );
    }
}

/// Refuses a grid whose trials cannot fit in the memory left (see [`crate::memory`]) with
/// `threads` workers, one trial at a time each; the message starts with the grid file's
/// path. Returns the widest stack, up to `stack`, whose trials fit `threads` at a time:
/// stacks are narrowed to fit rather than refused, as their width changes no number.
pub fn check_memory(
    spec: &GridSpec,
    prepared: &Prepared,
    threads: usize,
    stack: usize,
) -> Result<usize> {
    let Some(available) = crate::memory::available() else {
        return Ok(stack);
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
    let per_shape = (spec.planned_trials() / shapes).max(1);
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
        let d = prepared.largest_fold(*window);
        let shape = crate::memory::TrialShape {
            window: *window,
            config,
            n_inputs: d.n_inputs,
            n_train: d.train.len(),
            n_rows: d.train.len().max(d.val.len()).max(d.test.len()),
        };
        (shape, per_shape)
    });
    let largest = sized
        .clone()
        .map(|(t, _)| {
            crate::memory::TrialMemory::estimate(t.n_inputs, t.n_train, t.n_rows, t.config).total()
        })
        .max()
        .unwrap_or(0);
    crate::memory::check_fits(sized.clone(), threads, 1, available)
        .map_err(|why| bad_input(format!("{}: {why}", spec.file.display())))?;
    // A pruned search holds its whole generation between rungs (checked below), stacked or
    // not; otherwise each thread holds one stack, halved until `threads` of them fit.
    let pruning = spec.prune.strategy != crate::config::PruneStrategy::None;
    let mut width = stack.max(1);
    while !pruning
        && width > 1
        && crate::memory::check_fits(sized.clone(), threads, width, available).is_err()
    {
        width /= 2;
    }
    // A trial on folds holds one model per fold, and pruning keeps a whole generation's
    // trials in memory between rungs: neither is bounded by --threads.
    let folds = spec.split.folds.max(1) as u64;
    let live_trials = if pruning {
        let configs = usize::try_from(spec.config_count()).unwrap_or(usize::MAX);
        (spec.search.generation.min(configs) as u64)
            .saturating_mul(spec.seeds().len() as u64)
            .max(threads as u64)
    } else {
        threads as u64
    };
    let together = largest.saturating_mul(live_trials).saturating_mul(folds);
    if (pruning || folds > 1) && together > available {
        let why = if pruning {
            format!(
                "[search] generation = {}: pruning keeps a generation's {live_trials} trials{} in \
                 memory between rungs; at about {} each that is {}, more than the {} available; \
                 lower generation (or the largest n_dense)",
                spec.search
                    .generation
                    .min(usize::try_from(spec.config_count()).unwrap_or(usize::MAX)),
                if folds > 1 {
                    format!(" × {folds} folds")
                } else {
                    String::new()
                },
                crate::memory::human(largest),
                crate::memory::human(together),
                crate::memory::human(available)
            )
        } else {
            format!(
                "[data] folds = {folds}: a trial holds one model per fold; {threads} trials at \
                 once at about {} a fold need {}, more than the {} available; lower folds or \
                 --threads",
                crate::memory::human(largest),
                crate::memory::human(together),
                crate::memory::human(available)
            )
        };
        return Err(bad_input(format!("{}: {why}", spec.file.display())));
    }
    Ok(width)
}

/// Trains trials that share a [`StackKey`] together on every fold (see
/// [`crate::model::stack`]); each record is the one the trial alone would give. A panic
/// makes every trial of the stack a `failed` record, so the sweep goes on.
pub fn run_stack(trials: &[Trial], folds: &[Dataset]) -> Vec<TrialRecord> {
    let results = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        #[cfg(feature = "fault-injection")]
        if let Ok(id) = std::env::var(PANIC_HOOK_ENV)
            && let Some(trial) = trials.iter().find(|t| t.id == id)
        {
            panic!("test hook: trial {} panics on purpose", trial.id);
        }
        let cfgs: Vec<_> = trials.iter().map(|t| t.config.clone()).collect();
        train_stack(folds, &cfgs)
    }))
    .unwrap_or_else(|panic| {
        let message = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "the trial panicked".into());
        trials
            .iter()
            .map(|_| TrialResult::failed(message.clone()))
            .collect()
    });
    trials
        .iter()
        .zip(results)
        .map(|(trial, result)| TrialRecord {
            trial_id: trial.id.clone(),
            series: None,
            window: trial.window,
            config: trial.config.clone(),
            result,
            search: None,
        })
        .collect()
}

/// Groups trials into stacks: trials with the same [`StackKey`], in the order they come,
/// at most `limit` to a stack (fewer for shapes that cannot stack, see [`max_width`]).
/// Each trial's numbers are those it has alone, so the grouping changes only the speed.
/// The stacks come longest first (by steps times trials, as [`stack_work`] counts them), so
/// the threads end together.
pub fn plan_stacks(
    trials: Vec<Trial>,
    prepared: &PreparedSeries,
    limit: usize,
    fault_free: impl Fn(&Trial) -> bool,
) -> Vec<Vec<Trial>> {
    let mut stacks: Vec<Vec<Trial>> = Vec::new();
    // The stack each key is filling, while it has room.
    let mut open: HashMap<StackKey, usize> = HashMap::new();
    for trial in trials {
        if !fault_free(&trial) {
            stacks.push(vec![trial]);
            continue;
        }
        let key = StackKey::of(trial.window, &trial.config);
        let width = max_width(
            prepared.last_fold(trial.window).n_inputs,
            key.batch_size,
            limit,
        );
        match open.get(&key) {
            Some(&i) if stacks[i].len() < width => stacks[i].push(trial),
            _ => {
                open.insert(key, stacks.len());
                stacks.push(vec![trial]);
            }
        }
    }
    stacks.sort_by_key(|s| std::cmp::Reverse(stack_work(s, prepared)));
    stacks
}

/// What a stack costs to train, roughly: its steps times its width times its members.
fn stack_work(stack: &[Trial], prepared: &PreparedSeries) -> u128 {
    let t = &stack[0];
    let folds = &prepared.datasets[&t.window];
    let samples: usize = folds.iter().map(|d| d.train.len()).sum();
    let steps = (t.config.epochs * samples.div_ceil(t.config.batch_size.max(1))) as u128;
    let per_step = (t.config.batch_size.max(1) * (t.config.n_dense + 1) * stack.len()) as u128;
    // A step's fixed cost is about that of a few thousand multiply-adds.
    steps * (per_step + 4096)
}

/// The worker threads of a sweep, each a one-thread rayon pool, with the way to the journal
/// and the progress display.
pub(crate) struct Workers<'a> {
    pools: Vec<rayon::ThreadPool>,
    journal: mpsc::Sender<TrialRecord>,
    progress: &'a Progress,
    /// The most trials a stack holds (`--no-stack`: 1).
    stack: usize,
}

impl Workers<'_> {
    /// Runs `job` on every item, the workers taking the next item as they come free, and
    /// returns the results in item order. Items not started because of an interruption
    /// give `None`.
    pub(crate) fn map<T: Sync, R: Send>(
        &self,
        items: &[T],
        job: impl Fn(&T) -> R + Sync,
    ) -> Vec<Option<R>> {
        let results: Vec<std::sync::Mutex<Option<R>>> =
            items.iter().map(|_| std::sync::Mutex::new(None)).collect();
        let next = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for pool in self.pools.iter().take(items.len()) {
                let (next, results, job) = (&next, &results, &job);
                scope.spawn(move || {
                    while !crate::sweep::interrupt::requested() {
                        let i = next.fetch_add(1, Ordering::SeqCst);
                        let Some(item) = items.get(i) else {
                            break;
                        };
                        let out = pool.install(|| job(item));
                        *results[i].lock().expect("a result slot") = Some(out);
                    }
                });
            }
        });
        results
            .into_iter()
            .map(|m| m.into_inner().expect("a result slot"))
            .collect()
    }

    /// Hands a finished trial to the journal writer. False once the writer has gone (after
    /// an I/O error, which it reports itself).
    pub(crate) fn record(&self, record: TrialRecord) -> bool {
        self.journal.send(record).is_ok()
    }

    pub(crate) fn progress(&self) -> &Progress {
        self.progress
    }
}

/// Refuses options no sweep can run with; needs neither the data nor the results directory,
/// so it answers before either is touched.
pub fn check_options(spec: &GridSpec, opts: &SweepOptions) -> Result<()> {
    let total = spec.planned_trials();
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
    if spec.source.is_collection() && spec.is_search() {
        return Err(bad_input(format!(
            "{}: a collection ([data] series_column or series) is swept as a grid: each of its \
             series trains every setting; remove [search] and [prune] (or sweep one series at a \
             time)",
            spec.file.display()
        )));
    }
    if opts.fresh && opts.shard.is_some() {
        return Err(bad_input(
            "--fresh with --shard: other shards share the results directory; start over with another --out",
        ));
    }
    if opts.fresh {
        check_fresh_target(&opts.out)?;
    }
    store::check_out_dir(&opts.out)
}

/// `--fresh` renames the results directory aside: the directory the command runs in (or
/// one holding it) cannot be renamed from inside, so that is refused before anything moves.
fn check_fresh_target(out: &std::path::Path) -> Result<()> {
    let (Ok(target), Ok(here)) = (out.canonicalize(), std::env::current_dir()) else {
        return Ok(());
    };
    let here = here.canonicalize().unwrap_or(here);
    if here.starts_with(&target) {
        let what = if here == target {
            "the directory this command runs in"
        } else {
            "a directory holding the one this command runs in"
        };
        return Err(bad_input(format!(
            "--out {} --fresh: {} is {what}, and --fresh would move it aside to start over; \
             run the sweep from outside it (e.g. from its parent folder, with --out naming it), \
             or give --out a folder of its own",
            out.display(),
            target.display()
        )));
    }
    Ok(())
}

/// Whether a trial may share a stack: always, except the one a fault-injection build is
/// told to make panic, which trains alone so that it alone fails.
pub(crate) fn fault_free(_trial: &Trial) -> bool {
    #[cfg(feature = "fault-injection")]
    if std::env::var(PANIC_HOOK_ENV).is_ok_and(|id| id == _trial.id) {
        return false;
    }
    true
}

/// Says what loading the series did to missing values, when it did anything.
fn note_missing_values(spec: &GridSpec, info: &RunInfo) {
    if let crate::config::Source::File(file) = &spec.source {
        let n = info.dataset.missing_handled;
        if n > 0 {
            let did = if file.missing == crate::config::Missing::Drop {
                format!("dropped {n} row(s) with missing values (missing = \"drop\")")
            } else {
                format!(
                    "filled {n} missing value(s) by linear interpolation (missing = \"interpolate\")"
                )
            };
            errln!("{}: {did}", info.dataset.source);
        }
    }
}

/// Writes the baselines' tables: `baselines.csv` (and per fold `baseline_folds.csv`), with
/// a `series` column for a collection, and for a single series the evaluation samples the
/// significance tests pair.
fn write_baselines(spec: &GridSpec, prepared: &Prepared, opts: &SweepOptions) -> Result<()> {
    let mut by_fold: Vec<Vec<_>> = vec![Vec::new(); spec.split.folds.max(1)];
    let mut base_rows = Vec::new();
    for series in &prepared.series {
        for folds in series.datasets.values() {
            let per_fold: Vec<Vec<_>> = folds
                .iter()
                .map(|d| {
                    let mut rows = baselines(d);
                    for r in &mut rows {
                        r.series = series.id.clone();
                    }
                    rows
                })
                .collect();
            for (fold, rows) in per_fold.iter().enumerate() {
                by_fold[fold].extend(rows.iter().cloned());
            }
            base_rows.extend(store::fold_means(&per_fold));
        }
    }
    if spec.split.folds > 1 {
        store::write_baseline_folds(&opts.out, &by_fold)?;
    }
    // A rerun with other windows keeps the rows of windows already in the results (same
    // data and split, so the same figures); an unreadable old file is recomputed in part.
    let single = prepared.single();
    if !prepared.is_collection() && opts.out.join(store::BASELINES_CSV).is_file() {
        let old = store::read_baselines(&opts.out).unwrap_or_default();
        base_rows.extend(
            old.into_iter()
                .filter(|o| !single.datasets.contains_key(&o.window)),
        );
    }
    store::write_baselines(&opts.out, &base_rows)?;
    if prepared.is_collection() {
        // The significance tests pair one series' samples: a collection has none to pair.
        return store::remove_if_present(&opts.out.join(store::EVALUATION_PARQUET));
    }
    let samples: Vec<_> = single
        .datasets
        .keys()
        .map(|&w| evaluation_samples(single.last_fold(w)))
        .collect();
    store::write_evaluation(&opts.out, &samples)
}

/// Runs a sweep of `spec` on its `prepared` data (see [`prepare`]; dropped once the trials
/// have ended): trains what is not yet in the results directory's journal, with the baselines
/// beside it. The tables are left to [`crate::report::build`].
pub fn run(spec: &GridSpec, prepared: Prepared, opts: &SweepOptions) -> Result<SweepOutcome> {
    let started = Instant::now();
    check_options(spec, opts)?;
    let stack = check_memory(spec, &prepared, opts.threads, opts.stack)?;
    if !opts.quiet {
        note_missing_values(spec, &prepared.info);
        note_skipped(&prepared.info);
        note_naive2(&prepared.info);
    }
    if opts.fresh && opts.out.exists() {
        let aside = store::move_aside(&opts.out)?;
        if !opts.quiet {
            errln!("--fresh: moved the old results to {}", aside.display());
        }
    } else {
        // Refused early, before any lock file is made; checked again under the lock below.
        store::check_same_experiment(&opts.out, &prepared.info)?;
    }

    // Everything that could be refused has been checked: only now touch the directory.
    crate::sweep::interrupt::set_out_dir(&opts.out);
    let (lock, mut journal) = store::open_for_sweep(&opts.out, opts.shard, &prepared.info)?;
    prepared.info.write(&opts.out)?;
    store::write_bytes(&opts.out.join(store::GRID_TOML), spec.text.as_bytes())?;
    write_baselines(spec, &prepared, opts)?;

    let mine = |t: &Trial| opts.shard.is_none_or(|s| s.contains(&t.id));
    let (total, todo, known) = if spec.is_search() {
        // A search needs the results themselves: later generations are drawn from them.
        let known: std::collections::HashMap<String, TrialRecord> = store::read_journal(&opts.out)?
            .into_iter()
            .filter(|r| {
                !opts.retry_failed
                    || matches!(r.result.status, TrialStatus::Ok | TrialStatus::Pruned)
            })
            .map(|r| (r.trial_id.clone(), r))
            .collect();
        let total = usize::try_from(spec.planned_trials()).unwrap_or(usize::MAX);
        (total, Vec::new(), known)
    } else {
        // A unit of work is a trial on a series: a collection's trial is done series by series.
        let done = store::done_units(&opts.out, opts.retry_failed)?;
        // The grid is expanded once; every series trains each of its trials.
        let trials: Vec<Trial> = spec.trials().filter(|t| mine(t)).collect();
        let total = trials.len() * prepared.series.len();
        let todo: Vec<(usize, Vec<Trial>)> = prepared
            .series
            .iter()
            .enumerate()
            .map(|(k, series)| {
                let left = trials
                    .iter()
                    .filter(|t| !done.contains(&(t.id.clone(), series.id.clone())))
                    .cloned()
                    .collect();
                (k, left)
            })
            .collect();
        (total, todo, Default::default())
    };
    let already_done = if spec.is_search() {
        known.len()
    } else {
        total - todo.iter().map(|(_, t)| t.len()).sum::<usize>()
    };

    let progress = Progress::new(total.saturating_sub(already_done), already_done, opts.quiet);
    let (tx, rx) = mpsc::channel::<TrialRecord>();
    let writer_progress = progress.clone();
    let writer = std::thread::spawn(move || -> Result<[usize; 4]> {
        let (mut written, mut diverged, mut failed, mut pruned) = (0, 0, 0, 0);
        for record in rx {
            journal.append(&record)?;
            written += 1;
            match record.result.status {
                TrialStatus::Ok => {}
                TrialStatus::Diverged => diverged += 1,
                TrialStatus::Failed => failed += 1,
                TrialStatus::Pruned => pruned += 1,
            }
            writer_progress.finished(&record);
        }
        journal.sync()?;
        Ok([written, diverged, failed, pruned])
    });

    // Each worker is a one-thread rayon pool fed from a shared counter. dfdx's matmul hands
    // gemm `rayon::current_num_threads()`: inside one pool of N workers, gemm splits large
    // products across workers that are busy with trials of their own. The benchmarks
    // measure two n_dense 512 trials sharing a 2-thread pool at 10-20 % fewer steps/s each
    // than a trial on a pool of its own; with one thread per pool each product stays put.
    let pools: Vec<rayon::ThreadPool> = (0..opts.threads.min(total.max(1)))
        .map(|_| rayon::ThreadPoolBuilder::new().num_threads(1).build())
        .collect::<Result<_, _>>()
        .context("starting the worker threads")?;
    let workers = Workers {
        pools,
        journal: tx,
        progress: &progress,
        stack,
    };
    let searched = if spec.is_search() {
        search::run(spec, &prepared, opts, known, &workers)
    } else {
        // Each series' trials stack among themselves; every stack of every series is one
        // item of work, the longest first, so the threads end together.
        let mut stacks: Vec<(usize, Vec<Trial>)> = Vec::new();
        for (k, trials) in todo {
            let series = &prepared.series[k];
            stacks.extend(
                plan_stacks(trials, series, stack, fault_free)
                    .into_iter()
                    .map(|s| (k, s)),
            );
        }
        stacks.sort_by_key(|(k, s)| std::cmp::Reverse(stack_work(s, &prepared.series[*k])));
        workers.map(&stacks, |(k, stack)| {
            let series = &prepared.series[*k];
            let data = &series.datasets[&stack[0].window];
            for _ in stack {
                progress.started();
            }
            for mut record in run_stack(stack, data) {
                record.series = series.id.clone();
                workers.record(record);
            }
        });
        Ok(())
    };
    let tx = workers.journal;
    drop(tx);
    let [trained, diverged, failed, pruned] =
        writer.join().expect("the journal writer does not panic")?;
    searched?;
    progress.finish();
    Ok(SweepOutcome {
        total,
        already_done,
        trained,
        remaining: total.saturating_sub(already_done + trained),
        diverged,
        failed,
        pruned,
        interrupted: crate::sweep::interrupt::requested(),
        seconds: started.elapsed().as_secs_f64(),
        series: prepared.is_collection().then_some(prepared.series.len()),
        lock,
    })
}
