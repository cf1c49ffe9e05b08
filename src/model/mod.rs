//! The normalized data every format becomes: span and trace rows, the store that links them,
//! payload references for big texts, and the pure maths (waterfall, stats) over them.
//!
//! The store is split by concern: `store.rs` (the tables and reading them), `insert.rs`,
//! `compact.rs` (eviction and compaction), `derive.rs` (a trace's row from its spans), with the
//! plain parts below them: `idx.rs`, `ids.rs`, `intern.rs`, `attrs.rs`, `rows.rs` (the span table),
//! `trace_index.rs`, `records.rs`, `sources.rs`, `retention.rs`, `tree.rs`, `shares.rs`; log events
//! held by their span's ids in `events.rs`, attached in `attach.rs`.

mod attach;
pub mod attrs;
pub mod columns;
mod compact;
mod derive;
pub mod events;
pub mod found;
pub mod ids;
pub mod idx;
mod insert;
pub mod intern;
pub mod payload;
pub mod prices;
pub mod records;
mod refresh;
pub mod retention;
pub mod rows;
pub mod session;
pub mod shares;
pub mod sources;
pub mod span;
pub mod stats;
pub mod store;
#[cfg(test)]
pub(crate) mod testing;
pub mod trace;
pub mod trace_index;
pub mod tree;
pub mod waterfall;

pub use columns::TraceColumns;
pub use found::{Found, TextField, TextHit, TextHits};
pub use ids::{IdStr, SpanId, TraceId};
pub use intern::Sym;
pub use payload::{Blob, BlobId, Blobs, PayloadRef};
pub use records::{AttrList, Batch, ScoreRecord};
pub use refresh::Loading;
pub use rows::SpanTable;
pub use sources::{Registry, SourceId, SourceStats};
pub use span::{Nanodollars, Span, SpanIdx, SpanKind, SpanStatus, Tokens};
pub use store::Store;
pub use trace::{Outcome, Score, Trace, TraceIdx, TraceStatus};

/// Nanoseconds since the Unix epoch (UTC), or a duration in nanoseconds.
pub type Nanos = i64;
