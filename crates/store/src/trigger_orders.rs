//! Orders decided by trigger legs, and the decisions themselves.
//!
//! A leg's decision is one transaction ([`Store::decide_triggers`]): the trigger row moves out
//! of `armed` by compare-and-set (or, for a bracket whose primary fired, stays armed with its
//! new live state), and the order row with its deterministic client order id is inserted,
//! both before anything is sent. The same transaction reads the trading switches: with the
//! deployment's or the owner's switch off the trigger is marked `missed` instead, so an order
//! is only ever decided while trading was on. An order row's state only moves forward.

use sqlx::any::AnyRow;
use sqlx::Row;
use tradeward_domain::CredentialId;
use uuid::Uuid;

use crate::error::{query_err, StoreError};
use crate::settings::GLOBAL_TRADING_KEY;
use crate::triggers::{parse_uuid, TriggerState};
use crate::Store;

/// Where a trigger's order is at the venue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderState {
    /// Decided and recorded; not yet confirmed by the venue (reconciled after a crash).
    Decided,
    /// Accepted by the venue but not yet working (venue-side stop orders).
    PendingNew,
    /// Working, nothing filled.
    New,
    /// Partly filled, still working.
    PartiallyFilled,
    /// Completely filled.
    Filled,
    /// Cancelled.
    Cancelled,
    /// Refused by the venue.
    Rejected,
    /// Ended by its own rules or by the venue.
    Expired,
}

impl OrderState {
    /// Every state, in life order.
    pub const ALL: [OrderState; 8] = [
        OrderState::Decided,
        OrderState::PendingNew,
        OrderState::New,
        OrderState::PartiallyFilled,
        OrderState::Filled,
        OrderState::Cancelled,
        OrderState::Rejected,
        OrderState::Expired,
    ];

    /// The name stored in the `state` column.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderState::Decided => "decided",
            OrderState::PendingNew => "pending_new",
            OrderState::New => "new",
            OrderState::PartiallyFilled => "partially_filled",
            OrderState::Filled => "filled",
            OrderState::Cancelled => "cancelled",
            OrderState::Rejected => "rejected",
            OrderState::Expired => "expired",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// How far along its life the state is; an order never moves to a lower rank.
    pub fn rank(self) -> u8 {
        match self {
            OrderState::Decided => 0,
            OrderState::PendingNew => 1,
            OrderState::New => 2,
            OrderState::PartiallyFilled => 3,
            OrderState::Filled
            | OrderState::Cancelled
            | OrderState::Rejected
            | OrderState::Expired => 4,
        }
    }

    /// Whether the order is done (nothing more will happen to it).
    pub fn is_terminal(self) -> bool {
        self.rank() == 4
    }
}

/// An order a leg decided to place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTriggerOrder<'a> {
    /// The deterministic client order id.
    pub client_order_id: &'a str,
    /// The leg that decided it.
    pub leg: u8,
    /// The credential it is placed with.
    pub credential_id: CredentialId,
    /// Symbol, `BASE/QUOTE`.
    pub symbol: &'a str,
    /// The decided order, engine JSON.
    pub order_json: &'a str,
}

/// One decision about an armed trigger, applied by compare-and-set from `armed`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriggerDecision<'a> {
    /// The trigger.
    pub trigger_id: Uuid,
    /// Its state afterwards (`armed` for a bracket whose follow-up is now armed).
    pub to: TriggerState,
    /// Its new live state (None keeps the stored one).
    pub armed_state: Option<&'a str>,
    /// The order decided, if a leg fired.
    pub order: Option<NewTriggerOrder<'a>>,
}

/// What became of one decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecisionOutcome {
    /// Applied; for an order, it is recorded and may be sent.
    Applied,
    /// An order was to be decided but trading is off (deployment or owner): the trigger is
    /// now `missed` and nothing may be sent.
    TradingOff,
    /// The trigger was not armed (cancelled or decided by another writer): nothing changed.
    NotArmed,
}

/// A stored trigger order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriggerOrderRow {
    /// Client order id.
    pub client_order_id: String,
    /// The trigger.
    pub trigger_id: Uuid,
    /// The leg.
    pub leg: u8,
    /// The credential.
    pub credential_id: CredentialId,
    /// Symbol.
    pub symbol: String,
    /// The decided order, engine JSON.
    pub order_json: String,
    /// Its state.
    pub state: OrderState,
    /// The venue's id, once known.
    pub venue_order_id: Option<String>,
    /// Filled quantity as reported, decimal text.
    pub executed_qty: Option<String>,
    /// When decided, µs.
    pub created_at_us: i64,
    /// Last change, µs.
    pub updated_at_us: i64,
}

/// A forward move of an order's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderUpdate<'a> {
    /// The order.
    pub client_order_id: &'a str,
    /// Its new state.
    pub state: OrderState,
    /// The venue's id (None keeps the stored one).
    pub venue_order_id: Option<&'a str>,
    /// Filled quantity (None keeps the stored one).
    pub executed_qty: Option<&'a str>,
    /// Time, µs.
    pub now_us: i64,
}

const COLUMNS: &str = "client_order_id, trigger_id, leg, credential_id, symbol, order_json, \
                       state, venue_order_id, executed_qty, created_at_us, updated_at_us";

fn from_row(row: &AnyRow) -> Result<TriggerOrderRow, StoreError> {
    let trigger: String = row.get(1);
    let leg: i64 = row.get(2);
    let credential: String = row.get(3);
    let state: String = row.get(6);
    Ok(TriggerOrderRow {
        client_order_id: row.get(0),
        trigger_id: parse_uuid("trigger_orders.trigger_id", &trigger)?,
        leg: u8::try_from(leg).map_err(|_| StoreError::Corrupt {
            column: "trigger_orders.leg",
            reason: format!("leg {leg} out of range"),
        })?,
        credential_id: credential.parse().map_err(|_| StoreError::Corrupt {
            column: "trigger_orders.credential_id",
            reason: "not a UUID".into(),
        })?,
        symbol: row.get(4),
        order_json: row.get(5),
        state: OrderState::parse(&state).ok_or_else(|| StoreError::Corrupt {
            column: "trigger_orders.state",
            reason: format!("unknown state {state:?}"),
        })?,
        venue_order_id: row.get(7),
        executed_qty: row.get(8),
        created_at_us: row.get(9),
        updated_at_us: row.get(10),
    })
}

impl Store {
    /// Applies decisions in one transaction (one commit for a burst of firings), each a
    /// compare-and-set from `armed`, and returns what became of each, in order. An order is
    /// recorded only if both trading switches are on when the transaction reads them.
    pub async fn decide_triggers(
        &self,
        decisions: &[TriggerDecision<'_>],
        now_us: i64,
    ) -> Result<Vec<DecisionOutcome>, StoreError> {
        let mut tx = self.pool.begin().await.map_err(query_err("begin"))?;
        let mut global_on: Option<bool> = None;
        let mut out = Vec::with_capacity(decisions.len());
        for d in decisions {
            let id = d.trigger_id.hyphenated().to_string();
            if d.order.is_some() {
                let owner_on: Option<i64> = sqlx::query(
                    "SELECT u.trading_enabled FROM triggers t JOIN users u ON u.id = t.owner_id \
                     WHERE t.id = $1 AND t.state = 'armed'",
                )
                .bind(&id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(query_err("read trading switches"))?
                .map(|r| r.get(0));
                let Some(owner_on) = owner_on else {
                    out.push(DecisionOutcome::NotArmed);
                    continue;
                };
                let global = match global_on {
                    Some(g) => g,
                    None => {
                        let v: Option<String> =
                            sqlx::query("SELECT value FROM settings WHERE key = $1")
                                .bind(GLOBAL_TRADING_KEY)
                                .fetch_optional(&mut *tx)
                                .await
                                .map_err(query_err("read trading switches"))?
                                .map(|r| r.get(0));
                        let g = v.as_deref() != Some("off");
                        global_on = Some(g);
                        g
                    }
                };
                if !global || owner_on == 0 {
                    sqlx::query(
                        "UPDATE triggers SET state = 'missed', updated_at_us = $1 \
                         WHERE id = $2 AND state = 'armed'",
                    )
                    .bind(now_us)
                    .bind(&id)
                    .execute(&mut *tx)
                    .await
                    .map_err(query_err("mark trigger missed"))?;
                    out.push(DecisionOutcome::TradingOff);
                    continue;
                }
            }
            let moved = sqlx::query(
                "UPDATE triggers SET state = $1, armed_state = COALESCE($2, armed_state), \
                 client_order_id = COALESCE($3, client_order_id), updated_at_us = $4 \
                 WHERE id = $5 AND state = 'armed'",
            )
            .bind(d.to.as_str())
            .bind(d.armed_state)
            .bind(d.order.as_ref().map(|o| o.client_order_id))
            .bind(now_us)
            .bind(&id)
            .execute(&mut *tx)
            .await
            .map_err(query_err("decide trigger"))?
            .rows_affected();
            if moved != 1 {
                out.push(DecisionOutcome::NotArmed);
                continue;
            }
            if let Some(o) = &d.order {
                sqlx::query(&format!(
                    "INSERT INTO trigger_orders ({COLUMNS}) \
                     VALUES ($1, $2, $3, $4, $5, $6, 'decided', NULL, NULL, $7, $7)"
                ))
                .bind(o.client_order_id)
                .bind(&id)
                .bind(i64::from(o.leg))
                .bind(o.credential_id.to_string())
                .bind(o.symbol)
                .bind(o.order_json)
                .bind(now_us)
                .execute(&mut *tx)
                .await
                .map_err(query_err("insert trigger order"))?;
            }
            out.push(DecisionOutcome::Applied);
        }
        tx.commit().await.map_err(query_err("commit"))?;
        Ok(out)
    }

    /// Moves an order forward (never back: a late or repeated venue report is ignored; a
    /// partly filled order may report a larger filled quantity). Returns whether it changed.
    pub async fn update_trigger_order(&self, u: &OrderUpdate<'_>) -> Result<bool, StoreError> {
        let lower: Vec<&str> = OrderState::ALL
            .iter()
            .filter(|s| s.rank() < u.state.rank())
            .map(|s| s.as_str())
            .collect();
        // States are a fixed vocabulary, never user input: safe to inline as literals.
        let mut allowed = lower
            .iter()
            .map(|s| format!("'{s}'"))
            .collect::<Vec<_>>()
            .join(", ");
        if u.state == OrderState::PartiallyFilled {
            if !allowed.is_empty() {
                allowed.push_str(", ");
            }
            allowed.push_str("'partially_filled'");
        }
        if allowed.is_empty() {
            return Ok(false);
        }
        let done = sqlx::query(&format!(
            "UPDATE trigger_orders SET state = $1, venue_order_id = COALESCE($2, venue_order_id), \
             executed_qty = COALESCE($3, executed_qty), updated_at_us = $4 \
             WHERE client_order_id = $5 AND state IN ({allowed})"
        ))
        .bind(u.state.as_str())
        .bind(u.venue_order_id)
        .bind(u.executed_qty)
        .bind(u.now_us)
        .bind(u.client_order_id)
        .execute(&self.pool)
        .await
        .map_err(query_err("update trigger order"))?;
        Ok(done.rows_affected() == 1)
    }

    /// One trigger order.
    pub async fn trigger_order(
        &self,
        client_order_id: &str,
    ) -> Result<Option<TriggerOrderRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM trigger_orders WHERE client_order_id = $1"
        ))
        .bind(client_order_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(query_err("select trigger order"))?;
        row.as_ref().map(from_row).transpose()
    }

    /// Every order in one of `states`, oldest first.
    pub async fn trigger_orders_in_states(
        &self,
        states: &[OrderState],
    ) -> Result<Vec<TriggerOrderRow>, StoreError> {
        if states.is_empty() {
            return Ok(Vec::new());
        }
        // Fixed vocabulary, never user input.
        let list = states
            .iter()
            .map(|s| format!("'{}'", s.as_str()))
            .collect::<Vec<_>>()
            .join(", ");
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM trigger_orders WHERE state IN ({list}) \
             ORDER BY created_at_us, client_order_id"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(query_err("select trigger orders by state"))?;
        rows.iter().map(from_row).collect()
    }

    /// The orders of one trigger, by leg.
    pub async fn trigger_orders_of(
        &self,
        trigger_id: Uuid,
    ) -> Result<Vec<TriggerOrderRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM trigger_orders WHERE trigger_id = $1 ORDER BY leg"
        ))
        .bind(trigger_id.hyphenated().to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(query_err("select orders of trigger"))?;
        rows.iter().map(from_row).collect()
    }
}
