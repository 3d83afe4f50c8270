//! Orders as requested ([`NewOrder`]), as held by the exchange ([`Order`]) and their fills.

use super::text::ShortStr;
use super::types::{AccountId, OrderStatus, OrderType, Side, TimeInForce};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A new order request, already parsed from the wire (strings to enums and decimals).
/// The engine validates the combination of fields like Binance does.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewOrder {
    /// Symbol, e.g. "BTCUSDT".
    pub symbol: String,
    /// BUY or SELL.
    pub side: Side,
    /// Order type.
    pub order_type: OrderType,
    /// Required for LIMIT, STOP_LOSS_LIMIT, TAKE_PROFIT_LIMIT; rejected for others but LIMIT_MAKER
    /// (where it is implied GTC) and MARKET types.
    pub time_in_force: Option<TimeInForce>,
    /// Base quantity. MARKET needs this or `quote_order_qty`, every other type needs this.
    pub quantity: Option<Decimal>,
    /// MARKET only: quote amount to spend (BUY) or receive (SELL).
    pub quote_order_qty: Option<Decimal>,
    /// Limit price (LIMIT, LIMIT_MAKER, *_LIMIT).
    pub price: Option<Decimal>,
    /// Trigger price (STOP_LOSS*, TAKE_PROFIT*).
    pub stop_price: Option<Decimal>,
    /// Client order id; the engine generates one when absent.
    pub new_client_order_id: Option<String>,
}

impl NewOrder {
    /// A LIMIT GTC order.
    pub fn limit(symbol: &str, side: Side, qty: Decimal, price: Decimal) -> Self {
        Self {
            symbol: symbol.into(),
            side,
            order_type: OrderType::Limit,
            time_in_force: Some(TimeInForce::Gtc),
            quantity: Some(qty),
            quote_order_qty: None,
            price: Some(price),
            stop_price: None,
            new_client_order_id: None,
        }
    }

    /// A MARKET order by base quantity.
    pub fn market(symbol: &str, side: Side, qty: Decimal) -> Self {
        Self {
            symbol: symbol.into(),
            side,
            order_type: OrderType::Market,
            time_in_force: None,
            quantity: Some(qty),
            quote_order_qty: None,
            price: None,
            stop_price: None,
            new_client_order_id: None,
        }
    }

    /// A MARKET order by quote amount (`quoteOrderQty`).
    pub fn market_quote(symbol: &str, side: Side, quote_qty: Decimal) -> Self {
        Self {
            quantity: None,
            quote_order_qty: Some(quote_qty),
            ..Self::market(symbol, side, Decimal::ZERO)
        }
    }

    /// Sets the time in force.
    pub fn tif(mut self, tif: TimeInForce) -> Self {
        self.time_in_force = Some(tif);
        self
    }

    /// Sets the client order id.
    pub fn client_id(mut self, id: &str) -> Self {
        self.new_client_order_id = Some(id.into());
        self
    }
}

/// Selects an existing order: Binance accepts `orderId` or `origClientOrderId`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrderRef {
    /// By exchange order id.
    Id(u64),
    /// By client order id.
    ClientId(String),
}

/// An order as the exchange holds it: the fields of Binance's order JSON.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Order {
    /// Symbol.
    pub symbol: ShortStr,
    /// Per-symbol increasing id.
    pub order_id: u64,
    /// Owner.
    pub account: AccountId,
    /// Client order id (given or generated).
    pub client_order_id: ShortStr,
    /// Side.
    pub side: Side,
    /// Type.
    pub order_type: OrderType,
    /// Time in force (GTC for types that have none, like Binance reports).
    pub time_in_force: TimeInForce,
    /// Limit price, zero when none.
    pub price: Decimal,
    /// Requested base quantity (for a quote-quantity MARKET order, what was executed).
    pub orig_qty: Decimal,
    /// Executed base quantity.
    pub executed_qty: Decimal,
    /// Executed quote quantity (sum of price × qty of fills).
    pub cummulative_quote_qty: Decimal,
    /// Requested quote quantity (`quoteOrderQty`), zero when none.
    pub orig_quote_order_qty: Decimal,
    /// Trigger price, zero when none.
    pub stop_price: Decimal,
    /// Status.
    pub status: OrderStatus,
    /// Creation time (ms).
    pub time: u64,
    /// Last change (ms).
    pub update_time: u64,
    /// False while a stop order waits for its trigger.
    pub is_working: bool,
    /// When it started working (ms); 0 while a stop waits.
    pub working_time: u64,
    /// Quote (BUY) or base (SELL) currently locked for this order.
    pub(crate) locked: Decimal,
}

impl Order {
    /// Quantity still to execute.
    pub fn remaining_qty(&self) -> Decimal {
        super::dmath::sub(self.orig_qty, self.executed_qty)
    }
}

/// One execution of an order.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fill {
    /// Per-symbol trade id.
    pub trade_id: u64,
    /// Execution price.
    pub price: Decimal,
    /// Base quantity.
    pub qty: Decimal,
    /// price × qty.
    pub quote_qty: Decimal,
    /// Commission charged on the received asset.
    pub commission: Decimal,
    /// Asset of the commission.
    pub commission_asset: ShortStr,
    /// True when this order was the resting side.
    pub is_maker: bool,
}

/// A fill as `myTrades` reports it (the fill plus its order context).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccountTrade {
    /// Symbol.
    pub symbol: ShortStr,
    /// The order that traded.
    pub order_id: u64,
    /// Side of that order.
    pub side: Side,
    /// The fill.
    pub fill: Fill,
    /// Time (ms).
    pub time: u64,
}

/// The answer to a placed order: the order after the placement (FULL response type data)
/// and the events to push on WebSockets.
#[derive(Clone, Debug, PartialEq)]
pub struct OrderResult {
    /// The order as it stands now.
    pub order: Order,
    /// Fills of this order during the placement (empty for a resting or pending order).
    pub fills: Vec<Fill>,
    /// Events caused by the placement (including other accounts' fills and stops it set off).
    pub events: Vec<super::events::EngineEvent>,
}

/// Reusable output buffers of [`Engine::place_order_into`](super::Engine::place_order_into):
/// each placement appends its events and its own fills; the caller clears them between
/// operations and so keeps their allocations.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Output {
    /// Events of the operations, in order.
    pub events: Vec<super::events::EngineEvent>,
    /// Fills of the placed orders, in order.
    pub fills: Vec<Fill>,
}

impl Output {
    /// Empties both buffers, keeping their capacity.
    pub fn clear(&mut self) {
        self.events.clear();
        self.fills.clear();
    }
}
