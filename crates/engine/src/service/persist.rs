//! Keeping the stored live state of armed triggers in step with the books: restore on start,
//! and trailing stops' moving extremes written behind the price.
//!
//! A trailing stop's extreme moves with every new high (or low), so writing it on every price
//! would put the database on the hot path. Instead the markets that moved are marked, and
//! every [`super::ServiceConfig::flush_interval`] the trailing triggers of those markets whose
//! stored state differs from the books' are written. After a crash a trailing stop resumes
//! from an extreme at most one interval old.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, PoisonError};

use tradeward_store::TriggerState;

use super::{json, EngineService, ServiceError};
use crate::market::MarketKey;
use crate::spec::{
    ArmedTrigger, FollowUp, LegState, LegStatus, OrderKind, OrderPlan, Snapshot, TriggerBody,
    TriggerId, TriggerSpec,
};

/// What [`EngineService::restore`] re-armed: its markets and triggers.
#[derive(Debug, Default)]
pub(crate) struct Restored {
    markets: Vec<MarketKey>,
    restored: Vec<ArmedTrigger>,
}

/// Triggers with a trailing leg, per market, with the state last written.
#[derive(Debug, Default)]
pub(crate) struct TrailingIndex {
    by_market: HashMap<MarketKey, HashMap<TriggerId, String>>,
    dirty: HashSet<MarketKey>,
}

fn has_trailing(spec: &TriggerSpec) -> bool {
    let TriggerBody::Order { plan, .. } = &spec.body else {
        return false;
    };
    let legs: Vec<&crate::spec::Leg> = match plan {
        OrderPlan::Single(l) => vec![l],
        OrderPlan::Oco { first, second } => vec![first, second],
        OrderPlan::Oto { primary, then } => match then {
            FollowUp::Single(l) => vec![primary, l],
            FollowUp::Oco { first, second } => vec![primary, first, second],
        },
    };
    legs.iter()
        .any(|l| matches!(l.kind, OrderKind::TrailingStop { .. }))
}

impl EngineService {
    /// Remembers a trigger with a trailing leg so its extreme is written as it moves.
    pub(crate) fn track_trailing(&self, market: &MarketKey, armed: &ArmedTrigger) {
        if !has_trailing(&armed.spec) {
            return;
        }
        let Ok(state) = serde_json::to_string(armed) else {
            return;
        };
        self.trailing
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .by_market
            .entry(market.clone())
            .or_default()
            .insert(armed.spec.id, state);
    }

    /// Notes that a market's price moved (its trailing stops may have new extremes).
    pub(crate) fn market_moved(&self, market: &MarketKey) {
        let mut t = self.trailing.lock().unwrap_or_else(PoisonError::into_inner);
        if t.by_market.contains_key(market) {
            t.dirty.insert(market.clone());
        }
    }

    /// Writes the live state of every trailing trigger whose market moved and whose state
    /// changed since it was last written.
    pub async fn flush_trailing(&self) -> Result<usize, ServiceError> {
        let work: Vec<(MarketKey, Vec<(TriggerId, String)>)> = {
            let mut t = self.trailing.lock().unwrap_or_else(PoisonError::into_inner);
            let dirty: Vec<MarketKey> = t.dirty.drain().collect();
            dirty
                .into_iter()
                .filter_map(|m| {
                    let ids = t.by_market.get(&m)?;
                    Some((m, ids.iter().map(|(k, v)| (*k, v.clone())).collect()))
                })
                .collect()
        };
        let mut changed = Vec::new();
        let mut gone = Vec::new();
        {
            let books = self.books.lock().await;
            for (market, ids) in &work {
                for (id, last) in ids {
                    match books.armed_trigger(*id) {
                        None => gone.push((market.clone(), *id)),
                        Some(a) => {
                            let now = json(*id, &a)?;
                            if &now != last {
                                changed.push((market.clone(), *id, now));
                            }
                        }
                    }
                }
            }
        }
        let mut written = 0;
        for (market, id, state) in changed {
            if self
                .store
                .update_armed_state(*id.as_uuid(), &state, self.now_us())
                .await?
            {
                written += 1;
            }
            let mut t = self.trailing.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(m) = t.by_market.get_mut(&market) {
                if let Some(slot) = m.get_mut(&id) {
                    *slot = state;
                }
            }
        }
        let mut t = self.trailing.lock().unwrap_or_else(PoisonError::into_inner);
        for (market, id) in gone {
            if let Some(m) = t.by_market.get_mut(&market) {
                m.remove(&id);
            }
        }
        Ok(written)
    }

    /// Re-arms every stored armed trigger: registers the markets and restores each trigger
    /// from its stored live state, before any price arrives (so a condition met while the
    /// server was down fires on the first price; feeds start in [`Self::resume`]). A trigger
    /// that cannot be restored (its market is unreachable now) is logged and left stored.
    pub(crate) async fn restore(self: &Arc<Self>) -> Result<Restored, ServiceError> {
        let rows = self.store.triggers_in_state(TriggerState::Armed).await?;
        let mut markets: Vec<MarketKey> = Vec::new();
        let mut restored = Vec::new();
        for row in &rows {
            let armed = match decode(row) {
                Ok(a) => a,
                Err(e) => {
                    tracing::error!(trigger = %row.id, error = %e, "stored trigger not restored");
                    continue;
                }
            };
            let key = armed.spec.market.clone();
            if !markets.contains(&key) {
                if let Err(e) = self.register_market(&key).await {
                    tracing::error!(market = %key, error = %e, "market not registered; its triggers wait for the next start");
                    continue;
                }
                markets.push(key.clone());
            }
            let result = self.books.lock().await.restore(Snapshot {
                triggers: vec![armed.clone()],
                balance_alerts: Vec::new(),
            });
            match result {
                Ok(()) => {
                    self.track_trailing(&key, &armed);
                    restored.push(armed);
                }
                Err(e) => {
                    tracing::error!(trigger = %row.id, error = %e, "stored trigger not restored");
                }
            }
        }
        Ok(Restored { markets, restored })
    }

    /// Starts the feeds and user streams of what [`Self::restore`] re-armed. Called after
    /// reconciliation, so no new decision can race with a crash's leftovers.
    pub(crate) async fn resume(self: &Arc<Self>, r: Restored) {
        for key in &r.markets {
            if let Err(e) = self.start_feed(key).await {
                tracing::error!(market = %key, error = %e, "market feed not started");
            }
        }
        for a in &r.restored {
            if let TriggerBody::Order { credential, .. } = &a.spec.body {
                self.ensure_user_stream(a.spec.owner, *credential).await;
            }
        }
    }
}

/// A stored armed trigger's live state (or, for a row without one, its spec as first armed).
fn decode(row: &tradeward_store::TriggerRow) -> Result<ArmedTrigger, ServiceError> {
    let corrupt = |what: &str, e: serde_json::Error| ServiceError::Corrupt {
        id: row.id,
        reason: format!("{what}: {e}"),
    };
    if let Some(state) = &row.armed_state {
        return serde_json::from_str(state).map_err(|e| corrupt("armed state", e));
    }
    let spec: TriggerSpec = serde_json::from_str(&row.spec).map_err(|e| corrupt("spec", e))?;
    Ok(ArmedTrigger {
        spec,
        legs: vec![LegState {
            leg: 0,
            seq: 0,
            status: LegStatus::Armed,
        }],
    })
}
