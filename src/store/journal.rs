//! The journal: one JSON line per finished trial, appended by a single writer
//! ([`JournalWriter`]) and handed to the operating system before the next trial's line, so a
//! killed run keeps every trial that finished. Its first line is a header naming the data the
//! trials were trained on. A directory may hold several journal files (one per shard, or
//! per merge); readers take them all ([`read_journal`]).
//!
//! Every line is judged once, by [`scan`], for readers and the writer alike: opening a journal
//! for appending repairs its tail to match (a torn last line is cut off, a whole record
//! lacking only its newline gets it back), so what a resume counts as done and what the file
//! keeps never disagree.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::RunInfo;
use crate::error::{Context, Error, Result, bad_input};
use crate::store::records::TrialRecord;

/// What a read of the journal found, including what it had to leave out, so a caller can warn
/// about torn lines instead of losing them silently.
#[derive(Debug, Clone, Default)]
pub struct JournalRead {
    /// One record per trial id, and series of a collection (the last one read wins), sorted
    /// by trial id, then series.
    pub records: Vec<TrialRecord>,
    /// The journal files read, in the order they were read.
    pub files: Vec<PathBuf>,
    /// Lines ignored because they were the last line of their file and did not parse:
    /// (file, 1-based line number).
    pub torn: Vec<(PathBuf, usize)>,
    /// The header of each file that has one: what its records were trained on.
    pub headers: Vec<(PathBuf, RunInfo)>,
    /// How many records were replaced by a later one with the same trial id.
    pub replaced: usize,
}

/// True for `journal*.jsonl`: a sweep may start a new journal file per run (e.g. on resume),
/// and every one of them belongs to the results.
fn is_journal_name(name: &str) -> bool {
    name.starts_with("journal") && name.ends_with(".jsonl")
}

/// Orders journal names so that later files are read later: `journal.jsonl` first (plain
/// byte order would put `journal-2.jsonl` before it, since `-` < `.`), then by what follows
/// `journal`, with digit runs compared as numbers (`journal-10` after `journal-9`).
fn journal_order(a: &str, b: &str) -> std::cmp::Ordering {
    let middle = |s: &'_ str| -> String {
        s.strip_prefix("journal")
            .and_then(|s| s.strip_suffix(".jsonl"))
            .unwrap_or(s)
            .to_string()
    };
    let chunks = |s: String| -> Vec<(Option<u128>, String)> {
        let mut out: Vec<(Option<u128>, String)> = Vec::new();
        for c in s.chars() {
            let digit = c.is_ascii_digit();
            match out.last_mut() {
                Some((_, text))
                    if text.chars().next().is_some_and(|f| f.is_ascii_digit()) == digit =>
                {
                    text.push(c)
                }
                _ => out.push((None, c.to_string())),
            }
        }
        for (number, text) in &mut out {
            *number = text.parse().ok();
        }
        out
    };
    let (ka, kb) = (chunks(middle(a)), chunks(middle(b)));
    for (x, y) in ka.iter().zip(&kb) {
        let ord = match (x.0, y.0) {
            (Some(n), Some(m)) => n.cmp(&m).then_with(|| x.1.cmp(&y.1)),
            _ => x.1.cmp(&y.1),
        };
        if ord.is_ne() {
            return ord;
        }
    }
    ka.len().cmp(&kb.len()).then_with(|| a.cmp(b))
}

/// The journal files in `dir`, in reading order (see [`journal_order`]), so that "the last
/// one read wins" is reproducible and follows the order the files were started in.
pub fn journal_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("cannot list the results directory {}", dir.display()))?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if is_journal_name(name) && entry.path().is_file() {
            files.push(entry.path());
        }
    }
    files.sort_by(|a, b| {
        let name = |p: &PathBuf| {
            p.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        journal_order(&name(a), &name(b))
    });
    Ok(files)
}

/// Reads every `journal*.jsonl` in `dir`; see [`read_journal_detailed`].
pub fn read_journal(dir: &Path) -> Result<Vec<TrialRecord>> {
    Ok(read_journal_detailed(dir)?.records)
}

/// The first line of a journal file written by this version: what the records below it were
/// trained on, so the fingerprint travels with the results it describes. Older journals have
/// no header; their directory's `run.json` speaks for them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JournalHeader {
    /// The journal format; 1 is the first with a header.
    pub trendsweep_journal: u32,
    pub run: RunInfo,
}

impl JournalHeader {
    pub const VERSION: u32 = 1;

    pub fn new(run: &RunInfo) -> JournalHeader {
        JournalHeader {
            trendsweep_journal: Self::VERSION,
            run: run.clone(),
        }
    }
}

/// What one line of a journal is. Every reader and the writer decide with [`classify`], so a
/// line counts as a record for all of them or for none.
#[derive(Debug)]
pub enum Line {
    Blank,
    Header(Box<JournalHeader>),
    Record(Box<TrialRecord>),
    /// Valid JSON that is neither a header nor a record.
    NotARecord(String),
    /// Not JSON at all (e.g. the start of a record cut off by a kill).
    NotJson(String),
}

pub fn classify(line: &[u8]) -> Line {
    if line.iter().all(|b| b.is_ascii_whitespace()) {
        return Line::Blank;
    }
    if let Ok(record) = serde_json::from_slice::<TrialRecord>(line) {
        return Line::Record(Box::new(record));
    }
    if let Ok(header) = serde_json::from_slice::<JournalHeader>(line) {
        return Line::Header(Box::new(header));
    }
    match serde_json::from_slice::<serde_json::Value>(line) {
        Ok(_) => Line::NotARecord(
            serde_json::from_slice::<TrialRecord>(line)
                .err()
                .map_or_else(String::new, |e| e.to_string()),
        ),
        Err(e) => Line::NotJson(e.to_string()),
    }
}

/// One journal file, read and judged line by line.
#[derive(Debug, Default)]
pub struct Scanned {
    pub header: Option<JournalHeader>,
    /// The records, in file order (a later one for the same trial id replaces an earlier one).
    pub records: Vec<TrialRecord>,
    /// How many leading bytes of the file are kept: less than its length when the last line
    /// is torn (cut off by a crash mid-write) and must go.
    pub keep: usize,
    /// The last line is a whole record or header that lacks only its newline (a write that
    /// stopped just before it): it counts, and the writer restores the newline.
    pub missing_newline: bool,
    /// The 1-based number of a torn last line, left out.
    pub torn_line: Option<usize>,
}

/// Judges every line of a journal file's contents. Only the last line can have been cut off
/// by a crash, and only if it lacks its newline: such a line that is not JSON is torn and left
/// out; one that is a whole record lacking its newline counts. Any other line that is not a
/// record (or the header, on line 1) is damage no crash explains: an error naming file and line.
pub fn scan(path: &Path, bytes: &[u8]) -> Result<Scanned> {
    let mut out = Scanned {
        keep: bytes.len(),
        ..Scanned::default()
    };
    let mut start = 0;
    let mut number = 0;
    while start < bytes.len() {
        number += 1;
        let end = bytes[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map(|i| start + i);
        let line = &bytes[start..end.unwrap_or(bytes.len())];
        let terminated = end.is_some();
        let bad = |what: String| {
            Error::CorruptJournal(format!(
                "journal file {} line {number}: {what}; a crash cannot leave such a line, so the file \
                 was changed or damaged: repair or delete that line (or move the file out of the \
                 directory) and run again",
                path.display()
            ))
        };
        match classify(line) {
            Line::Blank if terminated => {}
            // Trailing spaces without a newline: nothing a writer of ours left; cut them.
            Line::Blank => out.keep = start,
            Line::Record(record) => {
                out.records.push(*record);
                out.missing_newline = !terminated;
            }
            Line::Header(header) if number == 1 => {
                out.header = Some(*header);
                out.missing_newline = !terminated;
            }
            Line::Header(_) => {
                return Err(bad("a journal header, which belongs on line 1 only".into()));
            }
            Line::NotJson(_) if !terminated => {
                out.keep = start;
                out.torn_line = Some(number);
            }
            Line::NotJson(e) | Line::NotARecord(e) => {
                return Err(bad(format!("not a trial record ({e})")));
            }
        }
        start = end.map_or(bytes.len(), |e| e + 1);
    }
    Ok(out)
}

/// Reads every `journal*.jsonl` in `dir` (files in [`journal_order`], lines in order), each
/// judged by [`scan`]: a torn last line is skipped and reported in [`JournalRead::torn`]; any
/// other bad line is an error naming the file and line. A directory without journal files
/// gives no records.
pub fn read_journal_detailed(dir: &Path) -> Result<JournalRead> {
    let files = journal_files(dir)?;
    let mut by_id: BTreeMap<(String, Option<String>), TrialRecord> = BTreeMap::new();
    let mut torn = Vec::new();
    let mut headers = Vec::new();
    let mut replaced = 0;
    for file in &files {
        // Bytes, not a String: a torn line may end inside a multi-byte character.
        let bytes = std::fs::read(file)
            .with_context(|| format!("cannot read journal file {}", file.display()))?;
        let scanned = scan(file, &bytes)?;
        if let Some(line) = scanned.torn_line {
            torn.push((file.clone(), line));
        }
        if let Some(header) = scanned.header {
            headers.push((file.clone(), header.run));
        }
        for record in scanned.records {
            if by_id.insert(record.key(), record).is_some() {
                replaced += 1;
            }
        }
    }
    Ok(JournalRead {
        records: by_id.into_values().collect(),
        files,
        torn,
        headers,
        replaced,
    })
}

pub struct JournalWriter {
    path: PathBuf,
    file: File,
    /// Records in the file before this run appended any.
    kept: usize,
}

/// One line for an I/O failure on the journal: the path, the system's reason, and how to go on.
fn failed(what: &str, path: &Path, err: std::io::Error, kept: usize) -> Error {
    Error::failed(format!(
        "cannot {what} the journal {}: {err}; the {kept} finished trial(s) it holds are kept: once that \
         is fixed (e.g. space freed), run the same command again to train the rest",
        path.display()
    ))
}

impl JournalWriter {
    /// Opens `path` for appending: repairs its tail (see the module), refuses a journal whose
    /// header names other data than `run`, and starts a new journal with `run`'s header.
    /// Without `run` (a merge of directories that recorded no data) neither happens.
    pub fn open(path: &Path, run: Option<&RunInfo>) -> Result<JournalWriter> {
        if path.is_dir() {
            return Err(bad_input(format!(
                "{} is a directory, not a journal file: move it out of the results directory and run again",
                path.display()
            )));
        }
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(path)
            .map_err(|e| failed("open", path, e, 0))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|e| failed("read", path, e, 0))?;
        let scanned = scan(path, &bytes)?;
        let kept = scanned.records.len();
        if let (Some(header), Some(run)) = (&scanned.header, run)
            && &header.run != run
        {
            return Err(bad_input(format!(
                "{}: its trials were trained on {}, but this grid uses {}; use --fresh to start over \
                 (the old directory is kept beside it) or another --out",
                path.display(),
                header.run.describe(),
                run.describe()
            )));
        }
        if scanned.keep < bytes.len() {
            file.set_len(scanned.keep as u64)
                .map_err(|e| failed("repair", path, e, kept))?;
            file.seek(SeekFrom::End(0))
                .map_err(|e| failed("repair", path, e, kept))?;
        }
        let mut writer = JournalWriter {
            path: path.to_path_buf(),
            file,
            kept,
        };
        if scanned.missing_newline {
            writer.write_line(b"\n", "repair")?;
        }
        if let Some(run) = run
            && scanned.header.is_none()
            && scanned.records.is_empty()
        {
            let mut line = serde_json::to_vec(&JournalHeader::new(run))?;
            line.push(b'\n');
            writer.write_line(&line, "start")?;
        }
        Ok(writer)
    }

    fn write_line(&mut self, line: &[u8], what: &str) -> Result<()> {
        self.file
            .write_all(line)
            .and_then(|_| self.file.flush())
            .map_err(|e| failed(what, &self.path, e, self.kept))
    }

    /// Appends one record as one write, so a line is either whole or torn at the end.
    pub fn append(&mut self, record: &TrialRecord) -> Result<()> {
        let mut line = serde_json::to_vec(record)?;
        line.push(b'\n');
        self.write_line(&line, "append to")?;
        self.kept += 1;
        Ok(())
    }

    /// Makes the journal durable against power loss too (kill -9 needs only `append`).
    pub fn sync(&self) -> Result<()> {
        self.file
            .sync_all()
            .map_err(|e| failed("sync", &self.path, e, self.kept))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journal_names() {
        assert!(is_journal_name("journal.jsonl"));
        assert!(is_journal_name("journal-0002.jsonl"));
        assert!(!is_journal_name("journal.jsonl.tmp"));
        assert!(!is_journal_name("trials.jsonl"));
    }

    #[test]
    fn later_journals_are_read_later() {
        let mut names = vec![
            "journal-10.jsonl",
            "journal-2.jsonl",
            "journal.jsonl",
            "journal-9.jsonl",
            "journal-a.jsonl",
        ];
        names.sort_by(|a, b| journal_order(a, b));
        assert_eq!(
            names,
            [
                "journal.jsonl",
                "journal-2.jsonl",
                "journal-9.jsonl",
                "journal-10.jsonl",
                "journal-a.jsonl"
            ]
        );
    }

    #[test]
    fn empty_directory_gives_no_records() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("notes.txt"), "journal").unwrap();
        let read = read_journal_detailed(dir.path()).unwrap();
        assert!(read.records.is_empty());
        assert!(read.files.is_empty());
    }

    /// One serialized record, as the writer lays it down.
    fn record_line() -> String {
        let record = TrialRecord {
            trial_id: "abc".into(),
            series: None,
            window: 4,
            config: crate::config::TrainConfig::default(),
            result: crate::store::records::TrialResult::failed("x".into()),
            search: None,
        };
        serde_json::to_string(&record).unwrap()
    }

    #[test]
    fn scan_keeps_a_record_lacking_only_its_newline_and_cuts_a_torn_one() {
        let line = record_line();
        let path = Path::new("journal.jsonl");
        let whole = scan(path, line.as_bytes()).unwrap();
        assert_eq!(
            (whole.records.len(), whole.missing_newline, whole.keep),
            (1, true, line.len())
        );
        let text = format!("{line}\n{}", &line[..line.len() - 3]);
        let torn = scan(path, text.as_bytes()).unwrap();
        assert_eq!(
            (torn.records.len(), torn.torn_line, torn.keep),
            (1, Some(2), line.len() + 1)
        );
    }

    #[test]
    fn scan_refuses_json_that_is_not_a_record_even_last() {
        let line = record_line();
        for tail in ["{\"oops\":true}", "{\"oops\":true}\n", "[1]\n"] {
            let text = format!("{line}\n{tail}");
            let err = scan(Path::new("j.jsonl"), text.as_bytes()).unwrap_err();
            assert!(matches!(err, Error::CorruptJournal(_)), "{tail}: {err:?}");
            assert_eq!(err.exit_status(), 2, "{tail}");
            assert!(err.to_string().contains("j.jsonl line 2"), "{err}");
        }
    }

    #[test]
    fn missing_directory_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = read_journal(&dir.path().join("nope")).unwrap_err();
        assert!(format!("{err:#}").contains("nope"), "{err:#}");
    }
}
