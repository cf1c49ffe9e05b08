//! Field values every format reads the same way: timestamps (RFC 3339, ISO 8601, epoch numbers),
//! durations in milliseconds, hex ids, content-derived ids and error fields.

use super::ctx::Options;
use super::error::{ErrorKind, ParseError};
use crate::model::store::TraceRecord;
use crate::model::{Nanos, SpanStatus, Tokens, TraceStatus};
use chrono::{DateTime, Local, NaiveDateTime, TimeZone, Utc};

/// Parse a timestamp: RFC 3339 (`Z` or an offset), a naive ISO 8601 date-time (local or UTC per
/// the options), or a number of seconds / milliseconds / microseconds / nanoseconds since the
/// epoch (told apart by magnitude).
///
/// # Errors
/// None of those forms.
pub fn parse_time(s: &str, opts: Options) -> Result<Nanos, ParseError> {
    let s = s.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return nanos(dt.with_timezone(&Utc), s);
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f%z",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(s, fmt) {
            let dt = if opts.naive_utc {
                Some(Utc.from_utc_datetime(&n))
            } else {
                Local
                    .from_local_datetime(&n)
                    .earliest()
                    .map(|d| d.with_timezone(&Utc))
            };
            return dt.map_or_else(
                || {
                    Err(value_error(format!(
                        "timestamp {s:?} does not exist in local time"
                    )))
                },
                |d| nanos(d, s),
            );
        }
    }
    if let Some(ns) = epoch_text(s) {
        return Ok(ns);
    }
    Err(value_error(format!(
        "unrecognized timestamp {s:?} (expected RFC 3339, ISO 8601 or epoch seconds)"
    )))
}

fn value_error(reason: String) -> ParseError {
    ParseError::new(ErrorKind::Value, reason)
}

fn nanos(dt: DateTime<Utc>, s: &str) -> Result<Nanos, ParseError> {
    dt.timestamp_nanos_opt()
        .ok_or_else(|| value_error(format!("timestamp {s:?} is out of range")))
}

/// An epoch number written as text (`1795239420.047`), exactly: the unit is told apart by the
/// number of integer digits (s up to 11, ms up to 14, µs up to 17, else ns).
fn epoch_text(s: &str) -> Option<Nanos> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let digits = int.trim_start_matches('0').len();
    let scale_digits: u32 = match digits {
        0..=11 => 9,
        12..=14 => 6,
        15..=17 => 3,
        _ => 0,
    };
    let int: i128 = int.parse().ok()?;
    let mut ns = int.checked_mul(10i128.pow(scale_digits))?;
    for (i, d) in frac.bytes().take(scale_digits as usize).enumerate() {
        let place = scale_digits - 1 - u32::try_from(i).ok()?;
        ns += i128::from(d - b'0') * 10i128.pow(place);
    }
    Nanos::try_from(ns).ok()
}

/// An epoch number in s, ms, µs or ns, told apart by magnitude.
#[must_use]
#[allow(clippy::cast_possible_truncation)]
pub fn epoch_number(n: f64) -> Option<Nanos> {
    if !n.is_finite() || n < 0.0 {
        return None;
    }
    let ns = if n > 1e17 {
        n
    } else if n > 1e14 {
        n * 1e3
    } else if n > 1e11 {
        n * 1e6
    } else {
        n * 1e9
    };
    (ns < 9.2e18).then_some(ns as Nanos)
}

/// Milliseconds (as logged) to nanoseconds; rejects negative, NaN and absurd values.
///
/// # Errors
/// Not a finite, non-negative duration under a year.
#[allow(clippy::cast_possible_truncation)]
pub fn ms_to_ns(ms: f64, what: &str) -> Result<Nanos, ParseError> {
    if !ms.is_finite() || ms < 0.0 {
        return Err(value_error(format!("{what} is not a valid duration: {ms}")));
    }
    if ms > 365.0 * 86_400_000.0 {
        return Err(value_error(format!(
            "{what} is longer than a year: {ms:e} ms"
        )));
    }
    Ok((ms * 1e6).round() as Nanos)
}

/// Lowercase hex of bytes (OTLP ids).
#[must_use]
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// A stable 64-bit id for records that carry none (FNV-1a), as 16 hex chars.
#[must_use]
pub fn content_id(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    hex(&h.to_be_bytes())
}

/// The status and error of a span whose record states its outcome (`failed`, with the error
/// it gives if any): a failure without a message still says `error`.
#[must_use]
pub fn stated_outcome(failed: bool, error: Option<String>) -> (Option<SpanStatus>, Option<String>) {
    let status = if failed {
        SpanStatus::Error
    } else {
        SpanStatus::Ok
    };
    (
        Some(status),
        error.or_else(|| failed.then(|| "error".to_string())),
    )
}

/// Whether a record's `status` word says it failed (`error` or `failed`, in any case).
#[must_use]
pub fn status_says_failed(status: Option<&str>) -> bool {
    status.is_some_and(|s| s.eq_ignore_ascii_case("error") || s.eq_ignore_ascii_case("failed"))
}

/// The trace-level record of a request whose record states its outcome (a request line, an
/// event stream's `trace_end`): that outcome decides the trace's status.
#[must_use]
pub fn stated_trace(
    trace_id: String,
    name: Option<String>,
    failed: bool,
    error: Option<String>,
    tokens: Option<Tokens>,
) -> TraceRecord {
    TraceRecord {
        trace_id,
        name,
        error: Some(failed),
        running: Some(false),
        error_message: error,
        final_status: Some(if failed {
            TraceStatus::Error
        } else {
            TraceStatus::Ok
        }),
        tokens,
        score: None,
    }
}

/// Text of an `error` field that may be a string or any JSON value.
#[must_use]
pub fn error_text(raw: Option<&serde_json::value::RawValue>) -> Option<String> {
    error_value_text(serde_json::from_str::<serde_json::Value>(raw?.get()).ok()?)
}

/// [`error_text`] of a value already decoded.
#[must_use]
pub fn error_value_text(v: serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::Null | serde_json::Value::Bool(false) => None,
        serde_json::Value::String(s) if s.is_empty() => None,
        serde_json::Value::String(s) => Some(s),
        serde_json::Value::Object(m) => {
            let t = m.get("type").and_then(|v| v.as_str());
            let msg = m.get("message").and_then(|v| v.as_str());
            Some(match (t, msg) {
                (Some(t), Some(m)) => format!("{t}: {m}"),
                (None, Some(m)) => m.to_string(),
                _ => serde_json::Value::Object(m).to_string(),
            })
        }
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        let utc = Options { naive_utc: true };
        let z = parse_time("2026-11-21T05:37:00.047Z", utc).unwrap();
        assert_eq!(z, 1_795_239_420_047_000_000);
        assert_eq!(parse_time("2026-11-21T05:37:00.047+00:00", utc).unwrap(), z);
        assert_eq!(parse_time("2026-11-21T06:37:00.047+01:00", utc).unwrap(), z);
        assert_eq!(parse_time("2026-11-21T05:37:00.047", utc).unwrap(), z);
        assert_eq!(parse_time("1795239420.047", utc).unwrap(), z);
        assert_eq!(parse_time("1795239420047", utc).unwrap(), z);
        assert!(
            parse_time("yesterday", utc)
                .unwrap_err()
                .reason
                .contains("unrecognized timestamp")
        );
        assert!(parse_time("-5", utc).is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(ms_to_ns(107.539, "x"), Ok(107_539_000));
        assert!(ms_to_ns(-1.0, "x").is_err());
        assert!(ms_to_ns(f64::NAN, "x").is_err());
        assert!(ms_to_ns(1e15, "x").is_err());
    }

    #[test]
    fn ids() {
        assert_eq!(hex(&[0x0a, 0xff, 0x00]), "0aff00");
        assert_eq!(content_id(b"abc"), content_id(b"abc"));
        assert_ne!(content_id(b"abc"), content_id(b"abd"));
        assert_eq!(content_id(b"").len(), 16);
    }

    #[test]
    fn error_fields() {
        let raw = |s: &str| serde_json::value::RawValue::from_string(s.to_string()).unwrap();
        assert_eq!(error_text(Some(&raw("\"boom\""))), Some("boom".into()));
        assert_eq!(error_text(Some(&raw("null"))), None);
        assert_eq!(
            error_text(Some(&raw(r#"{"type":"ValueError","message":"bad"}"#))),
            Some("ValueError: bad".into())
        );
        assert_eq!(error_text(None), None);
    }
}
