//! The signer as its own process: the same operations over its Unix socket, secrets inbound
//! only, and peers with a uid that is not allowed are turned away and audited.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;
use tradeward_domain::Venue;
use tradeward_signer::remote::{serve, RemoteSigner, ServerConfig, SignerApi};
use tradeward_signer::schemes::{HttpMethod, UnsignedRequest};
use tradeward_signer::{CallContext, CredentialLimits, SignerError};

async fn start(
    h: &Harness,
    allowed_uids: Vec<u32>,
) -> (std::path::PathBuf, tokio::sync::oneshot::Sender<()>) {
    let path = h.dirs.path().join("signer.sock");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let signer = h.signer.clone();
    let p = path.clone();
    tokio::spawn(async move {
        serve(signer, &p, ServerConfig { allowed_uids }, async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    for _ in 0..100 {
        if path.exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    (path, stop)
}

#[tokio::test]
async fn store_sign_and_refuse_over_the_socket() {
    let h = sqlite_harness().await;
    let (path, _stop) = start(&h, vec![]).await;
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the socket is private to its owner");
    }
    let remote = RemoteSigner::connect(&path, 2).await.unwrap();
    let ctx = CallContext::component("web").for_user(h.user);
    let stored = remote
        .store_credential(
            &ctx,
            input(
                h.user,
                Venue::Binance,
                API_KEY,
                SECRET,
                CredentialLimits::default(),
            ),
        )
        .await
        .unwrap();
    assert_eq!(stored.api_key_masked, "vmPU…Eh8A");

    let account =
        UnsignedRequest::new(HttpMethod::Get, "/api/v3/account").with_query("recvWindow", "5000");
    let signed = remote
        .sign(&engine_ctx(h.user), stored.id, &account)
        .await
        .unwrap();
    assert_eq!(signed.header("X-MBX-APIKEY"), Some(API_KEY));
    let sig = signed.query.last().unwrap();
    assert_eq!(sig.0, "signature");
    assert_eq!(sig.1.len(), 64, "hex HMAC-SHA256");

    let withdraw = UnsignedRequest::new(HttpMethod::Post, "/sapi/v1/capital/withdraw/apply");
    match remote.sign(&engine_ctx(h.user), stored.id, &withdraw).await {
        Err(SignerError::Remote { code, message }) => {
            assert_eq!(code, "forbidden_endpoint_class");
            assert!(message.contains("never signed"), "{message}");
        }
        other => panic!("expected a remote refusal, got {other:?}"),
    }
    let kinds: Vec<_> = h.audit.events().iter().map(|e| e.kind).collect();
    assert_eq!(kinds, ["credential.add", "signer.sign", "signer.refuse"]);

    assert!(remote
        .delete_credential(&ctx, h.user, stored.id)
        .await
        .unwrap());
    match remote.sign(&engine_ctx(h.user), stored.id, &account).await {
        Err(SignerError::Remote { code, .. }) => assert_eq!(code, "unknown_credential"),
        other => panic!("expected unknown credential, got {other:?}"),
    }
}

#[tokio::test]
async fn a_peer_with_another_uid_is_turned_away_and_audited() {
    let h = sqlite_harness().await;
    // Allow only a uid that is not ours: our own connection must be refused.
    let (path, _stop) = start(&h, vec![4_000_000_000]).await;
    let err = RemoteSigner::connect(&path, 1).await.unwrap_err();
    assert!(matches!(err, SignerError::Transport(_)), "{err:?}");
    tokio::time::sleep(Duration::from_millis(50)).await;
    let refused: Vec<_> = h
        .audit
        .events()
        .into_iter()
        .filter(|e| e.kind == "signer.peer_refused")
        .collect();
    // The client tries once more after a dropped connection, so one or two refusals.
    assert!(
        (1..=2).contains(&refused.len()),
        "the refused peer is audited: {refused:?}"
    );
    assert!(refused
        .iter()
        .all(|e| e.outcome == tradeward_audit::Outcome::Refused));
}

#[tokio::test]
async fn malformed_frames_get_an_error_not_a_crash() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let h = sqlite_harness().await;
    let (path, _stop) = start(&h, vec![]).await;
    let mut raw = tokio::net::UnixStream::connect(&path).await.unwrap();
    raw.write_all(&[0, 0, 0, 3, 1, b'{', b'x']).await.unwrap();
    let len = raw.read_u32().await.unwrap();
    let mut body = vec![0u8; len as usize];
    raw.read_exact(&mut body).await.unwrap();
    assert_eq!(body[0], 0x81, "an error reply");
    assert!(String::from_utf8_lossy(&body).contains("bad JSON"));
    // An oversized frame is refused before any allocation of that size.
    let mut raw = tokio::net::UnixStream::connect(&path).await.unwrap();
    raw.write_all(&u32::MAX.to_be_bytes()).await.unwrap();
    let len = raw.read_u32().await.unwrap();
    let mut body = vec![0u8; len as usize];
    raw.read_exact(&mut body).await.unwrap();
    assert!(String::from_utf8_lossy(&body).contains("exceeds"));
    // The server still serves well-formed clients.
    RemoteSigner::connect(&path, 1).await.unwrap();
}

#[tokio::test]
async fn a_regular_file_at_the_socket_path_is_never_deleted() {
    let h = sqlite_harness().await;
    let path = h.dirs.path().join("important.txt");
    std::fs::write(&path, b"keep me").unwrap();
    let err = serve(
        h.signer.clone(),
        &path,
        ServerConfig {
            allowed_uids: vec![],
        },
        async {},
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("is not a socket"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), b"keep me");
}
