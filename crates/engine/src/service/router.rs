//! The order router: send a recorded decision once, follow the order's state at the venue,
//! and after a restart (or an unknown outcome) ask the venue before sending again.
//!
//! Order states move only forward ([`tradeward_store::Store::update_trigger_order`]), so the
//! user data stream and REST polling can report the same change in any order.

use std::sync::{Arc, PoisonError};

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tradeward_domain::{CredentialId, Symbol, UserId};
use tradeward_exchange::{ClientOrderId, ExchangeError, OrderReport, OrderStatus, UserEvent};
use tradeward_store::{OrderState, OrderUpdate, TriggerOrderRow, TriggerState, TriggerTransition};

use super::order::DecidedOrder;
use super::{EngineService, Notice, ServiceError};
use crate::spec::TriggerId;

/// What the service did with one trigger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// An order was decided and recorded; it is being sent.
    Decided {
        /// The trigger.
        id: TriggerId,
    },
    /// The order was sent and the venue accepted it.
    Placed {
        /// The trigger.
        id: TriggerId,
        /// Its client order id.
        client_order_id: ClientOrderId,
        /// The venue's order id.
        venue_order_id: String,
    },
    /// Reconciliation found the order already at the venue; nothing was sent.
    AlreadyPlaced {
        /// The trigger.
        id: TriggerId,
        /// Its client order id.
        client_order_id: ClientOrderId,
        /// The venue's order id.
        venue_order_id: String,
    },
    /// The venue refused the order for good.
    Rejected {
        /// The trigger.
        id: TriggerId,
        /// Why.
        error: String,
    },
    /// The outcome is not known (timeout, connection); the order stays `decided` and is
    /// reconciled later.
    Pending {
        /// The trigger.
        id: TriggerId,
        /// Why.
        error: String,
    },
    /// Its condition was met while trading was off; the trigger is `missed`.
    Missed {
        /// The trigger.
        id: TriggerId,
    },
    /// A price alert fired.
    Alerted {
        /// The alert.
        id: TriggerId,
    },
    /// Another writer (a cancel) had already moved the trigger on; nothing was sent.
    Skipped {
        /// The trigger.
        id: TriggerId,
    },
}

/// The stored state for a venue's order status.
pub(crate) fn order_state(s: OrderStatus) -> OrderState {
    match s {
        OrderStatus::PendingNew => OrderState::PendingNew,
        // PendingCancel, and any status a venue adds later: still working.
        OrderStatus::New | OrderStatus::PendingCancel => OrderState::New,
        OrderStatus::PartiallyFilled => OrderState::PartiallyFilled,
        OrderStatus::Filled => OrderState::Filled,
        OrderStatus::Canceled => OrderState::Cancelled,
        OrderStatus::Rejected => OrderState::Rejected,
        OrderStatus::Expired | OrderStatus::ExpiredInMatch => OrderState::Expired,
        _ => OrderState::New,
    }
}

impl EngineService {
    /// Records a venue report of one of our orders; tells the owner when it changed.
    async fn record_report(
        &self,
        trigger: TriggerId,
        owner: UserId,
        report: &OrderReport,
    ) -> Result<(), ServiceError> {
        let state = order_state(report.status);
        let qty = report.executed_qty.to_string();
        let changed = self
            .store
            .update_trigger_order(&OrderUpdate {
                client_order_id: &report.client_order_id,
                state,
                venue_order_id: Some(&report.venue_order_id),
                executed_qty: Some(&qty),
                now_us: self.now_us(),
            })
            .await?;
        // A trigger whose last order reached the venue has fired.
        self.store
            .transition_trigger(&TriggerTransition {
                id: *trigger.as_uuid(),
                from: TriggerState::Firing,
                to: TriggerState::Fired,
                client_order_id: None,
                venue_order_id: Some(&report.venue_order_id),
                now_us: self.now_us(),
            })
            .await?;
        if changed && state.rank() > OrderState::New.rank() {
            self.notify(Notice::OrderUpdated {
                trigger,
                owner,
                client_order_id: report.client_order_id.clone(),
                state,
            });
        }
        Ok(())
    }

    /// Sends a recorded order once and records the result.
    #[allow(clippy::too_many_arguments)] // One decided order's coordinates, all needed.
    pub(crate) async fn send(
        &self,
        id: TriggerId,
        owner: UserId,
        leg: u8,
        credential: CredentialId,
        symbol: Symbol,
        decided: &DecidedOrder,
        coid: ClientOrderId,
    ) -> Result<Outcome, ServiceError> {
        // One send per order at a time: a reconciliation pass skips an order being sent.
        if !self
            .inflight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(coid.as_str().to_owned())
        {
            return Ok(Outcome::Pending {
                id,
                error: "already being sent".into(),
            });
        }
        let result = self
            .send_once(id, owner, leg, credential, symbol, decided, coid.clone())
            .await;
        self.inflight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(coid.as_str());
        result
    }

    #[allow(clippy::too_many_arguments)] // As `send`.
    async fn send_once(
        &self,
        id: TriggerId,
        owner: UserId,
        leg: u8,
        credential: CredentialId,
        symbol: Symbol,
        decided: &DecidedOrder,
        coid: ClientOrderId,
    ) -> Result<Outcome, ServiceError> {
        let client = self.client(owner, credential, false).await?;
        let request = decided
            .request(symbol, coid.clone())
            .map_err(|r| ServiceError::Corrupt {
                id: *id.as_uuid(),
                reason: r,
            })?;
        match client.place_order(&request).await {
            Ok(report) => {
                self.record_report(id, owner, &report).await?;
                self.notify(Notice::OrderPlaced {
                    trigger: id,
                    owner,
                    leg,
                    client_order_id: coid.as_str().to_owned(),
                    venue_order_id: report.venue_order_id.clone(),
                });
                Ok(Outcome::Placed {
                    id,
                    client_order_id: coid,
                    venue_order_id: report.venue_order_id,
                })
            }
            Err(error) if error.outcome_unknown() || error.is_retryable() => {
                // Whether or not it reached the venue, the order stays `decided`: the next
                // reconciliation asks the venue before sending again.
                tracing::warn!(trigger = %id, %error, "order outcome unknown; reconciled later");
                Ok(Outcome::Pending {
                    id,
                    error: error.to_string(),
                })
            }
            Err(error) => {
                self.reject(id, owner, leg, coid.as_str(), &error).await?;
                Ok(Outcome::Rejected {
                    id,
                    error: error.to_string(),
                })
            }
        }
    }

    async fn reject(
        &self,
        id: TriggerId,
        owner: UserId,
        leg: u8,
        coid: &str,
        error: &ExchangeError,
    ) -> Result<(), ServiceError> {
        self.store
            .update_trigger_order(&OrderUpdate {
                client_order_id: coid,
                state: OrderState::Rejected,
                venue_order_id: None,
                executed_qty: None,
                now_us: self.now_us(),
            })
            .await?;
        self.store
            .transition_trigger(&TriggerTransition {
                id: *id.as_uuid(),
                from: TriggerState::Firing,
                to: TriggerState::Rejected,
                client_order_id: None,
                venue_order_id: None,
                now_us: self.now_us(),
            })
            .await?;
        self.notify(Notice::OrderRejected {
            trigger: id,
            owner,
            leg,
            reason: error.to_string(),
        });
        Ok(())
    }

    /// Asks the venue about every order not known to be done: `decided` ones (all of them on
    /// start, else only those older than the poll interval, whose send may still be running)
    /// and working ones. A decided order the venue does not know is sent once, under its id.
    pub async fn reconcile(&self, on_start: bool) -> Result<Vec<Outcome>, ServiceError> {
        let rows = self
            .store
            .trigger_orders_in_states(&[
                OrderState::Decided,
                OrderState::PendingNew,
                OrderState::New,
                OrderState::PartiallyFilled,
            ])
            .await?;
        if on_start {
            self.settle_firing().await?;
        }
        let grace_us = i64::try_from(self.config.poll_interval.as_micros()).unwrap_or(i64::MAX);
        let now = self.now_us();
        let mut outcomes = Vec::new();
        for row in rows {
            if row.state == OrderState::Decided && !on_start && now - row.created_at_us < grace_us {
                continue;
            }
            // Claimed for the whole ask-then-maybe-send, so two passes (the poller and a user
            // stream reconnect) or a pass and a fresh send never both send it.
            if !self
                .inflight
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(row.client_order_id.clone())
            {
                continue;
            }
            let result = self.reconcile_claimed(&row).await;
            self.inflight
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&row.client_order_id);
            match result {
                Ok(Some(o)) => outcomes.push(o),
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(order = %row.client_order_id, error = %e, "order not reconciled")
                }
            }
        }
        Ok(outcomes)
    }

    /// A crash between recording a venue report on the order and on its trigger leaves the
    /// trigger `firing` with an order the venue already confirmed: finish that step.
    async fn settle_firing(&self) -> Result<(), ServiceError> {
        for t in self.store.triggers_in_state(TriggerState::Firing).await? {
            let orders = self.store.trigger_orders_of(t.id).await?;
            let Some(last) = orders.iter().max_by_key(|o| o.created_at_us) else {
                continue;
            };
            let to = match last.state {
                OrderState::Decided => continue,
                OrderState::Rejected => TriggerState::Rejected,
                _ => TriggerState::Fired,
            };
            self.store
                .transition_trigger(&TriggerTransition {
                    id: t.id,
                    from: TriggerState::Firing,
                    to,
                    client_order_id: None,
                    venue_order_id: last.venue_order_id.as_deref(),
                    now_us: self.now_us(),
                })
                .await?;
        }
        Ok(())
    }

    /// Reconciles one order its caller has claimed in `inflight`.
    async fn reconcile_claimed(
        &self,
        listed: &TriggerOrderRow,
    ) -> Result<Option<Outcome>, ServiceError> {
        // Re-read under the claim: a send that finished since the listing moved it on.
        let Some(row) = self.store.trigger_order(&listed.client_order_id).await? else {
            return Ok(None);
        };
        if row.state.is_terminal() {
            return Ok(None);
        }
        let row = &row;
        let id = TriggerId::from_uuid(row.trigger_id);
        let corrupt = |reason: String| ServiceError::Corrupt {
            id: row.trigger_id,
            reason,
        };
        let trigger = self
            .store
            .trigger(row.trigger_id)
            .await?
            .ok_or_else(|| corrupt("order without its trigger".into()))?;
        let owner = trigger.owner_id;
        let coid = ClientOrderId::new(row.client_order_id.clone())
            .map_err(|e| corrupt(format!("client order id: {e}")))?;
        let symbol: Symbol = row
            .symbol
            .parse()
            .map_err(|_| corrupt("symbol does not parse".into()))?;
        let client = self.client(owner, row.credential_id, false).await?;
        match client.order_by_client_id(&symbol, &coid).await {
            Ok(Some(report)) => {
                self.record_report(id, owner, &report).await?;
                if row.state == OrderState::Decided {
                    self.notify(Notice::OrderPlaced {
                        trigger: id,
                        owner,
                        leg: row.leg,
                        client_order_id: row.client_order_id.clone(),
                        venue_order_id: report.venue_order_id.clone(),
                    });
                    return Ok(Some(Outcome::AlreadyPlaced {
                        id,
                        client_order_id: coid,
                        venue_order_id: report.venue_order_id,
                    }));
                }
                Ok(None)
            }
            Ok(None) if row.state == OrderState::Decided => {
                let decided: DecidedOrder = serde_json::from_str(&row.order_json)
                    .map_err(|e| corrupt(format!("decided order: {e}")))?;
                Ok(Some(
                    self.send_once(
                        id,
                        owner,
                        row.leg,
                        row.credential_id,
                        symbol,
                        &decided,
                        coid,
                    )
                    .await?,
                ))
            }
            Ok(None) => {
                tracing::warn!(order = %row.client_order_id, "venue no longer knows a working order");
                Ok(None)
            }
            Err(error) => Ok(Some(Outcome::Pending {
                id,
                error: error.to_string(),
            })),
        }
    }

    /// Follows a credential's user data stream: order reports move our orders' states; after
    /// a reconnect or a skipped frame, open orders are polled over REST.
    pub(crate) fn spawn_user_events(
        self: &Arc<Self>,
        credential: CredentialId,
        mut rx: mpsc::Receiver<UserEvent>,
    ) -> JoinHandle<()> {
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            while let Some(ev) = rx.recv().await {
                let Some(s) = weak.upgrade() else { break };
                match ev {
                    UserEvent::Order(u) => {
                        let coid = u.report.client_order_id.clone();
                        let row = match s.store.trigger_order(&coid).await {
                            Ok(Some(r)) if r.credential_id == credential => r,
                            Ok(_) => continue, // Not one of our triggers' orders.
                            Err(e) => {
                                tracing::warn!(error = %e, "order update not recorded");
                                continue;
                            }
                        };
                        let owner = match s.store.trigger(row.trigger_id).await {
                            Ok(Some(t)) => t.owner_id,
                            _ => continue,
                        };
                        if let Err(e) = s
                            .record_report(TriggerId::from_uuid(row.trigger_id), owner, &u.report)
                            .await
                        {
                            tracing::warn!(error = %e, "order update not recorded");
                        }
                    }
                    UserEvent::Connected | UserEvent::ReconcileNeeded { .. } => {
                        if let Err(e) = s.reconcile(false).await {
                            tracing::warn!(error = %e, "reconciliation after reconnect failed");
                        }
                    }
                    _ => {}
                }
            }
        })
    }
}
