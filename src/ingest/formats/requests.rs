//! Per-request JSONL: the simple shape (`trace_id`, `timestamp`, `total_latency_ms`, inputs,
//! outputs, error) and the steps shape (plus `steps[]`). Each line gets one synthesized root span
//! for the request; steps become its children, laid out one after another from the request start
//! because they carry only durations.

use crate::ingest::ctx::At;
use crate::ingest::decode::{Text, decode};
use crate::ingest::error::{ErrorKind, ParseError, json_error};
use crate::ingest::format::{Decoded, Format, Sniff};
use crate::ingest::attributes::{keep, of_object};
use crate::ingest::semconv::messages_from_json;
use crate::ingest::usage::Usage;
use crate::ingest::texts::{ErrorInfo, Message, SpanDetail};
use crate::ingest::values::{
    epoch_number, error_text, error_value_text, ms_to_ns, parse_time, stated_outcome, stated_trace,
    status_says_failed,
};
use crate::model::payload::PayloadRef;
use crate::model::span::flags;
use crate::model::store::{Record, SpanRecord};
use crate::model::{AttrList, Nanos};
use crate::model::SpanKind;
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;
use std::borrow::Cow;

/// One request line, simple or with steps.
pub const FORMAT: Format = Format {
    name: "request",
    expected: "a request line (trace_id + total_latency_ms)",
    sniff: Sniff::Keys(|k| k.has("trace_id") && (k.has("total_latency_ms") || k.has("steps"))),
    parse,
    decode: |bytes| Ok(Box::new(RequestDetail::decode(bytes)?)),
};

#[derive(Deserialize)]
struct Line<'a> {
    #[serde(borrow)]
    trace_id: Cow<'a, str>,
    #[serde(borrow, default, alias = "start_time", alias = "started_at")]
    timestamp: Option<&'a RawValue>,
    #[serde(default)]
    total_latency_ms: Option<f64>,
    #[serde(borrow, default)]
    steps: Option<Vec<Step<'a>>>,
    #[serde(borrow, default)]
    error: Option<&'a RawValue>,
    #[serde(borrow, default)]
    status: Option<Text<'a>>,
    #[serde(borrow, default, alias = "name")]
    pipeline: Option<Text<'a>>,
    #[serde(borrow, default)]
    inputs: Option<&'a RawValue>,
    /// Read (as text, not decoded) only so that a line the detail could not show (invalid
    /// UTF-8 in it) is refused when it is indexed.
    #[allow(dead_code)]
    #[serde(borrow, default)]
    outputs: Option<&'a RawValue>,
    #[serde(borrow, default)]
    model: Option<Text<'a>>,
    #[serde(default)]
    usage: Usage,
    #[serde(borrow, default)]
    metadata: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Step<'a> {
    #[serde(borrow, default, alias = "name")]
    step: Option<Text<'a>>,
    #[serde(default)]
    latency_ms: Option<f64>,
    #[serde(borrow, default)]
    error: Option<&'a RawValue>,
    #[serde(borrow, default)]
    status: Option<Text<'a>>,
    #[serde(borrow, default)]
    model: Option<Text<'a>>,
    #[serde(default)]
    usage: Usage,
    /// Read (as text, not decoded) only so that a step the detail could not show (invalid
    /// UTF-8 in it) is refused when it is indexed.
    #[allow(dead_code)]
    #[serde(borrow, default)]
    inputs: Option<&'a RawValue>,
    #[allow(dead_code)]
    #[serde(borrow, default)]
    outputs: Option<&'a RawValue>,
    #[serde(borrow, default)]
    metadata: Option<&'a RawValue>,
}

fn parse_line(bytes: &[u8]) -> Result<Line<'_>, ParseError> {
    decode(bytes, "request line")
}

fn step_kind(name: &str, has_model: bool) -> SpanKind {
    let n = name.to_ascii_lowercase();
    if has_model {
        SpanKind::Llm
    } else if n.starts_with("tool") {
        SpanKind::Tool
    } else if n.contains("retriev") || n.contains("search") {
        SpanKind::Retriever
    } else if n.contains("embed") {
        SpanKind::Embedding
    } else {
        SpanKind::Chain
    }
}

/// A request with no name of its own is named after its first input value (what the user asked).
fn name_from_inputs(inputs: Option<&RawValue>) -> Option<String> {
    let v: Value = serde_json::from_str(inputs?.get()).ok()?;
    let first = v.as_object()?.values().next()?;
    let text = first
        .as_str()
        .map_or_else(|| first.to_string(), str::to_string);
    let line = text.lines().next().unwrap_or("").trim();
    (!line.is_empty()).then(|| line.chars().take(80).collect())
}

/// A name from the step names when nothing else names the request: `generate`, or
/// `retrieve → … → generate` (the pipeline's shape).
fn steps_summary(steps: &[Step<'_>]) -> Option<String> {
    let name = |s: &Step<'_>| s.step.as_deref().unwrap_or("step").to_string();
    match steps {
        [] => None,
        [one] => Some(name(one)),
        [a, b] => Some(format!("{} → {}", name(a), name(b))),
        [a, .., z] => Some(format!("{} → … → {}", name(a), name(z))),
    }
}

/// The attributes (`ingest/attributes.rs`) of a request or a step: its pipeline, and its
/// `metadata` object's keys as they are (the place for a log's own labels). The line's other
/// fields are the span's own (id, times, outcome, error, model, usage) or texts with a tab of
/// their own (inputs, outputs).
fn each_attribute(
    pipeline: Option<&str>,
    metadata: Option<&RawValue>,
    mut f: impl FnMut(&str, &str),
) {
    if let Some(Value::Object(m)) = metadata.and_then(|r| serde_json::from_str(r.get()).ok()) {
        for (k, v) in of_object(None, &m, &[]) {
            f(&k, &v);
        }
    }
    if let Some(p) = pipeline {
        f("pipeline", p);
    }
}

/// The attributes as the detail shows them, whole.
fn attributes(pipeline: Option<&str>, metadata: Option<&RawValue>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    each_attribute(pipeline, metadata, |k, v| out.push((k.into(), v.into())));
    out
}

/// The attributes as the index keeps them.
fn kept_attributes(pipeline: Option<&str>, metadata: Option<&RawValue>) -> AttrList {
    let mut out = AttrList::default();
    each_attribute(pipeline, metadata, |k, v| keep(&mut out, k, v));
    out
}

fn line_attributes(l: &Line<'_>) -> Vec<(String, String)> {
    attributes(l.pipeline.as_deref(), l.metadata)
}

fn step_attributes(s: &Step<'_>) -> Vec<(String, String)> {
    attributes(None, s.metadata)
}

/// One request line.
///
/// # Errors
/// A wrong-typed field, a bad timestamp or duration.
pub fn parse(bytes: &[u8], at: &At<'_>, out: &mut Vec<Record>) -> Result<(), ParseError> {
    records(parse_line(bytes)?, at, out)
}

/// The id of a request's `i`-th step (from 0): `step-1`, `step-2`, …
fn step_id(i: usize) -> String {
    let mut n = itoa::Buffer::new();
    let n = n.format(i + 1);
    let mut id = String::with_capacity(5 + n.len());
    id.push_str("step-");
    id.push_str(n);
    id
}

/// A request's start: a time text, or an epoch number (`None` for one out of range).
fn start_of(raw: &RawValue, at: &At<'_>) -> Result<Option<Nanos>, ParseError> {
    let text = raw.get();
    if text.starts_with('"') {
        if let Ok(Text(s)) = serde_json::from_str::<Text<'_>>(text) {
            return parse_time(&s, at.opts()).map(Some);
        }
    } else if let Ok(n) = serde_json::from_str::<f64>(text) {
        return Ok(epoch_number(n));
    }
    Err(ParseError::new(
        ErrorKind::Field,
        format!("timestamp is not a string or number: {text}"),
    ))
}

fn records(mut l: Line<'_>, at: &At<'_>, out: &mut Vec<Record>) -> Result<(), ParseError> {
    let start = l.timestamp.map(|raw| start_of(raw, at)).transpose()?.flatten();
    let total = l
        .total_latency_ms
        .map(|ms| ms_to_ns(ms, "total_latency_ms"))
        .transpose()?;
    let error = error_text(l.error);
    let failed = error.is_some() || status_says_failed(l.status.as_deref());
    let payload = |locator| at.payload(locator);
    let trace_id = l.trace_id.to_string();
    let steps = l.steps.take().unwrap_or_default();
    let name = l
        .pipeline
        .as_deref()
        .map(str::to_string)
        .or_else(|| name_from_inputs(l.inputs))
        .or_else(|| steps_summary(&steps))
        .unwrap_or_else(|| "request".into());
    let attrs = kept_attributes(l.pipeline.as_deref(), l.metadata);
    let root_tokens = l.usage.0;
    let (status, span_error) = stated_outcome(failed, error.clone());
    out.push(Record::Span(SpanRecord {
        trace_id: trace_id.clone(),
        span_id: trace_id.clone(),
        parent_id: None,
        name: Some(name.clone()),
        kind: Some(if steps.is_empty() && l.model.is_some() {
            SpanKind::Llm
        } else {
            SpanKind::Chain
        }),
        start,
        end: None,
        dur: total,
        status,
        error: span_error,
        model: l.model.as_deref().map(str::to_string),
        tokens: root_tokens,
        flags: flags::SYNTHETIC_ROOT,
        payload: Some((0, payload(PayloadRef::WHOLE))),
        attrs,
        complete: true,
    }));
    let mut cursor = start;
    for (i, s) in steps.iter().enumerate() {
        let dur = s
            .latency_ms
            .map(|ms| ms_to_ns(ms, "steps[].latency_ms"))
            .transpose()?;
        let err = error_text(s.error);
        let step_failed = err.is_some() || status_says_failed(s.status.as_deref());
        let step_name = s.step.as_deref().unwrap_or("step").to_string();
        let (status, span_error) = stated_outcome(step_failed, err);
        out.push(Record::Span(SpanRecord {
            trace_id: trace_id.clone(),
            span_id: step_id(i),
            parent_id: Some(trace_id.clone()),
            kind: Some(step_kind(&step_name, s.model.is_some())),
            name: Some(step_name),
            start: cursor,
            end: None,
            dur,
            status,
            error: span_error,
            model: s.model.as_deref().map(str::to_string),
            tokens: s.usage.0,
            flags: flags::SEQUENTIAL,
            payload: Some((0, at.part(i)?)),
            attrs: kept_attributes(None, s.metadata),
            complete: true,
        }));
        cursor = cursor.zip(dur).map(|(c, d)| c + d);
    }
    out.push(Record::Trace(stated_trace(
        trace_id,
        Some(name),
        failed,
        error,
        None,
    )));
    Ok(())
}

/// The prompt of a step: `inputs.messages`, `inputs.prompt`, or nothing.
fn prompt_of(inputs: &Value) -> Vec<Message> {
    if let Some(m) = inputs.get("messages") {
        let msgs = messages_from_json(m);
        if !msgs.is_empty() {
            return msgs;
        }
    }
    inputs
        .get("prompt")
        .and_then(Value::as_str)
        .map(|p| {
            vec![Message {
                role: "user".into(),
                content: p.to_string(),
            }]
        })
        .unwrap_or_default()
}

fn response_of(outputs: &Value) -> Option<String> {
    ["response", "completion", "answer", "output"]
        .iter()
        .find_map(|k| outputs.get(*k))
        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
}

/// A request line decoded once for the details of its root and every step: the line as a JSON
/// value (the texts and the pretty-printed record) and as the parse reads it (the attributes).
struct RequestDetail<'a> {
    line: Value,
    typed: Line<'a>,
}

impl RequestDetail<'_> {
    fn decode(bytes: &[u8]) -> Result<RequestDetail<'_>, ParseError> {
        let line: Value =
            serde_json::from_slice(bytes).map_err(|e| json_error(&e).prefixed("request line: "))?;
        if !line.get("trace_id").is_some_and(Value::is_string) {
            return Err(ParseError::new(
                ErrorKind::Field,
                "request line: no `trace_id` text",
            ));
        }
        let typed = parse_line(bytes)?;
        Ok(RequestDetail { line, typed })
    }
}

/// A field as an error line ([`error_text`] of a decoded value).
fn error_of(v: &Value) -> Option<String> {
    v.get("error").cloned().and_then(error_value_text)
}

/// Whether a request or step names a model (an LM call).
fn has_model(v: &Value) -> bool {
    v.get("model").is_some_and(Value::is_string)
}

impl Decoded for RequestDetail<'_> {
    /// `locator` is a step index, or the whole request.
    fn fill(&self, locator: u32, d: &mut SpanDetail) -> Result<(), ParseError> {
        let l = &self.line;
        let missing = || {
            ParseError::new(
                ErrorKind::Missing,
                format!("step #{locator} is not in the line"),
            )
        };
        let part = if locator == PayloadRef::WHOLE {
            d.add_attributes(line_attributes(&self.typed));
            l
        } else {
            let step = self
                .typed
                .steps
                .as_ref()
                .and_then(|s| s.get(locator as usize))
                .ok_or_else(missing)?;
            d.add_attributes(step_attributes(step));
            l.get("steps")
                .and_then(|s| s.get(locator as usize))
                .ok_or_else(missing)?
        };
        d.add_raw(|| serde_json::to_string_pretty(part).unwrap_or_default());
        if locator != PayloadRef::WHOLE
            && let Some(e) = error_of(part)
        {
            d.error = Some(ErrorInfo {
                kind: None,
                message: Some(e),
                stacktrace: None,
            });
        }
        let present = |k: &str| part.get(k).filter(|v| !v.is_null());
        let model = has_model(part);
        if let Some(i) = present("inputs") {
            if model {
                d.messages = prompt_of(i);
                if let Some(t) = i.get("temperature") {
                    d.params = Some(serde_json::json!({ "temperature": t }).to_string());
                }
            }
            d.inputs = Some(i.to_string());
        }
        if let Some(o) = present("outputs") {
            if model {
                d.response = response_of(o);
            }
            d.outputs = Some(o.to_string());
        }
        if locator == PayloadRef::WHOLE
            && d.error.is_none()
            && let Some(e) = error_of(part)
        {
            d.error = Some(ErrorInfo {
                kind: None,
                message: Some(e),
                stacktrace: None,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::ctx::Options;
    use crate::model::{SpanStatus, TraceStatus};

    fn parse_line(line: &[u8]) -> Result<Vec<Record>, ParseError> {
        FORMAT.parse_one(line, Options { naive_utc: true })
    }

    fn spans(out: &[Record]) -> Vec<&SpanRecord> {
        out.iter()
            .filter_map(|r| {
                if let Record::Span(s) = r {
                    Some(s)
                } else {
                    None
                }
            })
            .collect()
    }

    #[test]
    fn steps_are_laid_out_sequentially_under_a_root() {
        let line = br#"{"trace_id":"t1","timestamp":"2026-11-21T05:37:00.000","pipeline":"rag_qa","steps":[{"step":"retrieve","inputs":{"query":"q"},"outputs":{},"latency_ms":10},{"step":"generate","inputs":{"prompt":"P"},"outputs":{"response":"R"},"latency_ms":20.5,"model":"gpt-4o","usage":{"prompt_tokens":5,"completion_tokens":2}}],"total_latency_ms":40}"#;
        let out = parse_line(line).unwrap();
        let s = spans(&out);
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].name.as_deref(), Some("rag_qa"));
        assert!(s[0].flags & flags::SYNTHETIC_ROOT != 0);
        assert_eq!(s[0].dur, Some(40_000_000));
        assert_eq!(s[1].kind, Some(SpanKind::Retriever));
        assert_eq!(s[2].start.unwrap() - s[1].start.unwrap(), 10_000_000);
        assert_eq!(s[2].kind, Some(SpanKind::Llm));
        assert_eq!(s[2].tokens.unwrap().total, 7);
        let mut d = SpanDetail::default();
        FORMAT.fill(line, 1, &mut d).unwrap();
        assert_eq!(d.messages[0].content, "P");
        assert_eq!(d.response.as_deref(), Some("R"));
    }

    #[test]
    fn a_failed_step_does_not_fail_a_request_that_says_ok() {
        let line = br#"{"trace_id":"t","timestamp":"2026-11-21T05:37:00Z","steps":[{"step":"tool:x","latency_ms":1,"error":"TimeoutError: slow","outputs":{}}],"total_latency_ms":2}"#;
        let out = parse_line(line).unwrap();
        let s = spans(&out);
        assert_eq!(s[1].status, Some(SpanStatus::Error));
        assert_eq!(s[1].kind, Some(SpanKind::Tool));
        let Some(Record::Trace(t)) = out.last() else {
            panic!()
        };
        assert_eq!(t.final_status, Some(TraceStatus::Ok));
    }

    #[test]
    fn a_status_word_says_failed_as_the_event_stream_s_does() {
        for word in ["error", "FAILED"] {
            let line = format!(
                r#"{{"trace_id":"t","timestamp":"2026-11-21T05:37:00Z","total_latency_ms":2,"status":"{word}","steps":[{{"step":"a","latency_ms":1,"status":"{word}"}}]}}"#
            );
            let out = parse_line(line.as_bytes()).unwrap();
            let s = spans(&out);
            assert_eq!(s[1].status, Some(SpanStatus::Error), "{word}");
            let Some(Record::Trace(t)) = out.last() else {
                panic!()
            };
            assert_eq!(t.final_status, Some(TraceStatus::Error), "{word}");
        }
    }

    #[test]
    fn simple_line_with_error_and_name_from_inputs() {
        let line = br#"{"trace_id":"t","timestamp":"2026-11-21T05:37:00.047Z","inputs":{"question":"What is up?"},"outputs":{},"total_latency_ms":269.018,"error":"LMUnexpectedError: 503"}"#;
        let out = parse_line(line).unwrap();
        let s = spans(&out);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].name.as_deref(), Some("What is up?"));
        assert_eq!(s[0].error.as_deref(), Some("LMUnexpectedError: 503"));
    }

    #[test]
    fn a_start_is_a_time_text_or_an_epoch_number_and_nothing_else() {
        let start = |ts: &str| {
            let line = format!(r#"{{"trace_id":"t","timestamp":{ts},"total_latency_ms":1}}"#);
            parse_line(line.as_bytes()).map(|out| spans(&out)[0].start)
        };
        let at = Some(1_795_397_420_000_000_000);
        assert_eq!(start(r#""2026-11-23T01:30:20Z""#).unwrap(), at);
        // an escape in the text, and the same instant in seconds and in milliseconds
        assert_eq!(start(r#""2026-11-23T01:30:20\u005a""#).unwrap(), at);
        assert_eq!(start("1795397420").unwrap(), at);
        assert_eq!(start("1795397420000.0").unwrap(), at);
        assert_eq!(start("-1").unwrap(), None, "out of range: no start");
        assert_eq!(start("null").unwrap(), None, "null: no start");
        for bad in ["true", "[1]", r#"{"s":1}"#] {
            let err = start(bad).unwrap_err();
            assert_eq!(
                err.reason,
                format!("timestamp is not a string or number: {bad}")
            );
        }
    }

    #[test]
    fn negative_latency_is_rejected() {
        let line = br#"{"trace_id":"t","total_latency_ms":-5}"#;
        let err = parse_line(line).unwrap_err();
        assert!(err.reason.contains("not a valid duration"), "{err}");
    }
}
