//! OTLP traces, protobuf and OTLP/JSON: two format entries ([`JSON`], [`PROTO`]) whose spans
//! are indexed the same way (`otlp_span.rs`). A protobuf body, a body the receiver takes and
//! any record whose detail is shown are decoded with `opentelemetry-proto`; OTLP/JSON lines and
//! files are indexed in one borrowing pass (`otlp_json.rs`).

use super::otlp_span::{self, Facts};
use crate::ingest::ctx::{At, Ctx};
use crate::ingest::decode::decode;
use crate::ingest::error::{ErrorKind, ParseError};
use crate::ingest::format::{Decoded, Format, Sniff};
use crate::ingest::semconv::{AttrValue, Attrs};
use crate::ingest::texts::{ErrorInfo, SpanDetail};
use crate::ingest::values::hex;
use crate::model::idx;
use crate::model::payload::RecordFormat;
use crate::model::store::Record;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::trace::v1::Span as ProtoSpan;
use prost::Message as _;
use std::borrow::Cow;

/// One OTLP/JSON `ExportTraceServiceRequest` (a line of a file exporter, or a whole file).
pub const JSON: Format = Format {
    name: "otlp-json",
    expected: "OTLP/JSON (resourceSpans)",
    sniff: Sniff::Keys(|k| k.has("resourceSpans") || k.has("resource_spans")),
    parse: super::otlp_json::parse,
    decode: |bytes| Ok(Box::new(Body::new(read_json(bytes)?))),
};

/// A binary protobuf `ExportTraceServiceRequest` (a captured `.bin` body).
pub const PROTO: Format = Format {
    name: "otlp-proto",
    expected: "an OTLP protobuf body",
    sniff: Sniff::Binary,
    parse: parse_proto,
    decode: |bytes| Ok(Box::new(Body::new(read_proto(bytes)?))),
};

/// Decode a binary protobuf body.
///
/// # Errors
/// The bytes are not an `ExportTraceServiceRequest`.
pub fn read_proto(bytes: &[u8]) -> Result<ExportTraceServiceRequest, ParseError> {
    ExportTraceServiceRequest::decode(bytes)
        .map_err(|e| ParseError::new(ErrorKind::Body, format!("protobuf decode error: {e}")))
}

/// Decode an OTLP/JSON body.
///
/// # Errors
/// Invalid JSON or not the OTLP/JSON mapping.
pub fn read_json(bytes: &[u8]) -> Result<ExportTraceServiceRequest, ParseError> {
    decode(bytes, "OTLP/JSON")
}

/// [`read_proto`] with the reason as text (the HTTP receiver's refusals carry it as is).
///
/// # Errors
/// As [`read_proto`].
pub fn decode_proto(bytes: &[u8]) -> Result<ExportTraceServiceRequest, String> {
    read_proto(bytes).map_err(|e| e.reason)
}

/// [`read_json`] with the reason as text (the HTTP receiver's refusals carry it as is).
///
/// # Errors
/// As [`read_json`].
pub fn decode_json(bytes: &[u8]) -> Result<ExportTraceServiceRequest, String> {
    read_json(bytes).map_err(|e| e.reason)
}

/// A binary body (a captured `.bin`).
///
/// # Errors
/// Not a protobuf request, or one with no spans at all.
pub fn parse_proto(bytes: &[u8], at: &At<'_>, out: &mut Vec<Record>) -> Result<(), ParseError> {
    let req = read_proto(bytes)?;
    if span_total(&req) == 0 {
        return Err(ParseError::new(ErrorKind::Body, "no spans in it"));
    }
    records(&req, at.ctx, at.offset, bytes.len(), at.format, out);
    Ok(())
}

fn span_total(req: &ExportTraceServiceRequest) -> usize {
    req.resource_spans
        .iter()
        .flat_map(|r| &r.scope_spans)
        .map(|s| s.spans.len())
        .sum()
}

/// MLflow exports every attribute value JSON-encoded (`"\"CHAT_MODEL\""`).
fn json_encoded(scope: &str, sp: &ProtoSpan) -> bool {
    scope.starts_with("mlflow")
        || sp.attributes.iter().any(|kv| {
            kv.key == "mlflow.spanType"
                && matches!(any(&kv.value), AttrValue::Str(s) if s.starts_with('"'))
        })
}

fn any(v: &Option<AnyValue>) -> AttrValue<'_> {
    match v.as_ref().and_then(|v| v.value.as_ref()) {
        Some(any_value::Value::StringValue(s)) => AttrValue::Str(Cow::Borrowed(s)),
        Some(any_value::Value::BoolValue(b)) => AttrValue::Bool(*b),
        Some(any_value::Value::IntValue(i)) => AttrValue::Int(*i),
        Some(any_value::Value::DoubleValue(d)) => AttrValue::Double(*d),
        Some(other) => AttrValue::Json(any_json(other).to_string()),
        None => AttrValue::Json("null".into()),
    }
}

pub(super) fn any_json(v: &any_value::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        any_value::Value::StringValue(s) => J::String(s.clone()),
        any_value::Value::BoolValue(b) => J::Bool(*b),
        any_value::Value::IntValue(i) => J::from(*i),
        any_value::Value::DoubleValue(d) => J::from(*d),
        any_value::Value::ArrayValue(a) => J::Array(
            a.values
                .iter()
                .filter_map(|x| x.value.as_ref())
                .map(any_json)
                .collect(),
        ),
        any_value::Value::KvlistValue(kv) => J::Object(
            kv.values
                .iter()
                .map(|kv| {
                    let v = kv
                        .value
                        .as_ref()
                        .and_then(|v| v.value.as_ref())
                        .map_or(J::Null, any_json);
                    (kv.key.clone(), v)
                })
                .collect(),
        ),
        any_value::Value::BytesValue(b) => J::String(hex(b)),
        #[allow(unreachable_patterns)]
        _ => J::Null,
    }
}

/// A span's attributes, JSON-decoded where the producer encoded them.
fn attrs_of<'a>(scope: &str, sp: &'a ProtoSpan) -> Attrs<'a> {
    let decode = json_encoded(scope, sp);
    let mut a = Attrs::default();
    for kv in &sp.attributes {
        let v = any(&kv.value);
        let v = match v {
            AttrValue::Str(s) if decode => AttrValue::from_json_text(&s),
            v => v,
        };
        a.push(Cow::Borrowed(kv.key.as_str()), v);
    }
    a
}

/// The exception event, if any.
fn exception(sp: &ProtoSpan) -> Option<ErrorInfo> {
    let ev = sp.events.iter().find(|e| e.name == "exception")?;
    let get = |k: &str| {
        ev.attributes
            .iter()
            .find(|kv| kv.key == k)
            .map(|kv| any(&kv.value).to_text().into_owned())
    };
    Some(ErrorInfo {
        kind: get("exception.type"),
        message: get("exception.message"),
        stacktrace: get("exception.stacktrace"),
    })
}

/// The records of a decoded request whose bytes sit at `offset..offset + len` of the
/// context's blob.
pub fn records(
    req: &ExportTraceServiceRequest,
    ctx: &Ctx,
    offset: u64,
    len: usize,
    format: RecordFormat,
    out: &mut Vec<Record>,
) {
    let mut ordinal = 0usize;
    for rs in &req.resource_spans {
        let res: &[KeyValue] = rs.resource.as_ref().map_or(&[], |r| &r.attributes);
        let resource = resource_attributes(res);
        for ss in &rs.scope_spans {
            let scope = ss.scope.as_ref().map_or("", |s| s.name.as_str());
            for sp in &ss.spans {
                let n = ordinal;
                ordinal += 1;
                let (trace, span, parent) = (
                    hex(&sp.trace_id),
                    hex(&sp.span_id),
                    hex(&sp.parent_span_id),
                );
                if let Some(why) = otlp_span::invalid_ids(&trace, &span, &parent) {
                    out.push(Record::Rejected(format!("span {:?}: {why}", sp.name)));
                    continue;
                }
                let n = match idx::to_u32(n, idx::Table::RecordParts) {
                    Ok(o) => o,
                    Err(e) => {
                        out.push(Record::Rejected(format!("span {:?}: {e}", sp.name)));
                        continue;
                    }
                };
                let attrs = attrs_of(scope, sp);
                let status = sp.status.as_ref();
                out.push(Record::Span(otlp_span::span_record(
                    Facts {
                        trace_id: trace,
                        span_id: span,
                        parent_id: &parent,
                        name: &sp.name,
                        attrs: &attrs,
                        exception: exception(sp),
                        code: otlp_span::status_code(status.map(|s| s.code)),
                        message: status.map_or("", |s| s.message.as_str()),
                        start: sp.start_time_unix_nano,
                        end: sp.end_time_unix_nano,
                        resource: &resource,
                        scope,
                    },
                    ctx.payload(offset, len, format, n),
                )));
            }
        }
    }
}

/// A resource's attributes as its spans list them.
fn resource_attributes(res: &[KeyValue]) -> Vec<(String, String)> {
    otlp_span::resource_attributes(
        res.iter()
            .map(|kv| (kv.key.as_str(), any(&kv.value).to_text().into_owned())),
    )
}

/// A request decoded once, for the details of any of its spans.
struct Body {
    req: ExportTraceServiceRequest,
    /// Where span number `n` is: (resource, scope, span) indexes.
    index: Vec<(usize, usize, usize)>,
}

impl Body {
    fn new(req: ExportTraceServiceRequest) -> Body {
        let mut index = Vec::new();
        for (r, rs) in req.resource_spans.iter().enumerate() {
            for (s, ss) in rs.scope_spans.iter().enumerate() {
                index.extend((0..ss.spans.len()).map(|n| (r, s, n)));
            }
        }
        Body { req, index }
    }
}

impl Decoded for Body {
    fn fill(&self, locator: u32, d: &mut SpanDetail) -> Result<(), ParseError> {
        let &(r, s, n) = self.index.get(locator as usize).ok_or_else(|| {
            ParseError::new(
                ErrorKind::Missing,
                format!("span #{locator} is not in the request"),
            )
        })?;
        let rs = &self.req.resource_spans[r];
        let res: &[KeyValue] = rs.resource.as_ref().map_or(&[], |r| &r.attributes);
        let ss = &rs.scope_spans[s];
        let scope = ss.scope.as_ref().map_or("", |s| s.name.as_str());
        fill(&resource_attributes(res), scope, &ss.spans[n], d);
        Ok(())
    }
}

/// Fill `d` from one span, its resource and its scope.
fn fill(resource: &[(String, String)], scope: &str, sp: &ProtoSpan, d: &mut SpanDetail) {
    let attrs = attrs_of(scope, sp);
    d.messages = attrs.messages();
    d.response = attrs.response();
    (d.inputs, d.outputs) = attrs.io();
    d.params = attrs.params();
    d.add_attributes(otlp_span::attributes(resource, scope, &attrs));
    if let Some(e) = exception(sp) {
        d.error = Some(e);
    } else if let Some(s) = sp.status.as_ref().filter(|s| s.code == 2) {
        d.error = Some(ErrorInfo {
            kind: None,
            message: Some(s.message.clone()),
            stacktrace: None,
        });
    }
    d.add_raw(|| serde_json::to_string_pretty(sp).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::ctx::Options;
    use crate::model::SpanStatus;

    const LINE: &str = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"app"}}]},"scopeSpans":[{"scope":{"name":"openinference.instrumentation.dspy"},"spans":[{"traceId":"a831f586ed689aea10594e92ae203f2e","spanId":"71bbeac0ba296e75","parentSpanId":"d96bc31609f06f65","flags":256,"name":"get_weather.__call__","kind":1,"startTimeUnixNano":"1795238897886497132","endTimeUnixNano":1795238898083860205,"attributes":[{"key":"openinference.span.kind","value":{"stringValue":"TOOL"}},{"key":"metadata","value":{"stringValue":"{\"fixture.program\": \"react_tool_error\"}"}},{"key":"n","value":{"intValue":"7"}}],"events":[{"timeUnixNano":"1795238898083814986","name":"exception","attributes":[{"key":"exception.type","value":{"stringValue":"TimeoutError"}},{"key":"exception.message","value":{"stringValue":"slow"}}]}],"status":{"message":"TimeoutError: slow","code":2}}]}]}]}"#;

    #[test]
    fn maps_an_otlp_json_span() {
        let out = JSON.parse_one(LINE.as_bytes(), Options::default()).unwrap();
        let [Record::Span(s)] = out.as_slice() else {
            panic!("one span: {out:?}")
        };
        assert_eq!(s.trace_id, "a831f586ed689aea10594e92ae203f2e");
        assert_eq!(s.parent_id.as_deref(), Some("d96bc31609f06f65"));
        assert_eq!(s.kind, Some(crate::model::SpanKind::Tool));
        assert_eq!(s.status, Some(SpanStatus::Error));
        assert_eq!(s.error.as_deref(), Some("TimeoutError: slow"));
        assert_eq!(s.end.unwrap() - s.start.unwrap(), 197_363_073);
        assert_eq!(s.attrs.get("fixture.program"), Some("react_tool_error"));
        assert_eq!(s.attrs.get("resource.service.name"), Some("app"));
        assert_eq!(s.attrs.get("n"), Some("7"));
        // what the Attributes tab shows is what the store keeps
        let mut d = SpanDetail::default();
        JSON.fill(LINE.as_bytes(), 0, &mut d).unwrap();
        let mut kept = s.attrs.to_vec();
        kept.sort();
        assert_eq!(kept, d.attributes);
    }

    #[test]
    fn json_and_protobuf_map_the_same() {
        let req = read_json(LINE.as_bytes()).unwrap();
        let bin = req.encode_to_vec();
        let a = JSON.parse_one(LINE.as_bytes(), Options::default()).unwrap();
        let b = PROTO.parse_one(&bin, Options::default()).unwrap();
        let strip = |v: Vec<Record>| -> Vec<Record> {
            v.into_iter()
                .map(|r| match r {
                    Record::Span(mut s) => {
                        s.payload = None;
                        Record::Span(s)
                    }
                    other => other,
                })
                .collect()
        };
        assert_eq!(strip(a), strip(b));
    }

    #[test]
    fn detail_has_error_and_attributes() {
        let mut d = SpanDetail::default();
        JSON.fill(LINE.as_bytes(), 0, &mut d).unwrap();
        let e = d.error.unwrap();
        assert_eq!(e.kind.as_deref(), Some("TimeoutError"));
        assert!(
            d.attributes
                .iter()
                .any(|(k, v)| k == "resource.service.name" && v == "app")
        );
        assert!(d.attributes.windows(2).all(|w| w[0].0 <= w[1].0), "sorted");
        assert!(
            JSON.fill(LINE.as_bytes(), 5, &mut SpanDetail::default())
                .is_err()
        );
    }

    #[test]
    fn garbage_is_not_a_body() {
        assert!(
            PROTO
                .parse_one(b"\x0a\x05hello", Options::default())
                .is_err()
        );
    }
}
