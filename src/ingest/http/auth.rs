//! Bearer-token authorization: whether a request carries the receiver's token, compared in
//! constant time so the comparison does not tell a guesser how much of it was right, and the
//! 401 answer a request without it gets.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Denied {
    /// No `Authorization: Bearer …` header.
    Missing,
    /// A Bearer token, not the receiver's.
    Wrong,
}

/// Whether `headers` carry `Authorization: Bearer TOKEN` (the scheme in any case, spaces
/// around the token ignored).
pub(super) fn check(headers: &HeaderMap, token: &str) -> Result<(), Denied> {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
        })
        .ok_or(Denied::Missing)?;
    if subtle::ConstantTimeEq::ct_eq(given.as_bytes(), token.as_bytes()).into() {
        Ok(())
    } else {
        Err(Denied::Wrong)
    }
}

impl Denied {
    /// What the request had, for the refusal's reason.
    pub(super) fn why(self) -> &'static str {
        match self {
            Denied::Wrong => "a wrong token",
            Denied::Missing => "no `Authorization: Bearer` token",
        }
    }

    /// The 401 answer, with the challenge a client needs to know what is asked.
    pub(super) fn response(self) -> Response {
        let mut r = (
            StatusCode::UNAUTHORIZED,
            format!(
                "spanscope: this receiver requires a token; the request had {}\n",
                self.why()
            ),
        )
            .into_response();
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"spanscope\""),
        );
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(auth: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(a) = auth {
            h.insert(header::AUTHORIZATION, HeaderValue::from_str(a).unwrap());
        }
        h
    }

    #[test]
    fn the_right_bearer_token_is_accepted() {
        for auth in [
            "Bearer s3cret",
            "bearer s3cret",
            "BEARER  s3cret ",
            " Bearer s3cret",
        ] {
            assert_eq!(check(&with(Some(auth)), "s3cret"), Ok(()), "{auth:?}");
        }
    }

    #[test]
    fn anything_else_is_refused() {
        assert_eq!(check(&with(None), "s3cret"), Err(Denied::Missing));
        assert_eq!(check(&with(Some("s3cret")), "s3cret"), Err(Denied::Missing));
        assert_eq!(
            check(&with(Some("Basic s3cret")), "s3cret"),
            Err(Denied::Missing)
        );
        for wrong in [
            "Bearer wrong",
            "Bearer s3cretX",
            "Bearer s3cre",
            "Bearer S3CRET",
        ] {
            assert_eq!(
                check(&with(Some(wrong)), "s3cret"),
                Err(Denied::Wrong),
                "{wrong}"
            );
        }
    }

    #[test]
    fn a_refusal_challenges_and_says_why() {
        let r = Denied::Wrong.response();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            r.headers()[header::WWW_AUTHENTICATE],
            "Bearer realm=\"spanscope\""
        );
        assert_eq!(Denied::Missing.why(), "no `Authorization: Bearer` token");
    }
}
