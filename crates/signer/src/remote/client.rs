//! The client side of the signer socket: a small pool of connections, each used by one request
//! at a time (the protocol is strictly request/response per connection).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use serde::Deserialize;
use tokio::net::UnixStream;
use tokio::sync::Mutex;
use tradeward_domain::{CredentialId, UserId};

use super::api::SignerApi;
use super::wire::{self, WireError};
use crate::schemes::{SignedParts, UnsignedRequest};
use crate::{CallContext, CredentialInput, SignerError, StoredCredential};

/// A signer in another process, reached over its Unix socket.
#[derive(Debug)]
pub struct RemoteSigner {
    path: PathBuf,
    pool: Vec<Mutex<Option<UnixStream>>>,
    next: AtomicUsize,
}

fn transport(e: impl std::fmt::Display) -> SignerError {
    SignerError::Transport(e.to_string())
}

impl RemoteSigner {
    /// Connects to the signer at `path` with up to `connections` parallel connections, and
    /// checks it answers.
    pub async fn connect(path: &Path, connections: usize) -> Result<Self, SignerError> {
        let pool = (0..connections.max(1)).map(|_| Mutex::new(None)).collect();
        let signer = Self {
            path: path.to_owned(),
            pool,
            next: AtomicUsize::new(0),
        };
        let _: String = signer
            .call(&wire::json_frame(wire::OP_PING, &()).map_err(transport)?)
            .await?;
        Ok(signer)
    }

    async fn call<T: for<'de> Deserialize<'de>>(&self, frame: &[u8]) -> Result<T, SignerError> {
        let slot = &self.pool[self.next.fetch_add(1, Ordering::Relaxed) % self.pool.len()];
        let mut guard = slot.lock().await;
        // One reconnect: a signer restart should cost a caller one retry, not an error.
        for attempt in 0..2 {
            if guard.is_none() {
                let stream = UnixStream::connect(&self.path).await.map_err(|e| {
                    SignerError::Transport(format!(
                        "cannot connect to {}: {e}",
                        self.path.display()
                    ))
                })?;
                *guard = Some(stream);
            }
            let Some(stream) = guard.as_mut() else {
                continue;
            };
            let sent = wire::write_frame(stream, frame).await;
            let reply = match sent {
                Ok(()) => wire::read_frame(stream).await,
                Err(e) => Err(e),
            };
            match reply {
                Ok(body) => return decode(&body),
                Err(WireError::Io(e)) if attempt == 0 => {
                    tracing::debug!(error = %e, "signer connection lost; reconnecting");
                    *guard = None;
                }
                Err(e) => {
                    *guard = None;
                    return Err(transport(e));
                }
            }
        }
        Err(SignerError::Transport(
            "signer connection failed twice".into(),
        ))
    }
}

fn decode<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, SignerError> {
    match body.split_first() {
        Some((&wire::RESP_OK, rest)) => wire::parse_json(rest).map_err(transport),
        Some((&wire::RESP_ERR, rest)) => {
            let err: wire::ErrorBody = wire::parse_json(rest).map_err(transport)?;
            Err(SignerError::Remote {
                code: err.code,
                message: err.message,
            })
        }
        _ => Err(SignerError::Transport("malformed reply".into())),
    }
}

#[async_trait]
impl SignerApi for RemoteSigner {
    async fn store_credential(
        &self,
        ctx: &CallContext,
        input: CredentialInput,
    ) -> Result<StoredCredential, SignerError> {
        let header = wire::StoreHeader {
            ctx: ctx.clone(),
            owner: input.owner,
            venue: input.venue.as_str().to_owned(),
            label: input.label,
            scheme: input.scheme.map(|s| s.as_str().to_owned()),
            limits: input.limits,
            permissions: input.permissions,
        };
        let frame = wire::store_frame(
            &header,
            input.api_key.expose(),
            input.secret.expose(),
            input.passphrase.as_ref().map(|p| p.expose()),
        )
        .map_err(transport)?;
        let stored: wire::StoredBody = self.call(&frame).await?;
        Ok(StoredCredential {
            id: stored.id,
            api_key_masked: stored.api_key_masked,
        })
    }

    async fn delete_credential(
        &self,
        ctx: &CallContext,
        owner: UserId,
        id: CredentialId,
    ) -> Result<bool, SignerError> {
        let frame = wire::json_frame(
            wire::OP_DELETE,
            &wire::DeleteFrame {
                ctx: ctx.clone(),
                owner,
                credential_id: id,
            },
        )
        .map_err(transport)?;
        self.call(&frame).await
    }

    async fn sign(
        &self,
        ctx: &CallContext,
        id: CredentialId,
        request: &UnsignedRequest,
    ) -> Result<SignedParts, SignerError> {
        let frame = wire::json_frame(
            wire::OP_SIGN,
            &wire::SignFrame {
                ctx: ctx.clone(),
                credential_id: id,
                request: request.clone(),
            },
        )
        .map_err(transport)?;
        self.call(&frame).await
    }
}
