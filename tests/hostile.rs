//! Hostile input in files and streams: every bad record is rejected with a counted reason,
//! memory stays bounded, and every good record around it is indexed. (The receiver's share,
//! bombs, slow clients and lying bodies, is in `tests/http.rs`.)

#![allow(clippy::unwrap_used)]

use spanscope::headless::show;
use spanscope::ingest::{self, sink};
use spanscope::model::{Batch, Store};
use spanscope::text::TimeFmt;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

fn good(id: &str) -> String {
    format!(r#"{{"trace_id":"{id}","timestamp":"2026-11-21T05:37:00Z","total_latency_ms":10}}"#)
}

fn load(bytes: &[u8]) -> Store {
    let mut store = Store::new();
    ingest::load_reader(&mut store, "input", bytes, ingest::Options::default()).unwrap();
    store.refresh();
    assert!(store.accounting().balanced(), "{:?}", store.accounting());
    store
}

fn reasons(store: &Store) -> Vec<(u64, String)> {
    store.sources()[0]
        .rejections
        .iter()
        .map(|r| (r.line, r.reason.clone()))
        .collect()
}

fn has(store: &Store, id: &str) -> bool {
    store.trace_by_id(id).is_some()
}

/// Each line is a different kind of bad; each gets its own reason, and the good lines on
/// either side are indexed.
#[test]
fn malformed_values_are_rejected_with_their_reason() {
    let mut bytes = Vec::new();
    let mut line = |b: &[u8]| {
        bytes.extend_from_slice(b);
        bytes.push(b'\n');
    };
    line(good("first").as_bytes());
    // 100k-deep nesting where a record is read, then in a field nobody reads (skipped
    // without recursion, so that record is kept)
    let nest = |key: &str, id: &str| {
        format!(
            r#"{{"trace_id":"{id}","total_latency_ms":1,"{key}":{}{}}}"#,
            "[".repeat(100_000),
            "]".repeat(100_000)
        )
    };
    line(nest("steps", "deep").as_bytes());
    // invalid UTF-8 in a key, then in a value
    line(b"{\"trace_id\":\"u1\",\"total_latency_ms\":10,\"k\xffey\":1}");
    line(b"{\"trace_id\":\"u2\xfe\",\"total_latency_ms\":10}");
    // a raw NUL inside a string, and a line of NULs (a file padded after a crash)
    line(b"{\"trace_id\":\"n1\",\"total_latency_ms\":10,\"q\":\"a\x00b\"}");
    line(b"\x00\x00\x00\x00\x00\x00");
    // numbers out of range
    line(br#"{"trace_id":"neg","timestamp":"2026-11-21T05:37:00Z","total_latency_ms":-5}"#);
    line(br#"{"trace_id":"y9999","timestamp":"9999-12-31T23:59:59Z","total_latency_ms":5}"#);
    line(br#"{"trace_id":"nan","timestamp":"2026-11-21T05:37:00Z","total_latency_ms":"NaN"}"#);
    line(br#"{"trace_id":"inf","timestamp":"2026-11-21T05:37:00Z","total_latency_ms":1e999}"#);
    line(br#"{"trace_id":"huge","timestamp":"2026-11-21T05:37:00Z","total_latency_ms":1e300}"#);
    line(
        br#"{"trace_id":"stepneg","timestamp":"2026-11-21T05:37:00Z","total_latency_ms":5,"steps":[{"name":"a","latency_ms":-3}]}"#,
    );
    // an escaped NUL is valid JSON: kept, and shown neutralized
    line(
        br#"{"trace_id":"escaped-nul","timestamp":"2026-11-21T05:37:00Z","total_latency_ms":10,"question":"a\u0000b"}"#,
    );
    line(nest("unread", "deep-unread").as_bytes());
    // an OTLP attribute value nested 100k deep
    let value = format!(
        "{}{{\"stringValue\":\"x\"}}{}",
        r#"{"arrayValue":{"values":["#.repeat(100_000),
        "]}}".repeat(100_000)
    );
    let attr = format!(r#"[{{"key":"k","value":{value}}}]"#);
    line(
        otlp_line(&[otlp_span(
            "0af7651916cd43dd8448eb211c80319c",
            "1111111111111111",
            None,
            "deep",
            (0, 1),
        )
        .replace(r#""name""#, &format!(r#""attributes":{attr},"name""#))])
        .trim_end()
        .as_bytes(),
    );
    line(good("last").as_bytes());
    let store = load(&bytes);

    for id in ["first", "escaped-nul", "deep-unread", "last"] {
        assert!(has(&store, id), "{id} was not indexed");
    }
    let got = reasons(&store);
    let ids: Vec<String> = store
        .trace_ids()
        .map(|t| store.trace_id(t).to_string())
        .collect();
    assert_eq!(store.trace_count(), 4, "{ids:?} {got:#?}");
    let want: [(u64, &str); 12] = [
        (2, "wrong type for `steps[0][0]`"),
        (3, "invalid unicode code point"),
        (4, "invalid unicode code point"),
        (5, "control character"),
        (6, "not a JSON object"),
        (7, "total_latency_ms is not a valid duration: -5"),
        (8, "timestamp \"9999-12-31T23:59:59Z\" is out of range"),
        (9, "invalid type: string \"NaN\""),
        (10, "number out of range"),
        (11, "total_latency_ms is longer than a year: 1e300 ms"),
        (12, "steps[].latency_ms is not a valid duration: -3"),
        (
            15,
            "OTLP/JSON: invalid JSON at column 1140: recursion limit exceeded",
        ),
    ];
    assert_eq!(got.len(), want.len(), "{got:#?}");
    for ((line, reason), (wline, wreason)) in got.iter().zip(want) {
        assert_eq!(*line, wline, "{reason}");
        assert!(reason.contains(wreason), "line {line}: {reason:?}");
    }
    assert_eq!(store.sources()[0].rejected, 12);

    // the NUL reaches no output as a control character; the deep record prints
    for id in ["escaped-nul", "deep-unread"] {
        let t = store.trace_by_id(id).unwrap();
        for format in [show::ShowFormat::Text, show::ShowFormat::Markdown] {
            let mut out = Vec::new();
            show::print(
                &store,
                t,
                format,
                TimeFmt { utc: true },
                Default::default(),
                &mut out,
            )
            .unwrap();
            assert!(!out.contains(&0), "{format:?}");
        }
    }
}

fn otlp_span(trace: &str, span: &str, parent: Option<&str>, name: &str, ms: (u64, u64)) -> String {
    let base = 1_795_239_421_000_000_000u64;
    let parent = parent.map_or(String::new(), |p| format!(r#","parentSpanId":"{p}""#));
    format!(
        r#"{{"traceId":"{trace}","spanId":"{span}"{parent},"name":"{name}","startTimeUnixNano":"{}","endTimeUnixNano":"{}"}}"#,
        base + ms.0 * 1_000_000,
        base + ms.1 * 1_000_000
    )
}

fn otlp_line(spans: &[String]) -> String {
    format!(
        r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{}]}}]}}]}}"#,
        spans.join(",")
    ) + "\n"
}

/// Ids of the wrong length are refused span by span; duplicated span ids are counted once
/// each; a span that is its own parent and a parent cycle are shown, detached and marked.
#[test]
fn bad_ids_duplicates_and_cycles() {
    let t = "0af7651916cd43dd8448eb211c80319c";
    let lines = [
        // a short span id beside a good span: only the bad one is refused
        otlp_line(&[
            otlp_span(t, "00f0", None, "short-span-id", (1, 2)),
            otlp_span(t, "1111111111111111", None, "root", (0, 10)),
        ]),
        otlp_line(&[otlp_span(
            "0af7651916cd43dd",
            "2222222222222220",
            None,
            "short-trace-id",
            (1, 2),
        )]),
        otlp_line(&[otlp_span(
            "00000000000000000000000000000000",
            "2222222222222221",
            None,
            "zero-trace-id",
            (1, 2),
        )]),
        otlp_line(&[otlp_span(
            t,
            "2222222222222222",
            Some("1111111111111111"),
            "child",
            (1, 5),
        )]),
        // the same span again, then a different span with the same id
        otlp_line(&[otlp_span(
            t,
            "2222222222222222",
            Some("1111111111111111"),
            "child",
            (1, 5),
        )]),
        otlp_line(&[otlp_span(
            t,
            "2222222222222222",
            Some("1111111111111111"),
            "impostor",
            (1, 7),
        )]),
        otlp_line(&[otlp_span(
            t,
            "3333333333333333",
            Some("3333333333333333"),
            "self-parent",
            (2, 3),
        )]),
        otlp_line(&[
            otlp_span(
                t,
                "4444444444444444",
                Some("5555555555555555"),
                "cycle-a",
                (2, 3),
            ),
            otlp_span(
                t,
                "5555555555555555",
                Some("4444444444444444"),
                "cycle-b",
                (3, 4),
            ),
        ]),
    ];
    let store = load(lines.concat().as_bytes());
    let got = reasons(&store);
    assert_eq!(got.len(), 3, "{got:#?}");
    assert_eq!(got[0].0, 1);
    assert!(
        got[0]
            .1
            .contains(r#"span "short-span-id": invalid span id "00f0" (2 bytes"#)
    );
    assert!(
        got[1]
            .1
            .contains("invalid trace id \"0af7651916cd43dd\" (8 bytes")
    );
    assert!(got[2].1.contains("zero-trace-id"));
    let acc = store.accounting();
    assert_eq!(
        (acc.indexed, acc.duplicates, acc.rejected),
        (5, 2, 3),
        "{acc:?}"
    );

    let t = store.trace_by_id(t).unwrap();
    let mut out = Vec::new();
    show::print(
        &store,
        t,
        show::ShowFormat::Text,
        TimeFmt { utc: true },
        Default::default(),
        &mut out,
    )
    .unwrap();
    let text = String::from_utf8(out).unwrap();
    for name in ["root", "child", "self-parent ⚠", "cycle-a ⚠", "cycle-b"] {
        assert!(text.contains(name), "{name} missing:\n{text}");
    }
    assert!(
        text.contains("2 span(s) name a parent that never arrived"),
        "{text}"
    );
}

/// A million spans in one trace, each the child of the one before (a chain a million deep):
/// indexed, drawn and printed without recursion, in a bounded number of bytes per span.
#[test]
fn a_million_spans_in_one_trace() {
    const N: usize = 1_000_000;
    let mut log = String::with_capacity(N * 150);
    log.push_str(
        r#"{"type":"trace_start","trace_id":"big","name":"huge","started_at":"2026-11-21T05:37:00Z"}"#,
    );
    log.push('\n');
    for i in 0..N {
        let parent = if i == 0 {
            String::new()
        } else {
            format!(r#","parent_span_id":"s{}""#, i - 1)
        };
        log.push_str(&format!(
            r#"{{"type":"span","trace_id":"big","name":"step","latency_ms":1,"metadata":{{"span_id":"s{i}"{parent}}}}}"#
        ));
        log.push('\n');
    }
    let store = load(log.as_bytes());
    // the trace_start is a span of its own, the root
    assert_eq!(store.accounting().indexed, N as u64 + 1);
    assert_eq!(store.sources()[0].rejected, 0);
    // the index, and the log itself (read from memory here, so held for the payloads: 126
    // bytes a span)
    let per_span = store.memory() / N as u64;
    assert!(per_span < 500, "{per_span} bytes per span");
    let t = store.trace_by_id("big").unwrap();
    let wf = spanscope::model::waterfall::Waterfall::new(&store, t);
    assert_eq!(wf.rows.len(), N + 1);
    let mut out = Vec::new();
    show::print(
        &store,
        t,
        show::ShowFormat::Json,
        TimeFmt { utc: true },
        Default::default(),
        &mut out,
    )
    .unwrap();
    assert!(out.len() > N * 50);
}

/// A file of `before` good lines, one line of `len` bytes, and good lines after it.
fn file_with_long_line(dir: &Path, len: usize) -> std::path::PathBuf {
    let path = dir.join("long.jsonl");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    writeln!(f, "{}", good("before")).unwrap();
    let prefix = br#"{"trace_id":"long","total_latency_ms":1,"pad":""#;
    f.write_all(prefix).unwrap();
    let pad = vec![b'x'; 1 << 20];
    let mut left = len - prefix.len() - 2;
    while left > 0 {
        let n = left.min(pad.len());
        f.write_all(&pad[..n]).unwrap();
        left -= n;
    }
    f.write_all(b"\"}\n").unwrap();
    writeln!(f, "{}", good("after")).unwrap();
    f.flush().unwrap();
    path
}

const LONG: usize = 200 << 20;

/// A 200 MB line: `list` rejects it with its length and lists the rest.
#[test]
fn a_200_mb_line_is_rejected_and_the_rest_listed() {
    let dir = tempfile::tempdir().unwrap();
    let path = file_with_long_line(dir.path(), LONG);
    let out = Command::new(env!("CARGO_BIN_EXE_spanscope"))
        .args(["list", "--format", "jsonl"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    assert!(stdout.contains("\"before\"") && stdout.contains("\"after\""));
    assert!(
        stderr.contains("line 2: the line is more than 64 MiB long, over the 64 MiB limit"),
        "{stderr}"
    );
}

/// The peak resident memory of a running process, from /proc.
fn peak_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .unwrap()
        .parse()
        .unwrap();
    kb << 10
}

/// Following a file with a 200 MB line: the line is never held whole (peak memory stays far
/// under its size), and the lines after it arrive.
#[test]
fn a_followed_200_mb_line_is_skipped_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = file_with_long_line(dir.path(), LONG);
    let mut child = Command::new(env!("CARGO_BIN_EXE_spanscope"))
        .args(["list", "--follow", "--format", "jsonl"])
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    while seen.len() < 2 {
        seen.push(lines.next().unwrap().unwrap());
    }
    let peak = peak_rss(child.id());
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(seen[1].contains("\"after\""), "{seen:?}");
    // at most the limit (64 MiB) twice while the read buffer grows, not the line's 200 MiB
    assert!(peak < 170 << 20, "peak RSS {} MiB", peak >> 20);
}

/// The same in the library's follower, with the line growing while it is followed: the
/// rejection is counted once, with its line number, and the lines after it are indexed.
#[test]
fn a_line_growing_past_the_limit_while_followed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("growing.jsonl");
    std::fs::write(
        &path,
        format!("{}\n{{\"trace_id\":\"long\",\"x\":\"", good("a")),
    )
    .unwrap();
    let store = Store::new();
    let (feed, rx) = sink::channel(store.registry());
    let _h = ingest::tail::spawn(
        &feed,
        &[path.display().to_string()],
        true,
        ingest::Options::default(),
    )
    .unwrap();
    let mut store = store;
    until(&mut store, &rx, |s| has(s, "a"));
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    let chunk = vec![b'y'; 16 << 20];
    for _ in 0..6 {
        f.write_all(&chunk).unwrap();
        f.flush().unwrap();
        std::thread::sleep(Duration::from_millis(50));
    }
    writeln!(f, "\"}}\n{}", good("b")).unwrap();
    until(&mut store, &rx, |s| has(s, "b"));
    let src = &store.sources()[0];
    assert_eq!(src.rejected, 1, "{:?}", src.rejections);
    assert_eq!(src.rejections[0].line, 2);
    assert!(src.rejections[0].reason.contains("64 MiB limit"));
    assert_eq!(store.trace_count(), 2);
}

fn until(store: &mut Store, rx: &Receiver<Batch>, done: impl Fn(&Store) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done(store) {
        assert!(Instant::now() < deadline, "{:?}", store.sources());
        if let Ok(b) = rx.recv_timeout(Duration::from_millis(20)) {
            store.apply(b);
            store.refresh();
        }
    }
}

/// A gzip file that inflates past the limit is refused as a bomb, without inflating it all;
/// gzip inside gzip is not inflated again.
#[test]
fn gzip_bombs_and_nested_gzip_in_files() {
    use flate2::{Compression, write::GzEncoder};
    let gz = |data: &[u8]| {
        let mut e = GzEncoder::new(Vec::new(), Compression::best());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    };
    let mut e = GzEncoder::new(Vec::new(), Compression::best());
    let zeros = vec![b' '; 1 << 20];
    for _ in 0..(ingest::MAX_INFLATED >> 20) + 1 {
        e.write_all(&zeros).unwrap();
    }
    let bomb = e.finish().unwrap();
    assert!(bomb.len() < 2 << 20);
    let store = load(&bomb);
    assert_eq!(store.trace_count(), 0);
    assert!(
        reasons(&store)[0]
            .1
            .contains("inflates to more than 1024 MiB")
    );

    let nested = gz(&gz(format!("{}\n", good("inner")).as_bytes()));
    let store = load(&nested);
    assert_eq!(store.trace_count(), 0);
    assert!(reasons(&store)[0].1.contains("gzip inside gzip"));
}

/// The headless printers neutralize escape sequences in trace text too: a prompt with an
/// OSC 52 write, a screen clear and a C1 CSI prints as visible symbols in every format.
#[test]
fn escape_sequences_never_reach_headless_output() {
    let evil = "x\u{1b}]52;c;ZXZpbA==\u{7}\u{1b}[2J\u{9b}31m";
    let line = serde_json::json!({
        "trace_id": "evil", "timestamp": "2026-11-21T05:37:00Z", "total_latency_ms": 1,
        "pipeline": evil,
        "steps": [{"name": evil, "latency_ms": 1, "prompt": evil, "response": evil, "error": evil}],
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("evil.jsonl");
    std::fs::write(&path, format!("{line}\n")).unwrap();
    let runs: [&[&str]; 7] = [
        &["list"],
        &["list", "--format", "csv"],
        &["show", "evil"],
        &["show", "evil", "--format", "markdown"],
        &["stats"],
        &["stats", "--by", "name", "--format", "csv"],
        &["diff", "evil", "evil"],
    ];
    for args in runs {
        let out = Command::new(env!("CARGO_BIN_EXE_spanscope"))
            .args(args)
            .arg(&path)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{9b}') && !text.contains('\u{7}'),
            "{args:?}: {text:?}"
        );
    }
}
