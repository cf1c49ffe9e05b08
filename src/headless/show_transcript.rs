//! `show --format transcript`: a trace read top to bottom as its LM and tool calls only, in
//! the order they started: what each model saw and said, each tool's arguments and result,
//! with tokens and latency. The same layout as the explorer's reader view (`r`).

use crate::analysis::transcript::{Turn, parts_of, said, turns};
use crate::ingest::detail::details_of;
use crate::model::waterfall::Waterfall;
use crate::model::{SpanKind, Store, TraceIdx};
use crate::text::neutralize;
use std::io::{self, Write};

/// Print trace `t` as a transcript; `head` is the trace's facts as (label, value).
///
/// # Errors
/// Writing fails.
pub(super) fn transcript(
    store: &Store,
    t: TraceIdx,
    head: &[(&str, String)],
    out: &mut impl Write,
) -> io::Result<()> {
    let wf = Waterfall::new(store, t);
    let turns = turns(store, &wf);
    let spans = parts_of(&turns);
    let details = details_of(store, &spans);
    for (label, value) in head {
        writeln!(out, "{label:<8} {}", neutralize(value, false))?;
    }
    let (llm, tools) = counts(&turns);
    writeln!(
        out,
        "calls    {llm} LM call(s), {tools} tool call(s), in the order they started"
    )?;
    if turns.is_empty() {
        writeln!(out, "\nno LM or tool call in this trace")?;
    }
    for (n, turn) in turns.iter().enumerate() {
        writeln!(out, "\n── {}", turn.title(store, n))?;
        let s = said(turn, &spans, &details);
        for (heading, text) in s.blocks() {
            writeln!(out, "{heading}")?;
            for line in neutralize(&text, true).replace('\t', "    ").lines() {
                if line.trim().is_empty() {
                    writeln!(out)?;
                } else {
                    writeln!(out, "  {line}")?;
                }
            }
        }
    }
    Ok(())
}

/// LM calls and tool calls.
fn counts(turns: &[Turn]) -> (usize, usize) {
    let llm = turns.iter().filter(|t| t.kind == SpanKind::Llm).count();
    (llm, turns.len() - llm)
}
