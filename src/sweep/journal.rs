//! The journal: one JSON line per finished trial, appended by a single writer and handed to
//! the operating system before the next trial's line, so a killed run keeps every trial
//! that finished. A torn last line (a kill mid-write) is cut off before appending again.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::results::TrialRecord;

pub struct JournalWriter {
    path: PathBuf,
    file: File,
}

impl JournalWriter {
    /// Opens `path` for appending, first trimming any incomplete last line.
    pub fn open(path: &Path) -> Result<JournalWriter> {
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(path)
            .with_context(|| format!("opening journal {}", path.display()))?;
        let mut text = Vec::new();
        file.read_to_end(&mut text)?;
        if let Some(&last) = text.last()
            && last != b'\n'
        {
            let keep = text.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            file.set_len(keep as u64)?;
            file.seek(SeekFrom::End(0))?;
        }
        Ok(JournalWriter {
            path: path.to_path_buf(),
            file,
        })
    }

    /// Appends one record as one write, so a line is either whole or torn at the end.
    pub fn append(&mut self, record: &TrialRecord) -> Result<()> {
        let mut line = serde_json::to_vec(record)?;
        line.push(b'\n');
        self.file
            .write_all(&line)
            .and_then(|_| self.file.flush())
            .with_context(|| format!("writing journal {}", self.path.display()))
    }

    /// Makes the journal durable against power loss too (kill -9 needs only `append`).
    pub fn sync(&self) -> Result<()> {
        self.file
            .sync_all()
            .with_context(|| format!("syncing journal {}", self.path.display()))
    }
}
