//! OTLP/gRPC: `opentelemetry.proto.collector.trace.v1.TraceService/Export` and
//! `…logs.v1.LogsService/Export`, thin adapters over the same intake as OTLP/HTTP, so one set
//! of rules decides what is kept. The message
//! limit is the receiver's body limit (before and after gzip), the token is the
//! `authorization` metadata (`UNAUTHENTICATED` without it), a request the index cannot take
//! now is answered `RESOURCE_EXHAUSTED` (the index is behind) or `UNAVAILABLE` (the spool
//! cannot be written, shutting down) with a `RetryInfo` saying when to retry, and spans
//! refused on their own are counted in `partial_success`.

use super::auth;
use super::counters::bump;
use super::handlers::CatchUnwind;
use super::intake::Shared;
use super::reply::{Encoding, Refusal};
use crate::model::store::{Batch, Rejection};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use opentelemetry_proto::tonic::collector::logs::v1::logs_service_server::{
    LogsService, LogsServiceServer,
};
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use prost::Message as _;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use tonic::codec::CompressionEncoding;
use tonic::codegen::{BoxFuture, InterceptedService, Service, http};
use tonic::server::NamedService;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt as _};

/// How long a client is asked to wait before retrying a request refused under pressure.
pub(super) const RETRY_AFTER: Duration = Duration::from_secs(1);

/// The gRPC face of a receiver.
struct Traces(Arc<Shared>);

#[tonic::async_trait]
impl TraceService for Traces {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, Status> {
        let s = &self.0;
        bump(&s.counters.requests);
        Seen::mark(request.extensions());
        let req = request.into_inner();
        // the spool keeps the message as protobuf bytes, as OTLP/HTTP's protobuf bodies are
        let body = req.encode_to_vec();
        let rejected = contained(
            s,
            s.patiently(|| s.export_decoded(Encoding::Protobuf, &req, &body)),
        )
        .await?;
        Ok(tonic::Response::new(ExportTraceServiceResponse {
            partial_success: partial(rejected),
        }))
    }
}

/// The gRPC face of a receiver, for logs.
struct Logs(Arc<Shared>);

#[tonic::async_trait]
impl LogsService for Logs {
    async fn export(
        &self,
        request: tonic::Request<ExportLogsServiceRequest>,
    ) -> Result<tonic::Response<ExportLogsServiceResponse>, Status> {
        let s = &self.0;
        bump(&s.counters.requests);
        Seen::mark(request.extensions());
        let req = request.into_inner();
        let body = req.encode_to_vec();
        contained(
            s,
            s.patiently(|| s.export_logs(Encoding::Protobuf, &req, &body)),
        )
        .await?;
        Ok(tonic::Response::new(ExportLogsServiceResponse::default()))
    }
}

/// Await the intake's answer to a call (waiting, as OTLP/HTTP requests do, while the index
/// is behind), a panic in it answered `INTERNAL` and counted (the receiver goes on serving),
/// a refusal counted and answered as its gRPC status.
async fn contained<T>(
    s: &Shared,
    answer: impl Future<Output = Result<T, Refusal>>,
) -> Result<T, Status> {
    match CatchUnwind(Box::pin(answer)).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(r)) => Err(refuse(s, r)),
        Err(_) => {
            bump(&s.counters.panicked);
            Err(refuse(
                s,
                Refusal(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the receiver failed on this request; it was not indexed".into(),
                ),
            ))
        }
    }
}

/// What an answer says of spans refused on their own (none when all were taken).
pub(super) fn partial(rejected: u64) -> Option<ExportTracePartialSuccess> {
    (rejected > 0).then(|| ExportTracePartialSuccess {
        rejected_spans: i64::try_from(rejected).unwrap_or(i64::MAX),
        error_message: format!("{rejected} span(s) without a valid trace id or span id"),
    })
}

/// Count a refusal as OTLP/HTTP does, and answer it as a gRPC status.
fn refuse(s: &Shared, r: Refusal) -> Status {
    let st = status(&r);
    if r.0 == StatusCode::SERVICE_UNAVAILABLE {
        bump(&s.counters.busy);
    } else {
        bump(&s.counters.rejected);
        note(s, &st);
    }
    st
}

/// A refused call, for `:errors` and the source's rejected count (as OTLP/HTTP notes its
/// refusals); when the queue is full, the counters still have it.
fn note(s: &Shared, st: &Status) {
    let _ = s.feed.try_send(Batch {
        source: s.source,
        units: 1,
        requests: 1,
        rejections: vec![Rejection {
            line: 0,
            reason: format!("gRPC {:?}: {}", st.code(), st.message()),
        }],
        ..Batch::default()
    });
}

/// The gRPC status for a refusal: what OTLP/gRPC clients retry (with the delay given) and
/// what they drop.
pub(super) fn status(r: &Refusal) -> Status {
    let Refusal(http, why) = r;
    let code = match *http {
        StatusCode::SERVICE_UNAVAILABLE if r.is_behind() => Code::ResourceExhausted,
        StatusCode::SERVICE_UNAVAILABLE => Code::Unavailable,
        StatusCode::PAYLOAD_TOO_LARGE => Code::OutOfRange,
        StatusCode::REQUEST_TIMEOUT => Code::DeadlineExceeded,
        StatusCode::INTERNAL_SERVER_ERROR => Code::Internal,
        StatusCode::UNAUTHORIZED => Code::Unauthenticated,
        _ => Code::InvalidArgument,
    };
    if *http == StatusCode::SERVICE_UNAVAILABLE {
        let details = ErrorDetails::with_retry_info(Some(RETRY_AFTER));
        Status::with_error_details(code, why.clone(), details)
    } else {
        Status::new(code, why.clone())
    }
}

/// With a token configured, every call must carry it as `authorization: Bearer TOKEN`
/// metadata; others are refused before their message is read.
fn authorize(s: &Shared, req: &tonic::Request<()>) -> Result<(), Status> {
    let Some(token) = &s.token else {
        return Ok(());
    };
    let mut headers = HeaderMap::new();
    if let Some(Ok(v)) = req
        .metadata()
        .get("authorization")
        .map(|v| HeaderValue::from_bytes(v.as_encoded_bytes()))
    {
        headers.insert(header::AUTHORIZATION, v);
    }
    auth::check(&headers, token).map_err(|denied| {
        Seen::mark(req.extensions());
        bump(&s.counters.requests);
        bump(&s.counters.unauthorized);
        let why = format!("{} (--token)", denied.why());
        let st = Status::unauthenticated(format!(
            "spanscope: this receiver requires a token; the request had {why}"
        ));
        note(s, &st);
        st
    })
}

/// Set on a call's way in; a handler (or the token check) marks it when it counted the call.
/// A call answered with an error and not marked was refused by the server before any handler
/// saw it (a message over the limit, one that does not decode): counted as OTLP/HTTP counts
/// its refusals.
#[derive(Clone, Default)]
struct Seen(Arc<AtomicBool>);

impl Seen {
    fn mark(ext: &tonic::Extensions) {
        if let Some(seen) = ext.get::<Seen>() {
            seen.0.store(true, Ordering::Relaxed);
        }
    }
}

/// A gRPC service whose calls refused before a handler saw them are counted.
#[derive(Clone)]
struct Counted<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S: NamedService> NamedService for Counted<S> {
    const NAME: &'static str = S::NAME;
}

impl<S, B, R> Service<http::Request<B>> for Counted<S>
where
    S: Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<S::Response, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: http::Request<B>) -> Self::Future {
        let seen = Seen::default();
        req.extensions_mut().insert(seen.clone());
        let answer = self.inner.call(req);
        let shared = Arc::clone(&self.shared);
        Box::pin(async move {
            let r = answer.await?;
            if !seen.0.load(Ordering::Relaxed) {
                let status = Status::from_header_map(r.headers());
                if let Some(st) = status.filter(|st| st.code() != Code::Ok) {
                    bump(&shared.counters.requests);
                    bump(&shared.counters.rejected);
                    note(&shared, &st);
                }
            }
            Ok(r)
        })
    }
}

/// Serve OTLP/gRPC on `listener` until `stop` fires, then finish the calls in flight.
pub(super) async fn serve(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    stop: tokio::sync::oneshot::Receiver<()>,
) -> Result<(), tonic::transport::Error> {
    let limit = shared.max_body;
    let traces = TraceServiceServer::new(Traces(Arc::clone(&shared)))
        .accept_compressed(CompressionEncoding::Gzip)
        .max_decoding_message_size(limit);
    let logs = LogsServiceServer::new(Logs(Arc::clone(&shared)))
        .accept_compressed(CompressionEncoding::Gzip)
        .max_decoding_message_size(limit);
    let guard = |s: &Arc<Shared>| {
        let s = Arc::clone(s);
        move |req: tonic::Request<()>| authorize(&s, &req).map(|()| req)
    };
    let counted = |inner| Counted {
        inner,
        shared: Arc::clone(&shared),
    };
    let traces = counted(InterceptedService::new(traces, guard(&shared)));
    let logs = Counted {
        inner: InterceptedService::new(logs, guard(&shared)),
        shared: Arc::clone(&shared),
    };
    tonic::transport::Server::builder()
        .concurrency_limit_per_connection(super::MAX_CONNECTIONS)
        .timeout(super::BODY_TIMEOUT + super::HEADER_TIMEOUT)
        .add_service(traces)
        .add_service(logs)
        .serve_with_incoming_shutdown(
            // replies go out at once: with Nagle on, a small answer waits for the client's
            // delayed acknowledgement (about 40 ms)
            tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true)),
            async {
                let _ = stop.await;
            },
        )
        .await
}

#[cfg(test)]
mod tests {
    use super::super::reply::BEHIND;
    use super::*;

    #[test]
    fn pressure_is_retried_after_a_delay_and_the_rest_is_not() {
        let behind = status(&Refusal(StatusCode::SERVICE_UNAVAILABLE, BEHIND.into()));
        assert_eq!(behind.code(), Code::ResourceExhausted);
        let info = behind.get_details_retry_info().unwrap();
        assert_eq!(info.retry_delay, Some(RETRY_AFTER));
        let spool = status(&Refusal(
            StatusCode::SERVICE_UNAVAILABLE,
            "cannot append to the spool".into(),
        ));
        assert_eq!(spool.code(), Code::Unavailable);
        assert!(spool.get_details_retry_info().is_some());
        assert_eq!(spool.message(), "cannot append to the spool");
        let bad = status(&Refusal(StatusCode::BAD_REQUEST, "bad".into()));
        assert_eq!(bad.code(), Code::InvalidArgument);
        assert!(bad.get_details_retry_info().is_none());
        let big = status(&Refusal(StatusCode::PAYLOAD_TOO_LARGE, "big".into()));
        assert_eq!(big.code(), Code::OutOfRange);
    }

    #[test]
    fn partial_success_counts_refused_spans_only() {
        assert_eq!(partial(0), None);
        let p = partial(3).unwrap();
        assert_eq!(p.rejected_spans, 3);
        assert!(p.error_message.starts_with("3 span(s)"), "{p:?}");
    }
}
