//! The attributes of OTLP/JSON, read as `opentelemetry-proto` reads them (a key, and a value
//! object whose last non-null known field is the value: a string, a boolean, an integer as a
//! number or a string, a double, an array, a list of pairs, base64 bytes), borrowed from the
//! line. A list of attributes decodes the values its policy keeps ([`Keep`]) and checks the
//! others as JSON text without decoding them (`otlp_json.rs` reads the rest of a request).

use crate::ingest::decode::Text;
use crate::ingest::semconv::{AttrValue, shown_elsewhere};
use crate::ingest::values::hex;
use base64::Engine as _;
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

/// Which attribute values a list decodes (by key); the others are checked as JSON text and
/// skipped. A value written before its key is always decoded.
pub(super) trait Keep {
    fn keep(key: &str) -> bool;
}

/// A span's own attributes: all but the texts another tab shows.
pub(super) struct OwnTexts;
impl Keep for OwnTexts {
    fn keep(key: &str) -> bool {
        !shown_elsewhere(key)
    }
}

/// An event's: what an exception says.
pub(super) struct Exception;
impl Keep for Exception {
    fn keep(key: &str) -> bool {
        key.starts_with("exception.")
    }
}

/// A resource's, a scope's, a list's inside a value: every one.
pub(super) struct Every;
impl Keep for Every {
    fn keep(_: &str) -> bool {
        true
    }
}

/// A link's: none.
pub(super) struct Nothing;
impl Keep for Nothing {
    fn keep(_: &str) -> bool {
        false
    }
}

/// One attribute.
pub(super) struct KeyValue<'a, P> {
    pub(super) key: Text<'a>,
    pub(super) value: Slot<'a>,
    keep: PhantomData<P>,
}

/// An attribute's value: read (`None`: null, missing or empty), or skipped.
pub(super) enum Slot<'a> {
    Read(Option<Any<'a>>),
    Skipped,
}

impl<P> KeyValue<'_, P> {
    /// The value as an attribute value (a skipped one reads as `null`; no reader of this file
    /// asks for one).
    pub(super) fn value(&self) -> AttrValue<'_> {
        match &self.value {
            Slot::Read(v) => attr_value(v.as_ref()),
            Slot::Skipped => AttrValue::Json("null".into()),
        }
    }
}

const KEY_VALUE: &[&str] = &["key", "value", "keyStrindex"];

impl<'de: 'a, 'a, P: Keep> Deserialize<'de> for KeyValue<'a, P> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit<'a, P>(PhantomData<(&'a (), P)>);
        impl<'de: 'a, 'a, P: Keep> Visitor<'de> for Visit<'a, P> {
            type Value = KeyValue<'a, P>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("struct KeyValue")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let len = || "struct KeyValue with 3 elements";
                let key: Text<'a> = seq
                    .next_element()?
                    .ok_or_else(|| de::Error::invalid_length(0, &len()))?;
                let value: Option<AnyValue<'a>> = seq
                    .next_element()?
                    .ok_or_else(|| de::Error::invalid_length(1, &len()))?;
                let _: Option<i32> = seq.next_element()?;
                Ok(KeyValue {
                    key,
                    value: Slot::Read(value.and_then(|v| v.0)),
                    keep: PhantomData,
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut key: Option<Text<'a>> = None;
                let mut value: Option<Slot<'a>> = None;
                let mut strindex = false;
                while let Some(field) = map.next_key::<Text<'de>>()? {
                    match &*field {
                        "key" if key.is_some() => return Err(de::Error::duplicate_field("key")),
                        "key" => key = Some(map.next_value()?),
                        "value" if value.is_some() => {
                            return Err(de::Error::duplicate_field("value"));
                        }
                        "value" if key.as_ref().is_some_and(|k| !P::keep(k)) => {
                            let _: &RawValue = map.next_value()?;
                            value = Some(Slot::Skipped);
                        }
                        "value" => {
                            let v: Option<AnyValue<'a>> = map.next_value()?;
                            value = Some(Slot::Read(v.and_then(|v| v.0)));
                        }
                        "keyStrindex" if strindex => {
                            return Err(de::Error::duplicate_field("keyStrindex"));
                        }
                        "keyStrindex" => {
                            let _: i32 = map.next_value()?;
                            strindex = true;
                        }
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(KeyValue {
                    key: key.ok_or_else(|| de::Error::missing_field("key"))?,
                    value: value.unwrap_or(Slot::Read(None)),
                    keep: PhantomData,
                })
            }
        }
        d.deserialize_struct("KeyValue", KEY_VALUE, Visit(PhantomData))
    }
}

/// A value of an attribute (OTLP's `AnyValue`).
pub(super) enum Any<'a> {
    Str(Cow<'a, str>),
    Bool(bool),
    Int(i64),
    Double(f64),
    /// Without its empty values.
    Array(Vec<Any<'a>>),
    Kvlist(Vec<(Cow<'a, str>, Option<Any<'a>>)>),
    Bytes(Vec<u8>),
}

/// An `AnyValue` object: the value of its last non-null known field (`None`: none), other
/// fields skipped.
struct AnyValue<'a>(Option<Any<'a>>);

#[derive(Deserialize)]
struct ArrayValue<'a> {
    #[serde(borrow)]
    values: Vec<AnyValue<'a>>,
}

#[derive(Deserialize)]
struct KeyValueList<'a> {
    #[serde(borrow)]
    values: Vec<KeyValue<'a, Every>>,
}

impl<'de: 'a, 'a> Deserialize<'de> for AnyValue<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for Visit<'a> {
            type Value = AnyValue<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("struct AnyValue")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AnyValue<'a>, A::Error> {
                let mut value = None;
                while let Some(field) = map.next_key::<Text<'de>>()? {
                    let v = match &*field {
                        "stringValue" => {
                            map.next_value::<Option<Text<'a>>>()?.map(|s| Any::Str(s.0))
                        }
                        "boolValue" => map.next_value::<Option<bool>>()?.map(Any::Bool),
                        "intValue" => map.next_value::<Option<Int>>()?.map(|i| Any::Int(i.0)),
                        "doubleValue" => map.next_value::<Option<f64>>()?.map(Any::Double),
                        "arrayValue" => map.next_value::<Option<ArrayValue<'a>>>()?.map(|a| {
                            Any::Array(a.values.into_iter().filter_map(|v| v.0).collect())
                        }),
                        "kvlistValue" => map.next_value::<Option<KeyValueList<'a>>>()?.map(|l| {
                            Any::Kvlist(
                                l.values
                                    .into_iter()
                                    .map(|kv| match kv.value {
                                        Slot::Read(v) => (kv.key.0, v),
                                        Slot::Skipped => (kv.key.0, None),
                                    })
                                    .collect(),
                            )
                        }),
                        "bytesValue" => match map.next_value::<Option<Text<'de>>>()? {
                            Some(b) => Some(Any::Bytes(
                                base64::engine::general_purpose::STANDARD
                                    .decode(b.as_bytes())
                                    .map_err(de::Error::custom)?,
                            )),
                            None => None,
                        },
                        _ => {
                            let _: &RawValue = map.next_value()?;
                            None
                        }
                    };
                    if v.is_some() {
                        value = v;
                    }
                }
                Ok(AnyValue(value))
            }
        }
        d.deserialize_map(Visit(PhantomData))
    }
}

/// `intValue`: a number, or a string holding one.
struct Int(i64);

impl<'de> Deserialize<'de> for Int {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        const NEITHER: &str = "data did not match any variant of untagged enum StringOrInt";
        impl<'de> Visitor<'de> for Visit {
            type Value = Int;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer or a string holding one")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Int, E> {
                Ok(Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Int, E> {
                i64::try_from(v).map(Int).map_err(|_| E::custom(NEITHER))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Int, E> {
                v.parse().map(Int).map_err(E::custom)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Int, E> {
                Err(E::custom(NEITHER))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Int, E> {
                Err(E::custom(NEITHER))
            }
            fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Int, A::Error> {
                Err(de::Error::custom(NEITHER))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Int, A::Error> {
                Err(de::Error::custom(NEITHER))
            }
        }
        d.deserialize_any(Visit)
    }
}

/// An attribute value as the index reads it (`null`, and an empty value, as JSON `null`).
pub(super) fn attr_value<'a>(v: Option<&'a Any<'a>>) -> AttrValue<'a> {
    match v {
        Some(Any::Str(s)) => AttrValue::Str(Cow::Borrowed(s)),
        Some(Any::Bool(b)) => AttrValue::Bool(*b),
        Some(Any::Int(i)) => AttrValue::Int(*i),
        Some(Any::Double(d)) => AttrValue::Double(*d),
        Some(other) => AttrValue::Json(json(other).to_string()),
        None => AttrValue::Json("null".into()),
    }
}

/// A value as JSON: arrays without their empty values, lists of pairs as objects, bytes as
/// hex text.
fn json(v: &Any<'_>) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        Any::Str(s) => J::String(s.to_string()),
        Any::Bool(b) => J::Bool(*b),
        Any::Int(i) => J::from(*i),
        Any::Double(d) => J::from(*d),
        Any::Array(items) => J::Array(items.iter().map(json).collect()),
        Any::Kvlist(pairs) => J::Object(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.as_ref().map_or(J::Null, json)))
                .collect(),
        ),
        Any::Bytes(b) => J::String(hex(b)),
    }
}
