//! The parallel line reader builds the index one thread reading the same input would build, for
//! every format read as lines: request lines (with and without steps), OTLP/JSON lines, the
//! DSPy callback's events, the event stream, spanscope's own export (normalized and OTLP), and
//! all of them mixed in one file. Whatever the split into blocks and the number of threads:
//! the same traces, spans (ids, times, payload references, attributes), sources and
//! rejections, in the same order.

use spanscope::headless::export::{self, ExportFormat};
use spanscope::ingest::ctx::{Ctx, Options};
use spanscope::ingest::load_lines;
use spanscope::ingest::parallel::{Blobs, End, Lines, Position};
use spanscope::model::{Blob, SpanIdx, Store};
use std::path::Path;
use std::sync::Arc;

fn fixture(rel: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn opts() -> Options {
    Options { naive_utc: true }
}

/// Everything the index holds, in index order; trace and span ids as text.
fn dump(s: &Store) -> Vec<String> {
    let mut out: Vec<String> = s
        .trace_ids()
        .map(|t| format!("{} {:?}", s.trace_id(t), s.trace(t)))
        .collect();
    out.extend((0..s.span_count()).map(|i| {
        let i = SpanIdx(u32::try_from(i).expect("few spans"));
        let sp = s.span(i);
        let attrs: Vec<(&str, &str)> = s.span_attrs(&sp).collect();
        format!(
            "{} < {:?} {:?} {attrs:?} from {:?}",
            s.span_id(&sp),
            s.parent_id(&sp).map(|p| p.to_string()),
            sp,
            s.span_source(i)
        )
    }));
    out.extend(s.sources().iter().map(|src| format!("{src:?}")));
    out
}

/// The reference: the line loop over the whole input, on this thread.
fn one_thread(bytes: &[u8]) -> Store {
    let mut s = Store::new();
    let src = s.add_source("log");
    let blob = s.add_blob(Blob::Memory(Arc::new(bytes.to_vec())));
    s.count_read(src, 0, bytes.len() as u64);
    let ctx = Ctx { blob, opts: opts() };
    load_lines(&mut s, src, bytes, 0, 0, &ctx);
    s.refresh();
    s
}

fn parallel(bytes: &[u8], threads: usize, block: usize) -> Store {
    let mut s = Store::new();
    let src = s.add_source("log");
    let blob = s.add_blob(Blob::Memory(Arc::new(bytes.to_vec())));
    // announced, so that the tables are sized from the first blocks as for a file
    s.registry().expect(bytes.len() as u64);
    let lines = Lines {
        opts: opts(),
        blobs: Blobs::In(blob),
        threads,
        block,
        eager: false,
    };
    let mut pos = Position::default();
    lines
        .read(&mut s, src, &mut &bytes[..], &mut pos, End::Parse)
        .expect("reading memory");
    assert_eq!(pos.offset, bytes.len() as u64);
    s.refresh();
    s
}

fn assert_same_index(name: &str, bytes: &[u8]) {
    let want = dump(&one_thread(bytes));
    assert!(want.len() > 2, "{name}: the fixture indexes something");
    for (threads, block) in [(1, 1 << 20), (2, 4096), (3, 777), (2, 64)] {
        let got = dump(&parallel(bytes, threads, block));
        assert_eq!(
            got.len(),
            want.len(),
            "{name}: {threads} threads, {block} B blocks"
        );
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g, w, "{name}: {threads} threads, {block} B blocks");
        }
    }
}

/// `bytes` (JSON lines) exported again by spanscope in `format`.
fn exported(bytes: &[u8], format: ExportFormat) -> Vec<u8> {
    let store = one_thread(bytes);
    let traces: Vec<_> = store.trace_ids().collect();
    let mut out = Vec::new();
    export::write(&store, &traces, format, &mut out).expect("writing memory");
    out
}

const FIXTURES: [&str; 7] = [
    "tests/fixtures/generated/steps-1mb-seed7.jsonl",
    "tests/fixtures/steps-jsonl/requests_with_steps.jsonl",
    "tests/fixtures/simple-jsonl/requests.jsonl",
    "tests/fixtures/otlp-jsonl/otlp.jsonl",
    "tests/fixtures/dspy-callback-jsonl/events.jsonl",
    "tests/fixtures/event-stream-jsonl/events.jsonl",
    "assets/demo.jsonl",
];

#[test]
fn every_line_format_is_indexed_alike_by_one_thread_and_by_several() {
    for f in FIXTURES {
        assert_same_index(f, &fixture(f));
    }
    let demo = fixture("assets/demo.jsonl");
    for format in [ExportFormat::Jsonl, ExportFormat::Otlp] {
        assert_same_index(
            &format!("demo exported as {format:?}"),
            &exported(&demo, format),
        );
    }
}

#[test]
fn formats_mixed_in_one_file_are_indexed_alike_by_one_thread_and_by_several() {
    let mut mixed = Vec::new();
    for f in FIXTURES {
        let bytes = fixture(f);
        mixed.extend_from_slice(&bytes);
        if !bytes.ends_with(b"\n") {
            mixed.push(b'\n');
        }
    }
    mixed.extend_from_slice(&exported(&fixture("assets/demo.jsonl"), ExportFormat::Otlp));
    // a line that is no record, one cut short, and a blank one
    mixed.extend_from_slice(b"{\"what\": 1}\n{\"trace_id\": \"cut\", \"total_la\n\n");
    assert_same_index("mixed", &mixed);
}
