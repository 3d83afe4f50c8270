//! Request weight: what the venue says we used (`X-MBX-USED-WEIGHT-1M`) and, after a 429 or
//! 418, until when we must not send anything (Binance bans IPs that keep sending after 429).

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use crate::error::{ExchangeError, RetryKind};

/// Shared weight and backoff state of one REST client.
#[derive(Debug, Default)]
pub struct WeightTracker {
    /// Last reported used weight + 1 (0 = never reported).
    used_plus_one: AtomicU32,
    /// No request before this time (ms since the epoch; 0 = not blocked).
    blocked_until_ms: AtomicU64,
    /// The venue's published per-minute budget + 1 (0 = unknown).
    limit_plus_one: AtomicU32,
}

impl WeightTracker {
    /// The weight the venue last reported as used in the current minute.
    pub fn used(&self) -> Option<u32> {
        self.used_plus_one.load(Ordering::Relaxed).checked_sub(1)
    }

    /// The per-minute budget, once learnt from exchange information.
    pub fn limit(&self) -> Option<u32> {
        self.limit_plus_one.load(Ordering::Relaxed).checked_sub(1)
    }

    /// Records the published budget.
    pub fn set_limit(&self, limit: u32) {
        self.limit_plus_one
            .store(limit.saturating_add(1), Ordering::Relaxed);
    }

    /// Until when requests are held back (ms since the epoch), if they are.
    pub fn blocked_until_ms(&self) -> Option<u64> {
        match self.blocked_until_ms.load(Ordering::Relaxed) {
            0 => None,
            t => Some(t),
        }
    }

    pub(crate) fn record_headers(&self, headers: &reqwest::header::HeaderMap) {
        if let Some(used) = headers
            .get("x-mbx-used-weight-1m")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u32>().ok())
        {
            self.used_plus_one
                .store(used.saturating_add(1), Ordering::Relaxed);
        }
    }

    pub(crate) fn block_for(&self, now_ms: u64, wait: Duration) {
        let until = now_ms.saturating_add(u64::try_from(wait.as_millis()).unwrap_or(u64::MAX));
        self.blocked_until_ms.fetch_max(until, Ordering::Relaxed);
    }

    /// Fails fast while a venue-imposed backoff is running.
    pub(crate) fn check(&self, now_ms: u64) -> Result<(), ExchangeError> {
        let until = self.blocked_until_ms.load(Ordering::Relaxed);
        if until > now_ms {
            return Err(ExchangeError::Retryable {
                kind: RetryKind::RateLimited,
                retry_after: Some(Duration::from_millis(until - now_ms)),
                detail: "holding requests back after the venue's rate-limit answer".into(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn headers_update_used_weight() {
        let w = WeightTracker::default();
        assert_eq!(w.used(), None);
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("x-mbx-used-weight-1m", "37".parse().unwrap());
        w.record_headers(&h);
        assert_eq!(w.used(), Some(37));
        h.insert("x-mbx-used-weight-1m", "garbage".parse().unwrap());
        w.record_headers(&h);
        assert_eq!(w.used(), Some(37));
    }

    #[test]
    fn a_block_holds_requests_until_it_ends() {
        let w = WeightTracker::default();
        assert!(w.check(1_000).is_ok());
        w.block_for(1_000, Duration::from_secs(2));
        let err = w.check(1_500).unwrap_err();
        assert!(matches!(
            err,
            ExchangeError::Retryable { kind: RetryKind::RateLimited, retry_after: Some(d), .. }
                if d == Duration::from_millis(1_500)
        ));
        assert!(w.check(3_000).is_ok());
        // A shorter later block does not shorten a longer one.
        w.block_for(3_000, Duration::from_secs(10));
        w.block_for(3_000, Duration::from_secs(1));
        assert_eq!(w.blocked_until_ms(), Some(13_000));
    }
}
