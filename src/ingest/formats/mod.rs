//! The format table: every format spanscope reads, one file each in this folder, listed once
//! below in sniffing order, and the dispatch by it. Sniffing, parsing (a line, a document, a
//! binary body), detail decoding, the fuzz targets and the corpus test all read the table.
//! Adding a format is one file here (its entries, see `ingest/format.rs`) and one line in the
//! table.

use super::ctx::Ctx;
use super::decode;
use super::detect::Keys;
use super::error::{ErrorKind, ParseError, json_error};
use super::format::{Format, Sniff};
use crate::model::payload::RecordFormat;
use crate::model::store::Record;

/// Declares each format's file (a module of this folder) and lists its entries, in order.
macro_rules! table {
    ($($(#[$doc:meta])* $file:ident: [$($entry:ident),+],)+) => {
        $($(#[$doc])* pub mod $file;)+

        /// Every format. A JSON record is parsed by the first entry whose sniffer recognizes
        /// it; a binary body by the first binary entry that takes it. A payload reference's
        /// [`RecordFormat`] is an index in this table.
        pub const FORMATS: &[Format] = &[$($($file::$entry),+),+];
    };
}

table! {
    otlp: [JSON, PROTO],
    mlflow: [FORMAT, SEARCH],
    dspy_callback: [FORMAT],
    events: [FORMAT],
    requests: [FORMAT],
    normalized: [FORMAT],
    inspect_history: [FORMAT],
    otlp_logs: [JSON, PROTO],
}

/// The conversation a DSPy call with a `dspy.History` input is a turn of.
mod dspy_history;
/// OTLP/JSON's attributes, borrowed, their texts skipped.
mod otlp_attrs;
/// OTLP/JSON read in one pass (the line and file path of the `otlp-json` entry).
mod otlp_json;
/// What an OTLP span becomes, from either encoding.
mod otlp_span;

#[cfg(test)]
mod outcomes;

// A record id is one byte: the table stays within its range.
const _: () = assert!(FORMATS.len() < u8::MAX as usize);

/// The entry a payload reference names (`None` for an index no table entry has).
#[must_use]
pub fn entry(format: RecordFormat) -> Option<&'static Format> {
    FORMATS.get(format.index())
}

/// The id of the entry called `name`, found at compile time.
///
/// # Panics
/// No entry has that name (a compile error where it is used in a `const`).
#[must_use]
pub const fn id(name: &str) -> RecordFormat {
    let mut i = 0;
    while i < FORMATS.len() {
        if same(FORMATS[i].name.as_bytes(), name.as_bytes()) {
            #[allow(clippy::cast_possible_truncation)]
            return RecordFormat::at(i as u8);
        }
        i += 1;
    }
    panic!("no format of that name in FORMATS")
}

const fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The ids of the entries code outside the table names itself: the HTTP receiver builds OTLP
/// payload references from the bodies it decodes.
impl RecordFormat {
    pub const OTLP_JSON: RecordFormat = id("otlp-json");
    pub const OTLP_PROTO: RecordFormat = id("otlp-proto");
}

/// The names of the entries from when formats were an enum, so that code written against them
/// still compiles; new code names an entry by [`id`] (or [`RecordFormat::OTLP_PROTO`]).
#[allow(non_upper_case_globals)]
impl RecordFormat {
    pub const OtlpJson: RecordFormat = id("otlp-json");
    pub const OtlpProto: RecordFormat = id("otlp-proto");
    pub const MlflowJson: RecordFormat = id("mlflow");
    pub const Callback: RecordFormat = id("dspy-callback");
    pub const Request: RecordFormat = id("request");
    pub const Event: RecordFormat = id("event");
    pub const Normalized: RecordFormat = id("spanscope-trace");
}

/// The entry that recognizes a record with these keys.
#[must_use]
pub fn sniff(keys: &Keys<'_>) -> Option<RecordFormat> {
    FORMATS
        .iter()
        .position(|f| matches!(f.sniff, Sniff::Keys(is) if is(keys)))
        .and_then(|i| u8::try_from(i).ok())
        .map(RecordFormat::at)
}

/// Decide which format a JSON record is.
///
/// # Errors
/// Not JSON, not an object, or none of the known formats (the reason lists its keys and what
/// was expected).
pub fn sniff_record(bytes: &[u8]) -> Result<RecordFormat, ParseError> {
    let keys = Keys::read(bytes)?;
    sniff(&keys).ok_or_else(|| unknown_shape(bytes))
}

/// Why a JSON object is none of the formats: its first keys, and what each format has.
fn unknown_shape(bytes: &[u8]) -> ParseError {
    let keys: Vec<String> =
        match serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(bytes) {
            Ok(m) => m.keys().take(8).cloned().collect(),
            // what the sniffing pass skipped over may be invalid (nested too deep)
            Err(e) => return json_error(&e),
        };
    let expected: Vec<&str> = FORMATS
        .iter()
        .filter(|f| matches!(f.sniff, Sniff::Keys(_)))
        .map(|f| f.expected)
        .collect();
    ParseError::new(
        ErrorKind::Shape,
        format!(
            "unknown record shape (keys: {}); expected {}",
            if keys.is_empty() {
                "none".to_string()
            } else {
                keys.join(", ")
            },
            either(&expected)
        ),
    )
}

/// `a, b or c`.
fn either(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// Parse one JSON record found at `offset` of the context's blob: sniffed, then parsed by its
/// format. On an error nothing is added to `out`.
///
/// # Errors
/// A reason fit for the user: invalid JSON (with the column), an unknown shape, a wrong type.
pub fn parse_record(
    bytes: &[u8],
    offset: u64,
    ctx: &Ctx,
    out: &mut Vec<Record>,
) -> Result<(), ParseError> {
    dispatch(bytes, offset, ctx, out).1
}

/// [`parse_record`] for a record that follows others of one source: it is parsed first as the
/// format `last` of the record before it, in one pass that notes its keys, and that parse is
/// kept if sniffing those keys picks the same format (a log is usually one format, and sniffing
/// then parsing reads a line twice). Otherwise it is sniffed and parsed as any record; `last`
/// becomes its format. The answer is always the one [`parse_record`] gives.
///
/// # Errors
/// As [`parse_record`].
pub fn parse_record_after(
    bytes: &[u8],
    offset: u64,
    ctx: &Ctx,
    out: &mut Vec<Record>,
    last: &mut Option<RecordFormat>,
) -> Result<(), ParseError> {
    let mark = out.len();
    if let Some(format) = *last {
        decode::note_next();
        let parsed = parse_as(format, bytes, offset, ctx, out);
        let same =
            decode::take_noted(|keys| keys.is_some_and(|k| sniff(k) == Some(format) && k.sure()));
        if parsed.is_ok() && same {
            return Ok(());
        }
        out.truncate(mark);
    }
    let (format, result) = dispatch(bytes, offset, ctx, out);
    if format.is_some() {
        *last = format;
    }
    result
}

/// Sniff and parse one record; returns the format it was sniffed as (if any) and the outcome.
fn dispatch(
    bytes: &[u8],
    offset: u64,
    ctx: &Ctx,
    out: &mut Vec<Record>,
) -> (Option<RecordFormat>, Result<(), ParseError>) {
    let mark = out.len();
    // The quick scan picks the parser; a record it takes is valid JSON, whose keys the scan
    // reads exactly as serde does. Anything else is sniffed again by serde for its reason.
    let quick = Keys::scan(bytes).and_then(|k| sniff(&k));
    let first = match quick {
        Some(format) => match parse_as(format, bytes, offset, ctx, out) {
            Ok(()) => return (Some(format), Ok(())),
            Err(e) => {
                out.truncate(mark);
                Some((format, e))
            }
        },
        None => None,
    };
    let format = match sniff_record(bytes) {
        Ok(format) => format,
        Err(e) => return (None, Err(e)),
    };
    let result = match first {
        Some((tried, e)) if tried == format => Err(e),
        _ => parse_as(format, bytes, offset, ctx, out).inspect_err(|_| out.truncate(mark)),
    };
    (Some(format), result)
}

/// Parse `bytes` with the entry `format`.
///
/// # Errors
/// What the entry's parser says.
pub fn parse_as(
    format: RecordFormat,
    bytes: &[u8],
    offset: u64,
    ctx: &Ctx,
    out: &mut Vec<Record>,
) -> Result<(), ParseError> {
    let f = entry(format).ok_or_else(|| {
        ParseError::new(ErrorKind::Shape, format!("no format #{}", format.index()))
    })?;
    (f.parse)(bytes, &ctx.at(offset, bytes.len(), format), out)
}

/// A whole JSON document: one record, or an array of records.
///
/// # Errors
/// The document or one of its records does not parse.
pub fn parse_document(bytes: &[u8], ctx: &Ctx, out: &mut Vec<Record>) -> Result<(), ParseError> {
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

/// A binary body (what is not JSON text): the first binary entry that takes it.
///
/// # Errors
/// None takes it: the reason names what was tried and why the last one refused.
pub fn parse_binary(bytes: &[u8], ctx: &Ctx, out: &mut Vec<Record>) -> Result<(), ParseError> {
    let mut tried = Vec::new();
    let mut last = None;
    for (i, f) in FORMATS.iter().enumerate() {
        if !matches!(f.sniff, Sniff::Binary) {
            continue;
        }
        let format = RecordFormat::at(u8::try_from(i).unwrap_or(u8::MAX));
        let mark = out.len();
        match (f.parse)(bytes, &ctx.at(0, bytes.len(), format), out) {
            Ok(()) => return Ok(()),
            Err(e) => {
                out.truncate(mark);
                tried.push(f.expected);
                last = Some(e);
            }
        }
    }
    let why = last.map_or_else(String::new, |e| format!(" ({e})"));
    Err(ParseError::new(
        ErrorKind::Body,
        format!("not JSON, and not {} either{why}", either(&tried)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::ctx::Options;
    use crate::model::BlobId;

    fn shape(bytes: &[u8]) -> Result<&'static str, String> {
        sniff_record(bytes)
            .map(|f| entry(f).map_or("?", |e| e.name))
            .map_err(|e| e.reason)
    }

    #[test]
    fn shapes() {
        assert_eq!(shape(br#"{"resourceSpans":[]}"#), Ok("otlp-json"));
        assert_eq!(shape(br#"{"resource_spans":[]}"#), Ok("otlp-json"));
        assert_eq!(shape(br#"{"info":{},"data":{"spans":[]}}"#), Ok("mlflow"));
        assert_eq!(shape(br#"{"v":1,"event":"lm_start"}"#), Ok("dspy-callback"));
        assert_eq!(shape(br#"{"type":"span","trace_id":"t"}"#), Ok("event"));
        assert_eq!(
            shape(br#"{"trace_id":"t","total_latency_ms":3}"#),
            Ok("request")
        );
        assert_eq!(
            shape(br#"{"schema":"spanscope-trace/1","trace_id":"t","spans":[]}"#),
            Ok("spanscope-trace")
        );
        let err = shape(br#"{"hello":1}"#).unwrap_err();
        assert!(err.contains("unknown record shape (keys: hello)"), "{err}");
        assert!(shape(b"[1,2]").is_err());
        assert!(shape(b"{\"a\":").unwrap_err().contains("column"));
    }

    #[test]
    fn an_unknown_shape_lists_what_each_format_has() {
        // the keys as the record has them
        let err = shape(br#"{"b":1,"a":2}"#).unwrap_err();
        assert_eq!(
            err,
            "unknown record shape (keys: b, a); expected OTLP/JSON (resourceSpans), an MLflow \
             trace (info + data), an MLflow trace search page (traces + next_page_token), a dspy \
             callback event (v + event), an event-stream line (type: \
             trace_start|span|trace_end), a request line (trace_id + total_latency_ms), a \
             spanscope export line (schema: spanscope-trace/1) or OTLP/JSON logs (resourceLogs)"
        );
    }

    #[test]
    fn ids_are_table_positions_and_names_are_unique() {
        for (i, f) in FORMATS.iter().enumerate() {
            assert_eq!(id(f.name).index(), i, "{}", f.name);
            assert_eq!(entry(id(f.name)).map(|e| e.name), Some(f.name));
        }
        assert!(entry(RecordFormat::at(200)).is_none());
        // a span holds two optional payload references: the id leaves them a niche
        use crate::model::PayloadRef;
        assert_eq!(
            std::mem::size_of::<Option<PayloadRef>>(),
            std::mem::size_of::<PayloadRef>()
        );
        assert_eq!(RecordFormat::OTLP_PROTO, RecordFormat::OtlpProto);
    }

    #[test]
    fn a_quick_scan_that_picks_wrong_is_corrected() {
        let ctx = Ctx {
            blob: BlobId(0),
            opts: Options::default(),
        };
        // the scan cannot read an escaped key: serde sniffs it
        let line = br#"{"trace_\u0069d":"t","total_latency_ms":3}"#;
        let mut out = Vec::new();
        parse_record(line, 0, &ctx, &mut out).unwrap();
        assert_eq!(out.len(), 2, "{out:?}");
        // invalid JSON is refused with serde's reason, not a parser's
        let err = parse_record(br#"{"trace_id": oops"#, 0, &ctx, &mut out).unwrap_err();
        assert!(err.reason.starts_with("invalid JSON at column 14"), "{err}");
        assert_eq!(out.len(), 2);
    }

    /// After a request line, a line the request parser would take but sniffing gives to
    /// another format (or to none) is read as sniffing says, as on its own.
    #[test]
    fn the_format_of_the_line_before_is_only_a_first_guess() {
        let ctx = Ctx {
            blob: BlobId(0),
            opts: Options::default(),
        };
        let request = br#"{"trace_id":"t","total_latency_ms":3}"#;
        let lines: [&[u8]; 4] = [
            br#"{"trace_id":"t2","total_latency_ms":3}"#,
            // OTLP first in the table: an empty export, not a request
            br#"{"resourceSpans":[],"trace_id":"t3","total_latency_ms":3}"#,
            // no latency and no steps: no format at all
            br#"{"trace_id":"t4"}"#,
            // an event line whose type the request parser skips
            br#"{"type":"trace_start","trace_id":"t5","total_latency_ms":3}"#,
        ];
        for line in lines {
            let mut last = None;
            let mut out = Vec::new();
            parse_record_after(request, 0, &ctx, &mut out, &mut last).unwrap();
            assert_eq!(last, Some(id("request")));
            let mark = out.len();
            let after = parse_record_after(line, 0, &ctx, &mut out, &mut last);
            let mut alone = Vec::new();
            assert_eq!(after, parse_record(line, 0, &ctx, &mut alone));
            assert_eq!(out[mark..], alone[..]);
        }
        let mut last = Some(id("request"));
        let err = parse_record_after(lines[2], 0, &ctx, &mut Vec::new(), &mut last).unwrap_err();
        assert!(err.reason.starts_with("unknown record shape"), "{err}");
        let mut last = Some(id("request"));
        parse_record_after(lines[1], 0, &ctx, &mut Vec::new(), &mut last).unwrap();
        assert_eq!(last, Some(id("otlp-json")));
    }

    #[test]
    fn binary_bodies_say_what_was_tried() {
        let ctx = Ctx {
            blob: BlobId(0),
            opts: Options::default(),
        };
        let err = parse_binary(b"\x00\x01garbage", &ctx, &mut Vec::new()).unwrap_err();
        assert!(
            err.reason.starts_with(
                "not JSON, and not an OTLP protobuf body or a DSPy inspect_history text either ("
            ),
            "{err}"
        );
    }
}
