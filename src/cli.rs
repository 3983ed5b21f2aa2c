//! The command line: `sweep`, `plan`, `report` and `slurm`, each with its arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "trendsweep",
    version,
    about = "Sweep a grid of settings for a forecasting model trained with a trend-aware loss"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train every trial of a grid file and write results and comparison tables.
    Sweep(SweepArgs),
    /// Write a Slurm job array that runs the grid in N shards, plus a report job after it.
    Slurm(SlurmArgs),
    /// Validate a grid file and show its trials without training anything.
    Plan(PlanArgs),
    /// Rebuild the tables from results already on disk; several directories merge into one report.
    Report(ReportArgs),
}

#[derive(Debug, Args)]
pub struct SweepArgs {
    /// The grid file (TOML).
    pub grid: PathBuf,
    /// Results directory [default: results/<name>/ beside the current directory].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Worker threads [default: all cores].
    #[arg(long)]
    pub threads: Option<usize>,
    /// Print only the closing summary (the verdict and the headline effects), no progress.
    #[arg(long)]
    pub quiet: bool,
    /// Refuse grids with more trials than this.
    #[arg(long, default_value_t = 100_000)]
    pub max_trials: u128,
    /// Start over: move the existing results directory aside (to <dir>.old-N) first.
    #[arg(long)]
    pub fresh: bool,
    /// Train the diverged and failed trials again (finished ones are otherwise kept).
    #[arg(long)]
    pub retry_failed: bool,
    /// Train only shard K (0-based) of N; shards of one grid share the results directory.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// With --shard, how long a TPE search waits for the other shards to finish a
    /// generation before it stops, naming the shards it waited for (rerunning resumes).
    #[arg(long, value_name = "SECONDS", default_value_t = 3600.0)]
    pub shard_wait: f64,
    /// Train one trial at a time instead of stacking trials that share their initial
    /// weights and batches (the numbers are the same; stacking is faster).
    #[arg(long)]
    pub no_stack: bool,
}

#[derive(Debug, Args)]
pub struct SlurmArgs {
    /// The grid file (TOML).
    pub grid: PathBuf,
    /// Number of array tasks (shards).
    #[arg(long)]
    pub tasks: u64,
    /// CPUs per task; each task runs that many trial threads.
    #[arg(long, default_value_t = 1)]
    pub cpus_per_task: u64,
    /// Time limit per task, in Slurm's format (e.g. 02:00:00).
    #[arg(long)]
    pub time: Option<String>,
    /// Partition to submit to.
    #[arg(long)]
    pub partition: Option<String>,
    /// Memory per task, in Slurm's format (e.g. 2G).
    #[arg(long)]
    pub mem: Option<String>,
    /// Results directory [default: results/<name>/].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// For a search: seconds each task waits for the others at a generation or a rung
    /// before it gives up (the sweep's --shard-wait) [default: 3600].
    #[arg(long)]
    pub shard_wait: Option<f64>,
    /// Submit both jobs with sbatch and print their ids.
    #[arg(long)]
    pub submit: bool,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The grid file (TOML).
    pub grid: PathBuf,
    /// How many trials to list.
    #[arg(long, default_value_t = 5)]
    pub first: usize,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Results directories.
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Where to write the report: a new directory, or an earlier report's output; needed
    /// with several directories, which it merges [default: the one directory given].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print nothing.
    #[arg(long)]
    pub quiet: bool,
}
