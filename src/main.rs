//! trendsweep's command line: parse, run the subcommand, map errors to exit statuses
//! (2 for input the user can fix, 1 for failures while running).

mod cli;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;
use trendsweep::error::is_bad_input;
use trendsweep::grid::{GridSpec, plan_text};
use trendsweep::sweep::{self, SweepOptions};
use trendsweep::{data, report};

use cli::{Cli, Command};

/// A sweep stopped by Ctrl-C: exit status 130, as a shell reports SIGINT.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Interrupted(String);

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is::<Interrupted>() => {
            eprintln!("{e}");
            ExitCode::from(130)
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(if is_bad_input(&e) { 2 } else { 1 })
        }
    }
}

fn run(command: Command) -> Result<()> {
    match command {
        Command::Sweep { grid, out, threads, quiet, max_trials, fresh, retry_failed } => {
            let spec = GridSpec::load(&grid)?;
            let out = out.unwrap_or_else(|| PathBuf::from("results").join(&spec.name));
            let threads = threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
            let opts = SweepOptions { out: out.clone(), threads, quiet, max_trials, fresh, retry_failed };
            sweep::install_interrupt_handler();
            let outcome = sweep::run(&spec, &opts)?;
            println!("{}", outcome.summary.terminal());
            if !quiet {
                eprintln!(
                    "{} trials ({} found done, {} trained: {} diverged, {} failed) in {:.1} s on {threads} threads; results in {}",
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
        Command::Plan { grid, first } => {
            let spec = GridSpec::load(&grid)?;
            let prepared = sweep::prepare(&spec)?;
            let n_train = |w: usize| prepared.datasets.get(&w).map_or(0, |d: &std::sync::Arc<data::Dataset>| d.train.len());
            print!("{}", plan_text(&spec, first, Some(spec.total_steps(n_train))));
            Ok(())
        }
        Command::Bench { quick } => {
            let scratch = tempfile_dir()?;
            let result = trendsweep::bench::run(quick, &scratch);
            let _ = std::fs::remove_dir_all(&scratch);
            result
        }
        Command::Report { dirs, out, quiet } => {
            let out = out.unwrap_or_else(|| dirs[0].clone());
            for d in &dirs {
                // A directory whose sweep was interrupted has a journal but maybe no tables yet.
                let records = report::read_journal(d)?;
                if !records.is_empty() {
                    report::write_trial_tables(d, &records)?;
                }
            }
            let summary = report::summarize(&dirs)?;
            std::fs::create_dir_all(&out)?;
            summary.write(&out)?;
            if !quiet {
                println!("{}", summary.terminal());
            }
            Ok(())
        }
    }
}

/// A scratch directory for the benchmark's child sweeps, removed afterwards.
fn tempfile_dir() -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("trendsweep-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
