//! The Unix-socket server of `tradeward signer`.

use std::path::Path;

use tokio::net::{UnixListener, UnixStream};
use tradeward_audit::{AuditEvent, Outcome};
use tradeward_domain::Venue;

use super::wire::{self, WireError};
use crate::clock::now_us;
use crate::schemes::Scheme;
use crate::{CredentialInput, Signer, SignerError};

/// Who may connect.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Unix user ids allowed to connect (checked with SO_PEERCRED). Empty means only the
    /// signer's own uid.
    pub allowed_uids: Vec<u32>,
}

/// Binds `path` (mode 0600, replacing a stale socket file) and serves until the future
/// `shutdown` completes.
pub async fn serve(
    signer: Signer,
    path: &Path,
    config: ServerConfig,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    // Replace a stale socket from an earlier run, but never delete anything else a mistyped
    // path might name.
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        use std::os::unix::fs::FileTypeExt;
        if !meta.file_type().is_socket() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!(
                    "{} exists and is not a socket; refusing to replace it",
                    path.display()
                ),
            ));
        }
        std::fs::remove_file(path)?;
    }
    let listener = UnixListener::bind(path)?;
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    let own_uid = own_uid(path)?;
    let allowed = if config.allowed_uids.is_empty() {
        vec![own_uid]
    } else {
        config.allowed_uids
    };
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => {
                let (stream, _) = match accepted {
                    Ok(s) => s,
                    Err(e) => { tracing::warn!(error = %e, "signer accept failed"); continue; }
                };
                let signer = signer.clone();
                let allowed = allowed.clone();
                tokio::spawn(async move { connection(signer, stream, &allowed).await });
            }
        }
    }
    let _ = std::fs::remove_file(path);
    Ok(())
}

/// The uid this process runs as, read from the socket file it just created (no unsafe needed).
fn own_uid(path: &Path) -> std::io::Result<u32> {
    use std::os::unix::fs::MetadataExt;
    Ok(std::fs::metadata(path)?.uid())
}

async fn connection(signer: Signer, mut stream: UnixStream, allowed: &[u32]) {
    let peer = match stream.peer_cred() {
        Ok(cred) => cred,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read signer peer credentials; closing");
            return;
        }
    };
    if !allowed.contains(&peer.uid()) {
        let event = AuditEvent::new(now_us(), "signer.peer_refused", "signer", Outcome::Refused)
            .with("peer_uid", peer.uid())
            .with("peer_pid", peer.pid().unwrap_or(0));
        let _ = signer_audit(&signer, event);
        tracing::warn!(
            uid = peer.uid(),
            "signer connection refused: uid not allowed"
        );
        return;
    }
    loop {
        let frame = match wire::read_frame(&mut stream).await {
            Ok(f) => f,
            Err(WireError::Io(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => return,
            Err(e) => {
                let _ = respond_err(&mut stream, "malformed_frame", &e.to_string()).await;
                return;
            }
        };
        let result = handle(&signer, &frame).await;
        let written = match result {
            Ok(body) => wire::write_frame(&mut stream, &body).await,
            Err(e) => respond_err(&mut stream, e.code(), &e.to_string()).await,
        };
        if written.is_err() {
            return;
        }
    }
}

fn signer_audit(signer: &Signer, event: AuditEvent) -> Result<(), SignerError> {
    signer.audit_sink().record(event)?;
    Ok(())
}

async fn respond_err(stream: &mut UnixStream, code: &str, message: &str) -> Result<(), WireError> {
    let body = wire::json_frame(
        wire::RESP_ERR,
        &wire::ErrorBody {
            code: code.to_owned(),
            message: message.to_owned(),
        },
    )?;
    wire::write_frame(stream, &body).await
}

fn malformed(e: WireError) -> SignerError {
    SignerError::Transport(e.to_string())
}

async fn handle(signer: &Signer, frame: &[u8]) -> Result<Vec<u8>, SignerError> {
    let (op, body) = frame
        .split_first()
        .ok_or_else(|| SignerError::Transport("empty frame".into()))?;
    match *op {
        wire::OP_PING => wire::json_frame(wire::RESP_OK, &"pong").map_err(malformed),
        wire::OP_SIGN => {
            let f: wire::SignFrame = wire::parse_json(body).map_err(malformed)?;
            let parts = signer.sign(&f.ctx, f.credential_id, &f.request).await?;
            wire::json_frame(wire::RESP_OK, &parts).map_err(malformed)
        }
        wire::OP_DELETE => {
            let f: wire::DeleteFrame = wire::parse_json(body).map_err(malformed)?;
            let deleted = signer
                .delete_credential(&f.ctx, f.owner, f.credential_id)
                .await?;
            wire::json_frame(wire::RESP_OK, &deleted).map_err(malformed)
        }
        wire::OP_STORE => {
            let (h, api_key, secret, passphrase) = wire::parse_store(body).map_err(malformed)?;
            let venue: Venue = h.venue.parse().map_err(|e: tradeward_domain::VenueError| {
                SignerError::InvalidCredential(e.to_string())
            })?;
            let scheme = h
                .scheme
                .as_deref()
                .map(|s| {
                    s.parse::<Scheme>().map_err(|_| {
                        SignerError::InvalidCredential(format!("unknown scheme {s:?}"))
                    })
                })
                .transpose()?;
            let stored = signer
                .store_credential(
                    &h.ctx,
                    CredentialInput {
                        owner: h.owner,
                        venue,
                        label: h.label,
                        scheme,
                        api_key,
                        secret,
                        passphrase,
                        limits: h.limits,
                        permissions: h.permissions,
                    },
                )
                .await?;
            wire::json_frame(
                wire::RESP_OK,
                &wire::StoredBody {
                    id: stored.id,
                    api_key_masked: stored.api_key_masked,
                },
            )
            .map_err(malformed)
        }
        other => Err(SignerError::Transport(format!("unknown operation {other}"))),
    }
}
