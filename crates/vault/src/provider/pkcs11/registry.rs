//! One initialized PKCS#11 context per module per process.
//!
//! `C_Initialize` may run once per process per module, and dropping a `cryptoki::Pkcs11`
//! calls `C_Finalize`, which closes every session of every user of that module. So all
//! providers share a context from this registry, and the registry keeps it alive for the life
//! of the process.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use cryptoki::context::{CInitializeArgs, Pkcs11};
use cryptoki::error::{Error, RvError};

use crate::error::VaultError;

static CONTEXTS: OnceLock<Mutex<HashMap<PathBuf, Pkcs11>>> = OnceLock::new();

/// The process-wide context for the module at `module`, loading and initializing it on first
/// use. Other code in the process that needs the same module must use this too.
pub fn shared_context(module: &Path) -> Result<Pkcs11, VaultError> {
    if !module.is_file() {
        return Err(VaultError::Pkcs11ModuleMissing {
            path: module.to_path_buf(),
        });
    }
    // Key by the canonical path so two spellings of one file share one context.
    let key = module
        .canonicalize()
        .unwrap_or_else(|_| module.to_path_buf());
    let registry = CONTEXTS.get_or_init(|| Mutex::new(HashMap::new()));
    // Poisoning means a panic while inserting; the map is still valid.
    let mut map = registry.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(ctx) = map.get(&key) {
        return Ok(ctx.clone());
    }
    let ctx = Pkcs11::new(&key).map_err(|e| VaultError::Pkcs11 {
        operation: "load module",
        detail: e.to_string(),
    })?;
    match ctx.initialize(CInitializeArgs::OsThreads) {
        // Someone else in the process initialized this module already: usable as is.
        Ok(()) | Err(Error::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
        Err(e) => {
            return Err(VaultError::Pkcs11 {
                operation: "C_Initialize",
                detail: e.to_string(),
            })
        }
    }
    map.insert(key, ctx.clone());
    Ok(ctx)
}
