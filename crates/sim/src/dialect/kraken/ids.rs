//! Kraken's spellings: order ids (`OU22CG-KLAF2-FWUDD7`), pair names and number formats.
//!
//! Kraken order ids are 16 base32 characters after an `O`, grouped 5-5-6. The engine's order
//! ids are per market, so a sim txid packs the market's index (16 bits) and the engine's id
//! (64 bits) into those 80 bits: reversible, so `QueryOrders` and `CancelOrder`, which carry
//! no pair, find the order again.

use crate::engine::SymbolInfo;
use rust_decimal::Decimal;

const B32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// The txid of order `order_id` in market number `market`.
pub fn txid(market: usize, order_id: u64) -> String {
    let v: u128 = ((market as u128 & 0xffff) << 64) | u128::from(order_id);
    let mut chars = [0u8; 16];
    for (i, c) in chars.iter_mut().enumerate() {
        let shift = 5 * (15 - i);
        *c = B32[((v >> shift) & 31) as usize];
    }
    // Every byte comes from B32 (ASCII).
    let s = String::from_utf8_lossy(&chars);
    format!("O{}-{}-{}", &s[..5], &s[5..10], &s[10..])
}

/// (market number, engine order id) of a txid; `None` when it is not one of ours.
pub fn parse_txid(t: &str) -> Option<(usize, u64)> {
    let rest = t.strip_prefix('O')?;
    let b = rest.as_bytes();
    if b.len() != 18 || b[5] != b'-' || b[11] != b'-' {
        return None;
    }
    let mut v: u128 = 0;
    for &c in b.iter().filter(|c| **c != b'-') {
        let d = B32.iter().position(|x| *x == c)? as u128;
        v = (v << 5) | d;
    }
    Some(((v >> 64) as usize, v as u64))
}

/// The pair's WebSocket name, `BASE/QUOTE`.
pub fn wsname(s: &SymbolInfo) -> String {
    format!("{}/{}", s.base_asset, s.quote_asset)
}

/// The market a pair name refers to: the REST name (`BTCUSDT`, also the altname) or the
/// WebSocket name (`BTC/USDT`). Returns its index and info.
pub fn find_pair<'a>(symbols: &'a [SymbolInfo], name: &str) -> Option<(usize, &'a SymbolInfo)> {
    symbols
        .iter()
        .enumerate()
        .find(|(_, s)| s.symbol.as_str() == name || wsname(s) == name)
}

/// Decimal places of a step (`0.01` → 2).
pub fn decimals_of(step: Decimal) -> u32 {
    step.normalize().scale()
}

/// `d` with exactly `dp` decimals, as Kraken prints amounts.
pub fn fixed(d: Decimal, dp: u32) -> String {
    let mut r = d.round_dp(dp);
    r.rescale(dp);
    r.to_string()
}

/// A decimal as a JSON number (Kraken prints fee percentages and every WebSocket v2 amount
/// as numbers). Parsed from the decimal's own text: no arithmetic is done in floating point.
pub fn num(d: Decimal) -> serde_json::Value {
    serde_json::from_str(&d.normalize().to_string()).unwrap_or(serde_json::Value::Null)
}

/// Seconds since the epoch with 4 decimals (Kraken's `opentm`), from ms.
pub fn secs(ms: u64) -> f64 {
    ms as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn txids_round_trip_and_look_like_krakens() {
        for (m, id) in [(0usize, 1u64), (3, 987_654_321), (65_535, u64::MAX)] {
            let t = txid(m, id);
            assert_eq!(t.len(), 19, "{t}");
            assert!(t.starts_with('O'));
            assert_eq!(parse_txid(&t), Some((m, id)));
        }
        assert_eq!(txid(0, 1), "OAAAAA-AAAAA-AAAAAB");
        for bad in [
            "",
            "O",
            "OAAAAA-AAAAA-AAAAA1",
            "XAAAAA-AAAAA-AAAAAB",
            "OAAAAAAAAAAAAAAAAB",
        ] {
            assert_eq!(parse_txid(bad), None, "{bad}");
        }
    }

    #[test]
    fn fixed_formats_like_kraken() {
        use std::str::FromStr;
        assert_eq!(
            fixed(Decimal::from_str("1.25").unwrap_or_default(), 8),
            "1.25000000"
        );
        assert_eq!(fixed(Decimal::ZERO, 2), "0.00");
        assert_eq!(
            decimals_of(Decimal::from_str("0.00100").unwrap_or_default()),
            3
        );
    }
}
