//! What the model's tests share: span records and tree inputs of a given shape.

use super::ids::SpanId;
use super::records::{Record, SpanRecord};
use super::store::Store;
use super::tree::TreeInput;

/// A store of one trace `t` of `n` spans, derived: a root `r` (0 to 1,000 ns) and children
/// `c1`… (1 to 2 ns).
pub fn fan(n: usize) -> Store {
    let mut s = Store::new();
    let src = s.add_source("t");
    s.insert(src, span("t", "r", None, 0, 1_000));
    for i in 1..n {
        s.insert(src, span("t", &format!("c{i}"), Some("r"), 1, 2));
    }
    s.refresh();
    s
}

/// A tree input with times.
pub fn inp(id: u32, parent: Option<u32>, start: i64, end: i64) -> TreeInput {
    TreeInput {
        id: SpanId::Hex(id.into()),
        parent: parent.map(|p| SpanId::Hex(p.into())),
        start: Some(start),
        end: Some(end),
        synthetic_root: false,
    }
}

/// A complete span record named `span-ID`.
pub fn span(trace: &str, id: &str, parent: Option<&str>, start: i64, end: i64) -> Record {
    Record::Span(SpanRecord {
        trace_id: trace.into(),
        span_id: id.into(),
        parent_id: parent.map(Into::into),
        name: Some(format!("span-{id}")),
        start: Some(start),
        end: Some(end),
        complete: true,
        ..SpanRecord::default()
    })
}
