//! KEKs derived from an operator passphrase with argon2id. Nothing secret is on disk.
//!
//! Per version, `kek-params.json` in the provider directory records the argon2id cost
//! parameters, a random 16-byte salt and a key-check value
//! `HMAC-SHA256(KEK, "tradeward-vault/passphrase-check" ‖ version)`. The check value lets a
//! wrong passphrase be reported as [`VaultError::WrongPassphrase`] at start-up instead of as
//! corrupted ciphertext at the first signature. It reveals nothing a ciphertext would not:
//! guessing the passphrase costs one argon2id evaluation either way.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::RwLock;

use argon2::{Algorithm, Argon2, AssociatedData, ParamsBuilder, Version};
use hmac::{Hmac, Mac};
use rand::rngs::OsRng;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::fsutil;
use super::soft::SoftKek;
use super::KeyProvider;
use crate::datakey::DataKey;
use crate::error::VaultError;
use crate::secret::SecretBytes;

const KIND: &str = "passphrase";
/// Name of the parameter file inside the provider directory.
pub const PARAMS_FILE: &str = "kek-params.json";
const FILE_FORMAT: u32 = 1;
const SALT_LEN: usize = 16;
const CHECK_LABEL: &[u8] = b"tradeward-vault/passphrase-check";

/// argon2id cost parameters for new KEK versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KdfParams {
    /// Memory in KiB.
    pub m_cost_kib: u32,
    /// Passes over memory.
    pub t_cost: u32,
    /// Lanes.
    pub p_cost: u32,
}

impl Default for KdfParams {
    /// 64 MiB, 3 passes, 1 lane: RFC 9106's memory-constrained profile with one lane, since
    /// the derivation runs once per version at start-up.
    fn default() -> Self {
        Self {
            m_cost_kib: 64 * 1024,
            t_cost: 3,
            p_cost: 1,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ParamsFile {
    format: u32,
    versions: Vec<VersionParams>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct VersionParams {
    version: u32,
    kdf: String,
    cost: KdfParams,
    salt: String,
    key_check: String,
}

/// KEKs derived from a passphrase.
#[derive(Debug)]
pub struct PassphraseKeyProvider {
    dir: PathBuf,
    passphrase: SecretBytes,
    new_params: KdfParams,
    state: RwLock<State>,
}

#[derive(Debug)]
struct State {
    current: u32,
    keys: BTreeMap<u32, SoftKek>,
    file: ParamsFile,
}

/// argon2id (version 0x13) with optional secret and associated data, as RFC 9106 defines it.
/// The provider uses it without secret or associated data; the RFC's test vector uses both.
pub(crate) fn argon2id_into(
    password: &[u8],
    salt: &[u8],
    secret: &[u8],
    ad: &[u8],
    cost: KdfParams,
    out: &mut [u8],
) -> Result<(), argon2::Error> {
    let mut builder = ParamsBuilder::new();
    builder
        .m_cost(cost.m_cost_kib)
        .t_cost(cost.t_cost)
        .p_cost(cost.p_cost)
        .output_len(out.len());
    if !ad.is_empty() {
        builder.data(AssociatedData::new(ad)?);
    }
    let params = builder.build()?;
    let argon = if secret.is_empty() {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    } else {
        Argon2::new_with_secret(secret, Algorithm::Argon2id, Version::V0x13, params)?
    };
    argon.hash_password_into(password, salt, out)
}

fn key_check(kek: &[u8; 32], version: u32) -> [u8; 32] {
    // HMAC accepts keys of any length; a 32-byte key cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(kek).unwrap_or_else(|_| unreachable!());
    mac.update(CHECK_LABEL);
    mac.update(&version.to_be_bytes());
    mac.finalize().into_bytes().into()
}

impl PassphraseKeyProvider {
    /// Opens an existing provider directory and derives every recorded KEK version, checking
    /// each against its key-check value. `new_params` applies to versions created later.
    pub fn open(
        dir: &Path,
        passphrase: SecretBytes,
        new_params: KdfParams,
    ) -> Result<Self, VaultError> {
        if passphrase.is_empty() {
            return Err(VaultError::config("passphrase", "is empty"));
        }
        fsutil::check_private_dir(dir)?;
        let path = dir.join(PARAMS_FILE);
        let raw = fsutil::read_private_file(&path, 1 << 20)?;
        let file: ParamsFile = serde_json::from_slice(&raw)
            .map_err(|e| VaultError::kek_file(&path, format!("invalid parameter file: {e}")))?;
        if file.format != FILE_FORMAT {
            return Err(VaultError::kek_file(
                &path,
                format!("unsupported format {}", file.format),
            ));
        }
        let mut keys = BTreeMap::new();
        for v in &file.versions {
            keys.insert(v.version, derive_and_check(&path, &passphrase, v)?);
        }
        let Some(&current) = keys.keys().next_back() else {
            return Err(VaultError::kek_file(&path, "no KEK versions recorded"));
        };
        Ok(Self {
            dir: dir.to_path_buf(),
            passphrase,
            new_params,
            state: RwLock::new(State {
                current,
                keys,
                file,
            }),
        })
    }

    /// Opens the provider directory, creating it (mode 0700) and KEK version 1 when missing.
    pub fn open_or_create(
        dir: &Path,
        passphrase: SecretBytes,
        new_params: KdfParams,
    ) -> Result<Self, VaultError> {
        if passphrase.is_empty() {
            return Err(VaultError::config("passphrase", "is empty"));
        }
        fsutil::create_private_dir(dir)?;
        fsutil::check_private_dir(dir)?;
        let path = dir.join(PARAMS_FILE);
        if !path.exists() {
            let (entry, _) = new_version(&passphrase, 1, new_params)?;
            let file = ParamsFile {
                format: FILE_FORMAT,
                versions: vec![entry],
            };
            fsutil::write_new_private_file(&path, &to_json(&file)?)?;
        }
        Self::open(dir, passphrase, new_params)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        // Poisoning only means a panic elsewhere; the state is replaced whole, never torn.
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }

    fn with_key<T>(
        &self,
        version: u32,
        f: impl Fn(&SoftKek) -> Result<T, VaultError>,
    ) -> Result<T, VaultError> {
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

fn to_json(file: &ParamsFile) -> Result<Vec<u8>, VaultError> {
    serde_json::to_vec_pretty(file)
        .map_err(|e| VaultError::config("passphrase params", e.to_string()))
}

fn derive(
    path: &Path,
    passphrase: &SecretBytes,
    salt: &[u8],
    cost: KdfParams,
) -> Result<Zeroizing<[u8; 32]>, VaultError> {
    let mut kek = Zeroizing::new([0u8; 32]);
    argon2id_into(passphrase.expose(), salt, &[], &[], cost, &mut kek[..])
        .map_err(|e| VaultError::kek_file(path, format!("invalid argon2id parameters: {e}")))?;
    Ok(kek)
}

fn derive_and_check(
    path: &Path,
    passphrase: &SecretBytes,
    v: &VersionParams,
) -> Result<SoftKek, VaultError> {
    if v.kdf != "argon2id" {
        return Err(VaultError::kek_file(
            path,
            format!("version {}: unsupported kdf {:?}", v.version, v.kdf),
        ));
    }
    let salt = hex::decode(&v.salt).map_err(|_| {
        VaultError::kek_file(path, format!("version {}: salt is not hex", v.version))
    })?;
    let check = hex::decode(&v.key_check).map_err(|_| {
        VaultError::kek_file(path, format!("version {}: key_check is not hex", v.version))
    })?;
    let kek = derive(path, passphrase, &salt, v.cost)?;
    if !bool::from(key_check(&kek, v.version).ct_eq(&check)) {
        return Err(VaultError::WrongPassphrase { version: v.version });
    }
    Ok(SoftKek::new(&kek))
}

fn new_version(
    passphrase: &SecretBytes,
    version: u32,
    cost: KdfParams,
) -> Result<(VersionParams, SoftKek), VaultError> {
    let mut salt = [0u8; SALT_LEN];
    OsRng
        .try_fill_bytes(&mut salt)
        .map_err(|e| VaultError::Random(e.to_string()))?;
    let kek = derive(Path::new(PARAMS_FILE), passphrase, &salt, cost)?;
    let entry = VersionParams {
        version,
        kdf: "argon2id".into(),
        cost,
        salt: hex::encode(salt),
        key_check: hex::encode(key_check(&kek, version)),
    };
    Ok((entry, SoftKek::new(&kek)))
}

impl KeyProvider for PassphraseKeyProvider {
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
        let next = state
            .current
            .checked_add(1)
            .ok_or_else(|| VaultError::kek_file(&self.dir, "KEK version counter exhausted"))?;
        let (entry, kek) = new_version(&self.passphrase, next, self.new_params)?;
        let mut file = state.file.clone();
        file.versions.push(entry);
        fsutil::replace_private_file(&self.dir.join(PARAMS_FILE), &to_json(&file)?)?;
        state.file = file;
        state.keys.insert(next, kek);
        state.current = next;
        Ok(next)
    }

    fn retire_version(&self, version: u32) -> Result<(), VaultError> {
        let mut state = self.write();
        if version == state.current {
            return Err(VaultError::RetireCurrent { version });
        }
        if !state.keys.contains_key(&version) {
            return Err(VaultError::UnknownKekVersion {
                version,
                provider: KIND,
            });
        }
        let mut file = state.file.clone();
        file.versions.retain(|v| v.version != version);
        fsutil::replace_private_file(&self.dir.join(PARAMS_FILE), &to_json(&file)?)?;
        state.file = file;
        state.keys.remove(&version);
        Ok(())
    }

    fn versions(&self) -> Vec<u32> {
        self.read().keys.keys().copied().collect()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// RFC 9106 section 5.3 (Argon2id test vector): proves the algorithm, version and
    /// parameter wiring of `argon2id_into`, which the provider uses for every KEK.
    #[test]
    fn rfc9106_argon2id_vector() {
        let mut out = [0u8; 32];
        argon2id_into(
            &[0x01; 32],
            &[0x02; 16],
            &[0x03; 8],
            &[0x04; 12],
            KdfParams {
                m_cost_kib: 32,
                t_cost: 3,
                p_cost: 4,
            },
            &mut out,
        )
        .unwrap();
        assert_eq!(
            hex::encode(out),
            "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659"
        );
    }

    #[test]
    fn key_check_depends_on_key_and_version() {
        assert_ne!(key_check(&[1; 32], 1), key_check(&[1; 32], 2));
        assert_ne!(key_check(&[1; 32], 1), key_check(&[2; 32], 1));
    }
}
