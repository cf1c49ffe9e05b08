//! The wire side of an answer: the two OTLP/HTTP body encodings, and a refusal written as
//! OTLP/HTTP specifies it (a `google.rpc.Status` in the request's encoding, `Retry-After` on
//! 503 so clients retry).

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use prost::Message as _;

/// The body encodings of OTLP/HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Encoding {
    Protobuf,
    Json,
}

impl Encoding {
    /// The encoding a request's `Content-Type` names, if it is one of OTLP/HTTP's.
    pub(super) fn of(headers: &HeaderMap) -> Option<Encoding> {
        let ct = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
        let essence = ct.split(';').next()?.trim().to_ascii_lowercase();
        match essence.as_str() {
            "application/x-protobuf" | "application/protobuf" => Some(Encoding::Protobuf),
            "application/json" => Some(Encoding::Json),
            _ => None,
        }
    }

    pub(super) fn content_type(self) -> &'static str {
        match self {
            Encoding::Protobuf => "application/x-protobuf",
            Encoding::Json => "application/json",
        }
    }
}

/// Why a request the index has no room for is refused.
pub(super) const BEHIND: &str = "the index is behind: retry shortly";

/// A refusal: the status, and why.
#[derive(Debug)]
pub(super) struct Refusal(pub(super) StatusCode, pub(super) String);

/// `google.rpc.Status`, the body of an OTLP/HTTP error response.
#[derive(Clone, PartialEq, prost::Message)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
}

impl Refusal {
    /// The index had no room for the request: it may be taken a moment later.
    pub(super) fn is_behind(&self) -> bool {
        self.0 == StatusCode::SERVICE_UNAVAILABLE && self.1 == BEHIND
    }

    pub(super) fn response(self, enc: Encoding) -> Response {
        let Refusal(status, message) = self;
        let code = match status {
            StatusCode::SERVICE_UNAVAILABLE => 14,   // UNAVAILABLE
            StatusCode::PAYLOAD_TOO_LARGE => 8,      // RESOURCE_EXHAUSTED
            StatusCode::REQUEST_TIMEOUT => 4,        // DEADLINE_EXCEEDED
            StatusCode::INTERNAL_SERVER_ERROR => 13, // INTERNAL
            _ => 3,                                  // INVALID_ARGUMENT
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

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(ct: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_str(ct).unwrap());
        h
    }

    #[test]
    fn the_content_type_picks_the_encoding() {
        assert_eq!(
            Encoding::of(&headers("application/x-protobuf")),
            Some(Encoding::Protobuf)
        );
        assert_eq!(
            Encoding::of(&headers("application/protobuf")),
            Some(Encoding::Protobuf)
        );
        assert_eq!(
            Encoding::of(&headers("Application/JSON; charset=utf-8")),
            Some(Encoding::Json)
        );
        assert_eq!(Encoding::of(&headers("text/plain")), None);
        assert_eq!(Encoding::of(&HeaderMap::new()), None);
    }

    #[test]
    fn a_busy_refusal_says_when_to_retry() {
        let r = Refusal(StatusCode::SERVICE_UNAVAILABLE, "behind".into()).response(Encoding::Json);
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.headers()[header::RETRY_AFTER], "1");
        assert_eq!(r.headers()[header::CONTENT_TYPE], "application/json");
        let r = Refusal(StatusCode::BAD_REQUEST, "bad".into()).response(Encoding::Protobuf);
        assert!(r.headers().get(header::RETRY_AFTER).is_none());
        assert_eq!(r.headers()[header::CONTENT_TYPE], "application/x-protobuf");
    }

    #[tokio::test]
    async fn a_refusal_is_a_google_rpc_status() {
        use http_body_util::BodyExt as _;
        let r = Refusal(StatusCode::PAYLOAD_TOO_LARGE, "too big".into()).response(Encoding::Json);
        let body = r.into_body().collect().await.unwrap().to_bytes();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v, serde_json::json!({ "code": 8, "message": "too big" }));
        let r =
            Refusal(StatusCode::INTERNAL_SERVER_ERROR, "bug".into()).response(Encoding::Protobuf);
        let body = r.into_body().collect().await.unwrap().to_bytes();
        let s = RpcStatus::decode(body).unwrap();
        assert_eq!((s.code, s.message.as_str()), (13, "bug"));
    }
}
