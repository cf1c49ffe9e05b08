//! A trace as a transcript: its LM and tool calls only, in the order they started, each with
//! what it was asked and what it answered (the reader view, `show --format transcript`). The
//! module scaffolding around them is left out.
//!
//! Which spans are turns is answered from the waterfall; their texts come from the spans'
//! decoded details (`ingest::detail::details_of`, read by the caller: this does no I/O), merged
//! here once for both renderers.

use super::calls::lm_call_parts;
use crate::ingest::texts::{ErrorInfo, Message, SpanDetail, pretty};
use crate::model::waterfall::Waterfall;
use crate::model::{Nanos, SpanIdx, SpanKind, Store, Sym, Tokens};
use crate::text::{human_dur, neutralize};

/// One LM or tool call of a trace.
#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    /// The call's span: the outermost LLM span of an LM call, or the tool span.
    pub span: SpanIdx,
    /// Every span whose texts make the call: the span, then (an LM call) the LLM spans below
    /// it, an instrumented client under DSPy's `LM.__call__` being the same call.
    pub parts: Vec<SpanIdx>,
    pub kind: SpanKind,
    /// From the start of the trace.
    pub offset: Nanos,
    /// `None`: still running, or not known.
    pub duration: Option<Nanos>,
    /// Of the part that reports them (the innermost carrier).
    pub tokens: Option<Tokens>,
    pub model: Option<Sym>,
    pub failed: bool,
}

impl Turn {
    /// The turn's line, numbered `n + 1`, as both renderers head it: `3 · LM call ·
    /// Predict.forward · +1.2s · 340ms · 120 in / 8 out · gpt-4o · failed`.
    #[must_use]
    pub fn title(&self, store: &Store, n: usize) -> String {
        let t = self;
        let sp = store.span(t.span);
        let mut parts = vec![
            (n + 1).to_string(),
            if t.kind == SpanKind::Tool {
                "tool call".to_string()
            } else {
                "LM call".to_string()
            },
            neutralize(store.str(sp.name), false).into_owned(),
            format!("+{}", human_dur(t.offset)),
            t.duration.map_or_else(|| "running".into(), human_dur),
        ];
        if let Some(k) = t.tokens {
            parts.push(format!("{} in / {} out", k.prompt, k.completion));
        }
        if let Some(m) = t.model {
            parts.push(neutralize(store.str(m), false).into_owned());
        }
        if t.failed {
            parts.push("failed".into());
        }
        parts.join(" · ")
    }
}

/// The texts of a turn, merged from its parts' details.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Said {
    /// What the model saw (an LM call).
    pub messages: Vec<Message>,
    /// What the model answered: its response text, else its outputs.
    pub response: Option<String>,
    /// A tool's arguments (its inputs).
    pub arguments: Option<String>,
    /// An LM call's inputs, when it has no messages.
    pub inputs: Option<String>,
    /// A tool's result (its outputs, or its response).
    pub result: Option<String>,
    pub error: Option<ErrorInfo>,
    /// Texts that could not be read back.
    pub problems: Vec<String>,
}

/// The LM and tool calls of the trace laid out as `wf`, in the order they started (ties in
/// waterfall order). An LLM span under another LLM span is part of that call; a tool span
/// under another tool span, of that tool's call.
#[must_use]
pub fn turns(store: &Store, wf: &Waterfall) -> Vec<Turn> {
    let kind = |i: usize| store.span(wf.spans[i]).kind;
    let mut out: Vec<(usize, Turn)> = Vec::new();
    for (n, r) in wf.rows.iter().enumerate() {
        let k = kind(r.idx);
        if !matches!(k, SpanKind::Llm | SpanKind::Tool) {
            continue;
        }
        let nested = std::iter::successors(wf.tree.parent[r.idx], |&p| wf.tree.parent[p])
            .any(|p| kind(p) == k);
        if nested {
            continue;
        }
        let parts: Vec<SpanIdx> = if k == SpanKind::Llm {
            lm_call_parts(store, wf, r.idx)
                .into_iter()
                .map(|i| wf.spans[i])
                .collect()
        } else {
            vec![wf.spans[r.idx]]
        };
        let sp = store.span(wf.spans[r.idx]);
        let carrier = parts
            .iter()
            .map(|&s| store.span(s))
            .find(|s| s.tokens.is_some());
        out.push((
            n,
            Turn {
                span: wf.spans[r.idx],
                kind: k,
                offset: r.offset,
                // a span without a start (an undated entry) still says how long it took
                duration: sp.duration().or(sp.dur_hint),
                tokens: carrier.as_ref().and_then(|s| s.tokens),
                model: carrier.as_ref().and_then(|s| s.model).or(sp.model),
                failed: parts.iter().any(|&s| store.span(s).is_error()),
                parts,
            },
        ));
    }
    out.sort_by_key(|(n, t)| (t.offset, *n));
    out.into_iter().map(|(_, t)| t).collect()
}

/// Every span whose details the turns need, each once, in turn order (what to hand to
/// `details_of`).
#[must_use]
pub fn parts_of(turns: &[Turn]) -> Vec<SpanIdx> {
    let mut out: Vec<SpanIdx> = Vec::new();
    for t in turns {
        for &s in &t.parts {
            if !out.contains(&s) {
                out.push(s);
            }
        }
    }
    out
}

/// What a turn said, from the details of its parts (`details` of `spans`, as `parts_of` listed
/// them): the first part with messages gives the messages, the first with a response the
/// response; a tool's inputs are its arguments and its outputs its result.
#[must_use]
pub fn said(turn: &Turn, spans: &[SpanIdx], details: &[SpanDetail]) -> Said {
    let parts: Vec<&SpanDetail> = turn
        .parts
        .iter()
        .filter_map(|s| {
            spans
                .iter()
                .position(|x| x == s)
                .and_then(|i| details.get(i))
        })
        .collect();
    let first = |f: &dyn Fn(&SpanDetail) -> Option<String>| parts.iter().find_map(|d| f(d));
    let mut out = Said {
        messages: parts
            .iter()
            .map(|d| &d.messages)
            .find(|m| !m.is_empty())
            .cloned()
            .unwrap_or_default(),
        error: parts.iter().find_map(|d| d.error.clone()),
        problems: parts.iter().flat_map(|d| d.problems.clone()).collect(),
        ..Said::default()
    };
    if turn.kind == SpanKind::Tool {
        out.arguments = first(&|d| d.inputs.clone());
        out.result = first(&|d| d.outputs.clone()).or_else(|| first(&|d| d.response.clone()));
    } else {
        out.response = first(&|d| d.response.clone()).or_else(|| first(&|d| d.outputs.clone()));
        if out.messages.is_empty() {
            out.inputs = first(&|d| d.inputs.clone());
        }
    }
    out
}

impl Said {
    /// The blocks of a turn in reading order, as (heading, text): what both the reader view
    /// and `show --format transcript` show. JSON texts are pretty-printed.
    #[must_use]
    pub fn blocks(&self) -> Vec<(String, String)> {
        let s = self;
        let mut out: Vec<(String, String)> = Vec::new();
        for p in &s.problems {
            out.push(("(unreadable)".into(), p.clone()));
        }
        for m in &s.messages {
            let role = if m.role.is_empty() {
                "message"
            } else {
                &m.role
            };
            out.push((role.to_string(), m.content.clone()));
        }
        if let Some(i) = &s.inputs {
            out.push(("inputs".into(), pretty(i)));
        }
        if let Some(a) = &s.arguments {
            out.push(("arguments".into(), pretty(a)));
        }
        if let Some(r) = &s.response {
            out.push(("response".into(), pretty(r)));
        }
        if let Some(r) = &s.result {
            out.push(("result".into(), pretty(r)));
        }
        if let Some(e) = &s.error {
            let text = [&e.kind, &e.message]
                .into_iter()
                .flatten()
                .cloned()
                .collect::<Vec<_>>()
                .join(": ");
            out.push(("error".into(), text));
        }
        if out.is_empty() {
            out.push(("(nothing recorded)".into(), String::new()));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::testing::store_of;

    /// An agent's module, an LM call with the client below it, a tool, a second LM call: the
    /// turns are the two calls and the tool, in time order, the client folded into its call.
    #[test]
    fn turns_are_the_lm_and_tool_calls_in_time_order() {
        let ev = |id: &str, parent: &str, name: &str, kind: &str, s: u32, e: u32| {
            format!(
                r#"{{"type":"span","trace_id":"t","name":"{name}","status":"ok","metadata":{{"span_id":"{id}","parent_span_id":{parent},"kind":"{kind}","started_at":"2026-12-02T08:00:00.{s:03}Z","ended_at":"2026-12-02T08:00:00.{e:03}Z"}}}}"#
            )
        };
        let lines = [
            ev("root", "null", "agent", "module", 0, 900),
            // listed before the first call, but starts after it
            ev("tool", "\"root\"", "search", "tool", 300, 400),
            ev("lm1", "\"root\"", "LM.__call__", "lm", 100, 250),
            ev("client", "\"lm1\"", "completion", "lm", 110, 240),
            ev("lm2", "\"root\"", "LM.__call__", "lm", 500, 800),
        ]
        .join("\n");
        let store = store_of(&lines);
        let t = store.trace_ids().next().expect("a trace");
        let wf = Waterfall::new(&store, t);
        let turns = turns(&store, &wf);
        let names: Vec<(&str, usize)> = turns
            .iter()
            .map(|t| (store.str(store.span(t.span).name), t.parts.len()))
            .collect();
        assert_eq!(
            names,
            [("LM.__call__", 2), ("search", 1), ("LM.__call__", 1)]
        );
        assert_eq!(turns[0].offset, 100_000_000);
        assert_eq!(turns[1].duration, Some(100_000_000));
        assert_eq!(parts_of(&turns).len(), 4);
    }

    #[test]
    fn a_call_says_what_its_parts_hold() {
        let m = |c: &str| Message {
            role: "user".into(),
            content: c.into(),
        };
        let outer = SpanDetail {
            inputs: Some("{\"q\":1}".into()),
            ..SpanDetail::default()
        };
        let inner = SpanDetail {
            messages: vec![m("hi")],
            response: Some("hello".into()),
            ..SpanDetail::default()
        };
        let (a, b) = (SpanIdx(0), SpanIdx(1));
        let mut turn = Turn {
            span: a,
            parts: vec![a, b],
            kind: SpanKind::Llm,
            offset: 0,
            duration: Some(1),
            tokens: None,
            model: None,
            failed: false,
        };
        let details = [outer.clone(), inner];
        let s = said(&turn, &[a, b], &details);
        assert_eq!(s.messages, [m("hi")]);
        assert_eq!(s.response.as_deref(), Some("hello"));
        assert_eq!(s.arguments, None);
        assert_eq!(s.inputs, None);
        // a tool: its inputs are the arguments, its outputs the result
        turn.kind = SpanKind::Tool;
        turn.parts = vec![a];
        let tool = SpanDetail {
            outputs: Some("42".into()),
            ..outer
        };
        let s = said(&turn, &[a], &[tool]);
        assert_eq!(s.arguments.as_deref(), Some("{\"q\":1}"));
        assert_eq!(s.result.as_deref(), Some("42"));
    }
}
