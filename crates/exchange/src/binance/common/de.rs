//! Field deserializers: decimals from strings only, bounded in length, and validation
//! helpers whose errors name the field but never the value.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::de::{self, Visitor};
use serde::Deserializer;

use crate::error::ExchangeError;

/// Longest decimal text accepted (Binance prints at most ~30 characters).
const MAX_DECIMAL_LEN: usize = 64;

struct DecimalText;

impl Visitor<'_> for DecimalText {
    type Value = Decimal;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a decimal number in a string")
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Decimal, E> {
        if s.is_empty() || s.len() > MAX_DECIMAL_LEN {
            return Err(E::custom("decimal text is empty or too long"));
        }
        // Plain decimal notation only: digits, one optional leading '-', one '.'.
        let body = s.strip_prefix('-').unwrap_or(s);
        if body.is_empty()
            || !body.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            || body.bytes().filter(|b| *b == b'.').count() > 1
        {
            return Err(E::custom("not a plain decimal number"));
        }
        Decimal::from_str(s).map_err(|_| E::custom("decimal out of range"))
    }
}

/// A `Decimal` from a JSON string such as `"0.10000000"`.
pub(crate) fn dec<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    d.deserialize_str(DecimalText)
}

/// An optional `Decimal` (absent or `null` is `None`).
pub(crate) fn opt_dec<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    struct Opt;
    impl<'de> Visitor<'de> for Opt {
        type Value = Option<Decimal>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a decimal string or null")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            dec(d).map(Some)
        }
    }
    d.deserialize_option(Opt)
}

/// Fails unless `value >= 0`.
pub(crate) fn non_negative(
    what: &'static str,
    field: &str,
    value: Decimal,
) -> Result<Decimal, ExchangeError> {
    if value.is_sign_negative() && !value.is_zero() {
        Err(ExchangeError::malformed(
            what,
            format!("`{field}` is negative"),
        ))
    } else {
        Ok(value)
    }
}

/// Fails unless `s` is 1..=`max` printable ASCII characters (ids, asset codes, symbols).
pub(crate) fn short_text(
    what: &'static str,
    field: &str,
    s: &str,
    max: usize,
) -> Result<(), ExchangeError> {
    if s.is_empty() || s.len() > max || !s.bytes().all(|b| b.is_ascii_graphic()) {
        Err(ExchangeError::malformed(
            what,
            format!("`{field}` is empty, too long or not printable ASCII"),
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[derive(serde::Deserialize, Debug)]
    struct T {
        #[serde(deserialize_with = "super::dec")]
        v: Decimal,
    }

    fn parse(json: &str) -> Result<Decimal, serde_json::Error> {
        serde_json::from_str::<T>(json).map(|t| t.v)
    }

    #[test]
    fn accepts_binance_decimal_strings() {
        assert_eq!(parse(r#"{"v":"0.10000000"}"#).unwrap(), dec!(0.1));
        assert_eq!(parse(r#"{"v":"-1.5"}"#).unwrap(), dec!(-1.5));
        assert_eq!(parse(r#"{"v":"100"}"#).unwrap(), dec!(100));
    }

    #[test]
    fn refuses_floats_exponents_and_oversized_numbers() {
        for bad in [
            r#"{"v":0.1}"#,
            r#"{"v":"1e5"}"#,
            r#"{"v":"NaN"}"#,
            r#"{"v":""}"#,
            r#"{"v":"1.2.3"}"#,
            r#"{"v":"--1"}"#,
            r#"{"v":"1_000"}"#,
            r#"{"v":"99999999999999999999999999999999"}"#,
            r#"{"v":null}"#,
            r#"{"v":true}"#,
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        let long = format!(r#"{{"v":"{}"}}"#, "1".repeat(100));
        assert!(parse(&long).is_err());
    }
}
