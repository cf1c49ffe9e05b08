//! Decoding a JSON record with serde, worded for the user, and noting its top-level keys in the
//! same pass. A log is usually one format: the dispatcher parses each line as the format of the
//! line before it, asks this file for the keys that parse went through, and keeps the result
//! only if sniffing those keys picks that format too. Sniffing then parsing would read the line
//! twice; this reads it once, and the sniffers stay the only judges of what a record is.

use super::detect::{Key, Keys};
use super::error::{ErrorKind, ParseError, json_error};
use serde::de::value::{BorrowedStrDeserializer, StringDeserializer};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, forward_to_deserialize_any};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;
use std::marker::PhantomData;

/// Values longer than this are not kept when noted (sniffers read short values: a `type`, a
/// `schema`); a sniffer that asks for one is unsure.
const SHORT: usize = 64;

/// The keys noted on this thread, their buffers reused from record to record.
#[derive(Debug, Default)]
struct Noted {
    /// The next decode notes its keys.
    armed: bool,
    /// A decode noted its keys since [`note_next`].
    done: bool,
    len: usize,
    /// Key and value (empty: not kept, the parse consumed it or it is long).
    keys: Vec<(String, Vec<u8>)>,
}

impl Noted {
    fn push_key(&mut self, key: &str) {
        if self.len == self.keys.len() {
            self.keys.push(Default::default());
        }
        let (k, v) = &mut self.keys[self.len];
        k.clear();
        k.push_str(key);
        v.clear();
        self.len += 1;
    }

    fn set_value(&mut self, raw: &[u8]) {
        if let Some((_, v)) = self.len.checked_sub(1).map(|i| &mut self.keys[i])
            && raw.len() <= SHORT
        {
            v.extend_from_slice(raw);
        }
    }

    /// A string value the parse read whole from the record: without escapes, its JSON text is
    /// the string between quotes.
    fn set_string(&mut self, s: &str) {
        if let Some((_, v)) = self.len.checked_sub(1).map(|i| &mut self.keys[i])
            && s.len() + 2 <= SHORT
        {
            v.push(b'"');
            v.extend_from_slice(s.as_bytes());
            v.push(b'"');
        }
    }
}

thread_local! {
    static NOTED: RefCell<Noted> = RefCell::new(Noted::default());
}

/// Note the top-level keys of the next record [`decode`] reads on this thread.
pub fn note_next() {
    NOTED.with(|n| {
        let mut n = n.borrow_mut();
        n.armed = true;
        n.done = false;
    });
}

/// Hand the keys noted since [`note_next`] to `f` (`None` when no decode noted them), and stop
/// noting.
pub fn take_noted<R>(f: impl FnOnce(Option<&Keys<'_>>) -> R) -> R {
    NOTED.with(|n| {
        let mut n = n.borrow_mut();
        n.armed = false;
        if !std::mem::take(&mut n.done) {
            return f(None);
        }
        let pairs = n.keys[..n.len]
            .iter()
            .map(|(k, v)| (Cow::Borrowed(k.as_str()), v.as_slice()))
            .collect();
        f(Some(&Keys::from_pairs(pairs)))
    })
}

/// A JSON string, borrowed from the record when it has no escapes (a key, a name, an id).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Text<'a>(pub Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for Visit<'a> {
            type Value = Text<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Borrowed(s)))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Owned(s.to_string())))
            }
            fn visit_string<E: de::Error>(self, s: String) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Owned(s)))
            }
        }
        d.deserialize_str(Visit(PhantomData))
    }
}

impl std::ops::Deref for Text<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

/// A string read for its type only (a field the index does not keep, in a record that is
/// refused when it has the wrong type): nothing is copied.
#[derive(Debug, Clone, Copy, Default)]
pub struct SomeText;

impl<'de> Deserialize<'de> for SomeText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl Visitor<'_> for Visit {
            type Value = SomeText;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<SomeText, E> {
                Ok(SomeText)
            }
        }
        d.deserialize_str(Visit)
    }
}

/// A value read for its type only, as `T` reads it, then dropped (a number the index does not
/// keep, in a record that is refused when it has the wrong type).
#[derive(Debug, Clone, Copy)]
pub struct Checked<T>(PhantomData<T>);

impl<T> Default for Checked<T> {
    fn default() -> Self {
        Checked(PhantomData)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Checked<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(d).map(|_| Checked(PhantomData))
    }
}

/// Deserialize a record; a wrong-typed field is reported with its path (`steps[2].latency_ms`),
/// found by a second, path-tracking pass that only runs on failure. After [`note_next`], the
/// record's top-level keys are noted on the way.
///
/// # Errors
/// The reason, prefixed with `what` (the record kind).
pub fn decode<'a, T: Deserialize<'a>>(bytes: &'a [u8], what: &str) -> Result<T, ParseError> {
    let armed = NOTED.with(|n| std::mem::take(&mut n.borrow_mut().armed));
    let read = if armed {
        noting(bytes)
    } else {
        // a line checked once as UTF-8 spares the parser checking each of its strings
        match std::str::from_utf8(bytes) {
            Ok(text) => serde_json::from_str(text),
            Err(_) => serde_json::from_slice(bytes),
        }
    };
    read.map_err(|e| {
        if e.classify() == serde_json::error::Category::Data {
            let mut de = serde_json::Deserializer::from_slice(bytes);
            if let Err(pe) = serde_path_to_error::deserialize::<_, T>(&mut de) {
                let inner = pe.inner().to_string();
                let msg = inner.split(" at line ").next().unwrap_or(&inner);
                return ParseError::new(
                    ErrorKind::Field,
                    format!(
                        "{what}: wrong type for `{}` at column {}: {msg}",
                        pe.path(),
                        e.column()
                    ),
                );
            }
        }
        json_error(&e).prefixed(&format!("{what}: "))
    })
}

/// [`serde_json::from_slice`], noting the top-level keys (a record is an object).
fn noting<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> serde_json::Result<T> {
    // taken out while the record is read, so that nothing read meanwhile finds it borrowed
    let mut noted = NOTED.with(|n| std::mem::take(&mut *n.borrow_mut()));
    noted.len = 0;
    // a line checked once as UTF-8 spares the parser checking each of its strings
    let read = match std::str::from_utf8(bytes) {
        Ok(text) => {
            let mut de = serde_json::Deserializer::from_str(text);
            T::deserialize(Top {
                de: &mut de,
                noted: &mut noted,
            })
            .and_then(|t| de.end().map(|()| t))
        }
        Err(_) => {
            let mut de = serde_json::Deserializer::from_slice(bytes);
            T::deserialize(Top {
                de: &mut de,
                noted: &mut noted,
            })
            .and_then(|t| de.end().map(|()| t))
        }
    };
    noted.done = read.is_ok();
    NOTED.with(|n| *n.borrow_mut() = noted);
    read
}

/// The record: read as a map whose keys and skipped values are noted.
struct Top<'n, D> {
    de: D,
    noted: &'n mut Noted,
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Top<'_, D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.de.deserialize_map(Noting {
            inner: v,
            noted: self.noted,
        })
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

/// A visitor, a map access or a seed that notes what passes through it.
struct Noting<'n, T> {
    inner: T,
    noted: &'n mut Noted,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Noting<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.expecting(f)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.inner.visit_map(Noting {
            inner: map,
            noted: self.noted,
        })
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Noting<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        self.inner.next_key_seed(NoteKey {
            inner: seed,
            noted: self.noted,
        })
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        self.inner.next_value_seed(NoteValue {
            inner: seed,
            noted: self.noted,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

/// A key: noted, then handed to the record's own field visitor.
struct NoteKey<'n, K> {
    inner: K,
    noted: &'n mut Noted,
}

impl<'de, K: DeserializeSeed<'de>> DeserializeSeed<'de> for NoteKey<'_, K> {
    type Value = K::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<K::Value, D::Error> {
        let Key(key) = Key::deserialize(d)?;
        self.noted.push_key(&key);
        match key {
            Cow::Borrowed(k) => self.inner.deserialize(BorrowedStrDeserializer::new(k)),
            Cow::Owned(k) => self.inner.deserialize(StringDeserializer::new(k)),
        }
    }
}

/// A value: read by the record's parser as it wants; one it skips is noted as text.
struct NoteValue<'n, S> {
    inner: S,
    noted: &'n mut Noted,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for NoteValue<'_, S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.inner.deserialize(Value {
            de: d,
            noted: self.noted,
        })
    }
}

/// A value's deserializer: everything goes to serde_json's, but a skipped value is read as raw
/// text (the same pass a skip is) and noted, and so is a string the parse reads whole (a
/// record's `type` or `schema`, which sniffers look at).
struct Value<'n, D> {
    de: D,
    noted: &'n mut Noted,
}

/// Methods handed on as they are.
macro_rules! hand_on {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {
        $(fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* v: V) -> Result<V::Value, D::Error> {
            self.de.$method($($arg,)* v)
        })*
    };
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Value<'_, D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.de.deserialize_any(NoteString {
            inner: v,
            noted: self.noted,
        })
    }

    fn deserialize_str<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.de.deserialize_str(NoteString {
            inner: v,
            noted: self.noted,
        })
    }

    fn deserialize_string<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.de.deserialize_string(NoteString {
            inner: v,
            noted: self.noted,
        })
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.de.deserialize_option(NoteString {
            inner: v,
            noted: self.noted,
        })
    }

    hand_on! {
        deserialize_bool();
        deserialize_i8();
        deserialize_i16();
        deserialize_i32();
        deserialize_i64();
        deserialize_i128();
        deserialize_u8();
        deserialize_u16();
        deserialize_u32();
        deserialize_u64();
        deserialize_u128();
        deserialize_f32();
        deserialize_f64();
        deserialize_char();
        deserialize_bytes();
        deserialize_byte_buf();
        deserialize_unit();
        deserialize_unit_struct(name: &'static str);
        deserialize_newtype_struct(name: &'static str);
        deserialize_seq();
        deserialize_tuple(len: usize);
        deserialize_tuple_struct(name: &'static str, len: usize);
        deserialize_map();
        deserialize_struct(name: &'static str, fields: &'static [&'static str]);
        deserialize_enum(name: &'static str, variants: &'static [&'static str]);
        deserialize_identifier();
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        let raw = <&RawValue>::deserialize(self.de)?;
        self.noted.set_value(raw.get().as_bytes());
        v.visit_unit()
    }

    fn is_human_readable(&self) -> bool {
        self.de.is_human_readable()
    }
}

/// A value's visitor that notes a string handed to it whole from the record (borrowed: no
/// escapes), and hands everything on; an optional value's inside is noted the same way.
struct NoteString<'n, V> {
    inner: V,
    noted: &'n mut Noted,
}

/// Visits handed on as they are.
macro_rules! visit_on {
    ($($method:ident($ty:ty);)*) => {
        $(fn $method<E: de::Error>(self, x: $ty) -> Result<V::Value, E> {
            self.inner.$method(x)
        })*
    };
}

impl<'de, V: Visitor<'de>> Visitor<'de> for NoteString<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.expecting(f)
    }

    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<V::Value, E> {
        self.noted.set_string(s);
        self.inner.visit_borrowed_str(s)
    }

    visit_on! {
        visit_bool(bool);
        visit_i64(i64);
        visit_u64(u64);
        visit_i128(i128);
        visit_u128(u128);
        visit_f64(f64);
        visit_str(&str);
        visit_string(String);
        visit_bytes(&[u8]);
        visit_borrowed_bytes(&'de [u8]);
        visit_byte_buf(Vec<u8>);
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.inner.visit_some(Value {
            de: d,
            noted: self.noted,
        })
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.inner.visit_newtype_struct(d)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.inner.visit_seq(seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.inner.visit_map(map)
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.inner.visit_enum(data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Row<'a> {
        #[allow(dead_code)]
        n: u32,
        #[serde(borrow, default)]
        #[allow(dead_code)]
        raw: Option<&'a RawValue>,
    }

    #[test]
    fn reasons_name_the_column_and_the_field() {
        let e = decode::<Row<'_>>(br#"{"n":"x"}"#, "row").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Field);
        assert!(
            e.reason.starts_with("row: wrong type for `n` at column"),
            "{e}"
        );
        let e = decode::<Row<'_>>(b"{\"n\":", "row").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Json);
        assert!(
            e.to_string().starts_with("row: invalid JSON at column 5"),
            "{e}"
        );
    }

    #[test]
    fn a_noted_decode_reads_the_same_and_notes_every_key() {
        let text = br#"{"n":3,"type":"span","raw":{"a":[1,2]},"long":"0123456789012345678901234567890123456789012345678901234567890123456789","z":null}"#;
        note_next();
        let row: Row<'_> = decode(text, "row").unwrap();
        assert_eq!(row.n, 3);
        assert_eq!(row.raw.map(RawValue::get), Some(r#"{"a":[1,2]}"#));
        take_noted(|keys| {
            let keys = keys.expect("noted");
            let names: Vec<&str> = keys.names().collect();
            assert_eq!(names, ["n", "type", "raw", "long", "z"]);
            assert!(keys.is_one_of("type", &["span"]));
            assert_eq!(keys.raw("z"), Some(&b"null"[..]));
            assert!(keys.sure());
            // consumed by the parse, or too long to keep: not known
            assert!(keys.has("n") && keys.raw("n").is_none());
            assert!(!keys.sure());
            assert!(keys.raw("long").is_none());
        });
        // one decode only: the next is not noted
        let _: Row<'_> = decode(br#"{"n":1}"#, "row").unwrap();
        take_noted(|keys| assert!(keys.is_none()));
    }

    #[derive(Debug, Deserialize)]
    struct Typed<'a> {
        #[serde(rename = "type", borrow)]
        ty: Cow<'a, str>,
        #[serde(default)]
        name: Option<String>,
        #[serde(default)]
        any: Option<serde_json::Value>,
    }

    /// A string the parse reads is noted as its text when it has no escapes (sniffers read
    /// values such as `type`); an escaped or a long one stays unknown.
    #[test]
    fn a_string_the_parse_reads_is_noted_as_written() {
        let long = "x".repeat(SHORT);
        let text = format!(r#"{{"type":"span","name":"a\"b","any":"{long}","v":[1]}}"#);
        note_next();
        let t: Typed<'_> = decode(text.as_bytes(), "typed").unwrap();
        assert_eq!((t.ty.as_ref(), t.name.as_deref()), ("span", Some("a\"b")));
        assert_eq!(t.any, Some(serde_json::Value::String(long)));
        take_noted(|keys| {
            let keys = keys.expect("noted");
            assert_eq!(keys.raw("type"), Some(&br#""span""#[..]));
            assert!(keys.is_one_of("type", &["span"]));
            assert!(keys.sure());
            assert_eq!(keys.raw("v"), Some(&b"[1]"[..]));
            assert_eq!(keys.raw("name"), None, "escaped");
            assert_eq!(keys.raw("any"), None, "long");
            assert!(!keys.sure());
        });
        note_next();
        let t: Typed<'_> = decode(br#"{"name":"n","type":"t","any":"s"}"#, "typed").unwrap();
        assert_eq!(t.name.as_deref(), Some("n"));
        take_noted(|keys| {
            let keys = keys.expect("noted");
            assert_eq!(keys.raw("name"), Some(&br#""n""#[..]), "inside an option");
            assert_eq!(keys.raw("any"), Some(&br#""s""#[..]), "read as any value");
        });
    }

    #[test]
    fn a_refused_record_notes_nothing() {
        note_next();
        assert!(decode::<Row<'_>>(br#"{"n":"x","type":"span"}"#, "row").is_err());
        take_noted(|keys| assert!(keys.is_none()));
    }
}
