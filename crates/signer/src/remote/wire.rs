//! Frames of the signer protocol.
//!
//! Every frame is a 4-byte big-endian length then the body; the body's first byte says what it
//! is. Requests: `SIGN` and `DELETE` carry JSON; `STORE` carries a JSON header followed by the
//! API key, secret and optional passphrase as length-prefixed raw bytes. Responses: `OK` + JSON,
//! or `ERR` + JSON `{code, message}`.

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tradeward_domain::{CredentialId, UserId};
use tradeward_vault::SecretBytes;
use zeroize::Zeroizing;

use crate::limits::CredentialLimits;
use crate::schemes::UnsignedRequest;
use crate::CallContext;

/// The largest frame either side accepts.
pub(crate) const MAX_FRAME: usize = 1 << 20;

pub(crate) const OP_SIGN: u8 = 1;
pub(crate) const OP_STORE: u8 = 2;
pub(crate) const OP_DELETE: u8 = 3;
pub(crate) const OP_PING: u8 = 4;
pub(crate) const RESP_OK: u8 = 0x80;
pub(crate) const RESP_ERR: u8 = 0x81;

/// Marks an absent optional secret.
const ABSENT: u32 = u32::MAX;

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct SignFrame {
    pub ctx: CallContext,
    pub credential_id: CredentialId,
    pub request: UnsignedRequest,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct DeleteFrame {
    pub ctx: CallContext,
    pub owner: UserId,
    pub credential_id: CredentialId,
}

/// Everything about a credential to store except its secrets.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct StoreHeader {
    pub ctx: CallContext,
    pub owner: UserId,
    pub venue: String,
    pub label: String,
    pub scheme: Option<String>,
    pub limits: CredentialLimits,
    pub permissions: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ErrorBody {
    pub code: String,
    pub message: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct StoredBody {
    pub id: CredentialId,
    pub api_key_masked: String,
}

/// A malformed or oversized frame.
#[derive(Debug, thiserror::Error)]
pub(crate) enum WireError {
    #[error("connection: {0}")]
    Io(#[from] std::io::Error),
    #[error("frame of {0} bytes exceeds the {MAX_FRAME}-byte limit")]
    TooLarge(usize),
    #[error("malformed frame: {0}")]
    Malformed(String),
}

/// Reads one frame into a zeroizing buffer (it may hold secrets).
pub(crate) async fn read_frame<R: AsyncReadExt + Unpin>(
    r: &mut R,
) -> Result<Zeroizing<Vec<u8>>, WireError> {
    let len = r.read_u32().await? as usize;
    if len > MAX_FRAME {
        return Err(WireError::TooLarge(len));
    }
    if len == 0 {
        return Err(WireError::Malformed("empty frame".into()));
    }
    let mut buf = Zeroizing::new(vec![0u8; len]);
    r.read_exact(&mut buf).await?;
    Ok(buf)
}

pub(crate) async fn write_frame<W: AsyncWriteExt + Unpin>(
    w: &mut W,
    body: &[u8],
) -> Result<(), WireError> {
    if body.len() > MAX_FRAME {
        return Err(WireError::TooLarge(body.len()));
    }
    let len = u32::try_from(body.len()).map_err(|_| WireError::TooLarge(body.len()))?;
    w.write_all(&len.to_be_bytes()).await?;
    w.write_all(body).await?;
    w.flush().await?;
    Ok(())
}

pub(crate) fn json_frame(op: u8, value: &impl Serialize) -> Result<Vec<u8>, WireError> {
    let mut out = vec![op];
    serde_json::to_writer(&mut out, value).map_err(|e| WireError::Malformed(e.to_string()))?;
    Ok(out)
}

pub(crate) fn parse_json<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, WireError> {
    serde_json::from_slice(body).map_err(|e| WireError::Malformed(format!("bad JSON: {e}")))
}

fn put_bytes(out: &mut Vec<u8>, bytes: Option<&[u8]>) {
    match bytes {
        Some(b) => {
            // Lengths are bounded by MAX_FRAME, checked when the frame is written.
            out.extend_from_slice(&(b.len() as u32).to_be_bytes());
            out.extend_from_slice(b);
        }
        None => out.extend_from_slice(&ABSENT.to_be_bytes()),
    }
}

/// Builds a STORE frame. The buffer holds secrets, so it zeroizes when dropped.
pub(crate) fn store_frame(
    header: &StoreHeader,
    api_key: &[u8],
    secret: &[u8],
    passphrase: Option<&[u8]>,
) -> Result<Zeroizing<Vec<u8>>, WireError> {
    let head = serde_json::to_vec(header).map_err(|e| WireError::Malformed(e.to_string()))?;
    let mut out = Zeroizing::new(Vec::with_capacity(
        head.len() + api_key.len() + secret.len() + 64,
    ));
    out.push(OP_STORE);
    put_bytes(&mut out, Some(&head));
    put_bytes(&mut out, Some(api_key));
    put_bytes(&mut out, Some(secret));
    put_bytes(&mut out, passphrase);
    Ok(out)
}

struct Cursor<'a> {
    rest: &'a [u8],
}

impl<'a> Cursor<'a> {
    fn take(&mut self) -> Result<Option<&'a [u8]>, WireError> {
        if self.rest.len() < 4 {
            return Err(WireError::Malformed("truncated length".into()));
        }
        let (len, rest) = self.rest.split_at(4);
        let len = u32::from_be_bytes([len[0], len[1], len[2], len[3]]);
        if len == ABSENT {
            self.rest = rest;
            return Ok(None);
        }
        let len = len as usize;
        if rest.len() < len {
            return Err(WireError::Malformed("truncated field".into()));
        }
        let (field, rest) = rest.split_at(len);
        self.rest = rest;
        Ok(Some(field))
    }
}

/// Parses a STORE frame's body (after the op byte) into its header and secrets.
pub(crate) fn parse_store(
    body: &[u8],
) -> Result<(StoreHeader, SecretBytes, SecretBytes, Option<SecretBytes>), WireError> {
    let mut c = Cursor { rest: body };
    let missing = |what: &str| WireError::Malformed(format!("missing {what}"));
    let header: StoreHeader = parse_json(c.take()?.ok_or_else(|| missing("header"))?)?;
    let api_key = SecretBytes::new(c.take()?.ok_or_else(|| missing("api key"))?.to_vec());
    let secret = SecretBytes::new(c.take()?.ok_or_else(|| missing("secret"))?.to_vec());
    let passphrase = c.take()?.map(|p| SecretBytes::new(p.to_vec()));
    if !c.rest.is_empty() {
        return Err(WireError::Malformed("trailing bytes".into()));
    }
    Ok((header, api_key, secret, passphrase))
}
