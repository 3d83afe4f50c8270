//! Wall-clock helpers. The signer reads the clock (exchange timestamps need it); the trigger
//! engine never does.

use std::time::{SystemTime, UNIX_EPOCH};

/// Microseconds since the Unix epoch.
pub fn now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The UTC calendar day (`YYYY-MM-DD`) of a time in µs since the epoch.
pub fn utc_day(at_us: i64) -> String {
    let secs = at_us.div_euclid(1_000_000);
    match time::OffsetDateTime::from_unix_timestamp(secs) {
        Ok(t) => format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day()),
        Err(_) => "0000-00-00".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn days_are_utc() {
        assert_eq!(super::utc_day(1_499_827_319_559_000), "2017-07-12");
        assert_eq!(super::utc_day(0), "1970-01-01");
    }
}
