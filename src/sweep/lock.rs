//! One sweep per results directory: a lock file holding the owner's process id and host. A
//! lock whose process is gone (a crashed or killed run) is taken over rather than left stale.
//! A lock from another host cannot be checked; under Slurm it is taken over, since Slurm
//! runs a requeued task only after its previous run has ended.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::error::bad_input;

pub const LOCK_FILE: &str = ".trendsweep.lock";

/// Held for the length of a sweep; removes the lock file when dropped.
pub struct DirLock {
    path: PathBuf,
}

fn process_alive(pid: u32) -> bool {
    Path::new("/proc").join(pid.to_string()).exists()
}

fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map_or_else(|_| "unknown".into(), |h| h.trim().to_string())
}

impl DirLock {
    /// Takes `dir/name`; shards of one grid each hold their own name in a shared directory.
    pub fn acquire(dir: &Path, name: &str) -> Result<DirLock> {
        let path = dir.join(name);
        for _ in 0..3 {
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut f) => {
                    write!(f, "{} {}", std::process::id(), host())
                        .with_context(|| format!("writing {}", path.display()))?;
                    return Ok(DirLock { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let text = std::fs::read_to_string(&path).unwrap_or_default();
                    let mut parts = text.split_whitespace();
                    let pid = parts.next().and_then(|p| p.parse::<u32>().ok());
                    let owner_host = parts.next().map(str::to_string).unwrap_or_else(host);
                    let elsewhere = owner_host != host();
                    match pid {
                        Some(pid) if elsewhere && std::env::var_os("SLURM_JOB_ID").is_none() => {
                            return Err(bad_input(format!(
                                "{}: a sweep on host {owner_host} (process {pid}) holds this directory; if it \
                                 has ended, delete {} and run again",
                                dir.display(),
                                path.display()
                            )));
                        }
                        Some(pid)
                            if !elsewhere && pid != std::process::id() && process_alive(pid) =>
                        {
                            return Err(bad_input(format!(
                                "{}: another sweep (process {pid}) is running in this directory; wait for it \
                                 to finish, stop it, or use another --out",
                                dir.display()
                            )));
                        }
                        // The owner is gone (or the file is unreadable): a leftover of a killed run.
                        _ => {
                            let _ = std::fs::remove_file(&path);
                        }
                    }
                }
                Err(e) => return Err(e).with_context(|| format!("creating {}", path.display())),
            }
        }
        Err(anyhow::anyhow!(
            "{}: could not take the lock file",
            path.display()
        ))
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
