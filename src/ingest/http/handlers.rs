//! The routes: `POST /v1/traces` (OTLP, protobuf or JSON), `POST /v1/jsonl` (any of the
//! JSON-lines shapes) and `GET /healthz`, behind the token check and a guard that answers 500
//! for a request whose handling panicked, so one bad request cannot stop the receiver.

use super::auth;
use super::body::read_body;
use super::counters::bump;
use super::intake::Shared;
use super::reply::{Encoding, Refusal};
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceResponse;
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceResponse,
};
use prost::Message as _;
use std::any::Any;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// The receiver's routes over `shared`.
pub(super) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/v1/traces", post(traces))
        .route("/v1/logs", post(logs))
        .route("/v1/jsonl", post(jsonl))
        .route("/healthz", get(|| async { "ok\n" }))
        .layer(from_fn_with_state(Arc::clone(&shared), authorize))
        // outermost, so that a panic anywhere in a request's handling is caught
        .layer(from_fn_with_state(Arc::clone(&shared), contain))
        .with_state(shared)
}

/// A future whose panic, while polled, becomes an `Err` with the panic's payload. The
/// future is dropped after a panic and never polled again; what it shares with other
/// requests is atomics, a channel and a spool behind a mutex whose poisoning is
/// ignored on purpose, so asserting unwind safety is sound.
pub(super) struct CatchUnwind<F>(pub(super) Pin<Box<F>>);

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, Box<dyn Any + Send>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.0.as_mut();
        match catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(p) => p.map(Ok),
            Err(payload) => Poll::Ready(Err(payload)),
        }
    }
}

/// The message a panic carried.
fn panic_message(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

/// Answer 500 for a request whose handling panicked, count it, and go on serving.
async fn contain(State(s): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let enc = Encoding::of(req.headers()).unwrap_or(Encoding::Json);
    match CatchUnwind(Box::pin(next.run(req))).await {
        Ok(r) => r,
        Err(payload) => {
            bump(&s.counters.panicked);
            let why = format!(
                "the receiver failed on this request ({}); it was not indexed",
                panic_message(&*payload)
            );
            s.refuse(Refusal(StatusCode::INTERNAL_SERVER_ERROR, why), enc)
        }
    }
}

/// With a token configured, every request must carry it; others are answered 401 before
/// their body is read.
async fn authorize(State(s): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let Some(token) = &s.token else {
        return next.run(req).await;
    };
    match auth::check(req.headers(), token) {
        Ok(()) => next.run(req).await,
        Err(denied) => {
            bump(&s.counters.requests);
            bump(&s.counters.unauthorized);
            s.note_refusal(
                StatusCode::UNAUTHORIZED,
                &format!("{} (--token)", denied.why()),
            );
            denied.response()
        }
    }
}

/// The refusal of a body in neither OTLP/HTTP encoding.
fn unsupported(s: &Shared, req: &Request) -> Response {
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("none")
        .to_string();
    s.refuse(
        Refusal(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "unsupported content type {ct:?}: send application/x-protobuf or application/json"
            ),
        ),
        Encoding::Json,
    )
}

/// `POST /v1/logs`: each log record becomes an event of its span.
async fn logs(State(s): State<Arc<Shared>>, req: Request) -> Response {
    bump(&s.counters.requests);
    let Some(enc) = Encoding::of(req.headers()) else {
        return unsupported(&s, &req);
    };
    let body = match read_body(req, s.max_body, s.body_timeout).await {
        Ok(b) => b,
        Err(r) => return s.refuse(r, enc),
    };
    match s.patiently(|| s.logs(enc, &body)).await {
        Ok(_) => {
            let body = match enc {
                Encoding::Protobuf => ExportLogsServiceResponse::default().encode_to_vec(),
                Encoding::Json => b"{}".to_vec(),
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

async fn traces(State(s): State<Arc<Shared>>, req: Request) -> Response {
    bump(&s.counters.requests);
    let Some(enc) = Encoding::of(req.headers()) else {
        return unsupported(&s, &req);
    };
    let body = match read_body(req, s.max_body, s.body_timeout).await {
        Ok(b) => b,
        Err(r) => return s.refuse(r, enc),
    };
    match s.patiently(|| s.export(enc, &body)).await {
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
    bump(&s.counters.requests);
    let body = match read_body(req, s.max_body, s.body_timeout).await {
        Ok(b) => b,
        Err(r) => return s.refuse(r, Encoding::Json),
    };
    match s.patiently(|| s.lines(&body)).await {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::http::intake::{decode_otlp, otlp_json};
    use crate::ingest::sink;
    use crate::model::Store;
    use crate::model::store::Batch;
    use axum::body::Body;
    use http_body_util::BodyExt as _;
    use std::sync::atomic::Ordering;
    use std::sync::mpsc::Receiver;

    /// What keeps a test's spool directory alive.
    type Kept = (crate::ingest::spool::SpoolDir, tempfile::TempDir);

    fn shared(f: impl FnOnce(&mut Shared)) -> (Arc<Shared>, Receiver<Batch>, Kept) {
        let store = Store::new();
        let root = tempfile::tempdir().unwrap();
        let dir = crate::ingest::spool::SpoolDir::create(root.path(), false).unwrap();
        let spool = crate::ingest::spool::Spool::private(store.registry(), &dir, 1 << 30);
        let (feed, rx) = sink::channel(store.registry());
        let mut s = Shared::for_tests(&feed.with_spool(spool));
        f(&mut s);
        (Arc::new(s), rx, (dir, root))
    }

    struct Answer {
        status: u16,
        content_type: String,
        body: String,
    }

    async fn call(
        app: &Router,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Answer {
        let mut req = Request::builder().method(method).uri(path);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req.body(Body::from(body.to_vec())).unwrap();
        let svc = hyper_util::service::TowerToHyperService::new(app.clone());
        let r = hyper::service::Service::call(&svc, req).await.unwrap();
        let status = r.status().as_u16();
        let content_type = r
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let body = r.into_body().collect().await.unwrap().to_bytes();
        Answer {
            status,
            content_type,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    const JSON: (&str, &str) = ("content-type", "application/json");

    #[tokio::test]
    async fn each_route_answers_for_itself() {
        let (s, rx, _kept) = shared(|_| {});
        let app = router(Arc::clone(&s));
        let a = call(&app, "GET", "/healthz", &[], b"").await;
        assert_eq!((a.status, a.body.as_str()), (200, "ok\n"));
        assert_eq!(call(&app, "GET", "/nope", &[], b"").await.status, 404);
        assert_eq!(call(&app, "GET", "/v1/traces", &[], b"").await.status, 405);
        let a = call(&app, "POST", "/v1/traces", &[JSON], &otlp_json(&[1])).await;
        assert_eq!((a.status, a.body.as_str()), (200, "{}"));
        assert_eq!(a.content_type, "application/json");
        let a = call(&app, "POST", "/v1/jsonl", &[], b"nope\n").await;
        assert_eq!(a.status, 400);
        assert!(a.body.contains(r#""accepted":0"#), "{}", a.body);
        assert_eq!(s.counters.requests.load(Ordering::Relaxed), 2);
        assert_eq!(rx.try_iter().filter(|b| !b.records.is_empty()).count(), 1);
    }

    #[tokio::test]
    async fn traces_answer_in_the_request_encoding() {
        let (s, _rx, _kept) = shared(|_| {});
        let app = router(s);
        let a = call(&app, "POST", "/v1/traces", &[JSON], &otlp_json(&[1, 0])).await;
        assert_eq!(a.status, 200);
        assert!(a.body.contains(r#""rejectedSpans":"1""#), "{}", a.body);
        let proto = ("content-type", "application/x-protobuf");
        let a = call(&app, "POST", "/v1/traces", &[proto], b"").await;
        assert_eq!(
            (a.status, a.content_type.as_str()),
            (200, "application/x-protobuf")
        );
        let a = call(
            &app,
            "POST",
            "/v1/traces",
            &[("content-type", "text/plain")],
            b"x",
        )
        .await;
        assert_eq!(a.status, 415);
        assert!(a.body.contains("unsupported content type"), "{}", a.body);
        let a = call(&app, "POST", "/v1/traces", &[JSON], b"{").await;
        assert_eq!(a.status, 400);
    }

    #[tokio::test]
    async fn with_a_token_every_route_asks_for_it() {
        let (s, _rx, _kept) = shared(|s| s.token = Some("t0ken".into()));
        let app = router(Arc::clone(&s));
        for path in ["/healthz", "/v1/traces", "/v1/jsonl"] {
            let method = if path == "/healthz" { "GET" } else { "POST" };
            assert_eq!(
                call(&app, method, path, &[JSON], b"{}").await.status,
                401,
                "{path}"
            );
        }
        let auth = ("authorization", "Bearer t0ken");
        assert_eq!(
            call(&app, "GET", "/healthz", &[auth], b"").await.status,
            200
        );
        let a = call(&app, "POST", "/v1/traces", &[JSON, auth], &otlp_json(&[1])).await;
        assert_eq!(a.status, 200);
        assert_eq!(s.counters.unauthorized.load(Ordering::Relaxed), 3);
    }

    /// Decodes as the receiver does, except that a body starting with "panic" panics.
    fn panicky(
        enc: Encoding,
        body: &[u8],
    ) -> Result<opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest, String>
    {
        assert!(!body.starts_with(b"panic"), "the decoder failed");
        decode_otlp(enc, body)
    }

    #[tokio::test]
    async fn a_panicking_request_is_answered_500_and_the_next_is_served() {
        let (s, rx, _kept) = shared(|s| s.decode = panicky);
        let app = router(Arc::clone(&s));
        let a = call(&app, "POST", "/v1/traces", &[JSON], b"panic").await;
        assert_eq!(a.status, 500);
        assert!(a.body.contains("the decoder failed"), "{}", a.body);
        assert!(a.body.contains(r#""code":13"#), "{}", a.body);
        let a = call(&app, "POST", "/v1/traces", &[JSON], &otlp_json(&[1])).await;
        assert_eq!(a.status, 200);
        let c = &s.counters;
        assert_eq!(c.panicked.load(Ordering::Relaxed), 1);
        assert_eq!(c.requests.load(Ordering::Relaxed), 2);
        assert_eq!(c.accepted.load(Ordering::Relaxed), 1);
        let notes: Vec<String> = rx
            .try_iter()
            .flat_map(|b| b.rejections)
            .map(|r| r.reason)
            .collect();
        assert!(notes.iter().any(|r| r.starts_with("HTTP 500")), "{notes:?}");
    }
}
