//! Canonical paths and table patterns. A canonical path is `/` followed by non-empty segments
//! of letters, digits and `-_.:`, none of them `.` or `..`: exactly what the venue will route,
//! with no encoding or normalisation left for anyone to interpret differently.

/// Longest path considered.
const MAX_PATH: usize = 256;

/// The path's segments, or `None` when it is not canonical.
pub(crate) fn canonical_segments(path: &str) -> Option<Vec<&str>> {
    if path.len() > MAX_PATH {
        return None;
    }
    let rest = path.strip_prefix('/')?;
    let segments: Vec<&str> = rest.split('/').collect();
    let ok = segments.iter().all(|s| {
        !s.is_empty()
            && *s != "."
            && *s != ".."
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
    });
    ok.then_some(segments)
}

/// Whether `segments` match `pattern`, where a `{}` segment stands for exactly one path
/// segment (an id) and every other segment must be equal, case included.
pub(crate) fn matches(pattern: &str, segments: &[&str]) -> bool {
    let mut pat = pattern.trim_start_matches('/').split('/');
    let mut seg = segments.iter();
    loop {
        match (pat.next(), seg.next()) {
            (None, None) => return true,
            (Some("{}"), Some(_)) => {}
            (Some(p), Some(s)) if p == *s => {}
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_canonical_paths_have_segments() {
        assert_eq!(
            canonical_segments("/api/v3/order"),
            Some(vec!["api", "v3", "order"])
        );
        assert_eq!(
            canonical_segments("/orders/client:abc-1"),
            Some(vec!["orders", "client:abc-1"])
        );
        for bad in [
            "",
            "/",
            "api/v3/order",
            "//api/v3/order",
            "/api/v3/order/",
            "/api/./v3",
            "/api/../v3",
            "/api/v3/order?x",
            "/api/v3/%6Frder",
            "/api/v3/order;x",
            "/api/v3/order x",
            "/api\\v3",
        ] {
            assert_eq!(canonical_segments(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn patterns_match_whole_paths_only() {
        let m = |p: &str, path: &str| matches(p, &canonical_segments(path).unwrap_or_default());
        assert!(m("/orders/{}", "/orders/abc"));
        assert!(!m("/orders/{}", "/orders"));
        assert!(!m("/orders/{}", "/orders/abc/def"));
        assert!(!m("/api/v3/order", "/api/v3/order/test"));
        assert!(!m("/api/v3/order", "/API/V3/ORDER"));
    }
}
