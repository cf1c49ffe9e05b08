//! The accept loop: HTTP/1.1 connections served at most [`MAX_CONNECTIONS`] at once, a
//! client given [`HEADER_TIMEOUT`] for each request head, and a graceful end that lets the
//! requests in flight finish.

use axum::Router;
use std::sync::Arc;
use std::time::Duration;

/// A client has this long to send a request's head…
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// … and this long for its body (a client sending a byte a second is cut off).
pub const BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// A request that arrives while the index is behind waits this long for it to catch up before
/// it is answered 503: a burst slows its clients down instead of making them resend.
pub const PATIENCE: Duration = Duration::from_secs(2);
/// Connections served at once; more wait in the kernel's backlog. With the body limit, this
/// bounds what clients can make the receiver hold.
pub const MAX_CONNECTIONS: usize = 64;

/// Accept connections until `stop` fires, at most [`MAX_CONNECTIONS`] at once, each given
/// `header_timeout` per request head; then finish the requests in flight.
pub(super) async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    mut stop: tokio::sync::oneshot::Receiver<()>,
    header_timeout: Duration,
) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    loop {
        let permit = tokio::select! {
            p = Arc::clone(&slots).acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = &mut stop => break,
        };
        let stream = tokio::select! {
            r = listener.accept() => match r {
                Ok((stream, _)) => stream,
                // out of file descriptors, or the peer gave up: try again shortly
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut stop => break,
        };
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(hyper_util::rt::TokioTimer::new())
            .header_read_timeout(header_timeout)
            .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            let _ = conn.await;
            drop(permit);
        });
    }
    drop(listener);
    // requests in flight finish (their bodies have BODY_TIMEOUT); idle connections close
    let _ = tokio::time::timeout(BODY_TIMEOUT + HEADER_TIMEOUT, graceful.shutdown()).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use std::io::{Read, Write};

    async fn listen() -> (tokio::net::TcpListener, std::net::SocketAddr) {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        (l, addr)
    }

    fn get_ok(addr: std::net::SocketAddr) -> String {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.write_all(b"GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn serves_until_stopped_then_refuses_connections() {
        let (listener, addr) = listen().await;
        let app = Router::new().route("/ok", get(|| async { "fine" }));
        let (tx, rx) = tokio::sync::oneshot::channel();
        let server = tokio::spawn(serve(listener, app, rx, HEADER_TIMEOUT));
        let answer = tokio::task::spawn_blocking(move || get_ok(addr))
            .await
            .unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.ends_with("fine"), "{answer}");
        tx.send(()).unwrap();
        server.await.unwrap();
        assert!(std::net::TcpStream::connect(addr).is_err());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_slow_head_is_cut_off() {
        let (listener, addr) = listen().await;
        let app = Router::new().route("/ok", get(|| async { "fine" }));
        let (tx, rx) = tokio::sync::oneshot::channel();
        let server = tokio::spawn(serve(listener, app, rx, Duration::from_millis(100)));
        let answer = tokio::task::spawn_blocking(move || {
            let mut s = std::net::TcpStream::connect(addr).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            s.write_all(b"GET /ok HTTP/1.1\r\n").unwrap();
            let mut out = Vec::new();
            let _ = s.read_to_end(&mut out);
            String::from_utf8_lossy(&out).into_owned()
        })
        .await
        .unwrap();
        assert!(!answer.contains("200"), "{answer}");
        tx.send(()).unwrap();
        server.await.unwrap();
    }
}
