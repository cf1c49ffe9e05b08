//! One way to read a source: sniff it once from its first bytes, then read it whole (a JSON
//! document, a protobuf body, gzip) through the format table, or as lines through the line
//! reader (`parallel.rs`). Files (`spanscope list`, the explorer's first read), streams (stdin)
//! and bytes in memory all come through here.

use super::ctx::{Ctx, Options};
use super::detect::{self, FileKind, JsonLayout};
use super::formats;
use super::lines::{MAX_LINE, insert_all};
use super::mlflow_store;
use super::parallel::{BLOCK, End, Lines, Position};
use super::sink::{Batcher, Collect, Feed, Sink};
use super::spool::{self, Spool, UNPLACED};
use crate::model::store::Batch;
use crate::model::{Blob, BlobId, SourceId};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The most a gzip file may inflate to (a larger one is rejected: a decompression bomb).
pub const MAX_INFLATED: u64 = 1 << 30;

/// A source that could not be read at all.
#[derive(Debug, thiserror::Error)]
#[error("cannot read {path}: {source}")]
pub struct Unreadable {
    pub path: String,
    #[source]
    pub source: io::Error,
}

/// What a source is, decided once from its start.
#[derive(Debug, PartialEq, Eq)]
pub enum Layout {
    /// JSON lines (or nothing yet): read on through the line reader, after these first bytes.
    Lines(Vec<u8>),
    /// A JSON document, a protobuf body, gzip: all of it, read.
    Whole(Vec<u8>),
}

/// Sniff a source from its start, reading as little as it takes: a block; more when its first
/// line is longer (up to the line limit); all of it when it is not JSON lines, which is then
/// read whole. A source whose first line is a complete JSON value is JSON lines.
///
/// # Errors
/// Reading fails.
pub fn sniff(reader: &mut impl Read) -> io::Result<Layout> {
    let mut head = Vec::with_capacity(BLOCK);
    reader.by_ref().take(BLOCK as u64).read_to_end(&mut head)?;
    let mut complete = head.len() < BLOCK;
    match detect::sniff_file(&head) {
        FileKind::Empty => return Ok(Layout::Lines(head)),
        FileKind::Gzip | FileKind::Binary => {
            reader.read_to_end(&mut head)?;
            return Ok(Layout::Whole(head));
        }
        FileKind::Json => {}
    }
    if !complete && memchr::memchr(b'\n', &head).is_none() {
        // no newline yet: one long record, or a line over the limit (then never held whole)
        let more = (MAX_LINE + 1 - head.len()) as u64;
        head.reserve_exact(MAX_LINE + 1 - head.len());
        complete = reader.by_ref().take(more).read_to_end(&mut head)? < more as usize;
        if !complete && memchr::memchr(b'\n', &head).is_none() {
            return Ok(Layout::Lines(head));
        }
    }
    if detect::first_line_is_value(&head) {
        return Ok(Layout::Lines(head));
    }
    if !complete {
        reader.read_to_end(&mut head)?;
    }
    Ok(match detect::json_layout(&head) {
        JsonLayout::Lines => Layout::Lines(head),
        JsonLayout::Document => Layout::Whole(head),
    })
}

/// Read a path (a file, or every file of a directory) into the store, which is whole when this
/// returns ([`Sink::finish`]).
///
/// # Errors
/// The path (or a file in the directory) cannot be opened or read.
pub fn load_path(store: &mut impl Sink, path: &Path, opts: Options) -> Result<(), Unreadable> {
    let res = read_path(store, path, opts);
    store.finish();
    res
}

fn read_path(store: &mut impl Sink, path: &Path, opts: Options) -> Result<(), Unreadable> {
    let unreadable = |e| Unreadable {
        path: path.display().to_string(),
        source: e,
    };
    let meta = std::fs::metadata(path).map_err(unreadable)?;
    if meta.is_dir() {
        for file in dir_files(path).map_err(unreadable)? {
            read_path(store, &file, opts)?;
        }
        return Ok(());
    }
    let mut file = std::fs::File::open(path).map_err(unreadable)?;
    let layout = sniff(&mut file).map_err(unreadable)?;
    let source = store.add_source(&path.display().to_string());
    let blob = store.add_blob(Blob::File(path.to_path_buf()));
    store.registry().expect(meta.len());
    match layout {
        Layout::Whole(bytes) => {
            load_bytes(store, source, blob, &bytes, opts);
            Ok(())
        }
        Layout::Lines(head) => {
            let mut pos = Position {
                partial: head,
                ..Position::default()
            };
            Lines::of_blob(blob, opts)
                .read(store, source, &mut file, &mut pos, End::Parse)
                .map_err(unreadable)
        }
    }
}

/// The files of a directory, sorted, recursively; hidden files and capture metadata
/// (`*.meta.json`, written beside captured OTLP bodies) are skipped.
///
/// # Errors
/// The directory (or one below it) cannot be listed.
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

/// Read a stream (stdin) to its end into the store, which is whole when this returns; its bytes
/// stay in memory for the payloads.
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
    store.finish();
    Ok(())
}

/// Read a live stream (stdin) as it comes on a thread of its own: what is not JSON (protobuf,
/// gzip) is read to its end and loaded whole; JSON is read as lines, each read's whole lines
/// parsed at once, and at the end a last line without a newline is parsed too. What has
/// records is kept in the feed's spool for the payloads (in memory without one).
pub fn read_stream(feed: &Feed, label: &str, mut reader: impl Read + Send, opts: Options) {
    let mut sink = feed.batcher();
    let source = sink.add_source(label);
    let mut head = Vec::new();
    let mut chunk = vec![0u8; 1 << 16];
    // a stream is live: it is sniffed on what it has brought, not on a full block
    let ended = loop {
        match reader.read(&mut chunk) {
            Ok(0) => break true,
            Ok(n) => {
                head.extend_from_slice(&chunk[..n]);
                if !head.iter().all(u8::is_ascii_whitespace) {
                    break false;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                sink.state(source, format!("error: {e}"));
                return;
            }
        }
    };
    let state = match detect::sniff_file(&head) {
        FileKind::Gzip | FileKind::Binary => {
            let read = if ended {
                Ok(0)
            } else {
                reader.read_to_end(&mut head)
            };
            read.map(|_| load_whole(&mut sink, source, head, opts, feed.spool()))
        }
        FileKind::Json | FileKind::Empty => {
            let mut pos = Position {
                partial: head,
                ..Position::default()
            };
            Lines::of_stream(opts, feed.spool().cloned()).read(
                &mut sink,
                source,
                &mut reader,
                &mut pos,
                End::Parse,
            )
        }
    };
    match state {
        Ok(()) => sink.state(source, ""),
        Err(e) => sink.state(source, format!("error: {e}")),
    }
}

/// A whole stream (protobuf, gzip, a JSON document) read to its end: kept in `spool` (inflated,
/// if gzip) and parsed from there; without a spool, or when it cannot be written, held in
/// memory.
fn load_whole(
    sink: &mut Batcher,
    source: SourceId,
    bytes: Vec<u8>,
    opts: Options,
    spool: Option<&Spool>,
) {
    let bytes = if detect::sniff_file(&bytes) == FileKind::Gzip {
        sink.count(source, 0, bytes.len() as u64);
        match gunzip(&bytes) {
            Ok(plain) => plain,
            Err(e) => {
                sink.reject(source, 0, format!("not a valid gzip stream: {e}"));
                return;
            }
        }
    } else {
        bytes
    };
    let registry = Sink::registry(sink);
    let mut parsed = Collect {
        registry: &registry,
        batch: Batch::default(),
    };
    load_bytes(&mut parsed, source, UNPLACED, &bytes, opts);
    let pin = keep(sink, source, bytes, parsed.batch, spool);
    // queued, then the pin let go and the segments it held back announced
    let _ = sink.flush();
    drop(pin);
    let _ = sink.flush();
}

/// Keep `bytes`, whose records in `batch` were parsed against [`UNPLACED`], where payloads
/// read them back: in `spool`, else (none, or it cannot be written) in memory; nothing is kept
/// when there is no record. Then hand the batch to `sink`, and return the pin on the spool
/// segment, to let go once the records are queued (flushed).
pub fn keep(
    sink: &mut impl Sink,
    source: SourceId,
    bytes: Vec<u8>,
    mut batch: Batch,
    spool: Option<&Spool>,
) -> Option<spool::Pin> {
    let mut pin = None;
    if !batch.records.is_empty() {
        match spool.map(|s| s.append(&bytes)) {
            Some(Ok(placed)) => {
                spool::place(&mut batch.records, placed.blob, placed.offset);
                pin = Some(placed.pin);
            }
            _ => {
                let blob = sink.add_blob(Blob::Memory(Arc::new(bytes)));
                spool::place(&mut batch.records, blob, 0);
            }
        }
    }
    sink.count(source, batch.units, batch.bytes);
    for r in batch.rejections {
        sink.reject(source, r.line, r.reason);
    }
    for r in batch.records {
        sink.insert(source, r);
    }
    pin
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
    let kind = detect::sniff_file(bytes);
    let layout = (kind == FileKind::Json).then(|| detect::json_layout(bytes));
    if layout == Some(JsonLayout::Lines) {
        // the line reader counts the bytes it consumes
        let mut pos = Position::default();
        let mut reader = bytes;
        let read =
            Lines::of_blob(blob, opts).read(store, source, &mut reader, &mut pos, End::Parse);
        // reading memory does not fail
        debug_assert!(read.is_ok(), "{read:?}");
        return;
    }
    store.count(source, 0, bytes.len() as u64);
    let ctx = Ctx { blob, opts };
    let mut out = Vec::new();
    match kind {
        FileKind::Empty => {}
        FileKind::Gzip if inflated => store.reject(
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
            Err(e) => store.reject(source, 0, format!("not a valid gzip stream: {e}")),
        },
        FileKind::Binary if mlflow_store::is_sqlite(bytes) => match mlflow_store::convert(bytes) {
            Ok(store_lines) => {
                for problem in store_lines.problems {
                    store.count(source, 1, 0);
                    store.reject(source, 0, problem);
                }
                let lines = Arc::new(store_lines.lines);
                let inner = store.add_blob(Blob::Memory(Arc::clone(&lines)));
                load_content(store, source, inner, &lines, opts, inflated);
            }
            Err(e) => {
                store.count(source, 1, 0);
                store.reject(source, 0, e);
            }
        },
        FileKind::Binary => {
            store.count(source, 1, 0);
            match formats::parse_binary(bytes, &ctx, &mut out) {
                Ok(()) => insert_all(store, source, 0, &mut out),
                Err(e) => store.reject(source, 0, e.reason),
            }
        }
        FileKind::Json => {
            store.count(source, 1, 0);
            match formats::parse_document(bytes, &ctx, &mut out) {
                Ok(()) => insert_all(store, source, 0, &mut out),
                Err(e) => store.reject(source, 0, e.reason),
            }
        }
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
