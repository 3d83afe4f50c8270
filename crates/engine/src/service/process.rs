//! From a market event to decisions: feed the books, turn what fired into one transaction of
//! decisions (orders recorded before anything is sent), then send.

use std::collections::HashMap;
use std::sync::Arc;

use tradeward_domain::{CredentialId, UserId};
use tradeward_exchange::{MarketData, MarketEvent};
use tradeward_store::{DecisionOutcome, NewTriggerOrder, TriggerDecision, TriggerState};

use super::order::{client_order_id, DecidedOrder};
use super::{json, EngineService, Notice, Outcome, ServiceError};
use crate::event::Event;
use crate::market::MarketKey;
use crate::spec::{PriceSource, TriggerId};

/// One decision, owned, before it goes to the store.
struct Pending {
    id: TriggerId,
    owner: UserId,
    to: TriggerState,
    armed_state: Option<String>,
    order: Option<PendingOrder>,
    after: After,
}

struct PendingOrder {
    leg: u8,
    credential: CredentialId,
    client_order_id: String,
    order: DecidedOrder,
    order_json: String,
}

/// What to tell the owner once the decision is committed.
enum After {
    Nothing,
    Missed,
    Alert {
        level: rust_decimal::Decimal,
        observed: rust_decimal::Decimal,
    },
}

impl EngineService {
    /// Feeds one market event to the books and acts on what fires. Events of markets the
    /// service does not watch are ignored; an unusable price is logged and skipped.
    pub async fn on_market_event(
        self: &Arc<Self>,
        ev: &MarketEvent,
    ) -> Result<Vec<Outcome>, ServiceError> {
        let key = MarketKey {
            venue: ev.venue,
            symbol: ev.symbol.clone(),
        };
        let prices = match ev.data {
            MarketData::Trade { price, .. } => {
                [(PriceSource::Last, Some(price)), (PriceSource::Bid, None)]
            }
            MarketData::BookTicker { bid, ask, .. } => {
                [(PriceSource::Bid, Some(bid)), (PriceSource::Ask, Some(ask))]
            }
        };
        let mut pending: Vec<Pending> = Vec::new();
        {
            let mut books = self.books.lock().await;
            let Some(market) = books.market_id(&key) else {
                return Ok(Vec::new());
            };
            let mut events = Vec::new();
            for (source, price) in prices {
                let Some(price) = price else { continue };
                if let Err(e) = books.on_price(market, source, price, &mut events) {
                    tracing::warn!(market = %key, error = %e, "price update skipped");
                }
            }
            if events.is_empty() {
                drop(books);
                self.market_moved(&key);
                return Ok(Vec::new());
            }
            // The last fired leg of a trigger decides its final state; earlier ones (a
            // bracket's primary when its follow-up fired in the same update) keep it armed.
            let mut last_fired: HashMap<TriggerId, usize> = HashMap::new();
            for (i, e) in events.iter().enumerate() {
                if let Event::Fired(f) = e {
                    last_fired.insert(f.id, i);
                }
            }
            for (i, e) in events.iter().enumerate() {
                match e {
                    Event::Fired(f) => {
                        let live = if last_fired.get(&f.id) == Some(&i) {
                            books.armed_trigger(f.id)
                        } else {
                            None
                        };
                        let still_armed = last_fired.get(&f.id) != Some(&i) || live.is_some();
                        let decided = DecidedOrder::from_fired(f);
                        pending.push(Pending {
                            id: f.id,
                            owner: f.owner,
                            to: if still_armed {
                                TriggerState::Armed
                            } else {
                                TriggerState::Firing
                            },
                            armed_state: live.as_ref().map(|a| json(f.id, a)).transpose()?,
                            order: Some(PendingOrder {
                                leg: f.leg,
                                credential: f.credential,
                                client_order_id: client_order_id(f.id, f.leg).as_str().to_owned(),
                                order_json: json(f.id, &decided)?,
                                order: decided,
                            }),
                            after: After::Nothing,
                        });
                    }
                    Event::Missed(m) => {
                        // Whatever is left of it (a bracket's follow-up) goes too: a missed
                        // trigger never fires later.
                        let _ = books.cancel(m.id);
                        pending.push(Pending {
                            id: m.id,
                            owner: m.owner,
                            to: TriggerState::Missed,
                            armed_state: None,
                            order: None,
                            after: After::Missed,
                        });
                    }
                    Event::Alert(a) => pending.push(Pending {
                        id: a.id,
                        owner: a.owner,
                        to: TriggerState::Fired,
                        armed_state: None,
                        order: None,
                        after: After::Alert {
                            level: a.level,
                            observed: a.observed_price,
                        },
                    }),
                    // OCO cancellations and follow-up arming are part of the fired leg's
                    // live state, persisted with it.
                    Event::Cancelled { .. } | Event::Armed { .. } | Event::BalanceAlert(_) => {}
                }
            }
        }
        self.market_moved(&key);
        self.commit(&key, pending).await
    }

    async fn commit(
        self: &Arc<Self>,
        key: &MarketKey,
        pending: Vec<Pending>,
    ) -> Result<Vec<Outcome>, ServiceError> {
        let symbol = key.symbol.to_string();
        let decisions: Vec<TriggerDecision<'_>> = pending
            .iter()
            .map(|p| TriggerDecision {
                trigger_id: *p.id.as_uuid(),
                to: p.to,
                armed_state: p.armed_state.as_deref(),
                order: p.order.as_ref().map(|o| NewTriggerOrder {
                    client_order_id: &o.client_order_id,
                    leg: o.leg,
                    credential_id: o.credential,
                    symbol: &symbol,
                    order_json: &o.order_json,
                }),
            })
            .collect();
        let results = match self.store.decide_triggers(&decisions, self.now_us()).await {
            Ok(r) => r,
            Err(e) => {
                // Nothing was recorded, so nothing is sent; the rows stay armed and the
                // triggers fire again after a restart.
                tracing::error!(error = %e, "decisions not recorded; nothing sent");
                return Err(e.into());
            }
        };
        let mut outcomes = Vec::with_capacity(pending.len());
        let mut sends = Vec::new();
        for (p, r) in pending.into_iter().zip(results) {
            match (r, p.order) {
                (DecisionOutcome::Applied, Some(o)) => sends.push((p.id, p.owner, o)),
                (DecisionOutcome::Applied, None) => match p.after {
                    After::Missed => {
                        self.notify(Notice::Missed {
                            trigger: p.id,
                            owner: p.owner,
                        });
                        outcomes.push(Outcome::Missed { id: p.id });
                    }
                    After::Alert { level, observed } => {
                        self.notify(Notice::Alert {
                            trigger: p.id,
                            owner: p.owner,
                            level,
                            observed_price: observed,
                        });
                        outcomes.push(Outcome::Alerted { id: p.id });
                    }
                    After::Nothing => {}
                },
                (DecisionOutcome::TradingOff, _) => {
                    let _ = self.books.lock().await.cancel(p.id);
                    self.notify(Notice::Missed {
                        trigger: p.id,
                        owner: p.owner,
                    });
                    outcomes.push(Outcome::Missed { id: p.id });
                }
                (DecisionOutcome::NotArmed, _) => {
                    let _ = self.books.lock().await.cancel(p.id);
                    outcomes.push(Outcome::Skipped { id: p.id });
                }
            }
        }
        // Recorded: now send, each on its own task so one slow venue call does not hold up
        // the next price.
        for (id, owner, o) in sends {
            let service = Arc::clone(self);
            let symbol = key.symbol.clone();
            tokio::spawn(async move {
                let coid = match tradeward_exchange::ClientOrderId::new(o.client_order_id) {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::error!(trigger = %id, error = %e, "derived client order id refused");
                        return;
                    }
                };
                if let Err(e) = service
                    .send(id, owner, o.leg, o.credential, symbol, &o.order, coid)
                    .await
                {
                    tracing::error!(trigger = %id, error = %e, "order not sent; reconciled later");
                }
            });
            outcomes.push(Outcome::Decided { id });
        }
        Ok(outcomes)
    }
}
