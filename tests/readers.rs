//! The parallel line reader builds the index one thread builds, for every format: the real
//! samples of each format (`tests/fixtures/`, the shared samples as the project keeps them),
//! documents and protobuf bodies written as JSON lines, the export format, and all of them
//! mixed in one log with bad, blank and truncated lines. Each log is read by several threads in
//! blocks smaller than a line, after a first part read apart (a sniffed head), and the index
//! must be the same: traces, spans (payload references included), sources and rejections.

#![allow(clippy::unwrap_used)]

use spanscope::ingest::parallel::{Blobs, End, Lines, Position};
use spanscope::ingest::{self, Ctx, Options, Sink};
use spanscope::model::{Blob, SpanIdx, Store};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn files(dir: &str, ext: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(fixtures().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == ext) && !p.to_string_lossy().ends_with(".meta.json")
        })
        .collect();
    out.sort();
    out
}

/// The lines of a JSON lines file.
fn lines_of(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

/// JSON documents (OTLP/JSON, MLflow traces), one line each.
fn documents(dir: &str) -> Vec<String> {
    files(dir, "json")
        .iter()
        .map(|p| {
            let v: serde_json::Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
            v.to_string()
        })
        .collect()
}

/// Protobuf bodies, as OTLP/JSON lines.
fn bodies(dir: &str) -> Vec<String> {
    files(dir, "bin")
        .iter()
        .map(|p| {
            let req = ingest::otlp::read_proto(&std::fs::read(p).unwrap()).unwrap();
            serde_json::to_string(&req).unwrap()
        })
        .collect()
}

/// The export format: the steps sample exported by the binary.
fn exported() -> Vec<String> {
    let src = fixtures().join("steps-jsonl/requests_with_steps.jsonl");
    let out = Command::new(env!("CARGO_BIN_EXE_spanscope"))
        .arg("export")
        .arg(&src)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// Every format's lines, by name.
fn logs() -> Vec<(&'static str, Vec<String>)> {
    let logs = vec![
        (
            "otlp-jsonl",
            lines_of(&fixtures().join("otlp-jsonl/otlp.jsonl")),
        ),
        ("otlp-json documents", documents("otlp-json")),
        (
            "otlp-json-converted documents",
            documents("otlp-json-converted"),
        ),
        ("otlp-protobuf bodies", bodies("otlp-protobuf")),
        ("mlflow-otlp bodies", bodies("mlflow-otlp")),
        ("mlflow documents", documents("mlflow")),
        (
            "dspy-callback-jsonl",
            lines_of(&fixtures().join("dspy-callback-jsonl/events.jsonl")),
        ),
        (
            "dspy-callback-jsonl conversations",
            lines_of(&fixtures().join("conversations/dspy-history.jsonl")),
        ),
        (
            "event-stream-jsonl",
            lines_of(&fixtures().join("event-stream-jsonl/events.jsonl")),
        ),
        (
            "steps-jsonl",
            lines_of(&fixtures().join("steps-jsonl/requests_with_steps.jsonl")),
        ),
        (
            "simple-jsonl",
            lines_of(&fixtures().join("simple-jsonl/requests.jsonl")),
        ),
        (
            "generated steps",
            lines_of(&fixtures().join("generated/steps-1mb-seed7.jsonl")),
        ),
        ("export", exported()),
    ];
    for (name, lines) in &logs {
        assert!(!lines.is_empty(), "{name}");
    }
    logs
}

/// Every format's lines in one log, taken in turn, with a bad line, a blank line and a
/// truncated last line.
fn mixed(logs: &[(&str, Vec<String>)]) -> Vec<u8> {
    let longest = logs.iter().map(|(_, l)| l.len()).max().unwrap_or(0);
    let mut out = Vec::new();
    for i in 0..longest {
        for (_, lines) in logs {
            if let Some(l) = lines.get(i) {
                out.push(l.as_str());
            }
        }
        match i {
            3 => out.push(r#"{"trace_id": "broken", "total_latency_ms": "#),
            5 => out.push(""),
            _ => {}
        }
    }
    let mut text = out.join("\n");
    text.push_str("\n{\"resourceSpans\": [{\"scopeSp");
    text.into_bytes()
}

/// Everything an index holds, in index order (ids are handed out in insertion order, so
/// equal stores print equal), payload references included.
fn dump(s: &Store) -> Vec<String> {
    let mut out: Vec<String> = s.trace_ids().map(|t| format!("{:?}", s.trace(t))).collect();
    out.extend(
        (0..s.span_count()).map(|i| format!("{:?}", s.span(SpanIdx(u32::try_from(i).unwrap())))),
    );
    out.extend(s.sources().iter().map(|src| format!("{src:?}")));
    out
}

fn opts() -> Options {
    Options { naive_utc: true }
}

/// The reference: the line loop over the whole log, on this thread.
fn one_thread(bytes: &[u8]) -> Store {
    let mut s = Store::new();
    let src = Sink::add_source(&mut s, "log");
    let blob = Sink::add_blob(&mut s, Blob::Memory(Arc::new(bytes.to_vec())));
    s.count(src, 0, bytes.len() as u64);
    let ctx = Ctx { blob, opts: opts() };
    ingest::load_lines(&mut s, src, bytes, 0, 0, &ctx);
    s.refresh();
    s
}

/// The parallel reader: `threads` threads, blocks of `block` bytes, the first `head` bytes
/// handed over as already read.
fn parallel(bytes: &[u8], threads: usize, block: usize, head: usize) -> Store {
    let mut s = Store::new();
    let src = Sink::add_source(&mut s, "log");
    let blob = Sink::add_blob(&mut s, Blob::Memory(Arc::new(bytes.to_vec())));
    let mut rest = &bytes[head..];
    let mut pos = Position {
        partial: bytes[..head].to_vec(),
        ..Position::default()
    };
    Lines {
        opts: opts(),
        blobs: Blobs::In(blob),
        threads,
        block,
        eager: false,
    }
    .read(&mut s, src, &mut rest, &mut pos, End::Parse)
    .unwrap();
    assert_eq!(pos.offset, bytes.len() as u64);
    s.refresh();
    s
}

fn same_index(bytes: &[u8], what: &str) {
    let want = dump(&one_thread(bytes));
    for (threads, block, head) in [(2, 64 << 10, 0), (3, 1000, 10), (2, 4096, 777)] {
        let got = dump(&parallel(bytes, threads, block, head.min(bytes.len())));
        assert_eq!(
            got.len(),
            want.len(),
            "{what}: {threads} threads, {block} B blocks"
        );
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g, w, "{what}: {threads} threads, {block} B blocks");
        }
    }
}

#[test]
fn every_format_is_indexed_alike_by_one_thread_and_by_many() {
    let logs = logs();
    for (name, lines) in &logs {
        let mut bytes = lines.join("\n").into_bytes();
        bytes.push(b'\n');
        let store = one_thread(&bytes);
        assert!(store.trace_count() > 0, "{name}: {:?}", store.sources());
        assert_eq!(
            store.sources()[0].rejected,
            0,
            "{name}: {:?}",
            store.sources()
        );
        same_index(&bytes, name);
        if name.ends_with("conversations") {
            // the index holds them (the dumps compare each trace's session)
            let sessions: std::collections::BTreeSet<_> = store
                .trace_ids()
                .filter_map(|t| store.summary(t).session)
                .collect();
            assert_eq!(sessions.len(), 2, "{name}");
        }
    }
    let bytes = mixed(&logs);
    let store = one_thread(&bytes);
    assert_eq!(store.sources()[0].rejected, 2, "{:?}", store.sources());
    same_index(&bytes, "every format in one log");
}

/// An Evaluate of 300 examples as the DSPy writer logs it: each example's run, then the
/// Evaluate's end line naming each run's trace and score (a third of them failed), then the
/// runs of a second Evaluate that scores them again higher (the lowest stays).
fn evaluation_lines() -> Vec<String> {
    let mut out = Vec::new();
    let mut results = Vec::new();
    for i in 0..300 {
        let (start, end) = (1_000 + i * 10, 1_005 + i * 10);
        for (phase, ts) in [("start", start), ("end", end)] {
            out.push(format!(
                r#"{{"v":1,"event":"module_{phase}","kind":"module","phase":"{phase}","call_id":"run{i}","parent_call_id":"ev","root_call_id":"run{i}","evaluate_call_id":"ev","ts_unix_ns":{ts},"instance":{{"class":"Predict"}},"inputs":{{"args":[],"kwargs":{{"question":"q{i}"}}}},"outputs":{{"answer":"a{i}"}}}}"#
            ));
        }
        results.push(format!(
            r#"{{"example":{i},"root_call_id":"run{i}","score":{}}}"#,
            i % 3 != 0
        ));
    }
    out.insert(
        0,
        r#"{"v":1,"event":"evaluate_start","kind":"evaluate","phase":"start","call_id":"ev","root_call_id":"ev","ts_unix_ns":900}"#.to_string(),
    );
    out.push(format!(
        r#"{{"v":1,"event":"evaluate_end","kind":"evaluate","phase":"end","call_id":"ev","root_call_id":"ev","ts_unix_ns":9000,"outputs":{{"score":66.7,"metric":"exact","results":[{}]}}}}"#,
        results.join(",")
    ));
    out.push(format!(
        r#"{{"v":1,"event":"evaluate_end","kind":"evaluate","phase":"end","call_id":"ev2","root_call_id":"ev2","ts_unix_ns":9100,"outputs":{{"score":100,"metric":"lenient","results":[{}]}}}}"#,
        (0..300)
            .map(|i| format!(r#"{{"example":{i},"root_call_id":"run{i}","score":0.5}}"#))
            .collect::<Vec<_>>()
            .join(",")
    ));
    out
}

#[test]
fn scores_are_indexed_alike_by_one_thread_and_by_many() {
    let mut bytes = evaluation_lines().join("\n").into_bytes();
    bytes.push(b'\n');
    let store = one_thread(&bytes);
    assert_eq!(store.sources()[0].rejected, 0, "{:?}", store.sources());
    let scores: Vec<f64> = store
        .trace_ids()
        .filter_map(|t| store.summary(t).score)
        .map(|s| s.value)
        .collect();
    assert_eq!(scores.len(), 300);
    assert_eq!(scores.iter().filter(|&&v| v == 0.0).count(), 100);
    assert_eq!(
        scores.iter().filter(|&&v| v == 0.5).count(),
        200,
        "the lowest stays"
    );
    same_index(&bytes, "an evaluation");
}
