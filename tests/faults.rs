//! Faults around the sources: the port taken, the record file unwritable, signals while
//! requests are in flight, a followed URL that fails, garbles or hangs, a tailed file deleted.
//! (A full disk under `record` is in `tests/http.rs`; a crash in the explorer in
//! `tests/e2e.rs`.)

#![allow(clippy::unwrap_used)]

use spanscope::ingest::{self, sink};
use spanscope::model::{Batch, Store};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

fn spanscope() -> Command {
    Command::new(env!("CARGO_BIN_EXE_spanscope"))
}

#[test]
fn a_port_already_taken_is_a_clear_error() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    {
        let args = ["record", "--listen", &addr, "--out", "x.jsonl"];
        let out = spanscope()
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(3), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(
            err.contains(&format!("cannot listen on {addr}: Address already in use")),
            "{err}"
        );
        assert!(
            err.contains("choose another with --listen 127.0.0.1:PORT"),
            "{err}"
        );
    }
    assert!(!dir.path().join("x.jsonl").exists());
}

#[test]
fn an_unwritable_record_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    // a path under a regular file can never be created
    let out = spanscope()
        .args(["record", "--listen", "127.0.0.1:0", "--out"])
        .arg(file.join("session.jsonl"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("cannot open the record file"), "{err}");
    assert!(err.contains("Not a directory"), "{err}");
}

/// Start `record` (with `env` set) and read the address it listens on from its first line.
fn start_record(
    out: &std::path::Path,
    env: &[(&str, &str)],
) -> (Child, SocketAddr, BufReader<std::process::ChildStderr>) {
    let mut child = spanscope()
        .args(["record", "--listen", "127.0.0.1:0", "--out"])
        .arg(out)
        .envs(env.iter().copied())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    err.read_line(&mut first).unwrap();
    let addr = first
        .split("http://")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap()
        .parse()
        .unwrap();
    (child, addr, err)
}

/// POST one JSON line; the status, or `None` when the connection failed (the receiver is
/// gone).
fn post_line(addr: SocketAddr, line: &str) -> Option<u16> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let req = format!(
        "POST /v1/jsonl HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{line}",
        line.len()
    );
    s.write_all(req.as_bytes()).ok()?;
    let mut answer = String::new();
    s.read_to_string(&mut answer).ok()?;
    answer.split_whitespace().nth(1)?.parse().ok()
}

/// SIGINT while four clients keep sending: `record` stops cleanly, and every request it
/// acknowledged with 200 is in the file, once.
#[test]
fn sigint_during_record_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("session.jsonl");
    let (mut child, addr, mut err) = start_record(&out, &[]);
    let clients: Vec<_> = (0..4)
        .map(|c| {
            std::thread::spawn(move || {
                let mut acked = Vec::new();
                for i in 0.. {
                    let id = format!("c{c}-{i}");
                    let line = format!(
                        r#"{{"trace_id":"{id}","timestamp":"2026-11-21T05:37:00Z","total_latency_ms":1}}"#
                    );
                    match post_line(addr, &line) {
                        Some(200) => acked.push(id),
                        Some(_) => {}
                        None => break,
                    }
                }
                acked
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(700));
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "record did not stop");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(child.wait().unwrap().success());
    let acked: Vec<String> = clients
        .into_iter()
        .flat_map(|c| c.join().unwrap())
        .collect();
    assert!(
        acked.len() > 10,
        "only {} requests went through",
        acked.len()
    );
    let recorded = std::fs::read_to_string(&out).unwrap();
    for id in &acked {
        let needle = format!(r#""trace_id":"{id}""#);
        assert_eq!(recorded.matches(&needle).count(), 1, "{id}");
    }
    let mut summary = String::new();
    err.read_to_string(&mut summary).unwrap();
    assert!(
        summary.contains(&format!("{} request(s) recorded", recorded.lines().count())),
        "{summary}"
    );
}

/// A local server that plays one scripted connection after another: each is the bytes to
/// answer with and how long to keep the connection open afterwards; the last one answers
/// every later connection too.
fn script_server(script: Vec<(Vec<u8>, Duration)>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let last = script.last().cloned().unwrap();
        for (answer, hold) in script.into_iter().chain(std::iter::repeat(last)) {
            let Ok((mut conn, _)) = listener.accept() else {
                return;
            };
            let mut r = BufReader::new(conn.try_clone().unwrap());
            loop {
                let mut l = String::new();
                if r.read_line(&mut l).unwrap_or(0) == 0 || l == "\r\n" {
                    break;
                }
            }
            let _ = conn.write_all(&answer);
            std::thread::sleep(hold);
        }
    });
    addr
}

fn apply_until(store: &mut Store, rx: &Receiver<Batch>, states: &mut Vec<String>, id: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while store.trace_by_id(id).is_none() {
        assert!(
            Instant::now() < deadline,
            "{states:?} {:?}",
            store.sources()
        );
        if let Ok(b) = rx.recv_timeout(Duration::from_millis(20)) {
            if let Some(s) = &b.state {
                states.push(s.clone());
            }
            store.apply(b);
            store.refresh();
        }
    }
}

/// A followed URL that answers 500, then garbage, then accepts and never answers: each is
/// shown in the source's state and retried; the garbage lines are counted with their reason;
/// the good stream that finally comes is indexed.
#[test]
fn a_followed_url_through_500s_garbage_and_a_hang() {
    let good = r#"{"trace_id":"finally","timestamp":"2026-11-21T05:37:00Z","total_latency_ms":1}"#;
    let ndjson =
        "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nConnection: close\r\n\r\n";
    let addr = script_server(vec![
        (
            b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\noops".to_vec(),
            Duration::ZERO,
        ),
        (
            format!("{ndjson}\u{0}\u{1}garbage\n<html>not json</html>\n").into_bytes(),
            Duration::ZERO,
        ),
        // accepts, reads the request, and says nothing
        (Vec::new(), Duration::from_secs(5)),
        (format!("{ndjson}{good}\n").into_bytes(), Duration::ZERO),
    ]);
    let store = Store::new();
    let (feed, rx) = sink::channel(store.registry());
    let _h = ingest::follow::spawn_with_timeout(
        &feed,
        &format!("http://{addr}/stream"),
        ingest::Options::default(),
        Duration::from_millis(500),
    )
    .unwrap();
    drop(feed);
    let mut store = store;
    let mut states = Vec::new();
    apply_until(&mut store, &rx, &mut states, "finally");
    let all = states.join(" | ");
    assert!(all.contains("HTTP 500"), "{all}");
    assert!(all.contains("timeout: receive response"), "{all}");
    assert!(all.contains("retrying in"), "{all}");
    let src = &store.sources()[0];
    assert_eq!(src.rejected, 2, "{:?}", src.rejections);
    assert!(src.rejections[1].reason.contains("not a JSON object"));
    assert_eq!(store.trace_count(), 1);
}

/// A tailed file deleted: what was read stays; the file written again at the same path is
/// read from its start.
#[test]
fn a_tailed_file_deleted_then_written_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("traces.jsonl");
    let line = |id: &str| {
        format!(r#"{{"trace_id":"{id}","timestamp":"2026-11-21T05:37:00Z","total_latency_ms":1}}"#)
            + "\n"
    };
    std::fs::write(&path, line("before")).unwrap();
    let store = Store::new();
    let (feed, rx) = sink::channel(store.registry());
    let _h = ingest::tail::spawn(
        &feed,
        &[path.display().to_string()],
        true,
        ingest::Options::default(),
    )
    .unwrap();
    drop(feed);
    let mut store = store;
    let mut states = Vec::new();
    apply_until(&mut store, &rx, &mut states, "before");
    std::fs::remove_file(&path).unwrap();
    std::thread::sleep(Duration::from_millis(700));
    std::fs::write(&path, line("after")).unwrap();
    apply_until(&mut store, &rx, &mut states, "after");
    assert!(store.trace_by_id("before").is_some());
    assert_eq!(store.sources()[0].rejected, 0);
    assert!(store.accounting().balanced());
}

/// `record --token`, from SPANSCOPE_TOKEN: a request without it is refused, one with it is
/// recorded, and the exit summary counts both.
#[test]
fn record_with_a_token_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("session.jsonl");
    let (mut child, addr, mut err) = start_record(&out, &[("SPANSCOPE_TOKEN", "t0ken")]);
    let line = r#"{"trace_id":"ok","timestamp":"2026-11-21T05:37:00Z","total_latency_ms":1}"#;
    assert_eq!(post_line(addr, line), Some(401));
    let mut s = TcpStream::connect(addr).unwrap();
    let req = format!(
        "POST /v1/jsonl HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer t0ken\r\nContent-Length: {}\r\n\r\n{line}",
        line.len()
    );
    s.write_all(req.as_bytes()).unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());
    let mut summary = String::new();
    err.read_to_string(&mut summary).unwrap();
    assert!(
        summary.contains("1 refused for a missing or wrong token"),
        "{summary}"
    );
    assert!(summary.contains("1 request(s) recorded"), "{summary}");
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 1);
}
