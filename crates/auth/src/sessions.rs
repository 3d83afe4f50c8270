//! Pure session rules: the idle and absolute deadlines, and step-up freshness.

use std::time::Duration;

use tradeward_store::SessionRow;

use crate::config::micros;
use crate::error::AuthError;

/// Why a session is no longer valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// Valid.
    Live,
    /// No request within the idle timeout.
    Idle,
    /// Past its absolute deadline.
    Absolute,
}

/// Whether `session` is still valid at `now_us` with the idle timeout `idle`.
pub fn expiry(session: &SessionRow, idle: Duration, now_us: i64) -> Expiry {
    if now_us >= session.expires_at_us {
        Expiry::Absolute
    } else if now_us >= session.last_seen_at_us.saturating_add(micros(idle)) {
        Expiry::Idle
    } else {
        Expiry::Live
    }
}

/// Sensitive actions (changing the email, disabling 2FA, adding API keys or tokens) need a full
/// authentication within `window`: [`AuthError::StepUpRequired`] otherwise.
pub fn requires_recent_auth(
    session: &SessionRow,
    now_us: i64,
    window: Duration,
) -> Result<(), AuthError> {
    if now_us.saturating_sub(session.authenticated_at_us) <= micros(window) {
        Ok(())
    } else {
        Err(AuthError::StepUpRequired)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tradeward_domain::{SessionId, UserId};

    const MIN: i64 = 60_000_000;

    fn session() -> SessionRow {
        SessionRow {
            id: SessionId::new(),
            user_id: UserId::new(),
            created_at_us: 0,
            last_seen_at_us: 0,
            authenticated_at_us: 0,
            expires_at_us: 720 * MIN,
            source_addr: None,
            user_agent: None,
        }
    }

    #[test]
    fn idle_and_absolute_deadlines() {
        let idle = Duration::from_secs(30 * 60);
        let mut s = session();
        assert_eq!(expiry(&s, idle, 29 * MIN), Expiry::Live);
        assert_eq!(expiry(&s, idle, 30 * MIN), Expiry::Idle);
        s.last_seen_at_us = 710 * MIN;
        assert_eq!(expiry(&s, idle, 719 * MIN), Expiry::Live);
        assert_eq!(expiry(&s, idle, 720 * MIN), Expiry::Absolute);
    }

    #[test]
    fn step_up_window() {
        let s = session();
        let five = Duration::from_secs(300);
        assert!(requires_recent_auth(&s, 5 * MIN, five).is_ok());
        assert!(matches!(
            requires_recent_auth(&s, 5 * MIN + 1, five),
            Err(AuthError::StepUpRequired)
        ));
    }
}
