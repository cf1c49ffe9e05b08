//! `spanscope diff`: prints the alignment of [`crate::analysis::diff`] as text or JSON.

use super::TraceJson;
use crate::analysis::diff::{TextDiff, TraceDiff, signed_dur};
use crate::model::{SpanIdx, Store, TraceIdx};
use crate::text::{human_count, human_dur, ms, round3, truncate, width};
use serde::Serialize;
use std::io::{self, Write};

/// Output formats of `diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormat {
    Text,
    Json,
}

/// A step's figures on one side.
#[derive(Debug, Clone, Serialize)]
struct SideJson {
    span_id: String,
    duration_ms: Option<f64>,
    status: &'static str,
    tokens: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
struct StepJson {
    name: String,
    kind: &'static str,
    depth: u16,
    /// `same`, `changed` (status differs), `only_a` or `only_b`.
    change: &'static str,
    a: Option<SideJson>,
    b: Option<SideJson>,
    delta_ms: Option<f64>,
    delta_tokens: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
struct DiffJson {
    a: TraceJson,
    b: TraceJson,
    delta_ms: f64,
    steps: Vec<StepJson>,
    lm_calls_compared: usize,
    lm_calls_differing: Vec<TextDiff>,
}

/// Print in `format`.
///
/// # Errors
/// Writing fails.
pub fn print(
    d: &TraceDiff,
    store: &Store,
    format: DiffFormat,
    out: &mut impl Write,
) -> io::Result<()> {
    match format {
        DiffFormat::Json => {
            let side = |s: Option<SpanIdx>| {
                s.map(|s| {
                    let sp = store.span(s);
                    SideJson {
                        span_id: store.span_id(&sp).to_string(),
                        duration_ms: sp.duration().map(ms),
                        status: store.span(s).outcome(),
                        tokens: sp.tokens.map(|t| t.total),
                    }
                })
            };
            let steps = d
                .steps
                .iter()
                .map(|st| {
                    let sp = store.span(st.a.or(st.b).expect("a step has a side"));
                    let ta = TraceDiff::tokens(store, st.a);
                    let tb = TraceDiff::tokens(store, st.b);
                    StepJson {
                        name: store.str(sp.name).to_string(),
                        kind: sp.kind.as_str(),
                        depth: st.depth,
                        change: d.change(store, st),
                        a: side(st.a),
                        b: side(st.b),
                        delta_ms: TraceDiff::delta(store, st).map(|d| round3(ms(d))),
                        delta_tokens: ta.zip(tb).map(|(a, b)| {
                            i64::try_from(b).unwrap_or(i64::MAX)
                                - i64::try_from(a).unwrap_or(i64::MAX)
                        }),
                    }
                })
                .collect();
            let (a, b) = (store.trace(d.a), store.trace(d.b));
            let doc = DiffJson {
                a: TraceJson::new(store, d.a),
                b: TraceJson::new(store, d.b),
                delta_ms: round3(ms(b.summary.duration - a.summary.duration)),
                steps,
                lm_calls_compared: d.lm_pairs,
                lm_calls_differing: d.texts.clone(),
            };
            serde_json::to_writer_pretty(&mut *out, &doc)?;
            writeln!(out)
        }
        DiffFormat::Text => text(d, store, out),
    }
}

fn text(d: &TraceDiff, store: &Store, out: &mut impl Write) -> io::Result<()> {
    for (label, t) in [("A", d.a), ("B", d.b)] {
        writeln!(out, "{label}  {}", trace_line(store, t))?;
    }
    let (a, b) = (store.trace(d.a), store.trace(d.b));
    writeln!(
        out,
        "Δ  {} ({} steps: {} only in A, {} only in B, {} changed status)\n",
        signed_dur(b.summary.duration - a.summary.duration),
        d.steps.len(),
        d.only_a,
        d.only_b,
        d.changed,
    )?;
    let rows = d.rows(store);
    let name_w = rows
        .iter()
        .map(|r| width(&r[1]))
        .max()
        .unwrap_or(4)
        .clamp(4, 60);
    writeln!(
        out,
        "   {:<name_w$}  {:>10}  {:>10}  {:>9}  {:>6}  {:>7}  {:>7}",
        "STEP", "A", "B", "Δ", "Δ%", "TOK A", "TOK B"
    )?;
    for r in &rows {
        let name = truncate(&r[1], name_w);
        let pad = name_w.saturating_sub(width(&name));
        let line = format!(
            "{}  {name}{}  {:>10}  {:>10}  {:>9}  {:>6}  {:>7}  {:>7}",
            r[0],
            " ".repeat(pad),
            r[2],
            r[3],
            r[4],
            r[5],
            r[6],
            r[7]
        );
        writeln!(out, "{}", line.trim_end())?;
    }
    writeln!(
        out,
        "\nLM calls: {} aligned, {} with a different prompt or response",
        d.lm_pairs,
        d.texts.len()
    )?;
    for t in &d.texts {
        writeln!(out, "\n── {} (step {})", t.name, t.step + 1)?;
        for text in [&t.prompt, &t.response] {
            write!(out, "{}", crate::text::neutralize(text, true))?;
        }
    }
    Ok(())
}

/// `id  name  duration  status  spans  LM calls  tokens` of one trace.
fn trace_line(store: &Store, t: TraceIdx) -> String {
    let tr = store.trace(t);
    let s = &tr.summary;
    format!(
        "{}  {}  {}  {}{}  {} spans  {} LM calls  tokens {}",
        store.id_str(tr.id),
        truncate(s.name.map_or("—", |n| store.str(n)), 60),
        human_dur(s.duration),
        s.outcome().as_str(),
        match s.error_spans {
            0 => String::new(),
            n => format!(" ({n} failed span(s))"),
        },
        s.span_count,
        s.llm_calls,
        s.tokens
            .map_or_else(|| "—".into(), |t| human_count(t.total)),
    )
}
