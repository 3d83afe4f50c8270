//! Money: every price, quantity and notional is a `Decimal`, never a float.

use rust_decimal::Decimal;

/// A price in quote currency per unit of base currency.
pub type Price = Decimal;
/// An amount of base currency.
pub type Quantity = Decimal;
/// A value in quote currency (price × quantity).
pub type Notional = Decimal;
