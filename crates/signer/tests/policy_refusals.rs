//! Threat S6: whatever the key permits, the signer signs only read, trade and cancel requests,
//! within the credential's limits and the trading switches, and audits every refusal.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use rust_decimal_macros::dec;
use tradeward_audit::Outcome;
use tradeward_domain::{UserId, Venue};
use tradeward_signer::schemes::{HttpMethod, RequestBody, UnsignedRequest};
use tradeward_signer::{CallContext, CredentialLimits, Refusal, SignerError};

fn binance(method: HttpMethod, path: &str, query: &[(&str, &str)]) -> UnsignedRequest {
    UnsignedRequest {
        method,
        host: Some("api.binance.com".into()),
        path: path.into(),
        query: query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body: RequestBody::None,
    }
}

fn limit_order(qty: &str, price: &str) -> UnsignedRequest {
    binance(
        HttpMethod::Post,
        "/api/v3/order",
        &[
            ("symbol", "BTCUSDT"),
            ("side", "BUY"),
            ("type", "LIMIT"),
            ("timeInForce", "GTC"),
            ("quantity", qty),
            ("price", price),
        ],
    )
}

fn refusal(result: Result<impl std::fmt::Debug, SignerError>) -> Refusal {
    match result {
        Err(SignerError::Refused(r)) => r,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn setup(limits: CredentialLimits) -> (Harness, tradeward_domain::CredentialId) {
    let h = sqlite_harness().await;
    // The key is stored as withdrawal-capable: the venue said so. The signer must not care.
    let mut i = input(h.user, Venue::Binance, API_KEY, SECRET, limits);
    i.permissions = r#"{"enableWithdrawals":true,"enableSpotAndMarginTrading":true}"#.into();
    let stored = h
        .signer
        .store_credential(&CallContext::component("web").for_user(h.user), i)
        .await
        .unwrap();
    (h, stored.id)
}

fn last_event(h: &Harness) -> tradeward_audit::AuditEvent {
    h.audit.events().last().cloned().expect("an audit event")
}

#[tokio::test]
async fn withdrawal_is_refused_even_for_a_withdrawal_capable_key() {
    let (h, id) = setup(CredentialLimits::default()).await;
    let withdraw = binance(
        HttpMethod::Post,
        "/sapi/v1/capital/withdraw/apply",
        &[
            ("coin", "BTC"),
            ("address", "bc1qattacker"),
            ("amount", "1"),
        ],
    );
    let r = refusal(h.signer.sign(&engine_ctx(h.user), id, &withdraw).await);
    assert!(matches!(r, Refusal::ForbiddenClass(_)), "{r:?}");
    let e = last_event(&h);
    assert_eq!((e.kind, e.outcome), ("signer.refuse", Outcome::Refused));
    assert_eq!(e.detail["class"], "withdraw");
    assert_eq!(e.detail["code"], "forbidden_endpoint_class");
    assert!(e.reason.unwrap().contains("never signed"));
    assert_eq!(e.credential_id.as_deref(), Some(id.to_string().as_str()));
    assert_eq!(e.source_addr.as_deref(), Some("203.0.113.7"));
    assert_eq!(e.session_id.as_deref(), Some("sess-1"));
}

#[tokio::test]
async fn transfers_and_key_management_are_refused() {
    let (h, id) = setup(CredentialLimits::default()).await;
    for path in [
        "/sapi/v1/asset/transfer",
        "/sapi/v1/sub-account/universalTransfer",
    ] {
        let r = refusal(
            h.signer
                .sign(
                    &engine_ctx(h.user),
                    id,
                    &binance(HttpMethod::Post, path, &[]),
                )
                .await,
        );
        assert!(matches!(r, Refusal::ForbiddenClass(_)), "{path}: {r:?}");
    }
}

#[tokio::test]
async fn unknown_endpoints_are_refused() {
    let (h, id) = setup(CredentialLimits::default()).await;
    for path in [
        "/api/v3/somethingNew",
        "/api/v3/order/../../sapi/v1/capital/withdraw/apply",
    ] {
        let r = refusal(
            h.signer
                .sign(
                    &engine_ctx(h.user),
                    id,
                    &binance(HttpMethod::Post, path, &[]),
                )
                .await,
        );
        assert!(
            matches!(
                r,
                Refusal::UnknownEndpoint { .. } | Refusal::ForbiddenClass(_)
            ),
            "{path}: {r:?}"
        );
        assert_eq!(last_event(&h).outcome, Outcome::Refused);
    }
    let r = refusal(
        h.signer
            .sign(
                &engine_ctx(h.user),
                id,
                &binance(HttpMethod::Post, "/api/v3/somethingNew", &[]),
            )
            .await,
    );
    assert_eq!(r.code(), "unknown_endpoint");
}

#[tokio::test]
async fn trades_above_the_notional_limit_are_refused() {
    let (h, id) = setup(CredentialLimits {
        max_order_notional: Some(dec!(1000)),
        ..Default::default()
    })
    .await;
    // 0.01 × 50,000 = 500: fine.
    h.signer
        .sign(&engine_ctx(h.user), id, &limit_order("0.01", "50000"))
        .await
        .unwrap();
    let ok = last_event(&h);
    assert_eq!((ok.kind, ok.outcome), ("signer.sign", Outcome::Ok));
    assert_eq!(ok.detail["notional"], "500.00");
    // 0.03 × 50,000 = 1,500: refused.
    let r = refusal(
        h.signer
            .sign(&engine_ctx(h.user), id, &limit_order("0.03", "50000"))
            .await,
    );
    assert_eq!(
        r,
        Refusal::OrderNotionalAboveLimit {
            notional: dec!(1500.00),
            limit: dec!(1000)
        }
    );
    let e = last_event(&h);
    assert_eq!(e.detail["code"], "order_notional_above_limit");
    assert!(e.reason.unwrap().contains("1500"));
}

#[tokio::test]
async fn daily_limit_accumulates_and_symbols_are_restricted() {
    let (h, id) = setup(CredentialLimits {
        allowed_symbols: Some(vec!["BTC/USDT".into()]),
        max_daily_notional: Some(dec!(1200)),
        ..Default::default()
    })
    .await;
    h.signer
        .sign(&engine_ctx(h.user), id, &limit_order("0.01", "50000"))
        .await
        .unwrap();
    h.signer
        .sign(&engine_ctx(h.user), id, &limit_order("0.01", "50000"))
        .await
        .unwrap();
    let r = refusal(
        h.signer
            .sign(&engine_ctx(h.user), id, &limit_order("0.01", "50000"))
            .await,
    );
    assert!(
        matches!(r, Refusal::DailyNotionalAboveLimit { .. }),
        "{r:?}"
    );
    let mut eth = limit_order("0.01", "3000");
    eth.query[0].1 = "ETHUSDT".into();
    assert_eq!(
        refusal(h.signer.sign(&engine_ctx(h.user), id, &eth).await).code(),
        "symbol_not_allowed"
    );
}

#[tokio::test]
async fn no_trade_while_trading_is_off_but_reads_and_cancels_go_on() {
    let (h, id) = setup(CredentialLimits::default()).await;
    let admin = CallContext::component("cli");
    h.signer
        .set_global_trading(&admin, false, "incident drill")
        .await
        .unwrap();
    let r = refusal(
        h.signer
            .sign(&engine_ctx(h.user), id, &limit_order("0.01", "50000"))
            .await,
    );
    assert_eq!(r, Refusal::TradingDisabledGlobally);
    assert_eq!(last_event(&h).detail["code"], "trading_disabled_globally");
    // Reading the account and cancelling orders reduce risk: still signed.
    h.signer
        .sign(
            &engine_ctx(h.user),
            id,
            &binance(HttpMethod::Get, "/api/v3/account", &[]),
        )
        .await
        .unwrap();
    h.signer
        .sign(
            &engine_ctx(h.user),
            id,
            &binance(
                HttpMethod::Delete,
                "/api/v3/order",
                &[("symbol", "BTCUSDT"), ("orderId", "1")],
            ),
        )
        .await
        .unwrap();
    h.signer
        .set_global_trading(&admin, true, "drill over")
        .await
        .unwrap();
    h.signer
        .set_user_trading(&admin, h.user, false, "lockdown link")
        .await
        .unwrap();
    let r = refusal(
        h.signer
            .sign(&engine_ctx(h.user), id, &limit_order("0.01", "50000"))
            .await,
    );
    assert_eq!(r, Refusal::TradingDisabledForUser);
    h.signer
        .set_user_trading(&admin, h.user, true, "restored")
        .await
        .unwrap();
    h.signer
        .sign(&engine_ctx(h.user), id, &limit_order("0.01", "50000"))
        .await
        .unwrap();
}

#[tokio::test]
async fn the_switch_flipped_by_another_process_is_seen() {
    let (h, id) = setup(CredentialLimits::default()).await;
    h.signer
        .sign(&engine_ctx(h.user), id, &limit_order("0.01", "50000"))
        .await
        .unwrap();
    // As `tradeward admin trading disable` would: straight in the database.
    h.store.set_global_trading(false, 1).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let r = refusal(
        h.signer
            .sign(&engine_ctx(h.user), id, &limit_order("0.01", "50000"))
            .await,
    );
    assert_eq!(r, Refusal::TradingDisabledGlobally);
}

#[tokio::test]
async fn another_users_credential_is_refused() {
    let (h, id) = setup(CredentialLimits::default()).await;
    let intruder = CallContext::component("web").for_user(UserId::new());
    let r = refusal(
        h.signer
            .sign(
                &intruder,
                id,
                &binance(HttpMethod::Get, "/api/v3/account", &[]),
            )
            .await,
    );
    assert_eq!(r, Refusal::NotOwner);
}

#[tokio::test]
async fn pausing_stops_every_use() {
    let (h, id) = setup(CredentialLimits::default()).await;
    h.signer
        .set_paused(&CallContext::component("cli"), true)
        .unwrap();
    let r = refusal(
        h.signer
            .sign(
                &engine_ctx(h.user),
                id,
                &binance(HttpMethod::Get, "/api/v3/account", &[]),
            )
            .await,
    );
    assert_eq!(r, Refusal::CredentialsPaused);
    h.signer
        .set_paused(&CallContext::component("cli"), false)
        .unwrap();
    h.signer
        .sign(
            &engine_ctx(h.user),
            id,
            &binance(HttpMethod::Get, "/api/v3/account", &[]),
        )
        .await
        .unwrap();
}
