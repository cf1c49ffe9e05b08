//! What an optimizer changed between two trials (`d` on two marked trials in the runs view):
//! per predictor, the prompt its LM calls start with (the system message with the instructions,
//! and the demos as earlier turns: every message before the example's own input) in trial A and
//! in trial B, with their line diff. A predictor is its module's name and signature, as the
//! DSPy writer names them (`Predict(question -> answer)`); the first LM call of each predictor
//! among a trial's program runs stands for the trial.

use super::diff::unified;
use super::runs::Trial;
use crate::ingest::detail::details_of;
use crate::model::waterfall::Waterfall;
use crate::model::{SpanIdx, SpanKind, Store};

/// One predictor's prompt in two trials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PredictorDiff {
    pub predictor: String,
    /// `None` when the predictor made no LM call in that trial.
    pub a: Option<String>,
    pub b: Option<String>,
    /// The unified diff of A to B; empty when they are the same.
    pub diff: String,
}

/// The predictor that made each LM call of `trial`'s program runs, with the call: the nearest
/// enclosing span that names a signature, by name and signature.
fn calls(store: &Store, trial: &Trial) -> Vec<(String, SpanIdx)> {
    let mut out: Vec<(String, SpanIdx)> = Vec::new();
    for &t in trial.traces.iter().skip(1) {
        let wf = Waterfall::new(store, t);
        for &i in &wf.tree.order {
            let sp = store.span(wf.spans[i]);
            if sp.kind != SpanKind::Llm {
                continue;
            }
            let mut up = wf.tree.parent[i];
            let mut name = None;
            while let Some(p) = up {
                let ps = store.span(wf.spans[p]);
                if ps.kind == SpanKind::Llm {
                    name = None; // a client below an LM call: the outer call stands for it
                    break;
                }
                let sig = store
                    .span_attrs(&ps)
                    .find(|(k, _)| *k == "instance.signature_fields")
                    .map(|(_, v)| v.to_string());
                if let Some(sig) = sig {
                    name = Some(format!("{}({sig})", store.str(ps.name)));
                    break;
                }
                up = wf.tree.parent[p];
            }
            if let Some(n) = name
                && !out.iter().any(|(k, _)| *k == n)
            {
                out.push((n, wf.spans[i]));
            }
        }
    }
    out
}

/// The prompt an LM call starts with: its messages up to the last user message, which holds
/// the example's own input.
fn preamble(messages: &[crate::ingest::texts::Message]) -> String {
    let end = messages
        .iter()
        .rposition(|m| m.role == "user")
        .unwrap_or(messages.len());
    messages[..end]
        .iter()
        .map(|m| format!("[{}]\n{}\n", m.role, m.content.trim_end()))
        .collect()
}

fn prompts(store: &Store, trial: &Trial) -> Vec<(String, String)> {
    let calls = calls(store, trial);
    let spans: Vec<SpanIdx> = calls.iter().map(|c| c.1).collect();
    let details = details_of(store, &spans);
    calls
        .into_iter()
        .zip(details)
        .map(|((name, _), d)| (name, preamble(&d.messages)))
        .collect()
}

/// The prompts of `a` and `b`, predictor by predictor (A's order, then those only in B).
#[must_use]
pub fn compare(store: &Store, a: &Trial, b: &Trial) -> Vec<PredictorDiff> {
    let (pa, mut pb) = (prompts(store, a), prompts(store, b));
    let mut out = Vec::new();
    for (name, ta) in pa {
        let tb = pb
            .iter()
            .position(|(n, _)| *n == name)
            .map(|i| pb.remove(i).1);
        let diff = unified(&ta, tb.as_deref().unwrap_or(""), "prompt");
        out.push(PredictorDiff {
            predictor: name,
            a: Some(ta),
            b: tb,
            diff,
        });
    }
    for (name, tb) in pb {
        out.push(PredictorDiff {
            diff: unified("", &tb, "prompt"),
            predictor: name,
            a: None,
            b: Some(tb),
        });
    }
    out
}
