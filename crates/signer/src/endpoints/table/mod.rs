//! The per-venue endpoint tables. Each row is a method (or any method, for the dangerous
//! classes) and an exact path pattern (`{}` = one id segment). Sources: each venue's public
//! REST reference.

mod binance;
mod bybit;
mod coinbase;
mod kraken;
mod okx;

use tradeward_domain::Venue;

use super::EndpointClass;
use crate::schemes::HttpMethod;

/// One table row.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rule {
    /// The method, or `None` for any method.
    pub method: Option<HttpMethod>,
    /// The path pattern.
    pub pattern: &'static str,
    /// The class.
    pub class: EndpointClass,
}

/// A row for one method.
pub(crate) const fn on(method: HttpMethod, class: EndpointClass, pattern: &'static str) -> Rule {
    Rule {
        method: Some(method),
        pattern,
        class,
    }
}

/// A row for every method (used for withdraw, transfer and key-management paths).
pub(crate) const fn any(class: EndpointClass, pattern: &'static str) -> Rule {
    Rule {
        method: None,
        pattern,
        class,
    }
}

/// The table of `venue`. The simulator speaks Binance's dialect.
pub(crate) fn rules(venue: Venue) -> &'static [Rule] {
    match venue {
        Venue::Binance | Venue::Sim => binance::RULES,
        Venue::Kraken => kraken::RULES,
        Venue::Coinbase => coinbase::RULES,
        Venue::Okx => okx::RULES,
        Venue::Bybit => bybit::RULES,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoints::path::canonical_segments;

    #[test]
    fn tables_are_canonical_unique_and_dangerous_rows_cover_every_method() {
        for venue in Venue::ALL {
            let rules = rules(venue);
            for (i, r) in rules.iter().enumerate() {
                assert!(
                    canonical_segments(&r.pattern.replace("{}", "id")).is_some(),
                    "{venue}: {}",
                    r.pattern
                );
                assert_ne!(r.class, EndpointClass::Unknown, "{venue}: {}", r.pattern);
                if matches!(
                    r.class,
                    EndpointClass::Withdraw | EndpointClass::KeyManagement
                ) {
                    assert!(
                        r.method.is_none(),
                        "{venue}: {} should match any method",
                        r.pattern
                    );
                }
                for other in &rules[i + 1..] {
                    assert!(
                        !(other.pattern == r.pattern && other.method == r.method),
                        "{venue}: duplicate row {}",
                        r.pattern
                    );
                }
            }
        }
    }
}
