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
use std::io::{self, BufWriter, Read, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

/// The default address: what `OTEL_EXPORTER_OTLP_ENDPOINT` defaults to.
pub const DEFAULT_ADDR: &str = "127.0.0.1:4318";
/// The default body limit (compressed and decompressed).
pub const DEFAULT_MAX_BODY: usize = 16 << 20;

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
    record: Option<Mutex<BufWriter<File>>>,
}

/// Bind `cfg.addr` and serve on a thread of its own until stopped.
///
/// # Errors
/// The address cannot be bound, or the record file cannot be opened.
pub fn start(feed: &Feed, cfg: Config) -> io::Result<Receiver> {
    let listener = std::net::TcpListener::bind(cfg.addr)?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let record = match &cfg.record {
        Some(p) => Some(Mutex::new(BufWriter::new(
            File::options().create(true).append(true).open(p)?,
        ))),
        None => None,
    };
    let source = feed.registry.add_source(format!("receiver {addr}"));
    let _ = feed.send(Batch {
        source,
        state: Some("listening".into()),
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
    });
    let app = Router::new()
        .route("/v1/traces", post(traces))
        .route("/v1/jsonl", post(jsonl))
        .route("/healthz", get(|| async { "ok\n" }))
        .with_state(shared);
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
                axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = rx.await;
                    })
                    .await
            })
        })?;
    Ok(Receiver {
        addr,
        counters,
        source,
        shutdown: Some(tx),
        thread: Some(thread),
    })
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
async fn read_body(req: Request, max: usize) -> Result<Vec<u8>, Refusal> {
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
    let raw = match Limited::new(body, max).collect().await {
        Ok(c) => c.to_bytes(),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => return Err(too_large()),
        Err(e) => {
            return Err(Refusal(
                StatusCode::BAD_REQUEST,
                format!("cannot read the body: {e}"),
            ));
        }
    };
    let inflate = |r: &mut dyn Read| -> Result<Vec<u8>, Refusal> {
        let mut out = Vec::new();
        r.take(max as u64 + 1).read_to_end(&mut out).map_err(|e| {
            Refusal(
                StatusCode::BAD_REQUEST,
                format!("the {encoding} body does not decompress: {e}"),
            )
        })?;
        if out.len() > max {
            return Err(too_large());
        }
        Ok(out)
    };
    match encoding.as_str() {
        "gzip" | "x-gzip" => inflate(&mut flate2::read::MultiGzDecoder::new(&raw[..])),
        // HTTP's "deflate" is zlib; some clients send a raw deflate stream
        "deflate" => inflate(&mut flate2::read::ZlibDecoder::new(&raw[..]))
            .or_else(|_| inflate(&mut flate2::read::DeflateDecoder::new(&raw[..]))),
        _ => Ok(raw.to_vec()),
    }
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
    let body = match read_body(req, s.max_body).await {
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
    let body = match read_body(req, s.max_body).await {
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
            self.counters.rejected.fetch_add(1, Ordering::Relaxed);
            // shown with `:errors`; when the queue is full the counter still has it
            let _ = self.feed.try_send(Batch {
                source: self.source,
                units: 1,
                requests: 1,
                rejections: vec![crate::model::store::Rejection {
                    line: 0,
                    reason: format!("HTTP {}: {}", r.0.as_u16(), r.1),
                }],
                ..Batch::default()
            });
        }
        r.response(enc)
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
        let before = records.len();
        records.retain(|r| match r {
            Record::Span(s) => s.trace_id.len() == 32 && s.span_id.len() == 16,
            Record::Trace(_) => true,
        });
        let rejected = (before - records.len()) as u64;
        let accepted = records.len() as u64;
        let batch = Batch {
            source: self.source,
            records,
            units: 1,
            bytes: len as u64,
            requests: 1,
            rejections: (rejected > 0)
                .then(|| crate::model::store::Rejection {
                    line: 0,
                    reason: format!("{rejected} span(s) without a valid trace id or span id"),
                })
                .into_iter()
                .collect(),
            state: None,
        };
        self.queue(batch, blob)?;
        self.counted(accepted, rejected);
        self.record(|w| {
            serde_json::to_writer(&mut *w, &req)?;
            writeln!(w)
        });
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
        self.queue(batch, blob)?;
        self.counted(accepted, rejected);
        if accepted > 0 {
            self.record(|w| {
                w.write_all(&body)?;
                if !body.ends_with(b"\n") {
                    writeln!(w)?;
                }
                Ok(())
            });
        }
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

    fn record(&self, write: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>) {
        let Some(w) = &self.record else { return };
        let mut w = w.lock().unwrap_or_else(PoisonError::into_inner);
        let res = write(&mut w).and_then(|()| w.flush());
        if res.is_ok() {
            self.counters.recorded.fetch_add(1, Ordering::Relaxed);
        }
    }
}
