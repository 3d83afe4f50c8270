//! Signed requests per second: bare HMAC-SHA256 (the baseline, measured in the same run), the
//! in-process signer and the socket signer, each with the local KEK provider and SoftHSM2.
//!
//! Every signer figure includes the whole path: credential lookup (cached sealed rows), endpoint
//! classification, trading switches, trade-intent parsing and the notional limit, per-use
//! decryption of the API key and secret (unwrap two DEKs, open two ciphertexts), the HMAC, and
//! the audit event. Run: `cargo bench -p tradeward-signer --bench signer`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use hmac::{Hmac, Mac};
use rust_decimal_macros::dec;
use sha2::Sha256;
use tradeward_audit::{AuditError, AuditEvent, AuditSink};
use tradeward_domain::Venue;
use tradeward_signer::remote::{serve, RemoteSigner, ServerConfig, SignerApi};
use tradeward_signer::schemes::{HttpMethod, UnsignedRequest};
use tradeward_signer::{CallContext, CredentialInput, CredentialLimits, Signer};
use tradeward_store::NewUser;
use tradeward_vault::{LocalKeyProvider, Pkcs11KeyProvider, SecretBytes, Vault};

const API_KEY: &str = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";
const SECRET: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
const PAYLOAD: &str = "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=50000&recvWindow=5000&timestamp=1499827319559";

/// Counts events instead of storing them, so the figure is the signer's own cost.
#[derive(Debug, Default)]
struct CountingSink(AtomicU64);

impl AuditSink for CountingSink {
    fn record(&self, _event: AuditEvent) -> Result<(), AuditError> {
        self.0.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

fn order() -> UnsignedRequest {
    UnsignedRequest::new(HttpMethod::Post, "/api/v3/order")
        .with_query("symbol", "BTCUSDT")
        .with_query("side", "BUY")
        .with_query("type", "LIMIT")
        .with_query("timeInForce", "GTC")
        .with_query("quantity", "0.01")
        .with_query("price", "50000")
        .with_query("recvWindow", "5000")
}

fn softhsm_vault(root: &Path) -> Vault {
    let config =
        tradeward_vault::testing::softhsm_token(root, "bench", "12345678", "87654321").unwrap();
    Vault::new(Arc::new(Pkcs11KeyProvider::open_or_create(config).unwrap()))
}

async fn signer_with_credential(
    dir: &Path,
    vault: Vault,
) -> (Signer, tradeward_domain::CredentialId, CallContext) {
    std::fs::create_dir_all(dir).unwrap();
    let store = tradeward_store::testing::fresh_sqlite(dir).await.unwrap();
    let user = store
        .create_user(&NewUser {
            email: "bench@example.com".into(),
            role: "user".into(),
            created_at_us: 0,
        })
        .await
        .unwrap();
    let signer = Signer::new(store, vault, Arc::new(CountingSink::default()));
    let ctx = CallContext::component("engine").for_user(user);
    let stored = signer
        .store_credential(
            &ctx,
            CredentialInput {
                owner: user,
                venue: Venue::Binance,
                label: "bench".into(),
                scheme: None,
                api_key: SecretBytes::from_slice(API_KEY.as_bytes()),
                secret: SecretBytes::from_slice(SECRET.as_bytes()),
                passphrase: None,
                limits: CredentialLimits {
                    max_order_notional: Some(dec!(100000)),
                    ..Default::default()
                },
                permissions: "{}".into(),
            },
        )
        .await
        .unwrap();
    (signer, stored.id, ctx)
}

fn bench_provider(
    c: &mut Criterion,
    rt: &tokio::runtime::Runtime,
    name: &str,
    dir: &Path,
    vault: Vault,
) {
    let (signer, id, ctx) = rt.block_on(signer_with_credential(&dir.join(name), vault));
    let request = order();
    let mut group = c.benchmark_group("sign");
    group.throughput(Throughput::Elements(1));
    group.bench_function(format!("in_process/{name}"), |b| {
        b.to_async(rt)
            .iter(|| async { signer.sign(&ctx, id, &request).await.unwrap() })
    });
    let socket = dir.join(format!("{name}.sock"));
    let server = signer.clone();
    let path = socket.clone();
    rt.spawn(async move {
        serve(
            server,
            &path,
            ServerConfig {
                allowed_uids: vec![],
            },
            std::future::pending(),
        )
        .await
        .unwrap();
    });
    let remote = rt.block_on(async {
        for _ in 0..200 {
            if socket.exists() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        RemoteSigner::connect(&socket, 1).await.unwrap()
    });
    group.bench_function(format!("unix_socket/{name}"), |b| {
        b.to_async(rt)
            .iter(|| async { remote.sign(&ctx, id, &request).await.unwrap() })
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("sign");
    group.throughput(Throughput::Elements(1));
    group.bench_function("baseline/bare_hmac_sha256", |b| {
        b.iter(|| {
            let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
            mac.update(PAYLOAD.as_bytes());
            hex::encode(mac.finalize().into_bytes())
        })
    });
    group.finish();

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let local = Vault::new(Arc::new(
        LocalKeyProvider::open_or_create(&tmp.path().join("kek")).unwrap(),
    ));
    bench_provider(c, &rt, "local", tmp.path(), local);
    let hsm = softhsm_vault(&tmp.path().join("hsm"));
    bench_provider(c, &rt, "softhsm2", tmp.path(), hsm);
}

criterion_group!(signer_benches, benches);
criterion_main!(signer_benches);
