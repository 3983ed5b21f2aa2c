//! Sharded sweeps on a Slurm cluster: a job array whose task K runs shard K of N into the
//! shared results directory, requeued and resumed by Slurm, and a report job that runs once
//! every task has ended (whatever its outcome) and merges what they produced.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use trendsweep::error::{Context, Error, Result};

use trendsweep::error::bad_input;
use trendsweep::grid::GridSpec;

/// What the `slurm` command was asked for.
#[derive(Debug, Clone)]
pub struct SlurmOptions {
    pub tasks: u64,
    pub cpus_per_task: u64,
    pub time: Option<String>,
    pub partition: Option<String>,
    pub mem: Option<String>,
    /// Passed on to each task's sweep as `--shard-wait`.
    pub shard_wait: Option<f64>,
}

/// Quotes a value for a POSIX shell.
pub(crate) fn sh(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

fn absolute(p: &Path) -> Result<PathBuf> {
    std::path::absolute(p).with_context(|| format!("resolving {}", p.display()))
}

/// Checks a value that goes into an `#SBATCH` line, where it cannot be quoted: a newline
/// would start a line of its own in the script, and a space ends the option.
fn check_option(flag: &str, value: &str, allowed: fn(char) -> bool, example: &str) -> Result<()> {
    if value.is_empty() || !value.chars().all(allowed) {
        return Err(bad_input(format!(
            "--{flag} {:?}: not a Slurm {flag} (expected something like {example}, without spaces or line breaks)",
            value
        )));
    }
    Ok(())
}

/// Refuses options and paths that a batch script cannot carry as they are.
fn check_options(opts: &SlurmOptions, out: &Path) -> Result<()> {
    if let Some(t) = &opts.time {
        check_option(
            "time",
            t,
            |c| c.is_ascii_digit() || c == ':' || c == '-',
            "02:00:00 or 1-12:00:00",
        )
        .or_else(|e| {
            if ["UNLIMITED", "INFINITE"].contains(&t.as_str()) {
                Ok(())
            } else {
                Err(e)
            }
        })?;
    }
    if let Some(p) = &opts.partition {
        check_option(
            "partition",
            p,
            |c| c.is_ascii_alphanumeric() || "_.,-".contains(c),
            "short or gpu,short",
        )?;
    }
    if let Some(m) = &opts.mem {
        check_option("mem", m, |c| c.is_ascii_alphanumeric(), "2G or 500M")?;
    }
    let shown = out.to_string_lossy();
    if shown.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad_input(format!(
            "--out {shown:?}: a results directory for Slurm must not contain spaces or line breaks, \
             since its log path goes into an #SBATCH line that cannot quote it"
        )));
    }
    Ok(())
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
    check_options(opts, &out)?;
    // A job name ends at the first space on an #SBATCH line.
    let name: String = name
        .chars()
        .map(|c| if c.is_whitespace() { '_' } else { c })
        .collect();
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
        "exec {} sweep {} --out {} --shard \"${{SLURM_ARRAY_TASK_ID}}/{}\" --threads \"${{SLURM_CPUS_PER_TASK:-1}}\"{} --quiet",
        sh(&binary.to_string_lossy()),
        sh(&grid.to_string_lossy()),
        sh(&out.to_string_lossy()),
        opts.tasks,
        opts.shard_wait
            .map(|w| format!(" --shard-wait {w}"))
            .unwrap_or_default()
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
    if !out.status.success() {
        return Err(Error::failed(format!(
            "sbatch {} failed: {}",
            script.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    // --parsable prints "id" or "id;cluster".
    Ok(text.trim().split(';').next().unwrap_or("").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_that_would_break_the_script_are_refused() {
        let base = SlurmOptions {
            tasks: 2,
            cpus_per_task: 1,
            time: None,
            partition: None,
            mem: None,
            shard_wait: None,
        };
        let try_opts = |opts: SlurmOptions, out: &str| {
            scripts(
                Path::new("/g/grid.toml"),
                Path::new(out),
                Path::new("/bin/trendsweep"),
                "my grid",
                &opts,
            )
        };
        let bad = [
            SlurmOptions {
                time: Some("1:00\nrm -rf /".into()),
                ..base.clone()
            },
            SlurmOptions {
                time: Some("".into()),
                ..base.clone()
            },
            SlurmOptions {
                partition: Some("a b".into()),
                ..base.clone()
            },
            SlurmOptions {
                partition: Some("short;id".into()),
                ..base.clone()
            },
            SlurmOptions {
                mem: Some("2G\n#SBATCH --x".into()),
                ..base.clone()
            },
        ];
        for opts in bad {
            let e = try_opts(opts.clone(), "/r/grid").unwrap_err();
            assert!(trendsweep::error::is_bad_input(&e), "{opts:?}: {e}");
        }
        let e = try_opts(base.clone(), "/r/my\nresults").unwrap_err();
        assert!(format!("{e}").contains("line breaks"), "{e}");
        let good = SlurmOptions {
            time: Some("1-12:00:00".into()),
            partition: Some("gpu,short".into()),
            mem: Some("500M".into()),
            ..base.clone()
        };
        let (sweep, _) = try_opts(good, "/r/grid").unwrap();
        assert!(
            sweep.contains("#SBATCH --job-name=trendsweep-my_grid\n"),
            "{sweep}"
        );
        assert!(sweep.contains(
            "#SBATCH --time=1-12:00:00\n#SBATCH --partition=gpu,short\n#SBATCH --mem=500M\n"
        ));
        assert!(
            try_opts(
                SlurmOptions {
                    time: Some("UNLIMITED".into()),
                    ..base
                },
                "/r/grid"
            )
            .is_ok()
        );
    }

    #[test]
    fn the_array_runs_one_shard_per_task_and_the_report_waits_for_nothing_else() {
        let opts = SlurmOptions {
            tasks: 4,
            cpus_per_task: 2,
            time: Some("01:00:00".into()),
            partition: None,
            mem: None,
            shard_wait: None,
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
        assert!(sweep.contains("--threads \"${SLURM_CPUS_PER_TASK:-1}\" --quiet"));
        assert!(sweep.contains("#SBATCH --output=/r/grid/slurm/sweep-%A_%a.out"));
        assert!(report.contains("'/bin/trendsweep' report '/r/grid'"));
    }

    #[test]
    fn shell_quoting_survives_quotes() {
        assert_eq!(sh("a'b c"), r"'a'\''b c'");
    }
}
