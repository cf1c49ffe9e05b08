//! `spanscope runs`: optimizer runs with their trials, as a table or as JSON (a contract:
//! README "Output contract").

use crate::analysis::runs::{Run, Trial};
use crate::model::{Nanodollars, Store};
use crate::text::{TimeFmt, cost_cell, human_count, human_dur, maybe_score_cell, ms, rfc3339};
use serde::Serialize;
use std::io::{self, Write};

/// Output formats of `runs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RunsFormat {
    Table,
    Json,
}

#[derive(Serialize)]
struct TrialJson {
    trial: usize,
    score: Option<f64>,
    metric: Option<String>,
    /// The Evaluate's trace, then its program runs.
    traces: Vec<String>,
    llm_calls: u32,
    tokens: u64,
    cost: Option<f64>,
    unpriced_calls: u32,
}

#[derive(Serialize)]
struct RunJson {
    run_id: String,
    optimizer: String,
    program: Option<String>,
    metric: Option<String>,
    trainset_size: Option<u64>,
    valset_size: Option<u64>,
    settings: serde_json::Map<String, serde_json::Value>,
    start: String,
    /// Null while the compile runs.
    duration_ms: Option<f64>,
    status: &'static str,
    /// How many traces the run made, its own included.
    traces: usize,
    llm_calls: u32,
    tokens: u64,
    cost: Option<f64>,
    unpriced_calls: u32,
    trials: Vec<TrialJson>,
    best_trial: Option<usize>,
}

fn status(r: &Run) -> &'static str {
    match (r.duration, r.failed) {
        (None, _) => "running",
        (Some(_), true) => "error",
        (Some(_), false) => "ok",
    }
}

fn json(store: &Store, r: &Run) -> RunJson {
    let trial = |t: &Trial| TrialJson {
        trial: t.trial,
        score: t.score,
        metric: t.metric.clone(),
        traces: t
            .traces
            .iter()
            .map(|&x| store.trace_id(x).to_string())
            .collect(),
        llm_calls: t.llm_calls,
        tokens: t.tokens,
        cost: t.cost.map(Nanodollars::usd),
        unpriced_calls: t.unpriced,
    };
    RunJson {
        run_id: r.id.clone(),
        optimizer: r.optimizer.clone(),
        program: r.program.clone(),
        metric: r.metric.clone(),
        trainset_size: r.trainset_size,
        valset_size: r.valset_size,
        settings: r
            .settings
            .iter()
            .map(|(k, v)| {
                // the writer's plain values, read back as JSON where they are (numbers, bools)
                let value = serde_json::from_str(v).unwrap_or(serde_json::Value::String(v.clone()));
                (k.clone(), value)
            })
            .collect(),
        start: rfc3339(r.start),
        duration_ms: r.duration.map(ms),
        status: status(r),
        traces: r.traces.len(),
        llm_calls: r.llm_calls,
        tokens: r.tokens,
        cost: r.cost.map(Nanodollars::usd),
        unpriced_calls: r.unpriced,
        trials: r.trials.iter().map(trial).collect(),
        best_trial: r.best_trial,
    }
}

/// Print `runs`.
///
/// # Errors
/// A failed write.
pub fn print(
    store: &Store,
    runs: &[Run],
    format: RunsFormat,
    paint: super::Paint,
    time: TimeFmt,
    out: &mut impl Write,
) -> io::Result<()> {
    if format == RunsFormat::Json {
        let rows: Vec<RunJson> = runs.iter().map(|r| json(store, r)).collect();
        serde_json::to_writer_pretty(&mut *out, &rows)?;
        return writeln!(out);
    }
    if runs.is_empty() {
        return writeln!(
            out,
            "no optimizer runs (a run is a DSPy compile the DSPy writer traced, spanscope dspy-writer, or MLflow's tracking store kept: autolog with log_compiles)"
        );
    }
    let cols = [
        ("RUN", false),
        ("OPTIMIZER", false),
        ("PROGRAM", false),
        ("START", false),
        ("DURATION", true),
        ("TRACES", true),
        ("LLM", true),
        ("TOKENS", true),
        ("COST", true),
        ("TRIALS", true),
        ("BEST", true),
        ("SCORES", false),
    ];
    let mut t = super::Table::new(&cols).painted(paint);
    for r in runs {
        let best = r
            .best_trial
            .and_then(|b| r.trials.iter().find(|t| t.trial == b))
            .map_or_else(
                || "—".into(),
                |t| format!("#{} {}", t.trial, maybe_score_cell(t.score)),
            );
        let scores: Vec<Option<f64>> = r.trials.iter().map(|t| t.score).collect();
        let cells = vec![
            r.id.chars().take(12).collect(),
            r.optimizer.clone(),
            r.program.clone().unwrap_or_else(|| "—".into()),
            time.human(r.start),
            r.duration.map_or_else(|| "running".into(), human_dur),
            r.traces.len().to_string(),
            r.llm_calls.to_string(),
            human_count(r.tokens),
            cost_cell(r.cost.map(Nanodollars::usd), u64::from(r.unpriced)),
            r.trials.len().to_string(),
            best,
            crate::text::spark(&scores),
        ];
        let tones = if r.failed {
            vec![(1, super::Tone::Error)]
        } else {
            Vec::new()
        };
        t.row_toned(cells, tones);
    }
    t.write(out)?;
    for r in runs.iter().filter(|r| !r.trials.is_empty()) {
        writeln!(out)?;
        writeln!(
            out,
            "{}",
            paint.tone(
                super::Tone::Bold,
                &format!(
                    "{} {} trials",
                    r.optimizer,
                    r.id.chars().take(12).collect::<String>()
                )
            )
        )?;
        let cols = [
            ("TRIAL", true),
            ("SCORE", true),
            ("TRACES", true),
            ("LLM", true),
            ("TOKENS", true),
            ("COST", true),
            ("EVALUATE", false),
        ];
        let mut t = super::Table::new(&cols).painted(paint);
        for x in &r.trials {
            let mark = if r.best_trial == Some(x.trial) {
                " ★"
            } else {
                ""
            };
            t.row_toned(
                vec![
                    format!("{}{mark}", x.trial),
                    maybe_score_cell(x.score),
                    x.traces.len().to_string(),
                    x.llm_calls.to_string(),
                    human_count(x.tokens),
                    cost_cell(x.cost.map(Nanodollars::usd), u64::from(x.unpriced)),
                    store.trace_id(x.evaluate).chars().take(12).collect(),
                ],
                Vec::new(),
            );
        }
        t.write(out)?;
    }
    Ok(())
}
