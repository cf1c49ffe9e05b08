//! A span's texts, decoded on demand from its payload references through the format table:
//! prompt messages, response, inputs, outputs, invocation parameters, every attribute, the
//! error and the raw record. Each record is read and decoded once however many of its spans
//! are wanted ([`details_of`]), so a trace's 1,000 spans of one OTLP body cost one decode.

use super::format::Decoded;
use super::formats;
use crate::model::payload::{Blob, PayloadRef, RecordFormat};
use crate::model::{SpanIdx, Store};
use std::cell::Cell;
use std::collections::HashMap;

pub use super::texts::{ErrorInfo, Message, SpanDetail, error_message, pretty};

thread_local! {
    static DECODES: Cell<u64> = const { Cell::new(0) };
}

/// How many records this thread has decoded for details so far: what a test reads to check
/// that a trace's spans shared their record's decode.
#[must_use]
pub fn decode_count() -> u64 {
    DECODES.with(Cell::get)
}

/// Decode the texts of `span` from its payloads.
#[must_use]
pub fn span_detail(store: &Store, span: SpanIdx) -> SpanDetail {
    details_of(store, &[span]).pop().unwrap_or_default()
}

/// The details of `spans` (in their order), reading and decoding each record they come from
/// once: spans that share a record (the spans of one OTLP body, the steps of one request line)
/// share its decode.
#[must_use]
pub fn details_of(store: &Store, spans: &[SpanIdx]) -> Vec<SpanDetail> {
    /// A record: where its bytes are and which format reads them.
    type Key = (u32, u64, u32, u8);
    let key = |p: &PayloadRef| (p.blob.0, p.offset, p.len, p.format.0);
    // every record wanted, read once, in the order first wanted
    let mut index: HashMap<Key, usize> = HashMap::new();
    let mut records: Vec<(Result<Vec<u8>, String>, RecordFormat)> = Vec::new();
    let mut blobs: HashMap<u32, Blob> = HashMap::new();
    for &s in spans {
        for p in store.span(s).payload.iter().flatten() {
            index.entry(key(p)).or_insert_with(|| {
                let blob = blobs.entry(p.blob.0).or_insert_with(|| store.blob(p.blob));
                let bytes = blob
                    .read(p.offset, p.len)
                    .map_err(|e| format!("cannot read the record back: {e}"));
                records.push((bytes, p.format));
                records.len() - 1
            });
        }
    }
    let decoded: Vec<Result<Box<dyn Decoded + '_>, String>> = records
        .iter()
        .map(|(bytes, format)| {
            let bytes = bytes.as_ref().map_err(Clone::clone)?;
            let f = formats::entry(*format).ok_or_else(|| {
                format!(
                    "the record changed since it was indexed: no format #{}",
                    format.0
                )
            })?;
            DECODES.with(|n| n.set(n.get() + 1));
            (f.decode)(bytes).map_err(|e| format!("the record changed since it was indexed: {e}"))
        })
        .collect();
    spans
        .iter()
        .map(|&s| {
            let sp = store.span(s);
            let mut d = SpanDetail::default();
            for p in sp.payload.iter().flatten() {
                let Some(record) = index.get(&key(p)).map(|&i| &decoded[i]) else {
                    continue;
                };
                match record {
                    Ok(r) => {
                        if let Err(e) = r.fill(p.locator, &mut d) {
                            d.problems
                                .push(format!("the record changed since it was indexed: {e}"));
                        }
                    }
                    Err(why) => d.problems.push(why.clone()),
                }
            }
            if d.error.is_none() && sp.is_error() {
                d.error = Some(ErrorInfo {
                    kind: None,
                    message: sp.error.map(|e| store.str(e).to_string()),
                    stacktrace: None,
                });
            }
            d
        })
        .collect()
}
