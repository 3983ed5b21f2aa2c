//! Who may write into a results directory, decided by operating-system file locks
//! (`flock`), which the kernel releases when their process ends however it ends: a killed
//! sweep leaves no lock behind that a later one would have to judge stale.
//!
//! Every sweep holds `.trendsweep.lock`: an unsharded sweep (and `--fresh`, to move the
//! directory) exclusively, each shard shared with the other shards, so a shard and an
//! unsharded sweep never run together. A shard also holds `.trendsweep-K-of-N.lock`
//! exclusively, so one shard never runs twice, and refuses while a shard of another N holds
//! its lock. The checks a new sweep makes before it writes (the sharding, the data
//! fingerprint, the journal header it starts) run while it holds `.trendsweep-setup.lock`,
//! so two sweeps started together decide one after the other.
//!
//! `report` holds `.trendsweep.lock` exclusively (and the setup lock) while it reads the
//! journal and writes the tables, so a report and a sweep never run together in one
//! directory: a report refuses while a sweep runs, and a sweep started during a report waits
//! for it. Shards share the directory, so each writes the tables at its end while holding
//! `.trendsweep-tables.lock`: tables are written by one process at a time, each from a whole
//! read of the journals at that time.
//!
//! A lock file holds its owner's process id and host, for messages only. A lock file is
//! deleted only by a process holding it exclusively, and a process that takes a lock checks
//! that the file it locked is still the one at that path, so deleting never lets two
//! processes hold "the same" lock.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::Shard;

use crate::error::{Error, Result, bad_input};

pub const LOCK_FILE: &str = ".trendsweep.lock";
const SETUP_FILE: &str = ".trendsweep-setup.lock";
const TABLES_FILE: &str = ".trendsweep-tables.lock";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Shared,
    Exclusive,
}

/// One taken lock; released (and its file deleted where that is safe) when dropped.
pub struct LockFile {
    path: PathBuf,
    file: File,
    mode: Mode,
    /// False once the file has been moved away with its directory.
    armed: bool,
}

fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map_or_else(|_| "unknown".into(), |h| h.trim().to_string())
}

fn io_error(path: &Path, e: std::io::Error) -> Error {
    Error::from(e).context(format!("cannot lock {}", path.display()))
}

/// The holder a lock file names, as words for a message.
fn holder(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut words = text.split_whitespace();
    match (words.next(), words.next()) {
        (Some(pid), Some(host)) => format!("process {pid} on host {host}"),
        (Some(pid), None) => format!("process {pid}"),
        _ => "another process".into(),
    }
}

fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    a.dev() == b.dev() && a.ino() == b.ino()
}

impl LockFile {
    /// Tries to take the lock at `path` in `mode`: `Ok(None)` when another process holds it.
    fn try_take(path: &Path, mode: Mode) -> Result<Option<LockFile>> {
        loop {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(path)
                .map_err(|e| io_error(path, e))?;
            let taken = match mode {
                Mode::Shared => file.try_lock_shared(),
                Mode::Exclusive => file.try_lock(),
            };
            match taken {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => return Ok(None),
                Err(TryLockError::Error(e)) => return Err(io_error(path, e)),
            }
            // The holder before us may have deleted the file between our open and our lock:
            // then we hold a lock on a file nobody else will find; take the new one instead.
            let ours = file.metadata().map_err(|e| io_error(path, e))?;
            match std::fs::metadata(path) {
                Ok(now) if same_file(&ours, &now) => {}
                _ => continue,
            }
            let mut lock = LockFile {
                path: path.to_path_buf(),
                file,
                mode,
                armed: true,
            };
            if mode == Mode::Exclusive {
                // For messages only: who holds this lock.
                let _ = lock.file.set_len(0);
                let _ = writeln!(lock.file, "{} {}", std::process::id(), host());
            }
            return Ok(Some(lock));
        }
    }

    /// Takes the lock exclusively, waiting for a holder that is only checking (seconds).
    fn take_waiting(path: &Path, patience: Duration) -> Result<LockFile> {
        let start = Instant::now();
        loop {
            if let Some(lock) = LockFile::try_take(path, Mode::Exclusive)? {
                return Ok(lock);
            }
            if start.elapsed() > patience {
                return Err(bad_input(format!(
                    "{}: {} has held it for over {} s; if that process is stopped, resume or end it",
                    path.display(),
                    holder(path),
                    patience.as_secs()
                )));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// True when some process holds the existing lock file at `path` (it is not created).
    fn is_held(path: &Path) -> bool {
        let Ok(file) = File::open(path) else {
            return false;
        };
        matches!(file.try_lock_shared(), Err(TryLockError::WouldBlock))
    }

    /// The lock file moved away with its directory: dropping it must not delete whatever
    /// file is at the old path now.
    pub fn disarm(&mut self) {
        self.armed = false;
    }
}

impl Drop for LockFile {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        // Delete the file only while holding it exclusively (a shard's shared lock becomes
        // exclusive only when no other shard holds it), and only if it is still ours.
        let exclusive = self.mode == Mode::Exclusive || self.file.try_lock().is_ok();
        let ours = match (self.file.metadata(), std::fs::metadata(&self.path)) {
            (Ok(a), Ok(b)) => same_file(&a, &b),
            _ => false,
        };
        if exclusive && ours {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// The locks of one sweep, held for as long as it runs.
pub struct SweepLock {
    dir: LockFile,
    _shard: Option<LockFile>,
    setup: Option<LockFile>,
}

impl SweepLock {
    /// The checks before writing are done: other sweeps may start theirs.
    pub fn setup_done(&mut self) {
        self.setup = None;
    }

    /// The directory was renamed to `new_dir` while held: release the locks, deleting their
    /// files there, and leave alone whatever is at the old paths now.
    pub fn moved_to(mut self, new_dir: &Path) {
        for lock in [Some(&mut self.dir), self.setup.as_mut()]
            .into_iter()
            .flatten()
        {
            lock.disarm();
            if let Some(name) = lock.path.file_name() {
                let _ = std::fs::remove_file(new_dir.join(name));
            }
        }
    }
}

/// The shard lock files in `dir` other than `mine`, with the shard each names.
fn shard_locks(dir: &Path) -> Vec<(Shard, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return vec![];
    };
    let mut found: Vec<(Shard, PathBuf)> = entries
        .flatten()
        .filter_map(|e| {
            let shard = Shard::from_lock_name(&e.file_name().to_string_lossy())?;
            Some((shard, e.path()))
        })
        .collect();
    found.sort();
    found
}

/// Takes the locks for a sweep into `dir` (which exists), or refuses naming who holds them.
/// The returned lock still holds the setup lock: call [`SweepLock::setup_done`] once the
/// journal is opened.
pub fn lock_sweep(dir: &Path, shard: Option<Shard>) -> Result<SweepLock> {
    let setup = LockFile::take_waiting(&dir.join(SETUP_FILE), Duration::from_secs(60))?;
    let dir_path = dir.join(LOCK_FILE);
    let Some(shard) = shard else {
        let Some(lock) = LockFile::try_take(&dir_path, Mode::Exclusive)? else {
            return Err(bad_input(format!(
                "{}: {}; wait for it to finish, stop it, or use another --out",
                dir.display(),
                who_runs(dir)
            )));
        };
        clean_temporary_files(dir, Cleaning::AllButMine);
        return Ok(SweepLock {
            dir: lock,
            _shard: None,
            setup: Some(setup),
        });
    };
    let Some(dir_lock) = LockFile::try_take(&dir_path, Mode::Shared)? else {
        return Err(bad_input(format!(
            "{}: an unsharded sweep or --fresh ({}) holds this directory, so shard {shard} cannot run in it; \
             wait for it to finish, stop it, or use another --out",
            dir.display(),
            holder(&dir_path)
        )));
    };
    for (other, path) in shard_locks(dir) {
        if other.count != shard.count && LockFile::is_held(&path) {
            return Err(bad_input(format!(
                "{}: shard {other} ({}) is running in this directory, so shard {shard} cannot: the shards \
                 sharing a directory must split the grid the same way (the same N in --shard K/N)",
                dir.display(),
                holder(&path)
            )));
        }
    }
    let shard_path = dir.join(shard.lock_name());
    let Some(shard_lock) = LockFile::try_take(&shard_path, Mode::Exclusive)? else {
        return Err(bad_input(format!(
            "{}: shard {shard} is already running ({}); wait for it to finish or stop it",
            dir.display(),
            holder(&shard_path)
        )));
    };
    // Other shards may be writing right now: only what a dead process of this host left.
    clean_temporary_files(dir, Cleaning::DeadOfThisHost);
    Ok(SweepLock {
        dir: dir_lock,
        _shard: Some(shard_lock),
        setup: Some(setup),
    })
}

/// Who holds the directory lock of `dir`, as words for a message: the running shards, or
/// the sweep (or report) holding it.
fn who_runs(dir: &Path) -> String {
    let running: Vec<String> = shard_locks(dir)
        .into_iter()
        .filter(|(_, p)| LockFile::is_held(p))
        .map(|(s, p)| format!("shard {s} ({})", holder(&p)))
        .collect();
    if running.is_empty() {
        format!(
            "another sweep or report ({}) is running in this directory",
            holder(&dir.join(LOCK_FILE))
        )
    } else {
        format!(
            "sharded sweeps are running in this directory: {}",
            running.join(", ")
        )
    }
}

/// The locks `report` holds on the directory it writes tables into (see the module).
pub struct ReportLock {
    _dir: LockFile,
    _setup: LockFile,
}

/// Takes the locks for `report` to rebuild or write `dir` (which exists), or refuses with
/// exit status 2 naming the sweep running there. Stale temporary files are removed.
pub fn lock_report(dir: &Path) -> Result<ReportLock> {
    let setup = LockFile::take_waiting(&dir.join(SETUP_FILE), Duration::from_secs(60))?;
    let Some(lock) = LockFile::try_take(&dir.join(LOCK_FILE), Mode::Exclusive)? else {
        return Err(bad_input(format!(
            "{}: {}, and a sweep writes the tables itself when it ends; run `trendsweep report {}` \
             after it has ended (or stop it first)",
            dir.display(),
            who_runs(dir),
            dir.display()
        )));
    };
    clean_temporary_files(dir, Cleaning::AllButMine);
    Ok(ReportLock {
        _dir: lock,
        _setup: setup,
    })
}

/// Held by a shard while it writes the tables at its end (see the module).
pub struct TablesLock {
    _lock: LockFile,
}

/// Waits for the tables lock of `dir` (another shard writing its tables holds it for
/// seconds, at most minutes), then removes what dead writers of this host left.
pub fn lock_tables(dir: &Path) -> Result<TablesLock> {
    let lock = LockFile::take_waiting(&dir.join(TABLES_FILE), Duration::from_secs(3600))?;
    clean_temporary_files(dir, Cleaning::DeadOfThisHost);
    Ok(TablesLock { _lock: lock })
}

/// The name of the temporary file a writer of this process writes `name` through:
/// `.NAME.tmp-PID.HOST`, so that a later process can tell whose it was.
pub fn temporary_name(name: &str) -> String {
    format!(".{name}.tmp-{}.{}", std::process::id(), host_tag())
}

/// This host's name as temporary names carry it: at most 64 of its letters, digits, `-`
/// and `.`.
fn host_tag() -> String {
    host()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '.')
        .take(64)
        .collect()
}

/// Which temporary files [`clean_temporary_files`] removes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Cleaning {
    /// Every one but this process's own: no other process writes in the directory.
    AllButMine,
    /// Those of processes of this host that are gone: other processes (shards, on this host
    /// or others) may be writing theirs now.
    DeadOfThisHost,
}

/// Removes the temporary files (`.NAME.tmp-PID.HOST`, or `.NAME.tmp-PID` as older versions
/// named them) that writers killed mid-write left behind, as `how` allows.
fn clean_temporary_files(dir: &Path, how: Cleaning) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let (me, here) = (std::process::id(), host_tag());
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        let Some((_, owner)) = name.strip_prefix('.').and_then(|n| n.rsplit_once(".tmp-")) else {
            continue;
        };
        let (pid, owner_host) = match owner.split_once('.') {
            Some((pid, h)) => (pid, Some(h)),
            None => (owner, None),
        };
        let Ok(pid) = pid.parse::<u32>() else {
            continue;
        };
        let this_host = owner_host.is_none_or(|h| h == here);
        if this_host && pid == me {
            continue;
        }
        let stale = match how {
            Cleaning::AllButMine => true,
            Cleaning::DeadOfThisHost => {
                this_host && !Path::new("/proc").join(pid.to_string()).exists()
            }
        };
        if stale {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}
