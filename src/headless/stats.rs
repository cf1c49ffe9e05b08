//! `spanscope stats`: prints the step statistics of [`crate::analysis::steps`] as a table, JSON
//! or CSV.

use crate::analysis::steps::Group;
pub use crate::analysis::steps::{GroupBy, StatsSort};
use crate::text::{csv_line, human_count, human_dur, ms, round3};
use serde::Serialize;
use std::io::{self, Write};

/// Output formats of `stats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StatsFormat {
    Table,
    Json,
    Csv,
}

#[derive(Serialize)]
struct GroupJson<'a> {
    name: &'a str,
    kind: &'static str,
    count: u64,
    p50_ms: Option<f64>,
    p95_ms: Option<f64>,
    p99_ms: Option<f64>,
    max_ms: Option<f64>,
    mean_pct: Option<f64>,
    errors: u64,
    error_rate: f64,
    tokens: Option<crate::model::Tokens>,
    /// USD, the calls with a price; null when none has one.
    cost: Option<f64>,
    unpriced_calls: u64,
    /// The mean evaluation score of the scored traces the step ran in; null when none.
    mean_score: Option<f64>,
}

/// Print groups in `format`.
///
/// # Errors
/// Writing fails.
pub fn print(
    groups: &[Group],
    format: StatsFormat,
    paint: super::Paint,
    out: &mut impl Write,
) -> io::Result<()> {
    fn json(g: &Group) -> GroupJson<'_> {
        let s = &g.stats;
        GroupJson {
            name: &g.name,
            kind: s.kind.as_str(),
            count: s.count,
            p50_ms: s.p50.map(ms),
            p95_ms: s.p95.map(ms),
            p99_ms: s.p99.map(ms),
            max_ms: s.max.map(ms),
            mean_pct: s.mean_pct.map(round3),
            errors: s.errors,
            error_rate: round3(s.error_rate),
            tokens: s.tokens,
            cost: s.cost.map(crate::model::Nanodollars::usd),
            unpriced_calls: s.unpriced,
            mean_score: s.mean_score.map(round3),
        }
    }
    match format {
        StatsFormat::Json => {
            let rows: Vec<GroupJson<'_>> = groups.iter().map(json).collect();
            serde_json::to_writer_pretty(&mut *out, &rows)?;
            writeln!(out)
        }
        StatsFormat::Csv => {
            writeln!(
                out,
                "name,kind,count,p50_ms,p95_ms,p99_ms,max_ms,mean_pct,errors,error_rate,prompt_tokens,completion_tokens,total_tokens,cost,unpriced_calls,mean_score"
            )?;
            for g in groups {
                let j = json(g);
                writeln!(
                    out,
                    "{}",
                    csv_line(&[
                        g.name.clone(),
                        j.kind.to_string(),
                        j.count.to_string(),
                        crate::text::csv_cell(j.p50_ms),
                        crate::text::csv_cell(j.p95_ms),
                        crate::text::csv_cell(j.p99_ms),
                        crate::text::csv_cell(j.max_ms),
                        crate::text::csv_cell(j.mean_pct),
                        j.errors.to_string(),
                        j.error_rate.to_string(),
                        crate::text::csv_cell(j.tokens.as_ref().map(|t| t.prompt)),
                        crate::text::csv_cell(j.tokens.as_ref().map(|t| t.completion)),
                        crate::text::csv_cell(j.tokens.as_ref().map(|t| t.total)),
                        crate::text::csv_cell(j.cost),
                        j.unpriced_calls.to_string(),
                        crate::text::csv_cell(j.mean_score),
                    ])
                )?;
            }
            Ok(())
        }
        StatsFormat::Table => {
            // cached/reasoning tokens and cost when some step has them
            let details = groups.iter().any(|g| {
                g.stats
                    .tokens
                    .is_some_and(|t| t.cache_read + t.cache_write + t.reasoning > 0)
            });
            let costs = groups.iter().any(|g| g.stats.cost.is_some());
            let scores = groups.iter().any(|g| g.stats.mean_score.is_some());
            let mut cols = vec![
                ("NAME", false),
                ("KIND", false),
                ("COUNT", true),
                ("P50", true),
                ("P95", true),
                ("P99", true),
                ("MAX", true),
                ("%TRACE", true),
                ("ERRORS", true),
                ("TOKENS IN/OUT", true),
            ];
            if details {
                cols.push(("CACHED/REASONING", true));
            }
            if costs {
                cols.push(("COST", true));
            }
            if scores {
                cols.push(("SCORE", true));
            }
            let mut t = super::Table::new(&cols).painted(paint);
            let d = |v: Option<i64>| v.map_or_else(|| "—".into(), human_dur);
            let names = crate::text::cut_names(
                &groups
                    .iter()
                    .map(|g| (g.name.as_str(), 44))
                    .collect::<Vec<_>>(),
            );
            for (g, name) in groups.iter().zip(names) {
                let s = &g.stats;
                let tones = if s.errors > 0 {
                    vec![(8, super::Tone::Error)]
                } else {
                    Vec::new()
                };
                let mut cells = vec![
                    name,
                    s.kind.as_str().into(),
                    s.count.to_string(),
                    d(s.p50),
                    d(s.p95),
                    d(s.p99),
                    d(s.max),
                    s.mean_pct
                        .map_or_else(|| "—".into(), |p| format!("{p:.1}%")),
                    if s.errors == 0 {
                        "0".into()
                    } else {
                        format!("{} ({:.0}%)", s.errors, s.error_rate * 100.0)
                    },
                    s.tokens.map_or_else(
                        || "—".into(),
                        |t| format!("{}/{}", human_count(t.prompt), human_count(t.completion)),
                    ),
                ];
                if details {
                    cells.push(s.tokens.map_or_else(
                        || "—".into(),
                        |t| format!("{}/{}", human_count(t.cache_read), human_count(t.reasoning)),
                    ));
                }
                if costs {
                    cells.push(crate::text::cost_cell(
                        s.cost.map(crate::model::Nanodollars::usd),
                        s.unpriced,
                    ));
                }
                if scores {
                    cells.push(
                        s.mean_score
                            .map_or_else(|| "—".into(), |m| crate::text::score_cell(m, None)),
                    );
                }
                t.row_toned(cells, tones);
            }
            t.write(out)
        }
    }
}
