//! The OTLP/HTTP receiver over loopback: the captured bodies are POSTed with their recorded
//! content type and encoding, and the index equals the one read from the same files on disk;
//! refusals (413, 415, 400, a gzip bomb) leave earlier data intact; `record` keeps a session
//! that `list` replays to the same index.

#![allow(clippy::unwrap_used)]

use serde_json::Value;
use spanscope::headless::list;
use spanscope::ingest::spool::{self, Spool, SpoolDir};
use spanscope::ingest::{self, http, sink};
use spanscope::model::{Batch, Store};
use spanscope::text::TimeFmt;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

const CAPTURES: [&str; 4] = [
    "otlp-protobuf",
    "otlp-protobuf-gzip",
    "otlp-json",
    "mlflow-otlp",
];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// A captured request: its body and recorded headers.
struct Capture {
    body: Vec<u8>,
    content_type: String,
    content_encoding: Option<String>,
}

fn captures(dir: &str) -> Vec<Capture> {
    let dir = fixtures().join(dir);
    let mut metas: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_str().unwrap().ends_with(".meta.json"))
        .collect();
    metas.sort();
    metas
        .iter()
        .map(|m| {
            let meta: Value = serde_json::from_slice(&std::fs::read(m).unwrap()).unwrap();
            Capture {
                body: std::fs::read(dir.join(meta["body_file"].as_str().unwrap())).unwrap(),
                content_type: meta["content_type"].as_str().unwrap().to_string(),
                content_encoding: meta["content_encoding"].as_str().map(str::to_string),
            }
        })
        .collect()
}

/// A plain HTTP/1.1 exchange: (status, headers lowercased, body).
fn post(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut req = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut r = BufReader::new(s);
    let mut status = String::new();
    r.read_line(&mut status).unwrap();
    let code: u16 = status.split_whitespace().nth(1).unwrap().parse().unwrap();
    let mut hs = Vec::new();
    loop {
        let mut l = String::new();
        r.read_line(&mut l).unwrap();
        let l = l.trim_end();
        if l.is_empty() {
            break;
        }
        let (k, v) = l.split_once(':').unwrap();
        hs.push((k.to_ascii_lowercase(), v.trim().to_string()));
    }
    let mut body = Vec::new();
    r.read_to_end(&mut body).unwrap();
    (code, hs, body)
}

fn send(addr: SocketAddr, c: &Capture) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut h = vec![("Content-Type", c.content_type.as_str())];
    if let Some(e) = &c.content_encoding {
        h.push(("Content-Encoding", e.as_str()));
    }
    post(addr, "/v1/traces", &h, &c.body)
}

fn header<'a>(hs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    hs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// A receiver on a loopback port, the store it feeds (this test owns it), and where it keeps
/// what it accepts.
struct Live {
    r: http::Receiver,
    store: Store,
    rx: Receiver<Batch>,
    _kept: Option<(SpoolDir, tempfile::TempDir)>,
}

/// A receiver on a free loopback port, keeping what it accepts in a spool of its own.
fn receiver(max_body: usize) -> Live {
    receiver_with_backlog(max_body, sink::BACKLOG)
}

fn receiver_with_backlog(max_body: usize, backlog: usize) -> Live {
    let mut cfg = http::Config::new("127.0.0.1:0".parse().unwrap());
    cfg.max_body = max_body;
    // a full queue answers at once
    cfg.patience = Duration::ZERO;
    cfg.opts = ingest::Options { naive_utc: true };
    receiver_with(cfg, backlog, None)
}

/// A receiver with `cfg`, keeping what it accepts in the record file `record`, or else in a
/// private spool.
fn receiver_with(cfg: http::Config, backlog: usize, record: Option<&Path>) -> Live {
    let store = Store::new();
    let (feed, rx) = sink::channel_with_backlog(store.registry(), backlog);
    let (spool, kept) = match record {
        Some(path) => (Spool::record(store.registry(), path).unwrap(), None),
        None => {
            let root = tempfile::tempdir().unwrap();
            let dir = SpoolDir::create(root.path(), false).unwrap();
            let spool = Spool::private(store.registry(), &dir, spool::DEFAULT_MAX);
            (spool, Some((dir, root)))
        }
    };
    let r = http::start(&feed.with_spool(spool), cfg).unwrap();
    Live {
        r,
        store,
        rx,
        _kept: kept,
    }
}

fn drain(store: &mut Store, rx: &Receiver<Batch>) {
    while let Ok(b) = rx.recv_timeout(Duration::from_millis(100)) {
        store.apply(b);
    }
    store.refresh();
}

/// The index as `list --format jsonl` prints it, in start order.
fn listing(store: &Store) -> String {
    let mut traces = spanscope::query::filter(store, &spanscope::query::Query::default());
    spanscope::query::sort(store, &mut traces, spanscope::query::SortKey::Start, false);
    let mut out = Vec::new();
    list::print(
        store,
        &traces,
        list::ListFormat::Jsonl,
        TimeFmt { utc: true },
        spanscope::headless::Paint::default(),
        &mut out,
    )
    .unwrap();
    String::from_utf8(out).unwrap()
}

fn from_disk(dir: &str) -> Store {
    let mut s = Store::new();
    ingest::load_path(
        &mut s,
        &fixtures().join(dir),
        ingest::Options { naive_utc: true },
    )
    .unwrap();
    s.refresh();
    s
}

#[test]
fn every_captured_body_indexes_as_from_disk() {
    for dir in CAPTURES {
        let Live {
            r,
            mut store,
            rx,
            _kept,
        } = receiver(http::DEFAULT_MAX_BODY);
        for c in captures(dir) {
            let (code, hs, body) = send(r.addr, &c);
            assert_eq!(code, 200, "{dir}: {}", String::from_utf8_lossy(&body));
            // the answer is in the request's encoding
            assert_eq!(header(&hs, "content-type"), Some(c.content_type.as_str()));
            if c.content_type.contains("json") {
                assert_eq!(body, b"{}");
            } else {
                assert!(body.is_empty(), "an empty ExportTraceServiceResponse");
            }
        }
        drain(&mut store, &rx);
        let disk = from_disk(dir);
        assert!(disk.trace_count() > 0);
        assert_eq!(listing(&store), listing(&disk), "{dir}");
        // payloads read back from the request bodies
        let t = store
            .trace(store.trace_ids().next().unwrap())
            .summary
            .root
            .unwrap();
        let d = ingest::detail::span_detail(&store, t);
        assert!(d.problems.is_empty(), "{dir}: {:?}", d.problems);
        let src = &store.sources()[0];
        assert_eq!(src.state, "listening");
        assert_eq!(src.requests, captures(dir).len() as u64);
        assert_eq!(src.rejected, 0);
        r.stop().unwrap();
    }
}

#[test]
fn refusals_get_their_status_and_keep_earlier_data() {
    let Live {
        r,
        mut store,
        rx,
        _kept,
    } = receiver(64 << 10);
    let good = &captures("otlp-protobuf")[0];
    assert_eq!(send(r.addr, good).0, 200);

    // 415: not an OTLP content type, or an unknown encoding
    let (code, _, _) = post(
        r.addr,
        "/v1/traces",
        &[("Content-Type", "text/plain")],
        b"x",
    );
    assert_eq!(code, 415);
    let (code, _, _) = post(
        r.addr,
        "/v1/traces",
        &[
            ("Content-Type", "application/x-protobuf"),
            ("Content-Encoding", "br"),
        ],
        &good.body,
    );
    assert_eq!(code, 415);

    // 400: a body that does not decode, with a google.rpc.Status in JSON for a JSON request
    let (code, _, body) = post(
        r.addr,
        "/v1/traces",
        &[("Content-Type", "application/json")],
        b"{\"resourceSpans\": 7}",
    );
    assert_eq!(code, 400);
    let status: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(status["code"], 3);
    assert!(
        status["message"]
            .as_str()
            .unwrap()
            .contains("resourceSpans")
    );
    let (code, _, _) = post(
        r.addr,
        "/v1/traces",
        &[("Content-Type", "application/x-protobuf")],
        b"\xff\xff\xff garbage",
    );
    assert_eq!(code, 400);

    // 413: over the limit as sent, and a small gzip body that inflates past it
    let big = vec![b' '; 100 << 10];
    let (code, _, _) = post(
        r.addr,
        "/v1/traces",
        &[("Content-Type", "application/json")],
        &big,
    );
    assert_eq!(code, 413);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&vec![0u8; 10 << 20]).unwrap();
    let bomb = gz.finish().unwrap();
    assert!(bomb.len() < 64 << 10);
    let (code, _, _) = post(
        r.addr,
        "/v1/traces",
        &[
            ("Content-Type", "application/x-protobuf"),
            ("Content-Encoding", "gzip"),
        ],
        &bomb,
    );
    assert_eq!(code, 413);

    // the first request is intact, and every refusal is counted with its reason
    assert_eq!(send(r.addr, &captures("otlp-protobuf")[3]).0, 200);
    drain(&mut store, &rx);
    let mut disk = Store::new();
    let dir = fixtures().join("otlp-protobuf");
    for f in ["001.bin", "004.bin"] {
        ingest::load_path(&mut disk, &dir.join(f), ingest::Options { naive_utc: true }).unwrap();
    }
    disk.refresh();
    assert_eq!(listing(&store), listing(&disk));
    let src = &store.sources()[0];
    assert_eq!(src.requests, 8);
    assert_eq!(src.rejected, 6);
    assert!(src.rejections.iter().any(|r| r.reason.contains("HTTP 413")));
    r.stop().unwrap();
}

#[test]
fn spans_without_ids_are_a_partial_success() {
    let Live {
        r,
        mut store,
        rx,
        _kept,
    } = receiver(http::DEFAULT_MAX_BODY);
    let body = br#"{"resourceSpans":[{"scopeSpans":[{"spans":[
        {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"ok","startTimeUnixNano":"1","endTimeUnixNano":"2"},
        {"traceId":"","spanId":"","name":"no ids","startTimeUnixNano":"1","endTimeUnixNano":"2"}]}]}]}"#;
    let (code, _, resp) = post(
        r.addr,
        "/v1/traces",
        &[("Content-Type", "application/json")],
        body,
    );
    assert_eq!(code, 200);
    let v: Value = serde_json::from_slice(&resp).unwrap();
    assert_eq!(v["partialSuccess"]["rejectedSpans"], "1");
    drain(&mut store, &rx);
    assert_eq!(store.span_count(), 1);
    r.stop().unwrap();
}

#[test]
fn jsonl_bodies_and_health() {
    let Live {
        r,
        mut store,
        rx,
        _kept,
    } = receiver(http::DEFAULT_MAX_BODY);
    let lines = std::fs::read(fixtures().join("simple-jsonl/requests.jsonl")).unwrap();
    let mut body = lines.clone();
    body.extend_from_slice(b"{not json\n");
    let (code, _, resp) = post(
        r.addr,
        "/v1/jsonl",
        &[("Content-Type", "application/x-ndjson")],
        &body,
    );
    assert_eq!(code, 200);
    let v: Value = serde_json::from_slice(&resp).unwrap();
    let n = lines.iter().filter(|&&b| b == b'\n').count() as u64;
    assert_eq!(v["accepted"], n);
    assert_eq!(v["rejected"], 1);
    assert_eq!(v["errors"][0]["line"], n + 1);

    let mut s = TcpStream::connect(r.addr).unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");

    drain(&mut store, &rx);
    assert_eq!(listing(&store), listing(&from_disk("simple-jsonl")));
    r.stop().unwrap();
}

/// `spanscope record` in its own process: every capture goes in, SIGTERM ends it with an
/// accounting that balances (its index keeps 3 traces, the file keeps everything), and `list`
/// of the recorded file equals `list` of the captures.
#[test]
fn record_then_replay() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("session.jsonl");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_spanscope"))
        .args(["record", "--listen", "127.0.0.1:0", "--naive-utc"])
        .args(["--max-traces", "3", "--out"])
        .arg(&out)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    err.read_line(&mut first).unwrap();
    let addr: SocketAddr = first
        .split("http://")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap()
        .parse()
        .unwrap();
    let mut expected = Store::new();
    for d in CAPTURES {
        for c in captures(d) {
            assert_eq!(send(addr, &c).0, 200);
        }
        ingest::load_path(
            &mut expected,
            &fixtures().join(d),
            ingest::Options { naive_utc: true },
        )
        .unwrap();
    }
    expected.refresh();
    let lines = std::fs::read(fixtures().join("simple-jsonl/requests.jsonl")).unwrap();
    assert_eq!(post(addr, "/v1/jsonl", &[], &lines).0, 200);
    ingest::load_path(
        &mut expected,
        &fixtures().join("simple-jsonl"),
        ingest::Options { naive_utc: true },
    )
    .unwrap();
    expected.refresh();

    let deadline = Instant::now() + Duration::from_secs(10);
    // SIGTERM, as a service manager would send it
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "record did not stop");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(child.wait().unwrap().success());
    let mut summary = String::new();
    err.read_to_string(&mut summary).unwrap();
    assert!(summary.contains("0 rejected"), "{summary}");
    assert!(summary.contains("14 request(s) recorded"), "{summary}");
    let acc = accounting(&summary);
    let (received, indexed, merged, dup, evicted, rejected, held, gone) = acc;
    assert_eq!(
        received,
        indexed + merged + dup + evicted + rejected,
        "{summary}"
    );
    assert_eq!(held, 3, "{summary}");
    // a trace whose spans came in several requests may have been evicted in between and
    // started again
    assert!(held + gone >= expected.trace_count() as u64, "{summary}");
    // the same span records as the captures hold (copies of an evicted span count again)
    assert_eq!(received, expected.accounting().received, "{summary}");
    assert!(evicted > 0 && rejected == 0, "{summary}");

    let mut replay = Store::new();
    ingest::load_path(&mut replay, &out, ingest::Options { naive_utc: true }).unwrap();
    replay.refresh();
    assert_eq!(replay.sources()[0].rejected, 0);
    assert_eq!(listing(&replay), listing(&expected));
}

/// The numbers of the accounting line: received, indexed, merged, duplicate, evicted,
/// rejected, traces held, traces evicted.
fn accounting(summary: &str) -> (u64, u64, u64, u64, u64, u64, u64, u64) {
    let line = summary
        .lines()
        .find(|l| l.contains("received ="))
        .unwrap_or_else(|| panic!("no accounting in {summary}"));
    let n: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|w| !w.is_empty())
        .map(|w| w.parse().unwrap())
        .collect();
    assert_eq!(n.len(), 8, "{line}");
    (n[0], n[1], n[2], n[3], n[4], n[5], n[6], n[7])
}

/// When the index falls behind, requests are refused whole with 503 and Retry-After; retried
/// later they are indexed once: nothing lost, nothing twice.
#[test]
fn a_full_queue_answers_busy_and_retries_lose_nothing() {
    let backlog = 50;
    let Live {
        r,
        mut store,
        rx,
        _kept,
    } = receiver_with_backlog(http::DEFAULT_MAX_BODY, backlog);
    let body = |i: usize| {
        format!(
            r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"traceId":"{i:032x}","spanId":"{i:016x}","name":"s{i}","startTimeUnixNano":"1000","endTimeUnixNano":"2000"}}]}}]}}]}}"#
        )
    };
    let json = [("Content-Type", "application/json")];
    let n = backlog + 10;
    let mut busy = Vec::new();
    for i in 1..=n {
        let (code, hs, _) = post(r.addr, "/v1/traces", &json, body(i).as_bytes());
        match code {
            200 => {}
            503 => {
                assert_eq!(header(&hs, "retry-after"), Some("1"));
                busy.push(i);
            }
            other => panic!("status {other}"),
        }
    }
    assert_eq!(busy.len(), 10, "the queue holds {backlog} spans");
    drain(&mut store, &rx);
    for &i in &busy {
        assert_eq!(post(r.addr, "/v1/traces", &json, body(i).as_bytes()).0, 200);
    }
    drain(&mut store, &rx);
    assert_eq!(store.trace_count(), n);
    assert_eq!(store.sources()[0].duplicates, 0);
    assert_eq!(
        r.counters.busy.load(std::sync::atomic::Ordering::Relaxed),
        busy.len() as u64
    );
    r.stop().unwrap();
}

/// One span of its own trace, as an OTLP/JSON body.
fn one_span(i: usize) -> String {
    format!(
        r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"traceId":"{i:032x}","spanId":"{i:016x}","name":"s{i}","startTimeUnixNano":"1000","endTimeUnixNano":"2000"}}]}}]}}]}}"#
    )
}

/// While the index is behind, a request waits for it (up to the receiver's patience) and is
/// taken once it catches up: a burst the index absorbs is never answered 503.
#[test]
fn a_request_waits_for_a_busy_index_instead_of_being_refused() {
    let backlog = 5;
    let mut cfg = http::Config::new("127.0.0.1:0".parse().unwrap());
    cfg.opts = ingest::Options { naive_utc: true };
    cfg.patience = Duration::from_secs(60);
    let Live {
        r,
        mut store,
        rx,
        _kept,
    } = receiver_with(cfg, backlog, None);
    let json = [("Content-Type", "application/json")];
    for i in 1..=backlog {
        assert_eq!(
            post(r.addr, "/v1/traces", &json, one_span(i).as_bytes()).0,
            200
        );
    }
    let addr = r.addr;
    let waiting =
        std::thread::spawn(move || post(addr, "/v1/traces", &json, one_span(6).as_bytes()).0);
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        !waiting.is_finished(),
        "the queue is full: the request waits"
    );
    drain(&mut store, &rx);
    assert_eq!(waiting.join().unwrap(), 200);
    drain(&mut store, &rx);
    assert_eq!(store.trace_count(), backlog + 1);
    assert_eq!(
        r.counters.busy.load(std::sync::atomic::Ordering::Relaxed),
        0,
        "nothing was refused"
    );
    r.stop().unwrap();
}

/// A receiver with `cfg`'s settings on a free loopback port.
fn receiver_cfg(f: impl FnOnce(&mut http::Config)) -> Live {
    let mut cfg = http::Config::new("127.0.0.1:0".parse().unwrap());
    cfg.opts = ingest::Options { naive_utc: true };
    f(&mut cfg);
    receiver_with(cfg, sink::BACKLOG, None)
}

/// With --token, every route answers 401 without the right Bearer token (the body is not
/// read), and the token opens them.
#[test]
fn a_token_is_required_on_every_request() {
    let Live {
        r,
        mut store,
        rx,
        _kept,
    } = receiver_cfg(|c| c.token = Some("s3cret-token".into()));
    let c = &captures("otlp-protobuf")[0];
    let ct = ("Content-Type", c.content_type.as_str());
    for auth in [
        None,
        Some("Bearer wrong"),
        Some("Basic s3cret-token"),
        Some("Bearer s3cret-tokenX"),
    ] {
        let mut h = vec![ct];
        if let Some(a) = auth {
            h.push(("Authorization", a));
        }
        let (code, hs, body) = post(r.addr, "/v1/traces", &h, &c.body);
        assert_eq!(code, 401, "{auth:?}");
        assert_eq!(
            header(&hs, "www-authenticate"),
            Some("Bearer realm=\"spanscope\"")
        );
        assert!(String::from_utf8_lossy(&body).contains("requires a token"));
    }
    let (code, _, _) = post(r.addr, "/v1/jsonl", &[], b"{}");
    assert_eq!(code, 401);
    let (code, _, _) = post(
        r.addr,
        "/v1/traces",
        &[ct, ("Authorization", "bearer  s3cret-token ")],
        &c.body,
    );
    assert_eq!(code, 200);
    drain(&mut store, &rx);
    assert_eq!(
        r.counters
            .unauthorized
            .load(std::sync::atomic::Ordering::Relaxed),
        5
    );
    let src = &store.sources()[0];
    assert_eq!(src.rejected, 5);
    assert!(
        src.rejections[0]
            .reason
            .contains("HTTP 401: no `Authorization: Bearer` token")
    );
    assert!(src.rejections[1].reason.contains("HTTP 401: a wrong token"));
    assert!(store.trace_count() > 0);
    r.stop().unwrap();
}

/// Raw bytes on a fresh connection; returns what the server answered before closing (or
/// before `wait` passed).
fn raw(addr: SocketAddr, chunks: &[(&[u8], Duration)], wait: Duration) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(wait)).unwrap();
    for (bytes, pause) in chunks {
        // the server may already have closed: what it answered is what counts
        if s.write_all(bytes).is_err() {
            break;
        }
        std::thread::sleep(*pause);
    }
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// A client that sends one byte a second is cut off: after the head timeout while sending
/// its head, with 408 after the body timeout while sending its body. The receiver serves
/// others meanwhile.
#[test]
fn slow_clients_are_cut_off() {
    let Live {
        r,
        mut store,
        rx,
        _kept,
    } = receiver_cfg(|c| {
        c.header_timeout = Duration::from_secs(1);
        c.body_timeout = Duration::from_secs(1);
    });
    let addr = r.addr;
    let slow_head = std::thread::spawn(move || {
        let start = Instant::now();
        let bytes = b"POST /v1/traces HTTP/1.1\r\nHost: x\r\n";
        let chunks: Vec<(&[u8], Duration)> = bytes
            .chunks(1)
            .map(|b| (b, Duration::from_millis(300)))
            .collect();
        let answer = raw(addr, &chunks, Duration::from_secs(20));
        (answer, start.elapsed())
    });
    let slow_body = std::thread::spawn(move || {
        let head = b"POST /v1/jsonl HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n";
        let mut chunks: Vec<(&[u8], Duration)> = vec![(head, Duration::ZERO)];
        chunks.extend(std::iter::repeat_n(
            (&b"{"[..], Duration::from_millis(300)),
            10,
        ));
        raw(addr, &chunks, Duration::from_secs(20))
    });
    // meanwhile, a normal client is served
    assert_eq!(send(addr, &captures("otlp-protobuf")[0]).0, 200);
    let (answer, took) = slow_head.join().unwrap();
    assert!(!answer.contains("200 OK"), "{answer}");
    assert!(
        took < Duration::from_secs(8),
        "the slow head was not cut off: {took:?}"
    );
    let answer = slow_body.join().unwrap();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("did not arrive within 1s"), "{answer}");
    drain(&mut store, &rx);
    assert_eq!(
        r.counters
            .timed_out
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );
    assert!(
        store.sources()[0]
            .rejections
            .iter()
            .any(|r| r.reason.contains("HTTP 408"))
    );
    r.stop().unwrap();
}

/// A body shorter than its Content-Length (the client gives up) is refused; a body longer
/// than it leaves garbage that is refused as a bad request; neither disturbs the next client.
#[test]
fn bodies_that_lie_about_their_length() {
    let Live {
        r,
        mut store,
        rx,
        _kept,
    } = receiver_cfg(|_| {});
    let line = std::fs::read(fixtures().join("simple-jsonl/requests.jsonl")).unwrap();
    // claims 1000 bytes, sends 10, and closes its side
    let mut s = TcpStream::connect(r.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(b"POST /v1/jsonl HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n0123456789")
        .unwrap();
    s.shutdown(std::net::Shutdown::Write).unwrap();
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 400"),
        "{answer}"
    );
    // claims 5 bytes, sends a whole body: the 5 are not JSON lines, the rest is not HTTP
    let head = "POST /v1/jsonl HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n".to_string();
    let answer = raw(
        r.addr,
        &[(head.as_bytes(), Duration::ZERO), (&line, Duration::ZERO)],
        Duration::from_secs(5),
    );
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(!answer.contains("HTTP/1.1 200"), "{answer}");
    // the next client is served, and nothing of the liars was indexed
    assert_eq!(post(r.addr, "/v1/jsonl", &[], &line).0, 200);
    drain(&mut store, &rx);
    let mut disk = Store::new();
    ingest::load_path(
        &mut disk,
        &fixtures().join("simple-jsonl"),
        ingest::Options { naive_utc: true },
    )
    .unwrap();
    disk.refresh();
    assert_eq!(listing(&store), listing(&disk));
    r.stop().unwrap();
}

/// No request names a file: paths other than the three routes are 404, and a body that is a
/// path is refused as what it is, not read.
#[test]
fn no_request_reads_or_writes_a_path() {
    let Live {
        r,
        mut store,
        rx,
        _kept,
    } = receiver_cfg(|_| {});
    for path in [
        "/v1/traces/../../etc/passwd",
        "/etc/passwd",
        "/v1/jsonl?file=/etc/passwd",
    ] {
        let (code, _, _) = post(r.addr, path, &[], b"{}");
        assert!(code == 404 || code == 400, "{path}: {code}");
    }
    let (code, _, body) = post(r.addr, "/v1/jsonl", &[], b"/etc/passwd\n");
    assert_eq!(code, 400);
    assert!(String::from_utf8_lossy(&body).contains("not a JSON object"));
    let (code, _, _) = post(
        r.addr,
        "/v1/traces",
        &[("Content-Type", "application/json")],
        br#"{"resourceSpans":"/etc/passwd"}"#,
    );
    assert_eq!(code, 400);
    drain(&mut store, &rx);
    assert_eq!(store.trace_count(), 0);
    r.stop().unwrap();
}

/// Recording to a full disk: each request is refused with 503 (the client retries), nothing
/// is indexed that the file does not hold, and the failure is counted and shown.
#[test]
fn a_full_disk_refuses_requests_instead_of_losing_them() {
    let mut cfg = http::Config::new("127.0.0.1:0".parse().unwrap());
    cfg.opts = ingest::Options { naive_utc: true };
    let Live {
        r,
        mut store,
        rx,
        _kept,
    } = receiver_with(cfg, sink::BACKLOG, Some(Path::new("/dev/full")));
    let (code, hs, body) = send(r.addr, &captures("otlp-protobuf")[0]);
    assert_eq!(code, 503);
    assert_eq!(header(&hs, "retry-after"), Some("1"));
    // a google.rpc.Status: its message is readable in the protobuf bytes
    let status = String::from_utf8_lossy(&body);
    assert!(status.contains("No space left on device"), "{status}");
    drain(&mut store, &rx);
    assert_eq!(store.trace_count(), 0);
    assert_eq!(
        r.counters
            .spool_failed
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );
    assert_eq!(
        r.counters
            .spooled
            .load(std::sync::atomic::Ordering::Relaxed),
        0
    );
    assert!(
        store.sources()[0]
            .state
            .contains("cannot append to the record file"),
        "{:?}",
        store.sources()[0]
    );
    r.stop().unwrap();
}
