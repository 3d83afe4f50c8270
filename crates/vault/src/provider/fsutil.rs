//! File-system helpers for providers that keep files: private directories, owner-only files,
//! exclusive and atomic writes, and permission checks that name the path and mode.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

use zeroize::Zeroizing;

use crate::error::VaultError;

/// Permission bits that must be clear on every key file and key directory.
const GROUP_OTHER: u32 = 0o077;

/// Creates `dir` (and missing parents) with mode 0700 if it does not exist.
pub(crate) fn create_private_dir(dir: &Path) -> Result<(), VaultError> {
    if dir.exists() {
        return Ok(());
    }
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| VaultError::kek_file(dir, format!("cannot create directory: {e}")))
}

/// Checks that `dir` exists, is a directory and is closed to group and others.
pub(crate) fn check_private_dir(dir: &Path) -> Result<(), VaultError> {
    let meta = fs::metadata(dir)
        .map_err(|e| VaultError::kek_file(dir, format!("cannot open directory: {e}")))?;
    if !meta.is_dir() {
        return Err(VaultError::kek_file(dir, "not a directory"));
    }
    check_mode(dir, meta.mode())
}

fn check_mode(path: &Path, mode: u32) -> Result<(), VaultError> {
    if mode & GROUP_OTHER != 0 {
        return Err(VaultError::kek_file(
            path,
            format!(
                "mode {:04o} gives group/other access; run `chmod go= {}`",
                mode & 0o7777,
                path.display()
            ),
        ));
    }
    Ok(())
}

/// Reads a secret file after checking, on the opened file itself, that only its owner can
/// access it. The content is returned in a zeroizing buffer.
pub(crate) fn read_private_file(
    path: &Path,
    max_len: u64,
) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    let mut file =
        File::open(path).map_err(|e| VaultError::kek_file(path, format!("cannot open: {e}")))?;
    let meta = file
        .metadata()
        .map_err(|e| VaultError::kek_file(path, format!("cannot stat: {e}")))?;
    if !meta.is_file() {
        return Err(VaultError::kek_file(path, "not a regular file"));
    }
    check_mode(path, meta.permissions().mode())?;
    if meta.len() > max_len {
        return Err(VaultError::kek_file(
            path,
            format!("{} bytes, expected at most {max_len}", meta.len()),
        ));
    }
    let mut buf = Zeroizing::new(Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0)));
    file.read_to_end(&mut buf)
        .map_err(|e| VaultError::kek_file(path, format!("cannot read: {e}")))?;
    Ok(buf)
}

/// Writes `content` to `path` with mode 0600, failing if `path` already exists. The content
/// goes to a temporary file first and is hard-linked into place, so a crash never leaves a
/// half-written file under the final name.
pub(crate) fn write_new_private_file(path: &Path, content: &[u8]) -> Result<(), VaultError> {
    let tmp = tmp_path(path);
    write_tmp(&tmp, content)?;
    let linked = fs::hard_link(&tmp, path);
    let _ = fs::remove_file(&tmp);
    linked.map_err(|e| VaultError::kek_file(path, format!("cannot create: {e}")))?;
    sync_parent(path)
}

/// Atomically replaces `path` with `content` (mode 0600).
pub(crate) fn replace_private_file(path: &Path, content: &[u8]) -> Result<(), VaultError> {
    let tmp = tmp_path(path);
    write_tmp(&tmp, content)?;
    fs::rename(&tmp, path).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        VaultError::kek_file(path, format!("cannot replace: {e}"))
    })?;
    sync_parent(path)
}

fn tmp_path(path: &Path) -> std::path::PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(format!(".tmp-{}", std::process::id()));
    path.with_file_name(name)
}

fn write_tmp(tmp: &Path, content: &[u8]) -> Result<(), VaultError> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(tmp)
        .map_err(|e| VaultError::kek_file(tmp, format!("cannot create: {e}")))?;
    let written = file.write_all(content).and_then(|()| file.sync_all());
    if let Err(e) = written {
        let _ = fs::remove_file(tmp);
        return Err(VaultError::kek_file(tmp, format!("cannot write: {e}")));
    }
    Ok(())
}

fn sync_parent(path: &Path) -> Result<(), VaultError> {
    if let Some(parent) = path.parent() {
        File::open(parent)
            .and_then(|d| d.sync_all())
            .map_err(|e| VaultError::kek_file(parent, format!("cannot sync directory: {e}")))?;
    }
    Ok(())
}
