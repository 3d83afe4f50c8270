//! KEKs inside a PKCS#11 token (an HSM, or SoftHSM2 for tests).
//!
//! Each KEK version is a token object: AES-256, `CKA_SENSITIVE`, not `CKA_EXTRACTABLE`,
//! labelled `{key_label_prefix}-v{N}`. Data keys are wrapped with `C_Encrypt` under
//! `CKM_AES_GCM` (random 12-byte IV, 128-bit tag, the vault's associated data), so the KEK
//! never leaves the token. Wrapped layout: `iv (12) | ciphertext (32) | tag (16)`.
//!
//! Token quirks handled here:
//! - SoftHSM2 2.6.1 answers a failed GCM tag check with `CKR_GENERAL_ERROR`, so that code (and
//!   `CKR_ENCRYPTED_DATA_INVALID`/`_LEN_RANGE`) on unwrap is reported as
//!   [`VaultError::UnwrapFailed`].
//! - Sessions are not for concurrent use: a small pool of sessions is kept, each used by one
//!   call at a time. Login is per application and token, so one logged-in session is held
//!   open for the provider's life and the pooled sessions inherit it.
//! - A second provider for a token that is already logged in within the same process gets
//!   `CKR_USER_ALREADY_LOGGED_IN`; its PIN cannot be re-verified then, and is accepted.

mod registry;

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::{Mutex, RwLock};

use cryptoki::context::Pkcs11;
use cryptoki::error::{Error, RvError};
use cryptoki::mechanism::aead::GcmParams;
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::RawAuthPin;
use zeroize::Zeroize;

pub use registry::shared_context;

use super::KeyProvider;
use crate::aead::{self, NONCE_LEN, TAG_LEN};
use crate::datakey::{DataKey, DATA_KEY_LEN};
use crate::error::VaultError;
use crate::secret::SecretBytes;

const KIND: &str = "pkcs11";
const WRAPPED_LEN: usize = NONCE_LEN + DATA_KEY_LEN + TAG_LEN;
/// Idle sessions kept for reuse; more concurrent calls open (and then close) extra ones.
const POOL_MAX: usize = 8;

/// Default label prefix of KEK objects.
pub const DEFAULT_KEY_LABEL_PREFIX: &str = "tradeward-kek";

/// How to reach the token.
#[derive(Debug)]
pub struct Pkcs11Config {
    /// Path of the PKCS#11 module (e.g. `/usr/lib/softhsm/libsofthsm2.so`).
    pub module_path: PathBuf,
    /// Label of the token holding the KEKs.
    pub token_label: String,
    /// The user PIN.
    pub pin: SecretBytes,
    /// Prefix of KEK object labels; version N is `{prefix}-v{N}`.
    pub key_label_prefix: String,
}

/// KEKs held in a PKCS#11 token.
pub struct Pkcs11KeyProvider {
    token_label: String,
    prefix: String,
    slot: Slot,
    ctx: Pkcs11,
    /// Keeps the login alive for the provider's life (PKCS#11 logs the application out when
    /// its last session on the token closes); never used for crypto.
    _login: Mutex<Session>,
    pool: Mutex<Vec<Session>>,
    state: RwLock<State>,
}

#[derive(Debug)]
struct State {
    current: u32,
    keys: BTreeMap<u32, ObjectHandle>,
}

impl fmt::Debug for Pkcs11KeyProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkcs11KeyProvider")
            .field("token_label", &self.token_label)
            .field("prefix", &self.prefix)
            .field("slot", &self.slot)
            .finish_non_exhaustive()
    }
}

fn p11(operation: &'static str) -> impl Fn(Error) -> VaultError {
    move |e| VaultError::Pkcs11 {
        operation,
        detail: e.to_string(),
    }
}

impl Pkcs11KeyProvider {
    /// Connects to the token and finds its KEK versions; fails if there are none.
    pub fn open(config: Pkcs11Config) -> Result<Self, VaultError> {
        let provider = Self::connect(config)?;
        if provider.read().keys.is_empty() {
            return Err(VaultError::Pkcs11 {
                operation: "find KEK objects",
                detail: format!(
                    "no key labelled {}-v<N> on token {:?}",
                    provider.prefix, provider.token_label
                ),
            });
        }
        Ok(provider)
    }

    /// Connects to the token, generating KEK version 1 inside it when there is none.
    pub fn open_or_create(config: Pkcs11Config) -> Result<Self, VaultError> {
        let provider = Self::connect(config)?;
        if provider.read().keys.is_empty() {
            provider.create_next_version()?;
        }
        Ok(provider)
    }

    fn connect(config: Pkcs11Config) -> Result<Self, VaultError> {
        if config.key_label_prefix.is_empty() {
            return Err(VaultError::config("key_label_prefix", "is empty"));
        }
        let ctx = shared_context(&config.module_path)?;
        let slot = find_token(&ctx, &config.token_label)?;
        let login = ctx.open_rw_session(slot).map_err(p11("C_OpenSession"))?;
        let pin = RawAuthPin::new(config.pin.expose().to_vec());
        match login.login_with_raw(UserType::User, &pin) {
            Ok(()) | Err(Error::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {}
            Err(Error::Pkcs11(RvError::PinIncorrect, _)) => {
                return Err(VaultError::Pkcs11Login {
                    label: config.token_label,
                    reason: "wrong PIN",
                })
            }
            Err(Error::Pkcs11(RvError::PinLocked, _)) => {
                return Err(VaultError::Pkcs11Login {
                    label: config.token_label,
                    reason: "PIN locked",
                })
            }
            Err(e) => return Err(p11("C_Login")(e)),
        }
        let keys = find_keys(&login, &config.key_label_prefix)?;
        let current = keys.keys().next_back().copied().unwrap_or(0);
        Ok(Self {
            token_label: config.token_label,
            prefix: config.key_label_prefix,
            slot,
            ctx,
            _login: Mutex::new(login),
            pool: Mutex::new(Vec::new()),
            state: RwLock::new(State { current, keys }),
        })
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        // Poisoning means a panic elsewhere; the map is updated by single inserts only.
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on a session of our own, from the pool or freshly opened.
    fn with_session<T>(
        &self,
        f: impl FnOnce(&Session) -> Result<T, VaultError>,
    ) -> Result<T, VaultError> {
        let pooled = self.pool.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let session = match pooled {
            Some(s) => s,
            None => self
                .ctx
                .open_rw_session(self.slot)
                .map_err(p11("C_OpenSession"))?,
        };
        let result = f(&session);
        let mut pool = self.pool.lock().unwrap_or_else(|e| e.into_inner());
        if pool.len() < POOL_MAX {
            pool.push(session);
        }
        result
    }

    fn label(&self, version: u32) -> String {
        format!("{}-v{version}", self.prefix)
    }

    /// The handle of KEK `version`, looking it up in the token if another process created it.
    fn key(&self, version: u32) -> Result<ObjectHandle, VaultError> {
        if let Some(&h) = self.read().keys.get(&version) {
            return Ok(h);
        }
        let label = self.label(version);
        let found = self.with_session(|s| {
            s.find_objects(&[
                Attribute::Class(ObjectClass::SECRET_KEY),
                Attribute::Label(label.into_bytes()),
            ])
            .map_err(p11("C_FindObjects"))
        })?;
        let Some(&handle) = found.first() else {
            return Err(VaultError::UnknownKekVersion {
                version,
                provider: KIND,
            });
        };
        let mut state = self.write();
        state.keys.insert(version, handle);
        state.current = state.current.max(version);
        Ok(handle)
    }
}

fn find_token(ctx: &Pkcs11, label: &str) -> Result<Slot, VaultError> {
    let slots = ctx
        .get_slots_with_initialized_token()
        .map_err(p11("C_GetSlotList"))?;
    for slot in slots {
        let info = ctx.get_token_info(slot).map_err(p11("C_GetTokenInfo"))?;
        if info.label().trim_end() == label {
            return Ok(slot);
        }
    }
    Err(VaultError::Pkcs11TokenNotFound {
        label: label.to_owned(),
    })
}

fn find_keys(session: &Session, prefix: &str) -> Result<BTreeMap<u32, ObjectHandle>, VaultError> {
    let handles = session
        .find_objects(&[
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(KeyType::AES),
        ])
        .map_err(p11("C_FindObjects"))?;
    let mut keys = BTreeMap::new();
    let label_prefix = format!("{prefix}-v");
    for handle in handles {
        let attrs = session
            .get_attributes(handle, &[AttributeType::Label])
            .map_err(p11("C_GetAttributeValue"))?;
        for attr in attrs {
            if let Attribute::Label(bytes) = attr {
                let version = std::str::from_utf8(&bytes)
                    .ok()
                    .and_then(|l| l.strip_prefix(&label_prefix))
                    .filter(|d| !d.starts_with('0') && d.bytes().all(|b| b.is_ascii_digit()))
                    .and_then(|d| d.parse::<u32>().ok());
                if let Some(v) = version {
                    keys.insert(v, handle);
                }
            }
        }
    }
    Ok(keys)
}

fn is_auth_failure(e: &Error) -> bool {
    matches!(
        e,
        Error::Pkcs11(
            RvError::GeneralError | RvError::EncryptedDataInvalid | RvError::EncryptedDataLenRange,
            _
        )
    )
}

impl KeyProvider for Pkcs11KeyProvider {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn current_version(&self) -> u32 {
        self.read().current
    }

    fn wrap_key(&self, version: u32, dek: &DataKey, aad: &[u8]) -> Result<Vec<u8>, VaultError> {
        let key = self.key(version)?;
        let iv = aead::random_nonce()?;
        let sealed = self.with_session(|s| {
            let mech = Mechanism::AesGcm(GcmParams::new(&iv, aad, (TAG_LEN as u64 * 8).into()));
            s.encrypt(&mech, key, dek.expose())
                .map_err(p11("C_Encrypt (wrap data key)"))
        })?;
        if sealed.len() != DATA_KEY_LEN + TAG_LEN {
            return Err(VaultError::Pkcs11 {
                operation: "C_Encrypt (wrap data key)",
                detail: format!(
                    "token returned {} bytes, expected {}",
                    sealed.len(),
                    DATA_KEY_LEN + TAG_LEN
                ),
            });
        }
        let mut out = Vec::with_capacity(WRAPPED_LEN);
        out.extend_from_slice(&iv);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    fn unwrap_key(&self, version: u32, wrapped: &[u8], aad: &[u8]) -> Result<DataKey, VaultError> {
        if wrapped.len() != WRAPPED_LEN {
            return Err(VaultError::UnwrapFailed { version });
        }
        let key = self.key(version)?;
        let (iv, sealed) = wrapped.split_at(NONCE_LEN);
        let mut plain = self.with_session(|s| {
            let mech = Mechanism::AesGcm(GcmParams::new(iv, aad, (TAG_LEN as u64 * 8).into()));
            s.decrypt(&mech, key, sealed).map_err(|e| {
                if is_auth_failure(&e) {
                    VaultError::UnwrapFailed { version }
                } else {
                    p11("C_Decrypt (unwrap data key)")(e)
                }
            })
        })?;
        let dek = DataKey::from_slice(&plain);
        plain.zeroize();
        dek.ok_or(VaultError::UnwrapFailed { version })
    }

    fn create_next_version(&self) -> Result<u32, VaultError> {
        let mut state = self.write();
        // Another process may have rotated: never reuse a label.
        let on_token = self.with_session(|s| find_keys(s, &self.prefix))?;
        let latest = state
            .current
            .max(on_token.keys().next_back().copied().unwrap_or(0));
        let next = latest.checked_add(1).ok_or_else(|| VaultError::Pkcs11 {
            operation: "create KEK",
            detail: "KEK version counter exhausted".into(),
        })?;
        let label = self.label(next);
        let template = [
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(KeyType::AES),
            Attribute::ValueLen(32.into()),
            Attribute::Token(true),
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            Attribute::Encrypt(true),
            Attribute::Decrypt(true),
            Attribute::Wrap(false),
            Attribute::Unwrap(false),
            Attribute::Sign(false),
            Attribute::Verify(false),
            Attribute::Derive(false),
            Attribute::Label(label.into_bytes()),
            Attribute::Id(next.to_be_bytes().to_vec()),
        ];
        let handle = self.with_session(|s| {
            s.generate_key(&Mechanism::AesKeyGen, &template)
                .map_err(p11("C_GenerateKey (create KEK)"))
        })?;
        state.keys.extend(on_token);
        state.keys.insert(next, handle);
        state.current = next;
        Ok(next)
    }

    fn retire_version(&self, version: u32) -> Result<(), VaultError> {
        if version == self.current_version() {
            return Err(VaultError::RetireCurrent { version });
        }
        let handle = self.key(version)?;
        let mut state = self.write();
        if version == state.current {
            return Err(VaultError::RetireCurrent { version });
        }
        self.with_session(|s| {
            s.destroy_object(handle)
                .map_err(p11("C_DestroyObject (retire KEK)"))
        })?;
        state.keys.remove(&version);
        Ok(())
    }

    fn versions(&self) -> Vec<u32> {
        self.read().keys.keys().copied().collect()
    }
}
