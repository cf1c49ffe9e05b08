//! What a receiver has done, counted as it happens: read by the status line and the exit
//! summary while the server runs, so every field is an atomic.

use std::sync::atomic::{AtomicU64, Ordering};

/// What a receiver has done, for its status line and its exit summary.
#[derive(Debug, Default)]
pub struct Counters {
    /// Requests answered, whatever the answer.
    pub requests: AtomicU64,
    /// Spans (or JSON lines) queued for the index.
    pub accepted: AtomicU64,
    /// Spans or lines refused: invalid ids, lines that do not parse, bodies that do not decode.
    pub rejected: AtomicU64,
    /// Requests answered 503 because the index could not keep up (the client retries them).
    pub busy: AtomicU64,
    /// Requests appended to the spool (the record file, for `record`) and queued.
    pub spooled: AtomicU64,
    /// Requests refused for a missing or wrong token (401).
    pub unauthorized: AtomicU64,
    /// Requests whose body did not arrive in time (408).
    pub timed_out: AtomicU64,
    /// Requests that could not be appended to the spool or the record file (answered 503,
    /// not indexed). Refused requests whose bytes could not be cut off again are counted by
    /// the spool (`SpoolStats::undo_failed`).
    pub spool_failed: AtomicU64,
    /// Log records queued (events of spans, and records of no span)…
    pub logs: AtomicU64,
    /// … of which these name no span: counted, shown on no span.
    pub logs_without_span: AtomicU64,
    /// Requests whose handling panicked: answered 500, the receiver kept serving.
    pub panicked: AtomicU64,
}

/// One more of `what`.
pub(super) fn bump(what: &AtomicU64) {
    what.fetch_add(1, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_start_at_zero_and_bump_by_one() {
        let c = Counters::default();
        assert_eq!(c.panicked.load(Ordering::Relaxed), 0);
        bump(&c.panicked);
        bump(&c.panicked);
        assert_eq!(c.panicked.load(Ordering::Relaxed), 2);
        assert_eq!(c.spool_failed.load(Ordering::Relaxed), 0);
    }
}
