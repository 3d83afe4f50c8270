//! KEK rotation: re-wrap every data key under a new KEK version, online and resumable.
//!
//! Only wrapped data keys change; no secret is ever decrypted. Each row is updated on its own
//! with a compare-and-set on its old version, so a crash at any point leaves every row either
//! fully old or fully new, and running the rotation again picks up where it stopped: when rows
//! remain under an older version, the run finishes moving them to the current version instead
//! of creating yet another one. Signing keeps working throughout (old versions still unwrap).

use tradeward_audit::{AuditEvent, AuditSink, Outcome};
use tradeward_store::{SealedRow, Store};
use tradeward_vault::{SealContext, Vault};

use crate::clock::now_us;
use crate::error::SignerError;

/// What a rotation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationReport {
    /// The KEK version every data key is now wrapped under.
    pub version: u32,
    /// Whether this run created that version (false: it resumed an interrupted rotation).
    pub created_version: bool,
    /// Data keys re-wrapped by this run.
    pub rewrapped: u64,
}

/// Rows per batch: small enough that progress moves visibly, large enough to be cheap.
const BATCH: i64 = 256;

/// Runs a rotation. `progress(done, total)` is called after each batch.
pub async fn rotate_kek(
    store: &Store,
    vault: &Vault,
    audit: &dyn AuditSink,
    component: &str,
    mut progress: impl FnMut(u64, u64),
) -> Result<RotationReport, SignerError> {
    let current = vault.current_kek_version();
    let counts = store.sealed_secret_counts().await?;
    let behind: i64 = counts
        .iter()
        .filter(|(v, _)| *v != i64::from(current))
        .map(|(_, n)| n)
        .sum();
    let (version, created_version, total) = if behind > 0 {
        (current, false, behind)
    } else {
        let all: i64 = counts.iter().map(|(_, n)| n).sum();
        (vault.rotate_kek()?, true, all)
    };
    audit.record(
        AuditEvent::new(now_us(), "vault.rotate_kek.start", component, Outcome::Ok)
            .with("to_version", version)
            .with("created_version", created_version)
            .with("data_keys", total),
    )?;
    let total = u64::try_from(total).unwrap_or(0);
    let mut done = 0u64;
    progress(done, total);
    loop {
        let batch = store
            .sealed_secrets_not_at_version(i64::from(version), BATCH)
            .await?;
        if batch.is_empty() {
            break;
        }
        for row in &batch {
            let rewrapped = rewrap_row(vault, row)?;
            if store
                .rewrap_sealed_secret(row, &rewrapped, i64::from(version))
                .await?
            {
                done += 1;
            }
        }
        progress(done, total.max(done));
    }
    audit.record(
        AuditEvent::new(now_us(), "vault.rotate_kek.finish", component, Outcome::Ok)
            .with("to_version", version)
            .with("rewrapped", done),
    )?;
    Ok(RotationReport {
        version,
        created_version,
        rewrapped: done,
    })
}

fn rewrap_row(vault: &Vault, row: &SealedRow) -> Result<Vec<u8>, SignerError> {
    let ctx = SealContext {
        owner: row.owner_id.clone(),
        record_id: row.record_id.clone(),
        venue: row.venue.clone(),
        field: row.field.clone(),
    };
    let sealed = tradeward_vault::SealedSecret {
        ciphertext: row.ciphertext.clone(),
        nonce: row.nonce.clone(),
        wrapped_dek: row.wrapped_dek.clone(),
        kek_version: u32::try_from(row.kek_version).map_err(|_| {
            SignerError::InvalidCredential(format!(
                "stored KEK version {} is out of range",
                row.kek_version
            ))
        })?,
    };
    Ok(vault.rewrap(&ctx, &sealed)?.wrapped_dek)
}
