//! The results directory: what is in it, and the only code that reads or writes its records.
//!
//! A sweep appends finished trials to its journal ([`journal`]) under the directory's locks
//! ([`lock`]); shards each keep a journal of their own ([`shard`]); every other file is
//! written whole through a temporary name ([`write_atomically`]). `run.json` ([`RunInfo`])
//! and each journal's header say what data the trials were trained on, so a rerun can tell
//! the same experiment (resume) from another (refuse). The report reads the journal and
//! writes the tables; it never trains.

mod baselines;
pub mod journal;
mod lock;
pub use crate::model::records;
mod shard;

use std::collections::HashSet;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use polars::prelude::{CsvWriter, DataFrame, ParquetWriter, PolarsError, PolarsResult, SerWriter};
use serde::{Deserialize, Serialize};

use crate::config::SplitSpec;
use crate::data::Fingerprint;
use crate::error::{Context, Error, Result, bad_input};

pub use baselines::{
    baselines_frame, baselines_schema, evaluation_frame, fold_means, merge_evaluation,
    read_baselines, read_baselines_file, read_baselines_frame, read_evaluation,
    write_baseline_folds, write_baselines, write_evaluation,
};
pub use journal::{JournalRead, JournalWriter, journal_files, read_journal, read_journal_detailed};
pub use lock::{
    LOCK_FILE, ReportLock, SweepLock, TablesLock, lock_report, lock_sweep, lock_tables,
    temporary_name,
};
pub use shard::Shard;

/// The journal of an unsharded sweep (shards write `journal-K-of-N.jsonl`).
pub const JOURNAL: &str = "journal.jsonl";
/// The data and split the results were trained on.
pub const RUN_JSON: &str = "run.json";
/// A copy of the grid file the sweep ran, so a report can say which trials are missing.
pub const GRID_TOML: &str = "grid.toml";
/// Written into a merged report's directory: the directories it was made from. It marks the
/// directory as a report's output, which a later report may replace.
pub const MERGED_JSON: &str = "merged.json";
/// The column naming a row's series in a collection's tables.
pub const SERIES: &str = "series";
/// One row per trial (Parquet and CSV), one row per trial and epoch, one row per baseline.
pub const TRIALS_PARQUET: &str = "trials.parquet";
pub const TRIALS_CSV: &str = "trials.csv";
pub const EPOCHS_PARQUET: &str = "epochs.parquet";
pub const BASELINES_CSV: &str = "baselines.csv";
/// The same table as Parquet, for programs that read typed columns.
pub const BASELINES_PARQUET: &str = "baselines.parquet";
/// With `[data] folds` above 1: each baseline's figures on each fold (`baselines.csv` holds
/// their means over the folds).
pub const BASELINE_FOLDS_CSV: &str = "baseline_folds.csv";
/// With `[data] folds` above 1: one row per trial and fold.
pub const FOLDS_PARQUET: &str = "folds.parquet";
/// Per window, every sample of the evaluation split (test, else validation) with its truth
/// and each baseline's forecast; written by the sweep, read by the significance tests.
pub const EVALUATION_PARQUET: &str = "evaluation.parquet";
/// Per trial, its forecast of every sample of the evaluation split.
pub const PREDICTIONS_PARQUET: &str = "predictions.parquet";

/// What a results directory records about the data, so a rerun can tell it is the same
/// experiment (resume) rather than a different one (refuse).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    pub dataset: Fingerprint,
    pub split: SplitSpec,
    /// The series of a collection too short for the windows, splits and folds, which the
    /// sweep leaves out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<SkippedSeries>,
    /// The series (a collection's ids, or a single series' name) whose in-sample values
    /// include zero or less, on which `naive2` is the plain naive forecast: a multiplicative
    /// season cannot divide by them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub naive2_plain: Vec<String>,
}

/// A series of a collection left out of a sweep for being too short.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedSeries {
    pub series: String,
    /// Its values after missing values were handled.
    pub length: usize,
    /// The fewest values it would need.
    pub needed: usize,
}

impl SkippedSeries {
    /// The first `most` of `skipped` as words for a message: `"AND" (5 values), "ASM" (0
    /// values) and 3 more`.
    pub fn listed(skipped: &[SkippedSeries], most: usize) -> String {
        let names: Vec<String> = skipped
            .iter()
            .take(most)
            .map(|s| {
                format!(
                    "{} ({} values)",
                    crate::data::quoted_id(&s.series),
                    s.length
                )
            })
            .collect();
        let more = skipped.len().saturating_sub(most);
        if more > 0 {
            format!("{} and {more} more", names.join(", "))
        } else {
            names.join(", ")
        }
    }
}

impl RunInfo {
    /// The `run.json` of a results directory, if it has one.
    pub fn read(dir: &Path) -> Result<Option<RunInfo>> {
        let path = dir.join(RUN_JSON);
        let Ok(text) = std::fs::read_to_string(&path) else {
            return Ok(None);
        };
        let info =
            serde_json::from_str(&text).with_context(|| format!("reading {}", path.display()))?;
        Ok(Some(info))
    }

    /// Writes `run.json` into `dir`.
    pub fn write(&self, dir: &Path) -> Result<()> {
        write_atomically(&dir.join(RUN_JSON), |f| {
            serde_json::to_writer_pretty(&mut *f, self)?;
            Ok(())
        })
    }

    /// One line naming the data and the split, for messages comparing two runs.
    pub fn describe(&self) -> String {
        format!(
            "{} ({} rows, values {}…; val_fraction {}, test_fraction {}, scale {})",
            self.dataset.source,
            self.dataset.rows,
            &self.dataset.values_sha256[..12],
            self.split.val_fraction,
            self.split.test_fraction,
            self.split.scale.name()
        )
    }
}

/// Writes through a temporary file in the same directory and renames it into place, so a
/// reader (or a crash) never sees a half-written file: rename within one filesystem is atomic.
pub fn write_atomically(path: &Path, write: impl FnOnce(&mut File) -> Result<()>) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .with_context(|| format!("{} has no file name", path.display()))?
        .to_string_lossy();
    let tmp: PathBuf = dir.join(lock::temporary_name(&name));
    let result = (|| {
        let mut file = File::create(&tmp)?;
        write(&mut file)?;
        file.flush()?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        Ok(())
    })();
    result.map_err(|e: Error| {
        let _ = std::fs::remove_file(&tmp);
        // One line: the file and the system's reason (e.g. "No space left on device").
        let context = format!("cannot write {}", path.display());
        match e {
            Error::Io { reason, .. } => Error::Io {
                context: Some(context),
                reason,
            },
            e => e.context(context),
        }
    })
}

/// Writes a table as Parquet, through [`write_atomically`].
pub fn write_parquet(path: &Path, df: &mut DataFrame) -> Result<()> {
    write_atomically(path, |file| {
        ParquetWriter::new(file).finish(df)?;
        Ok(())
    })
}

/// Writes a table as CSV with a header, through [`write_atomically`].
pub fn write_csv(path: &Path, df: &mut DataFrame) -> Result<()> {
    write_atomically(path, |file| {
        CsvWriter::new(file).include_header(true).finish(df)?;
        Ok(())
    })
}

/// A count or setting as the signed 64-bit integer the tables hold. Every value a grid can
/// give fits (TOML integers are signed 64-bit); anything else is an error, never a wrap.
pub(crate) fn int(
    value: impl TryInto<i64> + Copy + std::fmt::Display,
    what: &str,
) -> PolarsResult<i64> {
    value.try_into().map_err(|_| {
        PolarsError::ComputeError(
            format!("{what} = {value} does not fit a signed 64-bit integer column").into(),
        )
    })
}

/// [`write_atomically`] for bytes already in memory.
pub fn write_bytes(path: &Path, contents: &[u8]) -> Result<()> {
    write_atomically(path, |f| Ok(f.write_all(contents)?))
}

/// Removes `path`; a file that is not there is no error.
pub fn remove_if_present(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("cannot remove {}", path.display()))
        }
        _ => Ok(()),
    }
}

/// True when `dir` holds results: a journal, a trials table or a sweep's `run.json`.
pub fn is_results_dir(dir: &Path) -> Result<bool> {
    Ok(dir.join(RUN_JSON).is_file()
        || dir.join(TRIALS_PARQUET).is_file()
        || !journal_files(dir)?.is_empty())
}

/// Refuses a path that cannot become a results directory: a name too long for a file system,
/// a symbolic link to nothing, a file where a directory should be.
pub fn check_out_dir(out: &Path) -> Result<()> {
    // File systems cap a name at 255 bytes; --fresh adds ".old-N" to the last one.
    if let Some(long) = out
        .components()
        .map(|c| c.as_os_str())
        .find(|c| c.len() > 240)
    {
        return Err(bad_input(format!(
            "--out {}: the folder name {:?}… is {} bytes long; names of at most 240 bytes fit every file system",
            out.display(),
            long.to_string_lossy().chars().take(40).collect::<String>(),
            long.len()
        )));
    }
    // A symbolic link to nothing (or a loop) cannot become the directory either.
    if let Some(link) = out
        .ancestors()
        .find(|a| !a.as_os_str().is_empty() && a.symlink_metadata().is_ok() && !a.exists())
    {
        return Err(bad_input(format!(
            "--out {}: {} is a symbolic link to nothing (or a loop of links); point it at a directory or give another --out",
            out.display(),
            link.display()
        )));
    }
    // The directory, or any folder it would be created in, must not be a file.
    if let Some(file) = out
        .ancestors()
        .find(|a| !a.as_os_str().is_empty() && a.exists() && !a.is_dir())
    {
        let what = if file == out {
            "is a file".to_string()
        } else {
            format!("{} is a file", file.display())
        };
        return Err(bad_input(format!(
            "--out {}: {what}, not a directory; give a directory for the results",
            out.display()
        )));
    }
    Ok(())
}

/// Refuses a directory that holds results trained on other data: its `run.json` (older
/// journals have only that) or the header of any of its journal files (shards' too) differs.
pub fn check_same_experiment(out: &Path, info: &RunInfo) -> Result<()> {
    if !out.is_dir() {
        return Ok(());
    }
    let read = read_journal_detailed(out)?;
    let recorded = RunInfo::read(out)?.map(|i| (out.join(RUN_JSON), i));
    for (file, old) in recorded.into_iter().chain(read.headers) {
        if &old != info {
            let what = if old.dataset != info.dataset {
                "different data"
            } else {
                "the same data split differently"
            };
            return Err(bad_input(format!(
                "{}: holds results of a different grid, trained on {what}: {} there ({}), {} now; \
                 use --fresh to start over (the old directory is kept beside it) or another --out",
                out.display(),
                old.describe(),
                file.display(),
                info.describe()
            )));
        }
    }
    Ok(())
}

/// Renames an old results directory to the first free `<dir>.old-N`, holding it exclusively
/// so that no sweep (and no shard) is running in it. Returns where it went.
pub fn move_aside(out: &Path) -> Result<PathBuf> {
    let lock = lock_sweep(out, None)?;
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "results".into());
    let aside = (1..)
        .map(|n| out.with_file_name(format!("{name}.old-{n}")))
        .find(|p| !p.exists())
        .expect("some name is free");
    std::fs::rename(out, &aside).map_err(|e| {
        Error::failed(format!(
            "cannot move {} aside to {}: {e}",
            out.display(),
            aside.display()
        ))
    })?;
    lock.moved_to(&aside);
    Ok(aside)
}

/// Takes the directory's locks and, under them, checks it holds results of this experiment
/// and opens this sweep's journal (the shard's own, for a shard). On refusal a directory this
/// call created is removed again.
pub fn open_for_sweep(
    out: &Path,
    shard: Option<Shard>,
    info: &RunInfo,
) -> Result<(SweepLock, JournalWriter)> {
    let created = !out.exists();
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let opened = (|| {
        let mut lock = lock_sweep(out, shard)?;
        check_same_experiment(out, info)?;
        let journal_path = out.join(shard.map_or(JOURNAL.to_string(), |s| s.journal_name()));
        let journal = JournalWriter::open(&journal_path, Some(info))?;
        lock.setup_done();
        Ok((lock, journal))
    })();
    if opened.is_err() && created {
        let _ = std::fs::remove_dir(out);
    }
    opened
}

/// The ids of the trials `dir`'s journals hold a result for; with `ok_only`, only those that
/// ended as planned (diverged and failed ones count as not done; pruned ones are done).
pub fn done_trials(dir: &Path, ok_only: bool) -> Result<HashSet<String>> {
    Ok(done_units(dir, ok_only)?
        .into_iter()
        .map(|(trial_id, _)| trial_id)
        .collect())
}

/// The (trial id, series) units `dir`'s journals hold a result for (series `None` for a
/// single series); with `ok_only`, only those that ended as planned (see [`done_trials`]).
pub fn done_units(dir: &Path, ok_only: bool) -> Result<HashSet<(String, Option<String>)>> {
    use crate::store::records::TrialStatus;
    Ok(read_journal(dir)?
        .into_iter()
        .filter(|r| !ok_only || matches!(r.result.status, TrialStatus::Ok | TrialStatus::Pruned))
        .map(|r| r.key())
        .collect())
}
