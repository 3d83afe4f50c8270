//! Reconnect delays: exponential growth with "equal jitter" (half fixed, half random), so a
//! fleet of clients cut off at once does not come back in lockstep. The RNG is injected so
//! tests can pin the delays.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, RngCore, SeedableRng};

/// Backoff bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackoffConfig {
    /// The first delay's upper bound.
    pub base: Duration,
    /// No delay exceeds this.
    pub max: Duration,
}

impl Default for BackoffConfig {
    fn default() -> Self {
        Self {
            base: Duration::from_millis(250),
            max: Duration::from_secs(30),
        }
    }
}

/// Exponential backoff with jitter.
pub struct Backoff {
    config: BackoffConfig,
    attempt: u32,
    rng: Box<dyn RngCore + Send>,
}

impl std::fmt::Debug for Backoff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backoff")
            .field("config", &self.config)
            .field("attempt", &self.attempt)
            .finish_non_exhaustive()
    }
}

impl Backoff {
    /// A backoff drawing jitter from `rng`.
    pub fn new(config: BackoffConfig, rng: Box<dyn RngCore + Send>) -> Self {
        Self {
            config,
            attempt: 0,
            rng,
        }
    }

    /// A backoff with an RNG seeded from the OS.
    pub fn from_entropy(config: BackoffConfig) -> Self {
        Self::new(config, Box::new(StdRng::from_entropy()))
    }

    /// The delay before the next attempt: uniformly in `[cap/2, cap]` where
    /// `cap = min(max, base * 2^attempt)`.
    pub fn next_delay(&mut self) -> Duration {
        let factor = 1u32.checked_shl(self.attempt.min(20)).unwrap_or(u32::MAX);
        let cap = self.config.base.saturating_mul(factor).min(self.config.max);
        self.attempt = self.attempt.saturating_add(1);
        let cap_ms = u64::try_from(cap.as_millis()).unwrap_or(u64::MAX);
        let half = cap_ms / 2;
        let jitter = if cap_ms > half {
            self.rng.gen_range(0..=cap_ms - half)
        } else {
            0
        };
        Duration::from_millis(half + jitter)
    }

    /// Starts over after a successful connection.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    /// How many delays were handed out since the last reset.
    pub fn attempts(&self) -> u32 {
        self.attempt
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> BackoffConfig {
        BackoffConfig {
            base: Duration::from_millis(100),
            max: Duration::from_millis(1000),
        }
    }

    #[test]
    fn delays_grow_within_bounds_and_cap() {
        let mut b = Backoff::new(cfg(), Box::new(StdRng::seed_from_u64(1)));
        let caps = [100u64, 200, 400, 800, 1000, 1000, 1000];
        for cap in caps {
            let d = b.next_delay().as_millis() as u64;
            assert!(d >= cap / 2 && d <= cap, "{d} not in [{}, {cap}]", cap / 2);
        }
        b.reset();
        assert!(b.next_delay() <= Duration::from_millis(100));
    }

    #[test]
    fn same_seed_same_delays_different_seed_different_delays() {
        let run = |seed| {
            let mut b = Backoff::new(cfg(), Box::new(StdRng::seed_from_u64(seed)));
            (0..8).map(|_| b.next_delay()).collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
    }

    #[test]
    fn many_attempts_do_not_overflow() {
        let mut b = Backoff::new(cfg(), Box::new(StdRng::seed_from_u64(3)));
        for _ in 0..200 {
            assert!(b.next_delay() <= Duration::from_millis(1000));
        }
    }
}
