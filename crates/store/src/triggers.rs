//! Durable triggers: a trigger row is written before the trigger is acknowledged, and every
//! change of state is a compare-and-set, so two writers (or a writer and a restart) can never
//! both move a trigger out of the same state (e.g. both decide to place its order).

use sqlx::any::AnyRow;
use sqlx::Row;
use tradeward_domain::{CredentialId, UserId};
use uuid::Uuid;

use crate::error::{query_err, StoreError};
use crate::users::parse_user_id;
use crate::Store;

/// Where a stored trigger is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TriggerState {
    /// Waiting for its condition; re-armed after a restart.
    Armed,
    /// Its order was decided (client order id recorded) but not confirmed by the venue.
    Firing,
    /// Its order reached the venue.
    Fired,
    /// Cancelled by its owner or by a linked leg.
    Cancelled,
    /// Its condition was met while trading was off; it will never fire.
    Missed,
    /// The venue refused its order for good.
    Rejected,
}

impl TriggerState {
    /// The name stored in the `state` column.
    pub fn as_str(self) -> &'static str {
        match self {
            TriggerState::Armed => "armed",
            TriggerState::Firing => "firing",
            TriggerState::Fired => "fired",
            TriggerState::Cancelled => "cancelled",
            TriggerState::Missed => "missed",
            TriggerState::Rejected => "rejected",
        }
    }

    fn parse(text: &str) -> Result<Self, StoreError> {
        Ok(match text {
            "armed" => TriggerState::Armed,
            "firing" => TriggerState::Firing,
            "fired" => TriggerState::Fired,
            "cancelled" => TriggerState::Cancelled,
            "missed" => TriggerState::Missed,
            "rejected" => TriggerState::Rejected,
            other => {
                return Err(StoreError::Corrupt {
                    column: "triggers.state",
                    reason: format!("unknown state {other:?}"),
                })
            }
        })
    }
}

/// A trigger to store (always in state `armed`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTrigger {
    /// The engine's trigger id.
    pub id: Uuid,
    /// The owning user.
    pub owner_id: UserId,
    /// The credential its order is placed with (None for an alert).
    pub credential_id: Option<CredentialId>,
    /// Venue name (`binance`, `sim`, ...).
    pub venue: String,
    /// Symbol, venue-neutral spelling (`BTC/USDT`).
    pub symbol: String,
    /// The engine's spec, JSON (opaque to the store).
    pub spec: String,
    /// The engine's live state of the armed trigger, JSON (opaque to the store).
    pub armed_state: Option<String>,
    /// Creation time, µs since the epoch.
    pub created_at_us: i64,
}

/// A stored trigger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriggerRow {
    /// Id.
    pub id: Uuid,
    /// Owning user.
    pub owner_id: UserId,
    /// Credential, if an order trigger.
    pub credential_id: Option<CredentialId>,
    /// Venue name.
    pub venue: String,
    /// Symbol.
    pub symbol: String,
    /// The engine's spec, JSON.
    pub spec: String,
    /// Current state.
    pub state: TriggerState,
    /// The deterministic client order id, once its order was decided.
    pub client_order_id: Option<String>,
    /// The venue's order id, once the venue confirmed the order.
    pub venue_order_id: Option<String>,
    /// The engine's live state while armed (trailing extremes, bracket progress), JSON.
    pub armed_state: Option<String>,
    /// Creation time, µs.
    pub created_at_us: i64,
    /// Last state change, µs.
    pub updated_at_us: i64,
}

/// A compare-and-set state change of one trigger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriggerTransition<'a> {
    /// The trigger.
    pub id: Uuid,
    /// The state it must be in now.
    pub from: TriggerState,
    /// The state it moves to.
    pub to: TriggerState,
    /// Sets the client order id (None keeps the stored one).
    pub client_order_id: Option<&'a str>,
    /// Sets the venue order id (None keeps the stored one).
    pub venue_order_id: Option<&'a str>,
    /// Time of the change, µs.
    pub now_us: i64,
}

const COLUMNS: &str = "id, owner_id, credential_id, venue, symbol, spec, state, \
                       client_order_id, venue_order_id, armed_state, created_at_us, updated_at_us";

pub(crate) fn parse_uuid(column: &'static str, text: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(text).map_err(|_| StoreError::Corrupt {
        column,
        reason: "not a UUID".into(),
    })
}

fn from_row(row: &AnyRow) -> Result<TriggerRow, StoreError> {
    let id: String = row.get(0);
    let owner: String = row.get(1);
    let credential: Option<String> = row.get(2);
    let state: String = row.get(6);
    Ok(TriggerRow {
        id: parse_uuid("triggers.id", &id)?,
        owner_id: parse_user_id(&owner)?,
        credential_id: credential
            .map(|c| {
                c.parse().map_err(|_| StoreError::Corrupt {
                    column: "triggers.credential_id",
                    reason: "not a UUID".into(),
                })
            })
            .transpose()?,
        venue: row.get(3),
        symbol: row.get(4),
        spec: row.get(5),
        state: TriggerState::parse(&state)?,
        client_order_id: row.get(7),
        venue_order_id: row.get(8),
        armed_state: row.get(9),
        created_at_us: row.get(10),
        updated_at_us: row.get(11),
    })
}

impl Store {
    /// Stores a new trigger in state `armed`. Returns once the row is committed, so the caller
    /// may acknowledge the trigger. A taken id is a `Conflict`.
    pub async fn insert_trigger(&self, t: &NewTrigger) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO triggers (id, owner_id, credential_id, venue, symbol, spec, armed_state, \
             state, created_at_us, updated_at_us) VALUES ($1, $2, $3, $4, $5, $6, $7, 'armed', $8, $8)",
        )
        .bind(t.id.hyphenated().to_string())
        .bind(t.owner_id.to_string())
        .bind(t.credential_id.map(|c| c.to_string()))
        .bind(&t.venue)
        .bind(&t.symbol)
        .bind(&t.spec)
        .bind(t.armed_state.as_deref())
        .bind(t.created_at_us)
        .execute(&self.pool)
        .await
        .map_err(query_err("insert trigger"))?;
        Ok(())
    }

    /// Moves a trigger from `from` to `to` if and only if it is in `from` now. Returns whether
    /// it moved: `false` means another writer changed it first (or it does not exist).
    pub async fn transition_trigger(&self, t: &TriggerTransition<'_>) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE triggers SET state = $1, \
             client_order_id = COALESCE($2, client_order_id), \
             venue_order_id = COALESCE($3, venue_order_id), updated_at_us = $4 \
             WHERE id = $5 AND state = $6",
        )
        .bind(t.to.as_str())
        .bind(t.client_order_id)
        .bind(t.venue_order_id)
        .bind(t.now_us)
        .bind(t.id.hyphenated().to_string())
        .bind(t.from.as_str())
        .execute(&self.pool)
        .await
        .map_err(query_err("update trigger state"))?;
        Ok(done.rows_affected() == 1)
    }

    /// One trigger.
    pub async fn trigger(&self, id: Uuid) -> Result<Option<TriggerRow>, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM triggers WHERE id = $1"))
            .bind(id.hyphenated().to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(query_err("select trigger"))?;
        row.as_ref().map(from_row).transpose()
    }

    /// Every trigger in `state`, oldest first (arming order).
    pub async fn triggers_in_state(
        &self,
        state: TriggerState,
    ) -> Result<Vec<TriggerRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM triggers WHERE state = $1 ORDER BY created_at_us, id"
        ))
        .bind(state.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(query_err("select triggers by state"))?;
        rows.iter().map(from_row).collect()
    }

    /// A user's triggers, newest first, at most `limit`.
    pub async fn triggers_of_owner(
        &self,
        owner: UserId,
        limit: i64,
    ) -> Result<Vec<TriggerRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM triggers WHERE owner_id = $1 \
             ORDER BY created_at_us DESC, id DESC LIMIT $2"
        ))
        .bind(owner.to_string())
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(query_err("select triggers of owner"))?;
        rows.iter().map(from_row).collect()
    }

    /// Replaces the live state of an armed trigger (a trailing stop's new extreme). Returns
    /// false if it is no longer armed.
    pub async fn update_armed_state(
        &self,
        id: Uuid,
        armed_state: &str,
        now_us: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE triggers SET armed_state = $1, updated_at_us = $2 \
             WHERE id = $3 AND state = 'armed'",
        )
        .bind(armed_state)
        .bind(now_us)
        .bind(id.hyphenated().to_string())
        .execute(&self.pool)
        .await
        .map_err(query_err("update trigger armed state"))?;
        Ok(done.rows_affected() == 1)
    }
}
