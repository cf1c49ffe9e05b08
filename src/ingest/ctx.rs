//! Where a record being parsed lives: the blob its bytes belong to, its offset there, the
//! reading options, and which format entry parses it, so payload references point back at it.

use crate::ingest::error::{ErrorKind, ParseError};
use crate::model::payload::RecordFormat;
use crate::model::{BlobId, PayloadRef, idx};

/// How to read sources.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Timestamps without an offset are UTC (default: local time, as Python's
    /// `datetime.now().isoformat()` writes them).
    pub naive_utc: bool,
}

/// The blob whose bytes are being parsed, and how.
#[derive(Debug, Clone, Copy)]
pub struct Ctx {
    pub blob: BlobId,
    pub opts: Options,
}

impl Ctx {
    /// A payload reference to `len` bytes at `offset` of this context's blob.
    #[must_use]
    pub fn payload(
        &self,
        offset: u64,
        len: usize,
        format: RecordFormat,
        locator: u32,
    ) -> PayloadRef {
        PayloadRef {
            blob: self.blob,
            offset,
            // every record is bounded far below 4 GiB (lines at 64 MiB, bodies and inflated
            // documents at 1 GiB), so its length always fits
            len: u32::try_from(len).unwrap_or(u32::MAX),
            format,
            locator,
        }
    }

    /// The place of a record of `len` bytes at `offset`, read by the format entry `format`.
    #[must_use]
    pub fn at(&self, offset: u64, len: usize, format: RecordFormat) -> At<'_> {
        At {
            ctx: self,
            offset,
            len,
            format,
        }
    }
}

/// One record's place: what a format's parser is handed with the record's bytes. The format
/// is the table's (the dispatcher knows which entry it called), so a parser never names its
/// own [`RecordFormat`].
#[derive(Debug, Clone, Copy)]
pub struct At<'a> {
    pub ctx: &'a Ctx,
    pub offset: u64,
    pub len: usize,
    pub format: RecordFormat,
}

impl At<'_> {
    /// A payload reference to part `locator` of this record (a span ordinal, a step index, or
    /// [`PayloadRef::WHOLE`]).
    #[must_use]
    pub fn payload(&self, locator: u32) -> PayloadRef {
        self.ctx
            .payload(self.offset, self.len, self.format, locator)
    }

    /// A payload reference to the part at `index` (a span ordinal, a step index).
    ///
    /// # Errors
    /// The record has more parts than a locator can count (refused rather than aliased with
    /// another part or with [`PayloadRef::WHOLE`]).
    pub fn part(&self, index: usize) -> Result<PayloadRef, ParseError> {
        let locator = idx::to_u32(index, idx::Table::RecordParts)
            .map_err(|e| ParseError::new(ErrorKind::Value, e.to_string()))?;
        Ok(self.payload(locator))
    }

    #[must_use]
    pub fn opts(&self) -> Options {
        self.ctx.opts
    }
}

#[cfg(test)]
mod tests {
    use crate::ingest::{self, Options};
    use crate::model::idx::{Table, test_limit};
    use crate::model::{Store, TraceStatus};

    /// A record with more parts than a locator counts is refused with its reason, not given
    /// a locator that names another part.
    #[test]
    fn a_record_with_more_parts_than_a_locator_counts_is_refused() {
        let _lower = test_limit::lower(Table::RecordParts, 2);
        let steps = r#"{"trace_id":"t1","timestamp":"2026-11-21T05:37:00Z","total_latency_ms":30,"steps":[{"name":"a","latency_ms":10},{"name":"b","latency_ms":10},{"name":"c","latency_ms":10}]}
{"trace_id":"t2","timestamp":"2026-11-21T05:37:01Z","total_latency_ms":20,"steps":[{"name":"a","latency_ms":10},{"name":"b","latency_ms":10}]}
"#;
        let mut store = Store::new();
        ingest::load_reader(&mut store, "steps", steps.as_bytes(), Options::default())
            .expect("read");
        store.refresh();
        let src = &store.sources()[0];
        assert_eq!(src.rejected, 1, "{:?}", src.rejections);
        assert!(
            src.rejections[0].reason.contains("parts in one record"),
            "{:?}",
            src.rejections
        );
        assert_eq!(store.trace_count(), 1);
        let t = store
            .trace_by_id("t2")
            .expect("the line within the limit is kept");
        assert_eq!(store.trace(t).summary.status, TraceStatus::Ok);
    }
}
