//! The audit entry of a deployment-wide lockdown (incident response), in one place so that
//! whoever locks down (the CLI, the admin API) writes what `audit report` reads.

use tradeward_store::LockdownCounts;

use crate::{AuditEvent, Outcome};

/// The kind of a lockdown's entry.
pub const LOCKDOWN_KIND: &str = "incident.lockdown";

/// The entry recording a lockdown and everything it changed.
pub fn lockdown_event(
    at_us: i64,
    component: &str,
    counts: &LockdownCounts,
    reason: &str,
) -> AuditEvent {
    AuditEvent::new(at_us, LOCKDOWN_KIND, component, Outcome::Ok)
        .with("reason", reason)
        .with("trading_was_enabled", counts.trading_was_enabled)
        .with("users", counts.users)
        .with("users_newly_forced", counts.users_newly_forced)
        .with("sessions_revoked", counts.sessions_revoked)
        .with("tokens_revoked", counts.tokens_revoked)
        .with("challenges_dropped", counts.challenges_dropped)
}
