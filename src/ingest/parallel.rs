//! The line reader: every source read as JSON lines comes through here (a file read once or in
//! steps while it is followed, a stream such as stdin, a body held in memory). A reader thread
//! cuts the input into blocks that end at a newline, workers parse blocks into records, and the
//! caller's thread hands them to the sink in input order. The index is the same as one thread
//! reading the input (same insertion order, same line numbers in rejections); only the parsing
//! is spread out. An input that fits in one block is parsed on the caller's thread.

use super::ctx::{Ctx, Options};
use super::lines::{self, MAX_LINE};
use super::sink::{Collect, Sink};
use super::spool::{self, Pin, Spool, UNPLACED};
use crate::model::store::{Batch, Record, Registry};
use crate::model::{Blob, BlobId, SourceId};
use std::collections::BTreeMap;
use std::io::{self, Read};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};

/// Bytes per block: big enough to amortize the hand-offs (a thousand a gigabyte), small enough
/// to keep every core busy and the memory in flight small: a block and its parsed records per
/// worker, one more block and two more parsed ones queued per worker (so that a pause of the
/// index thread does not stop the parsers), one being cut and one being indexed.
pub const BLOCK: usize = 512 << 10;

/// Bytes asked of a live stream per read: what it has so far is parsed at once.
const STREAM_READ: usize = 1 << 20;

/// How many threads parse: every core, and at least one.
#[must_use]
pub fn workers() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// Where a line-by-line read of a source stands between calls (a followed file is read in
/// steps). The input given to the next call starts `offset + partial.len()` bytes in.
#[derive(Debug, Default, Clone)]
pub struct Position {
    /// Bytes consumed: parsed, or skipped as the rest of an overlong line.
    pub offset: u64,
    /// Lines read (rejections are numbered after them).
    pub lines: u64,
    /// Inside a line over [`MAX_LINE`]: its start was rejected, the rest is dropped until its
    /// newline.
    pub skipping: bool,
    /// Bytes read after the last newline, waiting for the rest of their line
    /// ([`End::Wait`]); the first bytes of the input for a first call that sniffed them.
    pub partial: Vec<u8>,
    /// The last bytes consumed (up to [`MARK`]; none after a skipped overlong line): a
    /// follower compares them with the file to notice it was rewritten.
    pub mark: Vec<u8>,
}

/// How many of the last bytes consumed a [`Position`] keeps.
pub const MARK: usize = 64;

/// What the end of the input means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The source ends here: a last line without its newline is parsed (and reported as
    /// truncated if it does not parse).
    Parse,
    /// More may be appended: a last line without its newline waits in
    /// [`Position::partial`].
    Wait,
}

/// Where the parsed bytes stay, for the payload references of their records.
#[derive(Debug, Clone)]
pub enum Blobs {
    /// In this blob, at their offset in the input (a file, or bytes held in memory whole).
    In(BlobId),
    /// A stream read as it comes: each block with records is appended to the spool and its
    /// records point there. Without a spool, or when it cannot be written (a full disk), the
    /// block is held in memory as a blob of its own (counted by `--max-memory`).
    Stream(Option<Spool>),
}

/// How to read lines.
#[derive(Debug, Clone)]
pub struct Lines {
    pub opts: Options,
    pub blobs: Blobs,
    /// Threads that parse.
    pub threads: usize,
    /// Bytes per block.
    pub block: usize,
    /// A live stream: whole lines are parsed as each read brings them, without waiting for a
    /// full block.
    pub eager: bool,
}

impl Lines {
    /// Lines of a file (or of bytes in memory) that is blob `blob`, on every core.
    #[must_use]
    pub fn of_blob(blob: BlobId, opts: Options) -> Lines {
        Lines {
            opts,
            blobs: Blobs::In(blob),
            threads: workers(),
            block: BLOCK,
            eager: false,
        }
    }

    /// Lines of a live stream (stdin), each block kept in `spool` (in memory without one).
    #[must_use]
    pub fn of_stream(opts: Options, spool: Option<Spool>) -> Lines {
        Lines {
            opts,
            blobs: Blobs::Stream(spool),
            threads: workers(),
            block: BLOCK,
            eager: true,
        }
    }

    /// Read `reader` (the input from `pos.offset + pos.partial.len()` on) to its end as JSON
    /// lines into `sink` for `source`, and update `pos`. Bytes and lines are counted as they are
    /// handed over; `sink` is flushed after each block, and reading stops if that fails (the
    /// store's owner is gone).
    ///
    /// # Errors
    /// Reading fails; the whole lines read before are indexed.
    pub fn read(
        &self,
        sink: &mut impl Sink,
        source: SourceId,
        reader: &mut (impl Read + Send),
        pos: &mut Position,
        end: End,
    ) -> io::Result<()> {
        let cut = Cut {
            block: self.block.max(1),
            eager: self.eager,
            end,
        };
        let mut buf = std::mem::take(&mut pos.partial);
        // an input that ends within a block needs no threads
        let small = !self.eager && !pos.skipping && {
            let room = cut.block.saturating_sub(buf.len()) as u64;
            reader.by_ref().take(room).read_to_end(&mut buf)? < room as usize
        };
        let start = Queue {
            seq: 0,
            base: pos.offset,
            mark: std::mem::take(&mut pos.mark),
        };
        let (queue, rest, lines) = if small || self.threads <= 1 {
            let mut inline = Inline {
                sink,
                source,
                lines: self,
                registry: None,
                delivered_lines: pos.lines,
                open: true,
            };
            let mut queue = start;
            let rest = cut.run(reader, buf, pos.skipping, &mut queue, &mut inline, None);
            (queue, rest, inline.delivered_lines)
        } else {
            self.parallel(sink, source, reader, buf, pos, cut, start)
        };
        pos.offset = queue.base;
        pos.mark = queue.mark;
        pos.lines = lines;
        let rest = rest?;
        pos.skipping = rest.skipping;
        pos.partial = rest.partial;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn parallel(
        &self,
        sink: &mut impl Sink,
        source: SourceId,
        reader: &mut (impl Read + Send),
        buf: Vec<u8>,
        pos: &Position,
        cut: Cut,
        start: Queue,
    ) -> (Queue, io::Result<Rest>, u64) {
        let registry = sink.registry();
        let threads = self.threads.max(1);
        let (work_tx, work_rx) = sync_channel::<Block>(threads);
        let (done_tx, done_rx) = sync_channel::<Parsed>(threads * 2);
        let (free_tx, free_rx) = sync_channel::<Vec<u8>>(threads * 2);
        // held by the workers only: when they stop, the cutter's sends fail and it stops too
        let work_rx = Arc::new(Mutex::new(work_rx));
        // the records the store is done with go back to the worker that made them, to be
        // freed there: a free on the thread that allocated is a fraction of one on another
        let (spent_tx, spent_rx): (Vec<_>, Vec<_>) =
            (0..threads).map(|_| sync_channel::<Vec<Record>>(1)).unzip();
        std::thread::scope(|scope| {
            for (worker, spent_rx) in spent_rx.into_iter().enumerate() {
                let (done_tx, free_tx) = (done_tx.clone(), free_tx.clone());
                let (work_rx, registry) = (Arc::clone(&work_rx), &registry);
                scope.spawn(move || {
                    while let Some(b) = next(&work_rx) {
                        while let Ok(spent) = spent_rx.try_recv() {
                            drop(spent);
                        }
                        let (mut parsed, spare) = self.parse(registry, source, b);
                        parsed.worker = worker;
                        if let Some(spare) = spare {
                            let _ = free_tx.try_send(spare);
                        }
                        if done_tx.send(parsed).is_err() {
                            return;
                        }
                    }
                });
            }
            drop((done_tx, free_tx, work_rx));
            let skipping = pos.skipping;
            let base = start.base;
            let cutting = scope.spawn(move || {
                let mut queue = start;
                let mut out = ToWorkers(work_tx);
                let rest = cut.run(reader, buf, skipping, &mut queue, &mut out, Some(&free_rx));
                (queue, rest)
            });
            let lines = deliver(sink, source, pos.lines, &done_rx, &spent_tx);
            drop(done_rx);
            let (queue, rest) = cutting.join().unwrap_or_else(|_| {
                let queue = Queue {
                    seq: 0,
                    base,
                    mark: Vec::new(),
                };
                (queue, Err(io::Error::other("the line reader failed")))
            });
            (queue, rest, lines)
        })
    }

    /// Parse one block into records (line numbers within the block); returns the buffer for
    /// reuse when its bytes are not kept as a blob.
    fn parse(
        &self,
        registry: &Arc<Registry>,
        source: SourceId,
        mut b: Block,
    ) -> (Parsed, Option<Vec<u8>>) {
        let mut out = Collect {
            registry,
            batch: Batch::default(),
        };
        let consumed = b.bytes.len() as u64 + b.skipped;
        let mut lines = 0;
        let mut spare = None;
        let mut pin = None;
        if !b.bytes.is_empty() {
            match &self.blobs {
                Blobs::In(blob) => {
                    let ctx = Ctx {
                        blob: *blob,
                        opts: self.opts,
                    };
                    lines = lines::load_lines(&mut out, source, &b.bytes, b.base, 0, &ctx);
                }
                Blobs::Stream(spool) => {
                    // parsed first, so that only blocks with records are kept
                    let ctx = Ctx {
                        blob: UNPLACED,
                        opts: self.opts,
                    };
                    lines = lines::load_lines(&mut out, source, &b.bytes, 0, 0, &ctx);
                    let records = &mut out.batch.records;
                    if !records.is_empty() {
                        match spool.as_ref().map(|s| s.append(&b.bytes)) {
                            Some(Ok(placed)) => {
                                spool::place(records, placed.blob, placed.offset);
                                pin = Some(placed.pin);
                            }
                            _ => {
                                let bytes = std::mem::take(&mut b.bytes);
                                let blob = registry.blobs.add(Blob::Memory(Arc::new(bytes)));
                                spool::place(records, blob, 0);
                            }
                        }
                    }
                }
            }
            // the buffer of a long line is let go, not kept for every block after it
            spare =
                (!b.bytes.is_empty() && b.bytes.capacity() <= 2 * self.block).then_some(b.bytes);
        }
        let parsed = Parsed {
            worker: 0,
            seq: b.seq,
            lines,
            consumed,
            batch: out.batch,
            pin,
        };
        (parsed, spare)
    }
}

/// One block of whole lines (or the start of an overlong one) and where it sits in the input,
/// followed there by `skipped` bytes that were dropped (the rest of an overlong line).
struct Block {
    seq: u64,
    base: u64,
    bytes: Vec<u8>,
    skipped: u64,
}

/// One parsed block: its records, counts and rejections (line numbers within the block), and
/// the pin on the spool segment they point into, let go once they are queued.
struct Parsed {
    /// Which worker parsed it (its records go back there to be freed).
    worker: usize,
    seq: u64,
    lines: u64,
    consumed: u64,
    batch: Batch,
    pin: Option<Pin>,
}

/// Where cut blocks go.
trait Out {
    /// Hand a block on; false when nobody takes blocks any more.
    fn put(&mut self, block: Block) -> bool;
}

/// To the workers.
struct ToWorkers(SyncSender<Block>);

impl Out for ToWorkers {
    fn put(&mut self, block: Block) -> bool {
        self.0.send(block).is_ok()
    }
}

/// Parsed and delivered at once, on the caller's thread.
struct Inline<'a, S> {
    sink: &'a mut S,
    source: SourceId,
    lines: &'a Lines,
    registry: Option<Arc<Registry>>,
    delivered_lines: u64,
    open: bool,
}

impl<S: Sink> Out for Inline<'_, S> {
    fn put(&mut self, block: Block) -> bool {
        if !self.open {
            return false;
        }
        let registry = self
            .registry
            .get_or_insert_with(|| self.sink.registry())
            .clone();
        let (parsed, _) = self.lines.parse(&registry, self.source, block);
        // (parsed on this thread: what the sink left is freed here)
        (self.delivered_lines, self.open, _) =
            hand_over(self.sink, self.source, self.delivered_lines, parsed);
        self.open
    }
}

/// Numbers the blocks, keeps their offsets and the last bytes consumed.
#[derive(Debug)]
struct Queue {
    seq: u64,
    base: u64,
    mark: Vec<u8>,
}

impl Queue {
    fn put(&mut self, out: &mut impl Out, bytes: Vec<u8>, skipped: u64) -> bool {
        if bytes.is_empty() && skipped == 0 {
            return true;
        }
        if skipped > 0 {
            self.mark.clear();
        } else {
            let keep = MARK.saturating_sub(bytes.len()).min(self.mark.len());
            self.mark.drain(..self.mark.len() - keep);
            self.mark
                .extend_from_slice(&bytes[bytes.len().saturating_sub(MARK)..]);
        }
        let len = bytes.len() as u64 + skipped;
        let ok = out.put(Block {
            seq: self.seq,
            base: self.base,
            bytes,
            skipped,
        });
        self.seq += 1;
        self.base += len;
        ok
    }
}

/// How the cutter reads.
#[derive(Debug, Clone, Copy)]
struct Cut {
    block: usize,
    eager: bool,
    end: End,
}

/// What is left when the input ends.
#[derive(Debug, Default)]
struct Rest {
    partial: Vec<u8>,
    skipping: bool,
}

impl Cut {
    /// Cut `reader` (after `buf`, already read) into blocks that end just after a newline and
    /// queue them in order. A line longer than [`MAX_LINE`] is queued as its first
    /// `MAX_LINE + 1` bytes, which the line loop rejects for their length, and the rest of it
    /// is dropped as it is read. Buffers come back through `free` to be filled again (fresh
    /// ones would be page-faulted and zeroed by the kernel each time).
    fn run(
        self,
        reader: &mut impl Read,
        mut buf: Vec<u8>,
        mut skipping: bool,
        queue: &mut Queue,
        out: &mut impl Out,
        free: Option<&Receiver<Vec<u8>>>,
    ) -> io::Result<Rest> {
        let mut want = self.block;
        let mut eof = false;
        loop {
            if skipping {
                match memchr::memchr(b'\n', &buf) {
                    Some(i) => {
                        if !queue.put(out, Vec::new(), i as u64 + 1) {
                            return Ok(Rest::default());
                        }
                        buf.drain(..=i);
                        skipping = false;
                        want = self.block.max(buf.len() + 1);
                    }
                    None => {
                        if !queue.put(out, Vec::new(), buf.len() as u64) {
                            return Ok(Rest::default());
                        }
                        buf.clear();
                        if eof {
                            return Ok(Rest {
                                partial: Vec::new(),
                                skipping: true,
                            });
                        }
                    }
                }
            }
            if !skipping {
                let newline = memchr::memrchr(b'\n', &buf);
                if eof {
                    let whole = match self.end {
                        End::Parse => buf.len(),
                        End::Wait => newline.map_or(0, |i| i + 1),
                    };
                    let tail = buf.split_off(whole);
                    if !queue.put(out, buf, 0) {
                        return Ok(Rest::default());
                    }
                    if tail.len() <= MAX_LINE {
                        return Ok(Rest {
                            partial: tail,
                            skipping: false,
                        });
                    }
                    // a partial line already over the limit: rejected now, its rest dropped
                    let (start, skipped) = overlong(tail);
                    queue.put(out, start, skipped);
                    return Ok(Rest {
                        partial: Vec::new(),
                        skipping: true,
                    });
                }
                match newline {
                    Some(i) if self.eager || buf.len() >= want => {
                        let mut next = free.and_then(|f| f.try_recv().ok()).unwrap_or_default();
                        next.clear();
                        next.extend_from_slice(&buf[i + 1..]);
                        buf.truncate(i + 1);
                        if !queue.put(out, std::mem::replace(&mut buf, next), 0) {
                            return Ok(Rest::default());
                        }
                        want = self.block.max(buf.len() + 1);
                    }
                    None if buf.len() > MAX_LINE => {
                        let (start, skipped) = overlong(std::mem::take(&mut buf));
                        if !queue.put(out, start, skipped) {
                            return Ok(Rest::default());
                        }
                        skipping = true;
                        want = self.block;
                        continue;
                    }
                    // a line longer than a block: read on until it ends, into room made
                    // once for the longest line read (growing by doubling would copy it)
                    None if buf.len() >= want => {
                        want = buf.len() + self.block;
                        buf.reserve_exact((MAX_LINE + self.block + 1).saturating_sub(buf.len()));
                    }
                    _ => {}
                }
            }
            match self.fill(reader, &mut buf, want) {
                Ok(n) => eof = n == 0,
                Err(e) => {
                    // the whole lines read so far are still indexed
                    if !skipping {
                        let whole = memchr::memrchr(b'\n', &buf).map_or(0, |i| i + 1);
                        buf.truncate(whole);
                        queue.put(out, buf, 0);
                    }
                    return Err(e);
                }
            }
        }
    }

    /// Read more into `buf`: up to `want` bytes in all, or what one read of a live stream
    /// brings. Returns the bytes read (0 at the end of the input).
    fn fill(&self, reader: &mut impl Read, buf: &mut Vec<u8>, want: usize) -> io::Result<usize> {
        if self.eager {
            let have = buf.len();
            buf.resize(have + STREAM_READ, 0);
            loop {
                match reader.read(&mut buf[have..]) {
                    Ok(n) => {
                        buf.truncate(have + n);
                        return Ok(n);
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        buf.truncate(have);
                        return Err(e);
                    }
                }
            }
        }
        let room = want.saturating_sub(buf.len()).max(1) as u64;
        reader.by_ref().take(room).read_to_end(buf)
    }
}

/// The first `MAX_LINE + 1` bytes of an overlong line (rejected by the line loop for their
/// length; nothing more of it is held), and how many bytes of it were dropped.
fn overlong(mut line: Vec<u8>) -> (Vec<u8>, u64) {
    let dropped = line.len().saturating_sub(MAX_LINE + 1) as u64;
    line.truncate(MAX_LINE + 1);
    (line, dropped)
}

fn next(rx: &Mutex<Receiver<Block>>) -> Option<Block> {
    rx.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .recv()
        .ok()
}

/// Hand parsed blocks to the sink in input order, numbering rejected lines across blocks after
/// the `lines` read before. Returns the lines read in all; stops when the sink's owner is gone.
fn deliver(
    sink: &mut impl Sink,
    source: SourceId,
    lines: u64,
    rx: &Receiver<Parsed>,
    spent: &[SyncSender<Vec<Record>>],
) -> u64 {
    let mut waiting = BTreeMap::new();
    let mut want = 0u64;
    let mut lines = lines;
    for p in rx {
        waiting.insert(p.seq, p);
        while let Some(p) = waiting.remove(&want) {
            want += 1;
            let worker = p.worker;
            let (open, records);
            (lines, open, records) = hand_over(sink, source, lines, p);
            if !records.is_empty()
                && let Some(tx) = spent.get(worker)
            {
                // (a worker that is busy or gone: they are freed here)
                let _ = tx.try_send(records);
            }
            if !open {
                return lines;
            }
        }
    }
    lines
}

/// One parsed block into the sink after `lines` lines, and flushed. The block's pin on the
/// spool is let go once its records are queued, and another flush then tells the store of
/// the segments the pin held back. Returns the lines read then, whether the sink's owner is
/// still there, and the records the sink left (for their worker to free).
fn hand_over(
    sink: &mut impl Sink,
    source: SourceId,
    lines: u64,
    p: Parsed,
) -> (u64, bool, Vec<Record>) {
    let Batch {
        mut records,
        units,
        rejections,
        ..
    } = p.batch;
    sink.count(source, units, p.consumed);
    for r in rejections {
        sink.reject(source, lines + r.line, r.reason);
    }
    sink.insert_all(source, &mut records);
    let mut open = sink.flush().is_ok();
    if let Some(pin) = p.pin {
        drop(pin);
        open &= sink.flush().is_ok();
    }
    (lines + p.lines, open, records)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Store;

    /// A generated log (unicode, escaped quotes and newlines, failed steps), with a bad line,
    /// a blank line and a truncated last line mixed in.
    fn log() -> Vec<u8> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/generated/steps-1mb-seed7.jsonl"
        );
        let text = std::fs::read_to_string(path).expect("fixture");
        assert!(text.contains("\"status\": \"error\"") || text.contains("\"error\":"));
        assert!(!text.is_ascii(), "the fixture has non-ASCII text");
        assert!(text.contains("\\\""), "the fixture has escaped quotes");
        let mut lines: Vec<&str> = text.lines().collect();
        lines.insert(3, "{\"trace_id\": \"broken\", \"total_latency_ms\": ");
        lines.insert(40, "");
        lines.insert(77, "{\"trace_id\": \"neg\", \"total_latency_ms\": -5}");
        let mut out = lines.join("\n");
        out.push('\n');
        out.push_str("{\"trace_id\": \"cut\", \"total_la");
        out.into_bytes()
    }

    /// Everything an index holds, in index order (ids are handed out in insertion order, so
    /// equal stores print equal); without payload references when `payloads` is false.
    fn dump(s: &Store, payloads: bool) -> Vec<String> {
        let mut out: Vec<String> = s.trace_ids().map(|t| format!("{:?}", s.trace(t))).collect();
        out.extend((0..s.span_count()).map(|i| {
            let i = crate::model::SpanIdx(u32::try_from(i).expect("few spans"));
            let mut span = s.span(i).clone();
            if !payloads {
                span.payload = [None, None];
            }
            format!("{span:?}")
        }));
        out.extend(s.sources().iter().map(|src| format!("{src:?}")));
        out
    }

    fn opts() -> Options {
        Options { naive_utc: true }
    }

    /// The reference: the line loop over the whole input, on this thread.
    fn one_thread(bytes: &[u8]) -> Store {
        let mut s = Store::new();
        let src = s.add_source("log");
        let blob = s.add_blob(Blob::Memory(Arc::new(bytes.to_vec())));
        s.count(src, 0, bytes.len() as u64);
        let ctx = Ctx { blob, opts: opts() };
        lines::load_lines(&mut s, src, bytes, 0, 0, &ctx);
        s.refresh();
        s
    }

    fn reader(threads: usize, block: usize, blob: Option<BlobId>) -> Lines {
        Lines {
            opts: opts(),
            blobs: blob.map_or(Blobs::Stream(None), Blobs::In),
            threads,
            block,
            eager: blob.is_none(),
        }
    }

    fn parallel(bytes: &[u8], threads: usize, block: usize, head: usize) -> Store {
        let mut s = Store::new();
        let src = s.add_source("log");
        let blob = s.add_blob(Blob::Memory(Arc::new(bytes.to_vec())));
        let mut rest = &bytes[head..];
        let mut pos = Position {
            partial: bytes[..head].to_vec(),
            ..Position::default()
        };
        reader(threads, block, Some(blob))
            .read(&mut s, src, &mut rest, &mut pos, End::Parse)
            .expect("read");
        assert_eq!(pos.offset, bytes.len() as u64);
        assert!(pos.partial.is_empty());
        s.refresh();
        s
    }

    fn assert_same(got: &[String], want: &[String], what: &str) {
        assert_eq!(got.len(), want.len(), "{what}");
        for (g, w) in got.iter().zip(want) {
            assert_eq!(g, w, "{what}");
        }
    }

    #[test]
    fn every_split_gives_the_index_of_one_thread() {
        let bytes = log();
        let store = one_thread(&bytes);
        assert_eq!(store.sources()[0].rejected, 3, "{:?}", store.sources()[0]);
        assert_eq!(store.trace_count(), 122);
        let want = dump(&store, true);
        for (threads, block, head) in [
            (1, BLOCK, 0),
            (2, 64 << 10, 0),
            (3, 100_000, 12_345),
            // blocks smaller than a line: lines are read on until they end
            (2, 1000, 10),
        ] {
            let got = dump(&parallel(&bytes, threads, block, head), true);
            assert_same(&got, &want, &format!("{threads} threads, {block} B blocks"));
        }
    }

    /// A file read in steps as it grows (a followed file): a partial last line waits for its
    /// newline, and the index is the one of reading it whole.
    #[test]
    fn reading_in_steps_gives_the_index_of_one_read() {
        let bytes = log();
        let want = dump(&one_thread(&bytes), true);
        for (threads, step) in [(1, 7_777), (2, 150_001), (2, 1 << 20)] {
            let mut s = Store::new();
            let src = s.add_source("log");
            let blob = s.add_blob(Blob::Memory(Arc::new(bytes.to_vec())));
            let mut pos = Position::default();
            let mut written = 0;
            while written < bytes.len() {
                written = (written + step).min(bytes.len());
                let at = usize::try_from(pos.offset).expect("small") + pos.partial.len();
                let mut appended = &bytes[at..written];
                reader(threads, 64 << 10, Some(blob))
                    .read(&mut s, src, &mut appended, &mut pos, End::Wait)
                    .expect("read");
                assert!(!pos.partial.contains(&b'\n'), "only a partial line waits");
            }
            assert!(pos.partial.starts_with(b"{\"trace_id\": \"cut\""));
            // the end of the file: the partial last line is parsed (and refused)
            reader(threads, 64 << 10, Some(blob))
                .read(&mut s, src, &mut &b""[..], &mut pos, End::Parse)
                .expect("read");
            assert_eq!(pos.offset, bytes.len() as u64);
            s.refresh();
            assert_same(&dump(&s, true), &want, &format!("steps of {step} B"));
        }
    }

    /// A reader that brings a few bytes per read, as a pipe does.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.1.min(self.0.len()).min(buf.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    /// A live stream: whole lines are parsed as each read brings them, each block kept where
    /// its records read back: in memory without a spool, in the spool with one.
    #[test]
    fn a_stream_read_as_it_comes_indexes_every_line() {
        let bytes = log();
        let want = dump(&one_thread(&bytes), false);
        let root = tempfile::tempdir().expect("a temporary directory");
        let dir = spool::SpoolDir::create(root.path(), false).expect("a spool");
        for spooled in [false, true] {
            let mut s = Store::new();
            let src = s.add_source("log");
            let kept = spooled.then(|| Spool::private(s.registry(), &dir, spool::DEFAULT_MAX));
            let mut lines = reader(2, BLOCK, None);
            lines.blobs = Blobs::Stream(kept.clone());
            let mut pos = Position::default();
            lines
                .read(
                    &mut s,
                    src,
                    &mut Trickle(&bytes, 4096),
                    &mut pos,
                    End::Parse,
                )
                .expect("read");
            s.refresh();
            assert_same(&dump(&s, false), &want, "a stream");
            for t in s.trace_ids() {
                let span = s.trace(t).spans[0];
                let d = crate::ingest::detail::span_detail(&s, span);
                assert!(
                    d.problems.is_empty() && !d.raw.is_empty(),
                    "{:?}",
                    d.problems
                );
            }
            // every block with a record went to the spool, or (without one) to memory
            let held_in_memory = (0..s.span_count()).all(|i| {
                let span = s.span(crate::model::SpanIdx(u32::try_from(i).expect("few")));
                span.payload.iter().flatten().all(|p| match s.blob(p.blob) {
                    Blob::Memory(_) => !spooled,
                    Blob::Open(_) => spooled,
                    _ => false,
                })
            });
            assert!(held_in_memory, "spooled: {spooled}");
            if let Some(kept) = kept {
                let st = kept.stats();
                assert!(st.written > bytes.len() as u64 / 2, "{st:?}");
                assert!(st.written <= bytes.len() as u64, "{st:?}");
            }
        }
    }

    /// A stream through a bounded spool: the oldest segments are dropped, their traces
    /// evicted after they were indexed (never before), and every record is accounted for.
    #[test]
    fn a_stream_through_a_small_spool_evicts_what_it_drops() {
        let bytes = log();
        let root = tempfile::tempdir().expect("a temporary directory");
        let dir = spool::SpoolDir::create(root.path(), false).expect("a spool");
        let mut store = Store::new();
        let kept = Spool::private(store.registry(), &dir, 128 << 10);
        let (feed, rx) = crate::ingest::sink::channel(store.registry());
        let feed = feed.with_spool(kept.clone());
        let reading = std::thread::spawn(move || {
            let mut sink = feed.batcher();
            let src = sink.add_source("stdin");
            let mut pos = Position::default();
            Lines::of_stream(opts(), feed.spool().cloned())
                .read(
                    &mut sink,
                    src,
                    &mut Trickle(&bytes, 8192),
                    &mut pos,
                    End::Parse,
                )
                .expect("read");
        });
        let mut announced = 0;
        for b in rx {
            announced += b.dropped_blobs.len();
            store.apply(b);
        }
        reading.join().expect("the reader");
        let st = kept.stats();
        assert!(st.dropped_segments > 2, "{st:?}");
        assert_eq!(announced as u64, st.dropped_segments);
        let a = store.accounting();
        assert!(a.balanced(), "{a:?}");
        assert!(a.evicted > 0 && a.traces_evicted > 0, "{a:?}");
        // what is held reads back: nothing points into a dropped segment
        for t in store.trace_ids() {
            for &span in store.trace(t).spans {
                let d = crate::ingest::detail::span_detail(&store, span);
                assert!(d.problems.is_empty(), "{:?}", d.problems);
            }
        }
    }

    /// A store that goes away while a file is read: reading stops instead of parsing on.
    #[test]
    fn reading_stops_when_the_store_is_gone() {
        let bytes = log();
        let store = Store::new();
        let (feed, rx) = crate::ingest::sink::channel(store.registry());
        drop(rx);
        let mut sink = feed.batcher();
        let src = sink.add_source("log");
        let mut pos = Position::default();
        reader(2, 1000, Some(BlobId(0)))
            .read(&mut sink, src, &mut &bytes[..], &mut pos, End::Parse)
            .expect("read");
        assert!(
            pos.offset < bytes.len() as u64,
            "stopped early at {}",
            pos.offset
        );
    }
}
