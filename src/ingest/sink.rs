//! Where parsed records go: straight into a [`Store`] (the headless commands, one thread), or
//! into a [`Batcher`] that sends them in batches to the thread that owns the store (the
//! explorer, live sources). Loaders are written once, against [`Sink`].

use super::spool::Spool;
use crate::model::store::{Batch, Record, Registry, Rejection};
use crate::model::{Blob, BlobId, SourceId, Store};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

/// The receiving end of a parser.
pub trait Sink {
    fn add_source(&mut self, label: &str) -> SourceId;
    fn add_blob(&mut self, blob: Blob) -> BlobId;
    fn insert(&mut self, source: SourceId, rec: Record);
    /// Insert every record of `records`. What is left in it afterwards is the caller's to
    /// drop: a store leaves the records there, so that the thread which made them frees them.
    fn insert_all(&mut self, source: SourceId, records: &mut Vec<Record>) {
        for r in records.drain(..) {
            self.insert(source, r);
        }
    }
    /// `units` more lines (or documents) and `bytes` more bytes were read from `source`.
    fn count(&mut self, source: SourceId, units: u64, bytes: u64);
    fn reject(&mut self, source: SourceId, line: u64, reason: String);
    /// Where blob and source ids come from (threads that parse for this sink share it).
    fn registry(&self) -> Arc<Registry>;
    /// Hand on what was collected (a batcher's pending batch): readers call it after each
    /// block, so a live source shows as it comes.
    ///
    /// # Errors
    /// The store's owner is gone: reading stops.
    fn flush(&mut self) -> Result<(), Closed> {
        Ok(())
    }

    /// A whole source was read (`load_path`, `load_reader`):
    /// a store derives what it took in, so that it is whole when loading returns.
    fn finish(&mut self) {}
}

impl Sink for Store {
    fn add_source(&mut self, label: &str) -> SourceId {
        Store::add_source(self, label)
    }

    fn add_blob(&mut self, blob: Blob) -> BlobId {
        Store::add_blob(self, blob)
    }

    fn insert(&mut self, source: SourceId, rec: Record) {
        Store::insert(self, source, rec);
    }

    fn insert_all(&mut self, source: SourceId, records: &mut Vec<Record>) {
        for r in records.iter() {
            self.insert_ref(source, r);
        }
    }

    fn count(&mut self, source: SourceId, units: u64, bytes: u64) {
        self.count_read(source, units, bytes);
    }

    fn reject(&mut self, source: SourceId, line: u64, reason: String) {
        self.source_mut(source).reject(line, reason);
    }

    fn registry(&self) -> Arc<Registry> {
        Store::registry(self)
    }

    /// A block is in: the traces it brought are derived now, while the next blocks are
    /// parsed (see [`Store::refresh_grown`]).
    fn flush(&mut self) -> Result<(), Closed> {
        self.refresh_grown();
        Ok(())
    }

    /// Loading straight into the store: what is left to derive is derived when the source
    /// is read.
    fn finish(&mut self) {
        self.refresh();
    }
}

/// The store's owner went away (the explorer quit): parsing threads stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the index is gone")]
pub struct Closed;

/// How many records may wait for the store before parsers block and a receiver answers
/// "busy": several seconds of a fast live feed, so a slow frame does not refuse requests.
pub const BACKLOG: usize = 128 * 1024;

/// How many source bytes the records waiting for the store may come from: about what they hold
/// in memory. A live feed's spans carry their attributes (a couple of KiB each for an LM call),
/// so this, not the record count, bounds the queue's memory.
pub const BACKLOG_BYTES: u64 = 32 << 20;

/// How many batches the channel holds (the record count above is the bound that matters).
const BATCHES: usize = 4096;

/// A channel of batches bounded by the records in flight, and the registry its parsers hand
/// ids out from.
#[must_use]
pub fn channel(registry: Arc<Registry>) -> (Feed, Receiver<Batch>) {
    channel_with_backlog(registry, BACKLOG)
}

/// [`channel`] with another bound on the records in flight.
#[must_use]
pub fn channel_with_backlog(registry: Arc<Registry>, backlog: usize) -> (Feed, Receiver<Batch>) {
    let (tx, rx) = sync_channel(BATCHES);
    (
        Feed {
            tx,
            registry,
            backlog,
            backlog_bytes: BACKLOG_BYTES,
            spool: None,
        },
        rx,
    )
}

/// A handle to the store's queue, cloned into every parsing thread.
#[derive(Debug, Clone)]
pub struct Feed {
    tx: SyncSender<Batch>,
    pub registry: Arc<Registry>,
    backlog: usize,
    backlog_bytes: u64,
    /// Where live sources (a receiver, stdin, a followed URL) keep the bytes they accept.
    spool: Option<Spool>,
}

/// Why a batch was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The store is behind: try again shortly.
    Busy,
    /// The store is gone.
    Closed,
}

impl Feed {
    /// This feed, with live sources keeping what they accept in `spool`.
    #[must_use]
    pub fn with_spool(mut self, spool: Spool) -> Feed {
        self.spool = Some(spool);
        self
    }

    /// Where live sources keep what they accept (none: a stream's bytes are held in memory,
    /// and a receiver does not start).
    #[must_use]
    pub fn spool(&self) -> Option<&Spool> {
        self.spool.as_ref()
    }

    /// Queue a batch, waiting while the store is behind.
    ///
    /// # Errors
    /// The store is gone.
    pub fn send(&self, batch: Batch) -> Result<(), Closed> {
        let mut wait = std::time::Duration::from_micros(100);
        while !self.has_room_for(batch.records.len(), batch.bytes) {
            std::thread::sleep(wait);
            wait = (wait * 2).min(std::time::Duration::from_millis(2));
        }
        let (n, bytes) = (batch.records.len(), batch.bytes);
        self.registry.queued(n);
        self.registry.queued_bytes(bytes);
        self.tx.send(batch).map_err(|_| {
            self.registry.applied(n);
            self.registry.applied_bytes(bytes);
            Closed
        })
    }

    /// Queue a batch whole, or refuse it at once when the store is behind.
    ///
    /// # Errors
    /// [`Refused::Busy`] or [`Refused::Closed`]; the batch is dropped.
    pub fn try_send(&self, batch: Batch) -> Result<(), Refused> {
        let (n, bytes) = (batch.records.len(), batch.bytes);
        if n > 0 && !self.has_room_for(n, bytes) {
            return Err(Refused::Busy);
        }
        self.registry.queued(n);
        self.registry.queued_bytes(bytes);
        self.tx.try_send(batch).map_err(|e| {
            self.registry.applied(n);
            self.registry.applied_bytes(bytes);
            match e {
                std::sync::mpsc::TrySendError::Full(_) => Refused::Busy,
                std::sync::mpsc::TrySendError::Disconnected(_) => Refused::Closed,
            }
        })
    }

    /// Whether a batch of `n` records would be queued now (the store is not behind).
    #[must_use]
    pub fn has_room(&self, n: usize) -> bool {
        self.has_room_for(n, 1)
    }

    /// Whether `n` records from `bytes` source bytes fit in the queue now; an empty queue
    /// takes any batch, however big.
    fn has_room_for(&self, n: usize, bytes: u64) -> bool {
        let (queued, held) = (self.registry.in_flight(), self.registry.in_flight_bytes());
        queued == 0 || (queued + n <= self.backlog && held + bytes <= self.backlog_bytes)
    }

    /// A batcher for one thread.
    #[must_use]
    pub fn batcher(&self) -> Batcher {
        Batcher {
            feed: self.clone(),
            pending: Batch::default(),
            closed: false,
        }
    }
}

/// Collects records into batches and sends them when full, when the source changes, or on
/// [`Batcher::flush`]. Sending blocks while the queue is full: a file is read no faster than it
/// can be indexed.
#[derive(Debug)]
pub struct Batcher {
    feed: Feed,
    pending: Batch,
    closed: bool,
}

impl Batcher {
    /// Records per batch: large enough to amortize the channel, small enough that the first
    /// traces of a big file show at once.
    pub const SIZE: usize = 4096;

    /// Send what is pending, then tell the store which spool segments were dropped once
    /// nothing points into them unqueued (see `spool::Pin`).
    ///
    /// # Errors
    /// The store's owner is gone.
    pub fn flush(&mut self) -> Result<(), Closed> {
        self.send_pending()?;
        let dropped = self
            .feed
            .spool()
            .map(Spool::take_dropped)
            .unwrap_or_default();
        if dropped.is_empty() {
            return Ok(());
        }
        let batch = Batch {
            source: self.pending.source,
            dropped_blobs: dropped,
            ..Batch::default()
        };
        if self.feed.send(batch).is_err() {
            self.closed = true;
            return Err(Closed);
        }
        Ok(())
    }

    fn send_pending(&mut self) -> Result<(), Closed> {
        if self.closed {
            return Err(Closed);
        }
        let p = &self.pending;
        if p.records.is_empty()
            && p.units == 0
            && p.bytes == 0
            && p.requests == 0
            && p.rejections.is_empty()
            && p.state.is_none()
        {
            return Ok(());
        }
        let source = self.pending.source;
        let batch = std::mem::replace(
            &mut self.pending,
            Batch {
                source,
                records: Vec::with_capacity(Self::SIZE),
                ..Batch::default()
            },
        );
        if self.feed.send(batch).is_err() {
            self.closed = true;
            return Err(Closed);
        }
        Ok(())
    }

    /// The registry ids are handed out from.
    #[must_use]
    pub fn registry(&self) -> &Registry {
        &self.feed.registry
    }

    /// Whether the store's owner is gone.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Set the state shown for `source` (sent with the next flush).
    pub fn state(&mut self, source: SourceId, state: impl Into<String>) {
        self.batch_for(source).state = Some(state.into());
    }

    fn batch_for(&mut self, source: SourceId) -> &mut Batch {
        if self.pending.source != source {
            let _ = self.flush();
            self.pending.source = source;
        }
        &mut self.pending
    }
}

impl Sink for Batcher {
    fn add_source(&mut self, label: &str) -> SourceId {
        let id = self.feed.registry.add_source(label);
        // announced with the next flush, so it is listed before its first record
        self.state(id, crate::model::SourceStats::READING);
        id
    }

    fn add_blob(&mut self, blob: Blob) -> BlobId {
        self.feed.registry.blobs.add(blob)
    }

    fn insert(&mut self, source: SourceId, rec: Record) {
        let b = self.batch_for(source);
        b.records.push(rec);
        if b.records.len() >= Self::SIZE {
            let _ = self.flush();
        }
    }

    fn count(&mut self, source: SourceId, units: u64, bytes: u64) {
        let b = self.batch_for(source);
        b.units += units;
        b.bytes += bytes;
    }

    fn reject(&mut self, source: SourceId, line: u64, reason: String) {
        self.batch_for(source)
            .rejections
            .push(Rejection { line, reason });
    }

    fn registry(&self) -> Arc<Registry> {
        Arc::clone(&self.feed.registry)
    }

    fn flush(&mut self) -> Result<(), Closed> {
        Batcher::flush(self)
    }
}

/// One request's records in one batch: a receiver answers for all of it at once, so it is
/// queued whole or not at all. Also one block of a file parsed on a worker thread.
#[derive(Debug)]
pub struct Collect<'a> {
    pub registry: &'a Arc<Registry>,
    pub batch: Batch,
}

impl Sink for Collect<'_> {
    fn add_source(&mut self, label: &str) -> SourceId {
        self.registry.add_source(label)
    }

    fn add_blob(&mut self, blob: Blob) -> BlobId {
        self.registry.blobs.add(blob)
    }

    fn insert(&mut self, _source: SourceId, rec: Record) {
        self.batch.records.push(rec);
    }

    fn count(&mut self, _source: SourceId, units: u64, bytes: u64) {
        self.batch.units += units;
        self.batch.bytes += bytes;
    }

    fn reject(&mut self, _source: SourceId, line: u64, reason: String) {
        self.batch.rejections.push(Rejection { line, reason });
    }

    fn registry(&self) -> Arc<Registry> {
        Arc::clone(self.registry)
    }
}

impl Drop for Batcher {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{self, Options};

    const LOG: &[u8] = include_bytes!("../../tests/fixtures/steps-jsonl/requests_with_steps.jsonl");

    /// The same bytes through a batcher on another thread and straight into a store give the
    /// same index.
    #[test]
    fn batches_index_like_the_store_itself() {
        let mut direct = Store::new();
        let src = direct.add_source("log");
        let blob = direct.add_blob(Blob::Memory(Arc::new(LOG.to_vec())));
        ingest::load_bytes(&mut direct, src, blob, LOG, Options::default());
        direct.refresh();

        let mut live = Store::new();
        let (feed, rx) = channel(live.registry());
        let t = std::thread::spawn(move || {
            let mut b = feed.batcher();
            let src = b.add_source("log");
            let blob = b.add_blob(Blob::Memory(Arc::new(LOG.to_vec())));
            ingest::load_bytes(&mut b, src, blob, LOG, Options::default());
        });
        for batch in rx {
            live.apply(batch);
        }
        t.join().unwrap();
        live.refresh();

        assert_eq!(live.trace_count(), direct.trace_count());
        assert_eq!(live.span_count(), direct.span_count());
        let (a, b) = (&live.sources()[0], &direct.sources()[0]);
        assert_eq!(
            (a.units, a.rejected, a.bytes),
            (b.units, b.rejected, b.bytes)
        );
        for t in direct.trace_ids().map(|t| direct.trace(t)) {
            let other = live.trace_by_id(&direct.id_str(t.id)).unwrap();
            assert_eq!(live.trace(other).summary.duration, t.summary.duration);
            assert_eq!(live.trace(other).summary.status, t.summary.status);
        }
    }

    /// A batch of one record from `bytes` source bytes.
    fn batch_of(bytes: u64) -> Batch {
        Batch {
            records: vec![Record::Rejected("x".into())],
            bytes,
            ..Batch::default()
        }
    }

    #[test]
    fn the_queue_is_bounded_by_the_bytes_its_records_came_from() {
        let mut store = Store::new();
        let (feed, rx) = channel(store.registry());
        assert_eq!(feed.try_send(batch_of(BACKLOG_BYTES - 10)), Ok(()));
        assert_eq!(feed.try_send(batch_of(10)), Ok(()));
        assert_eq!(feed.try_send(batch_of(1)), Err(Refused::Busy));
        assert!(!feed.has_room(1));
        store.apply(rx.try_recv().unwrap());
        assert_eq!(store.registry().in_flight_bytes(), 10);
        assert_eq!(feed.try_send(batch_of(1)), Ok(()));
        for b in rx.try_iter() {
            store.apply(b);
        }
        assert_eq!(store.registry().in_flight_bytes(), 0);
        // an empty queue takes a batch of any size
        assert_eq!(feed.try_send(batch_of(BACKLOG_BYTES * 2)), Ok(()));
    }

    #[test]
    fn a_closed_store_stops_the_sender() {
        let store = Store::new();
        let (feed, rx) = channel(store.registry());
        drop(rx);
        let mut b = feed.batcher();
        let src = b.add_source("x");
        b.count(src, 1, 1);
        assert_eq!(b.flush(), Err(Closed));
        assert!(b.is_closed());
    }
}
