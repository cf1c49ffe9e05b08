//! What an optimizer changed between two trials (`d` on two marked trials in the runs view):
//! per predictor, the prompt its LM calls start with (the system message with the instructions,
//! and the demos as earlier turns: every message before the example's own input) in trial A and
//! in trial B, with their line diff. A predictor is its module's name and signature, as the
//! DSPy writer names them (`Predict(question -> answer)`), or as MLflow's DSPy autolog does
//! (`Predict.forward(question -> answer)`); the first LM call of each predictor
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

/// The attributes that name a predictor's signature: the DSPy writer's, and MLflow's on a
/// module's span (`Predict.forward`, an LLM span itself, with the LM's call below it).
const SIGNATURE: [&str; 2] = ["instance.signature_fields", "signature"];

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
                let sig = store
                    .span_attrs(&ps)
                    .find(|(k, _)| SIGNATURE.contains(k))
                    .map(|(_, v)| v.to_string());
                if let Some(sig) = sig {
                    name = Some(format!("{}({sig})", store.str(ps.name)));
                    break;
                }
                if ps.kind == SpanKind::Llm {
                    name = None; // a client below an LM call: the outer call stands for it
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::testing::store_of;
    use crate::model::TraceIdx;

    /// A start and an end line of a call in trace `root`; `instance` and `inputs` as JSON.
    fn call(
        c: &str,
        kind: &str,
        parent: &str,
        root: &str,
        at: u64,
        instance: &str,
        inputs: &str,
    ) -> String {
        let parent = if parent.is_empty() {
            "null".into()
        } else {
            format!("\"{parent}\"")
        };
        let head = |phase: &str, ns: u64| {
            format!(
                r#""v":1,"event":"{kind}_{phase}","kind":"{kind}","phase":"{phase}","call_id":"{c}","parent_call_id":{parent},"root_call_id":"{root}","ts_unix_ns":{ns},"instance":{instance}"#
            )
        };
        format!(
            "{{{},\"inputs\":{inputs}}}\n{{{},\"outputs\":null,\"exception\":null}}\n",
            head("start", at),
            head("end", at + 1000)
        )
    }

    /// A program run with two predictors, the first with `instructions` and a demo.
    fn program_run(id: &str, at: u64, instructions: &str) -> String {
        let msgs = |system: &str, demo: bool| {
            let demo = if demo {
                r#"{"role":"user","content":"demo question"},{"role":"assistant","content":"demo answer"},"#
            } else {
                ""
            };
            format!(
                r#"{{"messages":[{{"role":"system","content":"{system}"}},{demo}{{"role":"user","content":"the example's own input {id}"}}]}}"#
            )
        };
        let cot = r#"{"class":"ChainOfThought","signature_fields":"question -> answer"}"#;
        let pred = r#"{"class":"Predict","signature_fields":"answer -> verdict"}"#;
        let lm = r#"{"class":"DummyLM"}"#;
        [
            call(id, "module", "", id, at, r#"{"class":"Pipeline"}"#, "{}"),
            call(&format!("{id}-c"), "module", id, id, at + 1, cot, "{}"),
            call(
                &format!("{id}-c-lm"),
                "lm",
                &format!("{id}-c"),
                id,
                at + 2,
                lm,
                &msgs(instructions, true),
            ),
            call(&format!("{id}-p"), "module", id, id, at + 3, pred, "{}"),
            call(
                &format!("{id}-p-lm"),
                "lm",
                &format!("{id}-p"),
                id,
                at + 4,
                lm,
                &msgs("Judge it.", false),
            ),
        ]
        .concat()
    }

    fn trial(store: &Store, n: usize, ids: [&str; 2]) -> Trial {
        let t = |id: &str| -> TraceIdx { store.trace_by_id(id).expect(id) };
        Trial {
            trial: n,
            evaluate: t(ids[0]),
            score: None,
            metric: None,
            traces: ids.iter().map(|id| t(id)).collect(),
            llm_calls: 0,
            tokens: 0,
            cost: None,
            unpriced: 0,
        }
    }

    #[test]
    fn prompts_align_by_predictor_and_leave_out_the_example() {
        let ev = r#"{"class":"Evaluate"}"#;
        let lines = [
            call("e1", "evaluate", "", "e1", 1_000, ev, "{}"),
            program_run("r1", 2_000, "Answer briefly."),
            call("e2", "evaluate", "", "e2", 10_000, ev, "{}"),
            program_run("r2", 11_000, "Answer with one city."),
        ]
        .concat();
        let store = store_of(&lines);
        let (a, b) = (
            trial(&store, 1, ["e1", "r1"]),
            trial(&store, 2, ["e2", "r2"]),
        );
        let d = compare(&store, &a, &b);
        let names: Vec<&str> = d.iter().map(|p| p.predictor.as_str()).collect();
        assert_eq!(
            names,
            [
                "ChainOfThought(question -> answer)",
                "Predict(answer -> verdict)"
            ]
        );
        let first = d[0].a.as_deref().unwrap_or_default();
        assert!(
            first.starts_with(
                "[system]\nAnswer briefly.\n[user]\ndemo question\n[assistant]\ndemo answer\n"
            ),
            "{first}"
        );
        assert!(
            !first.contains("own input"),
            "the example's input is not the optimizer's: {first}"
        );
        assert!(
            d[0].diff.contains("-Answer briefly.") && d[0].diff.contains("+Answer with one city."),
            "{}",
            d[0].diff
        );
        assert_eq!(d[1].diff, "", "the second predictor did not change");
    }
}
