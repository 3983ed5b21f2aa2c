//! trendsweep's command line: parse, run the subcommand, map errors to exit statuses
//! (2 for input the user can fix, 1 for failures while running).

mod cli;

/// jemalloc rather than the system allocator: every dfdx op allocates and zeroes its output
/// and gradients, and a batch-1 step's gradient buffers are too large for glibc's per-thread
/// cache, so each took glibc's slower path. With jemalloc a batch-1 step runs 15 % fewer
/// instructions, and a sweep's resident memory is lower too (README, Performance).
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;
use trendsweep::error::is_bad_input;
use trendsweep::grid::{GridSpec, plan_text};
use trendsweep::sweep::{self, SweepOptions};
use trendsweep::{data, report, slurm};

use cli::{Cli, Command};
use trendsweep::{errln, out, outln};

/// Returns the pages jemalloc keeps after a free to the system now rather than after its
/// decay time (about 10 s), so a sweep's datasets, dropped once its trials end, are not
/// resident while the report is built.
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

/// A sweep stopped by Ctrl-C, SIGTERM or SIGHUP: exit status 128 + the signal's number, as
/// a shell reports a process the signal ended.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Interrupted(String);

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is::<Interrupted>() => {
            errln!("{e}");
            ExitCode::from(sweep::interrupt_status())
        }
        Err(e) => {
            errln!("error: {e:#}");
            ExitCode::from(if is_bad_input(&e) { 2 } else { 1 })
        }
    }
}

fn run(command: Command) -> Result<()> {
    match command {
        Command::Sweep {
            grid,
            out,
            threads,
            quiet,
            max_trials,
            fresh,
            retry_failed,
            shard,
        } => {
            let shard = shard.as_deref().map(sweep::Shard::parse).transpose()?;
            let spec = GridSpec::load(&grid)?;
            let out = out.unwrap_or_else(|| PathBuf::from("results").join(&spec.name));
            let threads = threads.unwrap_or_else(default_threads);
            let opts = SweepOptions {
                out: out.clone(),
                threads,
                quiet,
                max_trials,
                fresh,
                retry_failed,
                shard,
                release_memory: Some(release_memory),
            };
            sweep::install_interrupt_handler();
            let outcome = sweep::run(&spec, &opts)?;
            outln!("{}", outcome.summary.terminal());
            if !quiet {
                let part = shard.map_or(String::new(), |s| format!(" in shard {s}"));
                errln!(
                    "{} trials{part} ({} found done, {} trained: {} diverged, {} failed) in {:.1} s on {threads} threads; results in {}",
                    outcome.total,
                    outcome.already_done,
                    outcome.trained,
                    outcome.diverged,
                    outcome.failed,
                    outcome.seconds,
                    out.display()
                );
            }
            if outcome.interrupted {
                return Err(Interrupted(if outcome.remaining == 0 {
                    format!(
                        "interrupted after every trial had ended: all {} trials are done and the tables in {} are written",
                        outcome.total,
                        out.display()
                    )
                } else {
                    format!(
                        "interrupted: {} of {} trials are done and saved in {}; run the same command again to train the rest",
                        outcome.total - outcome.remaining,
                        outcome.total,
                        out.display()
                    )
                })
                .into());
            }
            Ok(())
        }
        Command::Plan { grid, first } => {
            let spec = GridSpec::load(&grid)?;
            let prepared = sweep::prepare(&spec)?;
            sweep::check_memory(&spec, &prepared, default_threads())?;
            let n_train = |w: usize| {
                prepared
                    .datasets
                    .get(&w)
                    .map_or(0, |d: &std::sync::Arc<data::Dataset>| d.train.len())
            };
            out!(
                "{}",
                plan_text(&spec, first, Some(spec.total_steps(n_train)))
            );
            Ok(())
        }
        Command::Slurm {
            grid,
            tasks,
            cpus_per_task,
            time,
            partition,
            mem,
            out,
            submit,
        } => {
            let spec = GridSpec::load(&grid)?;
            let out = out.unwrap_or_else(|| PathBuf::from("results").join(&spec.name));
            let opts = slurm::SlurmOptions {
                tasks,
                cpus_per_task,
                time,
                partition,
                mem,
            };
            let (sweep_script, report_script) = slurm::write_scripts(&spec, &out, &opts)?;
            outln!(
                "wrote {} ({tasks} array tasks) and {}",
                sweep_script.display(),
                report_script.display()
            );
            if submit {
                let array = slurm::submit(&sweep_script, &[])?;
                let report =
                    slurm::submit(&report_script, &[format!("--dependency=afterany:{array}")])?;
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
        Command::Report { dirs, out, quiet } => {
            let summary = report::command::run(&dirs, out.as_deref())?;
            if !quiet {
                outln!("{}", summary.terminal());
            }
            Ok(())
        }
    }
}

/// One worker thread per core, the default for `--threads`.
fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
