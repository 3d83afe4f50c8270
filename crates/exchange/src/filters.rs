//! Exchange filters: a symbol's tick size, step size and notional bounds, applied before an
//! order is sent so a bad order fails here with a clear message instead of at the venue.
//!
//! The rules follow Binance's definitions (filters.md): a zero bound disables that rule;
//! `(price - minPrice) % tickSize == 0`; `(quantity - minQty) % stepSize == 0`; notional is
//! `price × quantity`. All arithmetic is checked: venue-supplied bounds are untrusted input.

use rust_decimal::{Decimal, RoundingStrategy};

use crate::types::OrderKind;

/// One symbol's filters. `None` (or zero, from the venue) means the rule is off.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SymbolFilters {
    /// Price increment.
    pub tick_size: Option<Decimal>,
    /// Lowest price.
    pub min_price: Option<Decimal>,
    /// Highest price.
    pub max_price: Option<Decimal>,
    /// Quantity increment.
    pub step_size: Option<Decimal>,
    /// Smallest quantity.
    pub min_qty: Option<Decimal>,
    /// Largest quantity.
    pub max_qty: Option<Decimal>,
    /// Quantity increment for market orders (falls back to `step_size`).
    pub market_step_size: Option<Decimal>,
    /// Smallest market-order quantity.
    pub market_min_qty: Option<Decimal>,
    /// Largest market-order quantity.
    pub market_max_qty: Option<Decimal>,
    /// Smallest notional (price × quantity).
    pub min_notional: Option<Decimal>,
    /// Whether `min_notional` also applies to market orders.
    pub min_notional_applies_to_market: bool,
    /// Largest notional.
    pub max_notional: Option<Decimal>,
}

/// Which way to round onto a grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rounding {
    /// Towards negative infinity (a buy price that must not exceed a limit; any quantity
    /// that must not exceed a balance).
    Down,
    /// Towards positive infinity (a sell price that must not go below a limit).
    Up,
    /// To the nearest grid point (ties away from zero).
    Nearest,
}

/// An order breaks a filter. Values are the caller's own order values and the venue's
/// published rules; nothing secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FilterError {
    /// Price, quantity or notional is zero or negative.
    #[error("{what} must be positive, got {value}")]
    NotPositive {
        /// Which value.
        what: &'static str,
        /// Its value.
        value: Decimal,
    },
    /// Price is not on the tick grid.
    #[error(
        "price {price} is not a multiple of the tick size {tick} (from {min}); round it first"
    )]
    PriceOffTick {
        /// The price.
        price: Decimal,
        /// Tick size.
        tick: Decimal,
        /// Grid origin (minimum price).
        min: Decimal,
    },
    /// Price below the minimum.
    #[error("price {price} is below the minimum price {min}")]
    PriceTooLow {
        /// The price.
        price: Decimal,
        /// Minimum.
        min: Decimal,
    },
    /// Price above the maximum.
    #[error("price {price} is above the maximum price {max}")]
    PriceTooHigh {
        /// The price.
        price: Decimal,
        /// Maximum.
        max: Decimal,
    },
    /// Quantity not on the step grid.
    #[error(
        "quantity {qty} is not a multiple of the step size {step} (from {min}); round it first"
    )]
    QuantityOffStep {
        /// The quantity.
        qty: Decimal,
        /// Step size.
        step: Decimal,
        /// Grid origin (minimum quantity).
        min: Decimal,
    },
    /// Quantity below the minimum.
    #[error("quantity {qty} is below the minimum quantity {min}")]
    QuantityTooSmall {
        /// The quantity.
        qty: Decimal,
        /// Minimum.
        min: Decimal,
    },
    /// Quantity above the maximum.
    #[error("quantity {qty} is above the maximum quantity {max}")]
    QuantityTooLarge {
        /// The quantity.
        qty: Decimal,
        /// Maximum.
        max: Decimal,
    },
    /// Notional below the minimum.
    #[error("order value {notional} is below the minimum notional {min}")]
    NotionalTooSmall {
        /// price × quantity.
        notional: Decimal,
        /// Minimum.
        min: Decimal,
    },
    /// Notional above the maximum.
    #[error("order value {notional} is above the maximum notional {max}")]
    NotionalTooLarge {
        /// price × quantity.
        notional: Decimal,
        /// Maximum.
        max: Decimal,
    },
    /// Arithmetic overflowed (absurd values).
    #[error("{what} is out of range")]
    OutOfRange {
        /// Which computation.
        what: &'static str,
    },
    /// The venue does not list the symbol.
    #[error("the venue lists no symbol {0}")]
    UnknownSymbol(String),
    /// The venue lists the symbol but does not trade it now.
    #[error("{0} is not trading at the venue now")]
    NotTrading(String),
}

/// A rule value: zero means "off".
fn on(v: Option<Decimal>) -> Option<Decimal> {
    v.filter(|d| !d.is_zero())
}

/// Whether `value` lies on the grid `origin + k × step`.
fn on_grid(value: Decimal, origin: Decimal, step: Decimal) -> Result<bool, FilterError> {
    let offset = value.checked_sub(origin).ok_or(FilterError::OutOfRange {
        what: "grid offset",
    })?;
    let rem = offset.checked_rem(step).ok_or(FilterError::OutOfRange {
        what: "grid remainder",
    })?;
    Ok(rem.is_zero())
}

/// Rounds `value` onto `origin + k × step`.
fn round_to_grid(
    value: Decimal,
    origin: Decimal,
    step: Decimal,
    rounding: Rounding,
) -> Result<Decimal, FilterError> {
    let range = FilterError::OutOfRange { what: "rounding" };
    let steps = value
        .checked_sub(origin)
        .and_then(|o| o.checked_div(step))
        .ok_or(range.clone())?;
    let k = match rounding {
        Rounding::Down => steps.floor(),
        Rounding::Up => steps.ceil(),
        Rounding::Nearest => {
            steps.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
        }
    };
    let rounded = k
        .checked_mul(step)
        .and_then(|x| x.checked_add(origin))
        .ok_or(range)?;
    Ok(rounded.normalize())
}

impl SymbolFilters {
    /// `price` rounded onto the tick grid (unchanged when there is no tick rule).
    pub fn round_price(&self, price: Decimal, rounding: Rounding) -> Result<Decimal, FilterError> {
        match on(self.tick_size) {
            Some(tick) => round_to_grid(
                price,
                on(self.min_price).unwrap_or_default(),
                tick,
                rounding,
            ),
            None => Ok(price),
        }
    }

    /// `qty` rounded down onto the step grid (down: never more than the caller has).
    pub fn round_quantity(&self, qty: Decimal) -> Result<Decimal, FilterError> {
        match on(self.step_size) {
            Some(step) => round_to_grid(
                qty,
                on(self.min_qty).unwrap_or_default(),
                step,
                Rounding::Down,
            ),
            None => Ok(qty),
        }
    }

    /// Checks an order against every rule; the error names the first rule broken.
    pub fn check(&self, kind: &OrderKind) -> Result<(), FilterError> {
        match kind {
            OrderKind::Limit {
                price, quantity, ..
            }
            | OrderKind::LimitMaker { price, quantity } => {
                self.check_price(*price)?;
                self.check_qty(*quantity, false)?;
                let notional = price
                    .checked_mul(*quantity)
                    .ok_or(FilterError::OutOfRange { what: "notional" })?;
                self.check_notional(notional, true)
            }
            OrderKind::Market { quantity } => self.check_qty(*quantity, true),
            OrderKind::MarketQuote { quote_quantity } => {
                positive("quote quantity", *quote_quantity)?;
                self.check_notional(*quote_quantity, self.min_notional_applies_to_market)
            }
        }
    }

    fn check_price(&self, price: Decimal) -> Result<(), FilterError> {
        positive("price", price)?;
        let min = on(self.min_price);
        if let Some(min) = min {
            if price < min {
                return Err(FilterError::PriceTooLow { price, min });
            }
        }
        if let Some(max) = on(self.max_price) {
            if price > max {
                return Err(FilterError::PriceTooHigh { price, max });
            }
        }
        if let Some(tick) = on(self.tick_size) {
            let origin = min.unwrap_or_default();
            if !on_grid(price, origin, tick)? {
                return Err(FilterError::PriceOffTick {
                    price,
                    tick,
                    min: origin,
                });
            }
        }
        Ok(())
    }

    fn check_qty(&self, qty: Decimal, market: bool) -> Result<(), FilterError> {
        positive("quantity", qty)?;
        let (min, max, step) = if market {
            (
                on(self.market_min_qty).or(on(self.min_qty)),
                on(self.market_max_qty).or(on(self.max_qty)),
                on(self.market_step_size).or(on(self.step_size)),
            )
        } else {
            (on(self.min_qty), on(self.max_qty), on(self.step_size))
        };
        if let Some(min) = min {
            if qty < min {
                return Err(FilterError::QuantityTooSmall { qty, min });
            }
        }
        if let Some(max) = max {
            if qty > max {
                return Err(FilterError::QuantityTooLarge { qty, max });
            }
        }
        if let Some(step) = step {
            let origin = min.unwrap_or_default();
            if !on_grid(qty, origin, step)? {
                return Err(FilterError::QuantityOffStep {
                    qty,
                    step,
                    min: origin,
                });
            }
        }
        Ok(())
    }

    fn check_notional(&self, notional: Decimal, apply_min: bool) -> Result<(), FilterError> {
        if apply_min {
            if let Some(min) = on(self.min_notional) {
                if notional < min {
                    return Err(FilterError::NotionalTooSmall { notional, min });
                }
            }
        }
        if let Some(max) = on(self.max_notional) {
            if notional > max {
                return Err(FilterError::NotionalTooLarge { notional, max });
            }
        }
        Ok(())
    }
}

fn positive(what: &'static str, value: Decimal) -> Result<(), FilterError> {
    if value <= Decimal::ZERO {
        Err(FilterError::NotPositive { what, value })
    } else {
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::types::TimeInForce;
    use rust_decimal_macros::dec;

    /// The sim's BTCUSDT rules (and Binance's own shape).
    fn btc() -> SymbolFilters {
        SymbolFilters {
            tick_size: Some(dec!(0.01)),
            min_price: Some(dec!(0.01)),
            max_price: Some(dec!(1000000)),
            step_size: Some(dec!(0.00001)),
            min_qty: Some(dec!(0.00001)),
            max_qty: Some(dec!(9000)),
            min_notional: Some(dec!(5)),
            min_notional_applies_to_market: true,
            ..Default::default()
        }
    }

    fn limit(price: Decimal, quantity: Decimal) -> OrderKind {
        OrderKind::Limit {
            price,
            quantity,
            time_in_force: TimeInForce::Gtc,
        }
    }

    #[test]
    fn valid_limit_order_passes() {
        assert_eq!(btc().check(&limit(dec!(50000.01), dec!(0.001))), Ok(()));
    }

    #[test]
    fn each_rule_gives_its_own_error() {
        let f = btc();
        assert!(matches!(
            f.check(&limit(dec!(50000.005), dec!(0.001))),
            Err(FilterError::PriceOffTick { .. })
        ));
        assert!(matches!(
            f.check(&limit(dec!(50000), dec!(0.000015))),
            Err(FilterError::QuantityOffStep { .. })
        ));
        assert!(matches!(
            f.check(&limit(dec!(100), dec!(0.01))),
            Err(FilterError::NotionalTooSmall { notional, min }) if notional == dec!(1) && min == dec!(5)
        ));
        assert!(matches!(
            f.check(&limit(dec!(2000000), dec!(0.01))),
            Err(FilterError::PriceTooHigh { .. })
        ));
        assert!(matches!(
            f.check(&limit(dec!(50000), dec!(10000))),
            Err(FilterError::QuantityTooLarge { .. })
        ));
        assert!(matches!(
            f.check(&limit(dec!(0), dec!(1))),
            Err(FilterError::NotPositive { what: "price", .. })
        ));
        assert!(matches!(
            f.check(&OrderKind::MarketQuote {
                quote_quantity: dec!(1)
            }),
            Err(FilterError::NotionalTooSmall { .. })
        ));
    }

    #[test]
    fn error_text_names_the_rule_and_values() {
        let e = btc()
            .check(&limit(dec!(50000.005), dec!(0.001)))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "price 50000.005 is not a multiple of the tick size 0.01 (from 0.01); round it first"
        );
    }

    #[test]
    fn grid_is_anchored_at_the_minimum() {
        // Binance: (price - minPrice) % tickSize == 0. With min 0.5 and tick 1, 1.5 is on the
        // grid and 1.0 is not.
        let f = SymbolFilters {
            tick_size: Some(dec!(1)),
            min_price: Some(dec!(0.5)),
            ..Default::default()
        };
        assert!(f.check_price(dec!(1.5)).is_ok());
        assert!(f.check_price(dec!(1.0)).is_err());
        assert_eq!(f.round_price(dec!(1.2), Rounding::Down).unwrap(), dec!(0.5));
        assert_eq!(f.round_price(dec!(1.2), Rounding::Up).unwrap(), dec!(1.5));
    }

    #[test]
    fn rounding_lands_on_the_grid() {
        let f = btc();
        assert_eq!(
            f.round_price(dec!(50000.006), Rounding::Down).unwrap(),
            dec!(50000)
        );
        assert_eq!(
            f.round_price(dec!(50000.006), Rounding::Up).unwrap(),
            dec!(50000.01)
        );
        assert_eq!(
            f.round_price(dec!(50000.005), Rounding::Nearest).unwrap(),
            dec!(50000.01)
        );
        assert_eq!(f.round_quantity(dec!(0.123456789)).unwrap(), dec!(0.12345));
        let rounded = f.round_quantity(dec!(0.0012399)).unwrap();
        assert!(f.check(&limit(dec!(50000), rounded)).is_ok());
    }

    #[test]
    fn zero_rules_are_off() {
        let f = SymbolFilters {
            tick_size: Some(Decimal::ZERO),
            step_size: Some(Decimal::ZERO),
            min_notional: Some(Decimal::ZERO),
            ..Default::default()
        };
        assert!(f
            .check(&limit(dec!(0.123456789), dec!(0.000000001)))
            .is_ok());
        assert_eq!(
            f.round_price(dec!(1.234), Rounding::Down).unwrap(),
            dec!(1.234)
        );
    }

    #[test]
    fn absurd_values_error_instead_of_panicking() {
        let f = SymbolFilters {
            tick_size: Some(dec!(0.0000000000000000000000000001)),
            ..Default::default()
        };
        let huge = Decimal::MAX;
        assert!(f.round_price(huge, Rounding::Nearest).is_err());
        assert!(btc().check(&limit(huge, huge)).is_err());
    }
}
