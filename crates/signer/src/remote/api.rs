//! One interface over the in-process signer and the remote one, so callers need not care.

use async_trait::async_trait;
use tradeward_domain::{CredentialId, UserId};

use crate::schemes::{SignedParts, UnsignedRequest};
use crate::{CallContext, CredentialInput, Signer, SignerError, StoredCredential};

/// What the rest of Tradeward may ask of a signer. Note what is absent: nothing returns a secret.
#[async_trait]
pub trait SignerApi: Send + Sync + std::fmt::Debug {
    /// Seals and stores a credential (write-only).
    async fn store_credential(
        &self,
        ctx: &CallContext,
        input: CredentialInput,
    ) -> Result<StoredCredential, SignerError>;
    /// Deletes a credential of `owner`.
    async fn delete_credential(
        &self,
        ctx: &CallContext,
        owner: UserId,
        id: CredentialId,
    ) -> Result<bool, SignerError>;
    /// Signs a request after policy.
    async fn sign(
        &self,
        ctx: &CallContext,
        id: CredentialId,
        request: &UnsignedRequest,
    ) -> Result<SignedParts, SignerError>;
}

#[async_trait]
impl SignerApi for Signer {
    async fn store_credential(
        &self,
        ctx: &CallContext,
        input: CredentialInput,
    ) -> Result<StoredCredential, SignerError> {
        Signer::store_credential(self, ctx, input).await
    }
    async fn delete_credential(
        &self,
        ctx: &CallContext,
        owner: UserId,
        id: CredentialId,
    ) -> Result<bool, SignerError> {
        Signer::delete_credential(self, ctx, owner, id).await
    }
    async fn sign(
        &self,
        ctx: &CallContext,
        id: CredentialId,
        request: &UnsignedRequest,
    ) -> Result<SignedParts, SignerError> {
        Signer::sign(self, ctx, id, request).await
    }
}
