//! The conformance suite every connector runs against its dialect of the simulator, end to
//! end over HTTP and WebSockets with a real signer: markets and rules, balances, a limit
//! order's life (placed, listed, looked up by client order id, cancelled, funds released), a
//! market order that fills, the public trade stream showing that fill, and a filter breach
//! refused before anything is sent.
//!
//! Not yet here: a venue-held stop order fired through the engine (`OrderKind` has no stop
//! variant yet), and Coinbase's trade stream (its WebSocket feed is not written yet: the
//! Coinbase run skips the stream step).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed step should panic

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use tradeward_domain::{Side, Venue};
use tradeward_exchange::binance::BinanceMarketData;
use tradeward_exchange::kraken::{KrakenConfig, KrakenExecution, KrakenHttp, KrakenMarketData};
use tradeward_exchange::{
    BackoffConfig, Balance, ClientOrderId, ExchangeError, ExecutionClient, FeedItem, MarketData,
    MarketDataClient, OrderKind, OrderRequest, OrderStatus, StreamKind, SystemClock, TimeInForce,
};
use tradeward_signer::{CallContext, CredentialInput, CredentialLimits, Signer};
use tradeward_store::NewUser;
use tradeward_vault::{LocalKeyProvider, SecretBytes, Vault};

fn asset(list: &[Balance], a: &str) -> (Decimal, Decimal) {
    list.iter()
        .find(|b| b.asset == a)
        .map(|b| (b.free, b.locked))
        .unwrap_or_default()
}

fn cid(venue: Venue, key: &str) -> ClientOrderId {
    ClientOrderId::derive(&format!("conformance/{venue}"), key)
}

/// Waits for a public trade of `qty` on the subscription.
async fn saw_trade(sub: &mut tradeward_exchange::MarketSubscription, qty: Decimal) -> bool {
    tokio::time::timeout(Duration::from_secs(2), async {
        loop {
            match sub.events.recv().await {
                Some(FeedItem::Event(e)) => {
                    if matches!(e.data, MarketData::Trade { qty: q, .. } if q == qty) {
                        assert_eq!(e.symbol, btc());
                        return true;
                    }
                }
                Some(_) => {}
                None => return false,
            }
        }
    })
    .await
    .unwrap_or(false)
}

/// The suite. The account starts with 1 BTC and 100000 USDT; BTC/USDT trades near 50000 with
/// tick 0.01 and step 0.00001.
async fn conformance(exec: &dyn ExecutionClient, md: Option<&dyn MarketDataClient>) {
    let venue = exec.venue();
    if let Some(md) = md {
        assert_eq!(md.venue(), venue);
    }

    // Markets and rules.
    let rules = exec.exchange_rules(&[btc()]).await.unwrap();
    let r = rules.get(&btc()).expect("BTC/USDT listed");
    assert!(r.trading);
    assert_eq!(r.filters.tick_size, Some(dec!(0.01)));
    assert_eq!(
        r.filters.step_size.map(|s| s.normalize()),
        Some(dec!(0.00001))
    );

    // Balances.
    let b0 = exec.balances().await.unwrap();
    assert_eq!(asset(&b0, "USDT"), (dec!(100000), dec!(0)), "{b0:?}");
    assert_eq!(asset(&b0, "BTC"), (dec!(1), dec!(0)), "{b0:?}");

    // The trade stream, subscribed before trading.
    let mut sub = match md {
        Some(md) => {
            let mut sub = md.subscribe(&[btc()], &[StreamKind::Trades]).await.unwrap();
            tokio::time::timeout(Duration::from_secs(5), async {
                while !matches!(sub.events.recv().await, Some(FeedItem::Connected)) {}
            })
            .await
            .expect("stream connects");
            Some(sub)
        }
        None => None,
    };

    // A limit order's life.
    let id = cid(venue, "limit-1");
    let order = OrderRequest {
        symbol: btc(),
        side: Side::Buy,
        kind: OrderKind::Limit {
            price: dec!(40000),
            quantity: dec!(0.01),
            time_in_force: TimeInForce::Gtc,
        },
        client_order_id: id.clone(),
    };
    let placed = exec.place_order(&order).await.unwrap();
    assert_eq!(placed.venue, venue);
    assert_eq!(placed.symbol, btc());
    assert_eq!(placed.status, OrderStatus::New);
    assert_eq!(placed.client_order_id, id.as_str());
    assert_eq!((placed.price, placed.orig_qty), (dec!(40000), dec!(0.01)));
    let b1 = exec.balances().await.unwrap();
    assert_eq!(asset(&b1, "USDT"), (dec!(99600), dec!(400)), "{b1:?}");
    let open = exec.open_orders(Some(&btc())).await.unwrap();
    assert!(
        open.iter().any(|o| o.client_order_id == id.as_str()),
        "{open:?}"
    );
    let all_open = exec.open_orders(None).await.unwrap();
    assert_eq!(all_open.len(), open.len());
    let found = exec
        .order_by_client_id(&btc(), &id)
        .await
        .unwrap()
        .expect("known");
    assert_eq!(found.venue_order_id, placed.venue_order_id);
    let cancelled = exec.cancel_order(&btc(), &id).await.unwrap();
    assert_eq!(cancelled.status, OrderStatus::Canceled);
    assert_eq!(cancelled.venue_order_id, placed.venue_order_id);
    let b2 = exec.balances().await.unwrap();
    assert_eq!(asset(&b2, "USDT"), (dec!(100000), dec!(0)), "{b2:?}");
    let after = exec
        .order_by_client_id(&btc(), &id)
        .await
        .unwrap()
        .expect("still known");
    assert_eq!(after.status, OrderStatus::Canceled);
    let again = exec.cancel_order(&btc(), &id).await.unwrap_err();
    assert!(matches!(again, ExchangeError::Rejected { .. }), "{again}");
    assert!(exec
        .order_by_client_id(&btc(), &cid(venue, "never-sent"))
        .await
        .unwrap()
        .is_none());

    // A market order fills, and its trade shows on the public stream. (A venue that
    // subscribes in-band may still be processing the subscription when the first order
    // lands: try a few times.)
    let mut seen = false;
    for n in 0..3 {
        let qty = dec!(0.001) + Decimal::new(n, 5);
        let m = OrderRequest {
            symbol: btc(),
            side: Side::Buy,
            kind: OrderKind::Market { quantity: qty },
            client_order_id: cid(venue, &format!("market-{n}")),
        };
        let filled = exec.place_order(&m).await.unwrap();
        assert_eq!(filled.status, OrderStatus::Filled, "{filled:?}");
        assert_eq!(filled.executed_qty, qty);
        assert!(filled.cumulative_quote_qty > Decimal::ZERO);
        match sub.as_mut() {
            Some(sub) => {
                if saw_trade(sub, qty).await {
                    seen = true;
                    break;
                }
            }
            None => break,
        }
    }
    assert!(
        seen || sub.is_none(),
        "the fill never showed on the trade stream"
    );
    let b3 = exec.balances().await.unwrap();
    assert!(asset(&b3, "BTC").0 > dec!(1), "{b3:?}");
    assert!(asset(&b3, "USDT").0 < dec!(100000), "{b3:?}");

    // A filter breach is refused before sending.
    let bad = OrderRequest {
        symbol: btc(),
        side: Side::Buy,
        kind: OrderKind::Limit {
            price: dec!(40000.001),
            quantity: dec!(0.01),
            time_in_force: TimeInForce::Gtc,
        },
        client_order_id: cid(venue, "bad-tick"),
    };
    assert!(matches!(
        exec.place_order(&bad).await.unwrap_err(),
        ExchangeError::Filter(_)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binance_connector_conforms_on_the_binance_dialect() {
    let w = world().await;
    let md = BinanceMarketData::new(w.config.clone(), Arc::new(SystemClock)).unwrap();
    conformance(w.exec.as_ref(), Some(&md)).await;
    w.sim.stop().await.unwrap();
}

/// A Kraken-style secret (base64 of 64 bytes): Kraken's documented example key.
const KRAKEN_KEY: &str = "krakenconformancekey";
const KRAKEN_SECRET: &str =
    "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg==";

/// The sim with one account reachable by the Kraken dialect, and a real signer holding its
/// key as a `Venue::Kraken` credential.
async fn kraken_world() -> (
    tradeward_sim::SimHandle,
    KrakenExecution,
    KrakenConfig,
    tempfile::TempDir,
) {
    let mut cfg = sim_config();
    let mut acct = cfg.accounts[0].clone();
    acct.api_key = KRAKEN_KEY.into();
    acct.secret = Some(tradeward_sim::SecretString::new(KRAKEN_SECRET.into()));
    cfg.accounts = vec![acct];
    let sim = tradeward_sim::spawn(cfg, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let dirs = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dirs.path().join("data")).unwrap();
    let store = tradeward_store::testing::fresh_sqlite(&dirs.path().join("data"))
        .await
        .unwrap();
    let provider = LocalKeyProvider::open_or_create(&dirs.path().join("kek")).unwrap();
    let user = store
        .create_user(&NewUser {
            email: "kraken@example.com".into(),
            role: "user".into(),
            created_at_us: 1,
        })
        .await
        .unwrap();
    let signer = Signer::new(
        store,
        Vault::new(Arc::new(provider)),
        Arc::new(tradeward_audit::MemoryAuditSink::new()),
    );
    let ctx = CallContext::component("engine").for_user(user);
    let stored = signer
        .store_credential(
            &ctx,
            CredentialInput {
                owner: user,
                venue: Venue::Kraken,
                label: "kraken".into(),
                scheme: None,
                api_key: SecretBytes::new(KRAKEN_KEY.as_bytes().to_vec()),
                secret: SecretBytes::new(KRAKEN_SECRET.as_bytes().to_vec()),
                passphrase: None,
                limits: CredentialLimits::default(),
                permissions: "{}".into(),
            },
        )
        .await
        .unwrap();
    let mut config = KrakenConfig::sim(&sim.base_url(), &sim.ws_url());
    config.reconnect = BackoffConfig {
        base: Duration::from_millis(50),
        max: Duration::from_millis(400),
    };
    // The suite makes more calls in a second than Kraken's Starter tier allows.
    config.rate_counter_max = 1000;
    let http = Arc::new(KrakenHttp::new(config.clone(), Arc::new(SystemClock)).unwrap());
    let exec = KrakenExecution::new(http, Arc::new(signer), stored.id, ctx);
    (sim, exec, config, dirs)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kraken_connector_conforms_on_the_kraken_dialect() {
    let (sim, exec, config, _dirs) = kraken_world().await;
    let md = KrakenMarketData::new(config, Arc::new(SystemClock)).unwrap();
    conformance(&exec, Some(&md)).await;
    let info = exec.key_info().await.unwrap();
    assert!(info.permissions.contains(&"modify-trades".to_owned()));
    assert!(!info.permissions.iter().any(|p| p.contains("withdraw")));
    sim.stop().await.unwrap();
}

/// RFC 8032 test 1's Ed25519 key: the public key, and the secret as Coinbase issues Ed25519
/// secrets (base64 of the seed followed by the public key).
const CB_PUBLIC: &str = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
const CB_SECRET: &str =
    "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2DXWpgBgrEKt9VL/tPJZAc6DuFy89qmIyWvAhpo9wdRGg==";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coinbase_connector_conforms_on_the_coinbase_dialect() {
    use tradeward_exchange::coinbase::{CoinbaseConfig, CoinbaseExecution, CoinbaseHttp};
    let mut cfg = sim_config();
    let mut acct = cfg.accounts[0].clone();
    acct.api_key = "coinbaseconformance".into();
    acct.secret = None;
    acct.ed25519_public_key = Some(CB_PUBLIC.into());
    cfg.accounts = vec![acct];
    let sim = tradeward_sim::spawn(cfg, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let dirs = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dirs.path().join("data")).unwrap();
    let store = tradeward_store::testing::fresh_sqlite(&dirs.path().join("data"))
        .await
        .unwrap();
    let provider = LocalKeyProvider::open_or_create(&dirs.path().join("kek")).unwrap();
    let user = store
        .create_user(&NewUser {
            email: "coinbase@example.com".into(),
            role: "user".into(),
            created_at_us: 1,
        })
        .await
        .unwrap();
    let signer = Signer::new(
        store,
        Vault::new(Arc::new(provider)),
        Arc::new(tradeward_audit::MemoryAuditSink::new()),
    );
    let ctx = CallContext::component("engine").for_user(user);
    let stored = signer
        .store_credential(
            &ctx,
            CredentialInput {
                owner: user,
                venue: Venue::Coinbase,
                label: "coinbase".into(),
                scheme: Some(tradeward_signer::schemes::Scheme::CoinbaseAdvancedJwtEd25519),
                api_key: SecretBytes::new(b"coinbaseconformance".to_vec()),
                secret: SecretBytes::new(CB_SECRET.as_bytes().to_vec()),
                passphrase: None,
                limits: CredentialLimits::default(),
                permissions: "{}".into(),
            },
        )
        .await
        .unwrap();
    let http = Arc::new(CoinbaseHttp::new(CoinbaseConfig::sim(&sim.base_url())).unwrap());
    let exec = CoinbaseExecution::new(http, Arc::new(signer), stored.id, ctx);
    conformance(&exec, None).await;
    sim.stop().await.unwrap();
}
