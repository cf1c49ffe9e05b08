//! The normalized trace line (`"schema": "spanscope-trace/1"`): what `spanscope export` writes,
//! one trace per line, and reads back exactly. The request's inputs and outputs sit at the top
//! (a dataset row), every span follows in tree order with its texts. README "Export format".

use crate::ingest::attributes::kept;
use crate::ingest::ctx::At;
use crate::ingest::decode::decode;
use crate::ingest::error::{ErrorKind, ParseError};
use crate::ingest::format::{Decoded, Format, Sniff};
use crate::ingest::texts::{ErrorInfo, Message, SpanDetail};
use crate::ingest::values::{ms_to_ns, parse_time};
use crate::model::span::flags;
use crate::model::store::{Record, ScoreRecord, SpanRecord, TraceRecord};
use crate::model::{Nanodollars, SpanStatus, Tokens, TraceStatus};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// The value of `schema` on every line of this shape.
pub const SCHEMA: &str = "spanscope-trace/1";

/// One normalized trace line.
pub const FORMAT: Format = Format {
    name: "spanscope-trace",
    expected: "a spanscope export line (schema: spanscope-trace/1)",
    sniff: Sniff::Keys(|k| k.starts_with("schema", "spanscope-trace/")),
    parse,
    decode: |bytes| Ok(Box::new(parse_line(bytes)?)),
};

fn is_false(b: &bool) -> bool {
    !*b
}

/// One trace.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TraceLine {
    pub schema: String,
    pub trace_id: String,
    #[serde(default)]
    pub name: Option<String>,
    /// RFC 3339, UTC, to the nanosecond.
    pub start: String,
    pub duration_ms: f64,
    /// `ok`, `error` or `running`: the request's own outcome.
    pub status: String,
    /// The request succeeded although some of its spans failed (`status` is `ok`). Derived
    /// again from the spans when read back.
    #[serde(default)]
    pub recovered: bool,
    /// The request's error, one line (none for a request that recovered).
    #[serde(default)]
    pub error: Option<String>,
    /// The request's inputs and outputs (its root span's).
    #[serde(default)]
    pub inputs: Option<Value>,
    #[serde(default)]
    pub outputs: Option<Value>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub tokens: Option<Tokens>,
    /// What the LM calls cost in USD, the ones with a price; null when none has one.
    #[serde(default)]
    pub cost: Option<f64>,
    /// LM calls whose cost is not known (no price, or no usage).
    #[serde(default)]
    pub unpriced_calls: u32,
    #[serde(default)]
    pub llm_calls: u32,
    #[serde(default)]
    pub error_spans: u32,
    /// What an evaluation scored the request, and its label; absent when nothing did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score_label: Option<String>,
    pub spans: Vec<SpanLine>,
}

/// One span of a [`TraceLine`].
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SpanLine {
    pub span_id: String,
    #[serde(default)]
    pub parent_id: Option<String>,
    pub name: String,
    /// `llm`, `chain`, `retriever`, `tool`, `agent`, `embedding`, `evaluator` or `other`.
    pub kind: String,
    /// RFC 3339, UTC, to the nanosecond; null when unknown.
    #[serde(default)]
    pub start: Option<String>,
    /// Null while the span is running.
    #[serde(default)]
    pub duration_ms: Option<f64>,
    /// `ok`, `error` or `unset` (the producer said nothing).
    pub status: String,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exception: Option<ExceptionLine>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub tokens: Option<Tokens>,
    /// What the call cost in USD (its producer's figure, or its model's price); null when
    /// unpriced or not a call. Read back as the producer's figure.
    #[serde(default)]
    pub cost: Option<f64>,
    /// The token counts cover the span's whole subtree (MLflow module spans).
    #[serde(default, skip_serializing_if = "is_false")]
    pub tokens_cover_subtree: bool,
    /// The producer recorded only a duration: the start was laid out after the previous step.
    #[serde(default, skip_serializing_if = "is_false")]
    pub start_inferred: bool,
    /// The span stands for a request logged without spans.
    #[serde(default, skip_serializing_if = "is_false")]
    pub synthesized: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outputs: Option<Value>,
    /// The prompt of an LM call.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<MessageLine>,
    /// The response of an LM call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<String>,
    /// Invocation parameters of an LM call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<Value>,
    /// The span's attributes (what the Attributes tab shows and filters read).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct MessageLine {
    pub role: String,
    pub content: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ExceptionLine {
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub stacktrace: Option<String>,
}

fn parse_line(bytes: &[u8]) -> Result<TraceLine, ParseError> {
    let l: TraceLine = decode(bytes, "trace line")?;
    if l.schema != SCHEMA {
        return Err(ParseError::new(
            ErrorKind::Value,
            format!(
                "schema {:?} is not one this version reads ({SCHEMA})",
                l.schema
            ),
        ));
    }
    Ok(l)
}

/// One normalized trace line.
///
/// # Errors
/// A wrong-typed field, an unknown schema version, a bad time or duration.
pub fn parse(bytes: &[u8], at: &At<'_>, out: &mut Vec<Record>) -> Result<(), ParseError> {
    let l = parse_line(bytes)?;
    let status = match l.status.as_str() {
        "ok" => TraceStatus::Ok,
        "error" => TraceStatus::Error,
        "running" => TraceStatus::Running,
        s => {
            return Err(ParseError::new(
                ErrorKind::Value,
                format!("status {s:?} is not ok, error or running"),
            ));
        }
    };
    let mark = out.len();
    for (i, s) in l.spans.into_iter().enumerate() {
        let start = s
            .start
            .as_deref()
            .map(|t| parse_time(t, at.opts()))
            .transpose()?;
        let dur = s
            .duration_ms
            .map(|ms| ms_to_ns(ms, "spans[].duration_ms"))
            .transpose()?;
        let (end, dur) = match (start, dur) {
            (Some(a), Some(d)) if !s.start_inferred => (Some(a + d), None),
            _ => (None, dur),
        };
        let span_status = match s.status.as_str() {
            "ok" => SpanStatus::Ok,
            "error" => SpanStatus::Error,
            "unset" => SpanStatus::Unset,
            x => {
                out.truncate(mark);
                return Err(ParseError::new(
                    ErrorKind::Value,
                    format!("spans[{i}].status {x:?} is not ok, error or unset"),
                ));
            }
        };
        let mut fl = 0;
        if s.tokens_cover_subtree {
            fl |= flags::TOKENS_CUMULATIVE;
        }
        if s.start_inferred {
            fl |= flags::SEQUENTIAL;
        }
        if s.synthesized {
            fl |= flags::SYNTHETIC_ROOT;
        }
        out.push(Record::Span(SpanRecord {
            trace_id: l.trace_id.clone(),
            span_id: s.span_id,
            parent_id: s.parent_id,
            name: Some(s.name),
            kind: Some(s.kind.parse().unwrap_or_default()),
            start,
            end,
            dur,
            status: Some(span_status),
            error: s.error,
            model: s.model,
            tokens: s.tokens.map(|t| Tokens {
                stated_cost: s.cost.and_then(Nanodollars::from_usd),
                ..t
            }),
            flags: fl,
            payload: Some((0, at.part(i)?)),
            attrs: kept(&s.attributes),
            complete: true,
        }));
    }
    out.push(Record::Trace(TraceRecord {
        trace_id: l.trace_id,
        name: l.name,
        error: Some(status == TraceStatus::Error),
        running: Some(status == TraceStatus::Running),
        error_message: l.error,
        final_status: Some(status),
        tokens: l.tokens,
        score: l.score.map(|value| ScoreRecord {
            value,
            label: l.score_label,
        }),
    }));
    Ok(())
}

/// A JSON value as the detail pane shows it: strings as they are, the rest pretty-printed.
#[must_use]
pub fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        v => serde_json::to_string_pretty(v).unwrap_or_default(),
    }
}

/// A text as a JSON value: JSON text as the value it is, anything else as a string.
#[must_use]
pub fn text_value(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()))
}

impl Decoded for TraceLine {
    fn fill(&self, locator: u32, d: &mut SpanDetail) -> Result<(), ParseError> {
        detail(self, locator, d)
    }
}

/// Fill `d` from span number `locator` of the line.
fn detail(l: &TraceLine, locator: u32, d: &mut SpanDetail) -> Result<(), ParseError> {
    let s = l.spans.get(locator as usize).ok_or_else(|| {
        ParseError::new(
            ErrorKind::Missing,
            format!("span #{locator} is not in the line"),
        )
    })?;
    d.messages = s
        .messages
        .iter()
        .map(|m| Message {
            role: m.role.clone(),
            content: m.content.clone(),
        })
        .collect();
    d.response.clone_from(&s.response);
    d.inputs = s.inputs.as_ref().map(value_text);
    d.outputs = s.outputs.as_ref().map(value_text);
    d.params = s.params.as_ref().map(value_text);
    d.add_attributes(s.attributes.clone());
    d.error = s
        .exception
        .as_ref()
        .map(|e| ErrorInfo {
            kind: e.kind.clone(),
            message: e.message.clone(),
            stacktrace: e.stacktrace.clone(),
        })
        .or_else(|| {
            s.error.as_ref().map(|m| ErrorInfo {
                kind: None,
                message: Some(m.clone()),
                stacktrace: None,
            })
        });
    d.add_raw(|| serde_json::to_string_pretty(s).unwrap_or_default());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::ctx::Options;
    use crate::model::SpanKind;

    const LINE: &str = r#"{"schema":"spanscope-trace/1","trace_id":"t1","name":"qa","start":"2026-11-21T05:37:00.000000001Z","duration_ms":2.5,"status":"error","error":"boom","inputs":{"question":"q"},"outputs":null,"model":"m","tokens":{"prompt":3,"completion":4,"total":7},"spans":[{"span_id":"a","parent_id":null,"name":"qa","kind":"chain","start":"2026-11-21T05:37:00.000000001Z","duration_ms":2.5,"status":"error","error":"boom","attributes":{"compiled":"true"}},{"span_id":"b","parent_id":"a","name":"lm","kind":"llm","start":"2026-11-21T05:37:00.001Z","duration_ms":null,"status":"unset","model":"m","tokens":{"prompt":3,"completion":4,"total":7},"start_inferred":true,"messages":[{"role":"user","content":"hi"}],"response":"yo"}]}"#;

    #[test]
    fn reads_every_field_back() {
        let out = FORMAT
            .parse_one(LINE.as_bytes(), Options::default())
            .unwrap();
        assert_eq!(out.len(), 3);
        let Record::Span(root) = &out[0] else {
            panic!("a span first")
        };
        assert_eq!(root.start, Some(1_795_239_420_000_000_001));
        assert_eq!(root.end, Some(1_795_239_420_002_500_001));
        assert_eq!(root.status, Some(SpanStatus::Error));
        assert_eq!(root.attrs.get("compiled"), Some("true"));
        assert_eq!(root.attrs.len(), 1);
        let Record::Span(lm) = &out[1] else {
            panic!("then a span")
        };
        assert_eq!((lm.end, lm.dur), (None, None));
        assert_eq!(lm.flags, flags::SEQUENTIAL);
        assert_eq!(lm.kind, Some(SpanKind::Llm));
        assert_eq!(lm.status, Some(SpanStatus::Unset));
        let Record::Trace(t) = &out[2] else {
            panic!("the trace last")
        };
        assert_eq!(t.final_status, Some(TraceStatus::Error));
        assert_eq!(t.tokens.map(|t| t.total), Some(7));
        let mut d = SpanDetail::default();
        FORMAT.fill(LINE.as_bytes(), 1, &mut d).unwrap();
        assert_eq!(d.messages[0].content, "hi");
        assert_eq!(d.response.as_deref(), Some("yo"));
    }

    #[test]
    fn refuses_other_versions_and_statuses() {
        let v2 = LINE.replace("spanscope-trace/1", "spanscope-trace/2");
        let e = FORMAT
            .parse_one(v2.as_bytes(), Options::default())
            .unwrap_err();
        assert!(e.reason.contains("not one this version reads"), "{e}");
        let bad = LINE.replace("\"status\":\"unset\"", "\"status\":\"meh\"");
        let ctx = crate::ingest::ctx::Ctx {
            blob: crate::model::BlobId(0),
            opts: Options::default(),
        };
        let mut out = Vec::new();
        let at = ctx.at(
            0,
            bad.len(),
            crate::model::payload::RecordFormat::Normalized,
        );
        let e = parse(bad.as_bytes(), &at, &mut out).unwrap_err();
        assert!(e.reason.contains("spans[1].status"), "{e}");
        assert!(out.is_empty());
    }
}
