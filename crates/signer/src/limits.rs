//! Per-credential trading limits and how an order's notional is worked out.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// What a credential may trade, whatever the exchange key itself allows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialLimits {
    /// Symbols it may trade, as `BASE/QUOTE`; `None` allows any.
    pub allowed_symbols: Option<Vec<String>>,
    /// Largest notional (quote currency) of one order.
    pub max_order_notional: Option<Decimal>,
    /// Largest notional traded per UTC day.
    pub max_daily_notional: Option<Decimal>,
}

/// Reduces a symbol in any venue's spelling (`BTC/USDT`, `BTCUSDT`, `BTC-USDT`, `btc_usdt`) to
/// bare upper-case letters and digits, so limits written once match every venue.
pub fn normalize_symbol(symbol: &str) -> String {
    symbol
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

impl CredentialLimits {
    /// Whether `symbol` (venue spelling) is allowed.
    pub fn allows_symbol(&self, symbol: &str) -> bool {
        match &self.allowed_symbols {
            None => true,
            Some(list) => {
                let wanted = normalize_symbol(symbol);
                list.iter().any(|s| normalize_symbol(s) == wanted)
            }
        }
    }

    /// Whether any notional limit applies (so the notional must be known).
    pub fn limits_notional(&self) -> bool {
        self.max_order_notional.is_some() || self.max_daily_notional.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_match_across_spellings() {
        let limits = CredentialLimits {
            allowed_symbols: Some(vec!["BTC/USDT".into()]),
            ..Default::default()
        };
        for ok in ["BTCUSDT", "btc-usdt", "BTC_USDT", "BTC/USDT"] {
            assert!(limits.allows_symbol(ok), "{ok}");
        }
        assert!(!limits.allows_symbol("ETHUSDT"));
        assert!(CredentialLimits::default().allows_symbol("ANYTHING"));
    }
}
