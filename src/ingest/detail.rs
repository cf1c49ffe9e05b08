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
    type Key = (u32, u64, u32, RecordFormat);
    let key = |p: &PayloadRef| (p.blob.0, p.offset, p.len, p.format);
    // every record wanted, read once, in the order first wanted
    let mut index: HashMap<Key, usize> = HashMap::new();
    let mut records: Vec<(Result<Vec<u8>, String>, RecordFormat)> = Vec::new();
    let mut blobs: HashMap<u32, Blob> = HashMap::new();
    let events: Vec<Vec<PayloadRef>> = spans.iter().map(|&s| store.span_events(s)).collect();
    for (&s, events) in spans.iter().zip(&events) {
        for p in store.span(s).payload.iter().flatten().chain(events) {
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
                    format.index()
                )
            })?;
            DECODES.with(|n| n.set(n.get() + 1));
            (f.decode)(bytes).map_err(|e| format!("the record changed since it was indexed: {e}"))
        })
        .collect();
    let fill = |payloads: &mut dyn Iterator<Item = &PayloadRef>, d: &mut SpanDetail| {
        for p in payloads {
            let Some(record) = index.get(&key(p)).map(|&i| &decoded[i]) else {
                continue;
            };
            match record {
                Ok(r) => {
                    if let Err(e) = r.fill(p.locator, d) {
                        d.problems
                            .push(format!("the record changed since it was indexed: {e}"));
                    }
                }
                Err(why) => d.problems.push(why.clone()),
            }
        }
    };
    spans
        .iter()
        .zip(&events)
        .map(|(&s, events)| {
            let sp = store.span(s);
            let mut d = SpanDetail::default();
            fill(&mut sp.payload.iter().flatten(), &mut d);
            if !events.is_empty() {
                let mut ev = SpanDetail {
                    texts_only: d.texts_only,
                    ..SpanDetail::default()
                };
                fill(&mut events.iter(), &mut ev);
                add_events(&mut d, ev);
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

/// What a span's log events say, added to what its own record says: prompt and response
/// where the span has none (instrumentations put them in one place or the other), scores and
/// other events as attributes, and the log records with its raw records.
fn add_events(d: &mut SpanDetail, ev: SpanDetail) {
    if d.messages.is_empty() {
        d.messages = ev.messages;
    }
    if d.response.is_none() {
        d.response = ev.response;
    }
    d.add_attributes(ev.attributes);
    d.raw.extend(ev.raw);
    d.problems.extend(ev.problems);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::testing::otlp_body;
    use crate::ingest::{Options, load_reader};

    #[test]
    fn every_span_of_one_body_costs_one_decode() {
        let mut store = Store::new();
        load_reader(
            &mut store,
            "body",
            otlp_body(1000).as_bytes(),
            Options::default(),
        )
        .expect("read");
        store.refresh();
        let trace = store.trace_ids().next().expect("one trace");
        let spans = store.trace_spans(trace).to_vec();
        assert_eq!(spans.len(), 1000);

        let before = decode_count();
        let all = details_of(&store, &spans);
        assert_eq!(decode_count() - before, 1, "the body is decoded once");

        // span by span, each detail decodes it again, to the same texts
        let before = decode_count();
        for (s, d) in spans.iter().zip(&all).step_by(50) {
            let one = span_detail(&store, *s);
            assert_eq!(one.inputs, d.inputs);
            assert_eq!(one.attributes, d.attributes);
            assert_eq!(one.raw, d.raw);
            assert!(one.problems.is_empty(), "{:?}", one.problems);
        }
        assert_eq!(decode_count() - before, 20);
        let names: Vec<&str> = spans
            .iter()
            .map(|&s| store.str(store.span(s).name))
            .collect();
        for (name, d) in names.iter().zip(&all) {
            let i = name.trim_start_matches("step ");
            assert_eq!(d.inputs.as_deref(), Some(format!("question {i}").as_str()));
        }
    }

    #[test]
    fn a_request_line_is_decoded_once_for_its_root_and_steps() {
        let line = br#"{"trace_id":"t","timestamp":"2026-11-21T05:37:00Z","total_latency_ms":30,"inputs":{"q":"hi"},"steps":[{"step":"a","latency_ms":10,"model":"m","inputs":{"prompt":"P"},"outputs":{"response":"R"}},{"step":"b","latency_ms":20,"error":"boom"}]}"#;
        let mut store = Store::new();
        load_reader(&mut store, "log", &line[..], Options { naive_utc: true }).expect("read");
        store.refresh();
        let trace = store.trace_ids().next().expect("one trace");
        let spans = store.trace_spans(trace).to_vec();
        let before = decode_count();
        let d = details_of(&store, &spans);
        assert_eq!(decode_count() - before, 1);
        assert_eq!(d.len(), 3);
        let by_name = |n: &str| {
            spans
                .iter()
                .position(|&s| store.str(store.span(s).name) == n)
                .map(|i| &d[i])
                .expect("a span of that name")
        };
        assert_eq!(by_name("a").response.as_deref(), Some("R"));
        assert_eq!(by_name("a").messages[0].content, "P");
        assert_eq!(
            by_name("b")
                .error
                .as_ref()
                .and_then(|e| e.message.as_deref()),
            Some("boom")
        );
        assert_eq!(by_name("hi").inputs.as_deref(), Some(r#"{"q":"hi"}"#));
    }

    #[test]
    fn every_attribute_the_tab_shows_is_one_a_filter_reads_in_every_format() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        // the request lines of the samples carry nothing but the spans' own fields and texts
        let sources = [
            ("tests/fixtures/otlp-jsonl", true),
            ("tests/fixtures/otlp-protobuf-litellm", true),
            ("tests/fixtures/mlflow", true),
            ("tests/fixtures/mlflow-otlp", true),
            ("tests/fixtures/dspy-callback-jsonl", true),
            ("tests/fixtures/event-stream-jsonl", true),
            ("tests/fixtures/steps-jsonl", false),
            ("tests/fixtures/simple-jsonl", false),
            ("tests/fixtures/generated/steps-1mb-seed7.jsonl", true),
            ("assets/demo.jsonl", true),
        ];
        for (source, has_attributes) in sources {
            let mut store = Store::new();
            crate::ingest::load_path(&mut store, &root.join(source), Options { naive_utc: true })
                .expect("read");
            let mut shown = 0;
            for t in store.trace_ids().collect::<Vec<_>>() {
                let spans = store.trace_spans(t).to_vec();
                for (s, d) in spans.iter().zip(details_of(&store, &spans)) {
                    assert!(d.problems.is_empty(), "{source}: {:?}", d.problems);
                    let mut kept: Vec<(String, String)> = store
                        .span_attrs(&store.span(*s))
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect();
                    kept.sort();
                    let name = store.str(store.span(*s).name);
                    assert_eq!(
                        kept,
                        crate::ingest::attributes::kept(d.attributes.clone()).to_vec(),
                        "{source}: span {name}"
                    );
                    shown += d.attributes.len();
                }
            }
            assert_eq!(shown > 0, has_attributes, "{source}");
        }
    }

    #[test]
    fn a_record_that_cannot_be_read_back_is_a_problem_of_each_of_its_spans() {
        let mut store = Store::new();
        let dir = std::env::temp_dir().join(format!("spanscope-detail-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("gone.json");
        std::fs::write(&path, otlp_body(3)).expect("write");
        crate::ingest::load_path(&mut store, &path, Options::default()).expect("read");
        std::fs::write(&path, "{}").expect("rewrite");
        store.refresh();
        let spans: Vec<SpanIdx> = store
            .trace(store.trace_ids().next().expect("a trace"))
            .spans
            .to_vec();
        for d in details_of(&store, &spans) {
            assert_eq!(d.problems.len(), 1, "{:?}", d.problems);
            assert!(
                d.problems[0].starts_with("cannot read the record back"),
                "{:?}",
                d.problems
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
