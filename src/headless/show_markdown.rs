//! `show --format markdown` and the span copied as Markdown: a request, or one span, written
//! for an LLM to read (facts, inputs and outputs, the steps, each LM call's prompt and
//! response, the errors).

use crate::ingest::detail::{SpanDetail, span_detail};
use crate::model::waterfall::Waterfall;
use crate::model::{SpanIdx, Store, TraceIdx};
use crate::text::{human_count, human_dur};
use std::io::{self, Write};

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

/// Trace `t` laid out as `wf` as Markdown: `head` is the trace's facts as (label, value) after
/// its id and name, `critical` the line of where its time went.
pub(super) fn markdown(
    store: &Store,
    t: TraceIdx,
    wf: &Waterfall,
    head: &[(&str, String)],
    critical: Option<String>,
    out: &mut impl Write,
) -> io::Result<()> {
    let tr = store.trace(t);
    let s = &tr.summary;
    writeln!(
        out,
        "# Trace `{}`: {}\n",
        crate::text::neutralize(&store.id_str(tr.id), false),
        md_escape(s.name.map_or("—", |n| store.str(n)))
    )?;
    for (label, value) in head {
        writeln!(out, "- **{label}**: {}", md_escape(value))?;
    }
    if let Some(line) = critical {
        writeln!(out, "- **critical path**: {}", md_escape(&line))?;
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
            let model = carrier.as_ref().and_then(|s| s.model).or(sp.model);
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
        crate::text::neutralize(&store.id_str(tr.id), false),
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

/// Text for a Markdown line or table cell: control characters neutralized, `|` and emphasis
/// escaped.
pub(super) fn md_escape(s: &str) -> String {
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
