//! Shared readers: form parameters without duplicates, strict positive decimals, sides.

use std::collections::BTreeMap;
use std::str::FromStr;

use rust_decimal::Decimal;
use tradeward_domain::Side;

use super::EndpointError;

/// A short, quoted prefix of a value for error messages.
pub(crate) fn quoted(value: &str) -> String {
    let short: String = value.chars().take(24).collect();
    if short.len() < value.len() {
        format!("{short:?}…")
    } else {
        format!("{short:?}")
    }
}

/// Form or query parameters by name, every name at most once.
#[derive(Debug, Default)]
pub(crate) struct Params<'a>(BTreeMap<&'a str, &'a str>);

impl<'a> Params<'a> {
    /// Collects `pairs` from every source; a name seen twice (in one source or across the
    /// query and the body) is an error.
    pub(crate) fn collect<I>(sources: I) -> Result<Self, EndpointError>
    where
        I: IntoIterator<Item = &'a [(String, String)]>,
    {
        let mut map = BTreeMap::new();
        for pairs in sources {
            for (k, v) in pairs {
                if map.insert(k.as_str(), v.as_str()).is_some() {
                    return Err(EndpointError::Duplicate(k.chars().take(40).collect()));
                }
            }
        }
        Ok(Self(map))
    }

    pub(crate) fn get(&self, name: &str) -> Option<&'a str> {
        self.0.get(name).copied()
    }

    pub(crate) fn require(&self, name: &str) -> Result<&'a str, EndpointError> {
        self.get(name)
            .ok_or_else(|| EndpointError::Missing(name.to_owned()))
    }

    pub(crate) fn decimal(&self, name: &str) -> Result<Option<Decimal>, EndpointError> {
        self.get(name)
            .map(|v| positive_decimal(name, v))
            .transpose()
    }
}

/// A plain positive decimal: digits, optionally a point and more digits. No sign, exponent,
/// separators or spaces, which some parsers accept and venues may read differently.
pub(crate) fn positive_decimal(name: &str, value: &str) -> Result<Decimal, EndpointError> {
    let (int, frac) = match value.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (value, None),
    };
    let digits = |s: &str| !s.is_empty() && s.len() <= 28 && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || frac.is_some_and(|f| !digits(f)) {
        return Err(EndpointError::invalid(
            name,
            format!("{} is not a plain decimal number", quoted(value)),
        ));
    }
    let d = Decimal::from_str_exact(value)
        .map_err(|_| EndpointError::invalid(name, format!("{} is out of range", quoted(value))))?;
    if d.is_zero() {
        return Err(EndpointError::invalid(name, "must be greater than zero"));
    }
    Ok(d)
}

/// `buy` or `sell`, in any case.
pub(crate) fn side(name: &str, value: &str) -> Result<Side, EndpointError> {
    Side::from_str(value)
        .map_err(|_| EndpointError::invalid(name, format!("{} is not buy or sell", quoted(value))))
}

/// The largest of the prices given (for a conservative notional).
pub(crate) fn max_price(prices: impl IntoIterator<Item = Option<Decimal>>) -> Option<Decimal> {
    prices.into_iter().flatten().max()
}

/// A symbol must be non-empty and free of control characters.
pub(crate) fn symbol(name: &str, value: &str) -> Result<String, EndpointError> {
    if value.is_empty() || value.len() > 64 || value.chars().any(char::is_control) {
        return Err(EndpointError::invalid(name, "is not a valid symbol"));
    }
    Ok(value.to_owned())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_positive_decimals_parse() {
        assert_eq!(positive_decimal("q", "0.001").unwrap().to_string(), "0.001");
        assert_eq!(positive_decimal("q", "12").unwrap().to_string(), "12");
        for bad in [
            "", "-1", "+1", "1e3", "1_000", "1,5", " 1", "1.", ".5", "0", "0.000", "NaN", "1.2.3",
        ] {
            assert!(positive_decimal("q", bad).is_err(), "{bad:?}");
        }
        let err = positive_decimal("quantity", "1,5").unwrap_err().to_string();
        assert_eq!(
            err,
            "parameter `quantity` \"1,5\" is not a plain decimal number"
        );
    }
}
