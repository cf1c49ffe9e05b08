//! What an OTLP span becomes in the index, whichever encoding it came in: protobuf decoded with
//! `opentelemetry-proto` (`otlp.rs`) or OTLP/JSON read in one pass into borrowed records
//! (`otlp_json.rs`). Both hand this file the same facts (ids as lowercase hex, the attributes
//! normalized, the exception, the status), so both encodings index a span the same way.

use crate::ingest::attributes::keep;
use crate::ingest::semconv::Attrs;
use crate::ingest::texts::{ErrorInfo, StatusCode, outcome};
use crate::model::payload::PayloadRef;
use crate::model::span::flags;
use crate::model::store::SpanRecord;
use crate::model::{AttrList, Nanos, SpanStatus};

/// A time in nanoseconds since the epoch as OTLP writes it (0: not set).
#[must_use]
#[allow(clippy::cast_possible_wrap)]
pub fn time(ns: u64) -> Option<Nanos> {
    (ns > 0 && ns < i64::MAX as u64).then_some(ns as Nanos)
}

/// A span's status code as OTLP numbers it.
#[must_use]
pub fn status_code(code: Option<i32>) -> StatusCode {
    match code {
        Some(2) => StatusCode::Error,
        Some(1) => StatusCode::Ok,
        _ => StatusCode::Unset,
    }
}

/// Why a span's ids are not OTLP's (a 16-byte trace id, an 8-byte span id, an 8-byte parent or
/// none; all-zero ids are invalid too). Each id is given as its bytes in lowercase hex.
#[must_use]
pub fn invalid_ids(trace: &str, span: &str, parent: &str) -> Option<String> {
    let zero = |h: &str| h.bytes().all(|b| b == b'0');
    if trace.len() != 32 || zero(trace) {
        Some(format!(
            "invalid trace id {trace:?} ({} bytes; 16 non-zero bytes expected)",
            trace.len() / 2
        ))
    } else if span.len() != 16 || zero(span) {
        Some(format!(
            "invalid span id {span:?} ({} bytes; 8 non-zero bytes expected)",
            span.len() / 2
        ))
    } else if !parent.is_empty() && parent.len() != 16 {
        Some(format!(
            "invalid parent span id {parent:?} ({} bytes; 8 expected)",
            parent.len() / 2
        ))
    } else {
        None
    }
}

/// The facts of one span the index keeps, as either encoding reads them.
pub struct Facts<'s, 'a> {
    /// Lowercase hex, checked by [`invalid_ids`].
    pub trace_id: String,
    pub span_id: String,
    /// Lowercase hex (empty: none).
    pub parent_id: &'s str,
    pub name: &'s str,
    pub attrs: &'s Attrs<'a>,
    pub exception: Option<ErrorInfo>,
    pub code: StatusCode,
    pub message: &'s str,
    pub start: u64,
    pub end: u64,
    /// The span's resource's attributes, as [`resource_attributes`] names them.
    pub resource: &'s [(String, String)],
    /// The name of the span's instrumentation scope (empty: none).
    pub scope: &'s str,
}

/// The span record of one span whose record is `payload`.
#[must_use]
pub fn span_record(f: Facts<'_, '_>, payload: PayloadRef) -> SpanRecord {
    let (status, error): (SpanStatus, _) = outcome(f.code, f.message, f.exception.as_ref());
    let tokens = f.attrs.tokens();
    SpanRecord {
        trace_id: f.trace_id,
        span_id: f.span_id,
        // an all-zero parent is how some exporters say "none"
        parent_id: f
            .parent_id
            .bytes()
            .any(|b| b != b'0')
            .then(|| f.parent_id.to_string()),
        name: Some(f.name.to_string()),
        kind: Some(f.attrs.kind().unwrap_or_default()),
        start: time(f.start),
        end: time(f.end),
        dur: None,
        status: Some(status),
        error,
        model: f.attrs.model().map(str::to_string),
        tokens: tokens.map(|t| t.0),
        flags: if tokens.is_some_and(|t| t.1) {
            flags::TOKENS_CUMULATIVE
        } else {
            0
        },
        payload: Some((0, payload)),
        attrs: kept_attributes(f.resource, f.scope, f.attrs),
        complete: true,
    }
}

/// A resource's attributes as a span lists them: `resource.KEY` and the value as text.
pub fn resource_attributes<'k>(
    pairs: impl IntoIterator<Item = (&'k str, String)>,
) -> Vec<(String, String)> {
    pairs
        .into_iter()
        .map(|(k, v)| (format!("resource.{k}"), v))
        .collect()
}

/// A span's attributes (`ingest/attributes.rs`): its own, then its resource's as
/// `resource.KEY`, then its instrumentation scope's name as `otel.scope.name`.
#[must_use]
pub fn attributes(
    resource: &[(String, String)],
    scope: &str,
    attrs: &Attrs<'_>,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    each_attribute(resource, scope, attrs, |k, v| {
        out.push((k.to_string(), v.to_string()));
    });
    out
}

/// [`attributes`] as the store keeps them ([`keep`]), read straight into one list.
#[must_use]
pub fn kept_attributes(resource: &[(String, String)], scope: &str, attrs: &Attrs<'_>) -> AttrList {
    let mut out = AttrList::with_capacity(attrs.0.len() + resource.len() + 1, 512);
    each_attribute(resource, scope, attrs, |k, v| keep(&mut out, k, v));
    out
}

/// Each pair of [`attributes`], in its order, with no copy of its texts.
fn each_attribute(
    resource: &[(String, String)],
    scope: &str,
    attrs: &Attrs<'_>,
    mut f: impl FnMut(&str, &str),
) {
    attrs.each_attribute(&mut f);
    for (k, v) in resource {
        f(k, v);
    }
    if !scope.is_empty() {
        f("otel.scope.name", scope);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_of_the_wrong_length_or_all_zero_are_named() {
        let t = "0af7651916cd43dd8448eb211c80319c";
        let s = "1111111111111111";
        assert_eq!(invalid_ids(t, s, ""), None);
        assert_eq!(invalid_ids(t, s, "0000000000000000"), None);
        assert_eq!(
            invalid_ids("0af7651916cd43dd", s, "").as_deref(),
            Some("invalid trace id \"0af7651916cd43dd\" (8 bytes; 16 non-zero bytes expected)")
        );
        assert!(invalid_ids(&"0".repeat(32), s, "").is_some());
        assert_eq!(
            invalid_ids(t, "00f0", "").as_deref(),
            Some("invalid span id \"00f0\" (2 bytes; 8 non-zero bytes expected)")
        );
        assert!(invalid_ids(t, &"0".repeat(16), "").is_some());
        assert_eq!(
            invalid_ids(t, s, "ab").as_deref(),
            Some("invalid parent span id \"ab\" (1 bytes; 8 expected)")
        );
    }

    #[test]
    fn times_of_zero_or_past_the_range_are_not_set() {
        assert_eq!(time(0), None);
        assert_eq!(time(5), Some(5));
        assert_eq!(time(u64::MAX), None);
    }
}
