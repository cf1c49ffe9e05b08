//! The OTLP/gRPC receiver over loopback, called by a tonic client built from the same
//! generated types: the captured protobuf requests index as they do from disk; the message
//! limit (above tonic's 4 MiB default, and after gzip), the token, the answers under pressure
//! and `partial_success` behave as OTLP/gRPC clients expect; the accounting balances; both
//! servers stop together; and log events (gRPC LogsService, OTLP/HTTP `/v1/logs`) attach to
//! their spans in the live index whichever arrives first.

#![allow(clippy::unwrap_used)]

use flate2::read::GzDecoder;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message as _;
use spanscope::ingest::spool::{self, Spool, SpoolDir};
use spanscope::ingest::{self, http, sink};
use spanscope::model::{Batch, Store};
use std::io::Read as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::mpsc::Receiver;
use std::time::Duration;
use tonic::Code;
use tonic::codec::CompressionEncoding;
use tonic_types::StatusExt as _;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The captured OTLP/HTTP protobuf requests of `dir`, as the messages they carry.
fn captured(dir: &str) -> Vec<ExportTraceServiceRequest> {
    let mut bodies: Vec<PathBuf> = std::fs::read_dir(fixtures().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.to_string_lossy().ends_with(".meta.json"))
        .collect();
    bodies.sort();
    bodies
        .iter()
        .map(|p| {
            let raw = std::fs::read(p).unwrap();
            let body = if raw.starts_with(&[0x1f, 0x8b]) {
                let mut out = Vec::new();
                GzDecoder::new(&raw[..]).read_to_end(&mut out).unwrap();
                out
            } else {
                raw
            };
            ExportTraceServiceRequest::decode(&body[..]).unwrap()
        })
        .collect()
}

/// A receiver serving OTLP/HTTP and OTLP/gRPC on free loopback ports, the store it feeds, and
/// where it keeps what it accepts.
struct Live {
    r: http::Receiver,
    store: Store,
    rx: Receiver<Batch>,
    _kept: (SpoolDir, tempfile::TempDir),
}

impl Live {
    fn grpc(&self) -> SocketAddr {
        self.r.grpc_addr.unwrap()
    }

    fn drain(&mut self) {
        while let Ok(b) = self.rx.recv_timeout(Duration::from_millis(100)) {
            self.store.apply(b);
        }
        self.store.refresh();
    }
}

fn receiver(backlog: usize, f: impl FnOnce(&mut http::Config)) -> Live {
    let mut cfg = http::Config::new("127.0.0.1:0".parse().unwrap());
    cfg.grpc = Some("127.0.0.1:0".parse().unwrap());
    cfg.opts = ingest::Options { naive_utc: true };
    // refuse at once when the index is behind, rather than wait for it
    cfg.patience = Duration::ZERO;
    f(&mut cfg);
    let store = Store::new();
    let (feed, rx) = sink::channel_with_backlog(store.registry(), backlog);
    let root = tempfile::tempdir().unwrap();
    let dir = SpoolDir::create(root.path(), false).unwrap();
    let spool = Spool::private(store.registry(), &dir, spool::DEFAULT_MAX);
    let r = http::start(&feed.with_spool(spool), cfg).unwrap();
    Live {
        r,
        store,
        rx,
        _kept: (dir, root),
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

type Client = TraceServiceClient<tonic::transport::Channel>;

async fn client(addr: SocketAddr) -> Client {
    TraceServiceClient::connect(format!("http://{addr}"))
        .await
        .unwrap()
        .max_encoding_message_size(usize::MAX)
}

/// A request of one span per id (an id of 0 is invalid), its name padded to `pad` bytes.
fn request(ids: &[u32], pad: usize) -> ExportTraceServiceRequest {
    let spans = ids
        .iter()
        .map(|&i| Span {
            trace_id: if i == 0 {
                Vec::new()
            } else {
                u128::from(i).to_be_bytes().to_vec()
            },
            span_id: if i == 0 {
                Vec::new()
            } else {
                u64::from(i).to_be_bytes().to_vec()
            },
            name: format!("s{i}"),
            start_time_unix_nano: 1_000,
            end_time_unix_nano: 2_000,
            attributes: vec![KeyValue {
                key: "pad".into(),
                key_strindex: 0,
                value: Some(AnyValue {
                    value: Some(any_value::Value::StringValue("x".repeat(pad))),
                }),
            }],
            ..Span::default()
        })
        .collect();
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            scope_spans: vec![ScopeSpans {
                spans,
                ..ScopeSpans::default()
            }],
            ..ResourceSpans::default()
        }],
    }
}

fn with_token(
    req: ExportTraceServiceRequest,
    token: &str,
) -> tonic::Request<ExportTraceServiceRequest> {
    let mut r = tonic::Request::new(req);
    r.metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    r
}

/// The index as `list --format jsonl` prints it, in start order.
fn listing(store: &Store) -> String {
    let mut traces = spanscope::query::filter(store, &spanscope::query::Query::default());
    spanscope::query::sort(store, &mut traces, spanscope::query::SortKey::Start, false);
    let mut out = Vec::new();
    spanscope::headless::list::print(
        store,
        &traces,
        spanscope::headless::list::ListFormat::Jsonl,
        spanscope::text::TimeFmt { utc: true },
        spanscope::headless::Paint::default(),
        &mut out,
    )
    .unwrap();
    String::from_utf8(out).unwrap()
}

/// Every captured protobuf request, sent over gRPC (plain and gzip), indexes as the same
/// captures read from disk, with every span accounted for and the payloads readable.
#[test]
fn captured_requests_index_as_from_disk() {
    for (dir, gzip) in [("otlp-protobuf", false), ("otlp-protobuf-gzip", true)] {
        let mut live = receiver(sink::BACKLOG, |_| {});
        let addr = live.grpc();
        let sent = captured(dir);
        assert!(!sent.is_empty(), "{dir}");
        runtime().block_on(async {
            let mut c = client(addr).await;
            if gzip {
                c = c.send_compressed(CompressionEncoding::Gzip);
            }
            for req in &sent {
                let answer = c.export(req.clone()).await.unwrap().into_inner();
                assert_eq!(answer.partial_success, None);
            }
        });
        live.drain();
        let mut disk = Store::new();
        ingest::load_path(
            &mut disk,
            &fixtures().join(dir),
            ingest::Options { naive_utc: true },
        )
        .unwrap();
        disk.refresh();
        assert!(disk.span_count() > 0);
        assert_eq!(listing(&live.store), listing(&disk), "{dir}");
        let a = live.store.accounting();
        assert!(a.balanced(), "{}", a.balance());
        assert_eq!(a.received, disk.span_count() as u64);
        let c = &live.r.counters;
        assert_eq!(c.requests.load(Ordering::Relaxed), sent.len() as u64);
        assert_eq!(c.spooled.load(Ordering::Relaxed), sent.len() as u64);
        assert_eq!(c.accepted.load(Ordering::Relaxed), a.received);
        live.r.stop().unwrap();
    }
}

/// The limit is `max_body`, not tonic's 4 MiB: a 6 MiB message is taken by default; above a
/// smaller limit a message is refused whole, and so is one that only gzip made small.
#[test]
fn the_message_limit_is_the_body_limit_before_and_after_gzip() {
    let mut live = receiver(sink::BACKLOG, |_| {});
    let addr = live.grpc();
    runtime().block_on(async {
        let mut c = client(addr).await;
        c.export(request(&[1], 6 << 20)).await.unwrap();
    });
    live.drain();
    assert_eq!(live.store.span_count(), 1);
    live.r.stop().unwrap();

    let mut live = receiver(sink::BACKLOG, |c| c.max_body = 64 << 10);
    let addr = live.grpc();
    runtime().block_on(async {
        let mut c = client(addr).await;
        let e = c.export(request(&[2], 100 << 10)).await.unwrap_err();
        assert_eq!(e.code(), Code::OutOfRange, "{e:?}");
        let mut gz = client(addr)
            .await
            .send_compressed(CompressionEncoding::Gzip);
        // a thousand times smaller once compressed, and still refused
        let e = gz.export(request(&[3], 1 << 20)).await.unwrap_err();
        assert_eq!(e.code(), Code::ResourceExhausted, "{e:?}");
        assert!(e.get_details_retry_info().is_none(), "not worth retrying");
        // under the limit, compressed or not
        gz.export(request(&[4], 1 << 10)).await.unwrap();
        c.export(request(&[5], 1 << 10)).await.unwrap();
    });
    live.drain();
    assert_eq!(live.store.span_count(), 2);
    assert!(live.store.accounting().balanced());
    // refused before any handler saw them, and still counted and shown, as OTLP/HTTP's 413s
    let c = &live.r.counters;
    assert_eq!(c.requests.load(Ordering::Relaxed), 4);
    assert_eq!(c.rejected.load(Ordering::Relaxed), 2);
    let reasons: Vec<&str> = live.store.sources()[0]
        .rejections
        .iter()
        .map(|r| r.reason.as_str())
        .collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(reasons[0].starts_with("gRPC OutOfRange: "), "{reasons:?}");
    assert!(
        reasons[1].starts_with("gRPC ResourceExhausted: "),
        "{reasons:?}"
    );
    live.r.stop().unwrap();
}

/// With a token, a call without it or with another is refused `UNAUTHENTICATED` and counted;
/// the token as `authorization` metadata lets it in.
#[test]
fn the_token_is_authorization_metadata() {
    let mut live = receiver(sink::BACKLOG, |c| c.token = Some("s3cret".into()));
    let addr = live.grpc();
    runtime().block_on(async {
        let mut c = client(addr).await;
        let e = c.export(request(&[1], 0)).await.unwrap_err();
        assert_eq!(e.code(), Code::Unauthenticated, "{e:?}");
        let e = c
            .export(with_token(request(&[1], 0), "guess"))
            .await
            .unwrap_err();
        assert_eq!(e.code(), Code::Unauthenticated, "{e:?}");
        assert!(e.message().contains("a wrong token"), "{e:?}");
        c.export(with_token(request(&[1], 0), "s3cret"))
            .await
            .unwrap();
    });
    live.drain();
    assert_eq!(live.store.span_count(), 1);
    let c = &live.r.counters;
    assert_eq!(c.unauthorized.load(Ordering::Relaxed), 2);
    assert_eq!(c.requests.load(Ordering::Relaxed), 3, "each counted once");
    assert_eq!(live.store.sources()[0].rejections.len(), 2);
    live.r.stop().unwrap();
}

/// Spans without valid ids are refused on their own and counted in `partial_success`; the
/// rest of the request is kept.
#[test]
fn spans_without_ids_are_a_partial_success() {
    let mut live = receiver(sink::BACKLOG, |_| {});
    let addr = live.grpc();
    let answer = runtime().block_on(async {
        let mut c = client(addr).await;
        c.export(request(&[7, 0, 8, 0], 0))
            .await
            .unwrap()
            .into_inner()
    });
    let p = answer.partial_success.unwrap();
    assert_eq!(p.rejected_spans, 2);
    assert!(
        p.error_message.contains("without a valid trace id"),
        "{p:?}"
    );
    live.drain();
    assert_eq!(live.store.span_count(), 2);
    let a = live.store.accounting();
    assert_eq!((a.received, a.indexed, a.rejected), (4, 2, 2));
    live.r.stop().unwrap();
}

/// When the index is behind, a call is refused whole with `RESOURCE_EXHAUSTED` and a retry
/// delay; the retries, once the index caught up, lose nothing and duplicate nothing.
#[test]
fn a_full_queue_answers_resource_exhausted_and_retries_lose_nothing() {
    let backlog = 50;
    let mut live = receiver(backlog, |_| {});
    let addr = live.grpc();
    let n = backlog as u32 + 10;
    let busy = runtime().block_on(async {
        let mut c = client(addr).await;
        let mut busy = Vec::new();
        for i in 1..=n {
            match c.export(request(&[i], 0)).await {
                Ok(_) => {}
                Err(e) => {
                    assert_eq!(e.code(), Code::ResourceExhausted, "{e:?}");
                    let retry = e.get_details_retry_info().unwrap();
                    assert_eq!(retry.retry_delay, Some(Duration::from_secs(1)));
                    busy.push(i);
                }
            }
        }
        busy
    });
    assert_eq!(busy.len(), 10, "the queue holds {backlog} spans");
    live.drain();
    runtime().block_on(async {
        let mut c = client(addr).await;
        for &i in &busy {
            c.export(request(&[i], 0)).await.unwrap();
        }
    });
    live.drain();
    assert_eq!(live.store.trace_count(), n as usize);
    let a = live.store.accounting();
    assert!(a.balanced(), "{}", a.balance());
    assert_eq!((a.received, a.duplicates), (u64::from(n), 0));
    assert_eq!(live.r.counters.busy.load(Ordering::Relaxed), 10);
    live.r.stop().unwrap();
}

/// OTLP/HTTP and OTLP/gRPC feed one source, and stop together: after `stop`, neither port
/// takes connections, and what was acknowledged is in the index.
#[test]
fn both_servers_stop_together() {
    let mut live = receiver(sink::BACKLOG, |_| {});
    let (http_addr, grpc_addr) = (live.r.addr, live.grpc());
    runtime().block_on(async {
        let mut c = client(grpc_addr).await;
        c.export(request(&[1, 2], 0)).await.unwrap();
    });
    let body = br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"ok","startTimeUnixNano":"1","endTimeUnixNano":"2"}]}]}]}"#;
    let answer = ureq::post(format!("http://{http_addr}/v1/traces"))
        .header("Content-Type", "application/json")
        .send(&body[..])
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(live.r.counters.requests.load(Ordering::Relaxed), 2);
    live.drain();
    assert_eq!(live.store.span_count(), 3);
    assert_eq!(live.store.sources().len(), 1);
    live.r.stop().unwrap();
    assert!(std::net::TcpStream::connect(http_addr).is_err());
    assert!(std::net::TcpStream::connect(grpc_addr).is_err());
}

/// A log record of the event `name` for span `span` of trace `trace` (0: none), its body a
/// map of one `content` text.
fn log(
    trace: u32,
    span: u32,
    name: &str,
    content: &str,
) -> opentelemetry_proto::tonic::logs::v1::LogRecord {
    opentelemetry_proto::tonic::logs::v1::LogRecord {
        trace_id: u128::from(trace).to_be_bytes().to_vec(),
        span_id: if span == 0 {
            Vec::new()
        } else {
            u64::from(span).to_be_bytes().to_vec()
        },
        event_name: name.into(),
        body: Some(AnyValue {
            value: Some(any_value::Value::KvlistValue(
                opentelemetry_proto::tonic::common::v1::KeyValueList {
                    values: vec![KeyValue {
                        key: "content".into(),
                        value: Some(AnyValue {
                            value: Some(any_value::Value::StringValue(content.into())),
                        }),
                        key_strindex: 0,
                    }],
                },
            )),
        }),
        ..Default::default()
    }
}

fn logs(
    records: Vec<opentelemetry_proto::tonic::logs::v1::LogRecord>,
) -> opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest {
    use opentelemetry_proto::tonic::logs::v1::{ResourceLogs, ScopeLogs};
    opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            scope_logs: vec![ScopeLogs {
                log_records: records,
                ..ScopeLogs::default()
            }],
            ..ResourceLogs::default()
        }],
    }
}

/// Log events over the gRPC LogsService (gzip) and OTLP/HTTP `/v1/logs` (JSON) attach to
/// their spans in the live index, whether the span came first or last; a record of no span is
/// counted.
#[test]
fn log_events_attach_to_their_spans_whichever_comes_first() {
    use opentelemetry_proto::tonic::collector::logs::v1::logs_service_client::LogsServiceClient;
    let mut live = receiver(sink::BACKLOG, |_| {});
    let (http_addr, grpc_addr) = (live.r.addr, live.grpc());
    runtime().block_on(async {
        let mut spans = client(grpc_addr).await;
        spans.export(request(&[1], 0)).await.unwrap();
        let mut c = LogsServiceClient::connect(format!("http://{grpc_addr}"))
            .await
            .unwrap()
            .send_compressed(CompressionEncoding::Gzip);
        let events = vec![
            log(1, 1, "gen_ai.user.message", "first?"),
            log(2, 2, "gen_ai.user.message", "second?"),
            log(2, 0, "gen_ai.user.message", "nobody's"),
        ];
        let answer = c.export(logs(events)).await.unwrap().into_inner();
        assert_eq!(answer.partial_success, None);
    });
    // the response to span 2 over OTLP/HTTP JSON, before span 2 itself
    let json = format!(
        r#"{{"resourceLogs":[{{"scopeLogs":[{{"logRecords":[{{"traceId":"{:032x}","spanId":"{:016x}","eventName":"gen_ai.choice","body":{{"kvlistValue":{{"values":[{{"key":"message","value":{{"kvlistValue":{{"values":[{{"key":"content","value":{{"stringValue":"second!"}}}}]}}}}}}]}}}}}}]}}]}}]}}"#,
        2, 2
    );
    let answer = ureq::post(format!("http://{http_addr}/v1/logs"))
        .header("Content-Type", "application/json")
        .send(json.as_bytes())
        .unwrap();
    assert_eq!(answer.status(), 200);
    live.drain();
    let detail = |store: &Store, id: u32| {
        let t = spanscope::query::filter(store, &spanscope::query::Query::default())
            .into_iter()
            .find(|&t| {
                store.trace(t).spans.len() == 1
                    && store.str(store.span(store.trace(t).spans[0]).name) == format!("s{id}")
            })
            .unwrap();
        spanscope::ingest::detail::span_detail(store, store.trace(t).spans[0])
    };
    let first = detail(&live.store, 1);
    assert_eq!(first.messages.len(), 1);
    assert_eq!(first.messages[0].content, "first?");
    assert_eq!(first.messages[0].role, "user");
    runtime().block_on(async {
        client(grpc_addr)
            .await
            .export(request(&[2], 0))
            .await
            .unwrap();
    });
    live.drain();
    let second = detail(&live.store, 2);
    assert_eq!(second.messages.len(), 1, "{:?}", second.messages);
    assert_eq!(second.messages[0].content, "second?");
    assert_eq!(second.response.as_deref(), Some("second!"));
    let s = &live.store.sources()[0];
    assert_eq!((s.logs, s.logs_without_span), (3, 1));
    let c = &live.r.counters;
    assert_eq!(c.logs.load(Ordering::Relaxed), 4);
    assert_eq!(c.logs_without_span.load(Ordering::Relaxed), 1);
    assert!(live.store.accounting().balanced());
    live.r.stop().unwrap();
}
