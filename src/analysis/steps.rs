//! Per-step statistics over the listed traces (`spanscope stats`, the explorer's step table):
//! spans grouped by name, model or kind, with latency percentiles, share of the trace, self
//! time, errors, tokens, the slowest examples of a group and its p95 over time. The request's
//! own root span can be left out (`roots: false`): it is the whole request, not a step of it.

use crate::model::stats::{StatsAcc, StepStats, percentile_of};
use crate::model::tree::Tree;
use crate::model::waterfall::self_time;
use crate::model::{Nanos, Span, SpanIdx, SpanKind, Store, TraceIdx};

/// What to group spans by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GroupBy {
    Name,
    Model,
    Kind,
}

/// Columns to sort the groups by (largest first, except name and score).
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
    /// Lowest mean evaluation score first (steps of no scored trace last): where the metric
    /// fails.
    Score,
    /// Total self time (the explorer's step table; `stats` does not print it).
    #[value(skip)]
    SelfTime,
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

/// One span of a trace as a step: the span and its self time (its duration minus the union of
/// its children's intervals, as in the waterfall; `None` while it runs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub span: SpanIdx,
    pub self_time: Option<Nanos>,
}

/// Whether a span is the request's root, from its effective parent and whether it is an orphan
/// (see `Tree::links`): the declared root span (no parent) or the root synthesized for a format
/// without spans. A span whose parent never arrived is not.
#[must_use]
pub fn is_root(parent: Option<usize>, orphan: bool) -> bool {
    parent.is_none() && !orphan
}

/// The spans of trace `t` as steps, the request's root among them only when `roots`. Each
/// span's self time is its interval less its children's, as the waterfall has it.
#[must_use]
pub fn steps_of(store: &Store, t: TraceIdx, roots: bool) -> Vec<Step> {
    let tr = store.trace(t);
    let items = store.tree_inputs(t);
    let (parent, orphan) = Tree::links(&items);
    // the children's intervals, grouped by parent
    let mut kids: Vec<(usize, Nanos, Nanos)> = parent
        .iter()
        .enumerate()
        .filter_map(|(c, p)| Some(((*p)?, items[c].start?, items[c].end?)))
        .collect();
    kids.sort_unstable_by_key(|k| k.0);
    let mut own: Vec<(Nanos, Nanos)> = Vec::new();
    (0..items.len())
        .filter(|&i| roots || !is_root(parent[i], orphan[i]))
        .map(|i| {
            let from = kids.partition_point(|k| k.0 < i);
            own.clear();
            own.extend(
                kids[from..]
                    .iter()
                    .take_while(|k| k.0 == i)
                    .map(|k| (k.1, k.2)),
            );
            Step {
                span: tr.spans[i],
                self_time: match (items[i].start, items[i].end) {
                    (Some(s), Some(e)) => Some(self_time(s, e.max(s), &own)),
                    _ => None,
                },
            }
        })
        .collect()
}

/// Group the spans of `traces` by `by` (the requests' roots among them only when `roots`).
#[must_use]
#[allow(clippy::cast_precision_loss)]
pub fn compute(store: &Store, traces: &[TraceIdx], by: GroupBy, roots: bool) -> Vec<Group> {
    let mut groups: foldhash::HashMap<u32, StatsAcc> = foldhash::HashMap::default();
    for &t in traces {
        let total = store.trace(t).summary.duration;
        let score = store.columns().score(t.0 as usize);
        for step in steps_of(store, t, roots) {
            let sp = store.span(step.span);
            let Some(key) = group_key(&sp, by) else {
                continue;
            };
            if let Some(s) = score {
                groups.entry(key).or_default().add_score(t.0, s.value);
            }
            let dur = sp.duration();
            let pct = dur
                .filter(|_| total > 0)
                .map(|d| d as f64 * 100.0 / total as f64);
            let acc = groups.entry(key).or_default();
            acc.push(dur, pct, sp.is_error(), sp.tokens, sp.kind);
            if sp.tokens.is_some() {
                acc.add_cost(store.span_cost(step.span));
            }
            acc.add_self_time(step.self_time);
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

/// The spans of group `key` among `traces` (the requests' roots among them only when
/// `roots`): failed ones first, then slowest first.
#[must_use]
#[allow(clippy::cast_precision_loss)]
pub fn exemplars(
    store: &Store,
    traces: &[TraceIdx],
    by: GroupBy,
    key: u32,
    roots: bool,
) -> Vec<Exemplar> {
    let mut out = Vec::new();
    for &t in traces {
        let total = store.trace(t).summary.duration;
        for Step { span: s, .. } in steps_of(store, t, roots) {
            let sp = store.span(s);
            if group_key(&sp, by) == Some(key) {
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
/// slices by trace start; `None` for a slice without a span of the group (the requests' roots
/// count only when `roots`).
#[must_use]
pub fn over_time(
    store: &Store,
    traces: &[TraceIdx],
    (by, key, roots): (GroupBy, u32, bool),
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
        for Step { span: s, .. } in steps_of(store, t, roots) {
            let sp = store.span(s);
            if group_key(&sp, by) == Some(key)
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
            StatsSort::SelfTime => y.self_time.cmp(&x.self_time),
            StatsSort::Score => match (x.mean_score, y.mean_score) {
                (Some(a), Some(b)) => a.total_cmp(&b),
                (a, b) => a.is_none().cmp(&b.is_none()),
            },
        };
        ord.then_with(|| a.name.cmp(&b.name))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::span;

    /// A request `r` of 100 with `a` (holding `g`) then `b`, and `o`, whose parent never came.
    fn store() -> Store {
        let mut s = Store::new();
        let src = s.add_source("t");
        for rec in [
            span("t1", "r", None, 0, 100),
            span("t1", "a", Some("r"), 0, 60),
            span("t1", "g", Some("a"), 10, 50),
            span("t1", "b", Some("r"), 60, 90),
            span("t1", "o", Some("gone"), 20, 30),
        ] {
            s.insert(src, rec);
        }
        s.refresh();
        s
    }

    fn by_name(groups: &[Group]) -> Vec<(&str, Nanos)> {
        let mut v: Vec<(&str, Nanos)> = groups
            .iter()
            .map(|g| (g.name.as_str(), g.stats.self_time))
            .collect();
        v.sort_unstable();
        v
    }

    #[test]
    fn the_request_root_is_left_out_unless_asked_and_self_time_is_summed() {
        let s = store();
        let traces: Vec<TraceIdx> = s.trace_ids().collect();
        let steps = compute(&s, &traces, GroupBy::Name, false);
        assert_eq!(
            by_name(&steps),
            [
                ("span-a", 20),
                ("span-b", 30),
                ("span-g", 40),
                ("span-o", 10)
            ],
            "an orphan is a step, not a root"
        );
        let all = compute(&s, &traces, GroupBy::Name, true);
        assert!(by_name(&all).contains(&("span-r", 10)));
        let mut sorted = steps;
        sort(&mut sorted, StatsSort::SelfTime);
        assert_eq!(sorted[0].name, "span-g");
        // the drill-down and the latency line leave the root out alike
        let root = all.iter().find(|g| g.name == "span-r").map(|g| g.key);
        let root = root.expect("the root's group");
        assert!(exemplars(&s, &traces, GroupBy::Name, root, false).is_empty());
        assert_eq!(exemplars(&s, &traces, GroupBy::Name, root, true).len(), 1);
        assert_eq!(
            over_time(&s, &traces, (GroupBy::Name, root, false), 1),
            [None]
        );
    }
}
