//! Read files (and stdin) on a thread of their own, and follow what is appended: a partial last
//! line waits for its newline, truncation (`: > traces.jsonl`) and rotation (rename, then a new
//! file) are noticed and reading goes on with the new content. File-system events wake the
//! reader at once; a poll catches what events miss (network file systems, editors).

use super::sink::{Batcher, Feed, Sink};
use super::{Ctx, MAX_LINE, Options, detect, load_bytes, load_lines};
use crate::model::{Blob, BlobId, SourceId};
use notify::{RecursiveMode, Watcher};
use std::fs::{self, File};
use std::io::{self, Read};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// Bytes read per step: big enough for throughput, small enough that the first screen of a
/// large file shows while the rest is read.
const CHUNK: usize = 8 << 20;

/// How often files are checked when no file-system event came.
const POLL_WATCHED: Duration = Duration::from_millis(500);
/// … and when events are not available.
const POLL_UNWATCHED: Duration = Duration::from_millis(100);

/// How long a rotated file is still read after a new one took its path: its writer may not
/// have switched yet.
const ROTATE_WAIT: Duration = Duration::from_secs(5);

/// The last bytes read are remembered (up to this many): if they are no longer there, the
/// file was rewritten, even when it is no shorter than before.
const MARK: usize = 64;

/// One open file and how far it was read.
#[derive(Debug)]
struct Reader {
    file: Arc<File>,
    /// (device, inode), to notice a rotation.
    identity: (u64, u64),
    blob: BlobId,
    /// The first byte not yet parsed (the start of a partial line, if any).
    offset: u64,
    /// Lines parsed so far (for line numbers in rejections).
    lines: u64,
    mark: Vec<u8>,
    /// Inside a line over [`super::MAX_LINE`]: its start was rejected, the rest is skipped.
    skipping: bool,
}

impl Reader {
    fn open(sink: &mut Batcher, path: &Path) -> io::Result<Reader> {
        let file = File::open(path)?;
        let meta = file.metadata()?;
        let file = Arc::new(file);
        let blob = sink.add_blob(Blob::Open(Arc::clone(&file)));
        Ok(Reader {
            file,
            identity: (meta.dev(), meta.ino()),
            blob,
            offset: 0,
            lines: 0,
            mark: Vec::new(),
            skipping: false,
        })
    }

    /// Whether the bytes read so far are still there.
    fn rewritten(&self) -> io::Result<bool> {
        let len = self.file.metadata()?.len();
        Ok(len < self.offset
            || (!self.mark.is_empty()
                && read_at_most(&self.file, self.offset - self.mark.len() as u64, MARK)?
                    .get(..self.mark.len())
                    != Some(self.mark.as_slice())))
    }
}

/// One followed path.
#[derive(Debug)]
pub struct Tail {
    path: PathBuf,
    source: SourceId,
    cur: Reader,
    /// Files that were rotated away, read until their deadline.
    retired: Vec<(Reader, Instant)>,
    opts: Options,
    buf: Vec<u8>,
}

impl Tail {
    /// Open `path` as a source of `sink`.
    ///
    /// # Errors
    /// The file cannot be opened.
    pub fn open(sink: &mut Batcher, path: &Path, opts: Options) -> io::Result<Tail> {
        let cur = Reader::open(sink, path)?;
        let source = sink.add_source(&path.display().to_string());
        Ok(Tail {
            path: path.to_path_buf(),
            source,
            cur,
            retired: Vec::new(),
            opts,
            buf: Vec::new(),
        })
    }

    #[must_use]
    pub fn source(&self) -> SourceId {
        self.source
    }

    /// Whether the file is JSON lines (and so can be followed). Other files (protobuf, gzip,
    /// one JSON document) are read whole, once, by this call; it returns false for them.
    ///
    /// # Errors
    /// Reading the file fails.
    pub fn is_lines(&mut self, sink: &mut Batcher) -> io::Result<bool> {
        let head = read_at_most(&self.cur.file, 0, 64 << 10)?;
        // no newline yet: one long record, or a line over the limit (read as lines, where it
        // is rejected without being held)
        let overlong = memchr::memchr(b'\n', &head).is_none()
            && head.len() == 64 << 10
            && first_newline(&self.cur.file, MAX_LINE as u64 + 1)?.is_none();
        let lines = match detect::sniff_file(&head) {
            detect::FileKind::Empty => true,
            detect::FileKind::Json => {
                overlong || detect::first_line_is_value(&head) || {
                    let whole = read_at_most(&self.cur.file, 0, usize::MAX)?;
                    detect::json_layout(&whole) == detect::JsonLayout::Lines
                }
            }
            detect::FileKind::Gzip | detect::FileKind::Binary => false,
        };
        if !lines {
            let whole = read_at_most(&self.cur.file, 0, usize::MAX)?;
            load_bytes(sink, self.source, self.cur.blob, &whole, self.opts);
            self.cur.offset = whole.len() as u64;
        }
        Ok(lines)
    }

    /// Read what was appended since the last call. A partial last line waits for its newline,
    /// unless `at_end` (the file is read once and this is its end).
    ///
    /// # Errors
    /// Reading the file fails.
    pub fn read_new(&mut self, sink: &mut Batcher, at_end: bool) -> io::Result<()> {
        let now = Instant::now();
        for (r, deadline) in &mut self.retired {
            read_available(
                r,
                sink,
                self.source,
                self.opts,
                &mut self.buf,
                now >= *deadline,
            )?;
        }
        self.retired.retain(|(_, deadline)| now < *deadline);
        self.check_rotation_and_truncation(sink)?;
        read_available(
            &mut self.cur,
            sink,
            self.source,
            self.opts,
            &mut self.buf,
            at_end,
        )
    }

    /// A new file at the path (rotation): the old one is still read for a while, and the new
    /// one from its beginning. Bytes read that are no longer there (truncation, a rewrite):
    /// references to them say so, and reading starts over.
    fn check_rotation_and_truncation(&mut self, sink: &mut Batcher) -> io::Result<()> {
        match fs::metadata(&self.path) {
            Ok(m) if (m.dev(), m.ino()) != self.cur.identity => {
                let new = Reader::open(sink, &self.path)?;
                let old = std::mem::replace(&mut self.cur, new);
                self.retired.push((old, Instant::now() + ROTATE_WAIT));
                sink.state(self.source, "following (rotated)");
                return Ok(());
            }
            Ok(_) => {}
            // removed and not yet replaced: keep reading the open file
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        if self.cur.rewritten()? {
            sink.registry()
                .blobs
                .forget(self.cur.blob, "the file was truncated after this was read");
            self.cur.blob = sink.add_blob(Blob::Open(Arc::clone(&self.cur.file)));
            self.cur.offset = 0;
            self.cur.lines = 0;
            self.cur.mark.clear();
            self.cur.skipping = false;
            sink.state(self.source, "following (truncated)");
        }
        Ok(())
    }
}

/// Parse the complete lines appended to `r` since the last call (and a last partial line too
/// when `at_end`).
fn read_available(
    r: &mut Reader,
    sink: &mut Batcher,
    source: SourceId,
    opts: Options,
    buf: &mut Vec<u8>,
    at_end: bool,
) -> io::Result<()> {
    let ctx = Ctx { blob: r.blob, opts };
    loop {
        buf.clear();
        if r.skipping {
            let n = read_into(&r.file, r.offset, CHUNK, buf)?;
            let skip = match memchr::memchr(b'\n', buf) {
                Some(i) => {
                    r.skipping = false;
                    i + 1
                }
                None if n == 0 => return Ok(()),
                None => n,
            };
            sink.count(source, 0, skip as u64);
            r.offset += skip as u64;
            continue;
        }
        let mut want = CHUNK;
        let n = loop {
            let n = read_into(&r.file, r.offset, want, buf)?;
            if n < want || want > MAX_LINE || memchr::memchr(b'\n', buf).is_some() {
                break n;
            }
            // a line longer than a chunk: read more of it at once
            want = (want * 2).min(MAX_LINE + 1);
        };
        let complete = match memchr::memrchr(b'\n', buf) {
            Some(i) => i + 1,
            None if n > MAX_LINE => {
                // the parser rejects its start; the rest is skipped as it comes
                r.lines += load_lines(sink, source, buf, r.offset, r.lines, &ctx);
                sink.count(source, 0, n as u64);
                r.offset += n as u64;
                r.mark.clear();
                r.skipping = true;
                // give the memory back
                *buf = Vec::new();
                continue;
            }
            None if at_end && n > 0 => n,
            None => return Ok(()),
        };
        let chunk = &buf[..complete];
        r.lines += load_lines(sink, source, chunk, r.offset, r.lines, &ctx);
        sink.count(source, 0, complete as u64);
        r.offset += complete as u64;
        r.mark.clear();
        r.mark
            .extend_from_slice(&chunk[complete.saturating_sub(MARK)..]);
    }
}

/// Where the first newline of `f` is, looking at most `within` bytes in.
fn first_newline(f: &File, within: u64) -> io::Result<Option<u64>> {
    let mut chunk = vec![0u8; 1 << 20];
    let mut at = 0u64;
    while at < within {
        let n = f.read_at(&mut chunk, at)?;
        if n == 0 {
            return Ok(None);
        }
        if let Some(i) = memchr::memchr(b'\n', &chunk[..n]) {
            return Ok(Some(at + i as u64));
        }
        at += n as u64;
    }
    Ok(None)
}

/// Read up to `max` bytes at `offset`.
fn read_at_most(f: &File, offset: u64, max: usize) -> io::Result<Vec<u8>> {
    let mut v = Vec::new();
    read_into(f, offset, max, &mut v)?;
    Ok(v)
}

/// Append up to `max` bytes at `offset` of `f` to `buf` (after what it holds); returns the
/// length of `buf`.
fn read_into(f: &File, offset: u64, max: usize, buf: &mut Vec<u8>) -> io::Result<usize> {
    let have = buf.len();
    let len = f.metadata()?.len();
    let avail = usize::try_from(len.saturating_sub(offset + have as u64)).unwrap_or(usize::MAX);
    let n = avail.min(max.saturating_sub(have));
    // exactly what is read: a long line's buffer grows to its size, not to a power of two
    buf.reserve_exact(n);
    buf.resize(have + n, 0);
    let mut done = 0;
    while done < n {
        let k = f.read_at(&mut buf[have + done..], offset + (have + done) as u64)?;
        if k == 0 {
            break;
        }
        done += k;
    }
    buf.truncate(have + done);
    Ok(buf.len())
}

/// Read `paths` (files, directories, `-` for stdin, URLs) into `feed` on threads; with `follow`,
/// keep reading what is appended to JSON-lines files until the store goes away. URLs are
/// always followed.
///
/// # Errors
/// A path that does not exist or cannot be opened, found before the thread starts.
pub fn spawn(
    feed: &Feed,
    paths: &[String],
    follow: bool,
    opts: Options,
) -> Result<JoinHandle<()>, super::Unreadable> {
    let mut files = Vec::new();
    let mut stdin = false;
    for p in paths {
        if p == "-" {
            stdin = true;
            continue;
        }
        if super::follow::is_url(p) {
            super::follow::spawn(feed, p, opts).map_err(|e| super::Unreadable {
                path: p.clone(),
                source: e,
            })?;
            continue;
        }
        let path = Path::new(p);
        let unreadable = |e| super::Unreadable {
            path: p.clone(),
            source: e,
        };
        if fs::metadata(path).map_err(unreadable)?.is_dir() {
            files.extend(super::dir_files(path).map_err(unreadable)?);
        } else {
            File::open(path).map_err(unreadable)?;
            files.push(path.to_path_buf());
        }
    }
    if stdin {
        let feed = feed.clone();
        thread::Builder::new()
            .name("stdin".into())
            .spawn(move || read_stream(&feed, "<stdin>", io::stdin().lock(), opts))
            .map_err(|e| super::Unreadable {
                path: "-".into(),
                source: e,
            })?;
    }
    let feed = feed.clone();
    thread::Builder::new()
        .name("files".into())
        .spawn(move || follow_files(&feed, &files, follow, opts))
        .map_err(|e| super::Unreadable {
            path: "(files)".into(),
            source: e,
        })
}

fn follow_files(feed: &Feed, files: &[PathBuf], follow: bool, opts: Options) {
    let mut sink = feed.batcher();
    let mut tails = Vec::new();
    for path in files {
        let mut tail = match Tail::open(&mut sink, path, opts) {
            Ok(t) => t,
            Err(e) => {
                let src = sink.add_source(&path.display().to_string());
                sink.state(src, format!("error: {e}"));
                continue;
            }
        };
        let res = tail.is_lines(&mut sink).and_then(|lines| {
            if lines {
                tail.read_new(&mut sink, !follow)?;
            }
            Ok(lines)
        });
        match res {
            Ok(true) if follow => {
                sink.state(tail.source, "following");
                tails.push(tail);
            }
            Ok(_) => sink.state(tail.source, ""),
            Err(e) => sink.state(tail.source, format!("error: {e}")),
        }
        if sink.flush().is_err() {
            return;
        }
    }
    if tails.is_empty() {
        return;
    }
    let (wake_tx, wake) = mpsc::channel();
    let watcher = notify::recommended_watcher(move |_event| {
        let _ = wake_tx.send(());
    })
    .and_then(|mut w| {
        let mut dirs: Vec<PathBuf> = tails
            .iter()
            .map(|t| {
                t.path
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(Path::new("."))
                    .to_path_buf()
            })
            .collect();
        dirs.sort();
        dirs.dedup();
        for d in dirs {
            w.watch(&d, RecursiveMode::NonRecursive)?;
        }
        Ok(w)
    });
    let poll = if watcher.is_ok() {
        POLL_WATCHED
    } else {
        POLL_UNWATCHED
    };
    loop {
        match wake.recv_timeout(poll) {
            Ok(()) => while wake.try_recv().is_ok() {},
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            // the watcher is gone (it failed to start): poll
            Err(mpsc::RecvTimeoutError::Disconnected) => thread::sleep(poll),
        }
        for t in &mut tails {
            if let Err(e) = t.read_new(&mut sink, false) {
                sink.state(t.source, format!("error: {e}"));
            }
        }
        if sink.flush().is_err() {
            return;
        }
    }
}

/// Read a stream (stdin) as it comes: each read's complete lines are parsed at once and kept
/// in memory for the payloads; at the end, a last line without a newline is parsed too.
pub fn read_stream(feed: &Feed, label: &str, mut reader: impl Read, opts: Options) {
    let mut sink = feed.batcher();
    let source = sink.add_source(label);
    let mut carry: Vec<u8> = Vec::new();
    let mut lines = 0u64;
    let mut buf = vec![0u8; 1 << 20];
    let mut first = true;
    let mut skipping = false;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                sink.state(source, format!("error: {e}"));
                return;
            }
        };
        let mut data = &buf[..n];
        if skipping {
            // the rest of a line over the limit
            let Some(i) = memchr::memchr(b'\n', data) else {
                continue;
            };
            skipping = false;
            data = &data[i + 1..];
        }
        carry.extend_from_slice(data);
        if first && !carry.iter().all(u8::is_ascii_whitespace) {
            // not JSON lines (protobuf, gzip, a document): read it whole, once
            if !matches!(detect::sniff_file(&carry), detect::FileKind::Json) {
                if reader.read_to_end(&mut carry).is_err() {
                    sink.state(source, "error: read failed");
                    return;
                }
                let bytes = Arc::new(carry);
                let blob = sink.add_blob(Blob::Memory(Arc::clone(&bytes)));
                load_bytes(&mut sink, source, blob, &bytes, opts);
                sink.state(source, "");
                return;
            }
            first = false;
        }
        let Some(nl) = memchr::memrchr(b'\n', &carry) else {
            if carry.len() > MAX_LINE {
                // rejected by the parser for its length; the rest is skipped as it comes
                carry.truncate(MAX_LINE + 1);
                lines += parse_chunk(&mut sink, source, std::mem::take(&mut carry), lines, opts);
                skipping = true;
                if sink.flush().is_err() {
                    return;
                }
            }
            continue;
        };
        let rest = carry.split_off(nl + 1);
        lines += parse_chunk(
            &mut sink,
            source,
            std::mem::replace(&mut carry, rest),
            lines,
            opts,
        );
        if sink.flush().is_err() {
            return;
        }
    }
    if !carry.is_empty() {
        parse_chunk(&mut sink, source, carry, lines, opts);
    }
    sink.state(source, "");
}

/// Parse complete lines held in memory: they become a blob of their own.
fn parse_chunk(
    sink: &mut Batcher,
    source: SourceId,
    chunk: Vec<u8>,
    lines: u64,
    opts: Options,
) -> u64 {
    let chunk = Arc::new(chunk);
    let blob = sink.add_blob(Blob::Memory(Arc::clone(&chunk)));
    sink.count(source, 0, chunk.len() as u64);
    let ctx = Ctx { blob, opts };
    load_lines(sink, source, &chunk, 0, lines, &ctx)
}
