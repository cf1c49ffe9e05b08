//! Per-step statistics over the listed traces (`spanscope stats`, the explorer's step table):
//! spans grouped by name, model or kind, with latency percentiles, share of the trace, errors,
//! tokens, the slowest examples of a group and its p95 over time.

use crate::model::stats::{StatsAcc, StepStats, percentile_of};
use crate::model::{Nanos, Span, SpanIdx, SpanKind, Store, TraceIdx};

/// What to group spans by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GroupBy {
    Name,
    Model,
    Kind,
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
