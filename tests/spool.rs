//! The spool under load, through the library: a receiver on loopback keeps what it accepts in
//! a spool bounded far below what four clients send, so its oldest segments are dropped while
//! requests keep coming. Every span record is still accounted for (received = indexed +
//! evicted + rejected), the spool stays within its bound on disk, and every trace still held
//! reads its payloads back.

#![allow(clippy::unwrap_used)]

use spanscope::ingest::spool::{Spool, SpoolDir};
use spanscope::ingest::{self, http, sink};
use spanscope::model::Store;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::Ordering;
use std::time::Duration;

/// An OTLP/JSON body of one trace: a root and `n` children, each with a prompt of its own.
fn body(client: usize, i: usize, n: usize) -> Vec<u8> {
    let trace = format!("{:016x}{:016x}", client + 1, i + 1);
    let mut spans = vec![format!(
        r#"{{"traceId":"{trace}","spanId":"{:016x}","name":"request","startTimeUnixNano":"1000","endTimeUnixNano":"9000"}}"#,
        1
    )];
    for c in 0..n {
        spans.push(format!(
            r#"{{"traceId":"{trace}","spanId":"{:016x}","parentSpanId":"{:016x}","name":"lm","startTimeUnixNano":"2000","endTimeUnixNano":"3000","attributes":[{{"key":"input.value","value":{{"stringValue":"prompt {client}/{i}/{c} {}"}}}}]}}"#,
            c + 2,
            1,
            "x".repeat(200)
        ));
    }
    format!(
        r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{}]}}]}}]}}"#,
        spans.join(",")
    )
    .into_bytes()
}

/// POST `body` as OTLP/JSON; the status.
fn post(addr: SocketAddr, body: &[u8]) -> u16 {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let head = format!(
        "POST /v1/traces HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut r = BufReader::new(s);
    let mut status = String::new();
    r.read_line(&mut status).unwrap();
    let mut rest = Vec::new();
    let _ = r.read_to_end(&mut rest);
    status.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn filling_a_small_spool_over_loopback_keeps_every_record_accounted_for() {
    const MAX: u64 = 256 << 10;
    const CLIENTS: usize = 4;
    const TRACES: usize = 60;
    const CHILDREN: usize = 5;
    let root = tempfile::tempdir().unwrap();
    let dir = SpoolDir::create(root.path(), false).unwrap();
    let mut store = Store::new();
    let spool = Spool::private(store.registry(), &dir, MAX);
    let (feed, rx) = sink::channel(store.registry());
    let feed = feed.with_spool(spool.clone());
    let mut cfg = http::Config::new("127.0.0.1:0".parse().unwrap());
    cfg.opts = ingest::Options { naive_utc: true };
    let r = http::start(&feed, cfg).unwrap();
    drop(feed);
    let addr = r.addr;
    // the store is indexed while the clients send, as the explorer does
    let indexer = std::thread::spawn(move || {
        let mut announced = 0;
        while let Ok(b) = rx.recv() {
            announced += b.dropped_blobs.len();
            store.apply(b);
        }
        (store, announced)
    });
    let sent = CLIENTS * TRACES;
    std::thread::scope(|scope| {
        for client in 0..CLIENTS {
            scope.spawn(move || {
                for i in 0..TRACES {
                    let b = body(client, i, CHILDREN);
                    // a busy answer is retried, as an exporter does
                    while post(addr, &b) == 503 {
                        std::thread::sleep(Duration::from_millis(5));
                    }
                }
            });
        }
    });
    let counters = std::sync::Arc::clone(&r.counters);
    r.stop().unwrap();
    let (store, announced) = indexer.join().unwrap();

    let st = spool.stats();
    let bodies: u64 = (0..CLIENTS)
        .flat_map(|c| (0..TRACES).map(move |i| body(c, i, CHILDREN).len() as u64 + 1))
        .sum();
    assert_eq!(st.written, bodies, "every body once, with its newline");
    assert!(st.dropped_segments >= 10, "{st:?}");
    assert_eq!(
        announced as u64, st.dropped_segments,
        "every drop reached the store"
    );
    assert!(st.held <= MAX, "{st:?}");
    let on_disk: u64 = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    assert!(on_disk <= MAX, "{on_disk} bytes on disk");

    // accepted = indexed + evicted + rejected, in the store and against the receiver
    let a = store.accounting();
    assert!(a.balanced(), "{a:?}");
    let spans = (sent * (CHILDREN + 1)) as u64;
    assert_eq!(a.received, spans, "{a:?}");
    assert_eq!(counters.accepted.load(Ordering::Relaxed), spans);
    assert_eq!((a.merged, a.duplicates, a.rejected), (0, 0, 0), "{a:?}");
    assert_eq!(a.indexed + a.evicted, spans, "{a:?}");
    assert!(a.evicted > 0 && a.traces_evicted > 0, "{a:?}");
    assert_eq!(a.traces + a.traces_evicted, sent as u64, "{a:?}");

    // what is held is whole and reads back; nothing points into a dropped segment
    for t in store.trace_ids() {
        let tr = store.trace(t);
        assert_eq!(tr.spans.len(), CHILDREN + 1);
        for &s in tr.spans {
            let d = ingest::detail::span_detail(&store, s);
            assert!(d.problems.is_empty(), "{:?}", d.problems);
        }
    }
}

/// `list --follow -`: stdin goes through a spool under `--spool DIR`, a text search reads the
/// lines back from it, and the spool is gone when the command ends; `--keep-spool` leaves it,
/// renamed, and says where.
#[test]
fn list_follow_reads_stdin_through_a_spool_it_removes_at_the_end() {
    let root = tempfile::tempdir().unwrap();
    let line = |id: &str, said: &str| {
        format!(
            r#"{{"trace_id": "{id}", "timestamp": "2026-11-21T05:37:00Z", "inputs": {{"q": "{said}"}}, "total_latency_ms": 5}}"#
        ) + "\n"
    };
    let input = line("a1", "nothing here") + &line("b2", "the needle is here");
    for keep in [false, true] {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_spanscope"));
        cmd.args(["list", "--follow", "-", "--format", "jsonl", "--naive-utc"])
            .args(["--filter", "text:needle", "--spool"])
            .arg(root.path())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        if keep {
            cmd.arg("--keep-spool");
        }
        let mut child = cmd.spawn().unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{out:?}");
        let printed = String::from_utf8(out.stdout).unwrap();
        assert_eq!(printed.lines().count(), 1, "{printed}");
        assert!(printed.contains(r#""trace_id":"b2""#), "{printed}");
        let err = String::from_utf8(out.stderr).unwrap();
        let left: Vec<String> = std::fs::read_dir(root.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        if keep {
            assert_eq!(left.len(), 1, "{left:?}");
            assert!(left[0].starts_with("kept-"), "{left:?}");
            assert!(err.contains("the spool is kept in"), "{err}");
            let kept = root.path().join(&left[0]).join("000001.seg");
            assert_eq!(std::fs::read_to_string(kept).unwrap(), input);
        } else {
            assert!(left.is_empty(), "{left:?}");
            assert!(!err.contains("kept"), "{err}");
        }
    }
}
