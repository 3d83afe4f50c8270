//! Cost of opening one sealed secret (unwrap the DEK, then decrypt the secret) per provider,
//! against a bare HMAC-SHA256 of a typical signing payload for scale. The signer opens a
//! secret per signature, so `open/local` bounds its signatures per second per core.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::Path;
use std::sync::Arc;

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tradeward_vault::{LocalKeyProvider, Pkcs11KeyProvider, SealContext, Vault};

const SECRET: &[u8] = b"NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
const PAYLOAD: &[u8] = b"symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
const SOFTHSM: &str = "/usr/lib/softhsm/libsofthsm2.so";

fn ctx() -> SealContext {
    SealContext::new("user-1", "cred-1", "binance", "secret")
}

fn bench_vault(c: &mut Criterion, name: &str, vault: &Vault) {
    let sealed = vault.seal(&ctx(), SECRET).unwrap();
    let context = ctx();
    c.bench_function(&format!("open/{name}"), |b| {
        b.iter(|| vault.open(black_box(&context), black_box(&sealed)).unwrap())
    });
    c.bench_function(&format!("seal/{name}"), |b| {
        b.iter(|| vault.seal(black_box(&context), black_box(SECRET)).unwrap())
    });
}

fn softhsm_vault(root: &Path) -> Option<Vault> {
    if !Path::new(SOFTHSM).is_file() {
        eprintln!("SoftHSM2 not installed at {SOFTHSM}: skipping the pkcs11 benchmarks");
        return None;
    }
    let config =
        tradeward_vault::testing::softhsm_token(root, "bench", "12345678", "87654321").unwrap();
    let provider = Pkcs11KeyProvider::open_or_create(config).unwrap();
    Some(Vault::new(Arc::new(provider)))
}

fn benches(c: &mut Criterion) {
    let tmp = tempfile::tempdir().unwrap();
    let local = Vault::new(Arc::new(
        LocalKeyProvider::open_or_create(&tmp.path().join("kek")).unwrap(),
    ));
    bench_vault(c, "local", &local);
    if let Some(hsm) = softhsm_vault(tmp.path()) {
        bench_vault(c, "softhsm2", &hsm);
    }
    c.bench_function("hmac_sha256/binance_payload", |b| {
        b.iter(|| {
            let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(black_box(SECRET)).unwrap();
            mac.update(black_box(PAYLOAD));
            mac.finalize().into_bytes()
        })
    });
}

criterion_group!(vault, benches);
criterion_main!(vault);
