//! Time behind a seam: the auth logic takes `now_us` from its caller, and the server reads
//! it from a [`Clock`], so tests can step over TOTP periods without sleeping.

use std::time::{SystemTime, UNIX_EPOCH};

/// A source of the current time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Microseconds since the Unix epoch.
    fn now_us(&self) -> i64;
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_us(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
            // A clock before 1970 is a broken host; 0 makes every session look expired,
            // which fails closed.
            .unwrap_or(0)
    }
}
