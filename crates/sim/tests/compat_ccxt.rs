//! Runs ccxt (a third-party client of many venues) against the sim's non-Binance dialects:
//! tests/compat/test_ccxt_kraken.py against the Kraken dialect. Fails when python3 or ccxt is
//! missing: the test script installs tests/compat/requirements.txt first.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed step should panic

mod common;

use common::*;

/// A Kraken-style secret: base64 of 64 bytes.
const KRAKEN_SECRET: &str =
    "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg==";

async fn run_script(name: &str, envs: &[(&str, String)]) {
    let script = format!("{}/tests/compat/{name}", env!("CARGO_MANIFEST_DIR"));
    let mut cmd = tokio::process::Command::new("python3");
    cmd.arg(&script);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd
        .output()
        .await
        .expect("python3 must be installed (see tests/compat/requirements.txt)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{name} failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ccxt_kraken_works_unchanged() {
    let sim = start(&format!(
        "[[account]]\napi_key = \"ccxtkraken\"\nsecret = \"{KRAKEN_SECRET}\"\nbalances = {{ BTC = \"2\", USDT = \"100000\" }}\n"
    ))
    .await;
    run_script(
        "test_ccxt_kraken.py",
        &[
            ("SIM_URL", sim.base_url()),
            ("SIM_KRAKEN_KEY", "ccxtkraken".into()),
            ("SIM_KRAKEN_SECRET", KRAKEN_SECRET.into()),
        ],
    )
    .await;
    sim.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ccxt_coinbase_works_unchanged() {
    use base64::Engine as _;
    let sk = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let public = b64(sk.verifying_key().as_bytes());
    // Coinbase issues Ed25519 secrets as base64 of the seed followed by the public key.
    let mut pair = sk.to_bytes().to_vec();
    pair.extend_from_slice(sk.verifying_key().as_bytes());
    let sim = start(&format!(
        "[[account]]\napi_key = \"ccxtcoinbase\"\ned25519_public_key = \"{public}\"\nbalances = {{ BTC = \"2\", USDT = \"100000\" }}\n"
    ))
    .await;
    run_script(
        "test_ccxt_coinbase.py",
        &[
            ("SIM_URL", sim.base_url()),
            ("SIM_COINBASE_KEY", "ccxtcoinbase".into()),
            ("SIM_COINBASE_SECRET", b64(&pair)),
        ],
    )
    .await;
    sim.stop().await.unwrap();
}
