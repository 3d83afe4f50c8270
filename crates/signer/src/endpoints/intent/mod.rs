//! What a trade-class request would do: symbol, side, amounts and order type, read from its
//! parameters or JSON body so the signer can check the credential's symbol and notional limits
//! before signing.
//!
//! Parsing is strict on purpose. A parameter given twice, a number that is not a plain decimal
//! string, or an order shape the policy cannot value is an error, and the signer refuses: a
//! request the venue could read differently from us must never be signed.

mod binance;
mod coinbase;
mod json;
mod kraken;
mod okx_bybit;
mod params;

use rust_decimal::Decimal;
use tradeward_domain::{Side, Venue};

use super::{classify, EndpointClass};
use crate::schemes::UnsignedRequest;

/// A trade request's economic content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradeIntent {
    /// The symbol in the venue's spelling (`BTCUSDT`, `XBTUSD`, `BTC-USD`).
    pub symbol: String,
    /// Buy or sell.
    pub side: Side,
    /// Amount of base asset, if the order is sized in base.
    pub quantity: Option<Decimal>,
    /// The highest price the order names (limit, stop or trigger price), for a conservative
    /// notional; `None` for market orders.
    pub price: Option<Decimal>,
    /// Amount of quote asset, if the order is sized in quote (Binance `quoteOrderQty`,
    /// Coinbase `quote_size` / `funds`, Kraken `viqc`, OKX / Bybit market buys in quote).
    pub quote_quantity: Option<Decimal>,
    /// The order type in the venue's spelling (`LIMIT`, `limit`, `limit_limit_gtc`, ...).
    pub order_type: String,
}

/// Why a trade request's intent could not be read. Messages name the parameter and quote at
/// most a short prefix of its value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EndpointError {
    /// The request is not a trade-class endpoint of the venue.
    #[error("{method} {path} is not an order endpoint of {venue}")]
    NotATradeEndpoint {
        /// Venue.
        venue: Venue,
        /// Method.
        method: &'static str,
        /// Path (truncated).
        path: String,
    },
    /// The order shape exists but the policy cannot value it, so it is refused.
    #[error("{0} (not supported by the signer's policy)")]
    Unsupported(String),
    /// A required parameter is absent.
    #[error("missing parameter `{0}`")]
    Missing(String),
    /// A parameter is present but unusable.
    #[error("parameter `{name}` {reason}")]
    Invalid {
        /// The parameter.
        name: String,
        /// What is wrong (may quote a short prefix of the value).
        reason: String,
    },
    /// A parameter appears more than once: the venue might read another copy than we do.
    #[error("parameter `{0}` is given more than once")]
    Duplicate(String),
    /// The body is of the wrong kind or not well-formed.
    #[error("request body: {0}")]
    Body(String),
}

impl EndpointError {
    pub(crate) fn invalid(name: &str, reason: impl Into<String>) -> Self {
        EndpointError::Invalid {
            name: name.to_owned(),
            reason: reason.into(),
        }
    }
}

/// Reads the intent of a trade-class request on `venue`.
pub fn trade_intent(venue: Venue, req: &UnsignedRequest) -> Result<TradeIntent, EndpointError> {
    if classify(venue, req.method, &req.path) != EndpointClass::Trade {
        return Err(EndpointError::NotATradeEndpoint {
            venue,
            method: req.method.as_str(),
            path: req.path.chars().take(100).collect(),
        });
    }
    match venue {
        Venue::Binance | Venue::Sim => binance::intent(req),
        Venue::Kraken => kraken::intent(req),
        Venue::Coinbase => coinbase::intent(req),
        Venue::Okx => okx_bybit::okx_intent(req),
        Venue::Bybit => okx_bybit::bybit_intent(req),
    }
}
