//! Traces split by a metadata value (`stats --group KEY`, the explorer's `:group KEY`): one row
//! per value of an attribute (`compiled`, `optimizer`, `fixture.program`, …), the model, the
//! name or the status, with count, errors, latency percentiles and tokens side by side. This is
//! how compiled and uncompiled runs of a program compare. Errors are failed requests (status
//! error); a request that recovered from a failed step is not one.

use crate::model::stats::percentile_of;
use crate::model::{Nanodollars, Nanos, Store, TraceIdx, TraceStatus};
use crate::text::{human_count, human_dur};

/// What traces are grouped by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupKey {
    /// An attribute (or flattened metadata key) of the trace's spans: the root's value, else the
    /// first span's that has one.
    Attr(String),
    Model,
    Name,
    /// The request's outcome: ok, recovered, error or running.
    Status,
}

impl GroupKey {
    /// `attr.KEY` (or a bare `KEY`), `model`, `name` or `status`.
    ///
    /// # Errors
    /// An empty key.
    pub fn parse(s: &str) -> Result<GroupKey, String> {
        let s = s.trim();
        match s {
            "" | "attr." => {
                Err("group by what? attr.KEY (e.g. attr.compiled), model, name or status".into())
            }
            "model" => Ok(GroupKey::Model),
            "name" => Ok(GroupKey::Name),
            "status" => Ok(GroupKey::Status),
            k => Ok(GroupKey::Attr(
                k.strip_prefix("attr.").unwrap_or(k).to_string(),
            )),
        }
    }

    /// As the user writes it: `attr.compiled`, `model`.
    #[must_use]
    pub fn label(&self) -> String {
        match self {
            GroupKey::Attr(k) => format!("attr.{k}"),
            GroupKey::Model => "model".into(),
            GroupKey::Name => "name".into(),
            GroupKey::Status => "status".into(),
        }
    }

    /// The filter term that selects the traces of a group (`None`: the traces without a value).
    #[must_use]
    pub fn filter_term(&self, value: Option<&str>) -> String {
        use crate::query::parse::{quote_key, quote_value};
        match (self, value) {
            (GroupKey::Attr(k), Some(v)) => format!("attr.{}={}", quote_key(k), quote_value(v)),
            (GroupKey::Attr(k), None) => format!("-attr.{}", quote_key(k)),
            (GroupKey::Model, Some(v)) => format!("model:{}", quote_value(v)),
            (GroupKey::Model, None) => "-model:\"\"".into(),
            (GroupKey::Name, v) => format!("name:{}", quote_value(v.unwrap_or(""))),
            // ok takes in recovered: the ok group is the ok requests that did not recover
            (GroupKey::Status, None | Some("ok")) => "status:ok -status:recovered".into(),
            (GroupKey::Status, Some(v)) => format!("status:{v}"),
        }
    }

    /// The value of trace `t`.
    #[must_use]
    pub fn value<'s>(&self, store: &'s Store, t: TraceIdx) -> Option<&'s str> {
        let tr = store.trace(t);
        match self {
            GroupKey::Model => tr.summary.model.map(|m| store.str(m)),
            GroupKey::Name => tr.summary.name.map(|n| store.str(n)),
            GroupKey::Status => Some(tr.summary.outcome().as_str()),
            GroupKey::Attr(k) => {
                let of = |s| {
                    store
                        .span_attrs(&store.span(s))
                        .find(|(key, _)| key == k)
                        .map(|(_, v)| v)
                };
                tr.summary
                    .root
                    .and_then(of)
                    .or_else(|| tr.spans.iter().find_map(|&s| of(s)))
            }
        }
    }
}

/// The traces of one value.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceGroup {
    /// `None`: the traces without a value.
    pub value: Option<String>,
    pub traces: usize,
    pub errors: usize,
    pub error_rate: f64,
    pub p50: Option<Nanos>,
    pub p95: Option<Nanos>,
    pub max: Option<Nanos>,
    pub llm_calls: u64,
    /// Total tokens of the group's traces, and how many traces reported any.
    pub tokens: u64,
    pub with_tokens: usize,
    /// What the group's LM calls cost, the ones with a price, and how many have none.
    pub cost: Option<Nanodollars>,
    pub unpriced: u64,
    /// The mean evaluation score of the group's scored traces, and how many there are.
    pub mean_score: Option<f64>,
    pub scored: usize,
}

/// Group `traces` by `key`: the most traces first, ties by value.
#[must_use]
pub fn compute(store: &Store, traces: &[TraceIdx], key: &GroupKey) -> Vec<TraceGroup> {
    let mut by: std::collections::BTreeMap<Option<&str>, Vec<TraceIdx>> =
        std::collections::BTreeMap::new();
    for &t in traces {
        by.entry(key.value(store, t)).or_default().push(t);
    }
    let cols = store.columns();
    let mut out: Vec<TraceGroup> = by
        .into_iter()
        .map(|(value, ts)| {
            let mut durs: Vec<Nanos> = ts.iter().map(|t| cols.duration[t.0 as usize]).collect();
            let errors = ts
                .iter()
                .filter(|t| cols.status(t.0 as usize) == TraceStatus::Error)
                .count();
            let sums = ts.iter().map(|&t| store.summary(t));
            let scores: Vec<f64> = ts
                .iter()
                .filter_map(|t| cols.score(t.0 as usize))
                .map(|s| s.value)
                .collect();
            #[allow(clippy::cast_precision_loss)]
            TraceGroup {
                value: value.map(str::to_string),
                traces: ts.len(),
                errors,
                error_rate: errors as f64 / ts.len().max(1) as f64,
                max: durs.iter().copied().max(),
                p95: percentile_of(&mut durs, 95.0),
                p50: percentile_of(&mut durs, 50.0),
                llm_calls: sums.clone().map(|s| u64::from(s.llm_calls)).sum(),
                tokens: sums.clone().filter_map(|s| s.tokens).map(|t| t.total).sum(),
                cost: sums.clone().filter_map(|s| s.cost).reduce(|a, b| a + b),
                unpriced: sums.clone().map(|s| u64::from(s.unpriced)).sum(),
                with_tokens: sums.filter(|s| s.tokens.is_some()).count(),
                mean_score: (!scores.is_empty())
                    .then(|| scores.iter().sum::<f64>() / scores.len() as f64),
                scored: scores.len(),
            }
        })
        .collect();
    out.sort_by(|a, b| b.traces.cmp(&a.traces).then_with(|| a.value.cmp(&b.value)));
    out
}

impl TraceGroup {
    /// Mean tokens per trace that reported any.
    #[must_use]
    #[allow(clippy::cast_precision_loss)]
    pub fn mean_tokens(&self) -> Option<f64> {
        (self.with_tokens > 0).then(|| self.tokens as f64 / self.with_tokens as f64)
    }

    /// The cost cell: the sum, `+` when some calls are unpriced, `unpriced` when all are.
    #[must_use]
    pub fn cost_cell(&self) -> String {
        crate::text::cost_cell(self.cost.map(Nanodollars::usd), self.unpriced)
    }

    /// The score cell: the mean of the scored traces, `—` when none was scored.
    #[must_use]
    pub fn score_cell(&self) -> String {
        self.mean_score
            .map_or_else(|| "—".into(), |m| crate::text::score_cell(m, None))
    }

    /// The cells of a table row: value, traces, errors, rate, p50, p95, max, LM calls, tokens.
    #[must_use]
    pub fn cells(&self) -> [String; 9] {
        let d = |v: Option<Nanos>| v.map_or_else(|| "—".into(), human_dur);
        [
            self.value.clone().unwrap_or_else(|| "(none)".into()),
            self.traces.to_string(),
            self.errors.to_string(),
            format!("{:.1}%", self.error_rate * 100.0),
            d(self.p50),
            d(self.p95),
            d(self.max),
            self.llm_calls.to_string(),
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            self.mean_tokens()
                .map_or_else(|| "—".into(), |m| human_count(m.round() as u64)),
        ]
    }
}

/// The table's headers, for [`TraceGroup::cells`].
pub const HEADERS: [&str; 9] = [
    "VALUE",
    "TRACES",
    "ERRORS",
    "RATE",
    "P50",
    "P95",
    "MAX",
    "LM CALLS",
    "TOKENS/TRACE",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_their_filter_terms() {
        assert_eq!(
            GroupKey::parse("attr.compiled"),
            Ok(GroupKey::Attr("compiled".into()))
        );
        assert_eq!(
            GroupKey::parse("fixture.program"),
            Ok(GroupKey::Attr("fixture.program".into()))
        );
        assert_eq!(GroupKey::parse("model"), Ok(GroupKey::Model));
        assert!(GroupKey::parse(" ").is_err());
        let k = GroupKey::Attr("fixture.program".into());
        assert_eq!(
            k.filter_term(Some("evaluate")),
            "attr.fixture.program=evaluate"
        );
        assert_eq!(k.filter_term(Some("a b")), "attr.fixture.program=\"a b\"");
        assert_eq!(k.filter_term(None), "-attr.fixture.program");
        for term in [k.filter_term(Some("a b")), k.filter_term(None)] {
            assert!(crate::query::parse(&term).is_ok(), "{term}");
        }
        let s = GroupKey::Status;
        assert_eq!(s.filter_term(Some("ok")), "status:ok -status:recovered");
        assert_eq!(s.filter_term(Some("recovered")), "status:recovered");
        for v in ["ok", "recovered", "error", "running"] {
            assert!(crate::query::parse(&s.filter_term(Some(v))).is_ok(), "{v}");
        }
    }

    #[test]
    fn by_status_a_recovered_request_is_its_own_group_and_no_error() {
        use crate::model::store::{Record, SpanRecord};
        use crate::model::{SpanStatus, testing::span};
        let mut store = Store::new();
        let src = store.add_source("t");
        let failed_step = |trace: &str| {
            Record::Span(SpanRecord {
                trace_id: trace.into(),
                span_id: "tool".into(),
                parent_id: Some("r".into()),
                start: Some(1),
                end: Some(2),
                status: Some(SpanStatus::Error),
                complete: true,
                ..SpanRecord::default()
            })
        };
        store.insert(src, span("ok", "r", None, 0, 10));
        store.insert(src, span("recovered", "r", None, 0, 10));
        store.insert(src, failed_step("recovered"));
        let mut root = span("failed", "r", None, 0, 10);
        if let Record::Span(r) = &mut root {
            r.status = Some(SpanStatus::Error);
        }
        store.insert(src, root);
        store.insert(src, failed_step("failed"));
        store.refresh();
        let all: Vec<TraceIdx> = store.trace_ids().collect();
        let rows: Vec<(String, usize, usize)> = compute(&store, &all, &GroupKey::Status)
            .into_iter()
            .map(|g| (g.value.unwrap_or_default(), g.traces, g.errors))
            .collect();
        assert_eq!(
            rows,
            [
                ("error".into(), 1, 1),
                ("ok".into(), 1, 0),
                ("recovered".into(), 1, 0)
            ]
        );
    }
}
