//! Sharded sweeps on a Slurm cluster: a job array whose task K runs shard K of N into the
//! shared results directory, requeued and resumed by Slurm, and a report job that runs once
//! every task has ended (whatever its outcome) and merges what they produced.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::error::bad_input;
use crate::grid::GridSpec;
use crate::sweep::Shard;

/// What the `slurm` command was asked for.
#[derive(Debug, Clone)]
pub struct SlurmOptions {
    pub tasks: u64,
    pub cpus_per_task: u64,
    pub time: Option<String>,
    pub partition: Option<String>,
    pub mem: Option<String>,
}

/// Quotes a value for a POSIX shell.
pub(crate) fn sh(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

fn absolute(p: &Path) -> Result<PathBuf> {
    std::path::absolute(p).with_context(|| format!("resolving {}", p.display()))
}

/// The two batch scripts: the job array and the report job.
pub fn scripts(
    grid: &Path,
    out: &Path,
    binary: &Path,
    name: &str,
    opts: &SlurmOptions,
) -> Result<(String, String)> {
    if opts.tasks == 0 || opts.cpus_per_task == 0 {
        return Err(bad_input("--tasks and --cpus-per-task must be at least 1"));
    }
    let (grid, out, binary) = (absolute(grid)?, absolute(out)?, absolute(binary)?);
    let logs = out.join("slurm");
    let mut sweep = String::new();
    writeln!(sweep, "#!/bin/bash")?;
    writeln!(sweep, "#SBATCH --job-name=trendsweep-{name}")?;
    writeln!(sweep, "#SBATCH --array=0-{}", opts.tasks - 1)?;
    writeln!(sweep, "#SBATCH --ntasks=1")?;
    writeln!(sweep, "#SBATCH --cpus-per-task={}", opts.cpus_per_task)?;
    for (flag, value) in [
        ("time", &opts.time),
        ("partition", &opts.partition),
        ("mem", &opts.mem),
    ] {
        if let Some(v) = value {
            writeln!(sweep, "#SBATCH --{flag}={v}")?;
        }
    }
    writeln!(sweep, "#SBATCH --requeue")?;
    writeln!(sweep, "#SBATCH --output={}/sweep-%A_%a.out", logs.display())?;
    writeln!(
        sweep,
        "# Task K trains shard K of {}; a requeued task resumes from its journal.",
        opts.tasks
    )?;
    writeln!(sweep, "set -eu")?;
    writeln!(
        sweep,
        "exec {} sweep {} --out {} --shard \"${{SLURM_ARRAY_TASK_ID}}/{}\" --threads \"${{SLURM_CPUS_PER_TASK:-1}}\" --quiet",
        sh(&binary.to_string_lossy()),
        sh(&grid.to_string_lossy()),
        sh(&out.to_string_lossy()),
        opts.tasks
    )?;

    let mut report = String::new();
    writeln!(report, "#!/bin/bash")?;
    writeln!(report, "#SBATCH --job-name=trendsweep-{name}-report")?;
    writeln!(report, "#SBATCH --ntasks=1")?;
    writeln!(report, "#SBATCH --cpus-per-task=1")?;
    if let Some(p) = &opts.partition {
        writeln!(report, "#SBATCH --partition={p}")?;
    }
    writeln!(report, "#SBATCH --output={}/report-%j.out", logs.display())?;
    writeln!(
        report,
        "# Runs after every array task has ended (afterany) and merges their results."
    )?;
    writeln!(report, "set -eu")?;
    writeln!(
        report,
        "exec {} report {}",
        sh(&binary.to_string_lossy()),
        sh(&out.to_string_lossy())
    )?;
    Ok((sweep, report))
}

/// Writes `sweep.sbatch` and `report.sbatch` into `out` (and `out/slurm/` for the logs);
/// returns their paths.
pub fn write_scripts(
    spec: &GridSpec,
    out: &Path,
    opts: &SlurmOptions,
) -> Result<(PathBuf, PathBuf)> {
    let binary = std::env::current_exe().context("finding the trendsweep binary")?;
    let (sweep, report) = scripts(&spec.file, out, &binary, &spec.name, opts)?;
    std::fs::create_dir_all(out.join("slurm"))
        .with_context(|| format!("creating {}", out.display()))?;
    let sweep_path = out.join("sweep.sbatch");
    let report_path = out.join("report.sbatch");
    std::fs::write(&sweep_path, sweep)?;
    std::fs::write(&report_path, report)?;
    Ok((sweep_path, report_path))
}

/// Runs `sbatch --parsable [args] script` and returns the job id.
pub fn submit(script: &Path, args: &[String]) -> Result<String> {
    let out = std::process::Command::new("sbatch")
        .arg("--parsable")
        .args(args)
        .arg(script)
        .output()
        .context("running sbatch (is Slurm installed and on PATH?)")?;
    anyhow::ensure!(
        out.status.success(),
        "sbatch {} failed: {}",
        script.display(),
        String::from_utf8_lossy(&out.stderr).trim()
    );
    let text = String::from_utf8_lossy(&out.stdout);
    // --parsable prints "id" or "id;cluster".
    Ok(text.trim().split(';').next().unwrap_or("").to_string())
}

/// Trial ids without a result, by the shard that owns them (`None` for an unsharded run).
pub type MissingByShard = BTreeMap<Option<Shard>, Vec<String>>;

/// Trials of a results directory's grid that have no result yet, grouped by the shard that
/// owns them (shard count read from the shard journals; `None` for an unsharded run).
pub fn missing_trials(dir: &Path) -> Result<Option<(usize, MissingByShard)>> {
    let grid = dir.join("grid.toml");
    let Ok(text) = std::fs::read_to_string(&grid) else {
        return Ok(None);
    };
    let spec = GridSpec::parse(&text, &grid)?;
    let done: std::collections::HashSet<String> = crate::report::read_journal(dir)?
        .into_iter()
        .map(|r| r.trial_id)
        .collect();
    let shard_count = crate::report::journal::journal_files(dir)?
        .iter()
        .filter_map(|p| {
            p.file_name()
                .and_then(|n| Shard::from_journal_name(&n.to_string_lossy()))
        })
        .map(|s| s.count)
        .max();
    let mut missing: BTreeMap<Option<Shard>, Vec<String>> = BTreeMap::new();
    let mut total = 0;
    for trial in spec.trials() {
        total += 1;
        if !done.contains(&trial.id) {
            let shard = shard_count.map(|count| Shard {
                index: Shard::of(&trial.id, count),
                count,
            });
            missing.entry(shard).or_default().push(trial.id);
        }
    }
    Ok(Some((total, missing)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_array_runs_one_shard_per_task_and_the_report_waits_for_nothing_else() {
        let opts = SlurmOptions {
            tasks: 4,
            cpus_per_task: 2,
            time: Some("01:00:00".into()),
            partition: None,
            mem: None,
        };
        let (sweep, report) = scripts(
            Path::new("/g/grid.toml"),
            Path::new("/r/grid"),
            Path::new("/bin/trendsweep"),
            "grid",
            &opts,
        )
        .unwrap();
        assert!(sweep.contains("#SBATCH --array=0-3"));
        assert!(sweep.contains("#SBATCH --cpus-per-task=2"));
        assert!(sweep.contains("#SBATCH --time=01:00:00"));
        assert!(!sweep.contains("--partition"));
        assert!(sweep.contains("#SBATCH --requeue"));
        assert!(sweep.contains("--shard \"${SLURM_ARRAY_TASK_ID}/4\""));
        assert!(sweep.contains("--threads \"${SLURM_CPUS_PER_TASK:-1}\""));
        assert!(sweep.contains("#SBATCH --output=/r/grid/slurm/sweep-%A_%a.out"));
        assert!(report.contains("'/bin/trendsweep' report '/r/grid'"));
    }

    #[test]
    fn shell_quoting_survives_quotes() {
        assert_eq!(sh("a'b c"), r"'a'\''b c'");
    }
}
