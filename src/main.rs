//! trendsweep's command line. A sweep is the pipeline grid → data → trials → results
//! directory → report; `report` runs its last step again on results already on disk, `plan`
//! its first two, `slurm` writes job scripts that run it in shards. Errors map to exit
//! statuses: 2 for input the user can fix, 1 for failures while running, 128 + the signal's
//! number for a sweep stopped by one.

mod cli;
mod slurm;

/// jemalloc rather than the system allocator: every dfdx op allocates and zeroes its output
/// and gradients, and a batch-1 step's gradient buffers are too large for glibc's per-thread
/// cache, so each took glibc's slower path. With jemalloc a batch-1 step runs 15 % fewer
/// instructions, and a sweep's resident memory is lower too (docs/performance.md).
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;
use trendsweep::error::Error;
use trendsweep::grid::{GridSpec, plan_text};
use trendsweep::model::stack::MAX_STACK;
use trendsweep::sweep::interrupt;
use trendsweep::sweep::{self, SweepOptions};
use trendsweep::{report, store};

use cli::{Cli, Command, PlanArgs, ReportArgs, SlurmArgs, SweepArgs};
use trendsweep::{errln, out, outln};

/// A sweep stopped by Ctrl-C, SIGTERM or SIGHUP: exit status 128 + the signal's number, as
/// a shell reports a process the signal ended.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Interrupted(String);

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Sweep(args) => sweep(args),
        Command::Plan(args) => plan(args),
        Command::Report(args) => report(args),
        Command::Slurm(args) => slurm(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is::<Interrupted>() => {
            errln!("{e}");
            ExitCode::from(interrupt::exit_status())
        }
        Err(e) => {
            errln!("error: {e:#}");
            // The kind decides: 2 for input the user can fix, 1 for the rest.
            let status = e.downcast_ref::<Error>().map_or(1, Error::exit_status);
            ExitCode::from(status)
        }
    }
}

/// `--shard-wait`: a number of seconds, at least 0 and below a year.
fn shard_wait(seconds: f64) -> Result<std::time::Duration> {
    if !(0.0..=31_536_000.0).contains(&seconds) {
        return Err(trendsweep::error::bad_input(format!(
            "--shard-wait {seconds}: give the seconds to wait, from 0 to 31536000 (a year)"
        ))
        .into());
    }
    Ok(std::time::Duration::from_secs_f64(seconds))
}

/// `sweep`: train what the results directory lacks, then build its report.
fn sweep(args: SweepArgs) -> Result<()> {
    let shard = args.shard.as_deref().map(store::Shard::parse).transpose()?;
    let spec = GridSpec::load(&args.grid)?;
    let out = args
        .out
        .unwrap_or_else(|| PathBuf::from("results").join(&spec.name));
    let threads = args.threads.unwrap_or_else(default_threads);
    let opts = SweepOptions {
        out: out.clone(),
        threads,
        quiet: args.quiet,
        max_trials: args.max_trials,
        fresh: args.fresh,
        retry_failed: args.retry_failed,
        shard,
        shard_wait: shard_wait(args.shard_wait)?,
        stack: if args.no_stack { 1 } else { MAX_STACK },
    };
    interrupt::install();
    sweep::check_options(&spec, &opts)?;
    let prepared = sweep::prepare(&spec)?;
    release_memory(); // the series, once its datasets are built
    let outcome = sweep::run(&spec, prepared, &opts)?;
    release_memory(); // the datasets: the report works from the journal alone

    interrupt::writing_tables();
    let built = report::build_for_sweep(&out, shard.is_some()).map_err(|e| {
        anyhow::anyhow!(
            "{e:#}; every finished trial is kept in the journal: once that is fixed, run `trendsweep report {}` \
             to write the tables",
            out.display()
        )
    })?;
    drop(outcome.lock);
    outln!("{}", built.terminal());
    if !args.quiet {
        let part = shard.map_or(String::new(), |s| format!(" in shard {s}"));
        // A collection counts runs: each trial once on each series.
        let what = match outcome.series {
            Some(n) => format!("runs of a trial on a series ({n} series)"),
            None => "trials".into(),
        };
        errln!(
            "{} {what}{part} ({} found done, {} trained: {} diverged, {} failed) in {:.1} s on {threads} threads; results in {}",
            outcome.total,
            outcome.already_done,
            outcome.trained,
            outcome.diverged,
            outcome.failed,
            outcome.seconds,
            out.display()
        );
    }
    if outcome.interrupted && outcome.remaining == 0 {
        // The signal came too late to stop anything: every trial ended and the tables are
        // written, so the sweep is complete and says so with status 0 (a preempted Slurm
        // task is not counted as failed).
        errln!(
            "a stop signal came after every trial had started: all {} trials are done and the tables in {} are written",
            outcome.total,
            out.display()
        );
    } else if outcome.interrupted {
        return Err(Interrupted(format!(
            "interrupted: {} of {} trials are done and saved in {}; run the same command again to train the rest",
            outcome.total - outcome.remaining,
            outcome.total,
            out.display()
        ))
        .into());
    }
    Ok(())
}

/// `plan`: check the grid and its data, and show what a sweep would train.
fn plan(args: PlanArgs) -> Result<()> {
    let spec = GridSpec::load(&args.grid)?;
    let prepared = sweep::prepare(&spec)?;
    let stack = sweep::check_memory(&spec, &prepared, default_threads(), MAX_STACK)?;
    // With rolling-origin folds a trial trains once per fold: its steps are those of every
    // fold's training part (and of every series of a collection).
    let n_train = |w: usize| {
        prepared
            .series
            .iter()
            .filter_map(|s| s.datasets.get(&w))
            .map(|f| f.iter().map(|d| d.train.len()).sum::<usize>())
            .sum()
    };
    out!(
        "{}",
        plan_text(&spec, args.first, Some(spec.total_steps(n_train)))
    );
    if prepared.is_collection() {
        outln!(
            "series        {} of {}, each swept as if alone ({} too short, skipped)",
            prepared.series.len(),
            prepared.series.len() + prepared.info.skipped.len(),
            prepared.info.skipped.len()
        );
    }
    // How the sweep will group them (listing a huge grid's trials would take long).
    if !spec.is_search() && spec.trial_count() <= 1_000_000 {
        let per_series =
            sweep::plan_stacks(spec.trials().collect(), prepared.single(), stack, |_| true);
        outln!(
            "stacks        {}: trials that share window, seed, n_dense, activation, batch_size,\n              \
             shuffle and epochs train together, up to {stack} at a time (--no-stack: one at a\n              \
             time, with the same numbers){}",
            per_series.len() * prepared.series.len(),
            if prepared.is_collection() {
                format!(", {} per series", per_series.len())
            } else {
                String::new()
            }
        );
    }
    Ok(())
}

/// `report`: rebuild one results directory's tables, or merge several into a new one.
fn report(args: ReportArgs) -> Result<()> {
    let built = report::build(&args.dirs, args.out.as_deref())?;
    warn_missing(&built.dir)?;
    if !args.quiet {
        outln!("{}", built.terminal());
    }
    Ok(())
}

/// Says which trials of a directory's grid have no result yet, and which shard owns them,
/// so a partial grid is never taken for a complete one.
fn warn_missing(dir: &Path) -> Result<()> {
    let Some((total, missing)) = report::missing_trials(dir)? else {
        return Ok(());
    };
    let count: usize = missing.values().map(Vec::len).sum();
    if count == 0 {
        return Ok(());
    }
    errln!(
        "warning: {}: {count} of {total} trials of its grid have no result yet:",
        dir.display()
    );
    for (shard, ids) in &missing {
        let owner = shard.map_or("not sharded".to_string(), |s| format!("shard {s}"));
        let shown: Vec<&str> = ids.iter().take(5).map(String::as_str).collect();
        let more = if ids.len() > 5 {
            format!(" and {} more", ids.len() - 5)
        } else {
            String::new()
        };
        errln!(
            "  {owner}: {} missing ({}{more})",
            ids.len(),
            shown.join(", ")
        );
    }
    Ok(())
}

/// `slurm`: write (and optionally submit) the job array and the report job.
fn slurm(args: SlurmArgs) -> Result<()> {
    let spec = GridSpec::load(&args.grid)?;
    let out = args
        .out
        .unwrap_or_else(|| PathBuf::from("results").join(&spec.name));
    if let Some(seconds) = args.shard_wait {
        shard_wait(seconds)?;
    }
    let opts = slurm::SlurmOptions {
        tasks: args.tasks,
        cpus_per_task: args.cpus_per_task,
        time: args.time,
        partition: args.partition,
        mem: args.mem,
        shard_wait: args.shard_wait,
    };
    let (sweep_script, report_script) = slurm::write_scripts(&spec, &out, &opts)?;
    outln!(
        "wrote {} ({} array tasks) and {}",
        sweep_script.display(),
        args.tasks,
        report_script.display()
    );
    if spec.is_search() && args.tasks > 1 {
        outln!(
            "a search's tasks wait for each other at every generation (and rung): the {} tasks \
             must run at the same time; each gives up after {} s alone (--shard-wait)",
            args.tasks,
            args.shard_wait.unwrap_or(3600.0)
        );
    }
    if args.submit {
        let array = slurm::submit(&sweep_script, &[])?;
        let report = slurm::submit(&report_script, &[format!("--dependency=afterany:{array}")])?;
        outln!(
            "submitted: job array {array}, report job {report} (runs after every task has ended)"
        );
    } else {
        outln!(
            "submit with:\n  array=$(sbatch --parsable {})\n  sbatch --dependency=afterany:$array {}",
            sweep_script.display(),
            report_script.display()
        );
    }
    Ok(())
}

/// One worker thread per core, the default for `--threads`.
fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Returns the pages jemalloc keeps after a free to the system now rather than after its
/// decay time (about 10 s), so memory just freed is not resident while the next step runs.
fn release_memory() {
    // "arena.<MALLCTL_ARENAS_ALL>.purge" reads and writes nothing: null pointers, length 0.
    // A failure would only leave the pages to jemalloc's decay, so its status is not checked.
    // SAFETY: a documented jemalloc control with the arguments it takes.
    unsafe {
        use std::ptr::null_mut;
        tikv_jemalloc_sys::mallctl(
            c"arena.4096.purge".as_ptr(),
            null_mut(),
            null_mut(),
            null_mut(),
            0,
        );
    }
}
