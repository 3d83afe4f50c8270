//! Automatic containment: a burst of refusals for one user's credentials (withdrawals, unknown
//! endpoints, another user's key, symbols or notionals outside the limits) is what code in the
//! web tier probing a stolen session looks like. Past a threshold within a window the signer
//! turns that user's trading switch off (audited, alerting admins through the log) and keeps
//! refusing; an operator turns it back on. Refusals that are themselves the result of a switch
//! or a pause do not count.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError, RwLock};
use std::time::Duration;

use tradeward_domain::UserId;

use crate::refusal::Refusal;

/// When a burst of refusals disables a user's trading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContainmentPolicy {
    /// Refusals for one user's credentials...
    pub refusals: usize,
    /// ...within this long.
    pub window: Duration,
}

impl Default for ContainmentPolicy {
    /// Five within a minute: well above a client's occasional limit refusal, well below what
    /// probing for a withdrawal takes.
    fn default() -> Self {
        Self {
            refusals: 5,
            window: Duration::from_secs(60),
        }
    }
}

/// Whether a refusal is a signal (rather than the consequence of a switch already off).
pub(crate) fn counts(refusal: &Refusal) -> bool {
    !matches!(
        refusal,
        Refusal::TradingDisabledGlobally
            | Refusal::TradingDisabledForUser
            | Refusal::CredentialsPaused
    )
}

/// Recent refusals per user, under a policy (none: containment off).
#[derive(Debug, Default)]
pub(crate) struct Containment {
    policy: RwLock<Option<ContainmentPolicy>>,
    recent: Mutex<HashMap<UserId, VecDeque<i64>>>,
}

impl Containment {
    pub(crate) fn set_policy(&self, policy: Option<ContainmentPolicy>) {
        *self.policy.write().unwrap_or_else(PoisonError::into_inner) = policy;
    }

    /// Notes a refusal for `user` at `now_us`; returns the policy when this one completes a
    /// burst (the count starts over after it).
    pub(crate) fn note(&self, user: UserId, now_us: i64) -> Option<ContainmentPolicy> {
        let policy = (*self.policy.read().unwrap_or_else(PoisonError::into_inner))?;
        let window_us = i64::try_from(policy.window.as_micros()).unwrap_or(i64::MAX);
        let mut recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
        let times = recent.entry(user).or_default();
        while times.front().is_some_and(|&t| now_us - t > window_us) {
            times.pop_front();
        }
        times.push_back(now_us);
        if times.len() >= policy.refusals.max(1) {
            times.clear();
            return Some(policy);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_within_the_window_trips_once_then_counts_again() {
        let c = Containment::default();
        let u = UserId::new();
        assert_eq!(c.note(u, 0), None, "off without a policy");
        c.set_policy(Some(ContainmentPolicy {
            refusals: 3,
            window: Duration::from_secs(10),
        }));
        let s = 1_000_000;
        assert_eq!(c.note(u, 0), None);
        assert_eq!(c.note(u, 20 * s), None, "the first fell out of the window");
        assert_eq!(c.note(u, 25 * s), None);
        assert!(c.note(u, 26 * s).is_some(), "three within ten seconds");
        assert_eq!(c.note(u, 27 * s), None, "the count starts over");
        assert_eq!(c.note(UserId::new(), 27 * s), None, "per user");
        assert!(!counts(&Refusal::TradingDisabledForUser));
        assert!(counts(&Refusal::NotOwner));
    }
}
