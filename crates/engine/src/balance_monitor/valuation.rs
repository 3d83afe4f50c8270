//! Portfolio value in one quote currency from the latest market-data prices.
//!
//! Prices are kept per (venue, base, quote) from trades (the last price) or book tickers
//! (the mid). An asset is valued directly (`BTC/USDT`), through the inverse pair
//! (`USDT/EUR` for EUR in USDT), or not at all: then it is listed as unpriced rather than
//! counted as zero, so a missing market never silently shrinks a portfolio.

use std::collections::HashMap;
use std::sync::RwLock;

use rust_decimal::Decimal;
use tradeward_domain::{Symbol, Venue};
use tradeward_exchange::{Balance, MarketData, MarketEvent};

/// A portfolio's value in `quote`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortfolioValue {
    /// The currency of `total`.
    pub quote: String,
    /// Sum over priced assets of (free + locked) × price.
    pub total: Decimal,
    /// Assets with a non-zero balance and no price (not in `total`).
    pub unpriced: Vec<String>,
}

/// Latest prices, shared by every credential's valuation.
#[derive(Debug, Default)]
pub struct Prices {
    map: RwLock<HashMap<(Venue, String, String), Decimal>>,
}

impl Prices {
    /// Records the price of `symbol` on `venue`.
    pub fn set(&self, venue: Venue, symbol: &Symbol, price: Decimal) {
        if price <= Decimal::ZERO {
            return;
        }
        let key = (venue, symbol.base().to_owned(), symbol.quote().to_owned());
        let mut map = self.map.write().unwrap_or_else(|p| p.into_inner());
        map.insert(key, price);
    }

    /// Takes the price from a market event: a trade's price, a book ticker's mid.
    pub fn on_market_event(&self, e: &MarketEvent) {
        let price = match e.data {
            MarketData::Trade { price, .. } => price,
            MarketData::BookTicker { bid, ask, .. } => {
                if bid <= Decimal::ZERO || ask <= Decimal::ZERO {
                    return;
                }
                (bid + ask) / Decimal::TWO
            }
        };
        self.set(e.venue, &e.symbol, price);
    }

    fn get(&self, venue: Venue, base: &str, quote: &str) -> Option<Decimal> {
        let map = self.map.read().unwrap_or_else(|p| p.into_inner());
        map.get(&(venue, base.to_owned(), quote.to_owned()))
            .copied()
    }

    /// The price of one `asset` in `quote` on `venue`, if known.
    pub fn price_of(&self, venue: Venue, asset: &str, quote: &str) -> Option<Decimal> {
        if asset.eq_ignore_ascii_case(quote) {
            return Some(Decimal::ONE);
        }
        if let Some(p) = self.get(venue, asset, quote) {
            return Some(p);
        }
        let inverse = self.get(venue, quote, asset)?;
        Decimal::ONE.checked_div(inverse)
    }

    /// Values `balances` held on `venue` in `quote`.
    pub fn value(&self, venue: Venue, balances: &[Balance], quote: &str) -> PortfolioValue {
        let mut total = Decimal::ZERO;
        let mut unpriced = Vec::new();
        for b in balances {
            let amount = b.free + b.locked;
            if amount.is_zero() {
                continue;
            }
            match self
                .price_of(venue, &b.asset, quote)
                .and_then(|p| amount.checked_mul(p))
            {
                Some(v) => total += v,
                None => unpriced.push(b.asset.clone()),
            }
        }
        PortfolioValue {
            quote: quote.to_owned(),
            total,
            unpriced,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use rust_decimal_macros::dec;

    fn bal(asset: &str, free: Decimal, locked: Decimal) -> Balance {
        Balance {
            asset: asset.into(),
            free,
            locked,
        }
    }

    #[test]
    fn values_direct_inverse_and_unpriced() {
        let p = Prices::default();
        p.set(Venue::Sim, &"BTC/USDT".parse().unwrap(), dec!(50000));
        p.set(Venue::Sim, &"EUR/USDT".parse().unwrap(), dec!(1.25));
        p.set(Venue::Binance, &"ETH/USDT".parse().unwrap(), dec!(3000));
        let v = p.value(
            Venue::Sim,
            &[
                bal("BTC", dec!(0.5), dec!(0.25)),
                bal("USDT", dec!(100), dec!(50)),
                bal("EUR", dec!(8), dec!(0)),
                // Priced on another venue only: not used for this one.
                bal("ETH", dec!(1), dec!(0)),
                bal("DOGE", dec!(0), dec!(0)),
            ],
            "USDT",
        );
        assert_eq!(v.total, dec!(37660)); // 0.75·50000 + 150 + 8·1.25
        assert_eq!(v.unpriced, vec!["ETH".to_string()]);
        // USDT in EUR through the inverse pair.
        let e = p.value(Venue::Sim, &[bal("USDT", dec!(10), dec!(0))], "EUR");
        assert_eq!(e.total, dec!(8));
        assert!(e.unpriced.is_empty());
    }
}
