//! Ingest throughput (MB/s) per format, and filter + sort over the resulting index.
//!
//! Data comes from the shared generator (`gen_traces.py`, seed 42), written once to
//! `target/bench-data/`. `SPANSCOPE_BENCH_MB` sets the size of the steps file (default 100);
//! `SPANSCOPE_BENCH_FORMAT_MB` the size of each format's log in the per-format rows
//! (`ingest_format`: the whole ingest; `parse_format`: parsing alone on one core), default 100.
//! Run: `cargo bench --bench ingest`.

use spanscope::ingest::{self, Options};
use spanscope::model::Store;
use spanscope::query::{self, SortKey};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The allocator the binary runs with: loading allocates as much as it parses.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    divan::main();
}

fn generator() -> PathBuf {
    if let Ok(p) = std::env::var("SPANSCOPE_GEN_TRACES") {
        return PathBuf::from(p);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/gen_traces.py")
}

/// Generate (once) a log of `mb` megabytes in `format`.
fn data(format: &str, mb: u64) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&dir).expect("create target/bench-data");
    let path = dir.join(format!("{format}-{mb}mb-seed42.jsonl"));
    if !path.exists() {
        let gen_path = generator();
        assert!(
            gen_path.exists(),
            "generator not found at {} (set SPANSCOPE_GEN_TRACES)",
            gen_path.display()
        );
        let tmp = path.with_extension("tmp");
        let status = Command::new("python3")
            .arg(&gen_path)
            .args([
                "--format",
                format,
                "--size-mb",
                &mb.to_string(),
                "--seed",
                "42",
                "--out",
            ])
            .arg(&tmp)
            .status()
            .expect("run python3");
        assert!(status.success(), "gen_traces.py failed");
        std::fs::rename(&tmp, &path).expect("rename generated file");
    }
    path
}

fn steps_mb() -> u64 {
    std::env::var("SPANSCOPE_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100)
}

fn load(path: &Path) -> Store {
    let mut store = Store::new();
    ingest::load_path(&mut store, path, Options { naive_utc: true }).expect("load");
    store.refresh();
    store
}

fn bench_ingest(bencher: divan::Bencher, format: &str, mb: u64) {
    let path = data(format, mb);
    let bytes = std::fs::metadata(&path).expect("stat").len();
    // warm the page cache
    let _ = std::fs::read(&path);
    bencher
        .counter(divan::counter::BytesCount::new(bytes))
        .bench(|| divan::black_box(load(&path)).trace_count());
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn ingest_steps(bencher: divan::Bencher) {
    bench_ingest(bencher, "steps", steps_mb());
}

/// The explorer's first read of the same file as `ingest_steps`: the tail thread (following
/// off) sniffs it and parses it on every core, sending batches; this thread applies them to a
/// store, as the explorer's loop does between frames. It should take as long as `ingest_steps`.
#[divan::bench(sample_count = 5, sample_size = 1)]
fn first_read_explorer_steps(bencher: divan::Bencher) {
    let path = data("steps", steps_mb());
    let bytes = std::fs::metadata(&path).expect("stat").len();
    let _ = std::fs::read(&path);
    let sources = [path.display().to_string()];
    bencher
        .counter(divan::counter::BytesCount::new(bytes))
        .bench(|| {
            let mut store = Store::new();
            let (feed, rx) = ingest::sink::channel(store.registry());
            let reading = ingest::tail::spawn(&feed, &sources, false, Options { naive_utc: true })
                .expect("spawn");
            drop(feed);
            for batch in rx {
                store.apply(batch);
            }
            reading.join().expect("the reading thread");
            store.refresh();
            divan::black_box(store).trace_count()
        });
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn ingest_otlp_jsonl_10mb(bencher: divan::Bencher) {
    bench_ingest(bencher, "otlp-jsonl", 10);
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn ingest_events_10mb(bencher: divan::Bencher) {
    bench_ingest(bencher, "events", 10);
}

/// Megabytes of each format's log for the per-format rows (`SPANSCOPE_BENCH_FORMAT_MB`,
/// default 100).
fn format_mb() -> u64 {
    std::env::var("SPANSCOPE_BENCH_FORMAT_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100)
}

/// A dspy callback log of `mb` megabytes (written once): the callback sample repeated with
/// fresh call ids (the generator has no callback format).
fn callback_data(mb: u64) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&dir).expect("create target/bench-data");
    let path = dir.join(format!("dspy-callback-{mb}mb.jsonl"));
    if path.exists() {
        return path;
    }
    let sample = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/dspy-callback-jsonl/events.jsonl");
    let text = std::fs::read_to_string(sample).expect("the callback sample");
    let mut ids: Vec<String> = Vec::new();
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        for key in ["call_id", "parent_call_id", "root_call_id"] {
            if let Some(id) = v[key].as_str()
                && !ids.iter().any(|i| i == id)
            {
                ids.push(id.to_string());
            }
        }
    }
    let mut out = String::new();
    let mut rep = 0u64;
    while (out.len() as u64) < mb * 1_000_000 {
        let mut copy = text.clone();
        for id in &ids {
            let fresh = format!("{}{rep:08x}", &id[..id.len().saturating_sub(8)]);
            copy = copy.replace(id.as_str(), &fresh);
        }
        out.push_str(&copy);
        if !copy.ends_with('\n') {
            out.push('\n');
        }
        rep += 1;
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, out).expect("write the callback log");
    std::fs::rename(&tmp, &path).expect("rename the callback log");
    path
}

/// The log of a per-format row.
fn format_data(format: &str) -> PathBuf {
    match format {
        "dspy-callback" => callback_data(format_mb()),
        other => data(other, format_mb()),
    }
}

const FORMATS: [&str; 4] = ["steps", "otlp-jsonl", "events", "dspy-callback"];

/// The whole ingest (every core, the index built) of each format's log of the same size:
/// seconds per megabyte compare across formats.
#[divan::bench(args = FORMATS, sample_count = 5, sample_size = 1)]
fn ingest_format(bencher: divan::Bencher, format: &str) {
    let path = format_data(format);
    let bytes = std::fs::metadata(&path).expect("stat").len();
    let _ = std::fs::read(&path);
    bencher
        .counter(divan::counter::BytesCount::new(bytes))
        .bench(|| divan::black_box(load(&path)).trace_count());
}

/// Parsing alone, on one core: each line of the log (held in memory) parsed into records as
/// the line reader parses it (as the format of the line before, sniffed when not), no index.
#[divan::bench(args = FORMATS, sample_count = 5, sample_size = 1)]
fn parse_format(bencher: divan::Bencher, format: &str) {
    use spanscope::ingest::Ctx;
    use spanscope::ingest::formats::parse_record_after;
    use spanscope::model::BlobId;
    let bytes = std::fs::read(format_data(format)).expect("read");
    let ctx = Ctx {
        blob: BlobId(0),
        opts: Options { naive_utc: true },
    };
    bencher
        .counter(divan::counter::BytesCount::new(bytes.len()))
        .bench(|| {
            let (mut out, mut last, mut start, mut records) = (Vec::new(), None, 0usize, 0usize);
            let ends = memchr::memchr_iter(b'\n', &bytes).chain(std::iter::once(bytes.len()));
            for end in ends {
                let line = &bytes[start..end];
                if !line.is_empty() {
                    out.clear();
                    let parsed = parse_record_after(line, start as u64, &ctx, &mut out, &mut last);
                    records += if parsed.is_ok() { out.len() } else { 0 };
                }
                start = end + 1;
            }
            divan::black_box(records)
        });
}

fn steps_store() -> &'static Store {
    static STORE: OnceLock<Store> = OnceLock::new();
    STORE.get_or_init(|| load(&data("steps", steps_mb())))
}

#[divan::bench(args = ["dur>2s", "status:error", "span.dur>1s span.kind:llm", "model:gpt-4o"])]
fn filter_and_sort(bencher: divan::Bencher, q: &str) {
    let store = steps_store();
    let query = query::parse(q).expect("query");
    bencher.bench(|| {
        let mut hits = query::filter(store, &query);
        query::sort(store, &mut hits, SortKey::Dur, false);
        hits.len()
    });
}

/// Every 97th trace of the steps index: spread over the whole file.
fn sample_traces() -> Vec<spanscope::model::TraceIdx> {
    steps_store().trace_ids().step_by(97).collect()
}

/// Opening a trace: its waterfall, and the detail of its first LM call (the prompt and
/// response read back from the file by offset and decoded), as the explorer does on `Enter`.
#[divan::bench(sample_count = 200)]
fn open_trace(bencher: divan::Bencher) {
    use spanscope::ingest::detail::span_detail;
    use spanscope::model::SpanKind;
    use spanscope::model::waterfall::Waterfall;
    let store = steps_store();
    let traces = sample_traces();
    let first_lm = store
        .trace(traces[0])
        .spans
        .iter()
        .copied()
        .find(|&s| store.span(s).kind == SpanKind::Llm)
        .expect("an LM step");
    let d = span_detail(store, first_lm);
    assert!(d.problems.is_empty() && !d.messages.is_empty() && d.response.is_some());
    let mut next = 0usize;
    bencher.bench_local(|| {
        let t = traces[next % traces.len()];
        next += 1;
        let wf = Waterfall::new(store, t);
        let lm = store
            .trace(t)
            .spans
            .iter()
            .copied()
            .find(|&s| store.span(s).kind == SpanKind::Llm)
            .unwrap_or(store.trace(t).spans[0]);
        (wf.rows.len(), span_detail(store, lm).attributes.len())
    });
}

/// The worst case of a trace's detail: every span's payloads decoded.
#[divan::bench(sample_count = 200)]
fn decode_every_span_of_a_trace(bencher: divan::Bencher) {
    use spanscope::ingest::detail::span_detail;
    let store = steps_store();
    let traces = sample_traces();
    let mut next = 0usize;
    bencher.bench_local(|| {
        let t = traces[next % traces.len()];
        next += 1;
        store
            .trace(t)
            .spans
            .iter()
            .map(|&s| span_detail(store, s).attributes.len())
            .sum::<usize>()
    });
}
