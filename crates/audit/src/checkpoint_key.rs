//! The checkpoint signing key: generated once, sealed by the vault, opened only where a
//! [`Vault`] (and so the KEK) is at hand — the signer side, never the web tier.
//!
//! The 32-byte Ed25519 seed is stored in `sealed_secrets` under the context
//! owner `system`, record `audit-checkpoint-key`, venue `audit`, field `checkpoint_key`, so a
//! KEK rotation re-wraps it like any other secret and a database dump yields nothing.

use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use rand_core::{OsRng, RngCore};
use tradeward_store::{SealedRow, Store, StoreError};
use tradeward_vault::{SealContext, SealedSecret, Vault};
use zeroize::Zeroizing;

use crate::checkpoint::{key_fingerprint, Checkpoint, SignedCheckpoint};
use crate::AuditError;

const OWNER: &str = "system";
const RECORD: &str = "audit-checkpoint-key";
const VENUE: &str = "audit";
const FIELD: &str = "checkpoint_key";

/// Signs checkpoints. Holds the private key; zeroized on drop, redacted in `Debug`.
pub struct CheckpointSigner {
    // ed25519-dalek's SigningKey zeroizes itself on drop (feature `zeroize`).
    key: SigningKey,
}

impl std::fmt::Debug for CheckpointSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "CheckpointSigner {{ public_key: {}…, key: REDACTED }}",
            key_fingerprint(self.key.verifying_key().as_bytes())
        )
    }
}

fn context() -> SealContext {
    SealContext::new(OWNER, RECORD, VENUE, FIELD)
}

impl CheckpointSigner {
    /// Opens the deployment's checkpoint key, creating and sealing one on first use.
    pub async fn load_or_create(store: &Store, vault: &Vault) -> Result<Self, AuditError> {
        if let Some(signer) = Self::load(store, vault).await? {
            return Ok(signer);
        }
        let mut seed = Zeroizing::new([0u8; 32]);
        OsRng
            .try_fill_bytes(seed.as_mut())
            .map_err(|e| AuditError::CheckpointKey(format!("no randomness: {e}")))?;
        let sealed = vault.seal(&context(), seed.as_ref())?;
        let row = SealedRow {
            record_id: RECORD.into(),
            field: FIELD.into(),
            owner_id: OWNER.into(),
            venue: VENUE.into(),
            ciphertext: sealed.ciphertext,
            nonce: sealed.nonce,
            wrapped_dek: sealed.wrapped_dek,
            kek_version: i64::from(sealed.kek_version),
        };
        match store.insert_sealed_secrets(&[row]).await {
            Ok(()) => Ok(Self {
                key: SigningKey::from_bytes(&seed),
            }),
            // Another process created it first: use theirs, so the deployment has one key.
            Err(StoreError::Conflict(_)) => Self::load(store, vault).await?.ok_or_else(|| {
                AuditError::CheckpointKey("key vanished while being created".into())
            }),
            Err(e) => Err(e.into()),
        }
    }

    async fn load(store: &Store, vault: &Vault) -> Result<Option<Self>, AuditError> {
        let rows = store.sealed_secrets(RECORD).await?;
        let Some(row) = rows.iter().find(|r| r.field == FIELD) else {
            return Ok(None);
        };
        let sealed = SealedSecret {
            ciphertext: row.ciphertext.clone(),
            nonce: row.nonce.clone(),
            wrapped_dek: row.wrapped_dek.clone(),
            kek_version: u32::try_from(row.kek_version).map_err(|_| {
                AuditError::CheckpointKey(format!("KEK version {} out of range", row.kek_version))
            })?,
        };
        let seed = vault.open(&context(), &sealed)?;
        let seed: &[u8; 32] = seed.expose().try_into().map_err(|_| {
            AuditError::CheckpointKey("sealed key is not a 32-byte Ed25519 seed".into())
        })?;
        Ok(Some(Self {
            key: SigningKey::from_bytes(seed),
        }))
    }

    /// A signer over a key given directly (tests and benchmarks).
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        Self {
            key: SigningKey::from_bytes(seed),
        }
    }

    /// The public key verifiers pin.
    pub fn public_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    /// Signs `checkpoint`.
    pub fn sign(&self, checkpoint: Checkpoint) -> SignedCheckpoint {
        SignedCheckpoint {
            checkpoint,
            public_key: self.key.verifying_key().to_bytes(),
            signature: self.key.sign(&checkpoint.signed_bytes()).to_bytes(),
        }
    }
}
