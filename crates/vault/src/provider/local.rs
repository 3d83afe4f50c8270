//! KEKs as files in a private directory: `kek-v{N}.key`, 32 random bytes each, mode 0600, in a
//! directory of mode 0700 that must live outside the config and data directories (S1, S2).
//!
//! Files with group/other permission bits are refused rather than fixed: a key that others
//! could read may already be copied, and the operator should know.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::RwLock;

use rand::rngs::OsRng;
use rand::RngCore;
use zeroize::Zeroizing;

use super::fsutil;
use super::soft::SoftKek;
use super::KeyProvider;
use crate::datakey::DataKey;
use crate::error::VaultError;

const KIND: &str = "local";
const KEY_LEN: usize = 32;

/// KEKs read from files in a directory.
#[derive(Debug)]
pub struct LocalKeyProvider {
    dir: PathBuf,
    state: RwLock<State>,
}

#[derive(Debug)]
struct State {
    current: u32,
    keys: BTreeMap<u32, SoftKek>,
}

/// The file name of KEK `version`.
pub fn key_file_name(version: u32) -> String {
    format!("kek-v{version}.key")
}

fn parse_key_file_name(name: &str) -> Option<u32> {
    let digits = name.strip_prefix("kek-v")?.strip_suffix(".key")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.starts_with('0') {
        return None;
    }
    digits.parse().ok()
}

impl LocalKeyProvider {
    /// Opens an existing KEK directory. Refuses a missing directory, one open to group or
    /// others, one without key files, and any key file that is not mode 0600-or-stricter.
    pub fn open(dir: &Path) -> Result<Self, VaultError> {
        fsutil::check_private_dir(dir)?;
        let keys = load_all(dir)?;
        let Some(&current) = keys.keys().next_back() else {
            return Err(VaultError::kek_file(
                dir,
                "no KEK files (kek-v<N>.key) in directory",
            ));
        };
        Ok(Self {
            dir: dir.to_path_buf(),
            state: RwLock::new(State { current, keys }),
        })
    }

    /// Opens the KEK directory, creating it (mode 0700) and KEK version 1 when missing.
    pub fn open_or_create(dir: &Path) -> Result<Self, VaultError> {
        fsutil::create_private_dir(dir)?;
        fsutil::check_private_dir(dir)?;
        let has_keys = !load_all(dir)?.is_empty();
        if !has_keys {
            create_key_file(dir, 1)?;
        }
        Self::open(dir)
    }

    /// The KEK directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        // A poisoned lock only means another thread panicked mid-update; the map itself is
        // always consistent (inserts are single operations), so keep serving.
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Loads a version another process created after we opened the directory.
    fn load_missing(&self, version: u32) -> Result<(), VaultError> {
        let path = self.dir.join(key_file_name(version));
        if !path.exists() {
            return Err(VaultError::UnknownKekVersion {
                version,
                provider: KIND,
            });
        }
        let kek = load_key(&path)?;
        let mut state = self.write();
        state.keys.entry(version).or_insert(kek);
        if version > state.current {
            state.current = version;
        }
        Ok(())
    }

    fn with_key<T>(
        &self,
        version: u32,
        f: impl Fn(&SoftKek) -> Result<T, VaultError>,
    ) -> Result<T, VaultError> {
        {
            let state = self.read();
            if let Some(kek) = state.keys.get(&version) {
                return f(kek);
            }
        }
        self.load_missing(version)?;
        let state = self.read();
        let kek = state
            .keys
            .get(&version)
            .ok_or(VaultError::UnknownKekVersion {
                version,
                provider: KIND,
            })?;
        f(kek)
    }
}

fn load_all(dir: &Path) -> Result<BTreeMap<u32, SoftKek>, VaultError> {
    let entries =
        fs::read_dir(dir).map_err(|e| VaultError::kek_file(dir, format!("cannot list: {e}")))?;
    let mut keys = BTreeMap::new();
    for entry in entries {
        let entry = entry.map_err(|e| VaultError::kek_file(dir, format!("cannot list: {e}")))?;
        let name = entry.file_name();
        let Some(version) = name.to_str().and_then(parse_key_file_name) else {
            continue;
        };
        keys.insert(version, load_key(&entry.path())?);
    }
    Ok(keys)
}

fn load_key(path: &Path) -> Result<SoftKek, VaultError> {
    let bytes = fsutil::read_private_file(path, KEY_LEN as u64 + 1)?;
    let key: Zeroizing<[u8; KEY_LEN]> =
        Zeroizing::new(bytes.as_slice().try_into().map_err(|_| {
            VaultError::kek_file(
                path,
                format!("{} bytes, expected exactly {KEY_LEN}", bytes.len()),
            )
        })?);
    Ok(SoftKek::new(&key))
}

fn create_key_file(dir: &Path, version: u32) -> Result<(), VaultError> {
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    OsRng
        .try_fill_bytes(&mut key[..])
        .map_err(|e| VaultError::Random(e.to_string()))?;
    fsutil::write_new_private_file(&dir.join(key_file_name(version)), &key[..])
}

impl KeyProvider for LocalKeyProvider {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn current_version(&self) -> u32 {
        self.read().current
    }

    fn wrap_key(&self, version: u32, dek: &DataKey, aad: &[u8]) -> Result<Vec<u8>, VaultError> {
        self.with_key(version, |kek| kek.wrap(dek, aad))
    }

    fn unwrap_key(&self, version: u32, wrapped: &[u8], aad: &[u8]) -> Result<DataKey, VaultError> {
        self.with_key(version, |kek| kek.unwrap(version, wrapped, aad))
    }

    fn create_next_version(&self) -> Result<u32, VaultError> {
        let mut state = self.write();
        // Another process may have rotated since we opened: never reuse a file name.
        let on_disk = load_all(&self.dir)?
            .keys()
            .next_back()
            .copied()
            .unwrap_or(0);
        let next = state
            .current
            .max(on_disk)
            .checked_add(1)
            .ok_or_else(|| VaultError::kek_file(&self.dir, "KEK version counter exhausted"))?;
        create_key_file(&self.dir, next)?;
        let kek = load_key(&self.dir.join(key_file_name(next)))?;
        state.keys.insert(next, kek);
        state.current = next;
        Ok(next)
    }

    fn retire_version(&self, version: u32) -> Result<(), VaultError> {
        let mut state = self.write();
        if version == state.current {
            return Err(VaultError::RetireCurrent { version });
        }
        let path = self.dir.join(key_file_name(version));
        if state.keys.remove(&version).is_none() && !path.exists() {
            return Err(VaultError::UnknownKekVersion {
                version,
                provider: KIND,
            });
        }
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(VaultError::kek_file(path, format!("cannot delete: {e}"))),
        }
    }

    fn versions(&self) -> Vec<u32> {
        self.read().keys.keys().copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_file_names_parse_strictly() {
        assert_eq!(parse_key_file_name("kek-v1.key"), Some(1));
        assert_eq!(parse_key_file_name("kek-v42.key"), Some(42));
        assert_eq!(parse_key_file_name(&key_file_name(7)), Some(7));
        for bad in [
            "kek-v.key",
            "kek-v01.key",
            "kek-v1.key.tmp-3",
            "kek-v-1.key",
            "kek-v1x.key",
            "kek-v99999999999.key",
        ] {
            assert_eq!(parse_key_file_name(bad), None, "{bad}");
        }
    }
}
