//! Database access for Tradeward: one schema, two backends (SQLite embedded, PostgreSQL).
//!
//! This is the only crate that knows SQL. The backend is chosen by URL (`sqlite://...` or
//! `postgres://...`); both run the same queries through sqlx's `Any` driver, with migrations kept
//! side by side under `migrations/sqlite` and `migrations/postgres`. Rows here are plain data:
//! sealed secrets arrive already encrypted (the store never sees a plaintext secret), decimals
//! are exact text, times are microseconds since the Unix epoch supplied by the caller.

mod accounts;
mod audit;
mod connect;
mod credentials;
mod email_links;
mod error;
mod limits;
mod lockdown;
mod secrets;
mod sessions;
mod settings;
pub mod testing;
mod throttle;
mod trigger_orders;
mod triggers;
mod users;
mod webauthn;

pub use accounts::{AccountRow, NewAccount, TotpFactorRow};
pub use audit::{
    audit_chain_next, audit_entry_bytes, audit_leaf_hash, AuditCheckpointRow, AuditFilter,
    AuditHash, AuditRow, ChainedAuditRow, StoredAuditRow, AUDIT_GENESIS,
};
pub use connect::{Backend, Store};
pub use credentials::{CredentialRow, NewCredential};
pub use email_links::EmailLinkRow;
pub use error::StoreError;
pub use limits::DailyNotionalOutcome;
pub use lockdown::LockdownCounts;
pub use secrets::SealedRow;
pub use sessions::{ApiTokenRow, ChallengeRow, SessionRow};
pub use throttle::ThrottleRow;
pub use trigger_orders::{
    DecisionOutcome, NewTriggerOrder, OrderState, OrderUpdate, TriggerDecision, TriggerOrderRow,
};
pub use triggers::{NewTrigger, TriggerRow, TriggerState, TriggerTransition};
pub use users::{NewUser, UserRow};
pub use webauthn::{WebauthnCeremonyRow, WebauthnCredentialRow};
