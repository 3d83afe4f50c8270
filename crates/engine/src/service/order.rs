//! The order a fired trigger decided on, as stored with the trigger before it is sent, so
//! that a retry after a restart sends exactly what was decided under the same client order id.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use tradeward_domain::{Side, Symbol};
use tradeward_exchange::{ClientOrderId, OrderKind, OrderRequest, TimeInForce};

use crate::event::{Fired, OrderToPlace};
use crate::spec::TriggerId;

/// A decided order: side, quantity and limit price (None for a market order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecidedOrder {
    /// `buy` or `sell`.
    pub side: String,
    /// Base quantity.
    pub quantity: Decimal,
    /// Limit price; None for a market order.
    pub limit: Option<Decimal>,
}

impl DecidedOrder {
    /// The order a fired leg asks for.
    pub fn from_fired(f: &Fired) -> Self {
        Self {
            side: match f.side {
                Side::Buy => "buy".into(),
                Side::Sell => "sell".into(),
            },
            quantity: f.quantity,
            limit: match f.order {
                OrderToPlace::Market => None,
                OrderToPlace::Limit { price } => Some(price),
            },
        }
    }

    /// The venue request for `symbol` under `id`.
    pub fn request(&self, symbol: Symbol, id: ClientOrderId) -> Result<OrderRequest, String> {
        let side = match self.side.as_str() {
            "buy" => Side::Buy,
            "sell" => Side::Sell,
            other => return Err(format!("unknown side {other:?}")),
        };
        let kind = match self.limit {
            None => OrderKind::Market {
                quantity: self.quantity,
            },
            Some(price) => OrderKind::Limit {
                price,
                quantity: self.quantity,
                time_in_force: TimeInForce::Gtc,
            },
        };
        Ok(OrderRequest {
            symbol,
            side,
            kind,
            client_order_id: id,
        })
    }
}

/// The deterministic client order id of a trigger leg's order: the same trigger and leg always
/// give the same id, so a resend after a crash is recognisable (and refused as a duplicate).
pub fn client_order_id(trigger: TriggerId, leg: u8) -> ClientOrderId {
    ClientOrderId::derive("tradeward-trigger", &format!("{trigger}#{leg}"))
}
