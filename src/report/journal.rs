//! Reading the journal: the append-only JSON-lines files a sweep writes as trials finish.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use crate::results::TrialRecord;

/// What a read of the journal found, including what it had to leave out, so a caller can warn
/// about torn lines instead of losing them silently.
#[derive(Debug, Clone, Default)]
pub struct JournalRead {
    /// One record per trial id (the last one read wins), sorted by trial id.
    pub records: Vec<TrialRecord>,
    /// The journal files read, in the order they were read.
    pub files: Vec<PathBuf>,
    /// Lines ignored because they were the last line of their file and did not parse:
    /// (file, 1-based line number).
    pub torn: Vec<(PathBuf, usize)>,
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
pub fn journal_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
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
pub fn read_journal(dir: &Path) -> anyhow::Result<Vec<TrialRecord>> {
    Ok(read_journal_detailed(dir)?.records)
}

/// Reads every `journal*.jsonl` in `dir` (files in [`journal_order`], lines in order).
///
/// A crash while appending can leave the last line of a file incomplete, so a last line that
/// does not parse is skipped and reported in [`JournalRead::torn`]. Anywhere else a bad line
/// means the file was damaged in a way a crash cannot explain, so it is an error naming the
/// file and line. Blank lines are ignored. A directory without journal files gives no records.
pub fn read_journal_detailed(dir: &Path) -> anyhow::Result<JournalRead> {
    let files = journal_files(dir)?;
    let mut by_id: BTreeMap<String, TrialRecord> = BTreeMap::new();
    let mut torn = Vec::new();
    let mut replaced = 0;
    for file in &files {
        // Bytes, not a String: a torn line may end inside a multi-byte character.
        let bytes = std::fs::read(file)
            .with_context(|| format!("cannot read journal file {}", file.display()))?;
        let lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
        let is_blank = |line: &[u8]| line.iter().all(|b| b.is_ascii_whitespace());
        let last_content = lines.iter().rposition(|l| !is_blank(l));
        for (index, line) in lines.iter().enumerate() {
            if is_blank(line) {
                continue;
            }
            match serde_json::from_slice::<TrialRecord>(line) {
                Ok(record) => {
                    if by_id.insert(record.trial_id.clone(), record).is_some() {
                        replaced += 1;
                    }
                }
                Err(_) if Some(index) == last_content => torn.push((file.clone(), index + 1)),
                Err(err) => bail!(
                    "journal file {} line {}: not a trial record: {err}",
                    file.display(),
                    index + 1
                ),
            }
        }
    }
    Ok(JournalRead {
        records: by_id.into_values().collect(),
        files,
        torn,
        replaced,
    })
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

    #[test]
    fn missing_directory_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = read_journal(&dir.path().join("nope")).unwrap_err();
        assert!(format!("{err:#}").contains("nope"), "{err:#}");
    }
}
