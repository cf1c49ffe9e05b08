//! The spool: what a live source accepts (a request body, a block of stdin, a line of a
//! followed URL) is appended to a file on disk before it is acknowledged, and the payload
//! references of its records point there exactly as they point into a log file. Memory holds
//! the index, never the prompts.
//!
//! A private spool is a directory of its own ([`SpoolDir`]) holding segment files, each one
//! blob of the store. It is bounded: beyond `--max-spool` the oldest segments are dropped,
//! their blobs say so, and the store evicts every trace that referred to them (counted as
//! evicted). `record --out FILE` is the same mechanism with a name the user chose: one file,
//! never rotated nor removed, holding JSON lines that spanscope reads back later.
//!
//! Appends go through the append transaction (`append.rs`) under one short lock: what
//! follows decoding is the copy into the file and the queueing, never the parsing. A dropped
//! segment is announced to the store only once every record pointing into it was queued
//! (batches arrive in order), so no record is indexed after its segment's eviction: the
//! receiver queues under the lock, and readers that queue later hold a [`Pin`] until then.

pub mod append;
pub mod dir;

pub use append::{AppendError, AppendFile, Appender, Refused};
pub use dir::{Cleaned, SpoolDir, clean_stale, default_root, finish_all_now};

use crate::model::store::{Record, Registry};
use crate::model::{Blob, BlobId};
use std::collections::VecDeque;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// The bound of a spool unless told otherwise (`--max-spool`).
pub const DEFAULT_MAX: u64 = 2 << 30;
/// The size a segment grows to before the next one starts (smaller for a small bound, so that
/// dropping the oldest keeps most of the spool).
pub const SEGMENT: u64 = 64 << 20;

/// The blob records are parsed against before their bytes have a place (see [`place`]): it
/// reads as gone, and the store refuses a record still pointing at it.
pub const UNPLACED: BlobId = BlobId::FULL;

/// Why the bytes of a dropped segment are gone, as a payload read from it says.
const DROPPED: &str = "dropped from the spool to stay within --max-spool (the trace was evicted)";

/// A handle on a spool, cloned into every thread that appends to it.
#[derive(Debug, Clone)]
pub struct Spool {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    registry: Arc<Registry>,
    kind: Kind,
    state: Mutex<State>,
    /// How many dropped segments wait for their announcement: [`Spool::take_dropped`] takes
    /// the lock only when some do.
    waiting: AtomicUsize,
}

#[derive(Debug)]
enum Kind {
    /// Segments in a directory of the process's own, bounded.
    Private {
        dir: PathBuf,
        segment: u64,
        max: u64,
    },
    /// One file the user named (`record --out`).
    Record { path: PathBuf },
}

#[derive(Debug, Default)]
struct State {
    /// Oldest first; appends go to the last.
    segments: VecDeque<Segment>,
    /// Bytes the segments hold.
    held: u64,
    /// Segments made so far (their file names count on).
    made: u64,
    /// Dropped segments whose records may not all be queued yet: their pins.
    dropped: Vec<(BlobId, Arc<AtomicUsize>)>,
    stats: SpoolStats,
}

#[derive(Debug)]
struct Segment {
    blob: BlobId,
    /// The file to delete when dropped (`None`: the user's record file, never deleted).
    path: Option<PathBuf>,
    file: Appender<Arc<File>>,
    len: u64,
    /// Readers holding records that point here, not yet queued.
    pins: Arc<AtomicUsize>,
}

/// What a spool has done, for the exit summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SpoolStats {
    /// Bytes appended and kept (what was cut off again is not counted).
    pub written: u64,
    /// Bytes on disk now.
    pub held: u64,
    /// Segments dropped to stay within the bound, and the bytes they held.
    pub dropped_segments: u64,
    pub dropped_bytes: u64,
    /// Appends that failed (a full disk): refused, or held in memory by a stream.
    pub failed: u64,
    /// Refused appends whose bytes could not be cut off at once.
    pub undo_failed: u64,
}

/// Where appended bytes went, and the pin that holds back the announcement of their segment's
/// drop until the records pointing there are queued.
#[derive(Debug)]
pub struct Placed {
    pub blob: BlobId,
    pub offset: u64,
    pub pin: Pin,
}

/// Held by a reader from an append until the records pointing into it are queued.
#[derive(Debug)]
pub struct Pin(Arc<AtomicUsize>);

impl Pin {
    /// Whether this pin and `other` hold the same segment (a reader keeps one per segment).
    #[must_use]
    pub fn same(&self, other: &Pin) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Drop for Pin {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Spool {
    /// A private spool in `dir`, bounded by `max` bytes: segments are made as data comes.
    #[must_use]
    pub fn private(registry: Arc<Registry>, dir: &SpoolDir, max: u64) -> Spool {
        let segment = (max / 8).clamp(4096, SEGMENT);
        Spool::with(
            registry,
            Kind::Private {
                dir: dir.path().to_path_buf(),
                segment,
                max,
            },
            State::default(),
        )
    }

    /// The record file `path` (created if missing, appended to if not): one segment, never
    /// rotated, dropped nor removed. Payloads read back from it while it is written.
    ///
    /// # Errors
    /// The file cannot be opened for appending.
    pub fn record(registry: Arc<Registry>, path: &Path) -> io::Result<Spool> {
        let writer = File::options().create(true).append(true).open(path)?;
        // a pipe or a device is written to, never read back (a read could take a reader's data)
        let blob = if writer.metadata()?.is_file() {
            match File::open(path) {
                Ok(r) => Blob::Open(Arc::new(r)),
                Err(e) => Blob::Gone(format!("the record file cannot be read back: {e}").into()),
            }
        } else {
            Blob::Gone("the record file is not a regular file: it is not read back".into())
        };
        let blob = registry.blobs.add(blob);
        let len = writer.metadata()?.len();
        let state = State {
            segments: VecDeque::from([Segment {
                blob,
                path: None,
                file: Appender::new(Arc::new(writer), "the record file"),
                len,
                pins: Arc::default(),
            }]),
            ..State::default()
        };
        Ok(Spool::with(
            registry,
            Kind::Record {
                path: path.to_path_buf(),
            },
            state,
        ))
    }

    fn with(registry: Arc<Registry>, kind: Kind, state: State) -> Spool {
        Spool {
            inner: Arc::new(Inner {
                registry,
                kind,
                state: Mutex::new(state),
                waiting: AtomicUsize::new(0),
            }),
        }
    }

    /// Whether request bodies are kept as they came (a private spool, read back only through
    /// payload references), or as JSON lines (a record file, a source for later).
    #[must_use]
    pub fn keeps_raw(&self) -> bool {
        matches!(self.inner.kind, Kind::Private { .. })
    }

    /// Where it is: the spool's directory, or the record file.
    #[must_use]
    pub fn path(&self) -> &Path {
        match &self.inner.kind {
            Kind::Private { dir, .. } => dir,
            Kind::Record { path } => path,
        }
    }

    /// The most bytes a private spool keeps on disk (`--max-spool`); a record file has no bound.
    #[must_use]
    pub fn max(&self) -> Option<u64> {
        match &self.inner.kind {
            Kind::Private { max, .. } => Some(*max),
            Kind::Record { .. } => None,
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Append `parts` (one body) and `queue` its records, given the blob and offset where it
    /// went: both, or neither (see [`Appender::commit`]). `queue` runs under the spool's lock,
    /// so no segment is dropped before what points into it is queued: keep it short (place
    /// the records, hand the batch over without waiting).
    ///
    /// # Errors
    /// [`Refused::Append`] when the spool cannot take the bytes (nothing is queued),
    /// [`Refused::Queue`] when `queue` refused them (they are cut off again).
    pub fn commit<T, E>(
        &self,
        parts: &[&[u8]],
        queue: impl FnOnce(BlobId, u64) -> Result<T, E>,
    ) -> Result<T, Refused<E>> {
        self.commit_pinned(parts, |blob, at, _| queue(blob, at))
    }

    /// Append `bytes` for a reader that queues their records later: it holds the returned
    /// pin until they are queued, then calls [`Spool::take_dropped`].
    ///
    /// # Errors
    /// The spool cannot take the bytes (a full disk).
    pub fn append(&self, bytes: &[u8]) -> Result<Placed, AppendError> {
        let placed = self.commit_pinned(&[bytes], |blob, offset, pins| {
            pins.fetch_add(1, Ordering::AcqRel);
            Ok::<_, std::convert::Infallible>(Placed {
                blob,
                offset,
                pin: Pin(Arc::clone(pins)),
            })
        });
        match placed {
            Ok(p) => Ok(p),
            Err(Refused::Append(e)) => Err(e),
            Err(Refused::Queue(never)) => match never {},
        }
    }

    fn commit_pinned<T, E>(
        &self,
        parts: &[&[u8]],
        queue: impl FnOnce(BlobId, u64, &Arc<AtomicUsize>) -> Result<T, E>,
    ) -> Result<T, Refused<E>> {
        let len: u64 = parts.iter().map(|p| p.len() as u64).sum();
        let mut guard = self.state();
        let s = &mut *guard;
        if let Err(e) = self.make_room(s, len) {
            s.stats.failed += 1;
            return Err(Refused::Append(e));
        }
        let Some(seg) = s.segments.back_mut() else {
            // make_room leaves a segment to write to, or fails
            return Err(Refused::Append(AppendError::Write(
                io::Error::other("no segment to write to"),
                "the spool",
            )));
        };
        let (blob, undone) = (seg.blob, seg.file.undo_failures());
        let pins = Arc::clone(&seg.pins);
        let res = seg.file.commit(parts, |at| queue(blob, at, &pins));
        s.stats.undo_failed += seg.file.undo_failures() - undone;
        match &res {
            Ok(_) => {
                seg.len += len;
                s.held += len;
                s.stats.written += len;
                self.bound(s);
            }
            Err(Refused::Append(_)) => s.stats.failed += 1,
            Err(Refused::Queue(_)) => {}
        }
        res
    }

    /// Start a new segment when the one written to is full (or there is none yet).
    fn make_room(&self, s: &mut State, len: u64) -> Result<(), AppendError> {
        let Kind::Private { dir, segment, .. } = &self.inner.kind else {
            return Ok(());
        };
        let full = s
            .segments
            .back()
            .is_none_or(|seg| seg.len > 0 && seg.len + len > *segment);
        if !full {
            return Ok(());
        }
        let path = dir.join(format!("{:06}.seg", s.made + 1));
        let write = |e| AppendError::Write(e, "the spool");
        let file = File::options()
            .read(true)
            .append(true)
            .create_new(true)
            .open(&path)
            .map_err(write)?;
        let file = Arc::new(file);
        let blob = self.inner.registry.blobs.add(Blob::Open(Arc::clone(&file)));
        if blob == BlobId::FULL {
            let _ = std::fs::remove_file(&path);
            return Err(write(io::Error::other("the index holds no more blobs")));
        }
        s.made += 1;
        s.segments.push_back(Segment {
            blob,
            path: Some(path),
            file: Appender::new(file, "the spool"),
            len: 0,
            pins: Arc::default(),
        });
        Ok(())
    }

    /// Drop the oldest segments while the spool holds more than its bound (never the one
    /// written to): their blobs say why, their files are deleted, and each is announced once
    /// its pins are gone ([`Spool::take_dropped`]).
    fn bound(&self, s: &mut State) {
        let Kind::Private { max, .. } = self.inner.kind else {
            return;
        };
        while s.held > max && s.segments.len() > 1 {
            let Some(seg) = s.segments.pop_front() else {
                break;
            };
            self.inner.registry.blobs.forget(seg.blob, DROPPED);
            if let Some(path) = &seg.path {
                let _ = std::fs::remove_file(path);
            }
            s.held -= seg.len;
            s.stats.dropped_segments += 1;
            s.stats.dropped_bytes += seg.len;
            s.dropped.push((seg.blob, seg.pins));
        }
        self.inner.waiting.store(s.dropped.len(), Ordering::Release);
    }

    /// The dropped segments whose records are all queued: the store is to evict what refers
    /// to them (a batch's `dropped_blobs`). Whoever queues records from the spool calls this
    /// after queueing them, and queues the answer; what it could not queue goes back with
    /// [`Spool::defer_dropped`].
    #[must_use]
    pub fn take_dropped(&self) -> Vec<BlobId> {
        if self.inner.waiting.load(Ordering::Acquire) == 0 {
            return Vec::new();
        }
        let mut s = self.state();
        let mut ready = Vec::new();
        s.dropped.retain(|(blob, pins)| {
            let free = pins.load(Ordering::Acquire) == 0;
            if free {
                ready.push(*blob);
            }
            !free
        });
        self.inner.waiting.store(s.dropped.len(), Ordering::Release);
        ready
    }

    /// Dropped segments taken but not announced (the queue was full): for a later call of
    /// [`Spool::take_dropped`].
    pub fn defer_dropped(&self, blobs: Vec<BlobId>) {
        let mut s = self.state();
        s.dropped
            .extend(blobs.into_iter().map(|b| (b, Arc::default())));
        self.inner.waiting.store(s.dropped.len(), Ordering::Release);
    }

    /// What the spool has done so far.
    #[must_use]
    pub fn stats(&self) -> SpoolStats {
        let s = self.state();
        SpoolStats {
            held: s.held,
            ..s.stats
        }
    }

    /// Put what was acknowledged on disk (a record file; a private spool is removed at exit
    /// and needs no sync).
    ///
    /// # Errors
    /// The record file cannot be synced, or still ends with part of a refused request.
    pub fn finish(&self) -> io::Result<()> {
        if self.keeps_raw() {
            return Ok(());
        }
        match self.state().segments.back_mut() {
            Some(seg) => seg.file.finish(),
            None => Ok(()),
        }
    }
}

/// Point the payload references of records parsed against [`UNPLACED`] at where their bytes
/// went: blob `blob`, `at` bytes on. References to other blobs are left as they are.
pub fn place(records: &mut [Record], blob: BlobId, at: u64) {
    for r in records {
        let p = match r {
            Record::Span(s) => s.payload.as_mut().map(|(_, p)| p),
            Record::Event(e) => Some(&mut e.payload),
            _ => None,
        };
        if let Some(p) = p
            && p.blob == UNPLACED
        {
            p.blob = blob;
            p.offset += at;
        }
    }
}

#[cfg(test)]
mod tests;
