//! The table of log events by the ids of their span (OTLP log records: the prompts,
//! completions and evaluation results GenAI instrumentations emit as events): an event that
//! arrives before its span is held, and shows once the span is there. `attach.rs` adds to it
//! and reads it for a span; the events of an evicted trace, or in a dropped spool segment, go.

use super::ids::TraceId;
use super::payload::{BlobId, PayloadRef};
use foldhash::HashMap;

/// The events held, by trace (hex ids only: OTLP's, the only producer of log events).
#[derive(Debug, Default)]
pub struct SpanEvents {
    by_trace: HashMap<(u64, u64), Vec<(u64, PayloadRef)>>,
    held: usize,
}

impl SpanEvents {
    pub(super) fn add(&mut self, trace: (u64, u64), span: u64, p: PayloadRef) {
        self.by_trace.entry(trace).or_default().push((span, p));
        self.held += 1;
    }

    /// The events of span `span` of trace `trace`, in arrival order.
    pub(super) fn of(&self, trace: (u64, u64), span: u64) -> impl Iterator<Item = PayloadRef> + '_ {
        self.by_trace
            .get(&trace)
            .into_iter()
            .flatten()
            .filter(move |(s, _)| *s == span)
            .map(|(_, p)| *p)
    }

    /// Forget the events of trace `trace` (it was evicted).
    pub(super) fn drop_trace(&mut self, trace: TraceId) {
        if let Some(k) = trace_key(trace)
            && let Some(v) = self.by_trace.remove(&k)
        {
            self.held -= v.len();
        }
    }

    /// Forget the events whose record was in `blob` (a dropped spool segment).
    pub(super) fn drop_blob(&mut self, blob: BlobId) {
        let mut gone = 0;
        self.by_trace.retain(|_, v| {
            let before = v.len();
            v.retain(|(_, p)| p.blob != blob);
            gone += before - v.len();
            !v.is_empty()
        });
        self.held -= gone;
    }

    /// Events held, attached or waiting for their span.
    #[must_use]
    pub fn len(&self) -> usize {
        self.held
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.held == 0
    }
}

pub(super) fn trace_key(t: TraceId) -> Option<(u64, u64)> {
    match t {
        TraceId::Hex { hi, lo } => Some((hi, lo)),
        TraceId::Text(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::payload::RecordFormat;

    fn at(blob: u32, offset: u64) -> PayloadRef {
        PayloadRef {
            blob: BlobId(blob),
            offset,
            len: 1,
            format: RecordFormat::at(0),
            locator: 0,
        }
    }

    #[test]
    fn events_are_found_by_span_and_dropped_by_trace_or_blob() {
        let mut e = SpanEvents::default();
        e.add((0, 1), 7, at(0, 1));
        e.add((0, 1), 8, at(1, 2));
        e.add((0, 1), 7, at(1, 3));
        e.add((0, 2), 7, at(0, 4));
        let offsets = |e: &SpanEvents, t, s| e.of(t, s).map(|p| p.offset).collect::<Vec<_>>();
        assert_eq!(offsets(&e, (0, 1), 7), [1, 3]);
        assert_eq!(offsets(&e, (0, 1), 9), [] as [u64; 0]);
        e.drop_blob(BlobId(0));
        assert_eq!(e.len(), 2);
        assert_eq!(offsets(&e, (0, 1), 7), [3]);
        e.drop_trace(TraceId::hex(1));
        assert!(e.is_empty());
    }
}
