//! Building the report ([`build`]): a results directory's tables and summary rebuilt from
//! its journal, or several directories merged into a new one. A sweep ends here on its own
//! directory, and `trendsweep report DIR... [--out OUT]` runs it on results already on disk.
//!
//! The rules:
//! - `report DIR` (or `--out DIR`) rebuilds DIR's tables from its journal and writes its
//!   summary there: how an interrupted sweep gets its tables. A directory killed before its
//!   first trial gets tables with no rows and a summary saying so.
//! - `report A B... --out OUT` never writes into its inputs. OUT becomes a results directory
//!   like any other: a journal holding every input's records, its own trials, epochs and
//!   baselines tables, `run.json`, and the summary; `report OUT` gives the same summary again.
//!   OUT must be new, empty, or an earlier report's output.
//! - `report` never runs beside a sweep in the directory it writes: it holds that directory's
//!   lock while it reads and writes, and refuses (exit status 2, naming the sweep) while a
//!   sweep or shard runs there. A sweep's own report runs under the sweep's lock.
//! - Several directories need `--out`, and must have been trained on the same data with the
//!   same split: pooling trials of different data would rank numbers that cannot be compared.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Context, Result, bad_input};
use crate::store::records::{BaselineRow, TrialRecord};
use crate::store::{
    self, GRID_TOML, JOURNAL, JournalWriter, MERGED_JSON, RUN_JSON, RunInfo, TRIALS_PARQUET,
    is_results_dir, read_journal, remove_if_present, write_atomically,
};

use super::{Summary, summarize, write_html};
use crate::analysis::collection::CollectionSummary;
use crate::analysis::tables;

/// What [`build`] made: the summary, and the directory it was written into.
pub struct Report {
    pub dir: PathBuf,
    /// The summary of a single series' sweep (`None` for a collection).
    pub summary: Option<Summary>,
    /// The summary of a collection's sweep.
    pub collection: Option<CollectionSummary>,
}

impl Report {
    /// What the terminal shows.
    pub fn terminal(&self) -> String {
        match (&self.summary, &self.collection) {
            (Some(s), _) => s.terminal(&self.dir),
            (None, Some(c)) => c.terminal(&self.dir),
            (None, None) => String::new(),
        }
    }

    /// The trials the tables hold (a collection's: trials, each on every series).
    pub fn trials(&self) -> usize {
        match (&self.summary, &self.collection) {
            (Some(s), _) => s.counts.total,
            (None, Some(c)) => c.trials,
            (None, None) => 0,
        }
    }
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// `path` with every part that exists resolved (symbolic links, `..`), the rest appended.
fn resolved(path: &Path) -> PathBuf {
    if let Ok(p) = path.canonicalize() {
        return p;
    }
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) if !parent.as_os_str().is_empty() => resolved(parent).join(name),
        (_, Some(name)) => {
            std::env::current_dir().map_or_else(|_| path.to_path_buf(), |c| c.join(name))
        }
        _ => path.to_path_buf(),
    }
}

/// Refuses directories trained on different data or splits, naming both and their data.
fn check_same_data(dirs: &[PathBuf]) -> Result<Option<RunInfo>> {
    let mut first: Option<(&PathBuf, RunInfo)> = None;
    for d in dirs {
        let Some(info) = RunInfo::read(d)? else {
            continue;
        };
        match &first {
            None => first = Some((d, info)),
            Some((base_dir, base)) if base != &info => {
                return Err(bad_input(format!(
                    "{} and {} were trained on different data or splits ({} against {}); their \
                     trials are not comparable, so they are not merged: report each on its own",
                    base_dir.display(),
                    d.display(),
                    base.describe(),
                    info.describe()
                )));
            }
            Some(_) => {}
        }
    }
    Ok(first.map(|(_, info)| info))
}

/// Builds the report of `dirs` (one results directory, or several merged into `out`): see
/// the module's rules. Both `sweep` (on its own directory) and `report` end here.
pub fn build(dirs: &[PathBuf], out: Option<&Path>) -> Result<Report> {
    for d in dirs {
        if !d.is_dir() {
            return Err(bad_input(format!(
                "{}: no such results directory",
                d.display()
            )));
        }
        if !is_results_dir(d)? {
            return Err(bad_input(format!(
                "{}: not a results directory (it has no journal*.jsonl, trials.parquet or \
                 run.json); give a directory a sweep wrote into",
                d.display()
            )));
        }
    }
    let mut unique: Vec<PathBuf> = Vec::new();
    for d in dirs {
        if !unique.iter().any(|u| same_dir(u, d)) {
            unique.push(d.clone());
        }
    }
    let info = check_same_data(&unique)?;
    match (unique.as_slice(), out) {
        ([only], None) => locked_rebuild(only),
        ([only], Some(o)) if same_dir(only, o) => locked_rebuild(only),
        (_, None) => Err(bad_input(format!(
            "report of {} directories needs --out OUT: the merged results go into a directory \
             of their own, never into one of the inputs",
            unique.len()
        ))),
        (inputs, Some(o)) => {
            let target = resolved(o);
            if let Some(d) = inputs
                .iter()
                .find(|d| d.canonicalize().is_ok_and(|d| target.starts_with(d)))
            {
                return Err(bad_input(format!(
                    "--out {}: is inside the input {}; a report never writes into its inputs",
                    o.display(),
                    d.display()
                )));
            }
            check_out(o)?;
            std::fs::create_dir_all(o).with_context(|| format!("cannot create {}", o.display()))?;
            let _lock = store::lock_report(o)?;
            merge_into(inputs, o, info.as_ref())
        }
    }
}

/// [`rebuild_in_place`] under the directory's report lock: refused while a sweep runs there.
fn locked_rebuild(dir: &Path) -> Result<Report> {
    let _lock = store::lock_report(dir)?;
    #[cfg(feature = "fault-injection")]
    if let Some(ms) = std::env::var(REPORT_DELAY_ENV)
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
    rebuild_in_place(dir)
}

/// A test-only delay (milliseconds) in `report`, taken while it holds the directory, so a
/// test can start a sweep in the middle of a report. Only in builds with the
/// `fault-injection` feature.
#[cfg(feature = "fault-injection")]
pub const REPORT_DELAY_ENV: &str = "TRENDSWEEP_TEST_REPORT_DELAY_MS";

/// The report a sweep writes at its end into its own directory `dir`, under the locks it
/// holds. A shard shares the directory with other shards, so it writes the tables while
/// holding the tables lock: one shard at a time, each from a whole read of the journals.
pub fn build_for_sweep(dir: &Path, sharded: bool) -> Result<Report> {
    let _tables = if sharded {
        Some(store::lock_tables(dir)?)
    } else {
        None
    };
    rebuild_in_place(dir)
}

/// Refuses an output directory that holds something other than an earlier report.
fn check_out(out: &Path) -> Result<()> {
    if out.exists() && !out.is_dir() {
        return Err(bad_input(format!(
            "--out {}: is a file, not a directory",
            out.display()
        )));
    }
    if out.is_dir() && !out.join(MERGED_JSON).is_file() {
        let mut entries =
            std::fs::read_dir(out).with_context(|| format!("cannot list {}", out.display()))?;
        if entries.next().is_some() {
            return Err(bad_input(format!(
                "--out {}: already holds files that no report wrote; give a new or empty \
                 directory",
                out.display()
            )));
        }
    }
    Ok(())
}

/// Rebuilds a single results directory's tables from its journal, then its summary.
fn rebuild_in_place(dir: &Path) -> Result<Report> {
    let records = read_journal(dir)?;
    // A directory killed before its first trial has an empty journal: its tables have no
    // rows. Tables without a journal to rebuild them from are left as they are.
    if !records.is_empty() || !dir.join(TRIALS_PARQUET).is_file() {
        tables::write_trial_tables(dir, &records)?;
    }
    summarize_into(dir)
}

/// Writes the summary of the tables in `dir` (Markdown, CSV tables, the HTML report) there.
fn summarize_into(dir: &Path) -> Result<Report> {
    if dir.join(tables::SERIES_PARQUET).is_file() {
        let collection = CollectionSummary::read(dir)?;
        collection.write(dir)?;
        super::optuna::write_collection_study(dir)?;
        return Ok(Report {
            dir: dir.to_path_buf(),
            summary: None,
            collection: Some(collection),
        });
    }
    let dirs = [dir.to_path_buf()];
    let summary = summarize(&dirs)?;
    summary.write(dir)?;
    write_html(dir, &dirs, &summary)?;
    super::optuna::write_study(dir, &summary)?;
    Ok(Report {
        dir: dir.to_path_buf(),
        summary: Some(summary),
        collection: None,
    })
}

/// Merges the inputs' `baseline_folds.csv` (rolling-origin folds) into `out`: a later
/// input's row replaces an earlier one's for the same baseline, window and fold, as for
/// `baselines.csv`. Inputs share their data and split, so their folds are the same.
fn merge_baseline_folds(inputs: &[PathBuf], out: &Path) -> Result<()> {
    use polars::prelude::{
        CsvReadOptions, IntoLazy, SerReader, SortMultipleOptions, UnionArgs, UniqueKeepStrategy,
        cols, concat,
    };
    let mut frames = Vec::new();
    for d in inputs {
        let path = d.join(tables::BASELINE_FOLDS_CSV);
        if path.is_file() {
            let df = CsvReadOptions::default()
                .with_has_header(true)
                .try_into_reader_with_file_path(Some(path.clone()))
                .and_then(|r| r.finish())
                .with_context(|| format!("cannot read {}", path.display()))?;
            frames.push(df.lazy());
        }
    }
    let target = out.join(tables::BASELINE_FOLDS_CSV);
    if frames.is_empty() {
        return remove_if_present(&target);
    }
    let mut merged = concat(frames, UnionArgs::default())?
        .unique_stable(
            Some(cols(["baseline", "window", "fold"])),
            UniqueKeepStrategy::Last,
        )
        .sort(
            ["window", "fold", "baseline"],
            SortMultipleOptions::default().with_maintain_order(true),
        )
        .collect()
        .context("cannot merge the per-fold baselines")?;
    store::write_csv(&target, &mut merged)
}

/// Writes the merge of `inputs` into `out` as a results directory of its own.
fn merge_into(inputs: &[PathBuf], out: &Path, info: Option<&RunInfo>) -> Result<Report> {
    // Later directories win, as a rerun replaces a run.
    let mut records: BTreeMap<(String, Option<String>), TrialRecord> = BTreeMap::new();
    let mut baselines: BTreeMap<(Option<String>, usize, String), BaselineRow> = BTreeMap::new();
    let mut grids: Vec<Option<String>> = Vec::new();
    for d in inputs {
        let read = read_journal(d)?;
        if read.is_empty() && d.join(TRIALS_PARQUET).is_file() {
            let rows = summarize(std::slice::from_ref(d))?.counts.total;
            if rows > 0 {
                return Err(bad_input(format!(
                    "{}: has a trials table but no journal to merge from",
                    d.display()
                )));
            }
        }
        for r in read {
            records.insert(r.key(), r);
        }
        if d.join(tables::BASELINES_CSV).is_file() {
            for b in store::read_baselines(d)? {
                baselines.insert((b.series.clone(), b.window, b.baseline.clone()), b);
            }
        }
        grids.push(std::fs::read_to_string(d.join(GRID_TOML)).ok());
    }
    let records: Vec<TrialRecord> = records.into_values().collect();
    let baselines: Vec<BaselineRow> = baselines.into_values().collect();

    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let sources: Vec<String> = inputs.iter().map(|d| d.display().to_string()).collect();
    write_atomically(&out.join(MERGED_JSON), |f| {
        serde_json::to_writer_pretty(&mut *f, &serde_json::json!({ "sources": sources }))?;
        Ok(())
    })?;
    // The journal first, through a temporary name, so OUT is never left with tables that
    // disagree with a journal from before.
    let tmp = out.join(store::temporary_name(JOURNAL));
    let _ = std::fs::remove_file(&tmp);
    let mut journal = JournalWriter::open(&tmp, info)?;
    for r in &records {
        journal.append(r)?;
    }
    journal.sync()?;
    drop(journal);
    for stale in store::journal_files(out)? {
        std::fs::remove_file(&stale)
            .with_context(|| format!("cannot replace {}", stale.display()))?;
    }
    let journal_path = out.join(JOURNAL);
    std::fs::rename(&tmp, &journal_path)
        .with_context(|| format!("cannot write {}", journal_path.display()))?;
    // The baselines first: a collection's tables compare each series with its own.
    store::write_baselines(out, &baselines)?;
    tables::write_trial_tables(out, &records)?;
    merge_baseline_folds(inputs, out)?;
    store::merge_evaluation(inputs, out)?;
    match info {
        Some(info) => info.write(out)?,
        None => remove_if_present(&out.join(RUN_JSON))?,
    }
    // The grid travels along when every input ran the same one, so missing trials are
    // still reported on the merged directory.
    match grids.first() {
        Some(Some(text)) if grids.iter().all(|g| g.as_ref() == Some(text)) => {
            store::write_bytes(&out.join(GRID_TOML), text.as_bytes())?
        }
        _ => remove_if_present(&out.join(GRID_TOML))?,
    }
    summarize_into(out)
}
