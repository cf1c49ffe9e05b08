//! The OTLP/HTTP receiver's public face: how to configure, start and stop one, and what it
//! counts. It serves `POST /v1/traces` (protobuf or JSON, optionally gzip or deflate),
//! `POST /v1/jsonl` (any of the JSON-lines shapes) and `GET /healthz`, answering as
//! OTLP/HTTP specifies: 200 with an `ExportTraceServiceResponse` in the request's encoding
//! (`partial_success` when spans were rejected), 400 for a body that does not decode, 413
//! above the body limit (also after decompression), 415 for an unsupported content type or
//! encoding, and 503 with `Retry-After` when the index cannot keep up. A request is indexed
//! whole or not at all, so a client that retries loses nothing and duplicates nothing.
//!
//! What it accepts is appended to the feed's spool before it is acknowledged (the record file,
//! for `record`), and payload references point there.
//!
//! Inside: `server` accepts connections, `handlers` routes requests, `auth` checks tokens,
//! `body` reads bodies within their limits, `intake` turns a body into a batch appended to the
//! spool and queued, `reply` writes refusals.

mod auth;
mod body;
mod counters;
mod grpc;
mod handlers;
mod intake;
mod logs;
mod reply;
mod server;

pub use counters::Counters;
pub(crate) use intake::decode_request;
pub use server::{BODY_TIMEOUT, HEADER_TIMEOUT, MAX_CONNECTIONS, PATIENCE};

use super::Options;
use super::sink::Feed;
use crate::model::SourceId;
use crate::model::store::Batch;
use intake::{Decode, Shared};
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::thread::JoinHandle;
use std::time::Duration;

/// The default address: what `OTEL_EXPORTER_OTLP_ENDPOINT` defaults to for OTLP/HTTP.
pub const DEFAULT_ADDR: &str = "127.0.0.1:4318";
/// The default OTLP/gRPC address: what OTLP exporters send to over gRPC by default.
pub const DEFAULT_GRPC_ADDR: &str = "127.0.0.1:4317";
/// The default body limit (compressed and decompressed).
pub const DEFAULT_MAX_BODY: usize = 16 << 20;

/// Why a receiver did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {0}: {1}{hint}", hint = bind_hint(.1))]
    Bind(SocketAddr, #[source] io::Error),
    #[error("cannot start the receiver: it keeps what it accepts in a spool, and none was given")]
    NoSpool,
    #[error("cannot start the receiver: {0}")]
    Runtime(#[source] io::Error),
}

fn bind_hint(e: &io::Error) -> &'static str {
    match e.kind() {
        io::ErrorKind::AddrInUse => {
            " (another program, perhaps another spanscope or an OpenTelemetry collector, has \
             this port: stop it, or choose another with --listen 127.0.0.1:PORT)"
        }
        io::ErrorKind::PermissionDenied => {
            " (ports below 1024 need privileges: choose another with --listen 127.0.0.1:PORT)"
        }
        io::ErrorKind::AddrNotAvailable => " (this host has no such address)",
        _ => "",
    }
}

/// How to run a receiver.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where OTLP/HTTP is served.
    pub addr: SocketAddr,
    /// Where OTLP/gRPC is served too, if anywhere.
    pub grpc: Option<SocketAddr>,
    /// Largest body accepted, before and after decompression.
    pub max_body: usize,
    pub opts: Options,
    /// Require `Authorization: Bearer TOKEN` on every request.
    pub token: Option<String>,
    /// How long a client has to send a request's head ([`HEADER_TIMEOUT`]) and its body
    /// ([`BODY_TIMEOUT`]).
    pub header_timeout: Duration,
    pub body_timeout: Duration,
    /// How long a request waits for a busy index before it is refused ([`PATIENCE`]).
    pub patience: Duration,
}

impl Config {
    /// The defaults for `addr`.
    #[must_use]
    pub fn new(addr: SocketAddr) -> Config {
        Config {
            addr,
            grpc: None,
            max_body: DEFAULT_MAX_BODY,
            opts: Options::default(),
            token: None,
            header_timeout: HEADER_TIMEOUT,
            body_timeout: BODY_TIMEOUT,
            patience: PATIENCE,
        }
    }
}

/// A running receiver; stop it with [`Receiver::stop`] (dropping it stops it too).
#[derive(Debug)]
pub struct Receiver {
    /// Where OTLP/HTTP is served.
    pub addr: SocketAddr,
    /// Where OTLP/gRPC is served, if it is.
    pub grpc_addr: Option<SocketAddr>,
    pub counters: Arc<Counters>,
    pub source: SourceId,
    /// The runtime the server runs on, which the rest of the program's network waits (the
    /// signals `record` stops on) share rather than building runtimes of their own.
    runtime: tokio::runtime::Handle,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<io::Result<()>>>,
}

impl Receiver {
    /// Stop accepting, finish the requests in flight, and wait for the server to end.
    ///
    /// # Errors
    /// The server failed, or the record file could not be synced or still ends with part
    /// of a refused request.
    pub fn stop(mut self) -> io::Result<()> {
        self.shutdown_and_join()
    }

    /// Block until the process gets SIGINT (Ctrl-C) or SIGTERM, waiting on the receiver's
    /// runtime. Call it from outside any async context.
    ///
    /// # Errors
    /// The signal handlers cannot be installed.
    pub fn wait_for_signal(&self) -> io::Result<()> {
        self.runtime.block_on(async {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
            tokio::select! {
                r = tokio::signal::ctrl_c() => r,
                _ = term.recv() => Ok(()),
            }
        })
    }

    fn shutdown_and_join(&mut self) -> io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match self.thread.take() {
            Some(t) => t
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("the receiver panicked"))),
            None => Ok(()),
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.shutdown_and_join();
    }
}

/// Bind `cfg.addr` and serve on a thread of its own until stopped; what it accepts goes to
/// `feed`'s spool.
///
/// # Errors
/// The feed has no spool, the address cannot be bound, or the runtime cannot be built.
pub fn start(feed: &Feed, cfg: Config) -> Result<Receiver, StartError> {
    start_with(feed, cfg, intake::decode_otlp)
}

/// [`start`] with another OTLP decoder (tests make it panic).
fn start_with(feed: &Feed, cfg: Config, decode: Decode) -> Result<Receiver, StartError> {
    let spool = feed.spool().ok_or(StartError::NoSpool)?.clone();
    let bind = |e: io::Error| StartError::Bind(cfg.addr, e);
    let (listener, addr) = listen(cfg.addr)?;
    let grpc = cfg.grpc.map(listen).transpose()?;
    let grpc_addr = grpc.as_ref().map(|g| g.1);
    let counters = Arc::new(Counters::default());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("receiver")
        .enable_all()
        .build()
        .map_err(StartError::Runtime)?;
    let token = cfg.token.filter(|t| !t.is_empty());
    let label = match grpc_addr {
        Some(g) => format!("receiver {addr} (HTTP), {g} (gRPC)"),
        None => format!("receiver {addr}"),
    };
    let source = feed.registry.add_source(label);
    let listening = match (is_loopback(&addr), token.is_some()) {
        (true, _) => "listening",
        (false, true) => "listening, reachable from other hosts (token required)",
        (false, false) => "listening, reachable from other hosts, no token",
    };
    let _ = feed.send(Batch {
        source,
        state: Some(listening.into()),
        ..Batch::default()
    });
    let shared = Arc::new(Shared {
        feed: feed.clone(),
        source,
        max_body: cfg.max_body,
        opts: cfg.opts,
        counters: Arc::clone(&counters),
        spool,
        listening: listening.into(),
        failing: AtomicBool::new(false),
        token,
        body_timeout: cfg.body_timeout,
        patience: cfg.patience,
        decode,
    });
    let app = handlers::router(Arc::clone(&shared));
    let header_timeout = cfg.header_timeout;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let handle = runtime.handle().clone();
    let served = Arc::clone(&shared);
    let thread = std::thread::Builder::new()
        .name("receiver".into())
        .spawn(move || {
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener)?;
                // one stop ends both servers; each finishes what it has in flight
                let (http_stop, http_rx) = tokio::sync::oneshot::channel::<()>();
                let (grpc_stop, grpc_rx) = tokio::sync::oneshot::channel::<()>();
                tokio::spawn(async move {
                    let _ = rx.await;
                    let _ = http_stop.send(());
                    let _ = grpc_stop.send(());
                });
                let grpc = match grpc {
                    Some((l, _)) => {
                        let l = tokio::net::TcpListener::from_std(l)?;
                        Some(tokio::spawn(grpc::serve(l, served, grpc_rx)))
                    }
                    None => None,
                };
                server::serve(listener, app, http_rx, header_timeout).await;
                if let Some(g) = grpc {
                    g.await
                        .map_err(|e| io::Error::other(format!("the gRPC server failed: {e}")))?
                        .map_err(|e| io::Error::other(format!("the gRPC server failed: {e}")))?;
                }
                Ok::<(), io::Error>(())
            })?;
            // everything acknowledged is on disk before `stop` returns
            shared.spool.finish()
        })
        .map_err(bind)?;
    Ok(Receiver {
        addr,
        grpc_addr,
        counters,
        source,
        runtime: handle,
        shutdown: Some(tx),
        thread: Some(thread),
    })
}

/// A listener bound to `addr`, ready for tokio, and the address it got.
fn listen(addr: SocketAddr) -> Result<(std::net::TcpListener, SocketAddr), StartError> {
    let bind = |e: io::Error| StartError::Bind(addr, e);
    let listener = std::net::TcpListener::bind(addr).map_err(bind)?;
    listener.set_nonblocking(true).map_err(bind)?;
    let bound = listener.local_addr().map_err(bind)?;
    Ok((listener, bound))
}

/// Whether an address is reachable only from this host.
#[must_use]
pub fn is_loopback(addr: &SocketAddr) -> bool {
    addr.ip().is_loopback()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Store;
    use reply::Encoding;
    use std::io::{Read, Write};
    use std::sync::atomic::Ordering;

    fn config() -> Config {
        Config::new("127.0.0.1:0".parse().unwrap())
    }

    /// What keeps a test's spool directory alive.
    type Kept = (crate::ingest::spool::SpoolDir, tempfile::TempDir);

    /// A feed of `store` with a spool in a temporary directory.
    fn feed(store: &Store) -> (Feed, std::sync::mpsc::Receiver<Batch>, Kept) {
        let root = tempfile::tempdir().unwrap();
        let dir = crate::ingest::spool::SpoolDir::create(root.path(), false).unwrap();
        let spool = crate::ingest::spool::Spool::private(store.registry(), &dir, 1 << 30);
        let (feed, rx) = crate::ingest::sink::channel(store.registry());
        (feed.with_spool(spool), rx, (dir, root))
    }

    /// POST `body` on a connection of its own; the status and the body answered.
    fn post(addr: SocketAddr, path: &str, body: &[u8]) -> (u16, String) {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        s.write_all(head.as_bytes()).unwrap();
        s.write_all(body).unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        let status = out[9..12].parse().unwrap();
        let body = out.split_once("\r\n\r\n").unwrap().1.to_string();
        (status, body)
    }

    fn panicky(
        enc: Encoding,
        body: &[u8],
    ) -> Result<opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest, String>
    {
        assert!(!body.starts_with(b"panic"), "the decoder failed");
        intake::decode_otlp(enc, body)
    }

    /// A request whose decoding panics is answered 500 and counted; the receiver keeps
    /// answering, and stops cleanly.
    #[test]
    fn a_panicking_request_does_not_stop_the_receiver() {
        let store = Store::new();
        let (feed, rx, _kept) = feed(&store);
        let r = start_with(&feed, config(), panicky).unwrap();
        for _ in 0..3 {
            let (status, body) = post(r.addr, "/v1/traces", b"panic");
            assert_eq!(status, 500, "{body}");
            assert!(body.contains("the decoder failed"), "{body}");
        }
        let (status, body) = post(r.addr, "/v1/traces", &intake::otlp_json(&[1]));
        assert_eq!((status, body.as_str()), (200, "{}"));
        let (status, _) = post(r.addr, "/v1/jsonl", b"{}\n");
        assert_eq!(status, 400);
        assert_eq!(r.counters.panicked.load(Ordering::Relaxed), 3);
        assert_eq!(r.counters.requests.load(Ordering::Relaxed), 5);
        r.stop().unwrap();
        assert!(rx.try_iter().any(|b| b.records.len() == 1));
    }

    #[test]
    fn sigterm_ends_the_wait_for_a_signal() {
        let store = Store::new();
        let (feed, _rx, _kept) = feed(&store);
        let r = start(&feed, config()).unwrap();
        // handle SIGTERM from now on, so that an early one cannot end the test process
        let _handled = r
            .runtime
            .block_on(async {
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            })
            .unwrap();
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        std::thread::scope(|scope| {
            scope.spawn(|| {
                let res = r.wait_for_signal();
                done_tx.send(res.is_ok()).unwrap();
            });
            let pid = std::process::id().to_string();
            let got = loop {
                let kill = std::process::Command::new("kill")
                    .args(["-TERM", &pid])
                    .status()
                    .unwrap();
                assert!(kill.success());
                if let Ok(ok) = done_rx.recv_timeout(Duration::from_millis(100)) {
                    break ok;
                }
            };
            assert!(got);
        });
        r.stop().unwrap();
    }

    #[test]
    fn a_taken_port_says_what_to_do() {
        let store = Store::new();
        let (feed, _rx, _kept) = feed(&store);
        let first = start(&feed, config()).unwrap();
        let e = start(&feed, Config::new(first.addr)).unwrap_err();
        let text = e.to_string();
        assert!(
            text.starts_with(&format!("cannot listen on {}", first.addr)),
            "{text}"
        );
        assert!(text.contains("--listen 127.0.0.1:PORT"), "{text}");
        // a feed without a spool has nowhere to keep requests
        let (bare, _rx) = crate::ingest::sink::channel(store.registry());
        let e = start(&bare, config()).unwrap_err();
        assert!(e.to_string().contains("spool"), "{e}");
        first.stop().unwrap();
    }

    #[test]
    fn only_loopback_addresses_are_local() {
        let at = |a: &str| a.parse::<SocketAddr>().unwrap();
        assert!(is_loopback(&at("127.0.0.1:4318")));
        assert!(is_loopback(&at("[::1]:4318")));
        assert!(!is_loopback(&at("0.0.0.0:4318")));
        assert!(!is_loopback(&at("192.168.1.5:4318")));
        assert!(is_loopback(&DEFAULT_ADDR.parse().unwrap()));
    }
}
