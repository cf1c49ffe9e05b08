//! One record per line: the loop every line reader ends in (blank lines skipped, a last line
//! without its newline parsed and reported as truncated if it fails), and the one rule for
//! lines over [`MAX_LINE`], which are rejected with their reason and never held whole.

use super::ctx::Ctx;
use super::formats;
use super::sink::Sink;
use crate::model::SourceId;
use crate::model::store::Record;

/// The longest line read as a record. A longer line is rejected with its reason and skipped
/// without being held, so a writer that never ends a line cannot exhaust memory: readers keep
/// at most `MAX_LINE + 1` bytes of it, which this loop then rejects for its length.
pub const MAX_LINE: usize = 64 << 20;

/// The reason an overlong line of `len` bytes (or more) is rejected.
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
            store.reject(source, line_no, overlong_line(line.len() as u64));
        } else if !line.iter().all(u8::is_ascii_whitespace) {
            store.count(source, 1, 0);
            match formats::parse_record_after(line, base + pos as u64, ctx, &mut out, &mut last) {
                Ok(()) => insert_all(store, source, line_no, &mut out),
                Err(e) if !terminated => {
                    out.clear();
                    store.reject(
                        source,
                        line_no,
                        format!("truncated last line (no newline at end): {e}"),
                    );
                }
                Err(e) => {
                    out.clear();
                    store.reject(source, line_no, e.reason);
                }
            }
        }
        pos = next;
    }
    line_no - first_line
}

/// Hand parsed records to the store; the parts refused on their own are rejections of `line`.
pub fn insert_all(store: &mut impl Sink, source: SourceId, line: u64, out: &mut Vec<Record>) {
    for r in out.drain(..) {
        match r {
            Record::Rejected(reason) => store.reject(source, line, reason),
            r => store.insert(source, r),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::ctx::Options;
    use crate::model::{Blob, Store};
    use std::sync::Arc;

    fn load(text: &[u8]) -> Store {
        let mut store = Store::new();
        let source = store.add_source("-");
        let blob = store.add_blob(Blob::Memory(Arc::new(text.to_vec())));
        let ctx = Ctx {
            blob,
            opts: Options { naive_utc: true },
        };
        let n = load_lines(&mut store, source, text, 0, 0, &ctx);
        assert_eq!(
            n,
            text.split(|&b| b == b'\n').count() as u64 - u64::from(text.ends_with(b"\n"))
        );
        store.refresh();
        store
    }

    #[test]
    fn bad_lines_are_counted_and_the_rest_kept() {
        let good = r#"{"trace_id":"a","timestamp":"2026-11-21T05:37:00Z","total_latency_ms":5}"#;
        let good2 = r#"{"trace_id":"b","timestamp":"2026-11-21T05:37:01Z","total_latency_ms":"x"}"#;
        let text = format!(
            "{good}\n{{\"trace_id\": oops\n\n{{\"what\":1}}\n{good2}\n{good}\r\n{{\"trace_id\":\"c\""
        );
        let store = load(text.as_bytes());
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
                .starts_with("invalid JSON at column 14")
        );
        assert!(src.rejections[1].reason.contains("unknown record shape"));
        assert!(src.rejections[2].reason.contains("total_latency_ms"));
        assert!(src.rejections[3].reason.starts_with("truncated last line"));
    }

    #[test]
    fn the_overlong_reason_says_how_long_when_it_is_known() {
        assert_eq!(
            overlong_line(MAX_LINE as u64 + 1),
            "the line is more than 64 MiB long, over the 64 MiB limit of a record: skipped"
        );
        assert!(overlong_line(200 << 20).starts_with("the line is 200 MiB long"));
    }
}
