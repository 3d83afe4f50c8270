//! Runs tests/compat/test_python_binance.py (python-binance, a third-party Binance client)
//! against a sim on an ephemeral port. Fails when python3 or the package is missing: the test
//! script installs tests/compat/requirements.txt first.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed step should panic

mod common;

use common::*;
use ed25519_dalek::SigningKey;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_binance_client_works_unchanged() {
    let sk = SigningKey::from_bytes(&[42u8; 32]);
    // PKCS#8 v1 (RFC 8410): a fixed 16-byte prefix then the 32-byte seed. python-binance
    // tells RSA from Ed25519 by the PEM's length, so the short v1 form is what it expects.
    let mut der = hex::decode("302e020100300506032b657004220420").expect("hex literal");
    der.extend_from_slice(&sk.to_bytes());
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----",
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &der)
    );
    let pk = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        sk.verifying_key().as_bytes(),
    );
    let mut toml = config_toml("");
    toml.push_str(&format!(
        "[[account]]\napi_key = \"compatedkey\"\ned25519_public_key = \"{pk}\"\nbalances = {{ USDT = \"1000\" }}\n"
    ));
    let sim = start_with(tradeward_sim::SimConfig::from_toml(&toml).unwrap()).await;
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/compat/test_python_binance.py"
    );
    let out = tokio::process::Command::new("python3")
        .arg(script)
        .env("SIM_URL", sim.base_url())
        .env("SIM_API_KEY", KEY)
        .env("SIM_API_SECRET", SECRET)
        .env("SIM_ED25519_API_KEY", "compatedkey")
        .env("SIM_ED25519_PRIVATE_PEM", pem.as_str())
        .output()
        .await
        .expect("python3 must be installed (see tests/compat/requirements.txt)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "python-binance compatibility failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
}
