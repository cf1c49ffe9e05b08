//! Reading a request's body within its limits: at most `max` bytes on the wire, within the
//! body timeout, and at most `max` bytes again once its content encoding (gzip, deflate) is
//! undone, so neither a slow client nor a decompression bomb can make the receiver hold more.

use super::reply::Refusal;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use std::io::Read;
use std::time::Duration;

/// Read the body (at most `max` bytes, within `timeout`) and undo its content encoding
/// (again at most `max`).
pub(super) async fn read_body(
    req: Request,
    max: usize,
    timeout: Duration,
) -> Result<Vec<u8>, Refusal> {
    let (parts, body) = req.into_parts();
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
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
            return Err(Refusal(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the body is larger than the limit of {max} bytes (--max-body)"),
            ));
        }
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
pub(super) fn decode_body(encoding: &str, raw: &[u8], max: usize) -> Result<Vec<u8>, Refusal> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use std::io::Write;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    fn request(encoding: Option<&str>, body: Body) -> Request {
        let mut b = Request::builder().method("POST").uri("/v1/traces");
        if let Some(e) = encoding {
            b = b.header(header::CONTENT_ENCODING, e);
        }
        b.body(body).unwrap()
    }

    async fn read(encoding: Option<&str>, body: Vec<u8>, max: usize) -> Result<Vec<u8>, u16> {
        read_body(
            request(encoding, Body::from(body)),
            max,
            Duration::from_secs(5),
        )
        .await
        .map_err(|r| r.0.as_u16())
    }

    #[test]
    fn identity_is_passed_through() {
        assert_eq!(decode_body("identity", b"abc", 3).unwrap(), b"abc");
        assert_eq!(decode_body("", b"", 0).unwrap(), b"");
    }

    #[test]
    fn gzip_and_both_deflates_are_undone() {
        let body = b"{\"resourceSpans\":[]}".repeat(10);
        assert_eq!(decode_body("gzip", &gzip(&body), 1000).unwrap(), body);
        assert_eq!(decode_body("x-gzip", &gzip(&body), 1000).unwrap(), body);
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        z.write_all(&body).unwrap();
        assert_eq!(
            decode_body("deflate", &z.finish().unwrap(), 1000).unwrap(),
            body
        );
        let mut d = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        d.write_all(&body).unwrap();
        assert_eq!(
            decode_body("deflate", &d.finish().unwrap(), 1000).unwrap(),
            body
        );
    }

    #[test]
    fn a_body_that_inflates_past_the_limit_is_too_large() {
        let bomb = gzip(&vec![0u8; 1 << 20]);
        assert!(bomb.len() < 10_000);
        let r = decode_body("gzip", &bomb, 1 << 16).unwrap_err();
        assert_eq!(r.0, StatusCode::PAYLOAD_TOO_LARGE);
        // exactly the limit is fine
        assert_eq!(
            decode_body("gzip", &gzip(&[7; 100]), 100).unwrap().len(),
            100
        );
    }

    #[test]
    fn a_body_that_does_not_decompress_is_a_bad_request() {
        let r = decode_body("gzip", b"not gzip", 100).unwrap_err();
        assert_eq!(r.0, StatusCode::BAD_REQUEST);
        assert!(r.1.contains("does not decompress"), "{}", r.1);
    }

    #[tokio::test]
    async fn the_limit_applies_on_the_wire_and_after_decompression() {
        assert_eq!(read(None, vec![1; 10], 10).await, Ok(vec![1; 10]));
        assert_eq!(read(None, vec![1; 11], 10).await, Err(413));
        assert_eq!(
            read(Some("gzip"), gzip(&[2; 100]), 100).await,
            Ok(vec![2; 100])
        );
        assert_eq!(read(Some("gzip"), gzip(&[2; 101]), 100).await, Err(413));
        assert_eq!(
            read(Some(" GZIP "), gzip(b"x"), 100).await,
            Ok(b"x".to_vec())
        );
    }

    #[tokio::test]
    async fn an_unknown_encoding_is_unsupported() {
        assert_eq!(read(Some("br"), b"x".to_vec(), 10).await, Err(415));
    }

    /// A body whose bytes never come.
    struct Never;

    impl hyper::body::Body for Never {
        type Data = axum::body::Bytes;
        type Error = std::io::Error;

        fn poll_frame(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
            Poll::Pending
        }
    }

    #[tokio::test]
    async fn a_body_that_does_not_arrive_in_time_is_cut_off() {
        let req = request(None, Body::new(Never));
        let r = read_body(req, 10, Duration::from_millis(20))
            .await
            .unwrap_err();
        assert_eq!(r.0, StatusCode::REQUEST_TIMEOUT);
        assert!(r.1.contains("did not arrive within"), "{}", r.1);
    }
}
