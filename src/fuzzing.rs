//! The entry points of the fuzz targets (`fuzz/`), kept in the library so that a stable test
//! (`tests/fuzz_corpus.rs`) replays every corpus and regression input through the same code.
//! Each one feeds arbitrary bytes to one stage and checks what must hold whatever the input:
//! no panic, every record accounted for, and outputs that read back.

use crate::headless::{self, show::ShowFormat};
use crate::ingest::{self, Ctx, Options, Sink, detect};
use crate::model::{Blob, BlobId, Store};
use crate::query;
use crate::text::TimeFmt;
use std::sync::Arc;

/// A parser of one record.
type Parser = fn(&[u8], u64, &Ctx, &mut Vec<crate::model::store::Record>) -> Result<(), String>;

/// The parsers of single records, by the first byte of a `record` input.
const PARSERS: [Parser; 7] = [
    ingest::parse_record,
    ingest::otlp::parse_json,
    ingest::mlflow::parse,
    ingest::dspy_callback::parse,
    ingest::events::parse,
    ingest::requests::parse,
    ingest::normalized::parse,
];

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

/// One record line: the first byte picks the parser (0: detect the shape), the rest is the line.
pub fn record(data: &[u8]) {
    let Some((&which, line)) = data.split_first() else {
        return;
    };
    let parse = PARSERS[usize::from(which) % PARSERS.len()];
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
    match parse(&bytes, 0, &ctx, &mut out) {
        Ok(()) => {
            for r in out {
                store.insert(source, r);
            }
        }
        Err(reason) => {
            assert!(!reason.is_empty(), "a rejection gives a reason");
            store.reject(source, 1, reason);
        }
    }
    store.refresh();
    check(&store);
}

/// Format detection: the file sniffers and the record sniffer agree with the parsers.
pub fn detect(data: &[u8]) {
    let kind = detect::sniff_file(data);
    if kind == detect::FileKind::Json {
        let _ = detect::json_layout(data);
        let _ = detect::first_line_is_value(data);
    }
    if detect::sniff_record(data).is_ok() {
        // a recognized record is parsed, or refused with a reason: never a panic
        let ctx = Ctx {
            blob: BlobId(0),
            opts: Options::default(),
        };
        let mut out = Vec::new();
        let _ = ingest::parse_record(data, 0, &ctx, &mut out);
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
