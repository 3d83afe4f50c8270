//! Binance's enum spellings, mapped onto Tradeward's types. Unknown values are errors: an
//! order state we do not understand must not be guessed.

use serde::Deserialize;
use tradeward_domain::Side;

use crate::types::{ExecutionType, OrderStatus, OrderType, TimeInForce};

/// `BUY` / `SELL`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum RawSide {
    Buy,
    Sell,
}

impl From<RawSide> for Side {
    fn from(s: RawSide) -> Self {
        match s {
            RawSide::Buy => Side::Buy,
            RawSide::Sell => Side::Sell,
        }
    }
}

/// The wire spelling of a side.
pub(crate) fn side_str(s: Side) -> &'static str {
    match s {
        Side::Buy => "BUY",
        Side::Sell => "SELL",
    }
}

/// The wire spelling of a time in force.
pub(crate) fn tif_str(t: TimeInForce) -> &'static str {
    match t {
        TimeInForce::Gtc => "GTC",
        TimeInForce::Ioc => "IOC",
        TimeInForce::Fok => "FOK",
    }
}

/// Order types.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum RawOrderType {
    Limit,
    LimitMaker,
    Market,
    StopLoss,
    StopLossLimit,
    TakeProfit,
    TakeProfitLimit,
}

impl From<RawOrderType> for OrderType {
    fn from(t: RawOrderType) -> Self {
        match t {
            RawOrderType::Limit => OrderType::Limit,
            RawOrderType::LimitMaker => OrderType::LimitMaker,
            RawOrderType::Market => OrderType::Market,
            RawOrderType::StopLoss => OrderType::StopLoss,
            RawOrderType::StopLossLimit => OrderType::StopLossLimit,
            RawOrderType::TakeProfit => OrderType::TakeProfit,
            RawOrderType::TakeProfitLimit => OrderType::TakeProfitLimit,
        }
    }
}

/// Order statuses.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum RawStatus {
    New,
    PendingNew,
    PartiallyFilled,
    Filled,
    Canceled,
    PendingCancel,
    Rejected,
    Expired,
    ExpiredInMatch,
}

impl From<RawStatus> for OrderStatus {
    fn from(s: RawStatus) -> Self {
        match s {
            RawStatus::New => OrderStatus::New,
            RawStatus::PendingNew => OrderStatus::PendingNew,
            RawStatus::PartiallyFilled => OrderStatus::PartiallyFilled,
            RawStatus::Filled => OrderStatus::Filled,
            RawStatus::Canceled => OrderStatus::Canceled,
            RawStatus::PendingCancel => OrderStatus::PendingCancel,
            RawStatus::Rejected => OrderStatus::Rejected,
            RawStatus::Expired => OrderStatus::Expired,
            RawStatus::ExpiredInMatch => OrderStatus::ExpiredInMatch,
        }
    }
}

/// Execution types of `executionReport`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum RawExecType {
    New,
    Canceled,
    Replaced,
    Rejected,
    Trade,
    Expired,
    TradePrevention,
    Amendment,
}

impl From<RawExecType> for ExecutionType {
    fn from(x: RawExecType) -> Self {
        match x {
            RawExecType::New => ExecutionType::New,
            RawExecType::Canceled => ExecutionType::Canceled,
            RawExecType::Replaced => ExecutionType::Replaced,
            RawExecType::Rejected => ExecutionType::Rejected,
            RawExecType::Trade => ExecutionType::Trade,
            RawExecType::Expired => ExecutionType::Expired,
            RawExecType::TradePrevention => ExecutionType::TradePrevention,
            RawExecType::Amendment => ExecutionType::Amendment,
        }
    }
}
