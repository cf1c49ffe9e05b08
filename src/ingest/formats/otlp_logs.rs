//! OTLP logs, protobuf and OTLP/JSON ([`JSON`], [`PROTO`]): the bodies of `/v1/logs` and of
//! the gRPC LogsService, and OTLP/JSON logs lines (what `record` keeps of them). A protobuf
//! body is never sniffed (the receiver's route says what it is); each log record becomes an event of the span its trace and span ids name, and its detail fills
//! that span's prompt, response and evaluation scores:
//!
//! - `gen_ai.system.message`, `gen_ai.user.message`, `gen_ai.assistant.message`,
//!   `gen_ai.tool.message`: a prompt message (the body's `content`);
//! - `gen_ai.choice`: the response (the body's `message.content`);
//! - `gen_ai.client.inference.operation.details`: `gen_ai.system_instructions`,
//!   `gen_ai.input.messages` and `gen_ai.output.messages`, structured or JSON text;
//! - `gen_ai.evaluation.result`: a score, as the attribute `gen_ai.evaluation.<name>`;
//! - any other record: its body, as the attribute `log.<event name>`.
//!
//! The event name is the record's `event_name`, else its `event.name` attribute.

use super::otlp::any_json;
use crate::ingest::ctx::Ctx;
use crate::ingest::decode::decode;
use crate::ingest::error::{ErrorKind, ParseError};
use crate::ingest::format::{Decoded, Format, Sniff};
use crate::ingest::semconv::{AttrValue, Attrs, messages_from_json};
use crate::ingest::texts::{Message, SpanDetail};
use crate::ingest::values::hex;
use crate::model::idx;
use crate::model::payload::RecordFormat;
use crate::model::records::{EventRecord, ScoreRecord, TraceRecord};
use crate::model::store::Record;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue};
use opentelemetry_proto::tonic::logs::v1::LogRecord;
use prost::Message as _;
use serde_json::Value;
use std::borrow::Cow;

/// One OTLP/JSON `ExportLogsServiceRequest`.
pub const JSON: Format = Format {
    name: "otlp-logs-json",
    expected: "OTLP/JSON logs (resourceLogs)",
    sniff: Sniff::Keys(|k| k.has("resourceLogs") || k.has("resource_logs")),
    parse: |bytes, at, out| {
        records(&read_json(bytes)?, at.ctx, at.offset, bytes.len(), at.format, out);
        Ok(())
    },
    decode: |bytes| Ok(Box::new(Body::new(read_json(bytes)?))),
};

/// A binary protobuf `ExportLogsServiceRequest`.
pub const PROTO: Format = Format {
    name: "otlp-logs-proto",
    expected: "an OTLP protobuf logs body",
    sniff: Sniff::Routed,
    parse: |bytes, at, out| {
        records(&read_proto(bytes)?, at.ctx, at.offset, bytes.len(), at.format, out);
        Ok(())
    },
    decode: |bytes| Ok(Box::new(Body::new(read_proto(bytes)?))),
};

/// Decode a binary protobuf logs body.
///
/// # Errors
/// The bytes are not an `ExportLogsServiceRequest`.
pub fn read_proto(bytes: &[u8]) -> Result<ExportLogsServiceRequest, ParseError> {
    ExportLogsServiceRequest::decode(bytes)
        .map_err(|e| ParseError::new(ErrorKind::Body, format!("protobuf decode error: {e}")))
}

/// Decode an OTLP/JSON logs body.
///
/// # Errors
/// Invalid JSON or not the OTLP/JSON mapping.
pub fn read_json(bytes: &[u8]) -> Result<ExportLogsServiceRequest, ParseError> {
    decode(bytes, "OTLP/JSON logs")
}

/// The log records of `req` in order, each an event of its span (empty ids: no span).
pub fn records(
    req: &ExportLogsServiceRequest,
    ctx: &Ctx,
    offset: u64,
    len: usize,
    format: RecordFormat,
    out: &mut Vec<Record>,
) {
    for (n, lr) in log_records(req).enumerate() {
        let Ok(n) = idx::to_u32(n, idx::Table::RecordParts) else {
            out.push(Record::Rejected("a logs request with too many records".into()));
            return;
        };
        let trace_id = hex(&lr.trace_id);
        if let Some(score) = evaluation_score(lr).filter(|_| !trace_id.is_empty()) {
            out.push(Record::Trace(TraceRecord {
                trace_id: trace_id.clone(),
                score: Some(score),
                ..TraceRecord::default()
            }));
        }
        out.push(Record::Event(EventRecord {
            trace_id,
            span_id: hex(&lr.span_id),
            payload: ctx.payload(offset, len, format, n),
        }));
    }
}

/// The score a `gen_ai.evaluation.result` record gives its trace: `gen_ai.evaluation.score.value`
/// (a number, or a bool as 1 or 0) and `gen_ai.evaluation.score.label`.
fn evaluation_score(lr: &LogRecord) -> Option<ScoreRecord> {
    if event_name(lr) != "gen_ai.evaluation.result" {
        return None;
    }
    let score = match value(attribute(&lr.attributes, "gen_ai.evaluation.score.value")) {
        Value::Number(n) => n.as_f64()?,
        Value::Bool(b) => f64::from(u8::from(b)),
        _ => return None,
    };
    let label = match value(attribute(&lr.attributes, "gen_ai.evaluation.score.label")) {
        Value::Null => None,
        v => Some(text(&v)),
    };
    Some(ScoreRecord {
        value: score,
        label,
    })
}

fn log_records(req: &ExportLogsServiceRequest) -> impl Iterator<Item = &LogRecord> {
    req.resource_logs
        .iter()
        .flat_map(|r| &r.scope_logs)
        .flat_map(|s| &s.log_records)
}

/// A request decoded once, for the events of any of its records.
struct Body {
    req: ExportLogsServiceRequest,
}

impl Body {
    fn new(req: ExportLogsServiceRequest) -> Body {
        Body { req }
    }
}

impl Decoded for Body {
    fn fill(&self, locator: u32, d: &mut SpanDetail) -> Result<(), ParseError> {
        let lr = log_records(&self.req)
            .nth(locator as usize)
            .ok_or_else(|| {
                ParseError::new(
                    ErrorKind::Missing,
                    format!("log record #{locator} is not in the request"),
                )
            })?;
        fill(lr, d);
        Ok(())
    }
}

/// An OTLP value as JSON (structured values as they are, text that is JSON decoded).
fn value(v: Option<&AnyValue>) -> Value {
    match v.and_then(|v| v.value.as_ref()).map(any_json) {
        Some(Value::String(s)) => serde_json::from_str(&s).unwrap_or(Value::String(s)),
        Some(v) => v,
        None => Value::Null,
    }
}

fn attribute<'a>(attrs: &'a [KeyValue], key: &str) -> Option<&'a AnyValue> {
    attrs
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
}

/// A value as text: a string as it is, anything else as JSON.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The record's event name: `event_name`, else the `event.name` attribute.
pub fn event_name(lr: &LogRecord) -> String {
    if !lr.event_name.is_empty() {
        return lr.event_name.clone();
    }
    match value(attribute(&lr.attributes, "event.name")) {
        Value::String(s) => s,
        _ => String::new(),
    }
}

/// Fill `d` from one log record: what it says of its span.
fn fill(lr: &LogRecord, d: &mut SpanDetail) {
    let name = event_name(lr);
    let body = value(lr.body.as_ref());
    let role = |r: &str| {
        body.get("role")
            .and_then(Value::as_str)
            .unwrap_or(r)
            .to_string()
    };
    match name.as_str() {
        "gen_ai.system.message" | "gen_ai.user.message" | "gen_ai.assistant.message"
        | "gen_ai.tool.message" => {
            let default = name
                .trim_start_matches("gen_ai.")
                .trim_end_matches(".message");
            let content = body.get("content").map_or_else(|| text(&body), content_text);
            d.messages.push(Message {
                role: role(default),
                content,
            });
        }
        "gen_ai.choice" => {
            let message = body.get("message").unwrap_or(&body);
            let content = message.get("content").map_or_else(String::new, content_text);
            push_response(d, content);
        }
        "gen_ai.client.inference.operation.details" => {
            let mut attrs = Attrs(Vec::new());
            for kv in &lr.attributes {
                let v = value(kv.value.as_ref());
                attrs.push(Cow::Borrowed(kv.key.as_str()), AttrValue::from_json(v));
            }
            d.messages.extend(attrs.messages());
            if let Some(r) = attrs.response() {
                push_response(d, r);
            }
        }
        "gen_ai.evaluation.result" => {
            let get = |k: &str| value(attribute(&lr.attributes, k));
            let metric = text(&get("gen_ai.evaluation.name"));
            let mut shown = Vec::new();
            for (k, label) in [
                ("gen_ai.evaluation.score.value", "score"),
                ("gen_ai.evaluation.score.label", "label"),
                ("gen_ai.evaluation.explanation", "explanation"),
            ] {
                let v = get(k);
                if !v.is_null() {
                    shown.push(format!("{label} {}", text(&v)));
                }
            }
            let metric = if metric.is_empty() { "result" } else { &metric };
            d.add_attributes([(format!("gen_ai.evaluation.{metric}"), shown.join("; "))]);
        }
        _ => {
            let key = if name.is_empty() { "record" } else { &name };
            d.add_attributes([(format!("log.{key}"), text(&body))]);
        }
    }
    d.add_raw(|| serde_json::to_string_pretty(lr).unwrap_or_default());
}

fn content_text(v: &Value) -> String {
    match v {
        Value::Array(_) => messages_from_json(&Value::Array(vec![serde_json::json!({
            "role": "",
            "content": v,
        })]))
        .pop()
        .map(|m| m.content)
        .unwrap_or_default(),
        other => text(other),
    }
}

/// Add to the response: choices of one call are shown one after the other.
fn push_response(d: &mut SpanDetail, content: String) {
    d.response = Some(match d.response.take() {
        Some(r) if !r.is_empty() => format!("{r}\n\n{content}"),
        _ => content,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::ctx::Options;
    use opentelemetry_proto::tonic::common::v1::any_value;

    const LOGS: &str = r#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[
        {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","eventName":"gen_ai.system.message","body":{"kvlistValue":{"values":[{"key":"content","value":{"stringValue":"Be brief."}}]}}},
        {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","attributes":[{"key":"event.name","value":{"stringValue":"gen_ai.user.message"}}],"body":{"kvlistValue":{"values":[{"key":"content","value":{"stringValue":"Capital of France?"}}]}}},
        {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","eventName":"gen_ai.choice","body":{"kvlistValue":{"values":[{"key":"index","value":{"intValue":"0"}},{"key":"message","value":{"kvlistValue":{"values":[{"key":"role","value":{"stringValue":"assistant"}},{"key":"content","value":{"stringValue":"Paris."}}]}}}]}}},
        {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","eventName":"gen_ai.evaluation.result","attributes":[{"key":"gen_ai.evaluation.name","value":{"stringValue":"relevance"}},{"key":"gen_ai.evaluation.score.value","value":{"doubleValue":0.9}},{"key":"gen_ai.evaluation.score.label","value":{"stringValue":"relevant"}}]},
        {"body":{"stringValue":"no span"}}
    ]}]}]}"#;

    #[test]
    fn each_record_is_an_event_of_its_span() {
        let mut out = JSON.parse_one(LOGS.as_bytes(), Options::default()).unwrap();
        let Record::Trace(scored) = out.remove(3) else {
            panic!("{out:?}")
        };
        assert_eq!(scored.trace_id, "5b8efff798038103d269b633813fc60c");
        assert_eq!(
            scored.score,
            Some(ScoreRecord {
                value: 0.9,
                label: Some("relevant".into())
            }),
            "an evaluation result scores its trace"
        );
        assert_eq!(out.len(), 5);
        let Record::Event(e) = &out[0] else {
            panic!("{:?}", out[0])
        };
        assert_eq!(e.trace_id, "5b8efff798038103d269b633813fc60c");
        assert_eq!(e.span_id, "eee19b7ec3c1b174");
        assert_eq!(e.payload.locator, 0);
        let Record::Event(last) = &out[4] else {
            panic!("{:?}", out[4])
        };
        assert_eq!((last.trace_id.as_str(), last.payload.locator), ("", 4));
    }

    #[test]
    fn gen_ai_events_fill_the_prompt_response_and_scores() {
        let mut d = SpanDetail::default();
        for n in 0..5 {
            JSON.fill(LOGS.as_bytes(), n, &mut d).unwrap();
        }
        let roles: Vec<(&str, &str)> = d
            .messages
            .iter()
            .map(|m| (m.role.as_str(), m.content.as_str()))
            .collect();
        assert_eq!(
            roles,
            [("system", "Be brief."), ("user", "Capital of France?")]
        );
        assert_eq!(d.response.as_deref(), Some("Paris."));
        let attr = |k: &str| {
            d.attributes
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(
            attr("gen_ai.evaluation.relevance"),
            Some("score 0.9; label relevant")
        );
        assert_eq!(attr("log.record"), Some("no span"));
        assert_eq!(d.raw.len(), 5);
        assert!(JSON.fill(LOGS.as_bytes(), 5, &mut d).is_err());
    }

    #[test]
    fn operation_details_carry_structured_or_json_messages() {
        let kv = |k: &str, v: any_value::Value| KeyValue {
            key: k.into(),
            value: Some(AnyValue { value: Some(v) }),
            key_strindex: 0,
        };
        let lr = LogRecord {
            event_name: "gen_ai.client.inference.operation.details".into(),
            attributes: vec![
                kv(
                    "gen_ai.input.messages",
                    any_value::Value::StringValue(
                        r#"[{"role":"user","parts":[{"type":"text","content":"Hi?"}]}]"#.into(),
                    ),
                ),
                kv(
                    "gen_ai.output.messages",
                    any_value::Value::StringValue(
                        r#"[{"role":"assistant","parts":[{"type":"text","content":"Hello."}],"finish_reason":"stop"}]"#.into(),
                    ),
                ),
            ],
            ..LogRecord::default()
        };
        let body = ExportLogsServiceRequest {
            resource_logs: vec![opentelemetry_proto::tonic::logs::v1::ResourceLogs {
                scope_logs: vec![opentelemetry_proto::tonic::logs::v1::ScopeLogs {
                    log_records: vec![lr],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        }
        .encode_to_vec();
        let mut d = SpanDetail::default();
        PROTO.fill(&body, 0, &mut d).unwrap();
        assert_eq!(d.messages.len(), 1);
        assert_eq!(d.messages[0].content, "Hi?");
        assert_eq!(d.response.as_deref(), Some("Hello."));
    }
}
