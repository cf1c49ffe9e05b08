//! `spanscope stats --group KEY`: prints the trace groups of [`crate::analysis::groups`] as a
//! table, JSON or CSV.

use super::stats::StatsFormat;
use crate::analysis::groups::{GroupKey, HEADERS, TraceGroup};
use crate::text::{csv_line, ms, round3};
use serde::Serialize;
use std::io::{self, Write};

#[derive(Serialize)]
struct GroupJson<'a> {
    value: Option<&'a str>,
    traces: usize,
    errors: usize,
    error_rate: f64,
    p50_ms: Option<f64>,
    p95_ms: Option<f64>,
    max_ms: Option<f64>,
    llm_calls: u64,
    total_tokens: Option<u64>,
    mean_tokens: Option<f64>,
    /// USD, the calls with a price; null when none has one.
    cost: Option<f64>,
    unpriced_calls: u64,
    /// The mean evaluation score of the group's scored traces (null when none), and how many.
    mean_score: Option<f64>,
    scored: usize,
}

fn json(g: &TraceGroup) -> GroupJson<'_> {
    GroupJson {
        value: g.value.as_deref(),
        traces: g.traces,
        errors: g.errors,
        error_rate: round3(g.error_rate),
        p50_ms: g.p50.map(ms),
        p95_ms: g.p95.map(ms),
        max_ms: g.max.map(ms),
        llm_calls: g.llm_calls,
        total_tokens: (g.with_tokens > 0).then_some(g.tokens),
        mean_tokens: g.mean_tokens().map(round3),
        cost: g.cost.map(crate::model::Nanodollars::usd),
        unpriced_calls: g.unpriced,
        mean_score: g.mean_score.map(round3),
        scored: g.scored,
    }
}

/// Print the groups in `format`.
///
/// # Errors
/// Writing fails.
pub fn print(
    groups: &[TraceGroup],
    key: &GroupKey,
    format: StatsFormat,
    paint: super::Paint,
    out: &mut impl Write,
) -> io::Result<()> {
    match format {
        StatsFormat::Json => {
            let rows: Vec<GroupJson<'_>> = groups.iter().map(json).collect();
            serde_json::to_writer_pretty(&mut *out, &rows)?;
            writeln!(out)
        }
        StatsFormat::Csv => {
            writeln!(
                out,
                "value,traces,errors,error_rate,p50_ms,p95_ms,max_ms,llm_calls,total_tokens,mean_tokens,cost,unpriced_calls,mean_score,scored"
            )?;
            for g in groups {
                let j = json(g);
                writeln!(
                    out,
                    "{}",
                    csv_line(&[
                        j.value.unwrap_or("").to_string(),
                        j.traces.to_string(),
                        j.errors.to_string(),
                        j.error_rate.to_string(),
                        crate::text::csv_cell(j.p50_ms),
                        crate::text::csv_cell(j.p95_ms),
                        crate::text::csv_cell(j.max_ms),
                        j.llm_calls.to_string(),
                        j.total_tokens.map(|t| t.to_string()).unwrap_or_default(),
                        crate::text::csv_cell(j.mean_tokens),
                        crate::text::csv_cell(j.cost),
                        j.unpriced_calls.to_string(),
                        crate::text::csv_cell(j.mean_score),
                        j.scored.to_string(),
                    ])
                )?;
            }
            Ok(())
        }
        StatsFormat::Table => {
            let costs = groups.iter().any(|g| g.cost.is_some());
            let mut cols: Vec<(&'static str, bool)> = HEADERS
                .iter()
                .enumerate()
                .map(|(i, h)| (*h, i > 0))
                .collect();
            if costs {
                cols.push(("COST", true));
            }
            let scores = groups.iter().any(|g| g.mean_score.is_some());
            if scores {
                cols.push(("SCORE", true));
            }
            let mut t = super::Table::new(&cols).painted(paint);
            for g in groups {
                let mut c = g.cells().to_vec();
                c[0] = crate::text::truncate(&c[0], 60);
                if costs {
                    c.push(g.cost_cell());
                }
                if scores {
                    c.push(g.score_cell());
                }
                let tones = if g.errors > 0 {
                    vec![(2, super::Tone::Error)]
                } else {
                    Vec::new()
                };
                t.row_toned(c, tones);
            }
            writeln!(out, "traces by {}", key.label())?;
            t.write(out)
        }
    }
}
