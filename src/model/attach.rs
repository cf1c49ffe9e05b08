//! Attaching log events to spans: an event record is held by its span's ids whether or not
//! the span has arrived (events may come first), and a span's events are found by its ids.

use super::events::trace_key;
use super::ids::{SpanId, TraceId};
use super::payload::PayloadRef;
use super::records::EventRecord;
use super::sources::SourceId;
use super::span::SpanIdx;
use super::store::Store;
use super::trace::TraceIdx;

/// Trace and span ids of 32 and 16 hex digits, not all zero.
fn ids(trace: &str, span: &str) -> Option<((u64, u64), u64)> {
    let t = super::ids::hex_value::<32>(trace).filter(|&v| v != 0)?;
    let s = super::ids::hex_value::<16>(span).filter(|&v| v != 0)?;
    let TraceId::Hex { hi, lo } = TraceId::hex(t) else {
        return None;
    };
    Some(((hi, lo), u64::try_from(s).ok()?))
}

impl Store {
    /// Hold a log event for its span; an event without a span is counted for its source.
    /// Returns the trace to refresh when the span is already held.
    pub(super) fn insert_event(&mut self, source: SourceId, e: &EventRecord) -> Option<TraceIdx> {
        let Some((trace, span)) = ids(&e.trace_id, &e.span_id) else {
            self.source_mut(source).logs_without_span += 1;
            return None;
        };
        self.source_mut(source).logs += 1;
        self.events.add(trace, span, e.payload);
        self.trace_by_id(&e.trace_id)
    }

    /// The log events attached to span `s`, in arrival order.
    #[must_use]
    pub fn span_events(&self, s: SpanIdx) -> Vec<PayloadRef> {
        let sp = self.span(s);
        let trace = self.traces[sp.trace.0 as usize].id;
        match (trace_key(trace), sp.span_id) {
            (Some(t), SpanId::Hex(id)) => self.events.of(t, id).collect(),
            _ => Vec::new(),
        }
    }

    /// The log events held, attached to spans or waiting for them.
    #[must_use]
    pub fn events(&self) -> &super::events::SpanEvents {
        &self.events
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::payload::{BlobId, RecordFormat};
    use crate::model::records::{Record, SpanRecord};

    const TRACE: &str = "5b8efff798038103d269b633813fc60c";
    const SPAN: &str = "eee19b7ec3c1b174";

    fn event(trace: &str, span: &str, offset: u64) -> Record {
        Record::Event(EventRecord {
            trace_id: trace.into(),
            span_id: span.into(),
            payload: PayloadRef {
                blob: BlobId(0),
                offset,
                len: 1,
                format: RecordFormat::at(0),
                locator: 0,
            },
        })
    }

    fn span(id: &str) -> Record {
        Record::Span(SpanRecord {
            trace_id: TRACE.into(),
            span_id: id.into(),
            name: Some("call".into()),
            start: Some(1),
            end: Some(2),
            complete: true,
            ..SpanRecord::default()
        })
    }

    #[test]
    fn events_attach_to_their_span_whichever_comes_first() {
        let mut store = Store::new();
        let src = store.add_source("logs");
        store.insert(src, event(TRACE, SPAN, 1));
        store.insert(src, span(SPAN));
        store.insert(src, span("00000000000000aa"));
        store.insert(src, event(TRACE, SPAN, 2));
        store.insert(src, event(TRACE, "00000000000000bb", 3));
        store.insert(src, event("", "", 4));
        store.refresh();
        let t = store.trace_ids().next().unwrap();
        let spans = store.trace_spans(t).to_vec();
        let of = |id: &str| {
            let s = spans
                .iter()
                .find(|&&s| store.span_id(&store.span(s)).as_str() == id)
                .unwrap();
            store
                .span_events(*s)
                .iter()
                .map(|p| p.offset)
                .collect::<Vec<_>>()
        };
        assert_eq!(of(SPAN), [1, 2]);
        assert_eq!(of("00000000000000aa"), [] as [u64; 0]);
        assert_eq!(store.events().len(), 3, "one waits for a span");
        let s = &store.sources()[0];
        assert_eq!((s.logs, s.logs_without_span), (3, 1));
        assert!(store.accounting().balanced(), "events are not span records");
    }

    #[test]
    fn events_go_with_their_trace_or_their_blob() {
        let mut store = Store::new();
        let src = store.add_source("logs");
        store.insert(src, span(SPAN));
        store.insert(src, event(TRACE, SPAN, 1));
        let other = "0000000000000000000000000000000f";
        store.insert(src, event(other, SPAN, 2));
        store.evict_blob(BlobId(0));
        assert!(store.events().is_empty());
        store.insert(src, event(TRACE, SPAN, 3));
        store.refresh();
        assert_eq!(store.events().len(), 1);
        // a newer trace pushes the first one out, and its events with it
        store.set_retention(crate::model::retention::Retention {
            max_traces: Some(1),
            max_bytes: None,
        });
        store.insert(
            src,
            Record::Span(SpanRecord {
                trace_id: other.into(),
                ..match span(SPAN) {
                    Record::Span(s) => s,
                    _ => unreachable!(),
                }
            }),
        );
        store.refresh();
        store.enforce_retention();
        assert_eq!(store.trace_count(), 1);
        assert!(store.events().is_empty());
    }
}
