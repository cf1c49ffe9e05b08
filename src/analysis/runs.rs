//! Optimizer runs (`spanscope runs`, the explorer's `O`): each compile of a DSPy optimizer with
//! the traces it made, and its trials, the Evaluate calls inside it in order, each with its
//! score, traces, tokens and cost.
//!
//! What makes a run is the DSPy writer's lines: a `compile` call is a trace of its own, every
//! trace made inside it carries `dspy.run_call_id` (the innermost compile), and a compile run by
//! another one (MIPROv2 bootstrapping its demos with BootstrapFewShot) names the outer one in
//! `dspy.enclosing_run_call_id`: it belongs to the outer run. An Evaluate is a trace of its own
//! too, and so is each of its program runs (`dspy.evaluate_call_id`). MLflow's and
//! OpenInference's DSPy traces carry no sign of a compile (README, "Optimizer runs").

use crate::ingest::detail::details_of;
use crate::model::{Nanodollars, Nanos, SpanIdx, Store, TraceIdx};
use serde_json::Value;
use std::collections::HashMap;

/// One trial: an Evaluate inside a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Trial {
    /// 1 for the run's first Evaluate.
    pub trial: usize,
    /// The Evaluate's own trace.
    pub evaluate: TraceIdx,
    /// DSPy's aggregate score (a percentage); `None` when the Evaluate failed or is running.
    pub score: Option<f64>,
    pub metric: Option<String>,
    /// The Evaluate's trace, then its program runs in order of start.
    pub traces: Vec<TraceIdx>,
    pub llm_calls: u32,
    pub tokens: u64,
    pub cost: Option<Nanodollars>,
    pub unpriced: u32,
}

/// One optimizer run.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// The compile's call id (its trace's id).
    pub id: String,
    /// The compile's trace.
    pub trace: TraceIdx,
    pub optimizer: String,
    pub program: Option<String>,
    pub metric: Option<String>,
    pub trainset_size: Option<u64>,
    pub valset_size: Option<u64>,
    /// The optimizer's settings, as the writer wrote them (`max_bootstrapped_demos` = `4`).
    pub settings: Vec<(String, String)>,
    pub start: Nanos,
    /// `None` while the compile runs.
    pub duration: Option<Nanos>,
    pub failed: bool,
    /// Every trace of the run: the compile's, then those made inside it, in order of start.
    pub traces: Vec<TraceIdx>,
    pub llm_calls: u32,
    pub tokens: u64,
    pub cost: Option<Nanodollars>,
    /// LM calls without a known cost.
    pub unpriced: u32,
    pub trials: Vec<Trial>,
    /// The trial with the highest score (the first of equals).
    pub best_trial: Option<usize>,
}

/// The attributes of a trace's root that place it in a run.
#[derive(Default)]
struct Marks<'a> {
    kind: Option<&'a str>,
    run: Option<&'a str>,
    evaluation: Option<&'a str>,
    enclosing: Option<&'a str>,
}

fn marks<'a>(store: &'a Store, root: SpanIdx) -> Marks<'a> {
    let mut m = Marks::default();
    for (k, v) in store.span_attrs(&store.span(root)) {
        match k {
            "kind" => m.kind = Some(v),
            "dspy.run_call_id" => m.run = Some(v),
            "dspy.evaluate_call_id" => m.evaluation = Some(v),
            "dspy.enclosing_run_call_id" => m.enclosing = Some(v),
            _ => {}
        }
    }
    m
}

#[derive(Default)]
struct Totals {
    llm_calls: u32,
    tokens: u64,
    cost: Option<Nanodollars>,
    unpriced: u32,
}

fn totals(store: &Store, traces: &[TraceIdx]) -> Totals {
    let c = store.columns();
    let mut t = Totals::default();
    for &x in traces {
        let i = x.0 as usize;
        t.llm_calls += c.llm_calls[i];
        // the column holds the total plus one, 0 for none
        t.tokens += c.tokens[i].saturating_sub(1);
        t.unpriced += c.unpriced(i);
        if let Some(k) = c.cost(i) {
            t.cost = Some(Nanodollars(t.cost.map_or(0, |a| a.0) + k.0));
        }
    }
    t
}

/// The runs among `traces` (every trace of a run must be among them to be counted), in order of
/// start.
#[must_use]
pub fn runs(store: &Store, traces: &[TraceIdx]) -> Vec<Run> {
    collect(store, traces)
}

/// The outermost compile loaded that `id` ran in (itself when it ran in none), or `None` when
/// `id` is no compile loaded.
fn outermost<'a>(
    compiles: &HashMap<&'a str, (TraceIdx, Option<&'a str>)>,
    mut id: &'a str,
) -> Option<&'a str> {
    let mut hops = 0;
    while let Some(&(_, Some(up))) = compiles.get(id) {
        if !compiles.contains_key(up) || hops > compiles.len() {
            break;
        }
        id = up;
        hops += 1;
    }
    compiles.contains_key(id).then_some(id)
}

fn collect<'a>(store: &'a Store, traces: &[TraceIdx]) -> Vec<Run> {
    // the compiles, by call id, with the compile each one ran in
    let mut compiles: HashMap<&'a str, (TraceIdx, Option<&'a str>)> = HashMap::new();
    let mut placed: Vec<(TraceIdx, Marks<'a>)> = Vec::new();
    let cols = store.columns();
    for &t in traces {
        let Some(root) = cols.root(t.0 as usize) else {
            continue;
        };
        let m = marks(store, root);
        if m.run.is_none() {
            continue;
        }
        if m.kind == Some("compile") && m.run == Some(store.trace_id(t).as_str()) {
            compiles.insert(m.run.unwrap_or_default(), (t, m.enclosing));
        }
        placed.push((t, m));
    }
    // the outermost compile known for each call id (a chain ends at a compile not loaded)
    let outer = |id: &'a str| outermost(&compiles, id);
    let mut members: HashMap<&str, Vec<TraceIdx>> = HashMap::new();
    let mut evaluations: HashMap<&str, Vec<TraceIdx>> = HashMap::new();
    let mut evaluates: HashMap<&str, Vec<TraceIdx>> = HashMap::new();
    for (t, m) in &placed {
        let Some(run) = m.run.and_then(outer) else {
            continue;
        };
        members.entry(run).or_default().push(*t);
        match (m.kind, m.evaluation) {
            (Some("evaluate"), _) => evaluates.entry(run).or_default().push(*t),
            (_, Some(e)) => evaluations.entry(e).or_default().push(*t),
            _ => {}
        }
    }
    let start = |t: &TraceIdx| cols.start[t.0 as usize];
    let mut out: Vec<Run> = Vec::new();
    for (&id, &(trace, enclosing)) in &compiles {
        if enclosing.is_some_and(|e| compiles.contains_key(e)) {
            continue;
        }
        let mut traces = members.remove(id).unwrap_or_default();
        traces.sort_by_key(|t| (*t != trace, start(t)));
        let mut evs = evaluates.remove(id).unwrap_or_default();
        evs.sort_by_key(start);
        let trials = evs
            .iter()
            .enumerate()
            .map(|(i, &e)| {
                let mut tr = vec![e];
                let own = store.trace_id(e).as_str().to_string();
                let mut runs = evaluations.remove(own.as_str()).unwrap_or_default();
                runs.retain(|&x| x != e);
                runs.sort_by_key(start);
                tr.extend(runs);
                let t = totals(store, &tr);
                Trial {
                    trial: i + 1,
                    evaluate: e,
                    score: None,
                    metric: None,
                    traces: tr,
                    llm_calls: t.llm_calls,
                    tokens: t.tokens,
                    cost: t.cost,
                    unpriced: t.unpriced,
                }
            })
            .collect();
        let t = totals(store, &traces);
        let s = store.summary(trace);
        let root = s.root.map(|r| store.span(r));
        let root = root.as_ref();
        out.push(Run {
            id: id.to_string(),
            trace,
            optimizer: s
                .name
                .map_or_else(String::new, |n| store.str(n).to_string()),
            program: None,
            metric: None,
            trainset_size: None,
            valset_size: None,
            settings: Vec::new(),
            start: s.start,
            duration: root.and_then(|r| r.duration()),
            failed: root.is_some_and(|r| r.is_error()),
            traces,
            llm_calls: t.llm_calls,
            tokens: t.tokens,
            cost: t.cost,
            unpriced: t.unpriced,
            trials,
            best_trial: None,
        });
    }
    out.sort_by(|a, b| (a.start, &a.id).cmp(&(b.start, &b.id)));
    describe(store, &mut out);
    out
}

/// Fill in what only the payloads say: the optimizer's settings (whole values, where the store
/// keeps their beginning) and each trial's score, one decode per compile and per Evaluate.
fn describe(store: &Store, runs: &mut [Run]) {
    let root = |t: TraceIdx| store.columns().root(t.0 as usize);
    let mut spans = Vec::new();
    for r in runs.iter() {
        spans.extend(root(r.trace));
        spans.extend(r.trials.iter().filter_map(|t| root(t.evaluate)));
    }
    let details = details_of(store, &spans);
    let by_span: HashMap<SpanIdx, usize> = spans.iter().enumerate().map(|(i, &s)| (s, i)).collect();
    for r in runs.iter_mut() {
        if let Some(d) = root(r.trace)
            .and_then(|s| by_span.get(&s))
            .map(|&i| &details[i])
        {
            for (k, v) in &d.attributes {
                match k.as_str() {
                    "optimizer.class" => r.optimizer.clone_from(v),
                    "optimizer.program" => r.program = Some(v.clone()),
                    "optimizer.metric" => r.metric = Some(v.clone()),
                    "optimizer.trainset_size" => r.trainset_size = v.parse().ok(),
                    "optimizer.valset_size" => r.valset_size = v.parse().ok(),
                    _ => {
                        if let Some(name) = k.strip_prefix("optimizer.settings.") {
                            r.settings.push((name.to_string(), v.clone()));
                        }
                    }
                }
            }
        }
        for t in &mut r.trials {
            let Some(d) = root(t.evaluate)
                .and_then(|s| by_span.get(&s))
                .map(|&i| &details[i])
            else {
                continue;
            };
            let outputs: Value = d
                .outputs
                .as_deref()
                .and_then(|o| serde_json::from_str(o).ok())
                .unwrap_or_default();
            t.score = outputs.get("score").and_then(Value::as_f64);
            t.metric = outputs
                .get("metric")
                .and_then(Value::as_str)
                .map(str::to_string);
        }
        r.best_trial = best(&r.trials);
    }
}

/// The trial with the highest score, the first of equals.
fn best(trials: &[Trial]) -> Option<usize> {
    let mut best: Option<(usize, f64)> = None;
    for t in trials {
        if let Some(s) = t.score
            && best.is_none_or(|(_, b)| s > b)
        {
            best = Some((t.trial, s));
        }
    }
    best.map(|(t, _)| t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::testing::store_of;

    /// A start and an end line of one call; `extra` goes on the start line, `out` is the end's.
    #[allow(clippy::too_many_arguments)]
    fn call(
        c: &str,
        kind: &str,
        class: &str,
        parent: &str,
        root: &str,
        marks: &str,
        at: u64,
        extra: &str,
        out: &str,
    ) -> String {
        let parent = if parent.is_empty() {
            "null".to_string()
        } else {
            format!("\"{parent}\"")
        };
        let head = |phase: &str, ns: u64| {
            format!(
                r#""v":1,"event":"{kind}_{phase}","kind":"{kind}","phase":"{phase}","call_id":"{c}","parent_call_id":{parent},"root_call_id":"{root}"{marks},"ts_unix_ns":{ns},"instance":{{"class":"{class}"}}"#
            )
        };
        format!(
            "{{{}{extra}}}\n{{{},\"duration_ms\":5.0,\"outputs\":{out},\"exception\":null}}\n",
            head("start", at),
            head("end", at + 5_000_000)
        )
    }

    fn program_run(c: &str, ev: &str, run: &str, at: u64, tokens: u64) -> String {
        let marks = format!(r#","run_call_id":"{run}","evaluate_call_id":"{ev}""#);
        let mut s = call(c, "module", "Predict", ev, c, &marks, at, "", "{}");
        let lm = format!(
            r#""lm":{{"model":"dummy","usage":{{"prompt_tokens":{tokens},"completion_tokens":0,"total_tokens":{tokens}}}}}"#
        );
        let l = call(
            &format!("{c}-lm"),
            "lm",
            "DummyLM",
            c,
            c,
            &marks,
            at + 1,
            "",
            "[\"x\"]",
        );
        // the LM's usage goes on its end line
        let l = l.replacen(
            ",\"exception\":null}",
            &format!(",\"exception\":null,{lm}}}"),
            1,
        );
        s.push_str(&l);
        s
    }

    #[test]
    fn a_run_gathers_its_nested_compiles_and_its_evaluates_as_trials() {
        const T0: u64 = 1_795_000_000_000_000_000;
        let run = r#","run_call_id":"mipro""#;
        let optimizer = r#","optimizer":{"class":"MIPROv2","settings":{"num_candidates":2,"auto":null},"metric":"exact","trainset_size":4,"valset_size":3,"program":"Predict","predictors":[{"name":"self","signature":"question -> answer"}]}"#;
        let mut lines = call(
            "mipro",
            "compile",
            "MIPROv2",
            "",
            "mipro",
            run,
            T0,
            optimizer,
            "\"Predict(...)\"",
        );
        // a BootstrapFewShot run by MIPROv2: part of its run, not a run of its own
        let inner = r#","run_call_id":"boot","enclosing_run_call_id":"mipro""#;
        lines.push_str(&call(
            "boot",
            "compile",
            "BootstrapFewShot",
            "mipro",
            "boot",
            inner,
            T0 + 1,
            "",
            "null",
        ));
        for (i, (ev, score)) in [("ev1", 25.0), ("ev2", 75.0), ("ev3", 75.0)]
            .iter()
            .enumerate()
        {
            let at = T0 + 100 + i as u64 * 100;
            let marks = format!(r#","run_call_id":"mipro","evaluate_call_id":"{ev}""#);
            let out = format!(r#"{{"score":{score},"metric":"exact","results":[]}}"#);
            lines.push_str(&call(
                ev, "evaluate", "Evaluate", "mipro", ev, &marks, at, "", &out,
            ));
            lines.push_str(&program_run(&format!("{ev}-b"), ev, "mipro", at + 20, 7));
            lines.push_str(&program_run(&format!("{ev}-a"), ev, "mipro", at + 10, 3));
        }
        // a program run outside any compile
        lines.push_str(&call(
            "alone",
            "module",
            "Predict",
            "",
            "alone",
            "",
            T0 + 900,
            "",
            "{}",
        ));
        let store = store_of(&lines);
        let all: Vec<_> = store.trace_ids().collect();
        let runs = runs(&store, &all);
        assert_eq!(runs.len(), 1, "{runs:#?}");
        let r = &runs[0];
        assert_eq!((r.id.as_str(), r.optimizer.as_str()), ("mipro", "MIPROv2"));
        assert_eq!(r.program.as_deref(), Some("Predict"));
        assert_eq!(r.metric.as_deref(), Some("exact"));
        assert_eq!((r.trainset_size, r.valset_size), (Some(4), Some(3)));
        assert_eq!(
            r.settings,
            vec![("num_candidates".to_string(), "2".to_string())]
        );
        // mipro, boot, three Evaluates and their six program runs
        assert_eq!(r.traces.len(), 11);
        assert_eq!(r.traces[0], r.trace, "the compile's own trace first");
        assert_eq!((r.llm_calls, r.tokens), (6, 30));
        let scores: Vec<_> = r.trials.iter().map(|t| t.score).collect();
        assert_eq!(scores, vec![Some(25.0), Some(75.0), Some(75.0)]);
        assert_eq!(r.best_trial, Some(2), "the first of equal scores");
        let t = &r.trials[0];
        let ids: Vec<_> = t
            .traces
            .iter()
            .map(|&x| store.trace_id(x).to_string())
            .collect();
        assert_eq!(
            ids,
            ["ev1", "ev1-a", "ev1-b"],
            "the Evaluate, then its runs by start"
        );
        assert_eq!(
            (t.llm_calls, t.tokens, t.metric.as_deref()),
            (2, 10, Some("exact"))
        );
    }

    #[test]
    fn a_compile_without_evaluates_has_no_trials_and_a_running_one_no_duration() {
        let run = r#","run_call_id":"b""#;
        let mut lines = call(
            "b",
            "compile",
            "BootstrapFewShot",
            "",
            "b",
            run,
            1_000,
            "",
            "null",
        );
        lines.push_str(
            &program_run("p", "x", "b", 2_000, 4).replace(r#","evaluate_call_id":"x""#, ""),
        );
        // a second compile that has only started
        lines.push_str(
            call(
                "c",
                "compile",
                "COPRO",
                "",
                "c",
                r#","run_call_id":"c""#,
                9_000,
                "",
                "null",
            )
            .lines()
            .next()
            .unwrap_or_default(),
        );
        let store = store_of(&lines);
        let all: Vec<_> = store.trace_ids().collect();
        let runs = runs(&store, &all);
        assert_eq!(runs.len(), 2);
        assert_eq!(
            runs[0].optimizer, "BootstrapFewShot",
            "named by its instance without an optimizer line"
        );
        assert!(runs[0].trials.is_empty() && runs[0].best_trial.is_none());
        assert_eq!(
            (runs[0].traces.len(), runs[0].llm_calls, runs[0].tokens),
            (2, 1, 4)
        );
        assert_eq!(runs[1].duration, None);
    }
}
