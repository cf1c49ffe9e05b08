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
    pub attrs: AttrList,
    /// The record is the whole span (OTLP, MLflow): a second copy is a duplicate.
    pub complete: bool,
}

/// A span's attributes, in order: every key and value in one text, and where each ends. A
/// record is built on a parsing thread and freed on the index thread, so this is two
/// allocations for any number of attributes rather than two for each.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttrList {
    text: String,
    /// Per attribute, where its key ends and where its value ends in `text`.
    ends: Vec<(usize, usize)>,
}

impl AttrList {
    /// Room for `n` attributes of `bytes` bytes in all.
    #[must_use]
    pub fn with_capacity(n: usize, bytes: usize) -> Self {
        Self {
            text: String::with_capacity(bytes),
            ends: Vec::with_capacity(n),
        }
    }

    /// Add `key` = `value` after the others.
    pub fn push(&mut self, key: &str, value: &str) {
        self.text.push_str(key);
        let k = self.text.len();
        self.text.push_str(value);
        self.ends.push((k, self.text.len()));
    }

    /// Add `key` = `value` followed by `tail` (the mark of a value cut short), with no copy
    /// of the two joined first.
    pub fn push_cut(&mut self, key: &str, value: &str, tail: &str) {
        self.text.push_str(key);
        let k = self.text.len();
        self.text.push_str(value);
        self.text.push_str(tail);
        self.ends.push((k, self.text.len()));
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The pairs, in the order they were added.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &str)> + '_ {
        let mut from = 0;
        self.ends.iter().map(move |&(k, v)| {
            let pair = (&self.text[from..k], &self.text[k..v]);
            from = v;
            pair
        })
    }

    /// The value of the first attribute named `key`.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&str> {
        self.iter().find(|&(k, _)| k == key).map(|(_, v)| v)
    }

    /// The pairs as owned texts.
    #[must_use]
    pub fn to_vec(&self) -> Vec<(String, String)> {
        self.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }
}

impl From<Vec<(String, String)>> for AttrList {
    fn from(pairs: Vec<(String, String)>) -> Self {
        pairs.into_iter().collect()
    }
}

impl<K: AsRef<str>, V: AsRef<str>> FromIterator<(K, V)> for AttrList {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(pairs: I) -> Self {
        let mut list = AttrList::default();
        for (k, v) in pairs {
            list.push(k.as_ref(), v.as_ref());
        }
        list
    }
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

#[cfg(test)]
mod tests {
    use super::AttrList;

    #[test]
    fn attributes_read_back_in_order_with_empty_keys_and_values() {
        let mut a = AttrList::with_capacity(1, 4);
        assert!(a.is_empty());
        a.push("k", "v");
        a.push("", "x");
        a.push("é", "");
        a.push_cut("long", "abc", "…");
        a.push("k", "again");
        assert_eq!(
            a.iter().collect::<Vec<_>>(),
            [
                ("k", "v"),
                ("", "x"),
                ("é", ""),
                ("long", "abc…"),
                ("k", "again")
            ]
        );
        assert_eq!(a.len(), 5);
        assert_eq!(a.get("k"), Some("v"), "the first of a repeated key");
        assert_eq!(a.get("nope"), None);
        assert_eq!(a, AttrList::from_iter(a.iter()));
    }
}
