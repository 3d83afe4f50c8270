//! The external checkpoint sink: a JSON-lines file outside the database, one signed
//! checkpoint per line, appended and synced before the database copy is written.
//!
//! An attacker who can rewrite the database cannot rewrite this file (keep it on another
//! volume, ship it with syslog/rsync, or make it append-only with `chattr +a`), so a truncated
//! or rewritten log no longer reproduces the roots listed here.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::checkpoint::SignedCheckpoint;
use crate::AuditError;

/// A checkpoint read from the file, with the line it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileCheckpoint {
    /// 1-based line number.
    pub line: usize,
    /// The checkpoint.
    pub checkpoint: SignedCheckpoint,
}

/// A line of the file that is not a valid checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong with it.
    pub reason: String,
}

/// The checkpoint file at a path.
#[derive(Debug, Clone)]
pub struct CheckpointFile {
    path: PathBuf,
}

impl CheckpointFile {
    /// The file at `path` (created on first append).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one checkpoint and syncs it to disk.
    pub fn append(&self, checkpoint: &SignedCheckpoint) -> Result<(), AuditError> {
        let io = |source| AuditError::CheckpointFile {
            path: self.path.display().to_string(),
            source,
        };
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(io)?;
        let mut line = checkpoint.to_json_line();
        line.push('\n');
        file.write_all(line.as_bytes()).map_err(io)?;
        file.sync_data().map_err(io)
    }

    /// Reads every line: the checkpoints, and the lines that are not checkpoints (blank lines
    /// are skipped). A missing file is an error: the caller asked for it.
    pub fn read(&self) -> Result<(Vec<FileCheckpoint>, Vec<BadLine>), std::io::Error> {
        let bytes = std::fs::read(&self.path)?;
        let mut good = Vec::new();
        let mut bad = Vec::new();
        for (i, raw) in bytes.split(|b| *b == b'\n').enumerate() {
            let line = i + 1;
            if raw.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let parsed = std::str::from_utf8(raw)
                .map_err(|_| "not UTF-8".to_owned())
                .and_then(|text| SignedCheckpoint::from_json_line(text).map_err(|e| e.to_string()));
            match parsed {
                Ok(checkpoint) => good.push(FileCheckpoint { line, checkpoint }),
                Err(reason) => bad.push(BadLine { line, reason }),
            }
        }
        Ok((good, bad))
    }
}
