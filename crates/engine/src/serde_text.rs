//! Serde through `Display`/`FromStr`, for the domain types (`Venue`, `Symbol`, `Side`) that are
//! plain data but carry no serde derive of their own. They serialize as their API spelling.

use std::fmt::Display;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serializer};

pub(crate) fn serialize<T: Display, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(value)
}

pub(crate) fn deserialize<'de, T, D>(d: D) -> Result<T, D::Error>
where
    T: FromStr,
    T::Err: Display,
    D: Deserializer<'de>,
{
    let text = String::deserialize(d)?;
    text.parse().map_err(serde::de::Error::custom)
}

/// The same for `Side`, whose `Display` is missing: it prints `as_str()`.
pub(crate) mod side {
    use serde::{Deserialize, Deserializer, Serializer};
    use tradeward_domain::Side;

    pub(crate) fn serialize<S: Serializer>(value: &Side, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(value.as_str())
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Side, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}
