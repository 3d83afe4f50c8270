//! Markets as the trigger books see them: a venue and symbol, the venue's rules (tick, step,
//! minimum notional), and the exact conversion between `Decimal` prices and integer ticks.
//!
//! Inside the books every price is an `i64` count of ticks: comparisons are one instruction and
//! an index entry stays 16 bytes. The conversion is exact: a price that is not a whole number of
//! ticks is refused rather than rounded, because rounding would move a trigger level.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use tradeward_domain::{Symbol, Venue};

use crate::error::RulesError;
use crate::serde_text;

/// Largest tick count the books accept. Leaves headroom so `-level` and `level + offset`
/// can never overflow an `i64`.
pub(crate) const MAX_TICKS: i64 = 1 << 60;

/// A market: one symbol on one venue. Triggers on Binance BTC/USDT fire on Binance prices only.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MarketKey {
    /// The venue.
    #[serde(with = "serde_text")]
    pub venue: Venue,
    /// The trading pair, `BASE/QUOTE`.
    #[serde(with = "serde_text")]
    pub symbol: Symbol,
}

impl std::fmt::Display for MarketKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.venue, self.symbol)
    }
}

/// A dense handle for a registered market (its index in the books), for the hot price path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MarketId(pub(crate) u32);

impl MarketId {
    /// The handle's index (0-based, in registration order).
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// The venue's trading rules for a market, checked when a trigger is armed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketRules {
    /// Smallest price increment; every price is a whole multiple of it.
    pub tick_size: Decimal,
    /// Smallest quantity increment; every quantity is a whole positive multiple of it.
    pub step_size: Decimal,
    /// Smallest order value (quantity × price) the venue accepts; zero for none.
    pub min_notional: Decimal,
}

impl MarketRules {
    /// Checks the rules themselves: positive tick and step, non-negative minimum notional.
    pub fn check(&self) -> Result<(), RulesError> {
        if self.tick_size <= Decimal::ZERO {
            return Err(RulesError::TickSize(self.tick_size));
        }
        if self.step_size <= Decimal::ZERO {
            return Err(RulesError::StepSize(self.step_size));
        }
        if self.min_notional < Decimal::ZERO {
            return Err(RulesError::MinNotional(self.min_notional));
        }
        Ok(())
    }
}

/// Exact conversion between a decimal amount and a whole number of units (`unit` > 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Grid {
    unit: Decimal,
    /// The unit's mantissa and scale, cached for the fast path.
    mantissa: i128,
    scale: u32,
}

impl Grid {
    /// A grid of `unit` steps; the caller has checked `unit > 0`.
    pub(crate) fn new(unit: Decimal) -> Self {
        Self {
            unit,
            mantissa: unit.mantissa(),
            scale: unit.scale(),
        }
    }

    /// `value / unit` if it is a whole number within ±[`MAX_TICKS`], else `None`.
    pub(crate) fn to_units(self, value: Decimal) -> Option<i64> {
        let (m, s) = (value.mantissa(), value.scale());
        // value / unit = (m / 10^s) / (um / 10^us) = m * 10^(us - s) / um
        let (num, den) = if s <= self.scale {
            (
                m.checked_mul(10i128.checked_pow(self.scale - s)?)?,
                self.mantissa,
            )
        } else {
            (
                m,
                self.mantissa
                    .checked_mul(10i128.checked_pow(s - self.scale)?)?,
            )
        };
        if den == 0 || num % den != 0 {
            return None;
        }
        let units = i64::try_from(num / den).ok()?;
        (-MAX_TICKS..=MAX_TICKS).contains(&units).then_some(units)
    }

    /// `units × unit` as a decimal.
    pub(crate) fn to_decimal(self, units: i64) -> Decimal {
        (Decimal::from(units) * self.unit).normalize()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn converts_exact_multiples_only() {
        let g = Grid::new(dec!(0.01));
        assert_eq!(g.to_units(dec!(123.45)), Some(12345));
        assert_eq!(g.to_units(dec!(123.4)), Some(12340));
        assert_eq!(g.to_units(dec!(123.450000)), Some(12345));
        assert_eq!(g.to_units(dec!(123.455)), None);
        let half = Grid::new(dec!(0.5));
        assert_eq!(half.to_units(dec!(10.5)), Some(21));
        assert_eq!(half.to_units(dec!(10.25)), None);
        assert_eq!(half.to_decimal(21), dec!(10.5));
        let big = Grid::new(dec!(5));
        assert_eq!(big.to_units(dec!(15)), Some(3));
        assert_eq!(big.to_units(dec!(16)), None);
    }

    #[test]
    fn refuses_out_of_range() {
        let g = Grid::new(dec!(0.00000001));
        assert_eq!(g.to_units(dec!(100000000000000)), None);
    }

    #[test]
    fn rules_check_names_the_bad_field() {
        let rules = MarketRules {
            tick_size: dec!(0),
            step_size: dec!(1),
            min_notional: dec!(0),
        };
        assert!(rules.check().unwrap_err().to_string().contains("tick size"));
    }
}
