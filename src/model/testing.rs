//! What the model's tests share: span records and tree inputs of a given shape.

use super::ids::SpanId;
use super::records::{Record, SpanRecord};
use super::tree::TreeInput;

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
