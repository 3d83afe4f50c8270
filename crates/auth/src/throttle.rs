//! Login throttling policy: after a few free failures, each further failure doubles the wait,
//! up to a ceiling; counts are forgotten after a quiet period. There is never a permanent
//! lock, so an attacker cannot lock a user out for longer than the ceiling at a time.
//!
//! Keys: the account (by the email as typed, lower case: unknown emails are throttled exactly
//! like known ones, so the answer tells nothing) and the source address (IPv4 whole, IPv6 by
//! its /64, since one host commonly holds a whole /64).

use std::net::IpAddr;
use std::time::Duration;

use crate::config::micros;

/// How failures turn into waits.
#[derive(Debug, Clone)]
pub struct ThrottlePolicy {
    /// Failures per account before any delay (default 5).
    pub free_account_failures: u32,
    /// Failures per address before any delay (default 20: addresses are shared behind NAT).
    pub free_address_failures: u32,
    /// The first delay (default 1 s), doubled at each further failure.
    pub base_delay: Duration,
    /// The longest delay (default 15 min).
    pub max_delay: Duration,
    /// Failures older than this are forgotten (default 24 h).
    pub forget_after: Duration,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        Self {
            free_account_failures: 5,
            free_address_failures: 20,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(15 * 60),
            forget_after: Duration::from_secs(24 * 3600),
        }
    }
}

impl ThrottlePolicy {
    /// The wait imposed after `failures` failures when `free` are free.
    pub fn delay(&self, failures: i64, free: u32) -> Duration {
        let over = failures - i64::from(free);
        if over <= 0 {
            return Duration::ZERO;
        }
        let doublings = u32::try_from(over - 1).unwrap_or(u32::MAX).min(30);
        self.base_delay
            .saturating_mul(1u32 << doublings)
            .min(self.max_delay)
    }

    /// How long is left to wait at `now_us` after `failures`, the latest at `last_us`.
    pub fn remaining(&self, failures: i64, last_us: i64, free: u32, now_us: i64) -> Duration {
        if last_us < now_us.saturating_sub(micros(self.forget_after)) {
            return Duration::ZERO;
        }
        let until = last_us.saturating_add(micros(self.delay(failures, free)));
        Duration::from_micros(u64::try_from(until.saturating_sub(now_us)).unwrap_or(0))
    }
}

/// The throttle key of an account, by the email as typed.
pub fn account_key(email: &str) -> String {
    format!("account:{}", email.trim().to_lowercase())
}

/// The throttle key of a source address.
pub fn address_key(addr: IpAddr) -> String {
    match addr {
        IpAddr::V4(v4) => format!("addr:{v4}"),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => format!("addr:{v4}"),
            None => {
                let s = v6.segments();
                format!("addr:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_after_the_free_failures_and_are_capped() {
        let p = ThrottlePolicy::default();
        let secs = |f| p.delay(f, 5).as_secs();
        assert_eq!((0..=5).map(secs).collect::<Vec<_>>(), vec![0; 6]);
        assert_eq!(
            (6..=11).map(secs).collect::<Vec<_>>(),
            vec![1, 2, 4, 8, 16, 32]
        );
        assert_eq!(secs(15), 512);
        assert_eq!(secs(16), 900);
        assert_eq!(secs(1_000_000), 900);
    }

    #[test]
    fn waits_run_out_and_counts_are_forgotten() {
        let p = ThrottlePolicy::default();
        let s = 1_000_000i64;
        // 8 failures: 4 s from the last one.
        assert_eq!(p.remaining(8, 100 * s, 5, 101 * s), Duration::from_secs(3));
        assert_eq!(p.remaining(8, 100 * s, 5, 104 * s), Duration::ZERO);
        // A huge count long ago no longer matters.
        assert_eq!(p.remaining(500, 0, 5, 25 * 3600 * s), Duration::ZERO);
    }

    #[test]
    fn address_keys_group_ipv6_by_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1"
            .parse()
            .unwrap_or(IpAddr::from([0; 4]));
        let b: IpAddr = "2001:db8:1:2:ffff::9"
            .parse()
            .unwrap_or(IpAddr::from([0; 4]));
        assert_eq!(address_key(a), address_key(b));
        assert_eq!(address_key(a), "addr:2001:db8:1:2::/64");
        let v4: IpAddr = "::ffff:192.0.2.1".parse().unwrap_or(IpAddr::from([0; 4]));
        assert_eq!(address_key(v4), "addr:192.0.2.1");
        assert_eq!(
            account_key(" Alice@Example.COM "),
            "account:alice@example.com"
        );
    }
}
