//! Every source and format becomes records for the Store. A source is sniffed once and read
//! whole (a document, a protobuf body, gzip) or as JSON lines on every core; each JSON record
//! is sniffed on its own, so mixed formats in one file work. Formats are entries of one table
//! (`formats/mod.rs`). A bad line is counted with its line number and reason; the rest is kept.
//!
//! Files, lowest first: `error`, `ctx`, `values`, `texts`, `attributes`, `detect`, `decode` and
//! `semconv` are shared by everything; `format` is what a format is; `formats/` holds one file
//! per format and the table (`formats/mod.rs`) with its dispatch; `detail` decodes spans' texts
//! through it; `lines`, `parallel` and `reader` read sources (`mlflow_store` turns MLflow's
//! sqlite tracking store into lines of two of the formats); `tail`, `follow`, `sink` and
//! `http` feed a live store, and `spool` keeps on disk what live sources accept.

pub mod attributes;
pub mod ctx;
pub mod decode;
pub mod detail;
pub mod detect;
pub mod error;
pub mod follow;
pub mod format;
pub mod formats;
pub mod http;
pub mod lines;
pub mod mlflow_store;
pub mod parallel;
pub mod reader;
pub mod search;
pub mod semconv;
pub mod sink;
pub mod spool;
pub mod tail;
#[cfg(test)]
pub(crate) mod testing;
pub mod texts;
pub mod usage;
pub mod values;

pub use self::ctx::{Ctx, Options};
pub use self::decode::decode;
pub use self::error::{ErrorKind, ParseError, json_error};
pub use self::formats::parse_record;
/// The format files, at the paths code outside ingest has used.
pub use self::formats::{dspy_callback, events, mlflow, normalized, otlp, requests};
pub use self::lines::{MAX_LINE, load_lines, overlong_line};
pub use self::reader::{MAX_INFLATED, Unreadable, dir_files, load_bytes, load_path, load_reader};
pub use self::sink::Sink;
pub use self::values::{content_id, epoch_number, error_text, hex, ms_to_ns, parse_time};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Store;

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
