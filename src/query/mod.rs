//! One filter grammar for the TUI and the CLI: parse, evaluate, fuzzy-match, sort.

pub mod eval;
pub mod fuzzy;
pub mod parse;

pub use eval::{Matcher, filter};
pub use parse::{Query, QueryError, parse};

use crate::model::{Store, TraceIdx};
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
    /// Most tokens first.
    Tokens,
    /// Most spans first.
    Spans,
    /// A to Z.
    Name,
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
            SortKey::Name => {
                let name =
                    |s: &crate::model::trace::TraceSummary| s.name.map_or("", |n| store.str(n));
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
