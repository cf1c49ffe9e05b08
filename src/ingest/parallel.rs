//! JSON lines on every core: a reader cuts the file into blocks that end at a newline, workers
//! parse blocks into records, and the caller's thread hands them to the sink in file order.
//! The index is the same as one thread reading the file (same insertion order, same line
//! numbers in rejections); only the parsing is spread out.

use super::Ctx;
use super::sink::{Collect, Sink};
use crate::model::SourceId;
use crate::model::store::Batch;
use std::collections::BTreeMap;
use std::io::{self, Read};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Mutex, PoisonError};

/// Bytes per block: big enough to amortize the hand-offs, small enough to keep every core busy
/// and the memory in flight small (a few blocks per worker).
pub const BLOCK: usize = 4 << 20;

/// One block of whole lines and where it sits in the file.
struct Block {
    seq: u64,
    base: u64,
    bytes: Vec<u8>,
}

/// One parsed block: its records, counts and rejections (line numbers within the block).
struct Parsed {
    seq: u64,
    lines: u64,
    batch: Batch,
}

/// How many threads parse: every core, and at least one.
#[must_use]
pub fn workers() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// Read the rest of `reader` (whose first `head` bytes were already read) as JSON lines into
/// `sink` for `source`, parsing blocks of about `block` bytes on `threads` threads. Returns the
/// number of bytes read in all (`head` included).
///
/// # Errors
/// Reading fails; what was read before is indexed.
pub fn load_lines(
    sink: &mut impl Sink,
    source: SourceId,
    reader: &mut (impl Read + Send),
    head: Vec<u8>,
    ctx: &Ctx,
    threads: usize,
    block: usize,
) -> io::Result<u64> {
    let registry = sink.registry();
    let threads = threads.max(1);
    let (work_tx, work_rx) = sync_channel::<Block>(threads * 2);
    let (done_tx, done_rx) = sync_channel::<Parsed>(threads * 2);
    let (free_tx, free_rx) = sync_channel::<Vec<u8>>(threads * 4);
    let work_rx = Mutex::new(work_rx);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let (done_tx, free_tx) = (done_tx.clone(), free_tx.clone());
            let (work_rx, registry) = (&work_rx, &registry);
            scope.spawn(move || {
                while let Some(b) = next(work_rx) {
                    let mut out = Collect {
                        registry,
                        batch: Batch::default(),
                    };
                    let lines = super::load_lines(&mut out, source, &b.bytes, b.base, 0, ctx);
                    let _ = free_tx.try_send(b.bytes);
                    let parsed = Parsed {
                        seq: b.seq,
                        lines,
                        batch: out.batch,
                    };
                    if done_tx.send(parsed).is_err() {
                        return;
                    }
                }
            });
        }
        drop((done_tx, free_tx));
        let reading = scope.spawn(move || cut_blocks(reader, head, block, &work_tx, &free_rx));
        deliver(sink, source, &done_rx);
        reading
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the reader failed")))
    })
}

fn next(rx: &Mutex<Receiver<Block>>) -> Option<Block> {
    rx.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .recv()
        .ok()
}

/// Cut `reader` into blocks that end just after a newline (the last one at the end of the
/// input) and queue them in order; buffers come back through `free` to be filled again (fresh
/// ones would be page-faulted and zeroed by the kernel each time). Returns the bytes read.
fn cut_blocks(
    reader: &mut impl Read,
    head: Vec<u8>,
    block: usize,
    tx: &SyncSender<Block>,
    free: &Receiver<Vec<u8>>,
) -> io::Result<u64> {
    let mut buf = head;
    let (mut seq, mut base) = (0u64, 0u64);
    let mut want = block;
    loop {
        let mut eof = false;
        while buf.len() < want {
            let room = (want - buf.len()) as u64;
            match reader.by_ref().take(room).read_to_end(&mut buf) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(_) => {}
                Err(e) => {
                    // the complete lines read so far are still indexed
                    let whole = memchr::memrchr(b'\n', &buf).map_or(0, |i| i + 1);
                    buf.truncate(whole);
                    flush(tx, &mut seq, &mut base, buf);
                    return Err(e);
                }
            }
        }
        if eof {
            flush(tx, &mut seq, &mut base, buf);
            return Ok(base);
        }
        match memchr::memrchr(b'\n', &buf) {
            Some(i) => {
                let mut next = free.try_recv().unwrap_or_default();
                next.clear();
                next.extend_from_slice(&buf[i + 1..]);
                buf.truncate(i + 1);
                if !flush(tx, &mut seq, &mut base, std::mem::replace(&mut buf, next)) {
                    return Ok(base);
                }
                want = block.max(buf.len() + 1);
            }
            // a line longer than the limit: the parser rejects its start, the rest is skipped
            None if buf.len() > super::MAX_LINE => {
                let mut skipped = (buf.len() - (super::MAX_LINE + 1)) as u64;
                buf.truncate(super::MAX_LINE + 1);
                let (more, rest) = skip_line(reader)?;
                skipped += more;
                if !flush_skipping(tx, &mut seq, &mut base, buf, skipped) {
                    return Ok(base);
                }
                buf = rest;
                want = block.max(buf.len() + 1);
            }
            // a line longer than a block: read on until it ends
            None => want = buf.len() + block,
        }
    }
}

/// Read past the end of the current line: returns the bytes skipped (the newline included) and
/// what was read after it.
fn skip_line(reader: &mut impl Read) -> io::Result<(u64, Vec<u8>)> {
    let mut chunk = vec![0u8; 1 << 16];
    let mut skipped = 0u64;
    loop {
        let n = match reader.read(&mut chunk) {
            Ok(0) => return Ok((skipped, Vec::new())),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if let Some(i) = memchr::memchr(b'\n', &chunk[..n]) {
            return Ok((skipped + i as u64 + 1, chunk[i + 1..n].to_vec()));
        }
        skipped += n as u64;
    }
}

/// Queue one block; false when nobody parses any more.
fn flush(tx: &SyncSender<Block>, seq: &mut u64, base: &mut u64, bytes: Vec<u8>) -> bool {
    flush_skipping(tx, seq, base, bytes, 0)
}

/// [`flush`] a block followed in the input by `skipped` bytes that were not read into it.
fn flush_skipping(
    tx: &SyncSender<Block>,
    seq: &mut u64,
    base: &mut u64,
    bytes: Vec<u8>,
    skipped: u64,
) -> bool {
    if bytes.is_empty() {
        return true;
    }
    let len = bytes.len() as u64 + skipped;
    let ok = tx
        .send(Block {
            seq: *seq,
            base: *base,
            bytes,
        })
        .is_ok();
    *seq += 1;
    *base += len;
    ok
}

/// Hand parsed blocks to the sink in file order, numbering rejected lines across blocks.
fn deliver(sink: &mut impl Sink, source: SourceId, rx: &Receiver<Parsed>) {
    let mut waiting = BTreeMap::new();
    let mut want = 0u64;
    let mut lines_before = 0u64;
    for p in rx {
        waiting.insert(p.seq, p);
        while let Some(p) = waiting.remove(&want) {
            want += 1;
            let Batch {
                records,
                units,
                rejections,
                ..
            } = p.batch;
            sink.count(source, units, 0);
            for r in rejections {
                sink.reject(source, lines_before + r.line, r.reason);
            }
            for r in records {
                sink.insert(source, r);
            }
            lines_before += p.lines;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{Options, load_bytes};
    use crate::model::{Blob, Store};

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
    /// equal stores print equal).
    fn dump(s: &Store) -> Vec<String> {
        let mut out: Vec<String> = s.trace_ids().map(|t| format!("{:?}", s.trace(t))).collect();
        out.extend((0..s.span_count()).map(|i| {
            let i = crate::model::SpanIdx(u32::try_from(i).expect("few spans"));
            format!("{:?}", s.span(i))
        }));
        out.extend(s.sources().iter().map(|src| format!("{src:?}")));
        out
    }

    fn one_thread(bytes: &[u8]) -> Store {
        let mut s = Store::new();
        let src = s.add_source("log");
        let blob = s.add_blob(Blob::Memory(std::sync::Arc::new(bytes.to_vec())));
        load_bytes(&mut s, src, blob, bytes, Options { naive_utc: true });
        s.refresh();
        s
    }

    fn parallel(bytes: &[u8], threads: usize, block: usize, head: usize) -> Store {
        let mut s = Store::new();
        let src = s.add_source("log");
        let blob = s.add_blob(Blob::Memory(std::sync::Arc::new(bytes.to_vec())));
        let ctx = Ctx {
            blob,
            opts: Options { naive_utc: true },
        };
        let mut rest = &bytes[head..];
        let read = load_lines(
            &mut s,
            src,
            &mut rest,
            bytes[..head].to_vec(),
            &ctx,
            threads,
            block,
        )
        .expect("read");
        assert_eq!(read, bytes.len() as u64);
        s.source_mut(src).bytes += read;
        s.refresh();
        s
    }

    #[test]
    fn every_split_gives_the_index_of_one_thread() {
        let bytes = log();
        let want = dump(&one_thread(&bytes));
        let store = one_thread(&bytes);
        assert_eq!(store.sources()[0].rejected, 3, "{:?}", store.sources()[0]);
        assert_eq!(store.trace_count(), 122);
        for (threads, block, head) in [
            (1, BLOCK, 0),
            (2, 64 << 10, 0),
            (3, 100_000, 12_345),
            // blocks smaller than a line: lines are read on until they end
            (2, 1000, 10),
        ] {
            let got = dump(&parallel(&bytes, threads, block, head));
            assert_eq!(got.len(), want.len(), "{threads} threads, {block} B blocks");
            for (g, w) in got.iter().zip(&want) {
                assert_eq!(g, w, "{threads} threads, {block} B blocks");
            }
        }
    }
}
