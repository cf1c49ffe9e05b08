//! `spanscope show`: one request as a text waterfall, as JSON, or as Markdown for an LLM (written
//! by `show_markdown`).

use super::TraceJson;
use crate::analysis::breakdown::Breakdown;
use crate::model::waterfall::Waterfall;
use crate::model::{Outcome, Store, TraceIdx, TraceStatus};
use crate::text::{TimeFmt, human_dur, ms, round3, truncate, width};
use serde::Serialize;
use std::io::{self, Write};

pub use super::show_markdown::span_markdown;

/// Output formats of `show`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ShowFormat {
    Text,
    Json,
    Markdown,
    /// The LM and tool calls only, in time order, with their texts (the explorer's reader).
    Transcript,
}

#[derive(Serialize)]
struct SpanJson {
    span_id: String,
    parent_id: Option<String>,
    name: String,
    kind: &'static str,
    depth: u16,
    start_offset_ms: f64,
    duration_ms: Option<f64>,
    self_ms: f64,
    pct_of_trace: f64,
    status: &'static str,
    error: Option<String>,
    model: Option<String>,
    tokens: Option<crate::model::Tokens>,
    /// USD; null when unpriced or not a call.
    cost: Option<f64>,
    orphan: bool,
    /// On the trace's critical path (README "What the numbers mean").
    critical: bool,
}

/// The trace fields of [`TraceJson`] with `spans` as the waterfall (its length is the count).
#[derive(Serialize)]
struct ShowJson {
    trace_id: String,
    name: Option<String>,
    start: String,
    duration_ms: f64,
    status: &'static str,
    recovered: bool,
    error_spans: u32,
    llm_calls: u32,
    tokens: Option<crate::model::Tokens>,
    model: Option<String>,
    cost: Option<f64>,
    unpriced_calls: u32,
    score: Option<f64>,
    score_label: Option<String>,
    /// Steps carried only durations and were laid out one after another.
    sequential_steps: bool,
    spans: Vec<SpanJson>,
}

/// Print one trace.
///
/// # Errors
/// Writing fails.
pub fn print(
    store: &Store,
    t: TraceIdx,
    format: ShowFormat,
    time: TimeFmt,
    paint: super::Paint,
    out: &mut impl Write,
) -> io::Result<()> {
    let wf = Waterfall::new(store, t);
    let time_went = Breakdown::new(&store.tree_inputs(t), &wf.tree, &wf.rows);
    match format {
        ShowFormat::Json => {
            let spans = wf
                .rows
                .iter()
                .map(|r| {
                    let s = wf.span(r);
                    let sp = store.span(s);
                    SpanJson {
                        span_id: store.span_id(&sp).to_string(),
                        parent_id: store.parent_id(&sp).map(|p| p.to_string()),
                        name: store.str(sp.name).to_string(),
                        kind: sp.kind.as_str(),
                        depth: r.depth,
                        start_offset_ms: ms(r.offset),
                        duration_ms: sp.duration().map(ms),
                        self_ms: ms(r.self_time),
                        pct_of_trace: round3(r.pct),
                        status: store.span(s).outcome(),
                        error: sp.error.map(|e| store.str(e).to_string()),
                        model: sp.model.map(|m| store.str(m).to_string()),
                        tokens: sp.tokens,
                        cost: store.span_cost(s).map(crate::model::Nanodollars::usd),
                        orphan: wf.tree.orphan[r.idx],
                        critical: time_went.on_path(r.idx),
                    }
                })
                .collect();
            let tj = TraceJson::new(store, t);
            let doc = ShowJson {
                trace_id: tj.trace_id,
                name: tj.name,
                start: tj.start,
                duration_ms: tj.duration_ms,
                status: tj.status,
                recovered: tj.recovered,
                error_spans: tj.error_spans,
                llm_calls: tj.llm_calls,
                tokens: tj.tokens,
                model: tj.model,
                cost: tj.cost,
                unpriced_calls: tj.unpriced_calls,
                score: tj.score,
                score_label: tj.score_label,
                sequential_steps: store.trace(t).summary.sequential,
                spans,
            };
            serde_json::to_writer_pretty(&mut *out, &doc)?;
            writeln!(out)
        }
        ShowFormat::Text => text(store, t, &wf, &time_went, time, paint, out),
        ShowFormat::Transcript => {
            super::show_transcript::transcript(store, t, &header(store, t, time), out)
        }
        ShowFormat::Markdown => super::show_markdown::markdown(
            store,
            t,
            &wf,
            &header(store, t, time)[2..],
            critical_line(store, &wf, &time_went, usize::MAX),
            out,
        ),
    }
}

/// The trace's facts as (label, value) pairs, for the text and Markdown heads.
fn header(store: &Store, t: TraceIdx, time: TimeFmt) -> Vec<(&'static str, String)> {
    let tr = store.trace(t);
    let s = &tr.summary;
    let outcome = s.outcome();
    let failed = match s.error_spans {
        0 => String::new(),
        1 => "1 failed span".into(),
        n => format!("{n} failed spans"),
    };
    let status = match outcome {
        Outcome::Recovered => format!("{} recovered: ok after {failed}", outcome.glyph()),
        _ if failed.is_empty() => format!("{} {}", outcome.glyph(), outcome.as_str()),
        _ => format!("{} {} ({failed})", outcome.glyph(), outcome.as_str()),
    };
    let mut lines = vec![
        ("trace", store.id_str(tr.id).to_string()),
        ("name", s.name.map_or("—", |n| store.str(n)).to_string()),
        (
            "start",
            format!(
                "{}{}",
                time.human(s.start),
                if time.utc { "" } else { " (local time)" }
            ),
        ),
        ("duration", human_dur(s.duration)),
        ("status", status),
        (
            "spans",
            format!("{}, {} LM call(s)", s.span_count, s.llm_calls),
        ),
        (
            "tokens",
            s.tokens.map_or_else(
                || "—".into(),
                |t| {
                    let mut line =
                        format!("{} in / {} out / {} total", t.prompt, t.completion, t.total);
                    for (n, what) in [
                        (t.cache_read, "cached"),
                        (t.cache_write, "written to cache"),
                        (t.reasoning, "reasoning"),
                    ] {
                        if n > 0 {
                            line.push_str(&format!(", {n} {what}"));
                        }
                    }
                    line
                },
            ),
        ),
        ("model", s.model.map_or("—", |m| store.str(m)).to_string()),
    ];
    if s.cost.is_some() || s.unpriced > 0 {
        let usd = s.cost.map(crate::model::Nanodollars::usd);
        let mut line = crate::text::cost_cell(usd, u64::from(s.unpriced));
        if s.unpriced > 0 {
            line.push_str(&format!(
                " ({} LM call(s) without usage or a price)",
                s.unpriced
            ));
        }
        lines.insert(lines.len() - 1, ("cost", line));
    }
    if let Some(sc) = s.score {
        let label = sc.label.map(|l| store.str(l));
        lines.insert(
            lines.len() - 1,
            ("score", crate::text::score_cell(sc.value, label)),
        );
    }
    if let Some(e) = s.error_message {
        let error = first_line(store.str(e), 200);
        if outcome == Outcome::Recovered {
            // a recovered request has no error of its own: what it recovered from is a step's
            let step = tr
                .spans
                .iter()
                .map(|&i| store.span(i))
                .find(|sp| sp.error == Some(e));
            let step = step.map_or("a step", |sp| store.str(sp.name));
            lines.push(("failed", format!("{step}: {error}")));
        } else {
            lines.push(("error", error));
        }
    }
    lines
}

fn first_line(s: &str, max: usize) -> String {
    truncate(s.lines().next().unwrap_or(""), max)
}

/// The critical path's steps in one line of at most `max` columns (see `text::critical_line`).
fn critical_line(store: &Store, wf: &Waterfall, b: &Breakdown, max: usize) -> Option<String> {
    crate::text::critical_line(&b.named_steps(store, &wf.spans), max)
}

fn text(
    store: &Store,
    t: TraceIdx,
    wf: &Waterfall,
    b: &Breakdown,
    time: TimeFmt,
    paint: super::Paint,
    out: &mut impl Write,
) -> io::Result<()> {
    use super::Tone;
    let s = &store.trace(t).summary;
    for (label, value) in header(store, t, time) {
        let value = crate::text::neutralize(&value, false);
        let value = match (label, s.outcome()) {
            ("status", o) | ("error", o @ Outcome::Error) => paint.tone(Tone::of(o), &value),
            _ => value.into_owned(),
        };
        writeln!(
            out,
            "{}{value}",
            paint.tone(Tone::Bold, &format!("{label:<9}"))
        )?;
    }
    if s.sequential {
        writeln!(
            out,
            "note     steps carry only durations: they are laid out one after another from the request start"
        )?;
    }
    if s.orphans > 0 {
        writeln!(
            out,
            "note     {} span(s) name a parent that never arrived (marked ⚠)",
            s.orphans
        )?;
    }
    // a line as wide as a wide terminal, longer only for a step that is longer by itself
    let line = critical_line(store, wf, b, 160)
        .or_else(|| critical_line(store, wf, b, usize::MAX))
        .or_else(|| {
            (s.status == TraceStatus::Running).then(|| "known when the request ends".into())
        });
    if let Some(line) = line {
        writeln!(
            out,
            "{}{} {line}",
            paint.tone(Tone::Bold, "critical "),
            paint.tone(Tone::Warn, "┃"),
        )?;
    }
    if let Some(hot) = b.largest_self {
        let row = wf.rows.iter().find(|r| r.idx == hot);
        writeln!(
            out,
            "{}{} {} {}",
            paint.tone(Tone::Bold, "top self "),
            paint.tone(Tone::Warn, "▲"),
            crate::text::neutralize(store.str(store.span(wf.spans[hot]).name), false),
            row.map_or_else(String::new, |r| human_dur(r.self_time))
        )?;
    }
    writeln!(out)?;
    let pre = wf.prefixes();
    let labels: Vec<String> = wf
        .rows
        .iter()
        .zip(&pre)
        .map(|(r, p)| {
            let sp = store.span(wf.span(r));
            let mark = if sp.is_error() {
                " ✗"
            } else if wf.tree.orphan[r.idx] {
                " ⚠"
            } else {
                ""
            };
            format!("{p}{} {}{mark}", sp.kind.glyph(), store.str(sp.name))
        })
        .collect();
    let name_w = labels
        .iter()
        .map(|l| width(l))
        .max()
        .unwrap_or(4)
        .clamp(4, 60);
    const BAR: usize = 40;
    let head = format!(
        "   {:<name_w$}  {:>8}  {:>8}  {:>6}  {:>8}  {}",
        "SPAN",
        "START",
        "DURATION",
        "%",
        "SELF",
        match crate::text::ruler(s.duration, BAR).trim_end() {
            "" => "TIMELINE",
            r => r,
        }
    );
    writeln!(out, "{}", paint.tone(Tone::Bold, &head))?;
    for (r, label) in wf.rows.iter().zip(&labels) {
        let sp = store.span(wf.span(r));
        let label = truncate(label, name_w);
        let pad = name_w.saturating_sub(width(&label));
        let dur = sp.duration().map_or_else(|| "running".into(), human_dur);
        let shown = if sp.is_error() {
            paint.tone(Tone::Error, &label)
        } else {
            label.clone()
        };
        let marks = format!(
            "{}{} ",
            if b.on_path(r.idx) { "┃" } else { " " },
            if b.largest_self == Some(r.idx) {
                "▲"
            } else {
                " "
            }
        );
        writeln!(
            out,
            "{}{shown}{}  {:>8}  {:>8}  {:>5.1}%  {:>8}  {}",
            paint.tone(Tone::Warn, &marks),
            " ".repeat(pad),
            human_dur(r.offset),
            dur,
            r.pct,
            human_dur(r.self_time),
            paint.tone(
                if sp.is_error() {
                    Tone::Error
                } else {
                    Tone::Accent
                },
                crate::text::bar(r.offset, r.duration, s.duration, BAR).trim_end()
            )
        )?;
        if let Some(e) = sp.error.filter(|_| sp.is_error()) {
            let indent = 3 + width(&pre[wf.rows.iter().position(|x| x == r).unwrap_or(0)]);
            writeln!(
                out,
                "{}    {}",
                " ".repeat(indent),
                paint.tone(Tone::Error, &format!("✗ {}", first_line(store.str(e), 160)))
            )?;
        }
    }
    Ok(())
}
