//! OTLP/JSON (one `ExportTraceServiceRequest` per line, or a whole file) read in one pass into
//! borrowed records that map straight to span records: names, keys and string values stay in
//! the line, and the values the index never reads (prompts, responses, inputs, outputs,
//! documents: what another tab of the detail shows; the attributes of events other than the
//! exception's; links') are checked as JSON text and skipped, not decoded.
//!
//! It reads what `opentelemetry-proto`'s serde mapping reads, field by field, with the same
//! types: camelCase names, ids as hex (any case, an optional `0x`), times and `intValue` as a
//! number or a string, nested `arrayValue` and `kvlistValue`, `bytesValue` as base64. A record
//! that mapping refuses for a field the index reads is refused here with the same reason; the
//! detail decoder (`otlp.rs`) still decodes a record with `opentelemetry-proto`. Attributes
//! and their values are read by `otlp_attrs.rs`.

use super::otlp_attrs::{Any, Every, Exception, KeyValue, Nothing, OwnTexts, Slot, attr_value};
use super::otlp_span::{self, Facts};
use crate::ingest::ctx::At;
use crate::ingest::decode::{Checked, SomeText, Text, decode};
use crate::ingest::error::ParseError;
use crate::ingest::semconv::{AttrValue, Attrs};
use crate::ingest::texts::ErrorInfo;
use crate::model::idx;
use crate::model::store::Record;
use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

/// One OTLP/JSON request (a line or a file).
///
/// # Errors
/// Not valid OTLP/JSON in the fields the index reads.
pub fn parse(bytes: &[u8], at: &At<'_>, out: &mut Vec<Record>) -> Result<(), ParseError> {
    let req: Request<'_> = decode(bytes, "OTLP/JSON")?;
    let mut ordinal = 0usize;
    for rs in req.resource_spans.iter() {
        let resource = rs.resource.as_ref().map_or_else(Vec::new, |r| {
            otlp_span::resource_attributes(
                r.attributes
                    .iter()
                    .map(|kv| (&*kv.key, kv.value().to_text().into_owned())),
            )
        });
        for ss in rs.scope_spans.iter() {
            let scope = ss.scope.as_ref().map_or("", |s| &*s.name);
            for sp in ss.spans.iter() {
                let n = ordinal;
                ordinal += 1;
                out.push(span(sp, n, &resource, scope, at));
            }
        }
    }
    Ok(())
}

/// The record of span number `ordinal` of the request.
fn span(
    sp: &Span<'_>,
    ordinal: usize,
    resource: &[(String, String)],
    scope: &str,
    at: &At<'_>,
) -> Record {
    let name: &str = &sp.name;
    if let Some(why) = otlp_span::invalid_ids(&sp.trace_id.0, &sp.span_id.0, &sp.parent_span_id.0) {
        return Record::Rejected(format!("span {name:?}: {why}"));
    }
    let ordinal = match idx::to_u32(ordinal, idx::Table::RecordParts) {
        Ok(o) => o,
        Err(e) => return Record::Rejected(format!("span {name:?}: {e}")),
    };
    let attrs = attrs_of(scope, sp);
    let status = sp.status.as_ref();
    Record::Span(otlp_span::span_record(
        Facts {
            trace_id: sp.trace_id.0.clone().into_owned(),
            span_id: sp.span_id.0.clone().into_owned(),
            parent_id: &sp.parent_span_id.0,
            name,
            attrs: &attrs,
            exception: exception(sp),
            code: otlp_span::status_code(status.map(|s| s.code)),
            message: status.map_or("", |s| &*s.message),
            start: sp.start_time_unix_nano.0,
            end: sp.end_time_unix_nano.0,
            resource,
            scope,
        },
        at.payload(ordinal),
    ))
}

/// A span's attributes, JSON-decoded where the producer encoded them (MLflow); the ones
/// skipped are texts the index does not keep.
fn attrs_of<'a>(scope: &str, sp: &'a Span<'a>) -> Attrs<'a> {
    let encoded = scope.starts_with("mlflow")
        || sp.attributes.iter().any(|kv| {
            kv.key.0 == "mlflow.spanType"
                && matches!(&kv.value, Slot::Read(Some(Any::Str(s))) if s.starts_with('"'))
        });
    let mut a = Attrs(Vec::with_capacity(sp.attributes.len()));
    for kv in sp.attributes.iter() {
        let Slot::Read(v) = &kv.value else { continue };
        let v = match v {
            Some(Any::Str(s)) if encoded => AttrValue::from_json_text(s),
            v => attr_value(v.as_ref()),
        };
        a.push(Cow::Borrowed(&*kv.key), v);
    }
    a
}

/// The exception event, if any.
fn exception(sp: &Span<'_>) -> Option<ErrorInfo> {
    let ev = sp.events.iter().find(|e| e.name.0 == "exception")?;
    let get = |k: &str| {
        ev.attributes
            .iter()
            .find(|kv| kv.key.0 == k)
            .map(|kv| kv.value().to_text().into_owned())
    };
    Some(ErrorInfo {
        kind: get("exception.type"),
        message: get("exception.message"),
        stacktrace: get("exception.stacktrace"),
    })
}

// The shape, as `opentelemetry-proto` maps it to JSON: a missing field is its default. The
// fields the index does not keep are read for their type only (`SomeText`, `Checked`), so that
// a record the detail decoder would refuse is refused when it is indexed: they are never read.

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Request<'a> {
    #[serde(borrow)]
    resource_spans: Listed<ResourceSpans<'a>, 1>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
#[allow(dead_code)]
struct ResourceSpans<'a> {
    #[serde(borrow)]
    resource: Option<Resource<'a>>,
    #[serde(borrow)]
    scope_spans: Vec<ScopeSpans<'a>>,
    schema_url: SomeText,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
#[allow(dead_code)]
struct Resource<'a> {
    #[serde(borrow)]
    attributes: Vec<KeyValue<'a, Every>>,
    dropped_attributes_count: Checked<u32>,
    entity_refs: Vec<EntityRef>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct EntityRef {
    schema_url: SomeText,
    r#type: SomeText,
    id_keys: Vec<SomeText>,
    description_keys: Vec<SomeText>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
#[allow(dead_code)]
struct ScopeSpans<'a> {
    #[serde(borrow)]
    scope: Option<Scope<'a>>,
    #[serde(borrow)]
    spans: Listed<Span<'a>, 8>,
    schema_url: SomeText,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
#[allow(dead_code)]
struct Scope<'a> {
    #[serde(borrow)]
    name: Text<'a>,
    version: SomeText,
    #[serde(borrow)]
    attributes: Vec<KeyValue<'a, Every>>,
    dropped_attributes_count: Checked<u32>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
#[allow(dead_code)]
struct Span<'a> {
    #[serde(borrow)]
    trace_id: Id<'a>,
    #[serde(borrow)]
    span_id: Id<'a>,
    trace_state: SomeText,
    #[serde(borrow)]
    parent_span_id: Id<'a>,
    flags: Checked<u32>,
    #[serde(borrow)]
    name: Text<'a>,
    kind: Checked<i32>,
    start_time_unix_nano: Nanos,
    end_time_unix_nano: Nanos,
    #[serde(borrow)]
    attributes: Listed<KeyValue<'a, OwnTexts>, 16>,
    dropped_attributes_count: Checked<u32>,
    #[serde(borrow)]
    events: Vec<Event<'a>>,
    dropped_events_count: Checked<u32>,
    #[serde(borrow)]
    links: Vec<Link<'a>>,
    dropped_links_count: Checked<u32>,
    #[serde(borrow)]
    status: Option<Status<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
#[allow(dead_code)]
struct Event<'a> {
    time_unix_nano: Nanos,
    #[serde(borrow)]
    name: Text<'a>,
    #[serde(borrow)]
    attributes: Vec<KeyValue<'a, Exception>>,
    dropped_attributes_count: Checked<u32>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
#[allow(dead_code)]
struct Link<'a> {
    #[serde(borrow)]
    trace_id: Id<'a>,
    #[serde(borrow)]
    span_id: Id<'a>,
    trace_state: SomeText,
    #[serde(borrow)]
    attributes: Vec<KeyValue<'a, Nothing>>,
    dropped_attributes_count: Checked<u32>,
    flags: Checked<u32>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Status<'a> {
    #[serde(borrow)]
    message: Text<'a>,
    code: i32,
}

/// A list read into a vector made for `N` items up front: serde_json does not tell a list's
/// length, and a vector grown from empty is copied three times on the way to a span's dozen
/// attributes.
struct Listed<T, const N: usize>(Vec<T>);

impl<T, const N: usize> Default for Listed<T, N> {
    fn default() -> Self {
        Listed(Vec::new())
    }
}

impl<T, const N: usize> std::ops::Deref for Listed<T, N> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.0
    }
}

impl<'de, T: Deserialize<'de>, const N: usize> Deserialize<'de> for Listed<T, N> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit<T, const N: usize>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>, const N: usize> Visitor<'de> for Visit<T, N> {
            type Value = Listed<T, N>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a sequence")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::with_capacity(N);
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Listed(items))
            }
        }
        d.deserialize_seq(Visit(PhantomData))
    }
}

/// An id: its bytes as lowercase hex, read from hex text in any case with an optional `0x`
/// (what `opentelemetry-proto` reads, refused with its reasons).
#[derive(Default)]
struct Id<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Id<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for Visit<'a> {
            type Value = Id<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string representing hex-encoded bytes")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Id<'a>, E> {
                let (digits, upper) = hex_digits(s).map_err(E::custom)?;
                Ok(Id(if upper {
                    Cow::Owned(digits.to_ascii_lowercase())
                } else {
                    Cow::Borrowed(digits)
                }))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Id<'a>, E> {
                let (digits, _) = hex_digits(s).map_err(E::custom)?;
                Ok(Id(Cow::Owned(digits.to_ascii_lowercase())))
            }
        }
        d.deserialize_str(Visit(PhantomData))
    }
}

/// The hex digits of an id written as hex (an even number of digits, an optional `0x`), and
/// whether some are uppercase; or why not, worded as `const-hex` words it.
fn hex_digits(s: &str) -> Result<(&str, bool), String> {
    if !s.len().is_multiple_of(2) {
        return Err("odd number of digits".into());
    }
    let digits = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    // every byte looked up, with no branch per byte: ids are most of what is checked here
    let class = digits
        .bytes()
        .fold(0, |acc, b| acc | HEX_CLASS[usize::from(b)]);
    if class & NOT_HEX == 0 {
        return Ok((digits, class & UPPER != 0));
    }
    let i = digits
        .bytes()
        .position(|b| HEX_CLASS[usize::from(b)] & NOT_HEX != 0)
        .unwrap_or_default();
    Err(format!(
        "invalid character {:?} at position {i}",
        char::from(digits.as_bytes()[i])
    ))
}

/// [`HEX_CLASS`]: the byte is not a hex digit.
const NOT_HEX: u8 = 1;
/// [`HEX_CLASS`]: the byte is an uppercase hex digit.
const UPPER: u8 = 2;

/// What each byte is, for [`hex_digits`].
const HEX_CLASS: [u8; 256] = {
    let mut t = [NOT_HEX; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if c.is_ascii_digit() || matches!(c, b'a'..=b'f') {
            t[b] = 0;
        } else if matches!(c, b'A'..=b'F') {
            t[b] = UPPER;
        }
        b += 1;
    }
    t
};

/// A time in nanoseconds: a number, or a string holding one.
#[derive(Default)]
struct Nanos(u64);

impl<'de> Deserialize<'de> for Nanos {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl Visitor<'_> for Visit {
            type Value = Nanos;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a u64 integer or a string containing a u64 integer")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Nanos, E> {
                Ok(Nanos(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Nanos, E> {
                u64::try_from(v)
                    .map(Nanos)
                    .map_err(|_| E::custom(format!("i64 value {v} is out of range for u64")))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Nanos, E> {
                v.parse().map(Nanos).map_err(E::custom)
            }
        }
        d.deserialize_any(Visit)
    }
}

#[cfg(test)]
mod tests {
    use super::super::otlp;
    use super::*;
    use crate::ingest::ctx::{Ctx, Options};
    use crate::ingest::semconv::shown_elsewhere;
    use crate::model::BlobId;
    use crate::model::payload::RecordFormat;
    use serde_json::Value;
    use std::path::Path;

    #[test]
    fn hex_ids_are_checked_and_their_case_told() {
        assert_eq!(
            hex_digits("0af7651916cd43dd"),
            Ok(("0af7651916cd43dd", false))
        );
        assert_eq!(
            hex_digits("0x0AF7651916CD43DD"),
            Ok(("0AF7651916CD43DD", true))
        );
        assert_eq!(hex_digits("0XaB"), Ok(("aB", true)));
        assert_eq!(hex_digits(""), Ok(("", false)));
        assert_eq!(hex_digits("abc"), Err("odd number of digits".to_string()));
        assert_eq!(
            hex_digits("0x00g0"),
            Err("invalid character 'g' at position 2".to_string())
        );
        assert_eq!(
            hex_digits("é"),
            Err("invalid character 'Ã' at position 0".to_string())
        );
        // every byte: a digit is one of the 22 hex characters, or refused
        for b in 0..=255u8 {
            let s = String::from_utf8_lossy(&[b'a', b]).into_owned();
            let ok = hex_digits(&s).is_ok();
            assert_eq!(ok, b.is_ascii_hexdigit() && s.len() == 2, "byte {b}");
        }
    }

    /// What this file makes of `bytes`.
    fn borrowed(bytes: &[u8]) -> Result<Vec<Record>, String> {
        otlp::JSON
            .parse_one(bytes, Options::default())
            .map_err(|e| e.reason)
    }

    /// What `opentelemetry-proto`'s decoding and the same mapping make of `bytes`.
    fn owned(bytes: &[u8]) -> Result<Vec<Record>, String> {
        let req = otlp::read_json(bytes).map_err(|e| e.reason)?;
        let ctx = Ctx {
            blob: BlobId(0),
            opts: Options::default(),
        };
        let mut out = Vec::new();
        otlp::records(
            &req,
            &ctx,
            0,
            bytes.len(),
            RecordFormat::OTLP_JSON,
            &mut out,
        );
        Ok(out)
    }

    fn fixtures() -> Vec<Vec<u8>> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let mut out = Vec::new();
        let lines = std::fs::read(dir.join("otlp-jsonl/otlp.jsonl")).expect("fixture");
        out.extend(
            lines
                .split(|&b| b == b'\n')
                .filter(|l| !l.is_empty())
                .map(<[u8]>::to_vec),
        );
        for sub in [
            "otlp-json",
            "otlp-json-converted",
            "otlp-protobuf",
            "mlflow-otlp",
        ] {
            let mut files: Vec<_> = std::fs::read_dir(dir.join(sub))
                .expect("fixtures")
                .map(|e| e.expect("entry").path())
                .filter(|p| !p.to_string_lossy().ends_with(".meta.json"))
                .collect();
            files.sort();
            for p in files {
                let bytes = std::fs::read(&p).expect("fixture");
                if p.extension().is_some_and(|e| e == "bin") {
                    // protobuf bodies, as opentelemetry-proto writes them in JSON
                    let req = otlp::read_proto(&bytes).expect("a body");
                    out.push(serde_json::to_vec(&req).expect("JSON"));
                } else {
                    out.push(bytes);
                }
            }
        }
        out
    }

    #[test]
    fn every_fixture_indexes_as_opentelemetry_proto_reads_it() {
        let all = fixtures();
        assert!(all.len() >= 14, "{}", all.len());
        for bytes in all {
            let want = owned(&bytes);
            assert!(want.as_ref().is_ok_and(|r| !r.is_empty()), "{want:?}");
            assert_eq!(borrowed(&bytes), want);
        }
    }

    const SPAN: &str = r#"{"traceId":"A831F586ED689AEA10594E92AE203F2E","spanId":"0x71bbeac0ba296e75","parentSpanId":"","name":"n","kind":3,"flags":256,"startTimeUnixNano":1795238897886497132,"endTimeUnixNano":"1795238898083860205","attributes":[{"key":"i","value":{"intValue":"7"}},{"key":"j","value":{"intValue":-3}},{"key":"d","value":{"doubleValue":2}},{"key":"b","value":{"boolValue":true}},{"value":{"stringValue":"first"},"key":"value.first"},{"key":"a","value":{"arrayValue":{"values":[{"stringValue":"x"},{},{"intValue":1},{"kvlistValue":{"values":[{"key":"k","value":{"bytesValue":"AAEC"}},{"key":"z"}]}}]}}},{"key":"empty","value":{}},{"key":"none","value":null},{"key":"missing"},{"key":"input.value","value":{"stringValue":"the prompt"}},{"key":"llm.model_name","value":{"stringValue":"m","stringValue":null,"other":[1,{"x":2}]}},{"key":"openinference.span.kind","value":{"stringValue":"LLM"},"keyStrindex":0}],"events":[{"name":"exception","timeUnixNano":"5","attributes":[{"key":"exception.type","value":{"stringValue":"E"}},{"key":"exception.message","value":{"stringValue":"boom"}},{"key":"note","value":{"stringValue":"skipped"}}]}],"links":[{"traceId":"a831f586ed689aea10594e92ae203f2e","spanId":"71bbeac0ba296e75","attributes":[{"key":"l","value":{"stringValue":"skipped"}}]}],"status":{"code":2}}"#;

    fn line(span: &str) -> String {
        format!(
            r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"app"}}}},{{"key":"n","value":{{"intValue":"12"}}}}],"entityRefs":[{{"schemaUrl":"","type":"t","idKeys":["a"],"descriptionKeys":[]}}]}},"scopeSpans":[{{"scope":{{"name":"sc","version":"1"}},"spans":[{span}]}}],"schemaUrl":"u"}}]}}"#
        )
    }

    #[test]
    fn every_shape_of_value_and_id_reads_as_before() {
        let text = line(SPAN);
        let got = borrowed(text.as_bytes()).expect("parses");
        assert_eq!(Ok(got.clone()), owned(text.as_bytes()));
        let [Record::Span(s)] = got.as_slice() else {
            panic!("{got:?}")
        };
        assert_eq!(s.trace_id, "a831f586ed689aea10594e92ae203f2e");
        assert_eq!(s.span_id, "71bbeac0ba296e75");
        assert_eq!(s.parent_id, None);
        assert_eq!(s.error.as_deref(), Some("E: boom"));
        assert_eq!(s.model.as_deref(), Some("m"));
        let attr = |k: &str| s.attrs.get(k);
        assert_eq!(attr("i"), Some("7"));
        assert_eq!(attr("d"), Some("2"));
        assert_eq!(
            attr("a"),
            Some(r#"["x",1,{"k":"000102","z":null}]"#),
            "{:?}",
            s.attrs
        );
        assert_eq!(attr("empty"), Some("null"));
        assert_eq!(attr("input.value"), None, "a text another tab shows");
        assert_eq!(attr("resource.n"), Some("12"));
        assert_eq!(attr("otel.scope.name"), Some("sc"));
        // snake_case is OTLP/JSON to the sniffer, but opentelemetry-proto reads no span of it
        let snake = br#"{"resource_spans":[{"scope_spans":[{"spans":[{"trace_id":"a831f586ed689aea10594e92ae203f2e"}]}]}]}"#;
        assert_eq!(borrowed(snake), Ok(Vec::new()));
        assert_eq!(owned(snake), Ok(Vec::new()));
    }

    /// Lines with one field of the wrong type, a bad id or a bad number: refused for the same
    /// reason, or read the same.
    #[test]
    fn what_opentelemetry_proto_refuses_is_refused_for_the_same_reason() {
        let cases: &[(&str, &str)] = &[
            (r#""traceId":"A831"#, r#""traceId":"A83G"#),
            (r#""traceId":"A831"#, r#""traceId":"A8310"#),
            (
                r#""traceId":"A831F586ED689AEA10594E92AE203F2E""#,
                r#""traceId":5"#,
            ),
            (
                r#""traceId":"A831F586ED689AEA10594E92AE203F2E""#,
                r#""traceId":null"#,
            ),
            (
                r#""traceId":"A831F586ED689AEA10594E92AE203F2E""#,
                r#""traceId":"é1""#,
            ),
            (r#""kind":3"#, r#""kind":"SPAN_KIND_CLIENT""#),
            (r#""flags":256"#, r#""flags":-1"#),
            (
                r#""startTimeUnixNano":1795238897886497132"#,
                r#""startTimeUnixNano":-1"#,
            ),
            (
                r#""startTimeUnixNano":1795238897886497132"#,
                r#""startTimeUnixNano":1.5"#,
            ),
            (
                r#""startTimeUnixNano":1795238897886497132"#,
                r#""startTimeUnixNano":"x""#,
            ),
            (
                r#""startTimeUnixNano":1795238897886497132"#,
                r#""startTimeUnixNano":null"#,
            ),
            (r#""name":"n""#, r#""name":null"#),
            (r#""name":"n""#, r#""name":"n","name":"m""#),
            (r#"{"intValue":"7"}"#, r#"{"intValue":"7x"}"#),
            (r#"{"intValue":"7"}"#, r#"{"intValue":7.5}"#),
            (r#"{"intValue":"7"}"#, r#"{"intValue":9223372036854775808}"#),
            (r#"{"intValue":"7"}"#, r#"{"intValue":null}"#),
            (r#"{"doubleValue":2}"#, r#"{"doubleValue":"NaN"}"#),
            (r#"{"bytesValue":"AAEC"}"#, r#"{"bytesValue":"!!"}"#),
            (r#"{"key":"missing"}"#, r#"{"value":{}}"#),
            (r#"{"key":"missing"}"#, r#"{"key":"missing","key":"again"}"#),
            (r#"{"key":"missing"}"#, r#"{"key":5}"#),
            (
                r#"{"key":"empty","value":{}}"#,
                r#"{"key":"empty","value":"x"}"#,
            ),
            (
                r#"{"key":"empty","value":{}}"#,
                r#"["empty",{"boolValue":false}]"#,
            ),
            (
                r#""status":{"code":2}"#,
                r#""status":{"code":"STATUS_CODE_ERROR"}"#,
            ),
            (r#""status":{"code":2}"#, r#""status":null"#),
            (
                r#""status":{"code":2}"#,
                r#""status":{"code":2,"message":7}"#,
            ),
            (
                r#""name":"exception""#,
                r#""name":"exception","timeUnixNano":-2"#,
            ),
            (r#""arrayValue":{"values":["#, r#""arrayValue":{"vals":["#),
            (r#""links":[{"#, r#""links":[{"traceId":"xy","#),
            (r#""links":[{"#, r#""links":[{"flags":"1","#),
            (r#""attributes":[{"key":"l""#, r#""attributes":[{"key":7"#),
        ];
        let text = line(SPAN);
        let mut differ = Vec::new();
        for (from, to) in cases {
            assert!(text.contains(from), "{from}");
            let changed = text.replacen(from, to, 1);
            let want = owned(changed.as_bytes());
            let got = borrowed(changed.as_bytes());
            let finer = match (&got, &want) {
                (Err(g), Err(w)) => same_or_finer(g, w),
                _ => got == want,
            };
            if !finer {
                differ.push(format!("{to}\n  new: {got:?}\n  old: {want:?}"));
            }
        }
        assert!(differ.is_empty(), "{}", differ.join("\n"));
        // the resource's and the scope's fields are read as before too
        for (from, to) in [
            (r#""schemaUrl":"""#, r#""schemaUrl":1"#),
            (r#""idKeys":["a"]"#, r#""idKeys":[1]"#),
            (r#","descriptionKeys":[]"#, ""),
            (r#""version":"1""#, r#""version":1"#),
            (r#""schemaUrl":"u""#, r#""schemaUrl":null"#),
            (
                r#"{"intValue":"12"}"#,
                r#"{"intValue":"12", "stringValue": "s"}"#,
            ),
        ] {
            let changed = text.replacen(from, to, 1);
            assert_ne!(changed, text);
            assert_eq!(
                borrowed(changed.as_bytes()),
                owned(changed.as_bytes()),
                "{to}"
            );
        }
    }

    /// Whether a reason is `old`, or names a field inside the one `old` names (a value's own
    /// field: `attributes[0].value.intValue` where opentelemetry-proto says
    /// `attributes[0].value`) with the same message.
    fn same_or_finer(new: &str, old: &str) -> bool {
        let parts = |r: &str| -> Option<(String, String)> {
            let (_, rest) = r.split_once("wrong type for `")?;
            let (path, rest) = rest.split_once('`')?;
            let (_, message) = rest.split_once(": ")?;
            Some((path.to_string(), message.to_string()))
        };
        new == old
            || matches!((parts(new), parts(old)), (Some((np, nm)), Some((op, om)))
                if np.starts_with(&format!("{op}.")) && op.ends_with(".value") && nm == om)
    }

    /// The values the index never reads are checked as JSON text (and UTF-8), not decoded: a
    /// prompt of the wrong shape, nested past serde's limit, no longer refuses its line.
    #[test]
    fn a_text_the_index_does_not_read_is_skipped_not_decoded() {
        let text = line(SPAN);
        let deep = format!("{}1{}", "[".repeat(1000), "]".repeat(1000));
        for (from, to) in [
            (
                r#"{"stringValue":"the prompt"}"#,
                r#""the prompt""#.to_string(),
            ),
            (
                r#"{"stringValue":"the prompt"}"#,
                format!(r#"{{"arrayValue":{deep}}}"#),
            ),
            (
                r#"{"stringValue":"skipped"}"#,
                r#"{"intValue":"x"}"#.to_string(),
            ),
        ] {
            let changed = text.replacen(from, &to, 1);
            assert!(owned(changed.as_bytes()).is_err(), "{to}");
            assert!(borrowed(changed.as_bytes()).is_ok(), "{to}");
        }
        // still JSON, and still UTF-8
        let mut bad = text
            .replacen("the prompt", "the \u{1} prompt", 1)
            .into_bytes();
        assert!(borrowed(&bad).unwrap_err().contains("control character"));
        bad = text.into_bytes();
        let at = bad.windows(6).position(|w| w == b"prompt").expect("there");
        bad[at] = 0xff;
        assert!(
            borrowed(&bad)
                .unwrap_err()
                .contains("invalid unicode code point")
        );
    }

    /// Every value of the fixtures replaced in turn by values of other types: the line is
    /// read as opentelemetry-proto reads it, or refused as it refuses it (but for the values
    /// the index skips).
    #[test]
    fn mutated_fixtures_read_or_fail_as_before() {
        let candidates: Vec<Value> = [
            "null",
            "5",
            "-1",
            "1.5",
            "\"x\"",
            "\"0xab\"",
            "\"7\"",
            "[]",
            "{}",
            "true",
            "18446744073709551616",
        ]
        .iter()
        .map(|t| serde_json::from_str(t).expect("JSON"))
        .collect();
        let mut checked = 0;
        for bytes in fixtures().iter().take(6) {
            let v: Value = serde_json::from_slice(bytes).expect("JSON");
            let mut paths = Vec::new();
            nodes(&v, &mut Vec::new(), &mut paths);
            // a spread of the nodes of each fixture
            let stride = (paths.len() / 25).max(1);
            for path in paths.iter().step_by(stride) {
                for c in &candidates {
                    let mut m = v.clone();
                    *at(&mut m, path) = c.clone();
                    let text = serde_json::to_vec(&m).expect("JSON");
                    let (want, got) = (owned(&text), borrowed(&text));
                    if want.is_err() && got.is_ok() && skipped(&v, path) {
                        continue;
                    }
                    assert_eq!(
                        got.is_ok(),
                        want.is_ok(),
                        "{path:?} = {c}: {got:?} / {want:?}"
                    );
                    if let (Ok(g), Ok(w)) = (&got, &want) {
                        assert_eq!(g, w, "{path:?} = {c}");
                    }
                    checked += 1;
                }
            }
        }
        assert!(checked > 500, "{checked}");
    }

    #[derive(Debug, Clone)]
    enum Step {
        Key(String),
        Index(usize),
    }

    fn nodes(v: &Value, path: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
        out.push(path.clone());
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    path.push(Step::Key(k.clone()));
                    nodes(x, path, out);
                    path.pop();
                }
            }
            Value::Array(items) => {
                for (i, x) in items.iter().enumerate() {
                    path.push(Step::Index(i));
                    nodes(x, path, out);
                    path.pop();
                }
            }
            _ => {}
        }
    }

    fn at<'v>(v: &'v mut Value, path: &[Step]) -> &'v mut Value {
        path.iter().fold(v, |v, s| match s {
            Step::Key(k) => &mut v[k.as_str()],
            Step::Index(i) => &mut v[*i],
        })
    }

    /// Whether `path` is inside a value the index skips: a span's attribute another tab
    /// shows, an event's attribute other than the exception's, a link's.
    fn skipped(v: &Value, path: &[Step]) -> bool {
        let mut node = v;
        for (i, s) in path.iter().enumerate() {
            let attribute = match (s, path.get(i + 1), path.get(i + 2)) {
                (Step::Key(k), Some(Step::Index(j)), Some(Step::Key(under)))
                    if k == "attributes" && under == "value" =>
                {
                    Some(*j)
                }
                _ => None,
            };
            if let Some(j) = attribute {
                let key = node["attributes"][j]["key"].as_str().unwrap_or("");
                let skips = match i.checked_sub(2).map(|p| &path[p]) {
                    Some(Step::Key(p)) if p == "spans" => shown_elsewhere(key),
                    Some(Step::Key(p)) if p == "events" => !key.starts_with("exception."),
                    Some(Step::Key(p)) if p == "links" => true,
                    _ => false,
                };
                if skips {
                    return true;
                }
            }
            node = match s {
                Step::Key(k) => &node[k.as_str()],
                Step::Index(j) => &node[*j],
            };
        }
        false
    }
}
