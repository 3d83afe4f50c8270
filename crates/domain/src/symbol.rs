//! Trading pairs and order sides, in Tradeward's venue-neutral spelling (`BTC/USDT`).

use std::fmt;
use std::str::FromStr;

/// A trading pair: `base/quote`, upper-case ASCII alphanumerics.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Symbol {
    base: String,
    quote: String,
}

/// The text given was not a valid symbol or side.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SymbolError {
    /// Not of the form `BASE/QUOTE`.
    #[error("invalid symbol {0:?}: expected BASE/QUOTE, e.g. BTC/USDT")]
    Malformed(String),
    /// Not `buy` or `sell`.
    #[error("invalid side {0:?}: expected buy or sell")]
    Side(String),
}

fn valid_asset(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 20
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

impl Symbol {
    /// Builds a symbol from its two assets (upper-cased).
    pub fn new(base: &str, quote: &str) -> Result<Self, SymbolError> {
        let (b, q) = (base.to_ascii_uppercase(), quote.to_ascii_uppercase());
        if valid_asset(&b) && valid_asset(&q) {
            Ok(Self { base: b, quote: q })
        } else {
            Err(SymbolError::Malformed(format!("{base}/{quote}")))
        }
    }
    /// The asset being bought or sold.
    pub fn base(&self) -> &str {
        &self.base
    }
    /// The asset prices are expressed in.
    pub fn quote(&self) -> &str {
        &self.quote
    }
    /// The concatenated spelling Binance uses (`BTCUSDT`).
    pub fn concatenated(&self) -> String {
        format!("{}{}", self.base, self.quote)
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.base, self.quote)
    }
}

impl FromStr for Symbol {
    type Err = SymbolError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (b, q) = s
            .split_once('/')
            .ok_or_else(|| SymbolError::Malformed(s.to_owned()))?;
        Self::new(b, q).map_err(|_| SymbolError::Malformed(s.to_owned()))
    }
}

/// Which way an order trades.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// Buy the base asset.
    Buy,
    /// Sell the base asset.
    Sell,
}

impl Side {
    /// The other side.
    pub fn opposite(self) -> Self {
        match self {
            Side::Buy => Side::Sell,
            Side::Sell => Side::Buy,
        }
    }
    /// `buy` or `sell`.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Buy => "buy",
            Side::Sell => "sell",
        }
    }
}

impl FromStr for Side {
    type Err = SymbolError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "buy" => Ok(Side::Buy),
            "sell" => Ok(Side::Sell),
            _ => Err(SymbolError::Side(s.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_base_quote() {
        let s: Symbol = "btc/usdt".parse().unwrap();
        assert_eq!(s.to_string(), "BTC/USDT");
        assert_eq!(s.concatenated(), "BTCUSDT");
    }

    #[test]
    fn rejects_malformed_symbols() {
        for bad in ["BTCUSDT", "/USDT", "BTC/", "BTC/US-DT", "BTC/USDT/X"] {
            assert!(bad.parse::<Symbol>().is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn sides_parse_case_insensitively() {
        assert_eq!("SELL".parse::<Side>().unwrap(), Side::Sell);
        assert_eq!(Side::Buy.opposite(), Side::Sell);
        assert!("hold".parse::<Side>().is_err());
    }
}
