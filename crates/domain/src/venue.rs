//! The exchanges Tradeward can talk to, in the API's spelling (`binance`, `kraken`, ...).

use std::fmt;
use std::str::FromStr;

/// A trading venue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Venue {
    /// Binance Spot.
    Binance,
    /// Kraken Spot.
    Kraken,
    /// Coinbase (Exchange HMAC or Advanced Trade JWT).
    Coinbase,
    /// OKX v5.
    Okx,
    /// Bybit v5.
    Bybit,
    /// The built-in simulated exchange (speaks the Binance dialect).
    Sim,
}

/// The text given names no venue Tradeward knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown venue {0:?}: expected one of binance, kraken, coinbase, okx, bybit, sim")]
pub struct VenueError(pub String);

impl Venue {
    /// Every venue, in a stable order.
    pub const ALL: [Venue; 6] = [
        Venue::Binance,
        Venue::Kraken,
        Venue::Coinbase,
        Venue::Okx,
        Venue::Bybit,
        Venue::Sim,
    ];

    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Venue::Binance => "binance",
            Venue::Kraken => "kraken",
            Venue::Coinbase => "coinbase",
            Venue::Okx => "okx",
            Venue::Bybit => "bybit",
            Venue::Sim => "sim",
        }
    }
}

impl fmt::Display for Venue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Venue {
    type Err = VenueError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Venue::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| VenueError(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_venue_round_trips() {
        for v in Venue::ALL {
            assert_eq!(v.as_str().parse::<Venue>().unwrap(), v);
        }
        assert_eq!("ftx".parse::<Venue>().unwrap_err().0, "ftx");
    }
}
