//! The entry points of the fuzz targets (`fuzz/`), kept in the library so that a stable test
//! (`tests/fuzz_corpus.rs`) replays every corpus and regression input through the same code.
//! Each one feeds arbitrary bytes to one stage and checks what must hold whatever the input:
//! no panic, every record accounted for, and outputs that read back.

use crate::headless::{self, show::ShowFormat};
use crate::ingest::detect::{self, FileKind, JsonLayout, Keys};
use crate::ingest::format::Sniff;
use crate::ingest::formats::{self, FORMATS};
use crate::ingest::{self, Ctx, Options, ParseError, Sink};
use crate::model::payload::RecordFormat;
use crate::model::store::Record;
use crate::model::{Blob, BlobId, Store};
use crate::query;
use crate::text::TimeFmt;
use std::sync::Arc;

/// The first bytes of a `record` input that pick a parser: 0 sniffs the record (the dispatch
/// every reader uses), `1 + i` is the table's entry `i` (`formats::FORMATS`). Larger bytes wrap.
#[must_use]
pub fn record_selectors() -> std::ops::RangeInclusive<u8> {
    0..=u8::try_from(FORMATS.len()).unwrap_or(u8::MAX)
}

/// The selector of the table entry called `name` (what `fuzz/seed.py` writes before a line of
/// that format).
#[must_use]
pub fn record_selector(name: &str) -> Option<u8> {
    let i = FORMATS.iter().position(|f| f.name == name)?;
    u8::try_from(i + 1).ok()
}

/// Parse `line` with selector `which` (see [`record_selectors`]).
fn parse_with(which: u8, line: &[u8], ctx: &Ctx, out: &mut Vec<Record>) -> Result<(), ParseError> {
    let pick = usize::from(which) % (FORMATS.len() + 1);
    match pick.checked_sub(1) {
        None => formats::parse_record(line, 0, ctx, out),
        Some(i) => {
            let format = RecordFormat::at(u8::try_from(i).unwrap_or(u8::MAX));
            formats::parse_as(format, line, 0, ctx, out)
        }
    }
}

/// How many traces of a fuzzed input are drawn and printed (each costs a waterfall).
const SHOWN: usize = 8;

/// A whole file or body: detection (gzip, protobuf, one document, lines), every parser, the
/// index, the waterfall and the printers.
pub fn file(data: &[u8]) {
    let mut store = Store::new();
    let source = store.add_source("fuzz");
    let bytes = Arc::new(data.to_vec());
    let blob = store.add_blob(Blob::Memory(Arc::clone(&bytes)));
    ingest::load_bytes(&mut store, source, blob, &bytes, Options::default());
    store.refresh();
    check(&store);
}

/// One record line: the first byte picks the parser ([`record_selectors`]), the rest is the
/// line.
pub fn record(data: &[u8]) {
    let Some((&which, line)) = data.split_first() else {
        return;
    };
    let mut store = Store::new();
    let source = store.add_source("fuzz");
    let bytes = Arc::new(line.to_vec());
    let blob = store.add_blob(Blob::Memory(Arc::clone(&bytes)));
    let ctx = Ctx {
        blob,
        opts: Options::default(),
    };
    let mut out = Vec::new();
    store.count(source, 1, bytes.len() as u64);
    match parse_with(which, &bytes, &ctx, &mut out) {
        Ok(()) => {
            for r in out {
                store.insert(source, r);
            }
        }
        Err(e) => {
            assert!(!e.reason.is_empty(), "a rejection gives a reason");
            store.reject(source, 1, e.reason);
        }
    }
    store.refresh();
    check(&store);
}

/// Format detection agrees with the parsers, whatever the input:
/// - a text whose first line is a complete value is JSON lines;
/// - on valid JSON, the quick key scan finds what serde finds (or says it is not sure);
/// - the format the sniffer names parses the record or refuses it with a reason, and the
///   dispatch every reader uses gives exactly that answer (the quick scan changes nothing, nor
///   does parsing it first as the format of the record before it);
/// - a record the sniffer refuses is refused by the dispatch with the sniffer's reason;
/// - a binary body is taken by a binary format or refused with a reason.
///
/// # Panics
/// One of those does not hold (the fuzzer's finding).
pub fn detect(data: &[u8]) {
    agree(data, formats::sniff_record);
}

/// The checks of [`detect`], against `sniff_record` as the record sniffer.
fn agree(data: &[u8], sniff_record: fn(&[u8]) -> Result<RecordFormat, ParseError>) {
    let kind = detect::sniff_file(data);
    if kind == FileKind::Json && detect::first_line_is_value(data) {
        assert_eq!(detect::json_layout(data), JsonLayout::Lines);
    }
    let ctx = Ctx {
        blob: BlobId(0),
        opts: Options::default(),
    };
    let read = Keys::read(data);
    if let (Ok(keys), Some(quick)) = (&read, Keys::scan(data))
        && serde_json::from_slice::<serde::de::IgnoredAny>(data).is_ok()
    {
        let pairs = |k: &Keys<'_>| -> Vec<(String, String)> {
            k.names()
                .map(|n| {
                    let raw = String::from_utf8_lossy(k.raw(n).unwrap_or_default());
                    (n.to_string(), raw.into_owned())
                })
                .collect()
        };
        assert_eq!(
            pairs(&quick),
            pairs(keys),
            "the quick scan reads other keys"
        );
        assert_eq!(formats::sniff(&quick), formats::sniff(keys));
    }
    let (mut direct, mut dispatched) = (Vec::new(), Vec::new());
    let outcome = formats::parse_record(data, 0, &ctx, &mut dispatched);
    // after a record of any format, the one-pass parse answers the same
    for (i, f) in FORMATS.iter().enumerate() {
        let mut last = Some(RecordFormat::at(u8::try_from(i).unwrap_or(u8::MAX)));
        let mut after = Vec::new();
        let again = formats::parse_record_after(data, 0, &ctx, &mut after, &mut last);
        assert_eq!(again, outcome, "after a {} record", f.name);
        assert_eq!(after, dispatched, "after a {} record", f.name);
    }
    match sniff_record(data) {
        Ok(format) => {
            let entry = formats::entry(format).map(|f| f.sniff);
            assert!(matches!(entry, Some(Sniff::Keys(_))), "a JSON format");
            let own = formats::parse_as(format, data, 0, &ctx, &mut direct);
            if let Err(e) = &own {
                assert!(!e.reason.is_empty(), "a rejection gives a reason");
                direct.clear();
            }
            assert_eq!(outcome, own, "the dispatch answers as the sniffed format");
            assert_eq!(
                dispatched, direct,
                "the dispatch reads what the format reads"
            );
        }
        Err(e) => {
            assert!(!e.reason.is_empty(), "a rejection gives a reason");
            assert_eq!(outcome, Err(e), "the dispatch refuses as the sniffer does");
            assert!(dispatched.is_empty());
        }
    }
    if kind == FileKind::Binary {
        let mut out = Vec::new();
        if let Err(e) = formats::parse_binary(data, &ctx, &mut out) {
            assert!(e.reason.starts_with("not JSON, and not "), "{e}");
            assert!(out.is_empty());
        }
    }
}

/// An OTLP/HTTP body as the receiver decodes it: the first byte picks the content encoding
/// (identity, gzip, deflate) and the content type (protobuf or JSON); the body limit is small,
/// so decompression bombs are refused.
pub fn otlp_body(data: &[u8]) {
    let Some((&sel, body)) = data.split_first() else {
        return;
    };
    let encoding = ["identity", "gzip", "deflate"][usize::from(sel & 3) % 3];
    let protobuf = sel & 4 == 0;
    const MAX: usize = 1 << 20;
    match ingest::http::decode_request(encoding, protobuf, body, MAX) {
        Ok(_) | Err(400 | 413) => {}
        Err(status) => panic!("unexpected refusal {status}"),
    }
}

/// The filter grammar: a query that parses prints as text that parses to the same query, and
/// evaluating it never fails; an error points inside the query.
pub fn filter(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match query::parse(text) {
        Ok(q) => {
            let printed = q.to_string();
            let again = query::parse(&printed)
                .unwrap_or_else(|e| panic!("{text:?} prints as {printed:?}, which fails: {e}"));
            assert_eq!(
                again.to_string(),
                printed,
                "{text:?} prints differently once reparsed"
            );
            let store = sample_store();
            let _ = query::filter(&store, &q);
        }
        Err(e) => {
            let _ = e.render(text);
        }
    }
}

/// A few traces of every kind of step, to evaluate fuzzed filters against.
fn sample_store() -> Store {
    let log = concat!(
        r#"{"trace_id":"a","timestamp":"2026-11-21T05:37:00Z","total_latency_ms":2500,"error":"Timeout","steps":[{"name":"retrieve","latency_ms":300},{"name":"lm","model":"gpt-4o","latency_ms":2000,"error":"boom","prompt_tokens":10,"completion_tokens":5}]}"#,
        "\n",
        r#"{"trace_id":"b","timestamp":"2026-11-21T05:37:01Z","total_latency_ms":120,"metadata":{"env":"prod"}}"#,
        "\n",
    );
    let mut store = Store::new();
    let _ = ingest::load_reader(&mut store, "sample", log.as_bytes(), Options::default());
    store.refresh();
    store
}

/// What holds for any store: every record is accounted for, and the first traces draw, print
/// and export.
fn check(store: &Store) {
    let a = store.accounting();
    assert!(a.balanced(), "unbalanced accounting: {a:?}");
    for t in store.trace_ids().take(SHOWN) {
        for format in [ShowFormat::Text, ShowFormat::Json, ShowFormat::Markdown] {
            let mut out = Vec::new();
            let res = headless::show::print(
                store,
                t,
                format,
                TimeFmt { utc: true },
                headless::Paint::default(),
                &mut out,
            );
            assert!(res.is_ok(), "printing to memory fails only on I/O");
        }
        let mut out = Vec::new();
        let res =
            headless::export::write(store, &[t], headless::export::ExportFormat::Jsonl, &mut out);
        assert!(res.is_ok());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OTLP: &[u8] = br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"1111111111111111","name":"s","startTimeUnixNano":"1","endTimeUnixNano":"2"}]}]}]}"#;

    #[test]
    fn the_detect_checks_hold_for_every_format() {
        let lines: [&[u8]; 6] = [
            OTLP,
            br#"{"trace_id":"t","total_latency_ms":3}"#,
            br#"{"type":"span","trace_id":"t","latency_ms":-1}"#,
            br#"{"hello":1}"#,
            b"{\"trace_id\": oops",
            b"\x0a\x05hello",
        ];
        for line in lines {
            detect(line);
        }
    }

    /// The checks have teeth: a sniffer that names another format than the one the readers
    /// use is caught.
    #[test]
    #[should_panic(expected = "the dispatch answers as the sniffed format")]
    fn a_sniffer_that_disagrees_with_the_dispatch_is_caught() {
        agree(OTLP, |_| Ok(formats::id("request")));
    }

    /// … and so is one that refuses what the readers take.
    #[test]
    #[should_panic(expected = "the dispatch refuses as the sniffer does")]
    fn a_sniffer_that_refuses_what_the_dispatch_reads_is_caught() {
        agree(OTLP, |_| {
            Err(ParseError::new(
                crate::ingest::ErrorKind::Shape,
                "unknown record shape",
            ))
        });
    }

    #[test]
    fn selectors_cover_the_table() {
        assert_eq!(record_selectors().count(), FORMATS.len() + 1);
        assert_eq!(record_selector("otlp-json"), Some(1));
        assert_eq!(record_selector("nope"), None);
        for f in FORMATS {
            let sel = record_selector(f.name).expect("a selector");
            record(&[&[sel][..], br#"{"trace_id":"t","total_latency_ms":3}"#].concat());
        }
    }
}
