//! dspy-callback-jsonl v1: a `*_start` and a `*_end` line per DSPy call, joined by `call_id`.

use crate::ingest::ctx::At;
use crate::ingest::decode::{Text, decode};
use crate::ingest::error::{ErrorKind, ParseError};
use crate::ingest::format::{Decoded, Format, Sniff};
use crate::ingest::semconv::{completions_text, messages_from_json};
use crate::ingest::usage::usage_from_value;
use super::dspy_history;
use crate::ingest::attributes::kept;
use crate::ingest::texts::{ErrorInfo, Message, SpanDetail, flatten};
use crate::ingest::values::{error_text, ms_to_ns, parse_time};
use crate::model::payload::PayloadRef;
use crate::model::store::{Record, ScoreRecord, SpanRecord, TraceRecord};
use crate::model::{Nanodollars, SpanKind, SpanStatus};
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;
use std::borrow::Cow;

/// One dspy-callback-jsonl v1 line (a call's start or its end).
pub const FORMAT: Format = Format {
    name: "dspy-callback",
    expected: "a dspy callback event (v + event)",
    sniff: Sniff::Keys(|k| k.has("v") && k.has("event")),
    parse,
    decode: |bytes| Ok(Box::new(CallbackDetail::decode(bytes)?)),
};

#[derive(Deserialize)]
struct Line<'a> {
    #[serde(borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    phase: Cow<'a, str>,
    #[serde(borrow)]
    call_id: Cow<'a, str>,
    #[serde(borrow, default)]
    parent_call_id: Option<Text<'a>>,
    #[serde(borrow, default)]
    root_call_id: Option<Text<'a>>,
    #[serde(borrow, default)]
    run_call_id: Option<Text<'a>>,
    #[serde(borrow, default)]
    evaluate_call_id: Option<Text<'a>>,
    #[serde(borrow, default)]
    ts: Option<Text<'a>>,
    #[serde(default)]
    ts_unix_ns: Option<i64>,
    #[serde(borrow, default)]
    thread: Option<Text<'a>>,
    #[serde(borrow, default)]
    instance: Option<Instance<'a>>,
    #[serde(borrow, default)]
    inputs: Option<&'a RawValue>,
    #[serde(borrow, default)]
    outputs: Option<&'a RawValue>,
    #[serde(borrow, default)]
    exception: Option<&'a RawValue>,
    #[serde(default)]
    duration_ms: Option<f64>,
    #[serde(borrow, default)]
    lm: Option<Lm<'a>>,
    #[serde(borrow, default)]
    tool: Option<Tool<'a>>,
    /// A compile's start: the optimizer, its settings and the program it optimizes.
    #[serde(default)]
    optimizer: Option<Value>,
    /// A compile's end: the compiled program's predictors.
    #[serde(default)]
    compiled: Option<Value>,
    #[serde(borrow, default)]
    enclosing_run_call_id: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct Instance<'a> {
    #[serde(borrow, default)]
    class: Option<Text<'a>>,
    #[serde(borrow, default)]
    module: Option<Text<'a>>,
    #[serde(borrow, default)]
    name: Option<Text<'a>>,
    #[serde(borrow, default)]
    signature: Option<Text<'a>>,
    #[serde(borrow, default)]
    signature_fields: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct Lm<'a> {
    #[serde(borrow, default)]
    model: Option<Text<'a>>,
    #[serde(borrow, default)]
    model_type: Option<Text<'a>>,
    #[serde(default)]
    kwargs: Option<Value>,
    #[serde(default)]
    usage: Option<Value>,
    #[serde(borrow, default)]
    response_model: Option<Text<'a>>,
    #[serde(default)]
    cost: Option<Value>,
}

#[derive(Deserialize)]
struct Tool<'a> {
    #[serde(borrow, default)]
    name: Option<Text<'a>>,
    #[serde(borrow, default)]
    description: Option<Text<'a>>,
}

/// A call's attributes (`ingest/attributes.rs`), from one of its lines: what the start line
/// says of the call (its kind, thread, instance, LM settings, tool), and what the end line adds
/// (the LM's usage, response model and cost). The ids, times, duration, inputs, outputs and
/// exception are the span's own fields and tabs.
fn attributes(l: &Line<'_>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut text = |k: &str, v: Option<&str>| {
        if let Some(v) = v {
            out.push((k.to_string(), v.to_string()));
        }
    };
    let lm = l.lm.as_ref();
    if l.phase == "start" {
        text("kind", Some(&l.kind));
        text("thread", l.thread.as_deref());
        text("dspy.run_call_id", l.run_call_id.as_deref());
        text("dspy.evaluate_call_id", l.evaluate_call_id.as_deref());
        text("dspy.enclosing_run_call_id", l.enclosing_run_call_id.as_deref());
        if l.root_call_id.as_deref() == Some(l.call_id.as_ref()) {
            // a trace of its own inside a compile or an Evaluate: the call it ran in
            text("dspy.parent_call_id", l.parent_call_id.as_deref());
        }
        if let Some(i) = &l.instance {
            text("instance.class", i.class.as_deref());
            text("instance.module", i.module.as_deref());
            text("instance.name", i.name.as_deref());
            text("instance.signature", i.signature.as_deref());
            text("instance.signature_fields", i.signature_fields.as_deref());
        }
        text("lm.model", lm.and_then(|m| m.model.as_deref()));
        text("lm.model_type", lm.and_then(|m| m.model_type.as_deref()));
        if let Some(t) = &l.tool {
            text("tool.name", t.name.as_deref());
            text("tool.description", t.description.as_deref());
        }
        if let Some(kw) = lm.and_then(|m| m.kwargs.as_ref()) {
            out.extend(flatten("lm.kwargs", kw));
        }
        if let Some(o) = &l.optimizer {
            out.extend(flatten("optimizer", o));
        }
        if l.kind == "module"
            && let Some(session) = l.inputs.and_then(dspy_history::session_of)
        {
            out.push((dspy_history::ATTR.to_string(), session));
        }
    } else {
        text("lm.response_model", lm.and_then(|m| m.response_model.as_deref()));
        for (k, v) in [
            ("lm.usage", lm.and_then(|m| m.usage.as_ref())),
            ("lm.cost", lm.and_then(|m| m.cost.as_ref())),
        ] {
            if let Some(v) = v {
                out.extend(flatten(k, v));
            }
        }
        if let Some(c) = &l.compiled {
            out.extend(flatten("compiled", c));
        }
    }
    out
}

fn name_of(l: &Line<'_>) -> String {
    let class = l
        .instance
        .as_ref()
        .and_then(|i| i.class.as_deref())
        .unwrap_or(&l.kind);
    match l.kind.as_ref() {
        "tool" | "interpreter_tool_call" => {
            let tool = l
                .tool
                .as_ref()
                .and_then(|t| t.name.as_deref())
                .or_else(|| l.instance.as_ref().and_then(|i| i.name.as_deref()));
            tool.map_or_else(|| class.to_string(), |t| format!("Tool.{t}"))
        }
        "adapter_format" => format!("{class}.format"),
        "adapter_parse" => format!("{class}.parse"),
        "interpreter_execute" => format!("{class}.execute"),
        "interpreter_startup" => format!("{class}.start"),
        "interpreter_shutdown" => format!("{class}.shutdown"),
        _ => class.to_string(),
    }
}

fn kind_of(l: &Line<'_>) -> SpanKind {
    match l.kind.as_ref() {
        "lm" => SpanKind::Llm,
        // the code an interpreter ran for the model, and the host tools that code called
        "tool" | "interpreter_execute" | "interpreter_tool_call" => SpanKind::Tool,
        "evaluate" => SpanKind::Evaluator,
        "module" if l.instance.as_ref().and_then(|i| i.class.as_deref()) == Some("Retrieve") => {
            SpanKind::Retriever
        }
        "module" | "adapter_format" | "adapter_parse" | "compile" => SpanKind::Chain,
        _ => SpanKind::Other,
    }
}

fn parse_line(bytes: &[u8]) -> Result<Line<'_>, ParseError> {
    decode(bytes, "dspy callback event")
}

/// One callback line.
///
/// # Errors
/// A wrong-typed field, an unknown phase, or no usable time.
pub fn parse(bytes: &[u8], place: &At<'_>, out: &mut Vec<Record>) -> Result<(), ParseError> {
    let l = parse_line(bytes)?;
    let at = match (l.ts_unix_ns, l.ts.as_deref()) {
        (Some(ns), _) if ns > 0 => ns,
        (_, Some(ts)) => parse_time(ts, place.opts())?,
        _ => {
            return Err(ParseError::new(
                ErrorKind::Field,
                "dspy callback event without ts or ts_unix_ns",
            ));
        }
    };
    let trace_id = l
        .root_call_id
        .as_deref()
        .or(l.parent_call_id.is_none().then_some(l.call_id.as_ref()));
    let Some(trace_id) = trace_id else {
        return Err(ParseError::new(
            ErrorKind::Field,
            "dspy callback event without root_call_id",
        ));
    };
    let mut rec = SpanRecord {
        trace_id: trace_id.to_string(),
        span_id: l.call_id.to_string(),
        // a trace's root has no parent in it (an Evaluate's program runs name the Evaluate)
        parent_id: l
            .parent_call_id
            .as_deref()
            .filter(|_| trace_id != l.call_id.as_ref())
            .map(str::to_string),
        name: Some(name_of(&l)),
        kind: Some(kind_of(&l)),
        model: l
            .lm
            .as_ref()
            .and_then(|m| m.model.as_deref())
            .map(str::to_string),
        ..SpanRecord::default()
    };
    let payload = place.payload(PayloadRef::WHOLE);
    match l.phase.as_ref() {
        "start" => {
            rec.start = Some(at);
            rec.payload = Some((0, payload));
        }
        "end" => {
            rec.end = Some(at);
            rec.dur = l
                .duration_ms
                .map(|d| ms_to_ns(d, "duration_ms"))
                .transpose()?;
            rec.payload = Some((1, payload));
            let error = error_text(l.exception);
            rec.status = Some(if error.is_some() {
                SpanStatus::Error
            } else {
                SpanStatus::Ok
            });
            rec.error = error;
            // the LM history's usage, and the cost DSPy (through litellm) put beside it
            rec.tokens = l.lm.as_ref().and_then(|m| {
                let mut t = m.usage.as_ref().and_then(usage_from_value)?;
                t.stated_cost = m
                    .cost
                    .as_ref()
                    .and_then(Value::as_f64)
                    .and_then(Nanodollars::from_usd);
                Some(t)
            });
        }
        other => {
            return Err(ParseError::new(
                ErrorKind::Value,
                format!("dspy callback event with unknown phase {other:?}"),
            ));
        }
    }
    rec.attrs = kept(attributes(&l));
    out.push(Record::Span(rec));
    if l.kind == "evaluate" && l.phase == "end" {
        example_scores(l.outputs, out);
    }
    Ok(())
}

/// What an Evaluate call's end line says of each example it ran (the writer's `outputs`).
#[derive(Deserialize)]
struct Evaluation {
    #[serde(default)]
    results: Vec<ExampleResult>,
}

#[derive(Deserialize)]
struct ExampleResult {
    #[serde(default)]
    root_call_id: Option<String>,
    #[serde(default)]
    score: Option<Value>,
}

/// Each example's score, for the trace of its program run: the metric's number, or 1 or 0 for
/// a bool. An example whose run was not found, or whose metric gave nothing, scores nothing;
/// outputs of another shape (an older writer's whole result) score nothing either.
fn example_scores(outputs: Option<&RawValue>, out: &mut Vec<Record>) {
    let Some(eval) = outputs.and_then(|r| serde_json::from_str::<Evaluation>(r.get()).ok()) else {
        return;
    };
    for r in eval.results {
        let value = match r.score {
            Some(Value::Bool(b)) => f64::from(u8::from(b)),
            Some(Value::Number(n)) => n.as_f64().unwrap_or(f64::NAN),
            _ => continue,
        };
        if let Some(trace_id) = r.root_call_id.filter(|id| !id.is_empty()) {
            out.push(Record::Trace(TraceRecord {
                trace_id,
                score: Some(ScoreRecord { value, label: None }),
                ..TraceRecord::default()
            }));
        }
    }
}

/// A callback line decoded once for its detail: the typed line (its inputs and outputs as
/// written) and the line as a JSON value (attributes and the pretty-printed record).
struct CallbackDetail<'a> {
    line: Line<'a>,
    value: Value,
}

impl CallbackDetail<'_> {
    fn decode(bytes: &[u8]) -> Result<CallbackDetail<'_>, ParseError> {
        Ok(CallbackDetail {
            line: parse_line(bytes)?,
            value: serde_json::from_slice(bytes).unwrap_or_default(),
        })
    }
}

impl Decoded for CallbackDetail<'_> {
    /// A span has a start line and an end line: each fills its part of `d`.
    fn fill(&self, _locator: u32, d: &mut SpanDetail) -> Result<(), ParseError> {
        let l = &self.line;
        let json = |r: Option<&RawValue>| r.map(|r| r.get().to_string()).filter(|t| t != "null");
        if l.phase == "start" {
            d.inputs = json(l.inputs);
            if l.kind == "lm" {
                let inputs: Value = l
                    .inputs
                    .and_then(|r| serde_json::from_str(r.get()).ok())
                    .unwrap_or_default();
                d.messages = messages_from_json(inputs.get("messages").unwrap_or(&Value::Null));
                if d.messages.is_empty()
                    && let Some(p) = inputs.get("prompt").and_then(Value::as_str)
                {
                    d.messages = vec![Message {
                        role: "user".into(),
                        content: p.to_string(),
                    }];
                }
                if let Some(kw) = inputs
                    .get("kwargs")
                    .filter(|k| k.as_object().is_some_and(|o| !o.is_empty()))
                {
                    d.params = Some(kw.to_string());
                }
            }
        } else {
            d.outputs = json(l.outputs);
            if l.kind == "lm" {
                let outputs: Value = l
                    .outputs
                    .and_then(|r| serde_json::from_str(r.get()).ok())
                    .unwrap_or_default();
                d.response = completions_text(&outputs);
            }
            if let Some(exc) = l
                .exception
                .and_then(|r| serde_json::from_str::<Value>(r.get()).ok())
                .filter(|v| !v.is_null())
            {
                let s = |k: &str| exc.get(k).and_then(Value::as_str).map(str::to_string);
                d.error = Some(ErrorInfo {
                    kind: s("type"),
                    message: s("message"),
                    stacktrace: s("traceback"),
                });
            }
        }
        d.add_attributes(attributes(l));
        d.add_raw(|| serde_json::to_string_pretty(&self.value).unwrap_or_default());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::ctx::Options;
    use crate::model::Tokens;

    #[test]
    fn start_and_end_lines() {
        let start = br#"{"v":1,"seq":4,"event":"lm_start","kind":"lm","phase":"start","call_id":"c1","parent_call_id":"r","root_call_id":"r","ts":"2026-11-21T05:37:00.049838Z","ts_unix_ns":1795239420049838177,"thread":"MainThread","instance":{"class":"DummyLM"},"inputs":{"messages":[{"role":"user","content":"q"}],"kwargs":{}}}"#;
        let end = br#"{"v":1,"seq":5,"event":"lm_end","kind":"lm","phase":"end","call_id":"c1","parent_call_id":"r","root_call_id":"r","ts_unix_ns":1795239420154269289,"instance":{"class":"DummyLM"},"duration_ms":104.431,"outputs":["Paris"],"exception":null,"lm":{"model":"dummy","usage":{"prompt_tokens":148,"completion_tokens":6,"total_tokens":154}}}"#;
        let mut out = FORMAT.parse_one(start, Options::default()).unwrap();
        out.extend(FORMAT.parse_one(end, Options::default()).unwrap());
        let [Record::Span(s), Record::Span(e)] = out.as_slice() else {
            panic!("{out:?}")
        };
        assert_eq!(s.name.as_deref(), Some("DummyLM"));
        assert_eq!(s.kind, Some(SpanKind::Llm));
        assert_eq!(s.start, Some(1_795_239_420_049_838_177));
        assert_eq!(
            e.tokens,
            Some(Tokens {
                prompt: 148,
                completion: 6,
                total: 154,
                ..Tokens::default()
            })
        );
        assert_eq!(e.status, Some(SpanStatus::Ok));
        assert_eq!(e.model.as_deref(), Some("dummy"));
        let mut d = SpanDetail::default();
        FORMAT.fill(start, PayloadRef::WHOLE, &mut d).unwrap();
        FORMAT.fill(end, PayloadRef::WHOLE, &mut d).unwrap();
        assert_eq!(d.messages[0].content, "q");
        assert_eq!(d.response.as_deref(), Some("Paris"));
    }

    #[test]
    fn tool_names_and_exceptions() {
        let end = br#"{"v":1,"event":"tool_end","kind":"tool","phase":"end","call_id":"t","parent_call_id":"r","root_call_id":"r","ts_unix_ns":5,"instance":{"class":"Tool","name":"get_weather"},"exception":{"type":"TimeoutError","message":"slow"}}"#;
        let out = FORMAT.parse_one(end, Options::default()).unwrap();
        let [Record::Span(e)] = out.as_slice() else {
            panic!()
        };
        assert_eq!(e.name.as_deref(), Some("Tool.get_weather"));
        assert_eq!(e.status, Some(SpanStatus::Error));
        assert_eq!(e.error.as_deref(), Some("TimeoutError: slow"));
    }

    #[test]
    fn wrong_types_are_rejected_with_a_reason() {
        let bad = br#"{"v":1,"event":"lm_end","kind":"lm","phase":"end","call_id":"c","root_call_id":"r","ts_unix_ns":5,"duration_ms":"fast"}"#;
        let err = FORMAT.parse_one(bad, Options::default()).unwrap_err();
        assert!(err.reason.contains("wrong type for `duration_ms`"), "{err}");
    }

    #[test]
    fn an_evaluate_end_line_scores_each_example_s_trace() {
        let end = br#"{"v":1,"event":"evaluate_end","kind":"evaluate","phase":"end","call_id":"ev","root_call_id":"ev","evaluate_call_id":"ev","ts_unix_ns":9,"outputs":{"score":50.0,"metric":"exact","results":[{"example":0,"root_call_id":"r0","score":true},{"example":1,"root_call_id":"r1","score":false},{"example":2,"root_call_id":"r2","score":0.25},{"example":3,"root_call_id":null,"score":1},{"example":4,"root_call_id":"r4","score":null}]}}"#;
        let out = FORMAT.parse_one(end, Options::default()).unwrap();
        let scores: Vec<(&str, f64)> = out
            .iter()
            .filter_map(|r| match r {
                Record::Trace(t) => Some((t.trace_id.as_str(), t.score.as_ref()?.value)),
                _ => None,
            })
            .collect();
        assert_eq!(scores, [("r0", 1.0), ("r1", 0.0), ("r2", 0.25)]);
        assert!(matches!(&out[0], Record::Span(s) if s.span_id == "ev"));
        // an older writer's whole EvaluationResult scores nothing
        let old = br#"{"v":1,"event":"evaluate_end","kind":"evaluate","phase":"end","call_id":"ev","ts_unix_ns":9,"outputs":{"score":50.0,"results":[[{"q":1},{"a":2},true]]}}"#;
        assert_eq!(FORMAT.parse_one(old, Options::default()).unwrap().len(), 1);
    }

    #[test]
    fn a_program_run_of_an_evaluate_is_a_trace_linked_to_it() {
        let start = br#"{"v":1,"event":"module_start","kind":"module","phase":"start","call_id":"p","parent_call_id":"ev","root_call_id":"p","evaluate_call_id":"ev","run_call_id":"cmp","ts_unix_ns":5,"instance":{"class":"Predict"},"inputs":{"args":[],"kwargs":{"question":"2+2"}}}"#;
        let inner = br#"{"v":1,"event":"lm_start","kind":"lm","phase":"start","call_id":"c","parent_call_id":"p","root_call_id":"p","evaluate_call_id":"ev","ts_unix_ns":6,"instance":{"class":"DummyLM"}}"#;
        let out = FORMAT.parse_one(start, Options::default()).unwrap();
        let [Record::Span(s)] = out.as_slice() else {
            panic!("{out:?}")
        };
        assert_eq!((s.trace_id.as_str(), s.parent_id.as_deref()), ("p", None));
        let attr = |k: &str| s.attrs.get(k);
        assert_eq!(attr("dspy.parent_call_id"), Some("ev"));
        assert_eq!(attr("dspy.evaluate_call_id"), Some("ev"));
        assert_eq!(attr("dspy.run_call_id"), Some("cmp"));
        let out = FORMAT.parse_one(inner, Options::default()).unwrap();
        let [Record::Span(c)] = out.as_slice() else {
            panic!("{out:?}")
        };
        assert_eq!((c.trace_id.as_str(), c.parent_id.as_deref()), ("p", Some("p")));
        assert!(!c.attrs.iter().any(|(k, _)| k == "dspy.parent_call_id"));
    }

    #[test]
    fn a_compile_says_its_optimizer_and_what_it_compiled() {
        let start = br#"{"v":1,"event":"compile_start","kind":"compile","phase":"start","call_id":"in","parent_call_id":"out","root_call_id":"in","run_call_id":"in","enclosing_run_call_id":"out","ts_unix_ns":5,"instance":{"class":"LabeledFewShot"},"optimizer":{"class":"LabeledFewShot","settings":{"k":2,"auto":null},"metric":"exact","trainset_size":4,"valset_size":null,"program":"Predict","predictors":[{"name":"self","signature":"question -> answer"}]}}"#;
        let end = br#"{"v":1,"event":"compile_end","kind":"compile","phase":"end","call_id":"in","parent_call_id":"out","root_call_id":"in","run_call_id":"in","ts_unix_ns":9,"instance":{"class":"LabeledFewShot"},"compiled":{"program":"Predict","predictors":[{"name":"self","instructions":"Answer.","demos":2}]}}"#;
        let mut out = FORMAT.parse_one(start, Options::default()).unwrap();
        out.extend(FORMAT.parse_one(end, Options::default()).unwrap());
        let [Record::Span(s), Record::Span(e)] = out.as_slice() else {
            panic!("{out:?}")
        };
        let attr = |r: &SpanRecord, k: &str| {
            r.attrs.get(k).map(str::to_string)
        };
        assert_eq!(attr(s, "optimizer.class").as_deref(), Some("LabeledFewShot"));
        assert_eq!(attr(s, "optimizer.settings.k").as_deref(), Some("2"));
        assert_eq!(attr(s, "optimizer.settings.auto"), None, "nulls are left out");
        assert_eq!(attr(s, "optimizer.trainset_size").as_deref(), Some("4"));
        assert_eq!(attr(s, "dspy.enclosing_run_call_id").as_deref(), Some("out"));
        assert!(attr(s, "optimizer.predictors").is_some_and(|p| p.contains("question -> answer")));
        assert!(attr(e, "compiled.predictors").is_some_and(|p| p.contains("\"demos\":2")));
    }
}
