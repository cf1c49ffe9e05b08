//! Live sources through the library: a followed file grows in pieces, is truncated and
//! rotated; every complete line is indexed exactly once.

#![allow(clippy::unwrap_used)]

use spanscope::ingest::{self, sink};
use spanscope::model::{Batch, Store};
use std::io::Write;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

fn line(id: &str) -> String {
    format!(
        r#"{{"trace_id": "{id}", "timestamp": "2026-11-21T05:37:00Z", "pipeline": "p-{id}", "total_latency_ms": 10}}"#
    ) + "\n"
}

/// Apply batches until `done` holds (or fail after a deadline).
fn until(store: &mut Store, rx: &Receiver<Batch>, what: &str, done: impl Fn(&Store) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(b) = rx.recv_timeout(Duration::from_millis(20)) {
            store.apply(b);
            store.refresh();
        }
        if done(store) {
            return;
        }
    }
    panic!(
        "timed out waiting for {what}: {} traces, sources {:?}",
        store.trace_count(),
        store.sources()
    );
}

/// Read `sources` on their threads into a store this test owns.
fn watch(
    sources: &[String],
    follow: bool,
) -> (Store, Receiver<Batch>, std::thread::JoinHandle<()>) {
    let store = Store::new();
    let (feed, rx) = sink::channel(store.registry());
    let h = ingest::tail::spawn(&feed, sources, follow, ingest::Options::default()).unwrap();
    (store, rx, h)
}

/// [`watch`], with streams kept in a spool of their own (as the explorer does).
fn watch_spooled(
    sources: &[String],
) -> (
    Store,
    Receiver<Batch>,
    ingest::spool::Spool,
    (ingest::spool::SpoolDir, tempfile::TempDir),
) {
    let store = Store::new();
    let root = tempfile::tempdir().unwrap();
    let dir = ingest::spool::SpoolDir::create(root.path(), false).unwrap();
    let spool = ingest::spool::Spool::private(store.registry(), &dir, 1 << 30);
    let (feed, rx) = sink::channel(store.registry());
    let feed = feed.with_spool(spool.clone());
    ingest::tail::spawn(&feed, sources, true, ingest::Options::default()).unwrap();
    (store, rx, spool, (dir, root))
}

fn append(path: &std::path::Path, text: &str) {
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

fn has(store: &Store, id: &str) -> bool {
    store.trace_by_id(id).is_some()
}

#[test]
fn follows_pieces_truncation_and_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("traces.jsonl");
    std::fs::write(&path, line("a1") + &line("a2")).unwrap();

    let (mut store, rx, _) = watch(&[path.display().to_string()], true);
    until(&mut store, &rx, "the existing lines", |s| {
        has(s, "a2") && s.sources()[0].state == "tailing"
    });

    // half a line waits for its newline
    let l3 = line("a3");
    append(&path, &l3[..25]);
    std::thread::sleep(Duration::from_millis(300));
    while let Ok(b) = rx.try_recv() {
        store.apply(b);
    }
    assert_eq!(store.sources()[0].rejected, 0);
    assert!(!has(&store, "a3"));
    append(&path, &l3[25..]);
    until(&mut store, &rx, "the completed line", |s| has(s, "a3"));

    // truncation: reading starts over on the new content, and the state says so until lines
    // arrive after it
    std::fs::File::create(&path).unwrap();
    until(&mut store, &rx, "the note of the truncation", |s| {
        s.sources()[0].state == "tailing (truncated)"
    });
    append(&path, &line("b1"));
    until(
        &mut store,
        &rx,
        "the line after truncation, and the note gone",
        |s| has(s, "b1") && s.sources()[0].state == "tailing",
    );

    // rotation: lines written to the old file before the switch are kept, then the new file
    let old = dir.path().join("traces.jsonl.1");
    std::fs::rename(&path, &old).unwrap();
    append(&old, &line("b2"));
    append(&path, &line("c1"));
    until(&mut store, &rx, "the rotated file", |s| {
        has(s, "c1") && has(s, "b2")
    });
    append(&path, &line("c2"));
    until(
        &mut store,
        &rx,
        "a line in the new file, and the note gone",
        |s| has(s, "c2") && s.sources()[0].state == "tailing",
    );

    // every complete line exactly once, none rejected
    let src = &store.sources()[0];
    assert_eq!(src.rejected, 0, "{:?}", src.rejections);
    assert_eq!(src.units, 7);
    assert_eq!(store.trace_count(), 7);
    assert_eq!(src.spans_merged + src.duplicates, 0);
}

#[test]
fn payloads_of_a_truncated_file_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.jsonl");
    std::fs::write(&path, line("x1")).unwrap();
    let (mut store, rx, _) = watch(&[path.display().to_string()], true);
    until(&mut store, &rx, "x1", |s| has(s, "x1"));
    std::fs::File::create(&path).unwrap();
    append(&path, &line("y1"));
    until(&mut store, &rx, "y1", |s| has(s, "y1"));
    let t = store.trace_by_id("x1").unwrap();
    let root = store.trace(t).summary.root.unwrap();
    let d = ingest::detail::span_detail(&store, root);
    assert!(
        d.problems.iter().any(|p| p.contains("truncated")),
        "{:?}",
        d.problems
    );
    let t = store.trace_by_id("y1").unwrap();
    let root = store.trace(t).summary.root.unwrap();
    assert!(
        ingest::detail::span_detail(&store, root)
            .problems
            .is_empty()
    );
}

#[test]
fn read_once_parses_a_last_line_without_newline() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.jsonl");
    let text = line("z1") + line("z2").trim_end();
    std::fs::write(&path, text).unwrap();
    let (mut store, rx, h) = watch(&[path.display().to_string()], false);
    for b in rx {
        store.apply(b);
    }
    h.join().unwrap();
    store.refresh();
    assert!(has(&store, "z2"));
    assert_eq!(store.sources()[0].state, "");
}

/// A local server that answers each GET with the next scripted response; returns its address
/// and the request heads it saw.
fn script_server(
    responses: Vec<Vec<u8>>,
    hold_last: bool,
) -> (
    std::net::SocketAddr,
    std::sync::Arc<std::sync::Mutex<Vec<String>>>,
) {
    use std::io::{BufRead, BufReader};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = std::sync::Arc::clone(&seen);
    std::thread::spawn(move || {
        let n = responses.len();
        for (i, resp) in responses.into_iter().enumerate() {
            let (mut conn, _) = listener.accept().unwrap();
            let mut head = String::new();
            let mut r = BufReader::new(conn.try_clone().unwrap());
            loop {
                let mut l = String::new();
                if r.read_line(&mut l).unwrap() == 0 || l == "\r\n" {
                    break;
                }
                head.push_str(&l);
            }
            log.lock().unwrap().push(head);
            conn.write_all(&resp).unwrap();
            conn.flush().unwrap();
            if hold_last && i + 1 == n {
                // keep the stream open until the test ends
                std::thread::sleep(Duration::from_secs(30));
            }
            // dropping `conn` closes the connection (mid-stream for the unterminated ones)
        }
    });
    (addr, seen)
}

fn chunk(data: &str) -> String {
    format!("{:x}\r\n{data}\r\n", data.len())
}

#[test]
fn follows_a_url_through_drops_and_resends() {
    let ndjson = "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n";
    let sse =
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
    let (a1, a2, a3) = (line("u-a1"), line("u-a2"), line("u-a3"));
    // 1: two lines, the second cut mid-line by a dropped connection
    let first = format!("{ndjson}{}{}", chunk(&a1), chunk(&a2[..30]));
    // 2: the server sends everything again, then ends the stream properly
    let second = format!(
        "{ndjson}{}{}{}0\r\n\r\n",
        chunk(&a1),
        chunk(&a2),
        chunk(&a3)
    );
    // 3: server-sent events, one record split over two data lines, with an id
    let b1 = line("u-b1");
    let (b1a, b1b) = b1.trim_end().split_at(20);
    let third = format!(
        "{sse}{}0\r\n\r\n",
        chunk(&format!(
            ": a comment\nid: 7\nevent: trace\ndata: {b1a}\ndata: {b1b}\n\n"
        ))
    );
    // 4: resumed after event 7
    let fourth = format!(
        "{sse}{}",
        chunk(&format!("id: 8\ndata: {}\n", line("u-b2")))
    );
    let (addr, seen) = script_server(
        vec![
            first.into_bytes(),
            second.into_bytes(),
            third.into_bytes(),
            fourth.into_bytes(),
        ],
        true,
    );

    let (mut store, rx, spool, _kept) = watch_spooled(&[format!("http://{addr}/stream")]);
    let mut states = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(15);
    while !has(&store, "u-b2") {
        assert!(Instant::now() < deadline, "{:?}", store.sources());
        if let Ok(b) = rx.recv_timeout(Duration::from_millis(20)) {
            if let Some(s) = &b.state {
                states.push(s.clone());
            }
            store.apply(b);
            store.refresh();
        }
    }
    for id in ["u-a1", "u-a2", "u-a3", "u-b1", "u-b2"] {
        assert!(has(&store, id), "{id}");
    }
    assert_eq!(store.trace_count(), 5);
    let src = &store.sources()[0];
    assert!(src.label.starts_with("http://127.0.0.1"));
    // the cut line of the first connection was never parsed as a line
    assert_eq!(src.rejected, 0, "{:?}", src.rejections);
    assert!(
        states.iter().any(|s| s.contains("retrying in")),
        "{states:?}"
    );
    assert!(states.iter().any(|s| s == "connected"), "{states:?}");
    let heads = seen.lock().unwrap();
    assert!(
        heads[3].to_ascii_lowercase().contains("last-event-id: 7"),
        "{heads:?}"
    );
    // every line (and the event split over two data lines) is read back from the spool
    for t in store.trace_ids() {
        let root = store.trace(t).summary.root.unwrap();
        let p = store.span(root).payload[0].unwrap();
        assert!(matches!(
            store.blob(p.blob),
            spanscope::model::Blob::Open(_)
        ));
        let d = ingest::detail::span_detail(&store, root);
        assert!(d.problems.is_empty(), "{:?}", d.problems);
    }
    // the lines sent again were kept again (the store merged them), nothing else
    let written = spool.stats().written;
    let sent = [&a1, &a1, &a2, &a3, &line("u-b2")]
        .iter()
        .map(|l| l.len() as u64)
        .sum::<u64>()
        // the event: its two data lines joined by a newline, and a newline after
        + b1.len() as u64
        + 1;
    assert_eq!(written, sent);
}
