//! The hub against a scripted upstream: out-of-order events skipped, gaps and malformed
//! frames answered with a resync request, reconnects resetting the sequence.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use rust_decimal::Decimal;
use tokio::sync::{broadcast, mpsc};
use tradeward_domain::{Symbol, Venue};
use tradeward_exchange::hub::{HubConfig, HubEvent, MarketDataHub, ResyncReason};
use tradeward_exchange::{
    ExchangeError, FeedItem, ManualClock, MarketData, MarketDataClient, MarketEvent,
    MarketSubscription, StreamKind,
};

/// An upstream whose feed the test writes, counting resync requests.
#[derive(Debug, Default)]
struct Scripted {
    feeds: Mutex<Vec<mpsc::Sender<FeedItem>>>,
    resyncs: Arc<Mutex<u32>>,
    subscribes: Mutex<u32>,
}

#[async_trait]
impl MarketDataClient for Scripted {
    fn venue(&self) -> Venue {
        Venue::Sim
    }
    async fn subscribe(
        &self,
        _symbols: &[Symbol],
        _kinds: &[StreamKind],
    ) -> Result<MarketSubscription, ExchangeError> {
        let (sub, tx, mut resync) = MarketSubscription::channel(64);
        self.feeds.lock().unwrap().push(tx);
        *self.subscribes.lock().unwrap() += 1;
        let count = self.resyncs.clone();
        tokio::spawn(async move {
            while resync.recv().await.is_some() {
                *count.lock().unwrap() += 1;
            }
        });
        Ok(sub)
    }
}

fn sym() -> Symbol {
    "BTC/USDT".parse().unwrap()
}

fn trade(id: u64) -> FeedItem {
    FeedItem::Event(MarketEvent {
        venue: Venue::Sim,
        symbol: sym(),
        data: MarketData::Trade {
            trade_id: id,
            price: Decimal::from(id),
            qty: Decimal::ONE,
        },
        exchange_time_ms: Some(id),
        received_at_ms: 0,
    })
}

async fn recv(rx: &mut broadcast::Receiver<HubEvent>) -> HubEvent {
    tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("event in time")
        .expect("channel open")
}

fn trade_id(e: &HubEvent) -> Option<u64> {
    match e {
        HubEvent::Market(MarketEvent {
            data: MarketData::Trade { trade_id, .. },
            ..
        }) => Some(*trade_id),
        _ => None,
    }
}

#[tokio::test]
async fn gaps_resync_and_old_events_are_skipped() {
    let up = Arc::new(Scripted::default());
    let clock = Arc::new(ManualClock::new(0));
    let hub = MarketDataHub::new(
        vec![up.clone() as Arc<dyn MarketDataClient>],
        clock,
        HubConfig::default(),
    );
    let mut rx = hub.subscribe(Venue::Sim, &sym()).await.unwrap();
    let _rx2 = hub.subscribe(Venue::Sim, &sym()).await.unwrap();
    assert_eq!(*up.subscribes.lock().unwrap(), 1, "shared upstream");
    let feed = up.feeds.lock().unwrap()[0].clone();

    feed.send(FeedItem::Connected).await.unwrap();
    assert!(matches!(recv(&mut rx).await, HubEvent::Connected(_)));
    for id in [10, 11] {
        feed.send(trade(id)).await.unwrap();
        assert_eq!(trade_id(&recv(&mut rx).await), Some(id));
    }
    // Old and duplicate: skipped silently.
    feed.send(trade(11)).await.unwrap();
    feed.send(trade(5)).await.unwrap();
    // Gap: a resync event, then the (valid) event itself.
    feed.send(trade(14)).await.unwrap();
    assert_eq!(
        recv(&mut rx).await,
        HubEvent::Resync {
            market: tradeward_exchange::MarketId {
                venue: Venue::Sim,
                symbol: sym()
            },
            reason: ResyncReason::Gap {
                expected: 12,
                got: 14
            },
        }
    );
    assert_eq!(trade_id(&recv(&mut rx).await), Some(14));

    // Malformed frame: resync too.
    feed.send(FeedItem::Skipped {
        reason: "malformed market frame".into(),
    })
    .await
    .unwrap();
    assert!(matches!(
        recv(&mut rx).await,
        HubEvent::Resync {
            reason: ResyncReason::Malformed(_),
            ..
        }
    ));

    // A reconnect resets the sequence: any id is accepted next.
    feed.send(FeedItem::Connected).await.unwrap();
    assert!(matches!(recv(&mut rx).await, HubEvent::Connected(_)));
    feed.send(trade(3)).await.unwrap();
    assert_eq!(trade_id(&recv(&mut rx).await), Some(3));

    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        *up.resyncs.lock().unwrap() >= 1,
        "the upstream was asked to resync"
    );
}

#[tokio::test]
async fn a_market_that_never_delivers_goes_stale() {
    let up = Arc::new(Scripted::default());
    let clock = Arc::new(ManualClock::new(500));
    let hub = MarketDataHub::new(
        vec![up.clone() as Arc<dyn MarketDataClient>],
        clock.clone(),
        HubConfig {
            stale_after_ms: 1_000,
            ..HubConfig::default()
        },
    );
    let mut rx = hub.subscribe(Venue::Sim, &sym()).await.unwrap();
    clock.advance(1_000);
    assert!(
        hub.sweep().await.is_empty(),
        "exactly the timeout is not yet stale"
    );
    clock.advance(1);
    let stale = hub.sweep().await;
    assert_eq!(stale.len(), 1);
    assert_eq!(stale[0].last_data_ms, None);
    assert!(matches!(
        recv(&mut rx).await,
        HubEvent::Stale {
            silent_for_ms: 1_001,
            ..
        }
    ));
}
