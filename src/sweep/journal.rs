//! The journal: one JSON line per finished trial, appended by a single writer and handed to
//! the operating system before the next trial's line, so a killed run keeps every trial
//! that finished. Its first line is a header naming the data the trials were trained on.
//!
//! Opening a journal for appending reads it with the same judgement every reader uses
//! ([`crate::report::journal::scan`]) and repairs its tail to match: a torn last line is cut
//! off, a whole record lacking only its newline gets it back. So what a resume counts as done
//! and what the file keeps never disagree.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::error::bad_input;
use crate::report::journal::{JournalHeader, scan};
use crate::results::TrialRecord;

use super::RunInfo;

pub struct JournalWriter {
    path: PathBuf,
    file: File,
    /// Records in the file before this run appended any.
    kept: usize,
}

/// One line for an I/O failure on the journal: the path, the system's reason, and how to go on.
fn failed(what: &str, path: &Path, err: std::io::Error, kept: usize) -> anyhow::Error {
    anyhow::anyhow!(
        "cannot {what} the journal {}: {err}; the {kept} finished trial(s) it holds are kept: once that \
         is fixed (e.g. space freed), run the same command again to train the rest",
        path.display()
    )
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
