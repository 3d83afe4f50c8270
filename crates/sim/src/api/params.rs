//! [`Params`]: a request's parameters from the query string and the form body, with
//! Binance's rules: a name sent twice is -1101, the query wins over the body, empty values
//! count as absent, and typed getters answer -1100/-1102 in Binance's words.

use super::error::ApiError;
use rust_decimal::Decimal;
use std::str::FromStr;

const DECIMAL_RANGE: &str = "^([0-9]{1,20})(\\.[0-9]{1,20})?$";
const INTEGER_RANGE: &str = "^[0-9]{1,20}$";
const SYMBOL_RANGE: &str = "^[A-Z0-9-_.]{1,20}$";

/// Parsed parameters.
#[derive(Clone, Debug, Default)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Parses the raw query and form body.
    pub fn parse(query: &str, body: &[u8]) -> Result<Self, ApiError> {
        let q = parse_form(query.as_bytes())?;
        let b = parse_form(body)?;
        let mut pairs = q;
        for (k, v) in b {
            if !pairs.iter().any(|(pk, _)| *pk == k) {
                pairs.push((k, v));
            }
        }
        Ok(Self { pairs })
    }

    /// A non-empty value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    /// True when the parameter was sent (even empty).
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// A mandatory value (-1102 when missing).
    pub fn req(&self, name: &str) -> Result<&str, ApiError> {
        self.get(name).ok_or_else(|| ApiError::mandatory(name))
    }

    /// An optional decimal (-1100 when not of Binance's decimal grammar).
    pub fn decimal(&self, name: &str) -> Result<Option<Decimal>, ApiError> {
        let Some(v) = self.get(name) else {
            return Ok(None);
        };
        if !is_decimal(v) {
            return Err(ApiError::illegal(name, DECIMAL_RANGE));
        }
        Decimal::from_str(v)
            .map(Some)
            .map_err(|_| ApiError::illegal(name, DECIMAL_RANGE))
    }

    /// An optional unsigned integer (-1100 when not digits).
    pub fn uint(&self, name: &str) -> Result<Option<u64>, ApiError> {
        let Some(v) = self.get(name) else {
            return Ok(None);
        };
        if v.is_empty() || v.len() > 20 || !v.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ApiError::illegal(name, INTEGER_RANGE));
        }
        v.parse::<u64>()
            .map(Some)
            .map_err(|_| ApiError::illegal(name, INTEGER_RANGE))
    }

    /// A mandatory unsigned integer.
    pub fn req_uint(&self, name: &str) -> Result<u64, ApiError> {
        self.uint(name)?.ok_or_else(|| ApiError::mandatory(name))
    }

    /// An optional symbol, uppercase-checked like Binance (-1100); existence is the engine's job.
    pub fn symbol(&self) -> Result<Option<&str>, ApiError> {
        let Some(v) = self.get("symbol") else {
            return Ok(None);
        };
        check_symbol(v, "symbol")?;
        Ok(Some(v))
    }

    /// The mandatory `symbol`.
    pub fn req_symbol(&self) -> Result<&str, ApiError> {
        self.symbol()?.ok_or_else(|| ApiError::mandatory("symbol"))
    }

    /// `symbols=["A","B"]` (a JSON array, as Binance takes it), or None.
    pub fn symbols(&self) -> Result<Option<Vec<String>>, ApiError> {
        let Some(v) = self.get("symbols") else {
            return Ok(None);
        };
        let list: Vec<String> = serde_json::from_str(v).map_err(|_| {
            ApiError::illegal(
                "symbols",
                "^\\[(\"[A-Z0-9-_.]{1,20}\"(,\"[A-Z0-9-_.]{1,20}\"){0,}){0,1}\\]$",
            )
        })?;
        for s in &list {
            check_symbol(s, "symbols")?;
        }
        Ok(Some(list))
    }

    /// `limit` within `1..=max`, or `default`; out of range is -1100 like Binance.
    pub fn limit(&self, default: usize, max: usize) -> Result<usize, ApiError> {
        match self.uint("limit")? {
            None => Ok(default),
            Some(0) => Err(ApiError::bad(
                -1100,
                "Illegal characters found in parameter 'limit'; legal range is '1'.",
            )),
            Some(n) => Ok((n as usize).min(max)),
        }
    }
}

fn check_symbol(v: &str, name: &str) -> Result<(), ApiError> {
    let ok = !v.is_empty()
        && v.len() <= 20
        && v.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b"-_.".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(ApiError::illegal(name, SYMBOL_RANGE))
    }
}

fn is_decimal(v: &str) -> bool {
    let (int, frac) = match v.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (v, None),
    };
    let digits = |s: &str| !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit());
    digits(int) && frac.is_none_or(digits)
}

fn parse_form(bytes: &[u8]) -> Result<Vec<(String, String)>, ApiError> {
    if bytes.is_empty() {
        return Ok(Vec::new());
    }
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(bytes)
        .map_err(|_| ApiError::bad(-1100, "Illegal characters found in a parameter."))?;
    for (i, (k, _)) in pairs.iter().enumerate() {
        if pairs[..i].iter().any(|(pk, _)| pk == k) {
            return Err(ApiError::duplicate(k));
        }
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_wins_and_duplicates_are_refused() {
        let p = Params::parse("a=1&b=", b"a=2&c=3").unwrap();
        assert_eq!(p.get("a"), Some("1"));
        assert_eq!(p.get("b"), None);
        assert_eq!(p.get("c"), Some("3"));
        assert_eq!(Params::parse("a=1&a=2", b"").unwrap_err().code, -1101);
    }

    #[test]
    fn typed_getters_use_binance_codes() {
        let p = Params::parse("q=1.5&bad=1e5&neg=-1&n=12&s=btcusdt&symbol=BTCUSDT", b"").unwrap();
        assert_eq!(p.decimal("q").unwrap(), Some(Decimal::new(15, 1)));
        assert_eq!(p.decimal("bad").unwrap_err().code, -1100);
        assert_eq!(p.decimal("neg").unwrap_err().code, -1100);
        assert_eq!(p.uint("n").unwrap(), Some(12));
        assert_eq!(p.uint("q").unwrap_err().code, -1100);
        assert_eq!(p.req("missing").unwrap_err().code, -1102);
        assert_eq!(p.req_symbol().unwrap(), "BTCUSDT");
        let lower = Params::parse("symbol=btcusdt", b"").unwrap();
        assert_eq!(lower.req_symbol().unwrap_err().code, -1100);
        let list = Params::parse("symbols=%5B%22BTCUSDT%22,%22ETHUSDT%22%5D", b"").unwrap();
        assert_eq!(list.symbols().unwrap().unwrap(), vec!["BTCUSDT", "ETHUSDT"]);
    }
}
