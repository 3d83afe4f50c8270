//! Market streams and the hub end to end against the simulator: trades after a control-plane
//! trade, reconnect after the sim drops every WebSocket, one upstream per market shared by
//! subscribers, staleness judged by an injected clock.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{btc, until, world};
use rust_decimal_macros::dec;
use serde_json::json;
use tokio::sync::broadcast;
use tradeward_domain::Venue;
use tradeward_exchange::binance::BinanceMarketData;
use tradeward_exchange::hub::{HubConfig, HubEvent, MarketDataHub};
use tradeward_exchange::{
    FeedItem, ManualClock, MarketData, MarketDataClient, StreamKind, SystemClock,
};

fn market_client(
    w: &common::World,
    clock: Arc<dyn tradeward_exchange::Clock>,
) -> BinanceMarketData {
    BinanceMarketData::with_rng(w.config.clone(), clock, Arc::new(|| common::rng(5))).unwrap()
}

#[tokio::test]
async fn trades_arrive_and_the_stream_survives_a_drop() {
    let w = world().await;
    let md = market_client(&w, Arc::new(SystemClock));
    assert_eq!(md.venue(), Venue::Sim);
    let mut sub = md
        .subscribe(&[btc()], &[StreamKind::Trades, StreamKind::BookTicker])
        .await
        .unwrap();
    until(&mut sub.events, "Connected", |i| {
        matches!(i, FeedItem::Connected)
    })
    .await;

    w.control(
        "/sim/v1/trade",
        json!({"symbol": "BTCUSDT", "price": "50100"}),
    )
    .await;
    let t = until(
        &mut sub.events,
        "trade",
        |i| matches!(i, FeedItem::Event(e) if matches!(e.data, MarketData::Trade { .. })),
    )
    .await;
    let FeedItem::Event(ev) = t else {
        unreachable!()
    };
    assert_eq!(ev.venue, Venue::Sim);
    assert_eq!(ev.symbol, btc());
    assert_eq!(ev.price(), Some(dec!(50100)));
    assert!(ev.exchange_time_ms.is_some());
    assert!(ev.received_at_ms > 0);
    until(&mut sub.events, "book ticker", |i| {
        matches!(i, FeedItem::Event(e) if matches!(e.data, MarketData::BookTicker { bid, ask, .. } if bid < ask))
    })
    .await;

    w.control("/sim/v1/faults", json!({"ws_drop_all": true}))
        .await;
    until(&mut sub.events, "Disconnected", |i| {
        matches!(i, FeedItem::Disconnected { .. })
    })
    .await;
    until(&mut sub.events, "reconnected", |i| {
        matches!(i, FeedItem::Connected)
    })
    .await;
    w.control(
        "/sim/v1/trade",
        json!({"symbol": "BTCUSDT", "price": "50200"}),
    )
    .await;
    until(
        &mut sub.events,
        "trade after reconnect",
        |i| matches!(i, FeedItem::Event(e) if e.price() == Some(dec!(50200))),
    )
    .await;

    // A resync request drops the connection and subscribes afresh.
    sub.resync_handle().request();
    until(
        &mut sub.events,
        "resync disconnect",
        |i| matches!(i, FeedItem::Disconnected { reason } if reason.contains("resync")),
    )
    .await;
    until(&mut sub.events, "resynced", |i| {
        matches!(i, FeedItem::Connected)
    })
    .await;
}

async fn next_hub(
    rx: &mut broadcast::Receiver<HubEvent>,
    what: &str,
    mut pred: impl FnMut(&HubEvent) -> bool,
) -> HubEvent {
    tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let ev = rx.recv().await.expect("hub channel open");
            if pred(&ev) {
                return ev;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

#[tokio::test]
async fn hub_shares_one_upstream_and_reports_stale_markets() {
    let w = world().await;
    let clock = Arc::new(ManualClock::new(1_000_000));
    let md: Arc<dyn MarketDataClient> = Arc::new(market_client(&w, clock.clone()));
    let hub = MarketDataHub::new(
        vec![md],
        clock.clone(),
        HubConfig {
            stale_after_ms: 10_000,
            ..HubConfig::default()
        },
    );
    let mut a = hub.subscribe(Venue::Sim, &btc()).await.unwrap();
    let mut b = hub.subscribe(Venue::Sim, &btc()).await.unwrap();
    let status = hub.status().await;
    assert_eq!(status.len(), 1, "one upstream for two subscribers");
    assert_eq!(status[0].subscribers, 2);
    assert!(
        hub.subscribe(Venue::Binance, &btc()).await.is_err(),
        "no Binance client given"
    );

    next_hub(&mut a, "connected", |e| matches!(e, HubEvent::Connected(_))).await;
    w.control(
        "/sim/v1/trade",
        json!({"symbol": "BTCUSDT", "price": "50300"}),
    )
    .await;
    for rx in [&mut a, &mut b] {
        next_hub(
            rx,
            "trade",
            |e| matches!(e, HubEvent::Market(m) if m.price() == Some(dec!(50300))),
        )
        .await;
    }

    // Within the timeout: not stale. Past it with no data: stale, reported once.
    clock.advance(9_000);
    assert!(hub.sweep().await.is_empty());
    clock.advance(2_000);
    let stale = hub.sweep().await;
    assert_eq!(stale.len(), 1);
    assert_eq!(stale[0].market.symbol, btc());
    assert!(stale[0].stale);
    next_hub(
        &mut a,
        "stale",
        |e| matches!(e, HubEvent::Stale { silent_for_ms, .. } if *silent_for_ms == 11_000),
    )
    .await;
    assert_eq!(
        hub.sweep().await.len(),
        1,
        "still stale, reported again by sweep"
    );

    // Data again: fresh.
    w.control(
        "/sim/v1/trade",
        json!({"symbol": "BTCUSDT", "price": "50400"}),
    )
    .await;
    next_hub(&mut a, "fresh", |e| matches!(e, HubEvent::Fresh(_))).await;
    next_hub(
        &mut a,
        "trade",
        |e| matches!(e, HubEvent::Market(m) if m.price() == Some(dec!(50400))),
    )
    .await;
    assert!(hub.sweep().await.is_empty());
    assert!(!hub.status().await[0].stale);

    // Subscribers gone: the next sweep drops the upstream.
    drop(a);
    drop(b);
    hub.sweep().await;
    assert!(hub.status().await.is_empty());
}

#[tokio::test]
async fn a_stalled_connection_is_detected_by_the_idle_timeout() {
    let mut w = world().await;
    w.config.ws_idle_timeout = Duration::from_millis(400);
    // Our pings must not count as data: they go out more often than the idle timeout.
    w.config.ws_ping_interval = Duration::from_millis(100);
    let md = market_client(&w, Arc::new(SystemClock));
    let mut sub = md.subscribe(&[btc()], &[StreamKind::Trades]).await.unwrap();
    until(&mut sub.events, "Connected", |i| {
        matches!(i, FeedItem::Connected)
    })
    .await;
    w.control("/sim/v1/faults", json!({"ws_stall": true})).await;
    until(
        &mut sub.events,
        "idle disconnect",
        |i| matches!(i, FeedItem::Disconnected { reason } if reason.contains("idle")),
    )
    .await;
    w.control("/sim/v1/faults", json!({"reset": true})).await;
    until(&mut sub.events, "reconnected", |i| {
        matches!(i, FeedItem::Connected)
    })
    .await;
    w.control(
        "/sim/v1/trade",
        json!({"symbol": "BTCUSDT", "price": "50500"}),
    )
    .await;
    until(
        &mut sub.events,
        "trade after stall",
        |i| matches!(i, FeedItem::Event(e) if e.price() == Some(dec!(50500))),
    )
    .await;
}
