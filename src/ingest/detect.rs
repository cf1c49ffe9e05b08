//! Sniffing (FORMATS.md "Auto-detection hints"): what a whole file or body is (gzip, binary,
//! JSON lines or one JSON document), and the top-level keys of a JSON record, which the format
//! table's sniffers judge. Nothing here knows a format.

use super::error::{ErrorKind, ParseError, json_error};
use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

/// What a whole file (or body) is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Empty,
    Gzip,
    /// JSON text: lines or one document, decided by [`json_layout`].
    Json,
    /// Anything else: tried by the formats read whole (an OTLP protobuf body, the text DSPy's
    /// `inspect_history` writes).
    Binary,
}

#[must_use]
pub fn sniff_file(bytes: &[u8]) -> FileKind {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        return FileKind::Gzip;
    }
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        None => FileKind::Empty,
        Some(b'[') if bracketed_text(bytes) => FileKind::Binary,
        Some(b'{' | b'[') => FileKind::Json,
        Some(_) => FileKind::Binary,
    }
}

/// Whether the first line that is not blank is `[…]` with no object or string in it, and not
/// JSON: the `[timestamp]` an `inspect_history` text starts with (a JSON array starts with a
/// line that parses, or that does not end in `]`, or holds objects: a bad line of records).
fn bracketed_text(bytes: &[u8]) -> bool {
    let body = trim_start(bytes);
    let first = memchr::memchr(b'\n', body).map_or(body, |i| &body[..i]);
    let first = first.trim_ascii_end();
    first.len() > 1
        && first.ends_with(b"]")
        && !first.iter().any(|b| matches!(b, b'{' | b'"'))
        && serde_json::from_slice::<serde::de::IgnoredAny>(first).is_err()
}

/// JSON text is one record per line unless its first line is not a complete value (a
/// pretty-printed document such as an MLflow trace).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonLayout {
    Lines,
    Document,
}

/// Whether the first non-blank line of JSON text is a complete value (then the text is JSON
/// lines); this needs only the start of the text.
#[must_use]
pub fn first_line_is_value(bytes: &[u8]) -> bool {
    let body = trim_start(bytes);
    let first = memchr::memchr(b'\n', body).map_or(body, |i| &body[..i]);
    serde_json::from_slice::<&RawValue>(first).is_ok()
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    &bytes[start..]
}

#[must_use]
pub fn json_layout(bytes: &[u8]) -> JsonLayout {
    if first_line_is_value(bytes) {
        return JsonLayout::Lines;
    }
    if serde_json::from_slice::<&RawValue>(trim_start(bytes)).is_ok() {
        JsonLayout::Document
    } else {
        JsonLayout::Lines
    }
}

/// The top-level keys of a JSON object and their values, undecoded (values are skipped over,
/// never parsed, so this is one cheap pass whatever they hold, and a value is never checked
/// for more than its structure: text inside strings is the parsers' business).
///
/// A value may be unknown (empty: the keys noted by a parse, which consumed that value); a
/// question about it answers "no" and marks the keys unsure ([`Keys::sure`]).
#[derive(Debug, Default)]
pub struct Keys<'a> {
    entries: Vec<(Cow<'a, str>, &'a [u8])>,
    unsure: std::cell::Cell<bool>,
}

impl<'a> Keys<'a> {
    /// Keys and their values as text (empty: not known).
    #[must_use]
    pub fn from_pairs(entries: Vec<(Cow<'a, str>, &'a [u8])>) -> Keys<'a> {
        Keys {
            entries,
            unsure: std::cell::Cell::new(false),
        }
    }

    /// Whether every question asked so far had its answer (no value it needed was unknown).
    #[must_use]
    pub fn sure(&self) -> bool {
        !self.unsure.get()
    }

    /// Read the top-level keys of `bytes`, checked by serde: the reference, whose errors are
    /// the reasons users see.
    ///
    /// # Errors
    /// Not JSON, or not an object.
    pub fn read(bytes: &'a [u8]) -> Result<Keys<'a>, ParseError> {
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(ParseError::new(ErrorKind::Shape, "not a JSON object"));
        }
        let Names(names) = serde_json::from_slice(bytes).map_err(|e| json_error(&e))?;
        // serde checked the structure: the walk finds the same values
        let mut values = Vec::with_capacity(names.len());
        walk(bytes, |_, v| values.push(v));
        let entries = names
            .into_iter()
            .zip(values.into_iter().chain(std::iter::repeat(&b""[..])))
            .collect();
        Ok(Keys::from_pairs(entries))
    }

    /// The top-level keys of `bytes` by a quick scan that checks nothing: `None` when it is
    /// not sure (a key with escapes or invalid UTF-8, text that is not a JSON object). On valid
    /// JSON it finds exactly what [`Keys::read`] finds, several times faster (the contents of
    /// strings are skipped with `memchr`), so sniffing costs little next to the parse that
    /// checks the record; a record that parse refuses is sniffed again by [`Keys::read`].
    #[must_use]
    pub fn scan(bytes: &'a [u8]) -> Option<Keys<'a>> {
        let mut entries = Vec::with_capacity(16);
        let mut sure = true;
        let whole = walk(bytes, |k, v| {
            match (!k.contains(&b'\\'))
                .then(|| std::str::from_utf8(k).ok())
                .flatten()
            {
                Some(k) => entries.push((Cow::Borrowed(k), v)),
                None => sure = false,
            }
        });
        (whole && sure).then(|| Keys::from_pairs(entries))
    }

    /// Whether `key` is there (whatever its value, `null` included).
    #[must_use]
    pub fn has(&self, key: &str) -> bool {
        self.entries.iter().any(|(k, _)| k == key)
    }

    /// The value of `key` as JSON text (its first occurrence); `None` when it is not there, or
    /// not known (then the keys are unsure).
    #[must_use]
    pub fn raw(&self, key: &str) -> Option<&'a [u8]> {
        let v = self
            .entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| *v)?;
        if v.is_empty() {
            self.unsure.set(true);
            return None;
        }
        Some(v)
    }

    /// Every key, in the order of the text.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(k, _)| k.as_ref())
    }

    /// Whether `key` holds one of `texts`, as JSON strings without escapes (`"span"`).
    #[must_use]
    pub fn is_one_of(&self, key: &str, texts: &[&str]) -> bool {
        self.raw(key).is_some_and(|v| {
            v.strip_prefix(b"\"")
                .and_then(|s| s.strip_suffix(b"\""))
                .is_some_and(|s| texts.iter().any(|t| t.as_bytes() == s))
        })
    }

    /// Whether `key` holds a string starting with `prefix` (no escapes in the prefix).
    #[must_use]
    pub fn starts_with(&self, key: &str, prefix: &str) -> bool {
        self.raw(key).is_some_and(|v| {
            v.strip_prefix(b"\"")
                .unwrap_or(v)
                .starts_with(prefix.as_bytes())
        })
    }
}

/// Walk the top-level object of `bytes`, handing each key (as written, between its quotes)
/// and value (as written) to `each`. Returns whether the walk reached the object's end; it
/// checks only what it needs to find its way.
fn walk<'a>(bytes: &'a [u8], mut each: impl FnMut(&'a [u8], &'a [u8])) -> bool {
    let mut i = skip_ws(bytes, 0);
    if bytes.get(i) != Some(&b'{') {
        return false;
    }
    i = skip_ws(bytes, i + 1);
    if bytes.get(i) == Some(&b'}') {
        return true;
    }
    loop {
        if bytes.get(i) != Some(&b'"') {
            return false;
        }
        let Some(end) = skip_string(bytes, i) else {
            return false;
        };
        let key = &bytes[i + 1..end - 1];
        i = skip_ws(bytes, end);
        if bytes.get(i) != Some(&b':') {
            return false;
        }
        let start = skip_ws(bytes, i + 1);
        let Some(stop) = skip_value(bytes, start) else {
            return false;
        };
        each(key, &bytes[start..stop]);
        i = skip_ws(bytes, stop);
        match bytes.get(i) {
            Some(b',') => i = skip_ws(bytes, i + 1),
            Some(b'}') => return true,
            _ => return false,
        }
    }
}

/// The keys of a JSON object in order, its values skipped (serde's pass of [`Keys::read`]).
struct Names<'a>(Vec<Cow<'a, str>>);

impl<'de> Deserialize<'de> for Names<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Top;
        impl<'de> Visitor<'de> for Top {
            type Value = Names<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Names<'de>, A::Error> {
                let mut names = Vec::with_capacity(16);
                while let Some(Key(k)) = map.next_key()? {
                    map.next_value::<IgnoredAny>()?;
                    names.push(k);
                }
                Ok(Names(names))
            }
        }
        d.deserialize_map(Top)
    }
}

fn skip_ws(bytes: &[u8], mut i: usize) -> usize {
    while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    i
}

/// The end of the string that opens at `i` (just past its closing quote).
fn skip_string(bytes: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    loop {
        j += memchr::memchr2(b'"', b'\\', bytes.get(j..)?)?;
        if bytes[j] == b'"' {
            return Some(j + 1);
        }
        j += 2;
    }
}

/// The end of the value that starts at `i`: a string, an array or object (nested to any
/// depth, without recursion), or a scalar. In valid JSON brackets of one kind nest on their
/// own, so an array's end is found counting only `[` and `]` (and an object's only braces),
/// jumping from one to the next with `memchr` past the strings between.
fn skip_value(bytes: &[u8], i: usize) -> Option<usize> {
    let (open, close) = match bytes.get(i)? {
        b'"' => return skip_string(bytes, i),
        b'{' => (b'{', b'}'),
        b'[' => (b'[', b']'),
        _ => {
            let len = bytes[i..]
                .iter()
                .position(|b| matches!(b, b',' | b'}' | b']') || b.is_ascii_whitespace())
                .unwrap_or(bytes.len() - i);
            return (len > 0).then_some(i + len);
        }
    };
    let mut depth = 0usize;
    let mut j = i;
    loop {
        j += memchr::memchr3(b'"', open, close, bytes.get(j..)?)?;
        match bytes[j] {
            b'"' => {
                j = skip_string(bytes, j)?;
                continue;
            }
            b if b == open => depth += 1,
            _ => {
                depth -= 1;
                if depth == 0 {
                    return Some(j + 1);
                }
            }
        }
        j += 1;
    }
}

/// A key, borrowed from the text unless it has escapes (serde's `Cow` always copies).
pub(crate) struct Key<'a>(pub(crate) Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Text;
        impl<'de> Visitor<'de> for Text {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, s: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(s)))
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s.to_string())))
            }
        }
        d.deserialize_str(Text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value;

    fn pairs<'a>(k: &Keys<'a>) -> Vec<(String, &'a [u8])> {
        k.entries.iter().map(|(n, v)| (n.to_string(), *v)).collect()
    }

    fn json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            ".{0,12}".prop_map(Value::String),
            "[\\\\\"\\]\\}{,:\\n]{0,6}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map(".{0,6}", inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// On valid JSON the quick scan reads the keys and values serde reads, or says it is
        /// not sure (a key with escapes).
        #[test]
        fn the_quick_scan_agrees_with_serde(
            fields in prop::collection::vec((".{0,8}", json()), 0..8),
            pretty in any::<bool>(),
        ) {
            let obj = Value::Object(fields.into_iter().collect());
            let text = if pretty {
                serde_json::to_string_pretty(&obj)
            } else {
                serde_json::to_string(&obj)
            }
            .unwrap();
            let read = Keys::read(text.as_bytes()).unwrap();
            match Keys::scan(text.as_bytes()) {
                Some(quick) => prop_assert_eq!(pairs(&quick), pairs(&read)),
                None => prop_assert!(
                    read.names().any(|n| n.contains(['"', '\\']) || n.chars().any(char::is_control)),
                    "not sure of {}", text
                ),
            }
        }
    }

    #[test]
    fn files() {
        assert_eq!(sniff_file(b""), FileKind::Empty);
        assert_eq!(sniff_file(b"  \n"), FileKind::Empty);
        assert_eq!(sniff_file(b"\x1f\x8b\x08"), FileKind::Gzip);
        assert_eq!(sniff_file(b"\n{\"a\":1}"), FileKind::Json);
        // JSON arrays, one line or pretty-printed, and an inspect_history text
        assert_eq!(sniff_file(b"[1, 2]\n"), FileKind::Json);
        assert_eq!(sniff_file(b"[\n  {\"a\": 1}\n]"), FileKind::Json);
        assert_eq!(sniff_file(b"[]"), FileKind::Json);
        assert_eq!(
            sniff_file(b"\n\n\n\n[2026-12-02T08:00:00.123456]\n\nUser message:\n"),
            FileKind::Binary
        );
        assert_eq!(sniff_file(b"[Unknown time]\r\n"), FileKind::Binary);
        assert_eq!(sniff_file(b"\x0a\x05hello"), FileKind::Binary);
    }

    #[test]
    fn layouts() {
        assert_eq!(json_layout(b"{\"a\":1}\n{\"b\":2}\n"), JsonLayout::Lines);
        assert_eq!(json_layout(b"{\n  \"a\": 1\n}\n"), JsonLayout::Document);
        // a broken first line still reads line by line, so the rest is kept
        assert_eq!(json_layout(b"{\"a\":\n{\"b\":2}\n"), JsonLayout::Lines);
    }

    #[test]
    fn keys_are_read_without_their_values() {
        let k = Keys::read(br#"{"type":"span","n":[1,{"x":2}],"s":"spanscope-trace/1","z":null}"#)
            .unwrap();
        assert!(k.has("n") && k.has("z") && !k.has("x"));
        assert!(k.is_one_of("type", &["trace_start", "span"]));
        assert!(!k.is_one_of("n", &["span"]));
        assert!(k.starts_with("s", "spanscope-trace/"));
        assert_eq!(k.raw("n"), Some(&br#"[1,{"x":2}]"#[..]));
        // values nested deeper than a parser's recursion limit are skipped, not refused
        let deep = format!(r#"{{"a":{}{}}}"#, "[".repeat(100_000), "]".repeat(100_000));
        assert!(Keys::read(deep.as_bytes()).unwrap().has("a"));
        assert_eq!(Keys::read(b"[1]").unwrap_err().reason, "not a JSON object");
        assert!(
            Keys::read(b"{\"a\":")
                .unwrap_err()
                .reason
                .contains("column")
        );
    }
}
