//! Sniff what a file or a record is (FORMATS.md "Auto-detection hints").

use serde::Deserialize;
use serde_json::value::RawValue;

/// What a whole file (or body) is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Empty,
    Gzip,
    /// JSON text: lines or one document, decided by [`json_layout`].
    Json,
    /// Anything else: tried as a binary OTLP protobuf body.
    Binary,
}

#[must_use]
pub fn sniff_file(bytes: &[u8]) -> FileKind {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        return FileKind::Gzip;
    }
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        None => FileKind::Empty,
        Some(b'{' | b'[') => FileKind::Json,
        Some(_) => FileKind::Binary,
    }
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

/// The shape of one JSON record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Otlp,
    Mlflow,
    Callback,
    Event,
    Request,
    /// A normalized trace line (`spanscope export`).
    Normalized,
}

/// The top-level keys that tell the shapes apart; values are skipped, not decoded.
#[derive(Deserialize)]
struct Keys<'a> {
    #[serde(rename = "resourceSpans", alias = "resource_spans", borrow, default)]
    resource_spans: Option<&'a RawValue>,
    #[serde(borrow, default)]
    info: Option<&'a RawValue>,
    #[serde(borrow, default)]
    data: Option<&'a RawValue>,
    #[serde(borrow, default)]
    v: Option<&'a RawValue>,
    #[serde(borrow, default)]
    event: Option<&'a RawValue>,
    #[serde(rename = "type", borrow, default)]
    ty: Option<&'a RawValue>,
    #[serde(borrow, default)]
    trace_id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    total_latency_ms: Option<&'a RawValue>,
    #[serde(borrow, default)]
    steps: Option<&'a RawValue>,
    #[serde(borrow, default)]
    schema: Option<&'a RawValue>,
}

/// Decide the shape of a JSON object.
///
/// # Errors
/// Not JSON, not an object, or none of the known shapes (the message lists its keys).
pub fn sniff_record(bytes: &[u8]) -> Result<Shape, String> {
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err("not a JSON object".into());
    }
    let k: Keys<'_> = serde_json::from_slice(bytes).map_err(|e| super::json_error(&e))?;
    if k.resource_spans.is_some() {
        return Ok(Shape::Otlp);
    }
    if k.info.is_some() && k.data.is_some() {
        return Ok(Shape::Mlflow);
    }
    if k.v.is_some() && k.event.is_some() {
        return Ok(Shape::Callback);
    }
    if let Some(t) = k.ty
        && matches!(t.get(), "\"trace_start\"" | "\"span\"" | "\"trace_end\"")
    {
        return Ok(Shape::Event);
    }
    if k.schema
        .is_some_and(|s| super::normalized::is_schema(s.get()))
    {
        return Ok(Shape::Normalized);
    }
    if k.trace_id.is_some() && (k.total_latency_ms.is_some() || k.steps.is_some()) {
        return Ok(Shape::Request);
    }
    let keys: Vec<String> =
        serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(bytes)
            .map(|m| m.keys().take(8).cloned().collect())
            // what the shape test skipped over may be invalid (nested too deep)
            .map_err(|e| super::json_error(&e))?;
    Err(format!(
        "unknown record shape (keys: {}); expected OTLP/JSON (resourceSpans), an MLflow trace \
         (info + data), a dspy callback event (v + event), an event-stream line (type: \
         trace_start|span|trace_end), a request line (trace_id + total_latency_ms) or a spanscope \
         export line (schema: spanscope-trace/1)",
        if keys.is_empty() {
            "none".to_string()
        } else {
            keys.join(", ")
        }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files() {
        assert_eq!(sniff_file(b""), FileKind::Empty);
        assert_eq!(sniff_file(b"  \n"), FileKind::Empty);
        assert_eq!(sniff_file(b"\x1f\x8b\x08"), FileKind::Gzip);
        assert_eq!(sniff_file(b"\n{\"a\":1}"), FileKind::Json);
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
    fn shapes() {
        assert_eq!(sniff_record(br#"{"resourceSpans":[]}"#), Ok(Shape::Otlp));
        assert_eq!(
            sniff_record(br#"{"info":{},"data":{"spans":[]}}"#),
            Ok(Shape::Mlflow)
        );
        assert_eq!(
            sniff_record(br#"{"v":1,"event":"lm_start"}"#),
            Ok(Shape::Callback)
        );
        assert_eq!(
            sniff_record(br#"{"type":"span","trace_id":"t"}"#),
            Ok(Shape::Event)
        );
        assert_eq!(
            sniff_record(br#"{"trace_id":"t","total_latency_ms":3}"#),
            Ok(Shape::Request)
        );
        assert_eq!(
            sniff_record(br#"{"schema":"spanscope-trace/1","trace_id":"t","spans":[]}"#),
            Ok(Shape::Normalized)
        );
        let err = sniff_record(br#"{"hello":1}"#).unwrap_err();
        assert!(err.contains("unknown record shape (keys: hello)"), "{err}");
        assert!(sniff_record(b"[1,2]").is_err());
        assert!(sniff_record(b"{\"a\":").unwrap_err().contains("column"));
    }
}
