//! One filter grammar for the TUI and the CLI: parse, evaluate, fuzzy-match, sort.

pub mod eval;
pub mod fuzzy;
pub mod parse;

pub use eval::{Matcher, filter};
pub use parse::{Query, QueryError, parse};

use crate::model::trace::TraceSummary;
use crate::model::{Store, TraceIdx, TraceStatus};
use std::cmp::Ordering;

/// A duration as the filter language writes it (`2s`, `500ms`, a bare number of ms).
///
/// # Errors
/// Not a duration; the message says what was expected.
pub fn parse_duration(text: &str) -> Result<crate::model::Nanos, String> {
    match parse(&format!("dur>{}", text.trim())) {
        Ok(q) if q.clauses.len() == 1 => match q.clauses[0].term {
            parse::Term::Dur(_, ns) => Ok(ns),
            _ => Err(format!("{text:?} is not a duration (e.g. 2s, 500ms)")),
        },
        Ok(_) => Err(format!("{text:?} is not a duration (e.g. 2s, 500ms)")),
        Err(e) => Err(e.message),
    }
}

/// What to sort traces by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SortKey {
    /// Slowest first.
    Dur,
    /// Oldest first.
    Start,
    /// Failed first, then running, then recovered, then ok.
    Status,
    /// Most tokens first.
    Tokens,
    /// Most spans first.
    Spans,
    /// Most LM calls first.
    Llm,
    /// A to Z.
    Name,
    /// Model, A to Z (traces without one last).
    Model,
}

/// Sort traces in place; `reverse` inverts the key's natural order. Ties keep start order.
pub fn sort(store: &Store, traces: &mut [TraceIdx], key: SortKey, reverse: bool) {
    let cmp = |a: &TraceIdx, b: &TraceIdx| -> Ordering {
        let (ta, tb) = (store.trace(*a), store.trace(*b));
        let (sa, sb) = (&ta.summary, &tb.summary);
        let primary = match key {
            SortKey::Dur => sb.duration.cmp(&sa.duration),
            SortKey::Start => Ordering::Equal,
            SortKey::Tokens => sb.tokens.map(|t| t.total).cmp(&sa.tokens.map(|t| t.total)),
            SortKey::Spans => sb.span_count.cmp(&sa.span_count),
            SortKey::Llm => sb.llm_calls.cmp(&sa.llm_calls),
            SortKey::Status => status_rank(sa).cmp(&status_rank(sb)),
            SortKey::Model => {
                let model = |s: &TraceSummary| s.model.map(|m| store.str(m));
                match (model(sa), model(sb)) {
                    (Some(a), Some(b)) => a.cmp(b),
                    (a, b) => b.is_none().cmp(&a.is_none()).reverse(),
                }
            }
            SortKey::Name => {
                let name = |s: &TraceSummary| s.name.map_or("", |n| store.str(n));
                name(sa).cmp(name(sb))
            }
        };
        let primary = if reverse { primary.reverse() } else { primary };
        let start = sa
            .start
            .cmp(&sb.start)
            .then_with(|| store.str(ta.id).cmp(store.str(tb.id)));
        primary.then(if reverse && key == SortKey::Start {
            start.reverse()
        } else {
            start
        })
    };
    traces.sort_by(cmp);
}

/// Failed first, then running, then recovered (ok with a failed step), then ok.
fn status_rank(s: &TraceSummary) -> u8 {
    match s.status {
        TraceStatus::Error => 0,
        TraceStatus::Running => 1,
        TraceStatus::Ok if s.error_spans > 0 => 2,
        TraceStatus::Ok => 3,
    }
}
