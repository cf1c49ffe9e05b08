//! MLflow Trace JSON (`Trace.to_json()`, trace schema v3): one trace per document, or a page of
//! them as `mlflow traces search --output json` prints it.

use crate::ingest::ctx::At;
use crate::ingest::decode::decode;
use crate::ingest::error::{ErrorKind, ParseError};
use crate::ingest::format::{Decoded, Format, Sniff};
use crate::ingest::attributes::kept;
use crate::ingest::semconv::{AttrValue, Attrs};
use crate::ingest::usage::usage_from_json;
use crate::ingest::texts::{ErrorInfo, SpanDetail, StatusCode, outcome, pretty};
use crate::ingest::values::hex;
use crate::model::{Nanos, TraceStatus};
use crate::model::span::flags;
use crate::model::store::{Record, ScoreRecord, SpanRecord, TraceRecord};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// One MLflow trace document (a `.json` file).
pub const FORMAT: Format = Format {
    name: "mlflow",
    expected: "an MLflow trace (info + data)",
    sniff: Sniff::Keys(|k| k.has("info") && k.has("data")),
    parse,
    decode: |bytes| Ok(Box::new(parse_doc(bytes)?)),
};

/// A page of MLflow traces, as `mlflow traces search --output json` prints it
/// (`{"traces": [Trace.to_dict(), ...], "next_page_token": ...}`).
pub const SEARCH: Format = Format {
    name: "mlflow-search",
    expected: "an MLflow trace search page (traces + next_page_token)",
    sniff: Sniff::Keys(|k| k.has("traces") && k.has("next_page_token")),
    parse: parse_page,
    decode: |bytes| Ok(Box::new(decode::<Page>(bytes, "MLflow trace search page")?)),
};

#[derive(Deserialize)]
struct Page {
    traces: Vec<Doc>,
}

#[derive(Deserialize)]
struct Doc {
    info: Info,
    data: Data,
}

#[derive(Deserialize)]
struct Info {
    #[serde(alias = "request_id")]
    trace_id: String,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    trace_metadata: BTreeMap<String, String>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
    /// Feedback and expectations logged on the trace (`Assessment.to_dictionary()`).
    #[serde(default)]
    assessments: Vec<Value>,
}

#[derive(Deserialize)]
struct Data {
    spans: Vec<MSpan>,
}

#[derive(Deserialize, serde::Serialize)]
struct MSpan {
    span_id: String,
    #[serde(default)]
    parent_span_id: Option<String>,
    name: String,
    #[serde(default)]
    start_time_unix_nano: Option<Value>,
    #[serde(default)]
    end_time_unix_nano: Option<Value>,
    #[serde(default)]
    status: Option<MStatus>,
    #[serde(default)]
    attributes: Map<String, Value>,
    #[serde(default)]
    events: Vec<MEvent>,
}

#[derive(Deserialize, serde::Serialize)]
struct MStatus {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

#[derive(Deserialize, serde::Serialize)]
struct MEvent {
    name: String,
    #[serde(default)]
    attributes: Map<String, Value>,
}

/// MLflow ids are base64 of the OTel bytes; show them as hex like every other OTel id.
fn id(s: &str) -> String {
    match base64::engine::general_purpose::STANDARD.decode(s) {
        Ok(b) if b.len() == 8 || b.len() == 16 => hex(&b),
        _ => s.to_string(),
    }
}

fn time(v: Option<&Value>) -> Option<Nanos> {
    match v? {
        Value::Number(n) => n.as_i64().filter(|n| *n > 0),
        Value::String(s) => s.parse().ok().filter(|n: &i64| *n > 0),
        _ => None,
    }
}

/// Every attribute value is JSON-encoded text; decode it once.
fn attrs(sp: &MSpan) -> Attrs<'_> {
    let mut a = Attrs::default();
    for (k, v) in &sp.attributes {
        let v = match v {
            Value::String(text) => AttrValue::from_json_text(text),
            other => AttrValue::from_json(other.clone()),
        };
        a.push(Cow::Borrowed(k.as_str()), v);
    }
    a
}

/// A span's attributes (`ingest/attributes.rs`): its own, and on the root the trace's metadata
/// as `trace.KEY` and its tags as `tag.KEY` (but the request's inputs and outputs, which the
/// root's tabs show).
fn attributes(info: &Info, sp: &MSpan, a: &Attrs<'_>) -> Vec<(String, String)> {
    let mut out = a.attributes();
    if sp.parent_span_id.is_none() {
        out.extend(
            info.trace_metadata
                .iter()
                .filter(|(k, _)| !matches!(k.as_str(), "mlflow.traceInputs" | "mlflow.traceOutputs"))
                .map(|(k, v)| (format!("trace.{k}"), v.clone())),
        );
        out.extend(info.tags.iter().map(|(k, v)| (format!("tag.{k}"), v.clone())));
    }
    out
}

fn exception(sp: &MSpan) -> Option<ErrorInfo> {
    let ev = sp.events.iter().find(|e| e.name == "exception")?;
    let get = |k: &str| {
        ev.attributes
            .get(k)
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
    };
    Some(ErrorInfo {
        kind: get("exception.type"),
        message: get("exception.message"),
        stacktrace: get("exception.stacktrace"),
    })
}

fn parse_doc(bytes: &[u8]) -> Result<Doc, ParseError> {
    decode(bytes, "MLflow trace")
}

/// One MLflow trace document.
///
/// # Errors
/// Not the MLflow trace schema.
pub fn parse(bytes: &[u8], at: &At<'_>, out: &mut Vec<Record>) -> Result<(), ParseError> {
    records(&parse_doc(bytes)?, 0, at, out)
}

/// A search page: each trace as a document of its own, its spans numbered on from the trace
/// before.
///
/// # Errors
/// Not a page of MLflow traces (`--extract-fields` leaves traces without their spans).
pub fn parse_page(bytes: &[u8], at: &At<'_>, out: &mut Vec<Record>) -> Result<(), ParseError> {
    let page: Page = decode(bytes, "MLflow trace search page")?;
    let mut first = 0;
    for doc in &page.traces {
        records(doc, first, at, out)?;
        first += doc.data.spans.len();
    }
    Ok(())
}

/// The records of one trace, its spans' payloads numbered from `first`.
fn records(doc: &Doc, first: usize, at: &At<'_>, out: &mut Vec<Record>) -> Result<(), ParseError> {
    let trace_id = doc.info.trace_id.clone();
    for (i, sp) in doc.data.spans.iter().enumerate() {
        let a = attrs(sp);
        let exc = exception(sp);
        let code = sp.status.as_ref().map_or("", |s| s.code.as_str());
        let code = if code.ends_with("ERROR") {
            StatusCode::Error
        } else if code.ends_with("OK") {
            StatusCode::Ok
        } else {
            StatusCode::Unset
        };
        let message = sp.status.as_ref().map_or("", |s| s.message.as_str());
        let (status, error) = outcome(code, message, exc.as_ref());
        let tokens = a.tokens();
        out.push(Record::Span(SpanRecord {
            trace_id: trace_id.clone(),
            span_id: id(&sp.span_id),
            parent_id: sp.parent_span_id.as_deref().map(id),
            name: Some(sp.name.clone()),
            kind: Some(a.kind().unwrap_or_default()),
            start: time(sp.start_time_unix_nano.as_ref()),
            end: time(sp.end_time_unix_nano.as_ref()),
            dur: None,
            status: Some(status),
            error,
            model: a.model().map(str::to_string),
            tokens: tokens.map(|t| t.0),
            flags: if tokens.is_some() {
                flags::TOKENS_CUMULATIVE
            } else {
                0
            },
            payload: Some((0, at.part(first + i)?)),
            attrs: kept(attributes(&doc.info, sp, &a)),
            complete: true,
        }));
    }
    let state = doc.info.state.as_deref().unwrap_or("");
    out.push(Record::Trace(TraceRecord {
        trace_id,
        name: doc.info.tags.get("mlflow.traceName").cloned(),
        error: Some(state == "ERROR"),
        running: Some(state == "IN_PROGRESS"),
        error_message: None,
        // the trace's state is the request's outcome; an unknown state leaves it to the root
        final_status: match state {
            "OK" => Some(TraceStatus::Ok),
            "ERROR" => Some(TraceStatus::Error),
            "IN_PROGRESS" => Some(TraceStatus::Running),
            _ => None,
        },
        tokens: doc
            .info
            .trace_metadata
            .get("mlflow.trace.tokenUsage")
            .and_then(|u| usage_from_json(u)),
        score: lowest(doc.info.assessments.iter().filter_map(feedback_score)),
    }));
    Ok(())
}

/// The score of one assessment: a valid feedback's value, a number or a bool (1 or 0), or a
/// judge's verdict word (`yes`/`pass`/`true` 1, `no`/`fail`/`false` 0, kept as the label).
/// Expectations, feedback that failed to compute and overridden feedback score nothing.
fn feedback_score(a: &Value) -> Option<ScoreRecord> {
    if a.get("valid").and_then(Value::as_bool) == Some(false) {
        return None;
    }
    let value = a.get("feedback")?.get("value")?;
    match value {
        Value::Bool(b) => Some(ScoreRecord {
            value: f64::from(u8::from(*b)),
            label: None,
        }),
        Value::Number(n) => Some(ScoreRecord {
            value: n.as_f64()?,
            label: None,
        }),
        Value::String(s) => {
            let v = match s.to_ascii_lowercase().as_str() {
                "yes" | "pass" | "true" => 1.0,
                "no" | "fail" | "false" => 0.0,
                _ => return None,
            };
            Some(ScoreRecord {
                value: v,
                label: Some(s.clone()),
            })
        }
        _ => None,
    }
}

/// The lowest of a trace's scores (the store keeps the lowest of what each record says too).
fn lowest(scores: impl Iterator<Item = ScoreRecord>) -> Option<ScoreRecord> {
    scores.min_by(|a, b| a.value.total_cmp(&b.value).then(a.label.cmp(&b.label)))
}

impl Decoded for Doc {
    fn fill(&self, locator: u32, d: &mut SpanDetail) -> Result<(), ParseError> {
        detail(self, locator, d)
    }
}

impl Decoded for Page {
    fn fill(&self, mut locator: u32, d: &mut SpanDetail) -> Result<(), ParseError> {
        for doc in &self.traces {
            match u32::try_from(doc.data.spans.len()) {
                Ok(n) if locator >= n => locator -= n,
                _ => return detail(doc, locator, d),
            }
        }
        detail_missing(locator)
    }
}

fn detail_missing(locator: u32) -> Result<(), ParseError> {
    Err(ParseError::new(
        ErrorKind::Missing,
        format!("span #{locator} is not in the trace"),
    ))
}

/// Fill `d` from span number `locator` of the document.
fn detail(doc: &Doc, locator: u32, d: &mut SpanDetail) -> Result<(), ParseError> {
    let Some(sp) = doc.data.spans.get(locator as usize) else {
        return detail_missing(locator);
    };
    let a = attrs(sp);
    d.messages = a.messages();
    d.response = a.response();
    (d.inputs, d.outputs) = a.io();
    if d.response.is_none() && a.kind() == Some(crate::model::SpanKind::Llm) {
        // LM outputs are a list of completions.
        d.response = d
            .outputs
            .as_deref()
            .and_then(|o| serde_json::from_str::<Value>(o).ok())
            .filter(Value::is_array)
            .and_then(|v| crate::ingest::semconv::completions_text(&v));
    }
    d.params = a.params();
    d.add_attributes(attributes(&doc.info, sp, &a));
    d.error = exception(sp).or(d.error.take());
    d.add_raw(|| pretty(&serde_json::to_string(sp).unwrap_or_default()));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::ctx::Options;
    use crate::model::{SpanKind, SpanStatus, Tokens};

    const DOC: &str = r#"{"info": {"trace_id": "tr-827f290c0607b9045ac02822c4a46a2d", "state": "ERROR",
      "trace_metadata": {"mlflow.trace.tokenUsage": "{\"input_tokens\": 148, \"output_tokens\": 6, \"total_tokens\": 154}",
                         "mlflow.traceInputs": "{\"question\": \"q\"}"},
      "tags": {"mlflow.traceName": "Predict.forward"}},
     "data": {"spans": [
      {"trace_id": "gn8pDAYHuQRawCgi5KRtKg==", "span_id": "2kjIi9Onl7c=", "parent_span_id": null, "name": "Predict.forward",
       "start_time_unix_nano": 1000, "end_time_unix_nano": 5000, "status": {"code": "STATUS_CODE_OK", "message": ""},
       "attributes": {"mlflow.spanType": "\"LLM\"", "mlflow.chat.tokenUsage": "{\"input_tokens\": 148, \"output_tokens\": 6, \"total_tokens\": 154}"}, "events": []},
      {"span_id": "AAAAAAAAAAE=", "parent_span_id": "2kjIi9Onl7c=", "name": "DummyLM.__call__",
       "start_time_unix_nano": 2000, "end_time_unix_nano": 4000, "status": {"code": "STATUS_CODE_ERROR", "message": ""},
       "attributes": {"mlflow.spanType": "\"CHAT_MODEL\"", "mlflow.llm.model": "\"dummy\"",
                      "mlflow.spanInputs": "{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}]}"},
       "events": [{"name": "exception", "time_unix_nano": 4000, "attributes": {"exception.type": "LMError", "exception.message": "503", "exception.stacktrace": "Traceback"}}]}
     ]}}"#;

    #[test]
    fn maps_an_mlflow_trace() {
        let out = FORMAT
            .parse_one(DOC.as_bytes(), Options::default())
            .unwrap();
        let [Record::Span(root), Record::Span(lm), Record::Trace(t)] = out.as_slice() else {
            panic!("{out:?}")
        };
        assert_eq!(root.trace_id, "tr-827f290c0607b9045ac02822c4a46a2d");
        assert_eq!(root.span_id, "da48c88bd3a797b7", "base64 ids become hex");
        assert_eq!(lm.parent_id.as_deref(), Some("da48c88bd3a797b7"));
        assert_eq!(root.kind, Some(SpanKind::Llm));
        assert!(root.flags & flags::TOKENS_CUMULATIVE != 0);
        assert_eq!(lm.model.as_deref(), Some("dummy"));
        assert_eq!(lm.status, Some(SpanStatus::Error));
        assert_eq!(lm.error.as_deref(), Some("LMError: 503"));
        assert_eq!(t.error, Some(true));
        assert_eq!(t.name.as_deref(), Some("Predict.forward"));
        assert_eq!(
            t.tokens,
            Some(Tokens {
                prompt: 148,
                completion: 6,
                total: 154,
                ..Tokens::default()
            })
        );
        assert!(root.attrs.iter().any(|(k, _)| k == "tag.mlflow.traceName"));
        assert!(
            !root
                .attrs
                .iter()
                .any(|(k, _)| k.ends_with("mlflow.traceInputs") || k == "mlflow.spanInputs"),
            "the request's inputs stay in the payload"
        );
        // what the Attributes tab shows is what the store keeps
        let mut shown = SpanDetail::default();
        FORMAT.fill(DOC.as_bytes(), 0, &mut shown).unwrap();
        let mut kept = root.attrs.to_vec();
        kept.sort();
        assert_eq!(kept, shown.attributes);

        let mut d = SpanDetail::default();
        FORMAT.fill(DOC.as_bytes(), 1, &mut d).unwrap();
        assert_eq!(d.messages.len(), 1);
        assert_eq!(
            d.error.as_ref().and_then(|e| e.stacktrace.as_deref()),
            Some("Traceback")
        );
    }

    #[test]
    fn a_search_page_is_read_trace_by_trace() {
        // `mlflow traces search --output json`: a second trace of one span, scored
        let other = r#"{"info": {"trace_id": "tr-2", "state": "OK", "assessments": [
            {"assessment_name": "exact_match", "source": {"source_type": "CODE", "source_id": "default"},
             "feedback": {"value": false}, "valid": true}]},
          "data": {"spans": [{"span_id": "AAAAAAAAAAI=", "parent_span_id": null, "name": "Predict.forward",
            "start_time_unix_nano": 1000, "end_time_unix_nano": 2000,
            "attributes": {"mlflow.spanInputs": "{\"question\": \"Capital of Spain?\"}"}}]}}"#;
        let page = format!(r#"{{"traces": [{DOC}, {other}], "next_page_token": null}}"#);
        let out = SEARCH
            .parse_one(page.as_bytes(), Options::default())
            .unwrap();
        let ids: Vec<(&str, &str)> = out
            .iter()
            .filter_map(|r| match r {
                Record::Span(s) => Some((s.trace_id.as_str(), s.span_id.as_str())),
                _ => None,
            })
            .collect();
        assert_eq!(
            ids,
            [
                ("tr-827f290c0607b9045ac02822c4a46a2d", "da48c88bd3a797b7"),
                ("tr-827f290c0607b9045ac02822c4a46a2d", "0000000000000001"),
                ("tr-2", "0000000000000002"),
            ]
        );
        let Some(Record::Trace(t)) = out.last() else {
            panic!("{out:?}")
        };
        assert_eq!(t.score.as_ref().map(|s| s.value), Some(0.0));
        // the third span of the page is the second trace's first
        let mut d = SpanDetail::default();
        SEARCH.fill(page.as_bytes(), 2, &mut d).unwrap();
        assert!(d.inputs.as_deref().is_some_and(|i| i.contains("Spain")), "{d:?}");
        SEARCH.fill(page.as_bytes(), 1, &mut d).unwrap();
        assert_eq!(d.messages.len(), 1, "the first trace's LM call");
        assert!(SEARCH.fill(page.as_bytes(), 3, &mut d).is_err());
        // `--extract-fields` pages lack the spans: refused, not read as empty traces
        let fields = r#"{"traces": [{"info": {"trace_id": "tr-3"}}], "next_page_token": null}"#;
        assert!(SEARCH.parse_one(fields.as_bytes(), Options::default()).is_err());
    }

    #[test]
    fn feedback_assessments_score_the_trace_with_their_lowest_value() {
        // what MLflow's Assessment.to_dictionary() writes
        let doc = DOC.replacen(
            r#""tags": {"mlflow.traceName": "Predict.forward"}},"#,
            r#""tags": {}, "assessments": [
              {"assessment_name": "exact", "trace_id": "tr-827f290c0607b9045ac02822c4a46a2d", "source": {"source_type": "CODE", "source_id": "exact"}, "feedback": {"value": true}, "valid": true},
              {"assessment_name": "judge", "source": {"source_type": "LLM_JUDGE"}, "feedback": {"value": "no"}, "rationale": "off topic"},
              {"assessment_name": "old", "feedback": {"value": -1}, "valid": false},
              {"assessment_name": "answer", "expectation": {"value": "Paris"}},
              {"assessment_name": "broken", "feedback": {"error": {"error_code": "E"}}}
            ]},"#,
            1,
        );
        let score = |doc: &str| {
            let out = FORMAT.parse_one(doc.as_bytes(), Options::default()).unwrap();
            let Some(Record::Trace(t)) = out.last() else {
                panic!("{out:?}")
            };
            t.score.clone()
        };
        assert_eq!(
            score(&doc),
            Some(ScoreRecord {
                value: 0.0,
                label: Some("no".into())
            }),
            "the judge's no is lower than exact's true; overridden feedback does not count"
        );
        let passed = doc.replace(r#""value": "no""#, r#""value": 0.75"#);
        assert_eq!(score(&passed).map(|s| s.value), Some(0.75));
        assert_eq!(score(DOC), None, "no assessment, no score");
    }
}
