//! Every source and format becomes records for the Store. Files are sniffed per file (gzip,
//! protobuf, one JSON document, or JSON lines) and each JSON record per line, so mixed formats
//! in one file work. A bad line is counted with its line number and reason; the rest is kept.

pub mod detail;
pub mod detect;
pub mod dspy_callback;
pub mod events;
pub mod follow;
pub mod http;
pub mod mlflow;
pub mod normalized;
pub mod otlp;
pub mod parallel;
pub mod requests;
pub mod semconv;
pub mod sink;
pub mod tail;

use crate::model::payload::RecordFormat;
use crate::model::store::Record;
use crate::model::{Blob, BlobId, Nanos, PayloadRef, SourceId};
use chrono::{DateTime, Local, NaiveDateTime, TimeZone, Utc};
use detect::{FileKind, JsonLayout, Shape};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use sink::Sink;

/// The longest line read as a record. A longer line is rejected with its reason and skipped
/// without being held, so a writer that never ends a line cannot exhaust memory.
pub const MAX_LINE: usize = 64 << 20;

/// The most a gzip file may inflate to (a larger one is rejected: a decompression bomb).
pub const MAX_INFLATED: u64 = 1 << 30;

/// The reason an overlong line is rejected.
#[must_use]
pub fn overlong_line(len: u64) -> String {
    let limit = MAX_LINE >> 20;
    let shown = if len > MAX_LINE as u64 + 1 {
        format!("{} MiB", len >> 20)
    } else {
        format!("more than {limit} MiB")
    };
    format!("the line is {shown} long, over the {limit} MiB limit of a record: skipped")
}

/// How to read sources.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Timestamps without an offset are UTC (default: local time, as Python's
    /// `datetime.now().isoformat()` writes them).
    pub naive_utc: bool,
}

/// Where the records being parsed live, so payload references can point back at them.
#[derive(Debug, Clone, Copy)]
pub struct Ctx {
    pub blob: BlobId,
    pub opts: Options,
}

impl Ctx {
    /// A payload reference to `len` bytes at `offset` of this context's blob.
    #[must_use]
    pub fn payload(
        &self,
        offset: u64,
        len: usize,
        format: RecordFormat,
        locator: u32,
    ) -> PayloadRef {
        PayloadRef {
            blob: self.blob,
            offset,
            len: u32::try_from(len).unwrap_or(u32::MAX),
            format,
            locator,
        }
    }
}

/// A source that could not be read at all.
#[derive(Debug, thiserror::Error)]
#[error("cannot read {path}: {source}")]
pub struct Unreadable {
    pub path: String,
    #[source]
    pub source: io::Error,
}

/// Read a path (a file, or every file of a directory) into the store.
///
/// # Errors
/// The path (or a file in the directory) cannot be opened or read.
pub fn load_path(store: &mut impl Sink, path: &Path, opts: Options) -> Result<(), Unreadable> {
    let unreadable = |e| Unreadable {
        path: path.display().to_string(),
        source: e,
    };
    let meta = std::fs::metadata(path).map_err(unreadable)?;
    if meta.is_dir() {
        for file in dir_files(path).map_err(unreadable)? {
            load_path(store, &file, opts)?;
        }
        return Ok(());
    }
    let mut file = std::fs::File::open(path).map_err(unreadable)?;
    let mut head = Vec::with_capacity(parallel::BLOCK);
    (&mut file)
        .take(parallel::BLOCK as u64)
        .read_to_end(&mut head)
        .map_err(unreadable)?;
    let source = store.add_source(&path.display().to_string());
    let blob = store.add_blob(Blob::File(path.to_path_buf()));
    let json = head.len() == parallel::BLOCK && detect::sniff_file(&head) == FileKind::Json;
    if json && memchr::memchr(b'\n', &head).is_none() {
        // no newline yet: one long record, or a line over the limit (then never held whole)
        head.reserve_exact(MAX_LINE + 1 - head.len());
        (&mut file)
            .take((MAX_LINE + 1 - head.len()) as u64)
            .read_to_end(&mut head)
            .map_err(unreadable)?;
    }
    let overlong = head.len() > MAX_LINE && memchr::memchr(b'\n', &head).is_none();
    let big_lines = json && (overlong || detect::first_line_is_value(&head));
    if big_lines {
        // JSON lines bigger than a block: parsed on every core, streamed (never held whole)
        let ctx = Ctx { blob, opts };
        let threads = parallel::workers();
        let read = parallel::load_lines(
            store,
            source,
            &mut file,
            head,
            &ctx,
            threads,
            parallel::BLOCK,
        );
        store.count(source, 0, *read.as_ref().unwrap_or(&0));
        read.map_err(unreadable)?;
        return Ok(());
    }
    file.read_to_end(&mut head).map_err(unreadable)?;
    load_bytes(store, source, blob, &head, opts);
    Ok(())
}

/// The files of a directory, sorted, recursively; hidden files and capture metadata
/// (`*.meta.json`, written beside captured OTLP bodies) are skipped.
pub fn dir_files(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<io::Result<_>>()?;
    entries.sort();
    for p in entries {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') || name.ends_with(".meta.json") {
            continue;
        }
        if p.is_dir() {
            out.extend(dir_files(&p)?);
        } else {
            out.push(p);
        }
    }
    Ok(out)
}

/// Read a stream (stdin) to its end into the store; its bytes stay in memory for the payloads.
///
/// # Errors
/// Reading the stream fails.
pub fn load_reader(
    store: &mut impl Sink,
    label: &str,
    mut reader: impl Read,
    opts: Options,
) -> io::Result<()> {
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes)?;
    let source = store.add_source(label);
    let bytes = Arc::new(bytes);
    let blob = store.add_blob(Blob::Memory(Arc::clone(&bytes)));
    load_bytes(store, source, blob, &bytes, opts);
    Ok(())
}

/// Parse a whole file or body (`bytes` is the content of `blob`).
pub fn load_bytes(
    store: &mut impl Sink,
    source: SourceId,
    blob: BlobId,
    bytes: &[u8],
    opts: Options,
) {
    load_content(store, source, blob, bytes, opts, false);
}

/// [`load_bytes`]; `inflated`: `bytes` came out of a gzip file (which is not inflated again).
fn load_content(
    store: &mut impl Sink,
    source: SourceId,
    blob: BlobId,
    bytes: &[u8],
    opts: Options,
    inflated: bool,
) {
    store.count(source, 0, bytes.len() as u64);
    let ctx = Ctx { blob, opts };
    let mut out = Vec::new();
    match detect::sniff_file(bytes) {
        FileKind::Empty => {}
        FileKind::Gzip if inflated => reject(
            store,
            source,
            0,
            "gzip inside gzip: not read (only one level is inflated)".into(),
        ),
        FileKind::Gzip => match gunzip(bytes) {
            Ok(plain) => {
                let plain = Arc::new(plain);
                let inner = store.add_blob(Blob::Memory(Arc::clone(&plain)));
                load_content(store, source, inner, &plain, opts, true);
            }
            Err(e) => reject(store, source, 0, format!("not a valid gzip stream: {e}")),
        },
        FileKind::Binary => {
            store.count(source, 1, 0);
            match otlp::parse_proto(bytes, &ctx, &mut out) {
                Ok(()) => insert_all(store, source, 0, &mut out),
                Err(e) => reject(
                    store,
                    source,
                    0,
                    format!("not JSON, and not an OTLP protobuf body either ({e})"),
                ),
            }
        }
        FileKind::Json => match detect::json_layout(bytes) {
            JsonLayout::Document => {
                store.count(source, 1, 0);
                match parse_document(bytes, &ctx, &mut out) {
                    Ok(()) => insert_all(store, source, 0, &mut out),
                    Err(e) => reject(store, source, 0, e),
                }
            }
            JsonLayout::Lines => {
                load_lines(store, source, bytes, 0, 0, &ctx);
            }
        },
    }
}

/// Inflate a gzip file, up to [`MAX_INFLATED`].
fn gunzip(bytes: &[u8]) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes)
        .take(MAX_INFLATED + 1)
        .read_to_end(&mut out)?;
    if out.len() as u64 > MAX_INFLATED {
        return Err(io::Error::other(format!(
            "it inflates to more than {} MiB (a decompression bomb?)",
            MAX_INFLATED >> 20
        )));
    }
    Ok(out)
}

/// One record per line; `bytes` sit at `base` in the context's blob and start after line
/// `first_line`. Blank lines are skipped; a last line without a newline is parsed too, and
/// reported as truncated if it does not parse. Returns the number of lines read.
pub fn load_lines(
    store: &mut impl Sink,
    source: SourceId,
    bytes: &[u8],
    base: u64,
    first_line: u64,
    ctx: &Ctx,
) -> u64 {
    let mut out = Vec::new();
    let mut last = None;
    let mut pos = 0usize;
    let mut line_no = first_line;
    while pos < bytes.len() {
        line_no += 1;
        let (end, next, terminated) = match memchr::memchr(b'\n', &bytes[pos..]) {
            Some(i) => (pos + i, pos + i + 1, true),
            None => (bytes.len(), bytes.len(), false),
        };
        let mut line = &bytes[pos..end];
        if line.last() == Some(&b'\r') {
            line = &line[..line.len() - 1];
        }
        if line.len() > MAX_LINE {
            store.count(source, 1, 0);
            reject(store, source, line_no, overlong_line(line.len() as u64));
        } else if !line.iter().all(u8::is_ascii_whitespace) {
            store.count(source, 1, 0);
            match parse_record_after(line, base + pos as u64, ctx, &mut out, &mut last) {
                Ok(()) => insert_all(store, source, line_no, &mut out),
                Err(e) if !terminated => {
                    out.clear();
                    reject(
                        store,
                        source,
                        line_no,
                        format!("truncated last line (no newline at end): {e}"),
                    );
                }
                Err(e) => {
                    out.clear();
                    reject(store, source, line_no, e);
                }
            }
        }
        pos = next;
    }
    line_no - first_line
}

/// Hand parsed records to the store; the parts refused on their own are rejections of `line`.
fn insert_all(store: &mut impl Sink, source: SourceId, line: u64, out: &mut Vec<Record>) {
    for r in out.drain(..) {
        match r {
            Record::Rejected(reason) => store.reject(source, line, reason),
            r => store.insert(source, r),
        }
    }
}

fn reject(store: &mut impl Sink, source: SourceId, line: u64, reason: String) {
    store.reject(source, line, reason);
}

/// A whole JSON document: one record, or an array of records.
fn parse_document(bytes: &[u8], ctx: &Ctx, out: &mut Vec<Record>) -> Result<(), String> {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(0);
    if bytes.get(start) == Some(&b'[') {
        let items: Vec<&serde_json::value::RawValue> =
            serde_json::from_slice(bytes).map_err(|e| json_error(&e))?;
        for item in items {
            let text = item.get().as_bytes();
            let offset = text.as_ptr() as usize - bytes.as_ptr() as usize;
            parse_record(text, offset as u64, ctx, out)?;
        }
        return Ok(());
    }
    parse_record(&bytes[start..], start as u64, ctx, out)
}

/// Parse one JSON record found at `offset` of the context's blob.
///
/// # Errors
/// A reason fit for the user: invalid JSON (with the column), an unknown shape, a wrong type.
pub fn parse_record(
    bytes: &[u8],
    offset: u64,
    ctx: &Ctx,
    out: &mut Vec<Record>,
) -> Result<(), String> {
    parse_record_after(bytes, offset, ctx, out, &mut None)
}

/// [`parse_record`] for a record that follows others of one source: when the last one was a
/// request line, this one is first parsed as a request line too, which recognizes it in the
/// same pass (a log is usually one shape). `last` is updated.
///
/// # Errors
/// As [`parse_record`].
pub fn parse_record_after(
    bytes: &[u8],
    offset: u64,
    ctx: &Ctx,
    out: &mut Vec<Record>,
    last: &mut Option<Shape>,
) -> Result<(), String> {
    if *last == Some(Shape::Request) {
        let mark = out.len();
        match requests::parse_if_request(bytes, offset, ctx, out) {
            Ok(true) => return Ok(()),
            // not a request line: nothing was added, sniff it
            Ok(false) => {}
            Err(e) => {
                out.truncate(mark);
                return Err(e);
            }
        }
    }
    let shape = detect::sniff_record(bytes)?;
    *last = Some(shape);
    match shape {
        Shape::Otlp => otlp::parse_json(bytes, offset, ctx, out),
        Shape::Mlflow => mlflow::parse(bytes, offset, ctx, out),
        Shape::Callback => dspy_callback::parse(bytes, offset, ctx, out),
        Shape::Event => events::parse(bytes, offset, ctx, out),
        Shape::Request => requests::parse(bytes, offset, ctx, out),
        Shape::Normalized => normalized::parse(bytes, offset, ctx, out),
    }
}

/// Deserialize a record; a wrong-typed field is reported with its path (`steps[2].latency_ms`),
/// found by a second, path-tracking pass that only runs on failure.
///
/// # Errors
/// The reason, prefixed with `what` (the record kind).
pub fn decode<'a, T: serde::Deserialize<'a>>(bytes: &'a [u8], what: &str) -> Result<T, String> {
    serde_json::from_slice(bytes).map_err(|e| {
        if e.classify() == serde_json::error::Category::Data {
            let mut de = serde_json::Deserializer::from_slice(bytes);
            if let Err(pe) = serde_path_to_error::deserialize::<_, T>(&mut de) {
                let inner = pe.inner().to_string();
                let msg = inner.split(" at line ").next().unwrap_or(&inner);
                return format!(
                    "{what}: wrong type for `{}` at column {}: {msg}",
                    pe.path(),
                    e.column()
                );
            }
        }
        format!("{what}: {}", json_error(&e))
    })
}

/// A serde_json error as a reason: the message and the column (records are single lines).
#[must_use]
pub fn json_error(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
    if e.line() > 1 {
        format!(
            "invalid JSON at line {} column {}: {msg}",
            e.line(),
            e.column()
        )
    } else {
        format!("invalid JSON at column {}: {msg}", e.column())
    }
}

/// Parse a timestamp: RFC 3339 (`Z` or an offset), a naive ISO 8601 date-time (local or UTC per
/// the options), or a number of seconds / milliseconds / microseconds / nanoseconds since the
/// epoch (told apart by magnitude).
///
/// # Errors
/// None of those forms.
pub fn parse_time(s: &str, opts: Options) -> Result<Nanos, String> {
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
                || Err(format!("timestamp {s:?} does not exist in local time")),
                |d| nanos(d, s),
            );
        }
    }
    if let Some(ns) = epoch_text(s) {
        return Ok(ns);
    }
    Err(format!(
        "unrecognized timestamp {s:?} (expected RFC 3339, ISO 8601 or epoch seconds)"
    ))
}

fn nanos(dt: DateTime<Utc>, s: &str) -> Result<Nanos, String> {
    dt.timestamp_nanos_opt()
        .ok_or_else(|| format!("timestamp {s:?} is out of range"))
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
pub fn ms_to_ns(ms: f64, what: &str) -> Result<Nanos, String> {
    if !ms.is_finite() || ms < 0.0 {
        return Err(format!("{what} is not a valid duration: {ms}"));
    }
    if ms > 365.0 * 86_400_000.0 {
        return Err(format!("{what} is longer than a year: {ms:e} ms"));
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

/// Text of an `error` field that may be a string or any JSON value.
#[must_use]
pub fn error_text(raw: Option<&serde_json::value::RawValue>) -> Option<String> {
    let raw = raw?;
    match serde_json::from_str::<serde_json::Value>(raw.get()).ok()? {
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
    use crate::model::Store;

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

    fn load(text: &str) -> Store {
        let mut store = Store::new();
        load_reader(
            &mut store,
            "-",
            text.as_bytes(),
            Options { naive_utc: true },
        )
        .unwrap();
        store.refresh();
        store
    }

    #[test]
    fn bad_lines_are_counted_and_the_rest_kept() {
        let good = r#"{"trace_id":"a","timestamp":"2026-11-21T05:37:00Z","total_latency_ms":5}"#;
        let good2 = r#"{"trace_id":"b","timestamp":"2026-11-21T05:37:01Z","total_latency_ms":"x"}"#;
        let text = format!(
            "{good}\n{{\"trace_id\": oops\n\n{{\"what\":1}}\n{good2}\n{good}\n{{\"trace_id\":\"c\""
        );
        let store = load(&text);
        assert_eq!(store.trace_count(), 1, "the good line, once");
        let src = &store.sources()[0];
        assert_eq!(src.units, 6);
        assert_eq!(src.rejected, 4);
        assert_eq!(src.duplicates, 1, "the repeated good line");
        let lines: Vec<u64> = src.rejections.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![2, 4, 5, 7]);
        assert!(
            src.rejections[0]
                .reason
                .starts_with("invalid JSON at column 14"),
            "{:?}",
            src.rejections[0]
        );
        assert!(src.rejections[1].reason.contains("unknown record shape"));
        assert!(
            src.rejections[2].reason.contains("total_latency_ms"),
            "{:?}",
            src.rejections[2]
        );
        assert!(src.rejections[3].reason.starts_with("truncated last line"));
    }

    #[test]
    fn invalid_utf8_is_a_counted_rejection() {
        let mut bytes = br#"{"trace_id":"a","total_latency_ms":5,"inputs":{"q":""#.to_vec();
        bytes.extend_from_slice(&[0xff, 0xfe]);
        bytes.extend_from_slice(b"\"}}\n");
        let mut store = Store::new();
        load_reader(&mut store, "-", bytes.as_slice(), Options::default()).unwrap();
        assert_eq!(store.sources()[0].rejected, 1);
        assert!(store.sources()[0].rejections[0].reason.contains("invalid"));
    }

    #[test]
    fn garbage_binary_is_rejected_whole() {
        let mut store = Store::new();
        load_reader(
            &mut store,
            "-",
            &b"\x00\x01\x02garbage"[..],
            Options::default(),
        )
        .unwrap();
        assert_eq!(store.sources()[0].rejected, 1);
        assert!(
            store.sources()[0].rejections[0]
                .reason
                .contains("OTLP protobuf")
        );
    }
}
