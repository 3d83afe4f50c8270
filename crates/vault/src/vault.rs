//! The vault: seals secrets under fresh data keys and has the key provider wrap those keys.

use std::sync::Arc;

use zeroize::Zeroizing;

use crate::aead::{self, NONCE_LEN, TAG_LEN};
use crate::context::{SealContext, SealedSecret};
use crate::datakey::DataKey;
use crate::error::VaultError;
use crate::provider::KeyProvider;
use crate::secret::SecretBytes;

/// Seals and opens secrets. Cheap to clone (one `Arc`); clones share the provider.
#[derive(Debug, Clone)]
pub struct Vault {
    provider: Arc<dyn KeyProvider>,
}

impl Vault {
    /// A vault over `provider`.
    pub fn new(provider: Arc<dyn KeyProvider>) -> Self {
        Self { provider }
    }

    /// The key provider's kind (`local`, `passphrase`, `pkcs11`).
    pub fn provider_kind(&self) -> &'static str {
        self.provider.kind()
    }

    /// Encrypts `plaintext` under a fresh data key bound to `ctx`, and wraps the data key
    /// under the current KEK version.
    pub fn seal(&self, ctx: &SealContext, plaintext: &[u8]) -> Result<SealedSecret, VaultError> {
        let version = self.provider.current_version();
        let dek = DataKey::generate()?;
        let nonce = aead::random_nonce()?;
        let ciphertext = aead::encrypt(
            &aead::cipher(dek.expose()),
            &nonce,
            &ctx.secret_aad(),
            plaintext,
        )?;
        let wrapped_dek = self
            .provider
            .wrap_key(version, &dek, &ctx.dek_aad(version))?;
        Ok(SealedSecret {
            ciphertext,
            nonce: nonce.to_vec(),
            wrapped_dek,
            kek_version: version,
        })
    }

    /// Opens a sealed secret that belongs to `ctx`.
    ///
    /// Errors: [`VaultError::UnwrapFailed`] when the wrapped key does not authenticate (wrong
    /// KEK, or the row was moved or tampered with), [`VaultError::OpenFailed`] when the key
    /// unwraps but the ciphertext does not.
    pub fn open(
        &self,
        ctx: &SealContext,
        sealed: &SealedSecret,
    ) -> Result<SecretBytes, VaultError> {
        check_shape(sealed)?;
        let dek = self.provider.unwrap_key(
            sealed.kek_version,
            &sealed.wrapped_dek,
            &ctx.dek_aad(sealed.kek_version),
        )?;
        let mut plaintext = Zeroizing::new(vec![0u8; sealed.ciphertext.len() - TAG_LEN]);
        if !aead::decrypt_into(
            &aead::cipher(dek.expose()),
            &sealed.nonce,
            &ctx.secret_aad(),
            &sealed.ciphertext,
            &mut plaintext,
        ) {
            return Err(VaultError::OpenFailed);
        }
        Ok(SecretBytes::new(std::mem::take(&mut *plaintext)))
    }

    /// Re-wraps the data key under the current KEK version. The secret's ciphertext and nonce
    /// are copied unchanged and never decrypted.
    pub fn rewrap(
        &self,
        ctx: &SealContext,
        sealed: &SealedSecret,
    ) -> Result<SealedSecret, VaultError> {
        check_shape(sealed)?;
        let dek = self.provider.unwrap_key(
            sealed.kek_version,
            &sealed.wrapped_dek,
            &ctx.dek_aad(sealed.kek_version),
        )?;
        let version = self.provider.current_version();
        let wrapped_dek = self
            .provider
            .wrap_key(version, &dek, &ctx.dek_aad(version))?;
        Ok(SealedSecret {
            ciphertext: sealed.ciphertext.clone(),
            nonce: sealed.nonce.clone(),
            wrapped_dek,
            kek_version: version,
        })
    }

    /// The KEK version new secrets are sealed under.
    pub fn current_kek_version(&self) -> u32 {
        self.provider.current_version()
    }

    /// Creates a new KEK version and makes it current. Existing rows still open; re-wrap them
    /// with [`Vault::rewrap`], then retire the old version.
    pub fn rotate_kek(&self) -> Result<u32, VaultError> {
        let version = self.provider.create_next_version()?;
        tracing::info!(
            provider = self.provider.kind(),
            version,
            "created KEK version"
        );
        Ok(version)
    }

    /// Destroys an old KEK version. Rows still wrapped under it can never be opened again.
    pub fn retire_kek_version(&self, version: u32) -> Result<(), VaultError> {
        self.provider.retire_version(version)?;
        tracing::warn!(
            provider = self.provider.kind(),
            version,
            "retired (destroyed) KEK version"
        );
        Ok(())
    }

    /// The KEK versions that can currently unwrap.
    pub fn kek_versions(&self) -> Vec<u32> {
        self.provider.versions()
    }
}

fn check_shape(sealed: &SealedSecret) -> Result<(), VaultError> {
    if sealed.nonce.len() != NONCE_LEN {
        return Err(VaultError::Malformed("nonce is not 12 bytes"));
    }
    if sealed.ciphertext.len() < TAG_LEN {
        return Err(VaultError::Malformed(
            "ciphertext shorter than the 16-byte tag",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync_clone<T: Send + Sync + Clone>() {}

    #[test]
    fn vault_is_send_sync_clone() {
        assert_send_sync_clone::<Vault>();
    }
}
