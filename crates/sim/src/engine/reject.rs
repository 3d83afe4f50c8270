//! Why the engine refused a request, mapped to Binance's error code and message.
//!
//! Binance answers `{"code": <i32>, "msg": "<text>"}`; clients match on both, so the texts
//! below are Binance's own, byte for byte.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A symbol filter that an order failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FilterKind {
    /// Price out of range or not a multiple of the tick size.
    PriceFilter,
    /// Quantity out of range or not a multiple of the step size.
    LotSize,
    /// Notional (price × quantity) below the minimum (`NOTIONAL` filter).
    Notional,
    /// Notional below the minimum, legacy `MIN_NOTIONAL` filter name.
    MinNotional,
    /// A MARKET order's quantity out of range (`MARKET_LOT_SIZE`).
    MarketLotSize,
}

impl FilterKind {
    /// The filter's name as Binance spells it in exchangeInfo and in error messages.
    pub fn as_str(self) -> &'static str {
        match self {
            FilterKind::PriceFilter => "PRICE_FILTER",
            FilterKind::LotSize => "LOT_SIZE",
            FilterKind::Notional => "NOTIONAL",
            FilterKind::MinNotional => "MIN_NOTIONAL",
            FilterKind::MarketLotSize => "MARKET_LOT_SIZE",
        }
    }
}

/// A refused request. `binance_code` and `binance_msg` give the exact wire error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RejectReason {
    /// -1121 "Invalid symbol."
    InvalidSymbol,
    /// -1013 "Filter failure: <FILTER>"
    FilterFailure(FilterKind),
    /// -2010 "Account has insufficient balance for requested action."
    InsufficientBalance,
    /// -2010 "Order would immediately match and take." (LIMIT_MAKER that would cross).
    WouldMatchAndTake,
    /// -2010 "Stop price would trigger immediately."
    StopWouldTriggerImmediately,
    /// -2010 "Duplicate order sent." (newClientOrderId already used by an open order).
    DuplicateOrder,
    /// -2011 "Unknown order sent." (cancel of an order that is not open or does not exist).
    UnknownOrderOnCancel,
    /// -2013 "Order does not exist." (query).
    OrderDoesNotExist,
    /// -1102 "Mandatory parameter '<p>' was not sent, was empty/null, or malformed."
    MandatoryParamMissing(&'static str),
    /// -1106 "Parameter '<p>' sent when not required."
    ParamNotRequired(&'static str),
    /// -1102 "Param '<p>' or '<q>' must be sent, but both were empty/null!"
    OneOfParamsRequired(&'static str, &'static str),
    /// -1128 "Combination of optional parameters invalid."
    InvalidParamCombination,
    /// -1100 "Illegal characters found in parameter '<p>'; legal range is '<range>'."
    IllegalChars(&'static str, &'static str),
    /// -1013 "Invalid quantity." (zero, negative or too many decimals for the step).
    InvalidQuantity,
    /// -1013 "Invalid price."
    InvalidPrice,
    /// -2010 "This account may not place or cancel orders."
    TradingDisabled,
    /// -2010 "Market is closed." (no liquidity at all for a market order). Unused by the
    /// matching core today (such orders EXPIRE like Binance's), kept for the API layer.
    MarketClosed,
    /// -1000 "An unknown error occurred while processing the request." (an internal invariant
    /// failed; the engine state was left unchanged).
    Internal,
}

impl RejectReason {
    /// Binance's numeric error code.
    pub fn binance_code(&self) -> i32 {
        use RejectReason::*;
        match self {
            InvalidSymbol => -1121,
            FilterFailure(_) | InvalidQuantity | InvalidPrice => -1013,
            InsufficientBalance
            | WouldMatchAndTake
            | StopWouldTriggerImmediately
            | DuplicateOrder
            | TradingDisabled
            | MarketClosed => -2010,
            UnknownOrderOnCancel => -2011,
            OrderDoesNotExist => -2013,
            MandatoryParamMissing(_) | OneOfParamsRequired(..) => -1102,
            ParamNotRequired(_) => -1106,
            InvalidParamCombination => -1128,
            IllegalChars(..) => -1100,
            Internal => -1000,
        }
    }

    /// Binance's message text.
    pub fn binance_msg(&self) -> String {
        use RejectReason::*;
        match self {
            InvalidSymbol => "Invalid symbol.".into(),
            FilterFailure(f) => format!("Filter failure: {}", f.as_str()),
            InsufficientBalance => "Account has insufficient balance for requested action.".into(),
            WouldMatchAndTake => "Order would immediately match and take.".into(),
            StopWouldTriggerImmediately => "Stop price would trigger immediately.".into(),
            DuplicateOrder => "Duplicate order sent.".into(),
            UnknownOrderOnCancel => "Unknown order sent.".into(),
            OrderDoesNotExist => "Order does not exist.".into(),
            MandatoryParamMissing(p) => {
                format!("Mandatory parameter '{p}' was not sent, was empty/null, or malformed.")
            }
            ParamNotRequired(p) => format!("Parameter '{p}' sent when not required."),
            OneOfParamsRequired(a, b) => {
                format!("Param '{a}' or '{b}' must be sent, but both were empty/null!")
            }
            InvalidParamCombination => "Combination of optional parameters invalid.".into(),
            IllegalChars(p, range) => {
                format!("Illegal characters found in parameter '{p}'; legal range is '{range}'.")
            }
            InvalidQuantity => "Invalid quantity.".into(),
            InvalidPrice => "Invalid price.".into(),
            TradingDisabled => "This account may not place or cancel orders.".into(),
            MarketClosed => "Market is closed.".into(),
            Internal => "An unknown error occurred while processing the request.".into(),
        }
    }
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.binance_code(), self.binance_msg())
    }
}

impl std::error::Error for RejectReason {}

/// A configuration the engine cannot run with; names the offending field.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid sim engine config: {0}")]
pub struct ConfigError(pub String);
