//! `spanscope show`: one request as a text waterfall, as JSON, or as Markdown for an LLM.

use super::TraceJson;
use crate::analysis::critical::critical_path;
use crate::ingest::detail::{SpanDetail, span_detail};
use crate::model::waterfall::Waterfall;
use crate::model::{SpanIdx, Store, TraceIdx, TraceStatus};
use crate::text::{TimeFmt, human_count, human_dur, ms, round3, truncate, width};
use serde::Serialize;
use std::io::{self, Write};

/// Output formats of `show`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ShowFormat {
    Text,
    Json,
    Markdown,
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
    error_spans: u32,
    llm_calls: u32,
    tokens: Option<crate::model::Tokens>,
    model: Option<String>,
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
    match format {
        ShowFormat::Json => {
            let critical = critical_path(&store.tree_inputs(t), &wf.tree).on_path;
            let spans = wf
                .rows
                .iter()
                .map(|r| {
                    let s = wf.span(r);
                    let sp = store.span(s);
                    SpanJson {
                        span_id: store.str(sp.span_id).to_string(),
                        parent_id: sp.parent_id.map(|p| store.str(p).to_string()),
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
                        orphan: wf.tree.orphan[r.idx],
                        critical: critical[r.idx],
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
                error_spans: tj.error_spans,
                llm_calls: tj.llm_calls,
                tokens: tj.tokens,
                model: tj.model,
                sequential_steps: store.trace(t).summary.sequential,
                spans,
            };
            serde_json::to_writer_pretty(&mut *out, &doc)?;
            writeln!(out)
        }
        ShowFormat::Text => text(store, t, &wf, time, paint, out),
        ShowFormat::Markdown => markdown(store, t, &wf, time, out),
    }
}

/// The trace's facts as (label, value) pairs, for the text and Markdown heads.
fn header(store: &Store, t: TraceIdx, time: TimeFmt) -> Vec<(&'static str, String)> {
    let tr = store.trace(t);
    let s = &tr.summary;
    let failed = match s.error_spans {
        0 => String::new(),
        1 => " (1 failed span)".into(),
        n => format!(" ({n} failed spans)"),
    };
    let mut lines = vec![
        ("trace", store.str(tr.id).to_string()),
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
        ("status", format!("{}{failed}", s.status.as_str())),
        (
            "spans",
            format!("{}, {} LM call(s)", s.span_count, s.llm_calls),
        ),
        (
            "tokens",
            s.tokens.map_or_else(
                || "—".into(),
                |t| format!("{} in / {} out / {} total", t.prompt, t.completion, t.total),
            ),
        ),
        ("model", s.model.map_or("—", |m| store.str(m)).to_string()),
    ];
    if let Some(e) = s.error_message {
        lines.push(("error", first_line(store.str(e), 200)));
    }
    lines
}

fn first_line(s: &str, max: usize) -> String {
    truncate(s.lines().next().unwrap_or(""), max)
}

fn text(
    store: &Store,
    t: TraceIdx,
    wf: &Waterfall,
    time: TimeFmt,
    paint: super::Paint,
    out: &mut impl Write,
) -> io::Result<()> {
    use super::Tone;
    let s = &store.trace(t).summary;
    for (label, value) in header(store, t, time) {
        let value = crate::text::neutralize(&value, false);
        let value = match (label, s.status) {
            ("status" | "error", TraceStatus::Error) => paint.tone(Tone::Error, &value),
            ("status", TraceStatus::Running) => paint.tone(Tone::Warn, &value),
            ("status", TraceStatus::Ok) if s.error_spans > 0 => paint.tone(Tone::Warn, &value),
            ("status", TraceStatus::Ok) => paint.tone(Tone::Ok, &value),
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
        "{:<name_w$}  {:>8}  {:>8}  {:>6}  {:>8}  TIMELINE",
        "SPAN", "START", "DURATION", "%", "SELF"
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
        writeln!(
            out,
            "{shown}{}  {:>8}  {:>8}  {:>5.1}%  {:>8}  {}",
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
            let indent = width(&pre[wf.rows.iter().position(|x| x == r).unwrap_or(0)]);
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

/// A fence longer than any backtick run in `text`, so the text shows exactly.
fn fence(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat((longest + 1).max(3))
}

fn block(out: &mut impl Write, text: &str) -> io::Result<()> {
    let text = &*crate::text::neutralize(text, true);
    let f = fence(text);
    writeln!(out, "{f}text\n{}\n{f}\n", text.trim_end())
}

fn markdown(
    store: &Store,
    t: TraceIdx,
    wf: &Waterfall,
    time: TimeFmt,
    out: &mut impl Write,
) -> io::Result<()> {
    let tr = store.trace(t);
    let s = &tr.summary;
    writeln!(
        out,
        "# Trace `{}`: {}\n",
        crate::text::neutralize(store.str(tr.id), false),
        md_escape(s.name.map_or("—", |n| store.str(n)))
    )?;
    for (label, value) in header(store, t, time).iter().skip(2) {
        writeln!(out, "- **{label}**: {}", md_escape(value))?;
    }
    if s.sequential {
        writeln!(
            out,
            "- note: steps carry only durations; they are laid out one after another from the request start"
        )?;
    }
    // The request's own inputs and outputs: the root (or first top-level span).
    if let Some(root) = wf.rows.first().map(|r| wf.span(r)) {
        let d = span_detail(store, root);
        if let Some(i) = &d.inputs {
            writeln!(out, "\n## Request inputs\n")?;
            block(out, &crate::ingest::detail::pretty(i))?;
        }
        if let Some(o) = &d.outputs {
            writeln!(out, "## Request outputs\n")?;
            block(out, &crate::ingest::detail::pretty(o))?;
        }
    }
    writeln!(out, "\n## Steps\n")?;
    writeln!(
        out,
        "| # | step | kind | start | duration | % of trace | self | status | tokens |"
    )?;
    writeln!(out, "|---:|---|---|---:|---:|---:|---:|---|---:|")?;
    for (n, r) in wf.rows.iter().enumerate() {
        let s_idx = wf.span(r);
        let sp = store.span(s_idx);
        writeln!(
            out,
            "| {} | {}{} | {} | {} | {} | {:.1}% | {} | {} | {} |",
            n + 1,
            "&nbsp;&nbsp;".repeat(r.depth as usize),
            md_escape(store.str(sp.name)),
            sp.kind,
            human_dur(r.offset),
            sp.duration().map_or_else(|| "running".into(), human_dur),
            r.pct,
            human_dur(r.self_time),
            store.span(s_idx).outcome(),
            sp.tokens
                .map_or_else(|| "".into(), |t| human_count(t.total)),
        )?;
    }
    let mut call = 0;
    let is_llm = |i: usize| store.span(wf.spans[i]).kind == crate::model::SpanKind::Llm;
    for r in &wf.rows {
        let s_idx = wf.span(r);
        let sp = store.span(s_idx);
        let d: SpanDetail = span_detail(store, s_idx);
        // One LM call per outermost LLM span; an instrumented client below it (litellm's
        // `completion`) is the same call and may hold the messages, tokens and model.
        let outermost = is_llm(r.idx)
            && std::iter::successors(wf.tree.parent[r.idx], |&p| wf.tree.parent[p])
                .all(|p| !is_llm(p));
        if outermost {
            let parts = crate::analysis::calls::lm_call_parts(store, wf, r.idx);
            let details: Vec<SpanDetail> = parts
                .iter()
                .skip(1)
                .map(|&i| span_detail(store, wf.spans[i]))
                .collect();
            let all = std::iter::once(&d).chain(&details);
            let messages = all.clone().map(|x| &x.messages).find(|m| !m.is_empty());
            let response = all.clone().find_map(|x| x.response.as_ref());
            let carrier = parts
                .iter()
                .map(|&i| store.span(wf.spans[i]))
                .find(|s| s.tokens.is_some());
            let model = carrier.and_then(|s| s.model).or(sp.model);
            call += 1;
            writeln!(
                out,
                "\n## LM call {call}: {} ({}, {:.1}% of trace{}{})\n",
                md_escape(store.str(sp.name)),
                sp.duration().map_or_else(|| "running".into(), human_dur),
                r.pct,
                model.map_or_else(String::new, |m| format!(", model {}", store.str(m))),
                carrier
                    .and_then(|s| s.tokens)
                    .map_or_else(String::new, |t| format!(
                        ", tokens {} in / {} out",
                        t.prompt, t.completion
                    )),
            )?;
            messages_block(out, messages.map_or(&[], Vec::as_slice))?;
            if let Some(resp) = response {
                writeln!(out, "**response**\n")?;
                block(out, resp)?;
            }
        }
        if sp.is_error()
            && let Some(e) = &d.error
        {
            let is_leafmost = !wf.tree.children[r.idx]
                .iter()
                .any(|&c| store.span(wf.spans[c]).is_error());
            if is_leafmost {
                writeln!(out, "\n## Error in {}\n", md_escape(store.str(sp.name)))?;
                error_block(out, e)?;
            }
        }
    }
    Ok(())
}

/// One span as Markdown for an LLM: what it is, its share of the trace, its inputs, prompt,
/// response, outputs and error.
///
/// # Errors
/// Writing fails.
pub fn span_markdown(store: &Store, s: SpanIdx, out: &mut impl Write) -> io::Result<()> {
    let sp = store.span(s);
    let t = sp.trace;
    let wf = Waterfall::new(store, t);
    let row = wf.rows.iter().find(|r| wf.span(r) == s);
    let tr = store.trace(t);
    writeln!(
        out,
        "# Span `{}` of trace `{}`: {}\n",
        md_escape(store.str(sp.name)),
        crate::text::neutralize(store.str(tr.id), false),
        md_escape(tr.summary.name.map_or("—", |n| store.str(n)))
    )?;
    let mut facts = vec![
        ("kind", sp.kind.as_str().to_string()),
        (
            "duration",
            sp.duration().map_or_else(|| "running".into(), human_dur),
        ),
    ];
    if let Some(r) = row {
        facts.push(("starts at", format!("+{}", human_dur(r.offset))));
        facts.push(("share of trace", format!("{:.1}%", r.pct)));
        facts.push(("self time", human_dur(r.self_time)));
    }
    facts.push(("status", store.span(s).outcome().to_string()));
    if let Some(m) = sp.model {
        facts.push(("model", store.str(m).to_string()));
    }
    if let Some(tk) = sp.tokens {
        facts.push((
            "tokens",
            format!(
                "{} in / {} out / {} total",
                tk.prompt, tk.completion, tk.total
            ),
        ));
    }
    for (label, value) in facts {
        writeln!(out, "- **{label}**: {}", md_escape(&value))?;
    }
    let d = span_detail(store, s);
    if let Some(i) = &d.inputs {
        writeln!(out, "\n## Inputs\n")?;
        block(out, &crate::ingest::detail::pretty(i))?;
    }
    if !d.messages.is_empty() {
        writeln!(out, "\n## Prompt\n")?;
        messages_block(out, &d.messages)?;
    }
    if let Some(r) = &d.response {
        writeln!(out, "\n## Response\n")?;
        block(out, r)?;
    }
    if let Some(o) = &d.outputs {
        writeln!(out, "\n## Outputs\n")?;
        block(out, &crate::ingest::detail::pretty(o))?;
    }
    if let Some(e) = d.error.as_ref().filter(|_| sp.is_error()) {
        writeln!(out, "\n## Error\n")?;
        error_block(out, e)?;
    }
    Ok(())
}

fn messages_block(
    out: &mut impl Write,
    messages: &[crate::ingest::detail::Message],
) -> io::Result<()> {
    for m in messages {
        let role = if m.role.is_empty() {
            "message"
        } else {
            &m.role
        };
        writeln!(out, "**{role}**\n")?;
        block(out, &m.content)?;
    }
    Ok(())
}

fn error_block(out: &mut impl Write, e: &crate::ingest::detail::ErrorInfo) -> io::Result<()> {
    let head = match (&e.kind, &e.message) {
        (Some(k), Some(m)) if !m.starts_with(k.as_str()) => format!("{k}: {m}"),
        (_, Some(m)) => m.clone(),
        (Some(k), None) => k.clone(),
        (None, None) => "error".into(),
    };
    block(out, &head)?;
    if let Some(st) = &e.stacktrace {
        writeln!(out, "<details><summary>stack trace</summary>\n")?;
        block(out, st)?;
        writeln!(out, "</details>")?;
    }
    Ok(())
}

fn md_escape(s: &str) -> String {
    crate::text::neutralize(s, false)
        .replace('|', "\\|")
        .replace('_', "\\_")
        .replace('*', "\\*")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fences_outgrow_backticks() {
        assert_eq!(fence("plain"), "```");
        assert_eq!(fence("has ```` inside"), "`````");
    }
}
