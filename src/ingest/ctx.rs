//! Where a record being parsed lives: the blob its bytes belong to, its offset there, the
//! reading options, and which format entry parses it, so payload references point back at it.

use crate::model::payload::RecordFormat;
use crate::model::{BlobId, PayloadRef};

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
    #[must_use]
    pub fn part(&self, index: usize) -> PayloadRef {
        self.payload(u32::try_from(index).unwrap_or(u32::MAX))
    }

    #[must_use]
    pub fn opts(&self) -> Options {
        self.ctx.opts
    }
}
