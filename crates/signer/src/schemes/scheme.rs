//! The signing schemes, their stable names (stored with each credential) and which venue each
//! one signs for.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use tradeward_domain::Venue;

/// How a credential's requests are authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scheme {
    /// Binance REST, HMAC-SHA256 (hex) over query string + body.
    BinanceHmac,
    /// Binance REST, Ed25519 (base64) over the same payload.
    BinanceEd25519,
    /// Kraken Spot REST, HMAC-SHA512 over path + SHA-256(nonce + postdata).
    KrakenHmac,
    /// Coinbase Exchange (legacy Pro), HMAC-SHA256 with passphrase.
    CoinbaseExchangeHmac,
    /// Coinbase Advanced Trade, ES256 JWT (EC P-256 key).
    CoinbaseAdvancedJwtEs256,
    /// Coinbase Advanced Trade, EdDSA JWT (Ed25519 key).
    CoinbaseAdvancedJwtEd25519,
    /// OKX v5, HMAC-SHA256 (base64) with passphrase.
    OkxHmac,
    /// Bybit v5, HMAC-SHA256 (hex).
    BybitHmac,
}

/// The text names no scheme.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown signing scheme {0:?}")]
pub struct UnknownScheme(pub String);

impl Scheme {
    /// Every scheme, in a stable order.
    pub const ALL: [Scheme; 8] = [
        Scheme::BinanceHmac,
        Scheme::BinanceEd25519,
        Scheme::KrakenHmac,
        Scheme::CoinbaseExchangeHmac,
        Scheme::CoinbaseAdvancedJwtEs256,
        Scheme::CoinbaseAdvancedJwtEd25519,
        Scheme::OkxHmac,
        Scheme::BybitHmac,
    ];

    /// The stable name (stored with credentials; never change one).
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::BinanceHmac => "binance_hmac",
            Scheme::BinanceEd25519 => "binance_ed25519",
            Scheme::KrakenHmac => "kraken_hmac",
            Scheme::CoinbaseExchangeHmac => "coinbase_exchange_hmac",
            Scheme::CoinbaseAdvancedJwtEs256 => "coinbase_advanced_jwt_es256",
            Scheme::CoinbaseAdvancedJwtEd25519 => "coinbase_advanced_jwt_ed25519",
            Scheme::OkxHmac => "okx_hmac",
            Scheme::BybitHmac => "bybit_hmac",
        }
    }

    /// The scheme a credential for `venue` gets when none is named. For Coinbase that is the
    /// Advanced Trade ES256 JWT: the keys Coinbase issues today.
    pub fn default_for(venue: Venue) -> Scheme {
        match venue {
            Venue::Binance | Venue::Sim => Scheme::BinanceHmac,
            Venue::Kraken => Scheme::KrakenHmac,
            Venue::Coinbase => Scheme::CoinbaseAdvancedJwtEs256,
            Venue::Okx => Scheme::OkxHmac,
            Venue::Bybit => Scheme::BybitHmac,
        }
    }

    /// Whether this scheme signs requests for `venue` (the simulator speaks Binance's dialect).
    pub fn supports(self, venue: Venue) -> bool {
        match self {
            Scheme::BinanceHmac | Scheme::BinanceEd25519 => {
                matches!(venue, Venue::Binance | Venue::Sim)
            }
            Scheme::KrakenHmac => venue == Venue::Kraken,
            Scheme::CoinbaseExchangeHmac
            | Scheme::CoinbaseAdvancedJwtEs256
            | Scheme::CoinbaseAdvancedJwtEd25519 => venue == Venue::Coinbase,
            Scheme::OkxHmac => venue == Venue::Okx,
            Scheme::BybitHmac => venue == Venue::Bybit,
        }
    }

    /// Whether credentials of this scheme carry a passphrase.
    pub fn needs_passphrase(self) -> bool {
        matches!(self, Scheme::CoinbaseExchangeHmac | Scheme::OkxHmac)
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scheme {
    type Err = UnknownScheme;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scheme::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| UnknownScheme(s.to_owned()))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_defaults_support_their_venue() {
        for s in Scheme::ALL {
            assert_eq!(s.as_str().parse::<Scheme>().unwrap(), s);
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
        }
        assert!("hmac".parse::<Scheme>().is_err());
        for v in Venue::ALL {
            assert!(Scheme::default_for(v).supports(v), "{v}");
        }
        assert!(!Scheme::KrakenHmac.supports(Venue::Binance));
        assert!(Scheme::BinanceEd25519.supports(Venue::Sim));
    }
}
