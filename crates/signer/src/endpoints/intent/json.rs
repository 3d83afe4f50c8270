//! Strict JSON reading: a document with a key repeated in any object is refused (parsers
//! disagree on which copy wins), and amounts must be strings (a JSON number would pass through
//! a float somewhere).

use std::fmt;

use rust_decimal::Decimal;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::params::{positive_decimal, quoted};
use super::EndpointError;

struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Strict;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Strict, E> {
        Ok(Strict(Value::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Strict, E> {
        Ok(Strict(Value::from(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Strict, E> {
        Ok(Strict(Value::from(v)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Strict, E> {
        Ok(Strict(Value::from(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Strict, E> {
        Ok(Strict(Value::String(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Strict, E> {
        Ok(Strict(Value::String(v)))
    }
    fn visit_unit<E>(self) -> Result<Strict, E> {
        Ok(Strict(Value::Null))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Strict, A::Error> {
        let mut items = Vec::new();
        while let Some(Strict(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(Strict(Value::Array(items)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Strict, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let Strict(value) = map.next_value()?;
            if out.contains_key(&key) {
                let shown: String = key.chars().take(40).collect();
                return Err(de::Error::custom(format_args!(
                    "key `{shown}` appears more than once"
                )));
            }
            out.insert(key, value);
        }
        Ok(Strict(Value::Object(out)))
    }
}

/// Parses `text` as one JSON object, refusing repeated keys anywhere.
pub(crate) fn object(text: &str) -> Result<Map<String, Value>, EndpointError> {
    match serde_json::from_str::<Strict>(text) {
        Ok(Strict(Value::Object(map))) => Ok(map),
        Ok(_) => Err(EndpointError::Body("expected a JSON object".into())),
        Err(e) => Err(EndpointError::Body(format!("not acceptable JSON: {e}"))),
    }
}

/// A string field, if present; any other JSON type is an error.
pub(crate) fn str_field<'a>(
    obj: &'a Map<String, Value>,
    name: &str,
) -> Result<Option<&'a str>, EndpointError> {
    match obj.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(EndpointError::invalid(name, "must be a JSON string")),
    }
}

/// A required string field.
pub(crate) fn required<'a>(
    obj: &'a Map<String, Value>,
    name: &str,
) -> Result<&'a str, EndpointError> {
    str_field(obj, name)?.ok_or_else(|| EndpointError::Missing(name.to_owned()))
}

/// A positive decimal given as a JSON string, if present.
pub(crate) fn decimal(
    obj: &Map<String, Value>,
    name: &str,
) -> Result<Option<Decimal>, EndpointError> {
    match obj.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => positive_decimal(name, s).map(Some),
        Some(Value::Number(n)) => Err(EndpointError::invalid(
            name,
            format!(
                "{} must be a decimal string, not a JSON number",
                quoted(&n.to_string())
            ),
        )),
        Some(_) => Err(EndpointError::invalid(name, "must be a decimal string")),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn repeated_keys_are_refused_at_any_depth() {
        assert!(object(r#"{"a":"1","b":{"c":"2"}}"#).is_ok());
        let err = object(r#"{"a":"1","a":"2"}"#).unwrap_err().to_string();
        assert!(err.contains("`a` appears more than once"), "{err}");
        assert!(object(r#"{"b":{"c":"2","c":"3"}}"#).is_err());
        assert!(object(r#"[{"a":1}]"#).is_err());
    }

    #[test]
    fn amounts_must_be_decimal_strings() {
        let obj = object(r#"{"sz":1.5,"px":"2.5","q":"1e3"}"#).unwrap();
        assert!(decimal(&obj, "sz")
            .unwrap_err()
            .to_string()
            .contains("not a JSON number"));
        assert_eq!(decimal(&obj, "px").unwrap().unwrap().to_string(), "2.5");
        assert!(decimal(&obj, "q").is_err());
        assert_eq!(decimal(&obj, "absent").unwrap(), None);
    }
}
