//! Builders and a compact event printer shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use rust_decimal::Decimal;
use tradeward_domain::{CredentialId, Side, UserId, Venue};
use tradeward_engine::*;
use uuid::Uuid;

pub fn key(symbol: &str) -> MarketKey {
    MarketKey {
        venue: Venue::Sim,
        symbol: symbol.parse().unwrap(),
    }
}

pub fn rules(tick: &str, step: &str, min_notional: &str) -> MarketRules {
    MarketRules {
        tick_size: d(tick),
        step_size: d(step),
        min_notional: d(min_notional),
    }
}

pub fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

pub fn tid(n: u128) -> TriggerId {
    TriggerId::from_uuid(Uuid::from_u128(n))
}

pub fn owner() -> UserId {
    UserId::from_uuid(Uuid::from_u128(7))
}

pub fn cred() -> CredentialId {
    CredentialId::from_uuid(Uuid::from_u128(9))
}

/// Books with BTC/USDT (tick 0.5, step 0.001, min notional 1) and ETH/USDT (tick 0.01, step
/// 0.01), every source of BTC at 100 and ETH at 50.
pub fn books() -> (TriggerBooks, MarketId, MarketId) {
    let mut b = TriggerBooks::new();
    let btc = b
        .add_market(key("BTC/USDT"), rules("0.5", "0.001", "1"))
        .unwrap();
    let eth = b
        .add_market(key("ETH/USDT"), rules("0.01", "0.01", "0"))
        .unwrap();
    for s in PriceSource::ALL {
        let mut out = Vec::new();
        b.on_price(btc, s, d("100"), &mut out).unwrap();
        b.on_price(eth, s, d("50"), &mut out).unwrap();
        assert!(out.is_empty());
    }
    (b, btc, eth)
}

pub fn leg(side: Side, qty: &str, kind: OrderKind) -> Leg {
    Leg {
        side,
        quantity: d(qty),
        source: PriceSource::Last,
        kind,
    }
}

pub fn stop(p: &str) -> OrderKind {
    OrderKind::StopMarket { stop: d(p) }
}

pub fn stop_limit(p: &str, offset: &str) -> OrderKind {
    OrderKind::StopLimit {
        stop: d(p),
        limit: LimitPrice::Offset(d(offset)),
    }
}

pub fn tp(p: &str) -> OrderKind {
    OrderKind::TakeProfitMarket { trigger: d(p) }
}

pub fn trailing(trail: Trail, activation: Option<&str>) -> OrderKind {
    OrderKind::TrailingStop {
        trail,
        activation: activation.map(d),
    }
}

pub fn order(id: u128, symbol: &str, plan: OrderPlan) -> TriggerSpec {
    TriggerSpec {
        id: tid(id),
        owner: owner(),
        market: key(symbol),
        client_id: None,
        body: TriggerBody::Order {
            credential: cred(),
            plan,
        },
    }
}

pub fn single(id: u128, l: Leg) -> TriggerSpec {
    order(id, "BTC/USDT", OrderPlan::Single(l))
}

pub fn alert(id: u128, source: PriceSource, condition: AlertCondition) -> TriggerSpec {
    TriggerSpec {
        id: tid(id),
        owner: owner(),
        market: key("BTC/USDT"),
        client_id: None,
        body: TriggerBody::PriceAlert(PriceAlert { source, condition }),
    }
}

/// Applies one last-trade price to BTC and returns the events, summarized.
pub fn last(b: &mut TriggerBooks, m: MarketId, price: &str) -> Vec<String> {
    at(b, m, PriceSource::Last, price)
}

pub fn at(b: &mut TriggerBooks, m: MarketId, s: PriceSource, price: &str) -> Vec<String> {
    let mut out = Vec::new();
    b.on_price(m, s, d(price), &mut out).unwrap();
    summary(&out)
}

fn short(id: &TriggerId) -> u128 {
    id.as_uuid().as_u128()
}

/// One line per event: `fired 1.0 sell 0.5 market @95 obs=94 gapped`, `cancelled 1.1 ...`.
pub fn summary(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .map(|e| match e {
            Event::Fired(f) => format!(
                "fired {}.{} {} {} {} @{} obs={}{}",
                short(&f.id),
                f.leg,
                f.side.as_str(),
                f.quantity,
                match f.order {
                    OrderToPlace::Market => "market".to_string(),
                    OrderToPlace::Limit { price } => format!("limit {price}"),
                },
                f.trigger_price,
                f.observed_price,
                if f.reason == FireReason::GappedPast {
                    " gapped"
                } else {
                    ""
                }
            ),
            Event::Missed(m) => format!("missed {}.{} @{}", short(&m.id), m.leg, m.trigger_price),
            Event::Cancelled { id, leg, reason } => {
                format!("cancelled {}.{} {:?}", short(id), leg, reason)
            }
            Event::Armed { id, leg } => format!("armed {}.{}", short(id), leg),
            Event::Alert(a) => format!(
                "alert {} @{} obs={}",
                short(&a.id),
                a.level,
                a.observed_price
            ),
            Event::BalanceAlert(a) => format!("balance {} {} {}", short(&a.id), a.asset, a.balance),
        })
        .collect()
}
