//! When each credential of a venue is polled: evenly spread over the interval, stretched
//! when the venue's poll budget cannot afford the interval. Pure arithmetic, no clock.

use std::time::Duration;

/// The round length for `n` credentials: the configured interval, or longer when polling
/// every credential once per interval would exceed `max_polls_per_minute` (a venue's request
/// weight budget divided by the weight of one balance request).
pub fn effective_interval(
    interval: Duration,
    n: usize,
    max_polls_per_minute: Option<u32>,
) -> Duration {
    let Some(budget) = max_polls_per_minute.filter(|b| *b > 0) else {
        return interval;
    };
    // n polls at `budget` per minute take n / budget minutes.
    let needed =
        Duration::from_secs(60).saturating_mul(u32::try_from(n).unwrap_or(u32::MAX)) / budget;
    interval.max(needed)
}

/// Offset of the `i`-th of `n` credentials within a round of length `round`: `i · round / n`,
/// so consecutive polls are `round / n` apart and no two start together (no thundering herd
/// at the top of the interval).
pub fn offset(i: usize, n: usize, round: Duration) -> Duration {
    if n == 0 {
        return Duration::ZERO;
    }
    let nanos = round.as_nanos() * (i as u128) / (n as u128);
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_spread_evenly() {
        let round = Duration::from_secs(60);
        let offs: Vec<Duration> = (0..4).map(|i| offset(i, 4, round)).collect();
        assert_eq!(
            offs,
            vec![
                Duration::ZERO,
                Duration::from_secs(15),
                Duration::from_secs(30),
                Duration::from_secs(45)
            ]
        );
        // 10,000 credentials over 60 s: one every 6 ms, the last one 6 ms before the end.
        assert_eq!(offset(1, 10_000, round), Duration::from_millis(6));
        assert_eq!(offset(9_999, 10_000, round), Duration::from_millis(59_994));
        assert_eq!(offset(0, 0, round), Duration::ZERO);
    }

    #[test]
    fn budget_stretches_the_round() {
        let i = Duration::from_secs(60);
        assert_eq!(effective_interval(i, 10_000, None), i);
        assert_eq!(effective_interval(i, 100, Some(300)), i);
        // Binance: 6,000 weight a minute, 20 per account request = 300 polls a minute.
        assert_eq!(
            effective_interval(i, 10_000, Some(300)),
            Duration::from_secs(2_000)
        );
        assert_eq!(effective_interval(i, 10, Some(0)), i);
    }
}
