//! The normalized data every format becomes: span and trace rows, the store that links them,
//! payload references for big texts, and the pure maths (waterfall, stats) over them.

pub mod columns;
pub mod idx;
pub mod payload;
pub mod span;
pub mod stats;
pub mod store;
pub mod trace;
pub mod tree;
pub mod waterfall;

pub use columns::TraceColumns;
pub use payload::{Blob, BlobId, Blobs, PayloadRef};
pub use span::{Span, SpanIdx, SpanKind, SpanStatus, Tokens};
pub use store::{Batch, Registry, SourceId, SourceStats, Store, Sym};
pub use trace::{Trace, TraceIdx, TraceStatus};

/// Nanoseconds since the Unix epoch (UTC), or a duration in nanoseconds.
pub type Nanos = i64;

/// Nanoseconds to milliseconds, for display and the JSON contract.
#[must_use]
#[allow(clippy::cast_precision_loss)]
pub fn ns_to_ms(ns: Nanos) -> f64 {
    ns as f64 / 1e6
}
