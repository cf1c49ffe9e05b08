//! Where records come from and where they went: source ids and the registry parsing threads
//! share with the store, each source's counts and rejections, and the store-wide balance.

use super::idx::{self, Table};
use super::payload::Blobs;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

/// Index of a source (a file, stdin, a listener).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SourceId(pub u32);

/// What threads that parse sources share with the store: blob and source ids are handed out
/// here, so records carry their final ids before the store sees them.
#[derive(Debug, Default)]
pub struct Registry {
    pub blobs: Blobs,
    sources: Mutex<Vec<String>>,
    /// Records sent to the store and not yet indexed (the bound of the live queue).
    in_flight: AtomicUsize,
    /// Source bytes of the records in flight: what the queue holds, in memory, is about as big.
    in_flight_bytes: AtomicU64,
    /// Bytes the sources announced they will read (a file's size when it is opened).
    expected: AtomicU64,
}

impl Registry {
    /// Records queued for the store and not yet indexed.
    #[must_use]
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }

    /// `n` more records were queued.
    pub fn queued(&self, n: usize) {
        self.in_flight.fetch_add(n, Ordering::AcqRel);
    }

    /// `n` queued records were indexed (or dropped).
    pub fn applied(&self, n: usize) {
        self.in_flight.fetch_sub(n, Ordering::AcqRel);
    }

    /// Source bytes of the records queued and not yet indexed.
    #[must_use]
    pub fn in_flight_bytes(&self) -> u64 {
        self.in_flight_bytes.load(Ordering::Acquire)
    }

    /// Records of `bytes` source bytes were queued.
    pub fn queued_bytes(&self, bytes: u64) {
        self.in_flight_bytes.fetch_add(bytes, Ordering::AcqRel);
    }

    /// Records of `bytes` source bytes were indexed (or dropped).
    pub fn applied_bytes(&self, bytes: u64) {
        // batches applied without going through the queue were never counted: stay at zero
        let _ = self
            .in_flight_bytes
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |v| {
                Some(v.saturating_sub(bytes))
            });
    }

    /// A source is about to read `bytes` bytes (a file of that size): the store sizes its
    /// tables for them once, from what the first of them held, instead of growing by doubling.
    pub fn expect(&self, bytes: u64) {
        self.expected.fetch_add(bytes, Ordering::AcqRel);
    }

    /// Bytes announced by [`Registry::expect`] so far.
    #[must_use]
    pub fn expected(&self) -> u64 {
        self.expected.load(Ordering::Acquire)
    }

    /// A new source named `label`.
    ///
    /// # Panics
    /// The table of sources is full. A source is a file or stream named on the command line, a
    /// rotation of a followed file, or a listener, and each keeps its label here and its stats in
    /// the store: the 2^32nd would need well over 100 GiB of those first. Failing loudly beats
    /// handing out an id that another source already has.
    pub fn add_source(&self, label: impl Into<String>) -> SourceId {
        let mut v = self.sources.lock().unwrap_or_else(PoisonError::into_inner);
        let id = idx::to_u32(v.len(), Table::Sources).expect("fewer sources than 2^32");
        v.push(label.into());
        SourceId(id)
    }

    /// The label source `id` was added with (empty if it was not).
    pub(super) fn label(&self, id: usize) -> String {
        self.sources
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
            .cloned()
            .unwrap_or_default()
    }
}

/// One rejected line or body, with where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// 1-based line number (0 for a whole file or body).
    pub line: u64,
    pub reason: String,
}

/// What a source delivered. Invariant: `records = accepted + rejected` for parsed units.
#[derive(Debug, Clone, Default)]
pub struct SourceStats {
    pub label: String,
    /// Lines (or whole documents/bodies) read.
    pub units: u64,
    pub rejected: u64,
    /// The first rejections, for `:errors` and the stderr summary.
    pub rejections: Vec<Rejection>,
    /// Span records that made a new span; of those, the ones held now and the ones evicted
    /// since (`spans_new = spans_held + spans_evicted`).
    pub spans_new: u64,
    pub spans_held: u64,
    pub spans_evicted: u64,
    pub spans_merged: u64,
    pub duplicates: u64,
    pub bytes: u64,
    /// Requests received (a listener).
    pub requests: u64,
    /// Log events received for a span (shown with it once it is there), and log records of
    /// no span (counted, shown nowhere).
    pub logs: u64,
    pub logs_without_span: u64,
    /// What the source is doing: empty for a file read once, else "tailing", "listening",
    /// "connected", "retrying in 2s", or an error.
    pub state: String,
}

impl SourceStats {
    /// Every span record this source delivered, and where it went.
    #[must_use]
    pub fn accounting(&self) -> Accounting {
        Accounting {
            received: self.spans_new + self.spans_merged + self.duplicates + self.rejected,
            indexed: self.spans_held,
            merged: self.spans_merged,
            duplicates: self.duplicates,
            evicted: self.spans_evicted,
            rejected: self.rejected,
            traces: 0,
            traces_evicted: 0,
        }
    }

    /// How many rejections are kept with their reason (all are counted).
    pub const KEPT_REJECTIONS: usize = 200;
    /// The state of a source whose existing content is still being read.
    pub const READING: &str = "reading";

    #[must_use]
    pub fn is_reading(&self) -> bool {
        self.state == Self::READING
    }

    pub fn reject(&mut self, line: u64, reason: impl Into<String>) {
        self.rejected += 1;
        if self.rejections.len() < Self::KEPT_REJECTIONS {
            self.rejections.push(Rejection {
                line,
                reason: reason.into(),
            });
        }
    }
}

/// What happened to everything the sources delivered. Invariant:
/// `received = indexed + merged + duplicates + evicted + rejected`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Accounting {
    /// Span records read, and records refused (lines, or spans a receiver refused).
    pub received: u64,
    /// Spans held now.
    pub indexed: u64,
    /// Records that completed a span already held (an end line after its start line).
    pub merged: u64,
    /// Second whole copies of spans already held (same ids), dropped.
    pub duplicates: u64,
    /// Spans dropped with the oldest traces under `--max-traces` / `--max-memory`.
    pub evicted: u64,
    pub rejected: u64,
    /// Traces held now, and traces evicted.
    pub traces: u64,
    pub traces_evicted: u64,
}

impl Accounting {
    /// The balance as one line: `N span record(s) received = N indexed + … + N rejected`.
    #[must_use]
    pub fn balance(&self) -> String {
        format!(
            "{} span record(s) received = {} indexed + {} merged into earlier records + {} duplicate + {} evicted + {} rejected",
            self.received, self.indexed, self.merged, self.duplicates, self.evicted, self.rejected
        )
    }

    /// Whether every record is accounted for.
    #[must_use]
    pub fn balanced(&self) -> bool {
        self.received == self.indexed + self.merged + self.duplicates + self.evicted + self.rejected
    }
}
