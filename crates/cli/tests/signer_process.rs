//! `tradeward signer --socket PATH` as its own process: the web-facing side stores and signs
//! through the socket and never holds the KEK (threat S6).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tradeward_domain::Venue;
use tradeward_signer::remote::{RemoteSigner, SignerApi};
use tradeward_signer::schemes::{HttpMethod, UnsignedRequest};
use tradeward_signer::{CallContext, CredentialInput, CredentialLimits, SignerError};
use tradeward_store::{NewUser, Store};
use tradeward_vault::SecretBytes;

struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn a_separate_signer_process_signs_for_the_web_tier() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let socket = root.path().join("signer.sock");
    let child = Command::new(env!("CARGO_BIN_EXE_tradeward"))
        .args([
            "signer",
            "--data-dir",
            data.to_str().unwrap(),
            "--socket",
            socket.to_str().unwrap(),
        ])
        .env_remove("TRADEWARD_CONFIG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _guard = Killed(child);
    for _ in 0..300 {
        if socket.exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let remote = RemoteSigner::connect(&socket, 2)
        .await
        .expect("the signer process answers");

    // The web tier may read the database (users, metadata) but has no KEK.
    let store = Store::open(&format!("sqlite://{}", data.join("tradeward.db").display()))
        .await
        .unwrap();
    let user = store
        .create_user(&NewUser {
            email: "web@example.com".into(),
            role: "user".into(),
            created_at_us: 0,
        })
        .await
        .unwrap();
    let ctx = CallContext::component("web").for_user(user);
    let stored = remote
        .store_credential(
            &ctx,
            CredentialInput {
                owner: user,
                venue: Venue::Sim,
                label: "sim".into(),
                scheme: None,
                api_key: SecretBytes::from_slice(b"sim-key-0123456789abcdef"),
                secret: SecretBytes::from_slice(b"sim-secret-0123456789abcdef"),
                passphrase: None,
                limits: CredentialLimits::default(),
                permissions: "{}".into(),
            },
        )
        .await
        .unwrap();
    let signed = remote
        .sign(
            &ctx,
            stored.id,
            &UnsignedRequest::new(HttpMethod::Get, "/api/v3/account"),
        )
        .await
        .unwrap();
    assert_eq!(
        signed.header("X-MBX-APIKEY"),
        Some("sim-key-0123456789abcdef")
    );
    let refused = remote
        .sign(
            &ctx,
            stored.id,
            &UnsignedRequest::new(HttpMethod::Post, "/sapi/v1/capital/withdraw/apply"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, SignerError::Remote { code, .. } if code == "forbidden_endpoint_class"),
        "{refused:?}"
    );

    // The KEK is beside the data directory, not in it.
    assert!(root.path().join("data.kek").is_dir());
    assert!(!std::fs::read_dir(&data).unwrap().any(|e| e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .contains("kek")));
}
