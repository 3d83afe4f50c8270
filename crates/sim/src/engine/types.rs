//! Small vocabulary types of the exchange: sides, order types, statuses, ids.
//!
//! Each enum serializes to Binance's SCREAMING_CASE spelling and offers `as_str`/`parse` so the
//! API layer can map wire strings without a second table.

use serde::{Deserialize, Serialize};

/// An account inside the engine (a dense index). The server maps API keys to these.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AccountId(pub u32);

impl AccountId {
    pub(crate) fn idx(self) -> usize {
        self.0 as usize
    }
}

macro_rules! wire_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident => $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vm])* #[serde(rename = $s)] $v),+
        }
        impl $name {
            /// Binance's spelling.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$v => $s),+ }
            }
            /// Parses Binance's spelling (exact, case-sensitive like Binance).
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some(Self::$v),)+ _ => None }
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_enum!(
    /// Order side.
    Side { Buy => "BUY", Sell => "SELL" }
);

impl Side {
    /// The other side.
    pub fn opposite(self) -> Side {
        match self {
            Side::Buy => Side::Sell,
            Side::Sell => Side::Buy,
        }
    }
}

wire_enum!(
    /// Binance Spot order types.
    OrderType {
        Limit => "LIMIT",
        Market => "MARKET",
        StopLoss => "STOP_LOSS",
        StopLossLimit => "STOP_LOSS_LIMIT",
        TakeProfit => "TAKE_PROFIT",
        TakeProfitLimit => "TAKE_PROFIT_LIMIT",
        LimitMaker => "LIMIT_MAKER",
    }
);

impl OrderType {
    /// True for the four exchange-held conditional types.
    pub fn is_stop(self) -> bool {
        matches!(
            self,
            OrderType::StopLoss
                | OrderType::StopLossLimit
                | OrderType::TakeProfit
                | OrderType::TakeProfitLimit
        )
    }

    /// True when the order carries a limit price (LIMIT, LIMIT_MAKER, *_LIMIT).
    pub fn has_limit_price(self) -> bool {
        matches!(
            self,
            OrderType::Limit
                | OrderType::LimitMaker
                | OrderType::StopLossLimit
                | OrderType::TakeProfitLimit
        )
    }
}

wire_enum!(
    /// Time in force.
    TimeInForce { Gtc => "GTC", Ioc => "IOC", Fok => "FOK" }
);

wire_enum!(
    /// Order status as Binance reports it.
    OrderStatus {
        New => "NEW",
        PartiallyFilled => "PARTIALLY_FILLED",
        Filled => "FILLED",
        Canceled => "CANCELED",
        Rejected => "REJECTED",
        Expired => "EXPIRED",
        ExpiredInMatch => "EXPIRED_IN_MATCH",
    }
);

impl OrderStatus {
    /// True while the order can still trade (NEW or PARTIALLY_FILLED).
    pub fn is_open(self) -> bool {
        matches!(self, OrderStatus::New | OrderStatus::PartiallyFilled)
    }
}

wire_enum!(
    /// Execution type of an `executionReport` (user data stream).
    ExecutionType {
        New => "NEW",
        Canceled => "CANCELED",
        Replaced => "REPLACED",
        Rejected => "REJECTED",
        Trade => "TRADE",
        Expired => "EXPIRED",
        TradePrevention => "TRADE_PREVENTION",
    }
);

/// Kline intervals Binance supports from 1 minute to 1 day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KlineInterval {
    /// 1m
    #[serde(rename = "1m")]
    M1,
    /// 3m
    #[serde(rename = "3m")]
    M3,
    /// 5m
    #[serde(rename = "5m")]
    M5,
    /// 15m
    #[serde(rename = "15m")]
    M15,
    /// 30m
    #[serde(rename = "30m")]
    M30,
    /// 1h
    #[serde(rename = "1h")]
    H1,
    /// 2h
    #[serde(rename = "2h")]
    H2,
    /// 4h
    #[serde(rename = "4h")]
    H4,
    /// 6h
    #[serde(rename = "6h")]
    H6,
    /// 8h
    #[serde(rename = "8h")]
    H8,
    /// 12h
    #[serde(rename = "12h")]
    H12,
    /// 1d
    #[serde(rename = "1d")]
    D1,
}

impl KlineInterval {
    /// Every supported interval.
    pub const ALL: [KlineInterval; 12] = [
        Self::M1,
        Self::M3,
        Self::M5,
        Self::M15,
        Self::M30,
        Self::H1,
        Self::H2,
        Self::H4,
        Self::H6,
        Self::H8,
        Self::H12,
        Self::D1,
    ];

    /// Length in milliseconds.
    pub fn millis(self) -> u64 {
        const M: u64 = 60_000;
        match self {
            Self::M1 => M,
            Self::M3 => 3 * M,
            Self::M5 => 5 * M,
            Self::M15 => 15 * M,
            Self::M30 => 30 * M,
            Self::H1 => 60 * M,
            Self::H2 => 120 * M,
            Self::H4 => 240 * M,
            Self::H6 => 360 * M,
            Self::H8 => 480 * M,
            Self::H12 => 720 * M,
            Self::D1 => 1440 * M,
        }
    }

    /// Binance's spelling ("1m", "1h", "1d"...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::M1 => "1m",
            Self::M3 => "3m",
            Self::M5 => "5m",
            Self::M15 => "15m",
            Self::M30 => "30m",
            Self::H1 => "1h",
            Self::H2 => "2h",
            Self::H4 => "4h",
            Self::H6 => "6h",
            Self::H8 => "8h",
            Self::H12 => "12h",
            Self::D1 => "1d",
        }
    }

    /// Parses Binance's spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|i| i.as_str() == s)
    }
}
