//! The OTLP/HTTP receiver: `POST /v1/traces` (protobuf or JSON, optionally gzip or deflate),
//! `POST /v1/jsonl` (any of the JSON-lines shapes), `GET /healthz`. It answers as OTLP/HTTP
//! specifies: 200 with an `ExportTraceServiceResponse` in the request's encoding
//! (`partial_success` when spans were rejected), 400 for a body that does not decode, 413 above
//! the body limit (also after decompression), 415 for an unsupported content type or encoding,
//! and 503 with `Retry-After` when the index cannot keep up. A request is indexed whole or not
//! at all, so a client that retries loses nothing and duplicates nothing.

use super::sink::{Collect, Feed, Refused};
use super::{Ctx, Options, load_lines, otlp};
use crate::model::payload::RecordFormat;
use crate::model::store::{Batch, Record};
use crate::model::{Blob, SourceId};
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceResponse,
};
use prost::Message as _;
use std::fs::File;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

/// The default address: what `OTEL_EXPORTER_OTLP_ENDPOINT` defaults to.
pub const DEFAULT_ADDR: &str = "127.0.0.1:4318";
/// The default body limit (compressed and decompressed).
pub const DEFAULT_MAX_BODY: usize = 16 << 20;
/// A client has this long to send a request's head…
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// … and this long for its body (a client sending a byte a second is cut off).
pub const BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// Connections served at once; more wait in the kernel's backlog. With the body limit, this
/// bounds what clients can make the receiver hold.
pub const MAX_CONNECTIONS: usize = 64;

/// Why a receiver did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {0}: {1}{hint}", hint = bind_hint(.1))]
    Bind(SocketAddr, #[source] io::Error),
    #[error("cannot open the record file {path}: {1}", path = .0.display())]
    Record(PathBuf, #[source] io::Error),
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
    pub addr: SocketAddr,
    /// Largest body accepted, before and after decompression.
    pub max_body: usize,
    pub opts: Options,
    /// Append every accepted request to this file (one OTLP/JSON line per OTLP request; JSON
    /// lines as they came).
    pub record: Option<PathBuf>,
    /// Require `Authorization: Bearer TOKEN` on every request.
    pub token: Option<String>,
    /// How long a client has to send a request's head ([`HEADER_TIMEOUT`]) and its body
    /// ([`BODY_TIMEOUT`]).
    pub header_timeout: Duration,
    pub body_timeout: Duration,
}

impl Config {
    /// The defaults for `addr`.
    #[must_use]
    pub fn new(addr: SocketAddr) -> Config {
        Config {
            addr,
            max_body: DEFAULT_MAX_BODY,
            opts: Options::default(),
            record: None,
            token: None,
            header_timeout: HEADER_TIMEOUT,
            body_timeout: BODY_TIMEOUT,
        }
    }
}

/// What a receiver has done, for its status line and its exit summary.
#[derive(Debug, Default)]
pub struct Counters {
    /// Requests answered, whatever the answer.
    pub requests: AtomicU64,
    /// Spans (or JSON lines) queued for the index.
    pub accepted: AtomicU64,
    /// Spans or lines refused: invalid ids, lines that do not parse, bodies that do not decode.
    pub rejected: AtomicU64,
    /// Requests answered 503 because the index could not keep up (the client retries them).
    pub busy: AtomicU64,
    /// Requests appended to the record file.
    pub recorded: AtomicU64,
    /// Requests refused for a missing or wrong token (401).
    pub unauthorized: AtomicU64,
    /// Requests whose body did not arrive in time (408).
    pub timed_out: AtomicU64,
    /// Requests that could not be appended to the record file (answered 503, not indexed).
    pub record_failed: AtomicU64,
}

/// A running receiver; stop it with [`Receiver::stop`] (dropping it stops it too).
#[derive(Debug)]
pub struct Receiver {
    pub addr: SocketAddr,
    pub counters: Arc<Counters>,
    pub source: SourceId,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<io::Result<()>>>,
}

impl Receiver {
    /// Stop accepting, finish the requests in flight, and wait for the server to end.
    ///
    /// # Errors
    /// The server failed.
    pub fn stop(mut self) -> io::Result<()> {
        self.shutdown_and_join()
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

struct Shared {
    feed: Feed,
    source: SourceId,
    max_body: usize,
    opts: Options,
    counters: Arc<Counters>,
    record: Option<Mutex<File>>,
    token: Option<String>,
    body_timeout: Duration,
}

/// Bind `cfg.addr` and serve on a thread of its own until stopped.
///
/// # Errors
/// The address cannot be bound, or the record file cannot be opened.
pub fn start(feed: &Feed, cfg: Config) -> Result<Receiver, StartError> {
    let bind = |e: io::Error| StartError::Bind(cfg.addr, e);
    let listener = std::net::TcpListener::bind(cfg.addr).map_err(bind)?;
    listener.set_nonblocking(true).map_err(bind)?;
    let addr = listener.local_addr().map_err(bind)?;
    let record = match &cfg.record {
        Some(p) => Some(Mutex::new(
            File::options()
                .create(true)
                .append(true)
                .open(p)
                .map_err(|e| StartError::Record(p.clone(), e))?,
        )),
        None => None,
    };
    let token = cfg.token.filter(|t| !t.is_empty());
    let source = feed.registry.add_source(format!("receiver {addr}"));
    let _ = feed.send(Batch {
        source,
        state: Some(
            match (is_loopback(&addr), token.is_some()) {
                (true, _) => "listening",
                (false, true) => "listening, reachable from other hosts (token required)",
                (false, false) => "listening, reachable from other hosts, no token",
            }
            .into(),
        ),
        ..Batch::default()
    });
    let counters = Arc::new(Counters::default());
    let shared = Arc::new(Shared {
        feed: feed.clone(),
        source,
        max_body: cfg.max_body,
        opts: cfg.opts,
        counters: Arc::clone(&counters),
        record,
        token,
        body_timeout: cfg.body_timeout,
    });
    let app = Router::new()
        .route("/v1/traces", post(traces))
        .route("/v1/jsonl", post(jsonl))
        .route("/healthz", get(|| async { "ok\n" }))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&shared),
            authorize,
        ))
        .with_state(Arc::clone(&shared));
    let kept = shared;
    let header_timeout = cfg.header_timeout;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("receiver".into())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("receiver")
                .enable_all()
                .build()?;
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener)?;
                serve(listener, app, rx, header_timeout).await;
                Ok::<(), io::Error>(())
            })?;
            // everything acknowledged is on disk before `stop` returns
            match &kept.record {
                Some(f) => match f.lock().unwrap_or_else(PoisonError::into_inner).sync_all() {
                    // not a file that can be synced (a pipe, a device)
                    Err(e) if e.kind() == io::ErrorKind::InvalidInput => Ok(()),
                    r => r,
                },
                None => Ok(()),
            }
        })
        .map_err(bind)?;
    Ok(Receiver {
        addr,
        counters,
        source,
        shutdown: Some(tx),
        thread: Some(thread),
    })
}

/// Whether an address is reachable only from this host.
#[must_use]
pub fn is_loopback(addr: &SocketAddr) -> bool {
    addr.ip().is_loopback()
}

/// Accept connections until `stop` fires, at most [`MAX_CONNECTIONS`] at once, each given
/// `header_timeout` per request head; then finish the requests in flight.
async fn serve(
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

/// With a token configured, every request must carry it (`Authorization: Bearer TOKEN`,
/// compared in constant time); others are answered 401 before their body is read.
async fn authorize(
    State(s): State<Arc<Shared>>,
    req: Request,
    next: axum::middleware::Next,
) -> Response {
    let Some(token) = &s.token else {
        return next.run(req).await;
    };
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
        });
    let ok =
        given.is_some_and(|g| subtle::ConstantTimeEq::ct_eq(g.as_bytes(), token.as_bytes()).into());
    if ok {
        return next.run(req).await;
    }
    s.counters.requests.fetch_add(1, Ordering::Relaxed);
    s.counters.unauthorized.fetch_add(1, Ordering::Relaxed);
    let why = if given.is_some() {
        "a wrong token"
    } else {
        "no `Authorization: Bearer` token"
    };
    s.note_refusal(StatusCode::UNAUTHORIZED, &format!("{why} (--token)"));
    let mut r = (
        StatusCode::UNAUTHORIZED,
        format!("spanscope: this receiver requires a token; the request had {why}\n"),
    )
        .into_response();
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"spanscope\""),
    );
    r
}

/// The body encodings of OTLP/HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Protobuf,
    Json,
}

impl Encoding {
    fn of(headers: &HeaderMap) -> Option<Encoding> {
        let ct = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
        let essence = ct.split(';').next()?.trim().to_ascii_lowercase();
        match essence.as_str() {
            "application/x-protobuf" | "application/protobuf" => Some(Encoding::Protobuf),
            "application/json" => Some(Encoding::Json),
            _ => None,
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Encoding::Protobuf => "application/x-protobuf",
            Encoding::Json => "application/json",
        }
    }
}

/// A refusal: the status, and why.
struct Refusal(StatusCode, String);

/// `google.rpc.Status`, the body of an OTLP/HTTP error response.
#[derive(Clone, PartialEq, prost::Message)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
}

impl Refusal {
    fn response(self, enc: Encoding) -> Response {
        let Refusal(status, message) = self;
        let code = match status {
            StatusCode::SERVICE_UNAVAILABLE => 14, // UNAVAILABLE
            StatusCode::PAYLOAD_TOO_LARGE => 8,    // RESOURCE_EXHAUSTED
            StatusCode::REQUEST_TIMEOUT => 4,      // DEADLINE_EXCEEDED
            _ => 3,                                // INVALID_ARGUMENT
        };
        let body = match enc {
            Encoding::Protobuf => RpcStatus { code, message }.encode_to_vec(),
            Encoding::Json => serde_json::json!({ "code": code, "message": message })
                .to_string()
                .into_bytes(),
        };
        let mut r = (status, body).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(enc.content_type()),
        );
        if status == StatusCode::SERVICE_UNAVAILABLE {
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        r
    }
}

/// Read the body (at most `max` bytes) and undo its content encoding (again at most `max`).
async fn read_body(req: Request, max: usize, timeout: Duration) -> Result<Vec<u8>, Refusal> {
    let (parts, body) = req.into_parts();
    let too_large = || {
        Refusal(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the body is larger than the limit of {max} bytes (--max-body)"),
        )
    };
    let encoding = parts
        .headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("identity")
        .trim()
        .to_ascii_lowercase();
    if !matches!(
        encoding.as_str(),
        "identity" | "" | "gzip" | "x-gzip" | "deflate"
    ) {
        return Err(Refusal(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("unsupported content encoding {encoding:?} (gzip, deflate or none)"),
        ));
    }
    let collected = tokio::time::timeout(timeout, Limited::new(body, max).collect()).await;
    let Ok(collected) = collected else {
        return Err(Refusal(
            StatusCode::REQUEST_TIMEOUT,
            format!(
                "the body did not arrive within {}s (a client sending too slowly)",
                timeout.as_secs()
            ),
        ));
    };
    let raw = match collected {
        Ok(c) => c.to_bytes(),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => return Err(too_large()),
        Err(e) => {
            return Err(Refusal(
                StatusCode::BAD_REQUEST,
                format!("cannot read the body: {e}"),
            ));
        }
    };
    decode_body(&encoding, &raw, max)
}

/// Undo a body's content encoding (`identity`, `gzip`, `deflate`), producing at most `max`
/// bytes: a body that inflates beyond it (a gzip bomb) stops being read at `max + 1`.
fn decode_body(encoding: &str, raw: &[u8], max: usize) -> Result<Vec<u8>, Refusal> {
    let inflate = |r: &mut dyn Read| -> Result<Vec<u8>, Refusal> {
        let mut out = Vec::new();
        r.take(max as u64 + 1).read_to_end(&mut out).map_err(|e| {
            Refusal(
                StatusCode::BAD_REQUEST,
                format!("the {encoding} body does not decompress: {e}"),
            )
        })?;
        if out.len() > max {
            return Err(Refusal(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the body decompresses to more than the limit of {max} bytes (--max-body)"),
            ));
        }
        Ok(out)
    };
    match encoding {
        "gzip" | "x-gzip" => inflate(&mut flate2::read::MultiGzDecoder::new(raw)),
        // HTTP's "deflate" is zlib; some clients send a raw deflate stream
        "deflate" => inflate(&mut flate2::read::ZlibDecoder::new(raw))
            .or_else(|_| inflate(&mut flate2::read::DeflateDecoder::new(raw))),
        _ => Ok(raw.to_vec()),
    }
}

/// A request body as the receiver decodes it, for the fuzz targets: `Ok(spans)` or the HTTP
/// status it would be refused with.
pub(crate) fn decode_request(
    encoding: &str,
    protobuf: bool,
    raw: &[u8],
    max: usize,
) -> Result<usize, u16> {
    let body = decode_body(encoding, raw, max).map_err(|r| r.0.as_u16())?;
    let req = if protobuf {
        otlp::decode_proto(&body)
    } else {
        otlp::decode_json(&body)
    }
    .map_err(|_| 400u16)?;
    let ctx = Ctx {
        blob: crate::model::BlobId(0),
        opts: Options::default(),
    };
    let mut records = Vec::new();
    otlp::records(
        &req,
        &ctx,
        0,
        body.len(),
        RecordFormat::OtlpProto,
        &mut records,
    );
    Ok(records.len())
}

async fn traces(State(s): State<Arc<Shared>>, req: Request) -> Response {
    s.counters.requests.fetch_add(1, Ordering::Relaxed);
    let Some(enc) = Encoding::of(req.headers()) else {
        let ct = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("none")
            .to_string();
        return s.refuse(
            Refusal(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!(
                    "unsupported content type {ct:?}: send application/x-protobuf or application/json"
                ),
            ),
            Encoding::Json,
        );
    };
    let body = match read_body(req, s.max_body, s.body_timeout).await {
        Ok(b) => b,
        Err(r) => return s.refuse(r, enc),
    };
    match s.export(enc, body) {
        Ok(rejected) => {
            let partial = (rejected > 0).then(|| ExportTracePartialSuccess {
                rejected_spans: i64::try_from(rejected).unwrap_or(i64::MAX),
                error_message: format!("{rejected} span(s) without a valid trace id or span id"),
            });
            let body = match enc {
                Encoding::Protobuf => ExportTraceServiceResponse {
                    partial_success: partial,
                }
                .encode_to_vec(),
                Encoding::Json => match partial {
                    Some(p) => serde_json::json!({ "partialSuccess": {
                        "rejectedSpans": p.rejected_spans.to_string(),
                        "errorMessage": p.error_message,
                    }})
                    .to_string()
                    .into_bytes(),
                    None => b"{}".to_vec(),
                },
            };
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, enc.content_type())],
                body,
            )
                .into_response()
        }
        Err(r) => s.refuse(r, enc),
    }
}

async fn jsonl(State(s): State<Arc<Shared>>, req: Request) -> Response {
    s.counters.requests.fetch_add(1, Ordering::Relaxed);
    let body = match read_body(req, s.max_body, s.body_timeout).await {
        Ok(b) => b,
        Err(r) => return s.refuse(r, Encoding::Json),
    };
    match s.lines(body) {
        Ok((accepted, errors)) => {
            let status = if accepted == 0 && !errors.is_empty() {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::OK
            };
            let rejected = errors.len();
            let errors: Vec<serde_json::Value> = errors
                .iter()
                .take(20)
                .map(|r| serde_json::json!({ "line": r.line, "reason": r.reason }))
                .collect();
            let body = serde_json::json!({
                "accepted": accepted,
                "rejected": rejected,
                "errors": errors,
            });
            (
                status,
                [(header::CONTENT_TYPE, "application/json")],
                body.to_string(),
            )
                .into_response()
        }
        Err(r) => s.refuse(r, Encoding::Json),
    }
}

impl Shared {
    fn refuse(&self, r: Refusal, enc: Encoding) -> Response {
        if r.0 == StatusCode::SERVICE_UNAVAILABLE {
            self.counters.busy.fetch_add(1, Ordering::Relaxed);
        } else {
            if r.0 == StatusCode::REQUEST_TIMEOUT {
                self.counters.timed_out.fetch_add(1, Ordering::Relaxed);
            }
            self.counters.rejected.fetch_add(1, Ordering::Relaxed);
            self.note_refusal(r.0, &r.1);
        }
        r.response(enc)
    }

    /// A refused request, for `:errors` and the source's rejected count; when the queue is
    /// full, the counters still have it.
    fn note_refusal(&self, status: StatusCode, why: &str) {
        let _ = self.feed.try_send(Batch {
            source: self.source,
            units: 1,
            requests: 1,
            rejections: vec![crate::model::store::Rejection {
                line: 0,
                reason: format!("HTTP {}: {why}", status.as_u16()),
            }],
            ..Batch::default()
        });
    }

    /// Keep a request body in memory for the payloads of its spans.
    fn hold(&self, body: Vec<u8>) -> (Arc<Vec<u8>>, Ctx) {
        let body = Arc::new(body);
        let blob = self
            .feed
            .registry
            .blobs
            .add(Blob::Memory(Arc::clone(&body)));
        let ctx = Ctx {
            blob,
            opts: self.opts,
        };
        (body, ctx)
    }

    fn counted(&self, accepted: u64, rejected: u64) {
        self.counters
            .accepted
            .fetch_add(accepted, Ordering::Relaxed);
        self.counters
            .rejected
            .fetch_add(rejected, Ordering::Relaxed);
    }

    /// Decode and queue an OTLP request; returns the number of spans rejected.
    fn export(&self, enc: Encoding, body: Vec<u8>) -> Result<u64, Refusal> {
        let bad = |e: String| Refusal(StatusCode::BAD_REQUEST, e);
        let req = match enc {
            Encoding::Protobuf => otlp::decode_proto(&body).map_err(bad)?,
            Encoding::Json => otlp::decode_json(&body).map_err(bad)?,
        };
        let format = match enc {
            Encoding::Protobuf => RecordFormat::OtlpProto,
            Encoding::Json => RecordFormat::OtlpJson,
        };
        let len = body.len();
        let (_, ctx) = self.hold(body);
        let blob = ctx.blob;
        let mut records = Vec::new();
        otlp::records(&req, &ctx, 0, len, format, &mut records);
        // spans refused on their own (invalid ids) stay in the batch: the store counts them
        let rejected = records
            .iter()
            .filter(|r| matches!(r, Record::Rejected(_)))
            .count() as u64;
        let accepted = records.len() as u64 - rejected;
        let batch = Batch {
            source: self.source,
            records,
            units: 1,
            bytes: len as u64,
            requests: 1,
            rejections: Vec::new(),
            state: None,
        };
        let line = match &self.record {
            Some(_) => {
                let mut line = serde_json::to_vec(&req).map_err(|e| {
                    self.forget(blob);
                    Refusal(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        format!("cannot write the request as JSON: {e}"),
                    )
                })?;
                line.push(b'\n');
                Some(line)
            }
            None => None,
        };
        self.commit(batch, blob, line)?;
        self.counted(accepted, rejected);
        Ok(rejected)
    }

    /// Parse and queue a JSON-lines body; returns the lines accepted and the rejections.
    fn lines(&self, body: Vec<u8>) -> Result<(u64, Vec<crate::model::store::Rejection>), Refusal> {
        let (body, ctx) = self.hold(body);
        let blob = ctx.blob;
        let mut sink = Collect {
            registry: &self.feed.registry,
            batch: Batch {
                source: self.source,
                requests: 1,
                bytes: body.len() as u64,
                ..Batch::default()
            },
        };
        load_lines(&mut sink, self.source, &body, 0, 0, &ctx);
        let batch = sink.batch;
        let rejected = batch.rejections.len() as u64;
        let accepted = batch.units - rejected;
        let rejections = batch.rejections.clone();
        if accepted == 0 {
            // nothing to index: the rejections are still shown
            self.forget(blob);
        }
        let line = (accepted > 0 && self.record.is_some()).then(|| {
            let mut line = body.to_vec();
            if !line.ends_with(b"\n") {
                line.push(b'\n');
            }
            line
        });
        self.commit(batch, blob, line)?;
        self.counted(accepted, rejected);
        Ok((accepted, rejections))
    }

    /// Queue a request's batch whole, or refuse it (503) when the index is behind.
    fn queue(&self, batch: Batch, blob: crate::model::BlobId) -> Result<(), Refusal> {
        match self.feed.try_send(batch) {
            Ok(()) => Ok(()),
            Err(Refused::Busy) => {
                self.forget(blob);
                Err(Refusal(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the index is behind: retry shortly".into(),
                ))
            }
            Err(Refused::Closed) => {
                self.forget(blob);
                Err(Refusal(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "shutting down".into(),
                ))
            }
        }
    }

    fn forget(&self, blob: crate::model::BlobId) {
        self.feed
            .registry
            .blobs
            .forget(blob, "the request was not indexed");
    }

    /// Acknowledge a request: append `line` to the record file (when recording) and queue its
    /// batch, both or neither. A request that cannot be written (a full disk) or queued is
    /// refused with 503, and what was written of it is cut off again, so the client's retry
    /// neither loses nor duplicates it.
    fn commit(
        &self,
        batch: Batch,
        blob: crate::model::BlobId,
        line: Option<Vec<u8>>,
    ) -> Result<(), Refusal> {
        let (Some(file), Some(line)) = (&self.record, line) else {
            return self.queue(batch, blob);
        };
        let file = file.lock().unwrap_or_else(PoisonError::into_inner);
        let before = file.metadata().map(|m| m.len()).ok();
        let undo = |file: &File| {
            if let Some(len) = before {
                let _ = file.set_len(len);
            }
        };
        if let Err(e) = (&*file).write_all(&line) {
            undo(&file);
            self.forget(blob);
            self.counters.record_failed.fetch_add(1, Ordering::Relaxed);
            let _ = self.feed.try_send(Batch {
                source: self.source,
                state: Some(format!("listening; cannot record: {e}")),
                ..Batch::default()
            });
            return Err(Refusal(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("cannot append to the record file: {e}"),
            ));
        }
        match self.queue(batch, blob) {
            Ok(()) => {
                self.counters.recorded.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            Err(r) => {
                undo(&file);
                Err(r)
            }
        }
    }
}
