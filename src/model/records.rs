//! What parsers hand to the store: span and trace records as a format stated them, and the
//! batch a parsing thread sends with the counts that go with them.

use super::Nanos;
use super::payload::{BlobId, PayloadRef};
use super::sources::{Rejection, SourceId};
use super::span::{SpanKind, SpanStatus, Tokens};
use super::trace::TraceStatus;

/// A span as a parser produced it: fields it does not know are `None` and are filled in by a
/// later record of the same span (a start line, then its end line).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpanRecord {
    pub trace_id: String,
    pub span_id: String,
    pub parent_id: Option<String>,
    pub name: Option<String>,
    pub kind: Option<SpanKind>,
    pub start: Option<Nanos>,
    pub end: Option<Nanos>,
    pub dur: Option<Nanos>,
    pub status: Option<SpanStatus>,
    pub error: Option<String>,
    pub model: Option<String>,
    pub tokens: Option<Tokens>,
    pub flags: u8,
    /// Which of the span's two payload slots this record fills (0: start/whole, 1: end).
    pub payload: Option<(usize, PayloadRef)>,
    /// The span's attributes as the index keeps them (long values cut), for filters and grouping.
    pub attrs: Vec<(String, String)>,
    /// The record is the whole span (OTLP, MLflow): a second copy is a duplicate.
    pub complete: bool,
}

/// What a trace-level record says (MLflow trace info, an event stream's trace_end).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TraceRecord {
    pub trace_id: String,
    pub name: Option<String>,
    pub error: Option<bool>,
    pub running: Option<bool>,
    pub error_message: Option<String>,
    /// The request's own outcome, when the record states it (a request line, a trace_end):
    /// it decides the trace status even when a step inside failed and was recovered from.
    pub final_status: Option<TraceStatus>,
    pub tokens: Option<Tokens>,
    /// What an evaluation scored the request (a metric's value, its label); a trace given
    /// several keeps the lowest.
    pub score: Option<ScoreRecord>,
}

/// A score as a record states it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScoreRecord {
    pub value: f64,
    pub label: Option<String>,
}

/// A log record that belongs to a span (an event: a prompt, a completion, an evaluation
/// result), pointing at where it is; empty ids for a log record of no span.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRecord {
    pub trace_id: String,
    pub span_id: String,
    pub payload: PayloadRef,
}

/// One parsed record.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Span(SpanRecord),
    Trace(TraceRecord),
    /// A log event for a span, held until the span arrives if it has not.
    Event(EventRecord),
    /// One part of a record refused on its own (a span with an invalid id), and why; the
    /// rest of the record is kept.
    Rejected(String),
}

/// What a parsing thread delivers to the store in one message: the records of one source and
/// the counts that go with them.
#[derive(Debug, Default)]
pub struct Batch {
    pub source: SourceId,
    pub records: Vec<Record>,
    /// Lines (or documents, or bodies) read.
    pub units: u64,
    pub bytes: u64,
    /// Requests received (a listener).
    pub requests: u64,
    pub rejections: Vec<Rejection>,
    /// The source's new state, when it changed ("tailing", "retrying in 2s", …).
    pub state: Option<String>,
    /// Blobs whose bytes were dropped (the oldest segments of a bounded spool): every trace
    /// with a span whose payload is in one of them is evicted. Sent after every batch that
    /// points into them.
    pub dropped_blobs: Vec<BlobId>,
}
