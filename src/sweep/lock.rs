//! One sweep per results directory: a lock file holding the owner's process id. A lock
//! whose process is gone (a crashed or killed run) is taken over rather than left stale.

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

impl DirLock {
    pub fn acquire(dir: &Path) -> Result<DirLock> {
        let path = dir.join(LOCK_FILE);
        for _ in 0..3 {
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut f) => {
                    write!(f, "{}", std::process::id()).with_context(|| format!("writing {}", path.display()))?;
                    return Ok(DirLock { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let owner = std::fs::read_to_string(&path).ok().and_then(|s| s.trim().parse::<u32>().ok());
                    match owner {
                        Some(pid) if pid != std::process::id() && process_alive(pid) => {
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
        Err(anyhow::anyhow!("{}: could not take the lock file", path.display()))
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
