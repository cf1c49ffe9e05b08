//! `spanscope stats`: latency percentiles, errors and tokens per step name, model or kind.

use crate::model::stats::{StatsAcc, StepStats, percentile_of};
use crate::model::{Nanos, Span, SpanIdx, SpanKind, Store, TraceIdx};
use crate::text::{csv_line, human_count, human_dur, ms, round3, truncate};
use serde::Serialize;
use std::io::{self, Write};

/// What to group spans by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GroupBy {
    Name,
    Model,
    Kind,
}

/// Output formats of `stats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StatsFormat {
    Table,
    Json,
    Csv,
}

/// Columns to sort the groups by (largest first, except name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StatsSort {
    Name,
    Count,
    P50,
    P95,
    P99,
    Max,
    Pct,
    Errors,
    Tokens,
}

/// One group's row.
#[derive(Debug, Clone)]
pub struct Group {
    pub name: String,
    /// The [`group_key`] it was made from.
    pub key: u32,
    pub stats: StepStats,
}

/// The group of span `sp` under `by`, as a number unique within `by` (an interned string, or
/// a kind); `None` when the span has no such value (no model).
#[must_use]
pub fn group_key(sp: &Span, by: GroupBy) -> Option<u32> {
    match by {
        GroupBy::Name => Some(sp.name.0),
        GroupBy::Model => sp.model.map(|m| m.0),
        GroupBy::Kind => Some(sp.kind as u32),
    }
}

/// The text of a [`group_key`].
#[must_use]
pub fn group_name(store: &Store, key: u32, by: GroupBy) -> &str {
    match by {
        GroupBy::Name | GroupBy::Model => store.str(crate::model::Sym(key)),
        GroupBy::Kind => SpanKind::ALL
            .get(key as usize)
            .map_or("other", |k| k.as_str()),
    }
}

/// Group the spans of `traces` by `by`.
#[must_use]
#[allow(clippy::cast_precision_loss)]
pub fn compute(store: &Store, traces: &[TraceIdx], by: GroupBy) -> Vec<Group> {
    let mut groups: foldhash::HashMap<u32, StatsAcc> = foldhash::HashMap::default();
    for &t in traces {
        let tr = store.trace(t);
        let total = tr.summary.duration;
        for &s in &tr.spans {
            let sp = store.span(s);
            let Some(key) = group_key(sp, by) else {
                continue;
            };
            let dur = sp.duration();
            let pct = dur
                .filter(|_| total > 0)
                .map(|d| d as f64 * 100.0 / total as f64);
            groups
                .entry(key)
                .or_default()
                .push(dur, pct, sp.is_error(), sp.tokens, sp.kind);
        }
    }
    groups
        .into_iter()
        .map(|(key, acc)| Group {
            name: group_name(store, key, by).to_string(),
            key,
            stats: acc.finish(),
        })
        .collect()
}

/// One span of a group, for drilling down from a step to the traces it ran in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Exemplar {
    pub trace: TraceIdx,
    pub span: SpanIdx,
    pub duration: Option<Nanos>,
    /// Share of its trace's duration, in %.
    pub pct: Option<f64>,
    pub error: bool,
}

/// The spans of group `key` among `traces`: failed ones first, then slowest first.
#[must_use]
#[allow(clippy::cast_precision_loss)]
pub fn exemplars(store: &Store, traces: &[TraceIdx], by: GroupBy, key: u32) -> Vec<Exemplar> {
    let mut out = Vec::new();
    for &t in traces {
        let tr = store.trace(t);
        let total = tr.summary.duration;
        for &s in &tr.spans {
            let sp = store.span(s);
            if group_key(sp, by) == Some(key) {
                let duration = sp.duration();
                out.push(Exemplar {
                    trace: t,
                    span: s,
                    duration,
                    pct: duration
                        .filter(|_| total > 0)
                        .map(|d| d as f64 * 100.0 / total as f64),
                    error: sp.is_error(),
                });
            }
        }
    }
    out.sort_by(|a, b| {
        b.error
            .cmp(&a.error)
            .then(b.duration.cmp(&a.duration))
            .then(a.trace.cmp(&b.trace))
    });
    out
}

/// The p95 latency of group `key` over time: the traces' time range cut into `buckets` equal
/// slices by trace start; `None` for a slice without a span of the group.
#[must_use]
pub fn over_time(
    store: &Store,
    traces: &[TraceIdx],
    by: GroupBy,
    key: u32,
    buckets: usize,
) -> Vec<Option<Nanos>> {
    let cols = store.columns();
    let starts = traces.iter().map(|t| cols.start[t.0 as usize]);
    let (Some(lo), Some(hi)) = (starts.clone().min(), starts.max()) else {
        return vec![None; buckets];
    };
    let width = (hi - lo).max(1);
    let n = i64::try_from(buckets.max(1)).unwrap_or(1);
    let mut samples: Vec<Vec<Nanos>> = vec![Vec::new(); buckets.max(1)];
    for &t in traces {
        let at = cols.start[t.0 as usize];
        let b = usize::try_from(i128::from(at - lo) * i128::from(n - 1) / i128::from(width))
            .unwrap_or(0)
            .min(samples.len() - 1);
        for &s in &store.trace(t).spans {
            let sp = store.span(s);
            if group_key(sp, by) == Some(key)
                && let Some(d) = sp.duration()
            {
                samples[b].push(d);
            }
        }
    }
    samples
        .into_iter()
        .take(buckets)
        .map(|mut v| percentile_of(&mut v, 95.0))
        .collect()
}

/// Sort groups: by name A→Z, every other column largest first; ties by name.
pub fn sort(groups: &mut [Group], by: StatsSort) {
    groups.sort_by(|a, b| {
        let (x, y) = (&a.stats, &b.stats);
        let ord = match by {
            StatsSort::Name => std::cmp::Ordering::Equal,
            StatsSort::Count => y.count.cmp(&x.count),
            StatsSort::P50 => y.p50.cmp(&x.p50),
            StatsSort::P95 => y.p95.cmp(&x.p95),
            StatsSort::P99 => y.p99.cmp(&x.p99),
            StatsSort::Max => y.max.cmp(&x.max),
            StatsSort::Pct => y
                .mean_pct
                .unwrap_or(0.0)
                .total_cmp(&x.mean_pct.unwrap_or(0.0)),
            StatsSort::Errors => y.errors.cmp(&x.errors),
            StatsSort::Tokens => y.tokens.map(|t| t.total).cmp(&x.tokens.map(|t| t.total)),
        };
        ord.then_with(|| a.name.cmp(&b.name))
    });
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
                "name,kind,count,p50_ms,p95_ms,p99_ms,max_ms,mean_pct,errors,error_rate,prompt_tokens,completion_tokens,total_tokens"
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
                    ])
                )?;
            }
            Ok(())
        }
        StatsFormat::Table => {
            let mut t = super::Table::new(&[
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
            ])
            .painted(paint);
            let d = |v: Option<i64>| v.map_or_else(|| "—".into(), human_dur);
            for g in groups {
                let s = &g.stats;
                let tones = if s.errors > 0 {
                    vec![(8, super::Tone::Error)]
                } else {
                    Vec::new()
                };
                t.row_toned(
                    vec![
                        truncate(&g.name, 44),
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
                    ],
                    tones,
                );
            }
            t.write(out)
        }
    }
}
