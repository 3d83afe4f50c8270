//! End to end against the in-process simulator, every private request signed by a real
//! signer: rules, balances, LIMIT and MARKET orders, query by client order id, cancel, the
//! user data stream.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{btc, rng, until, world, SECRET};
use rust_decimal_macros::dec;
use tradeward_domain::{Side, Venue};
use tradeward_exchange::binance::spawn_user_stream;
use tradeward_exchange::{
    ClientOrderId, ExchangeError, ExecutionClient, ExecutionType, FilterError, OrderKind,
    OrderRequest, OrderStatus, TimeInForce, UserEvent,
};

fn limit_buy(id: &ClientOrderId, price: rust_decimal::Decimal) -> OrderRequest {
    OrderRequest {
        symbol: btc(),
        side: Side::Buy,
        kind: OrderKind::Limit {
            price,
            quantity: dec!(0.001),
            time_in_force: TimeInForce::Gtc,
        },
        client_order_id: id.clone(),
    }
}

#[tokio::test]
async fn rules_balances_limit_query_cancel_market() {
    let w = world().await;
    let exec = &w.exec;
    assert_eq!(exec.venue(), Venue::Sim);

    let rules = exec.exchange_rules(&[]).await.unwrap();
    let r = rules.get(&btc()).expect("BTC/USDT listed");
    assert_eq!(r.venue_symbol, "BTCUSDT");
    assert_eq!(r.filters.tick_size, Some(dec!(0.01)));
    assert_eq!(r.filters.step_size, Some(dec!(0.00001)));
    assert_eq!(r.filters.min_notional, Some(dec!(5)));
    assert!(
        exec.http().weight().used().is_some(),
        "X-MBX-USED-WEIGHT-1M was read"
    );

    let offset = exec.http().sync_time().await.unwrap();
    assert!(offset.abs() < 2_000, "sim and host share a clock: {offset}");

    let before = exec.balances().await.unwrap();
    let bal = |v: &[tradeward_exchange::Balance], a: &str| {
        v.iter()
            .find(|b| b.asset == a)
            .cloned()
            .expect("asset listed")
    };
    assert_eq!(bal(&before, "BTC").free, dec!(1));
    assert_eq!(bal(&before, "USDT").free, dec!(100000));

    // LIMIT far below the market rests on the book.
    let id = ClientOrderId::derive("user/cred", "trigger-1#1");
    let placed = exec
        .place_order(&limit_buy(&id, dec!(40000)))
        .await
        .unwrap();
    assert_eq!(placed.status, OrderStatus::New);
    assert_eq!(placed.client_order_id, id.as_str());
    assert_eq!(placed.symbol, btc());
    let locked = exec.balances().await.unwrap();
    assert_eq!(bal(&locked, "USDT").locked, dec!(40));

    // Query by client order id (reconciliation after a crash).
    let found = exec.order_by_client_id(&btc(), &id).await.unwrap().unwrap();
    assert_eq!(found.venue_order_id, placed.venue_order_id);
    assert_eq!(found.status, OrderStatus::New);
    let unknown = ClientOrderId::derive("user/cred", "never-sent");
    assert_eq!(
        exec.order_by_client_id(&btc(), &unknown).await.unwrap(),
        None
    );

    let open = exec.open_orders(Some(&btc())).await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].client_order_id, id.as_str());
    let all_open = exec.open_orders(None).await.unwrap();
    assert_eq!(all_open.len(), 1);

    // The same deterministic id again is refused by the venue as a duplicate.
    let dup = exec
        .place_order(&limit_buy(&id, dec!(40000)))
        .await
        .unwrap_err();
    assert!(matches!(dup, ExchangeError::Rejected { .. }), "{dup}");

    let cancelled = exec.cancel_order(&btc(), &id).await.unwrap();
    assert_eq!(cancelled.status, OrderStatus::Canceled);
    assert_eq!(cancelled.client_order_id, id.as_str());
    assert!(exec.open_orders(Some(&btc())).await.unwrap().is_empty());
    let gone = exec.cancel_order(&btc(), &id).await.unwrap_err();
    assert!(matches!(gone, ExchangeError::Rejected { .. }), "{gone}");

    // Filters stop a bad order before it is signed or sent.
    let signatures_before = w.audit.events().len();
    let off_tick = exec
        .place_order(&limit_buy(
            &ClientOrderId::derive("u", "t2"),
            dec!(40000.005),
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(
            off_tick,
            ExchangeError::Filter(FilterError::PriceOffTick { .. })
        ),
        "{off_tick}"
    );
    assert_eq!(
        w.audit.events().len(),
        signatures_before,
        "nothing was signed"
    );

    // MARKET buy fills against the house.
    let m = exec
        .place_order(&OrderRequest {
            symbol: btc(),
            side: Side::Buy,
            kind: OrderKind::Market {
                quantity: dec!(0.01),
            },
            client_order_id: ClientOrderId::derive("user/cred", "market-1"),
        })
        .await
        .unwrap();
    assert_eq!(m.status, OrderStatus::Filled);
    assert_eq!(m.executed_qty, dec!(0.01));
    assert!(m.cumulative_quote_qty > dec!(400));
    let after = exec.balances().await.unwrap();
    assert!(bal(&after, "BTC").free > dec!(1.009), "{after:?}");
    assert!(bal(&after, "USDT").free < dec!(99600));

    // The signer audited every signature; no secret appears anywhere in the audit trail.
    let dump = format!("{:?}", w.audit.events());
    assert!(!dump.contains(SECRET));
    assert!(w.audit.events().iter().any(|e| e.kind == "signer.sign"));
}

#[tokio::test]
async fn user_stream_reports_orders_and_balances() {
    let w = world().await;
    let mut stream = spawn_user_stream(w.exec.clone(), rng(1));
    until(&mut stream.events, "Connected", |e| {
        matches!(e, UserEvent::Connected)
    })
    .await;

    let id = ClientOrderId::derive("user/cred", "stream-1");
    w.exec
        .place_order(&limit_buy(&id, dec!(45000)))
        .await
        .unwrap();
    let new = until(
        &mut stream.events,
        "NEW report",
        |e| matches!(e, UserEvent::Order(u) if u.execution == ExecutionType::New),
    )
    .await;
    let UserEvent::Order(u) = new else {
        unreachable!()
    };
    assert_eq!(u.report.client_order_id, id.as_str());
    assert_eq!(u.report.symbol, btc());
    assert_eq!(u.report.price, dec!(45000));
    until(&mut stream.events, "balance update", |e| {
        matches!(e, UserEvent::Balances { balances, .. }
            if balances.iter().any(|b| b.asset == "USDT" && b.locked == dec!(45)))
    })
    .await;

    w.exec.cancel_order(&btc(), &id).await.unwrap();
    let cancelled = until(
        &mut stream.events,
        "CANCELED report",
        |e| matches!(e, UserEvent::Order(u) if u.execution == ExecutionType::Canceled),
    )
    .await;
    let UserEvent::Order(c) = cancelled else {
        unreachable!()
    };
    assert_eq!(c.report.client_order_id, id.as_str());
    assert_eq!(c.report.status, OrderStatus::Canceled);

    // A resting order crossed by a market move fills: TRADE report with its fill.
    let id2 = ClientOrderId::derive("user/cred", "stream-2");
    w.exec
        .place_order(&limit_buy(&id2, dec!(49000)))
        .await
        .unwrap();
    w.control(
        "/sim/v1/trade",
        serde_json::json!({"symbol": "BTCUSDT", "price": "48000"}),
    )
    .await;
    let fill = until(
        &mut stream.events,
        "TRADE report",
        |e| matches!(e, UserEvent::Order(u) if u.execution == ExecutionType::Trade),
    )
    .await;
    let UserEvent::Order(f) = fill else {
        unreachable!()
    };
    assert_eq!(f.report.client_order_id, id2.as_str());
    let fill = f.fill.as_ref().expect("a trade carries its fill");
    assert_eq!(fill.price, dec!(49000));
    assert_eq!(fill.qty, dec!(0.001));
    until(&mut stream.events, "BTC credited", |e| {
        matches!(e, UserEvent::Balances { balances, .. }
            if balances.iter().any(|b| b.asset == "BTC" && b.free > dec!(1)))
    })
    .await;

    // Dropped by the venue: the stream reconnects and says so, so the consumer reconciles.
    w.control("/sim/v1/faults", serde_json::json!({"ws_drop_all": true}))
        .await;
    until(&mut stream.events, "Disconnected", |e| {
        matches!(e, UserEvent::Disconnected { .. })
    })
    .await;
    until(&mut stream.events, "reconnected", |e| {
        matches!(e, UserEvent::Connected)
    })
    .await;
    let id3 = ClientOrderId::derive("user/cred", "stream-3");
    w.exec
        .place_order(&limit_buy(&id3, dec!(30000)))
        .await
        .unwrap();
    until(
        &mut stream.events,
        "report after reconnect",
        |e| matches!(e, UserEvent::Order(u) if u.report.client_order_id == id3.as_str()),
    )
    .await;
}

#[tokio::test]
async fn rate_limits_back_off_and_server_errors_are_outcome_unknown() {
    use tradeward_exchange::RetryKind;
    let w = world().await;
    w.exec.exchange_rules(&[btc()]).await.unwrap();

    w.control("/sim/v1/faults", serde_json::json!({"http_5xx_rate": 1.0}))
        .await;
    let id = ClientOrderId::derive("user/cred", "5xx");
    let e = w
        .exec
        .place_order(&limit_buy(&id, dec!(40000)))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            ExchangeError::Retryable {
                kind: RetryKind::ServerError(503),
                ..
            }
        ),
        "{e}"
    );
    assert!(
        e.outcome_unknown(),
        "a 5xx on a write means: reconcile before resending"
    );
    assert!(!e.to_string().contains("signature"), "{e}");

    w.control(
        "/sim/v1/faults",
        serde_json::json!({"reset": true, "http_429_rate": 1.0}),
    )
    .await;
    let e = w.exec.balances().await.unwrap_err();
    assert!(
        matches!(
            e,
            ExchangeError::Retryable {
                kind: RetryKind::RateLimited,
                retry_after: Some(_),
                ..
            }
        ),
        "{e}"
    );
    assert!(w.exec.http().weight().blocked_until_ms().is_some());
    // While the venue's backoff runs, nothing is signed or sent.
    w.control("/sim/v1/faults", serde_json::json!({"reset": true}))
        .await;
    let signed_before = w.audit.events().len();
    let e = w.exec.balances().await.unwrap_err();
    assert!(e.is_retryable() && !e.outcome_unknown(), "{e}");
    assert_eq!(w.audit.events().len(), signed_before);
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    assert!(
        w.exec.balances().await.is_ok(),
        "requests resume after Retry-After"
    );
}
