//! What a format is: the one entry a format's file fills in (its name, how its records are
//! recognized, how one is parsed, how its spans' texts are decoded again). The table of every
//! entry, and the dispatch by it, is `formats/mod.rs`; this file knows no format.

use super::ctx::At;
use super::detect::Keys;
use super::error::ParseError;
use super::texts::SpanDetail;
use crate::model::store::Record;

/// How a record of a format is recognized.
#[derive(Clone, Copy)]
pub enum Sniff {
    /// A JSON object, by its top-level keys. The table asks the entries in order; the first
    /// that says yes parses the record.
    Keys(fn(&Keys<'_>) -> bool),
    /// A binary body: what is not JSON text is tried by these entries, in order.
    Binary,
    /// Never sniffed: a body whose kind a receiver's route states (OTLP logs on `/v1/logs`).
    Routed,
}

/// Parse one record (a line, a document or a body) at `at`, appending what it holds to `out`
/// (spans, traces, and parts refused on their own as [`Record::Rejected`]). On an error the
/// caller drops what was appended.
pub type Parse = fn(&[u8], &At<'_>, &mut Vec<Record>) -> Result<(), ParseError>;

/// A record decoded once for the details of any number of its spans.
pub trait Decoded {
    /// Fill `d` with the texts of part `locator` of the record (a span ordinal, a step index,
    /// or the whole record).
    ///
    /// # Errors
    /// The record has no such part (it changed since it was indexed).
    fn fill(&self, locator: u32, d: &mut SpanDetail) -> Result<(), ParseError>;
}

/// Decode a record for its details.
pub type Decode = for<'a> fn(&'a [u8]) -> Result<Box<dyn Decoded + 'a>, ParseError>;

/// One format: everything sniffing, parsing, detail decoding and fuzzing need to know of it.
///
/// A `const` struct of function pointers rather than a trait: entries are plain data that
/// `const` code can read (record ids are found by name at compile time, the fuzz selector
/// count is the table's length), one format file can fill two entries that share its code
/// (OTLP/JSON and protobuf), and a table of them needs no trait objects. The one trait,
/// [`Decoded`], is for what a decode returns: each format keeps its own decoded type.
#[derive(Clone, Copy)]
pub struct Format {
    /// A short stable name (`otlp-json`): fuzz selectors, tests, record ids.
    pub name: &'static str,
    /// What a record of it is, as the rejection of an unknown record lists it
    /// (`an MLflow trace (info + data)`).
    pub expected: &'static str,
    pub sniff: Sniff,
    pub parse: Parse,
    pub decode: Decode,
}

impl std::fmt::Debug for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

#[cfg(test)]
impl Format {
    /// Parse `bytes` as one record of this format at offset 0 of blob 0 (unit tests).
    pub(crate) fn parse_one(
        &self,
        bytes: &[u8],
        opts: super::ctx::Options,
    ) -> Result<Vec<Record>, ParseError> {
        let ctx = super::ctx::Ctx {
            blob: crate::model::BlobId(0),
            opts,
        };
        let mut out = Vec::new();
        let at = ctx.at(0, bytes.len(), super::formats::id(self.name));
        (self.parse)(bytes, &at, &mut out)?;
        Ok(out)
    }

    /// Decode `bytes` and fill `d` with part `locator` (unit tests).
    pub(crate) fn fill(
        &self,
        bytes: &[u8],
        locator: u32,
        d: &mut SpanDetail,
    ) -> Result<(), ParseError> {
        (self.decode)(bytes)?.fill(locator, d)
    }
}
