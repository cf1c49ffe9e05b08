//! Read files on a thread of their own and follow what is appended. This file decides only
//! *when* to read: each file is sniffed and read once through the one reader (every core for
//! JSON lines, like `spanscope list`), then what is appended is handed to the same line reader
//! as it comes; a partial last line waits for its newline. Truncation (`: > traces.jsonl`) and
//! rotation (rename, then a new file) are noticed and reading goes on with the new content.
//! File-system events wake the reader at once; a poll catches what events miss (network file
//! systems, editors).

use super::ctx::Options;
use super::parallel::{End, Lines, Position};
use super::reader::{self, Layout, Unreadable};
use super::sink::{Batcher, Feed, Sink};
use crate::model::{Blob, BlobId, SourceId};
use notify::{RecursiveMode, Watcher};
use std::fs::{self, File};
use std::io::{self, Seek, SeekFrom};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How often files are checked when no file-system event came.
const POLL_WATCHED: Duration = Duration::from_millis(500);
/// … and when events are not available.
const POLL_UNWATCHED: Duration = Duration::from_millis(100);

/// How long a rotated file is still read after a new one took its path: its writer may not
/// have switched yet.
const ROTATE_WAIT: Duration = Duration::from_secs(5);

/// The state of a followed file; a note after it (`tailing (truncated)`) says what happened
/// to the file, until lines arrive after it.
pub const TAILING: &str = "tailing";

/// One open file and how far it was read.
#[derive(Debug)]
struct Reader {
    file: Arc<File>,
    /// (device, inode), to notice a rotation.
    identity: (u64, u64),
    blob: BlobId,
    pos: Position,
    opts: Options,
}

impl Reader {
    fn open(sink: &mut Batcher, path: &Path, opts: Options) -> io::Result<Reader> {
        let file = File::open(path)?;
        let meta = file.metadata()?;
        let file = Arc::new(file);
        let blob = sink.add_blob(Blob::Open(Arc::clone(&file)));
        Ok(Reader {
            file,
            identity: (meta.dev(), meta.ino()),
            blob,
            pos: Position::default(),
            opts,
        })
    }

    /// Whether the bytes read so far are still there.
    fn rewritten(&self) -> io::Result<bool> {
        let len = self.file.metadata()?.len();
        let read = self.pos.offset + self.pos.partial.len() as u64;
        if len < read {
            return Ok(true);
        }
        let mark = &self.pos.mark;
        if mark.is_empty() {
            return Ok(false);
        }
        let mut now = vec![0u8; mark.len()];
        let at = self.pos.offset - mark.len() as u64;
        Ok(self.file.read_exact_at(&mut now, at).is_err() || now != *mark)
    }

    /// Hand what the file holds past what was read to the line reader.
    fn read(&mut self, sink: &mut Batcher, source: SourceId, end: End) -> io::Result<()> {
        let mut input = file_from(&self.file, self.pos.offset + self.pos.partial.len() as u64)?;
        Lines::of_blob(self.blob, self.opts).read(sink, source, &mut input, &mut self.pos, end)
    }
}

/// `file` with its cursor at `at`, to be read from there on. The cursor is this reader's
/// alone: the payload blob that shares the file reads by position. Read as a `File` (not
/// through `read_at`), the reads fill the line reader's buffers without zeroing them first.
fn file_from(file: &File, at: u64) -> io::Result<&File> {
    let mut f = file;
    f.seek(SeekFrom::Start(at))?;
    Ok(f)
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
    /// The state says the file was truncated or rotated: cleared once lines arrive after that.
    noted: bool,
}

impl Tail {
    /// Open `path` as a source of `sink`.
    ///
    /// # Errors
    /// The file cannot be opened.
    pub fn open(sink: &mut Batcher, path: &Path, opts: Options) -> io::Result<Tail> {
        let cur = Reader::open(sink, path, opts)?;
        let source = sink.add_source(&path.display().to_string());
        Ok(Tail {
            path: path.to_path_buf(),
            source,
            cur,
            retired: Vec::new(),
            opts,
            noted: false,
        })
    }

    #[must_use]
    pub fn source(&self) -> SourceId {
        self.source
    }

    /// Read the file the first time, sniffed once: JSON lines are read on every core, a
    /// partial last line waiting for its newline when `follow` (and parsed when not); other
    /// files (protobuf, gzip, one JSON document) are read whole, once. Returns whether the
    /// file is JSON lines (and so can be followed).
    ///
    /// # Errors
    /// Reading the file fails.
    pub fn first_read(&mut self, sink: &mut Batcher, follow: bool) -> io::Result<bool> {
        let mut input = file_from(&self.cur.file, 0)?;
        match reader::sniff(&mut input)? {
            Layout::Whole(bytes) => {
                reader::load_bytes(sink, self.source, self.cur.blob, &bytes, self.opts);
                self.cur.pos.offset = bytes.len() as u64;
                Ok(false)
            }
            Layout::Lines(head) => {
                // what is there now: the store sizes its tables for it
                sink.registry().expect(self.cur.file.metadata()?.len());
                self.cur.pos.partial = head;
                let end = if follow { End::Wait } else { End::Parse };
                self.cur.read(sink, self.source, end)?;
                Ok(true)
            }
        }
    }

    /// Read what was appended since the last call. A partial last line waits for its newline,
    /// unless `at_end` (the file is read once and this is its end).
    ///
    /// # Errors
    /// Reading the file fails.
    pub fn read_new(&mut self, sink: &mut Batcher, at_end: bool) -> io::Result<()> {
        let now = Instant::now();
        for (r, deadline) in &mut self.retired {
            let end = if now >= *deadline {
                End::Parse
            } else {
                End::Wait
            };
            r.read(sink, self.source, end)?;
        }
        self.retired.retain(|(_, deadline)| now < *deadline);
        let fresh = self.check_rotation_and_truncation(sink)?;
        let end = if at_end { End::Parse } else { End::Wait };
        let lines = self.cur.pos.lines;
        self.cur.read(sink, self.source, end)?;
        // a note stays until lines arrive in a later read than the one that made it
        if !fresh && self.noted && self.cur.pos.lines > lines {
            self.noted = false;
            sink.state(self.source, TAILING);
        }
        Ok(())
    }

    /// A new file at the path (rotation): the old one is still read for a while, and the new
    /// one from its beginning. Bytes read that are no longer there (truncation, a rewrite):
    /// references to them say so, and reading starts over. Returns whether it noted either.
    fn check_rotation_and_truncation(&mut self, sink: &mut Batcher) -> io::Result<bool> {
        match fs::metadata(&self.path) {
            Ok(m) if (m.dev(), m.ino()) != self.cur.identity => {
                let new = Reader::open(sink, &self.path, self.opts)?;
                let old = std::mem::replace(&mut self.cur, new);
                self.retired.push((old, Instant::now() + ROTATE_WAIT));
                sink.state(self.source, format!("{TAILING} (rotated)"));
                self.noted = true;
                return Ok(true);
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
            self.cur.pos = Position::default();
            sink.state(self.source, format!("{TAILING} (truncated)"));
            self.noted = true;
            return Ok(true);
        }
        Ok(false)
    }
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
) -> Result<JoinHandle<()>, Unreadable> {
    let mut files = Vec::new();
    let mut stdin = false;
    for p in paths {
        if p == "-" {
            stdin = true;
            continue;
        }
        if super::follow::is_url(p) {
            super::follow::spawn(feed, p, opts).map_err(|e| Unreadable {
                path: p.clone(),
                source: e,
            })?;
            continue;
        }
        let path = Path::new(p);
        let unreadable = |e| Unreadable {
            path: p.clone(),
            source: e,
        };
        if fs::metadata(path).map_err(unreadable)?.is_dir() {
            files.extend(reader::dir_files(path).map_err(unreadable)?);
        } else {
            File::open(path).map_err(unreadable)?;
            files.push(path.to_path_buf());
        }
    }
    if stdin {
        let feed = feed.clone();
        thread::Builder::new()
            .name("stdin".into())
            .spawn(move || reader::read_stream(&feed, "<stdin>", io::stdin(), opts))
            .map_err(|e| Unreadable {
                path: "-".into(),
                source: e,
            })?;
    }
    let feed = feed.clone();
    thread::Builder::new()
        .name("files".into())
        .spawn(move || follow_files(&feed, &files, follow, opts))
        .map_err(|e| Unreadable {
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
        match tail.first_read(&mut sink, follow) {
            Ok(true) if follow => {
                sink.state(tail.source, TAILING);
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
