//! `spanscope export` and the explorer's `:w`: traces as normalized trace lines (the shape
//! [`crate::ingest::normalized`] reads back) or as OTLP/JSON lines for other tools.

use crate::ingest::detail::{SpanDetail, span_detail};
use crate::ingest::normalized::{
    ExceptionLine, MessageLine, SCHEMA, SpanLine, TraceLine, text_value,
};
use crate::model::span::flags;
use crate::model::waterfall::Waterfall;
use crate::model::{
    Nanodollars, Outcome, SpanIdx, SpanKind, SpanStatus, Store, TraceIdx, TraceStatus,
};
use crate::text::{ms, rfc3339};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue, any_value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status, span};
use std::io::{self, Write};

/// Output formats of `export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ExportFormat {
    /// One normalized trace per line (`"schema": "spanscope-trace/1"`).
    #[default]
    Jsonl,
    /// One OTLP/JSON `ExportTraceServiceRequest` per trace and line.
    Otlp,
    /// One dataset row per trace: the program's input and output fields and `score`, for
    /// `dspy.Example(**row)`.
    Examples,
}

/// Write `traces` in `format`, one line each.
///
/// # Errors
/// Writing fails.
pub fn write(
    store: &Store,
    traces: &[TraceIdx],
    format: ExportFormat,
    out: &mut impl Write,
) -> io::Result<()> {
    for &t in traces {
        match format {
            ExportFormat::Jsonl => serde_json::to_writer(&mut *out, &trace_line(store, t))?,
            ExportFormat::Otlp => serde_json::to_writer(&mut *out, &otlp_request(store, t))?,
            ExportFormat::Examples => {
                serde_json::to_writer(&mut *out, &super::examples::row(store, t))?
            }
        }
        writeln!(out)?;
    }
    Ok(())
}

/// Write `traces` to a new file at `path` (replacing it), through a temporary file beside it so
/// a failure leaves no half-written file.
///
/// # Errors
/// The reason, with the path.
pub fn write_file(
    store: &Store,
    traces: &[TraceIdx],
    format: ExportFormat,
    path: &std::path::Path,
) -> Result<(), String> {
    let tmp = path.with_file_name(format!(
        ".{}.partial",
        path.file_name()
            .map_or_else(|| "export".into(), |n| n.to_string_lossy())
    ));
    let res = std::fs::File::create(&tmp).and_then(|f| {
        let mut w = io::BufWriter::new(f);
        write(store, traces, format, &mut w)?;
        w.into_inner()
            .map_err(io::IntoInnerError::into_error)?
            .sync_all()?;
        std::fs::rename(&tmp, path)
    });
    res.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot write {}: {e}", path.display())
    })
}

/// A trace's spans in tree order (parents before children, siblings by start).
fn spans_in_order(store: &Store, t: TraceIdx) -> Vec<SpanIdx> {
    let wf = Waterfall::new(store, t);
    let mut spans: Vec<SpanIdx> = wf.rows.iter().map(|r| wf.span(r)).collect();
    if spans.len() != store.trace_spans(t).len() {
        spans = store.trace_spans(t).to_vec();
    }
    spans
}

/// The normalized line of one trace.
#[must_use]
pub fn trace_line(store: &Store, t: TraceIdx) -> TraceLine {
    let tr = store.trace(t);
    let s = &tr.summary;
    let spans: Vec<SpanLine> = spans_in_order(store, t)
        .into_iter()
        .map(|sp| span_line(store, sp, &span_detail(store, sp)))
        .collect();
    let root = spans.first();
    TraceLine {
        schema: SCHEMA.into(),
        trace_id: store.id_str(tr.id).into(),
        name: s.name.map(|n| store.str(n).into()),
        start: rfc3339(s.start),
        duration_ms: ms(s.duration),
        status: s.status.as_str().into(),
        recovered: s.outcome() == Outcome::Recovered,
        error: s
            .error_message
            .filter(|_| s.status == TraceStatus::Error)
            .map(|e| store.str(e).into()),
        inputs: root.and_then(|r| r.inputs.clone()),
        outputs: root.and_then(|r| r.outputs.clone()),
        model: s.model.map(|m| store.str(m).into()),
        tokens: s.tokens,
        cost: s.cost.map(Nanodollars::usd),
        unpriced_calls: s.unpriced,
        llm_calls: s.llm_calls,
        error_spans: s.error_spans,
        score: s.score.map(|sc| sc.value),
        score_label: s.score.and_then(|sc| sc.label).map(|l| store.str(l).into()),
        spans,
    }
}

/// The normalized form of one span, with its texts from `d`.
#[must_use]
pub fn span_line(store: &Store, s: SpanIdx, d: &SpanDetail) -> SpanLine {
    let sp = store.span(s);
    SpanLine {
        span_id: store.span_id(&sp).into(),
        parent_id: store.parent_id(&sp).map(Into::into),
        name: store.str(sp.name).into(),
        kind: sp.kind.as_str().into(),
        start: sp.start.map(rfc3339),
        duration_ms: sp.duration().map(ms),
        status: match sp.status {
            SpanStatus::Ok => "ok",
            SpanStatus::Error => "error",
            SpanStatus::Unset => "unset",
        }
        .into(),
        error: sp.error.map(|e| store.str(e).into()),
        // the exception when it says more than the one-line error
        exception: d
            .error
            .as_ref()
            .filter(|e| {
                sp.is_error()
                    && (e.kind.is_some()
                        || e.stacktrace.is_some()
                        || e.message.as_deref() != sp.error.map(|x| store.str(x)))
            })
            .map(|e| ExceptionLine {
                kind: e.kind.clone(),
                message: e.message.clone(),
                stacktrace: e.stacktrace.clone(),
            }),
        model: sp.model.map(|m| store.str(m).into()),
        tokens: sp.tokens,
        cost: store.span_cost(s).map(Nanodollars::usd),
        tokens_cover_subtree: sp.has(flags::TOKENS_CUMULATIVE),
        start_inferred: sp.has(flags::SEQUENTIAL),
        synthesized: sp.has(flags::SYNTHETIC_ROOT),
        inputs: d.inputs.as_deref().map(text_value),
        outputs: d.outputs.as_deref().map(text_value),
        messages: d
            .messages
            .iter()
            .map(|m| MessageLine {
                role: m.role.clone(),
                content: m.content.clone(),
            })
            .collect(),
        response: d.response.clone(),
        params: d.params.as_deref().map(text_value),
        // whole, as the Attributes tab shows them (the store cut long values); what the index
        // kept when the record cannot be read back
        attributes: if d.problems.is_empty() {
            d.attributes.iter().cloned().collect()
        } else {
            store
                .span_attrs(&sp)
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        },
    }
}

/// An id of `n` bytes for OTLP: the id itself when it is hex (dashes ignored, shorter ones
/// zero-padded on the left), else a stable hash of it.
fn id_bytes(id: &str, n: usize) -> (Vec<u8>, bool) {
    let digits: String = id.chars().filter(|&c| c != '-').collect();
    let hex = !digits.is_empty()
        && digits.len() <= n * 2
        && digits.bytes().all(|b| b.is_ascii_hexdigit());
    if hex {
        let padded = format!("{digits:0>width$}", width = n * 2);
        let bytes = (0..n)
            .map(|i| u8::from_str_radix(&padded[i * 2..i * 2 + 2], 16).unwrap_or(0))
            .collect();
        return (bytes, true);
    }
    // FNV-1a, extended to n bytes by hashing with a counter
    let mut out = Vec::with_capacity(n);
    let mut round: u8 = 0;
    while out.len() < n {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in std::iter::once(round).chain(id.bytes()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        out.extend(h.to_be_bytes());
        round += 1;
    }
    out.truncate(n);
    (out, false)
}

fn kv(key: &str, v: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(v) }),
        ..KeyValue::default()
    }
}

fn text(key: &str, v: impl Into<String>) -> KeyValue {
    kv(key, any_value::Value::StringValue(v.into()))
}

fn int(key: &str, v: u64) -> KeyValue {
    kv(
        key,
        any_value::Value::IntValue(i64::try_from(v).unwrap_or(i64::MAX)),
    )
}

fn double(key: &str, v: f64) -> KeyValue {
    kv(key, any_value::Value::DoubleValue(v))
}

/// OpenInference's name for a span kind.
fn openinference_kind(k: SpanKind) -> &'static str {
    match k {
        SpanKind::Llm => "LLM",
        SpanKind::Chain => "CHAIN",
        SpanKind::Retriever => "RETRIEVER",
        SpanKind::Tool => "TOOL",
        SpanKind::Agent => "AGENT",
        SpanKind::Embedding => "EMBEDDING",
        SpanKind::Evaluator => "EVALUATOR",
        SpanKind::Other => "UNKNOWN",
    }
}

/// Whether an attribute is one of a span's resource (`resource.KEY`) or scope
/// (`otel.scope.name`), which OTLP writes beside the spans rather than on them.
fn is_resource_or_scope(key: &str) -> bool {
    key.starts_with("resource.") || key == "otel.scope.name"
}

/// One span as OTLP. `request_root` is the trace's synthesized root, if it has one: OTLP has no
/// such thing, so the spans that declared no parent of their own are written under it, where
/// the waterfall shows them.
#[allow(clippy::cast_sign_loss)]
fn otlp_span(store: &Store, s: SpanIdx, trace_id: &[u8], request_root: Option<SpanIdx>) -> Span {
    let sp = store.span(s);
    let parent = sp.parent_id.or_else(|| {
        request_root
            .filter(|&r| r != s)
            .map(|r| store.span(r).span_id)
    });
    let d = span_detail(store, s);
    let (span_id, native) = id_bytes(&store.span_id(&sp), 8);
    let mut attrs = vec![text("openinference.span.kind", openinference_kind(sp.kind))];
    if !native {
        attrs.push(text("spanscope.span_id", store.span_id(&sp)));
    }
    if let Some(m) = sp.model {
        attrs.push(text("llm.model_name", store.str(m)));
    }
    if let Some(t) = sp.tokens {
        attrs.push(int("llm.token_count.prompt", t.prompt));
        attrs.push(int("llm.token_count.completion", t.completion));
        attrs.push(int("llm.token_count.total", t.total));
        for (k, n) in [
            ("llm.token_count.prompt_details.cache_read", t.cache_read),
            ("llm.token_count.prompt_details.cache_write", t.cache_write),
            ("llm.token_count.completion_details.reasoning", t.reasoning),
        ] {
            if n > 0 {
                attrs.push(int(k, n));
            }
        }
    }
    if let Some(c) = store.span_cost(s) {
        attrs.push(double("llm.cost.total", c.usd()));
    }
    if let Some(i) = &d.inputs {
        attrs.push(text("input.value", i.as_str()));
    }
    if let Some(o) = &d.outputs {
        attrs.push(text("output.value", o.as_str()));
    }
    if let Some(p) = &d.params {
        attrs.push(text("llm.invocation_parameters", p.as_str()));
    }
    for (i, m) in d.messages.iter().enumerate() {
        attrs.push(text(
            &format!("llm.input_messages.{i}.message.role"),
            m.role.as_str(),
        ));
        attrs.push(text(
            &format!("llm.input_messages.{i}.message.content"),
            m.content.as_str(),
        ));
    }
    if let Some(r) = &d.response {
        attrs.push(text("llm.output_messages.0.message.role", "assistant"));
        attrs.push(text("llm.output_messages.0.message.content", r.as_str()));
    }
    // the span's own attributes, whole; its resource's and scope's are the request's own
    for (k, v) in &d.attributes {
        if !is_resource_or_scope(k) && !attrs.iter().any(|a| a.key == *k) {
            attrs.push(text(k, v.as_str()));
        }
    }
    let end = sp.effective_end();
    let mut events = Vec::new();
    if let Some(e) = d.error.as_ref().filter(|_| sp.is_error()) {
        let mut ea = Vec::new();
        if let Some(k) = &e.kind {
            ea.push(text("exception.type", k.as_str()));
        }
        if let Some(m) = &e.message {
            ea.push(text("exception.message", m.as_str()));
        }
        if let Some(st) = &e.stacktrace {
            ea.push(text("exception.stacktrace", st.as_str()));
        }
        events.push(span::Event {
            time_unix_nano: end.or(sp.start).unwrap_or(0).max(0) as u64,
            name: "exception".into(),
            attributes: ea,
            dropped_attributes_count: 0,
        });
    }
    Span {
        trace_id: trace_id.to_vec(),
        span_id,
        parent_span_id: parent
            .map(|p| id_bytes(&store.id_of(sp.trace, p), 8).0)
            .unwrap_or_default(),
        name: store.str(sp.name).into(),
        kind: span::SpanKind::Internal as i32,
        start_time_unix_nano: sp.start.unwrap_or(0).max(0) as u64,
        end_time_unix_nano: end.unwrap_or(0).max(0) as u64,
        attributes: attrs,
        events,
        status: Some(Status {
            message: if sp.is_error() {
                sp.error.map(|e| store.str(e).into()).unwrap_or_default()
            } else {
                String::new()
            },
            code: match sp.status {
                SpanStatus::Unset => 0,
                SpanStatus::Ok => 1,
                SpanStatus::Error => 2,
            },
        }),
        ..Span::default()
    }
}

/// One trace as an OTLP request: OpenInference attributes, so OTLP readers (Phoenix, Jaeger,
/// spanscope) see kinds, models, tokens, prompts and responses. Ids that are not hex are
/// hashed to the OTLP widths; the original is kept in `spanscope.trace_id` / `spanscope.span_id`.
#[must_use]
pub fn otlp_request(store: &Store, t: TraceIdx) -> ExportTraceServiceRequest {
    let tr = store.trace(t);
    let (trace_id, native) = id_bytes(&store.id_str(tr.id), 16);
    let order = spans_in_order(store, t);
    let request_root = order
        .iter()
        .copied()
        .find(|&s| store.span(s).has(flags::SYNTHETIC_ROOT));
    // the resource the first span names (`resource.KEY` attributes), with a service name
    let first = order.first().map(|&s| span_detail(store, s).attributes);
    let mut resource: Vec<KeyValue> = first
        .iter()
        .flatten()
        .filter_map(|(k, v)| Some(text(k.strip_prefix("resource.")?, v.as_str())))
        .collect();
    if !resource.iter().any(|kv| kv.key == "service.name") {
        resource.insert(0, text("service.name", "spanscope"));
    }
    if !native {
        resource.push(text("spanscope.trace_id", store.id_str(tr.id)));
    }
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: resource,
                ..Resource::default()
            }),
            scope_spans: vec![ScopeSpans {
                scope: Some(InstrumentationScope {
                    name: "spanscope".into(),
                    version: env!("CARGO_PKG_VERSION").into(),
                    ..InstrumentationScope::default()
                }),
                spans: order
                    .iter()
                    .map(|&s| otlp_span(store, s, &trace_id, request_root))
                    .collect(),
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_keep_their_hex_or_hash_stably() {
        let (b, native) = id_bytes("a831f586-ed68-9aea-1059-4e92ae203f2e", 16);
        assert!(native);
        assert_eq!(crate::ingest::hex(&b), "a831f586ed689aea10594e92ae203f2e");
        let (b, native) = id_bytes("step-1", 8);
        assert!(!native);
        assert_eq!(b.len(), 8);
        assert_eq!(id_bytes("step-1", 8).0, b);
        assert_ne!(id_bytes("step-2", 8).0, b);
        assert_eq!(crate::ingest::hex(&id_bytes("ff", 8).0), "00000000000000ff");
    }
}
