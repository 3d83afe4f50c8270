//! Times given on the command line: RFC 3339 (`2026-11-29T08:00:00Z`) or a span back from now
//! (`90s`, `30m`, `24h`, `7d`).

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Parses `text` as an instant, µs since the epoch; spans count back from `now_us`. The error
/// names what was expected.
pub fn parse_time(text: &str, now_us: i64) -> Result<i64, String> {
    let t = text.trim();
    if let Ok(at) = OffsetDateTime::parse(t, &Rfc3339) {
        let us = at.unix_timestamp_nanos() / 1000;
        return i64::try_from(us).map_err(|_| format!("{t:?} is out of range"));
    }
    let split = t
        .find(|c: char| !c.is_ascii_digit())
        .filter(|&i| i > 0)
        .ok_or_else(|| expected(t))?;
    let (n, unit) = t.split_at(split);
    let n: i64 = n.parse().map_err(|_| expected(t))?;
    let unit_us: i64 = match unit {
        "s" => 1_000_000,
        "m" => 60_000_000,
        "h" => 3_600_000_000,
        "d" => 86_400_000_000,
        _ => return Err(expected(t)),
    };
    n.checked_mul(unit_us)
        .and_then(|span| now_us.checked_sub(span))
        .ok_or_else(|| format!("{t:?} is out of range"))
}

fn expected(t: &str) -> String {
    format!(
        "{t:?} is not a time: expected RFC 3339 (2026-11-29T08:00:00Z) or a span back from now \
         (90s, 30m, 24h, 7d)"
    )
}

/// `us` as RFC 3339 (UTC), or the raw number if it is out of range.
pub fn rfc3339(us: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| format!("{us}us"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000_000_000;

    #[test]
    fn known_instants_and_spans() {
        assert_eq!(parse_time("2023-11-14T22:13:20Z", 0), Ok(NOW));
        assert_eq!(parse_time("2023-11-14T23:13:20+01:00", 0), Ok(NOW));
        assert_eq!(parse_time("90s", NOW), Ok(NOW - 90_000_000));
        assert_eq!(parse_time("30m", NOW), Ok(NOW - 1_800_000_000));
        assert_eq!(parse_time("24h", NOW), Ok(NOW - 86_400_000_000));
        assert_eq!(parse_time("7d", NOW), Ok(NOW - 7 * 86_400_000_000));
        assert_eq!(rfc3339(NOW), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn bad_times_are_named() {
        for bad in ["", "yesterday", "5w", "h", "-5m", "99999999999999999999d"] {
            let err = parse_time(bad, NOW).unwrap_err();
            assert!(err.contains(&format!("{:?}", bad.trim())), "{bad}: {err}");
        }
    }
}
