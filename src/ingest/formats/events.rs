//! trace_start / span / trace_end event streams. The trace_start/trace_end pair becomes a
//! synthesized root span (its span id is the trace id); span lines hang under their declared
//! parent, or under the root when they declare none (they keep no parent of their own: they
//! are the program's top-level spans).

use crate::ingest::ctx::At;
use crate::ingest::decode::{Text, decode};
use crate::ingest::error::{ErrorKind, ParseError, json_error};
use crate::ingest::format::{Decoded, Format, Sniff};
use crate::ingest::usage::usage_from_value;
use crate::ingest::attributes::{kept, of_object};
use crate::ingest::texts::{ErrorInfo, SpanDetail};
use crate::ingest::values::{
    content_id, error_text, error_value_text, ms_to_ns, parse_time, stated_outcome, stated_trace,
    status_says_failed,
};
use crate::model::payload::PayloadRef;
use crate::model::span::flags;
use crate::model::store::{Record, SpanRecord, TraceRecord};
use crate::model::{Nanos, SpanKind};
use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::fmt;

/// One trace_start / span / trace_end line.
pub const FORMAT: Format = Format {
    name: "event",
    expected: "an event-stream line (type: trace_start|span|trace_end)",
    sniff: Sniff::Keys(|k| k.is_one_of("type", &["trace_start", "span", "trace_end"])),
    parse,
    decode: |bytes| Ok(Box::new(EventDetail::decode(bytes)?)),
};

#[derive(Deserialize)]
struct Line<'a> {
    #[serde(rename = "type", borrow)]
    ty: Cow<'a, str>,
    #[serde(borrow)]
    trace_id: Cow<'a, str>,
    #[serde(borrow, default)]
    name: Option<Text<'a>>,
    #[serde(borrow, default)]
    agent_id: Option<Text<'a>>,
    #[serde(borrow, default)]
    status: Option<Text<'a>>,
    #[serde(default)]
    latency_ms: Option<f64>,
    #[serde(borrow, default)]
    started_at: Option<Text<'a>>,
    #[serde(borrow, default)]
    error: Option<&'a RawValue>,
    #[serde(default)]
    metadata: Option<Meta>,
}

/// The metadata fields whose values are texts other tabs show: read as JSON text and skipped,
/// never decoded (the index keeps them as `null`, and reads none of them).
const TEXTS: [&str; 4] = ["inputs", "outputs", "output_preview", "error_type"];

/// A line's `metadata` object, its fields in order (a repeated key keeps its first place and
/// its last value), every value decoded but the [`TEXTS`].
struct Meta(Map<String, Value>);

impl<'de> Deserialize<'de> for Meta {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> Visitor<'de> for Visit {
            type Value = Meta;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Meta, A::Error> {
                let mut m = Map::new();
                while let Some(Text(k)) = map.next_key::<Text<'de>>()? {
                    let v = if TEXTS.contains(&&*k) {
                        let _: &RawValue = map.next_value()?;
                        Value::Null
                    } else {
                        map.next_value()?
                    };
                    m.insert(k.into_owned(), v);
                }
                Ok(Meta(m))
            }
        }
        d.deserialize_map(Visit)
    }
}

fn parse_line(bytes: &[u8]) -> Result<Line<'_>, ParseError> {
    decode(bytes, "event line")
}

fn meta_str<'m>(m: Option<&'m Map<String, Value>>, k: &str) -> Option<&'m str> {
    m?.get(k)?.as_str()
}

fn kind_of(meta_kind: Option<&str>, name: &str, has_model: bool) -> SpanKind {
    match meta_kind.map(str::to_ascii_lowercase).as_deref() {
        Some("lm" | "llm") => SpanKind::Llm,
        Some("tool") => SpanKind::Tool,
        Some("retriever" | "retrieve") => SpanKind::Retriever,
        Some("agent") => SpanKind::Agent,
        Some("embedding") => SpanKind::Embedding,
        Some("module" | "chain") => SpanKind::Chain,
        _ if has_model || name.starts_with("llm:") => SpanKind::Llm,
        _ if name.starts_with("tool") => SpanKind::Tool,
        _ if name.contains("retriev") => SpanKind::Retriever,
        _ => SpanKind::Chain,
    }
}

/// A line's attributes (`ingest/attributes.rs`): its metadata, but the span's ids and times and
/// the texts other tabs show (inputs, outputs, the output preview, the error), and its agent.
fn attributes(meta: Option<&Map<String, Value>>, agent_id: Option<&str>) -> Vec<(String, String)> {
    const NOT_ATTRIBUTES: [&str; 9] = [
        "span_id",
        "parent_span_id",
        "started_at",
        "ended_at",
        "inputs",
        "outputs",
        "output_preview",
        "error",
        "error_type",
    ];
    let mut out = meta.map_or_else(Vec::new, |m| of_object(None, m, &NOT_ATTRIBUTES));
    if let Some(a) = agent_id {
        out.push(("agent_id".to_string(), a.to_string()));
    }
    out
}

/// One event line.
///
/// # Errors
/// A wrong-typed field, a bad time or duration, an unknown type.
pub fn parse(bytes: &[u8], at: &At<'_>, out: &mut Vec<Record>) -> Result<(), ParseError> {
    let l = parse_line(bytes)?;
    let meta = l.metadata.as_ref().map(|m| &m.0);
    let time = |s: Option<&str>| s.map(|s| parse_time(s, at.opts())).transpose();
    let trace_id = l.trace_id.to_string();
    let latency = l
        .latency_ms
        .map(|ms| ms_to_ns(ms, "latency_ms"))
        .transpose()?;
    let payload = |slot| Some((slot, at.payload(PayloadRef::WHOLE)));
    let attrs = kept(attributes(meta, l.agent_id.as_deref()));
    match l.ty.as_ref() {
        "trace_start" => {
            out.push(Record::Span(SpanRecord {
                trace_id: trace_id.clone(),
                span_id: trace_id.clone(),
                name: l.name.as_deref().map(str::to_string),
                kind: Some(SpanKind::Chain),
                start: time(l.started_at.as_deref())?,
                flags: flags::SYNTHETIC_ROOT,
                payload: payload(0),
                attrs,
                ..SpanRecord::default()
            }));
            out.push(Record::Trace(TraceRecord {
                trace_id,
                name: l.name.as_deref().map(str::to_string),
                ..TraceRecord::default()
            }));
        }
        "span" => {
            let start = time(meta_str(meta, "started_at").or(l.started_at.as_deref()))?;
            let end: Option<Nanos> = if latency.is_some() {
                None
            } else {
                time(meta_str(meta, "ended_at"))?
            };
            let error = error_text(l.error).or_else(|| {
                meta.and_then(|m| m.get("error")).and_then(|e| match e {
                    Value::String(s) => Some(s.clone()),
                    Value::Null => None,
                    other => Some(other.to_string()),
                })
            });
            let failed = status_says_failed(l.status.as_deref()) || error.is_some();
            let name = l.name.as_deref().unwrap_or("span").to_string();
            let model = meta_str(meta, "model").map(str::to_string);
            let span_id =
                meta_str(meta, "span_id").map_or_else(|| content_id(bytes), str::to_string);
            let parent = meta
                .and_then(|m| m.get("parent_span_id"))
                .and_then(Value::as_str)
                .map(str::to_string);
            let (status, span_error) = stated_outcome(failed, error);
            out.push(Record::Span(SpanRecord {
                trace_id: trace_id.clone(),
                span_id,
                parent_id: parent,
                kind: Some(kind_of(meta_str(meta, "kind"), &name, model.is_some())),
                name: Some(name),
                start,
                end,
                dur: latency,
                status,
 error: span_error,
                model,
                tokens: meta.and_then(|m| m.get("usage")).and_then(usage_from_value),
                payload: payload(0),
                attrs,
                complete: true,
                ..SpanRecord::default()
            }));
        }
        "trace_end" => {
            let error = error_text(l.error);
            let failed = status_says_failed(l.status.as_deref()) || error.is_some();
            let end = if latency.is_some() {
                None
            } else {
                time(meta_str(meta, "ended_at"))?
            };
            // `usage` is per model: {"<model>": {prompt_tokens, ...}}.
            let tokens = meta
                .and_then(|m| m.get("usage"))
                .and_then(Value::as_object)
                .and_then(|per_model| {
                    per_model
                        .values()
                        .filter_map(usage_from_value)
                        .reduce(|a, b| a + b)
                });
            let (status, span_error) = stated_outcome(failed, error.clone());
            out.push(Record::Span(SpanRecord {
                trace_id: trace_id.clone(),
                span_id: trace_id.clone(),
                name: l.name.as_deref().map(str::to_string),
                start: time(l.started_at.as_deref())?,
                end,
                dur: latency,
                status,
 error: span_error,
                flags: flags::SYNTHETIC_ROOT,
                payload: payload(1),
                attrs,
                ..SpanRecord::default()
            }));
            out.push(Record::Trace(stated_trace(
                trace_id,
                l.name.as_deref().map(str::to_string),
                failed,
                error,
                tokens,
            )));
        }
        other => {
            return Err(ParseError::new(
                ErrorKind::Value,
                format!("unknown event type {other:?}"),
            ));
        }
    }
    Ok(())
}

/// An event line decoded once for its detail: the line as a JSON value (its metadata, error and
/// pretty-printed text all come from it).
struct EventDetail {
    line: Value,
}

impl EventDetail {
    fn decode(bytes: &[u8]) -> Result<EventDetail, ParseError> {
        let line: Value =
            serde_json::from_slice(bytes).map_err(|e| json_error(&e).prefixed("event line: "))?;
        for key in ["type", "trace_id"] {
            if !line.get(key).is_some_and(Value::is_string) {
                return Err(ParseError::new(
                    ErrorKind::Field,
                    format!("event line: no `{key}` text"),
                ));
            }
        }
        Ok(EventDetail { line })
    }
}

impl Decoded for EventDetail {
    fn fill(&self, _locator: u32, d: &mut SpanDetail) -> Result<(), ParseError> {
        let empty = Map::new();
        let meta = self
            .line
            .get("metadata")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_string);
        if let Some(i) = meta.get("inputs") {
            d.inputs = Some(i.to_string());
        }
        if let Some(o) = meta.get("outputs") {
            d.outputs = Some(o.to_string());
        }
        if let Some(p) = meta.get("output_preview") {
            d.response = Some(text(p));
        }
        let error = self.line.get("error").cloned().and_then(error_value_text);
        if let Some(e) = error.or_else(|| meta.get("error").map(text)) {
            d.error = Some(ErrorInfo {
                kind: meta.get("error_type").map(text),
                message: Some(e),
                stacktrace: None,
            });
        }
        d.add_attributes(attributes(
            Some(meta),
            self.line.get("agent_id").and_then(Value::as_str),
        ));
        d.add_raw(|| serde_json::to_string_pretty(&self.line).unwrap_or_default());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::ctx::Options;
    use crate::model::TraceStatus;

    #[test]
    fn start_span_end() {
        let lines: [&[u8]; 3] = [
            br#"{"type":"trace_start","trace_id":"trc_1","agent_id":"qa-bot","name":"q","status":"running","started_at":"2026-11-21T05:37:17.903506+00:00","metadata":{"program":"Predict"}}"#,
            br#"{"type":"span","trace_id":"trc_1","name":"llm:dummy","status":"ok","latency_ms":48.8,"metadata":{"span_id":"s1","parent_span_id":null,"kind":"lm","started_at":"2026-11-21T05:37:17.904470+00:00","model":"dummy","usage":{"prompt_tokens":148,"completion_tokens":6,"total_tokens":154}}}"#,
            br#"{"type":"trace_end","trace_id":"trc_1","status":"ok","latency_ms":49.93,"metadata":{"usage":{"dummy":{"prompt_tokens":148,"completion_tokens":6,"total_tokens":154}}}}"#,
        ];
        let mut out = Vec::new();
        for l in lines {
            out.extend(FORMAT.parse_one(l, Options::default()).unwrap());
        }
        let Record::Span(span) = &out[2] else {
            panic!()
        };
        // declared top-level: no parent of its own (the tree hangs it under the request root)
        assert_eq!(span.parent_id, None);
        assert_eq!(span.kind, Some(SpanKind::Llm));
        assert_eq!(span.dur, Some(48_800_000));
        let Record::Trace(end) = &out[4] else {
            panic!()
        };
        assert_eq!(end.final_status, Some(TraceStatus::Ok));
        assert_eq!(end.tokens.map(|t| t.total), Some(154));
    }

    /// The metadata's texts (inputs, outputs, the output preview) are checked as JSON text,
    /// not decoded: nested past serde's limit or holding a number out of range, they no longer
    /// refuse their line; the fields around them read as before.
    #[test]
    fn the_texts_of_the_metadata_are_skipped_not_decoded() {
        let deep = format!("{}1{}", "[".repeat(500), "]".repeat(500));
        let line = format!(
            r#"{{"type":"span","trace_id":"t","name":"s","latency_ms":1,"metadata":{{"program":"P","inputs":{deep},"outputs":{{"x":1e999}},"output_preview":"a","kind":"tool","program":"Q","usage":{{"prompt_tokens":1,"completion_tokens":2}}}}}}"#
        );
        let out = FORMAT.parse_one(line.as_bytes(), Options::default()).unwrap();
        let [Record::Span(s)] = out.as_slice() else {
            panic!("{out:?}")
        };
        let attrs: Vec<(&str, &str)> = s.attrs.iter().collect();
        assert_eq!(
            attrs,
            [
                ("program", "Q"),
                ("kind", "tool"),
                ("usage.prompt_tokens", "1"),
                ("usage.completion_tokens", "2")
            ]
        );
        assert_eq!(s.kind, Some(SpanKind::Tool));
        assert_eq!(s.tokens.map(|t| t.total), Some(3));
        // still JSON text, and still UTF-8
        let bad = line.replace(r#""output_preview":"a""#, "\"output_preview\":\"a\u{1}\"");
        let err = FORMAT.parse_one(bad.as_bytes(), Options::default()).unwrap_err();
        assert!(err.reason.contains("control character"), "{err}");
        // a field the index reads is decoded as before
        let wrong = line.replace(r#""program":"Q""#, r#""program":1e999"#);
        let err = FORMAT.parse_one(wrong.as_bytes(), Options::default()).unwrap_err();
        assert!(err.reason.contains("number out of range"), "{err}");
    }

    #[test]
    fn spans_without_ids_get_stable_ones() {
        let l = br#"{"type":"span","trace_id":"t","name":"retrieve","status":"ok","latency_ms":3,"started_at":"2026-11-21T05:37:17Z","metadata":{}}"#;
        let a = FORMAT.parse_one(l, Options::default()).unwrap();
        let b = FORMAT.parse_one(l, Options::default()).unwrap();
        assert_eq!(a, b);
        let Record::Span(s) = &a[0] else { panic!() };
        assert_eq!(s.kind, Some(SpanKind::Retriever));
        assert_eq!(s.span_id.len(), 16);
    }
}
