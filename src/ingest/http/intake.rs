//! What happens to a request's body once read: decoded, turned into one batch, appended to the
//! spool (or the record file) and queued, both or neither; and the state every request of a
//! receiver shares. A request is indexed whole or not at all, so a client that retries loses
//! nothing and duplicates nothing.

use super::body::decode_body;
use super::counters::{Counters, bump};
use super::reply::{BEHIND, Encoding, Refusal};
use crate::ingest::sink::{Collect, Feed, Refused};
use crate::ingest::spool::{self, Refused as NotKept, Spool, UNPLACED};
use crate::ingest::{Ctx, Options, load_lines, otlp};
use crate::model::payload::RecordFormat;
use crate::model::store::{Batch, Record, Rejection};
use crate::model::{BlobId, SourceId};
use axum::http::StatusCode;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How an OTLP body becomes a request: [`decode_otlp`], except in tests that make it fail.
pub(super) type Decode = fn(Encoding, &[u8]) -> Result<ExportTraceServiceRequest, String>;

/// Decode an OTLP/HTTP body in its encoding.
pub(super) fn decode_otlp(enc: Encoding, body: &[u8]) -> Result<ExportTraceServiceRequest, String> {
    match enc {
        Encoding::Protobuf => otlp::decode_proto(body).map_err(|e| e.to_string()),
        Encoding::Json => otlp::decode_json(body).map_err(|e| e.to_string()),
    }
}

/// What every request of one receiver shares.
pub(super) struct Shared {
    pub(super) feed: Feed,
    pub(super) source: SourceId,
    pub(super) max_body: usize,
    pub(super) opts: Options,
    pub(super) counters: Arc<Counters>,
    /// Where accepted bodies go: the spool, or the record file of `record`.
    pub(super) spool: Spool,
    /// The source's state while all is well ("listening", and how far it is reachable).
    pub(super) listening: String,
    /// The state says the spool cannot be written: said again when it can.
    pub(super) failing: AtomicBool,
    pub(super) token: Option<String>,
    pub(super) body_timeout: Duration,
    /// How long a request waits for a busy index before it is refused.
    pub(super) patience: Duration,
    pub(super) decode: Decode,
}

impl Shared {
    /// Count a refusal and answer it.
    pub(super) fn refuse(&self, r: Refusal, enc: Encoding) -> axum::response::Response {
        if r.0 == StatusCode::SERVICE_UNAVAILABLE {
            bump(&self.counters.busy);
        } else {
            if r.0 == StatusCode::REQUEST_TIMEOUT {
                bump(&self.counters.timed_out);
            }
            bump(&self.counters.rejected);
            self.note_refusal(r.0, &r.1);
        }
        r.response(enc)
    }

    /// A refused request, for `:errors` and the source's rejected count; when the queue is
    /// full, the counters still have it.
    pub(super) fn note_refusal(&self, status: StatusCode, why: &str) {
        let _ = self.feed.try_send(Batch {
            source: self.source,
            units: 1,
            requests: 1,
            rejections: vec![Rejection {
                line: 0,
                reason: format!("HTTP {}: {why}", status.as_u16()),
            }],
            ..Batch::default()
        });
    }

    /// Run `take` (a request's intake) once the index has room for it, and again while it
    /// answers that the index is behind, for at most the receiver's patience; then its answer
    /// stands. While the index catches up, requests wait here instead of being refused, so a
    /// burst slows its clients down rather than making them send it again.
    pub(super) async fn patiently<T>(
        &self,
        mut take: impl FnMut() -> Result<T, Refusal>,
    ) -> Result<T, Refusal> {
        let deadline = tokio::time::Instant::now() + self.patience;
        let mut pause = Duration::from_millis(1);
        loop {
            let late = tokio::time::Instant::now() >= deadline;
            if late || self.feed.has_room(1) {
                match take() {
                    Err(r) if r.is_behind() && !late => {}
                    answer => return answer,
                }
            }
            tokio::time::sleep_until(deadline.min(tokio::time::Instant::now() + pause)).await;
            pause = (pause * 2).min(Duration::from_millis(20));
        }
    }

    /// Parsing context for a body not yet in the spool: its records are placed when it is.
    pub(super) fn unplaced(&self) -> Ctx {
        Ctx {
            blob: UNPLACED,
            opts: self.opts,
        }
    }

    fn counted(&self, accepted: u64, rejected: u64) {
        let c = &self.counters;
        c.accepted.fetch_add(accepted, Ordering::Relaxed);
        c.rejected.fetch_add(rejected, Ordering::Relaxed);
    }

    /// Decode and queue an OTLP request; returns the number of spans rejected. A private
    /// spool keeps the body as it came; a record file keeps it as one OTLP/JSON line.
    pub(super) fn export(&self, enc: Encoding, body: &[u8]) -> Result<u64, Refusal> {
        let req = (self.decode)(enc, body).map_err(|e| Refusal(StatusCode::BAD_REQUEST, e))?;
        self.export_decoded(enc, &req, body)
    }

    /// Queue an OTLP request already decoded from `body` (`enc`, as it came: gRPC's message
    /// bytes are protobuf); returns the number of spans rejected.
    pub(super) fn export_decoded(
        &self,
        enc: Encoding,
        req: &ExportTraceServiceRequest,
        body: &[u8],
    ) -> Result<u64, Refusal> {
        let mut line = Vec::new();
        let formats = [RecordFormat::OtlpProto, RecordFormat::OtlpJson];
        let (kept, separator, format) = self.kept(enc, body, req, formats, &mut line)?;
        let mut records = Vec::new();
        otlp::records(req, &self.unplaced(), 0, kept.len(), format, &mut records);
        // spans refused on their own (invalid ids) stay in the batch: the store counts them
        let rejected = records
            .iter()
            .filter(|r| matches!(r, Record::Rejected(_)))
            .count() as u64;
        let accepted = records.len() as u64 - rejected;
        let batch = self.request_batch(records, body.len());
        self.commit(&[kept, separator], batch)?;
        self.counted(accepted, rejected);
        Ok(rejected)
    }

    /// What an OTLP request leaves in the spool, and the format of its records' references
    /// (`formats`: as protobuf, as JSON): a private spool keeps the body as it came, a record
    /// file one OTLP/JSON line (`req` written into `line`).
    pub(super) fn kept<'a>(
        &self,
        enc: Encoding,
        body: &'a [u8],
        req: &impl serde::Serialize,
        [proto, json]: [RecordFormat; 2],
        line: &'a mut Vec<u8>,
    ) -> Result<(&'a [u8], &'static [u8], RecordFormat), Refusal> {
        Ok(match (self.spool.keeps_raw(), enc) {
            (true, Encoding::Protobuf) => (body, b"", proto),
            (true, Encoding::Json) => (body, b"\n", json),
            (false, _) => {
                *line = serde_json::to_vec(req).map_err(|e| {
                    Refusal(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        format!("cannot write the request as JSON: {e}"),
                    )
                })?;
                (line.as_slice(), b"\n", json)
            }
        })
    }

    /// The batch of one request of `bytes` bytes.
    pub(super) fn request_batch(&self, records: Vec<Record>, bytes: usize) -> Batch {
        Batch {
            source: self.source,
            records,
            units: 1,
            bytes: bytes as u64,
            requests: 1,
            ..Batch::default()
        }
    }

    /// Parse and queue a JSON-lines body; returns the lines accepted and the rejections.
    pub(super) fn lines(&self, body: &[u8]) -> Result<(u64, Vec<Rejection>), Refusal> {
        let mut sink = Collect {
            registry: &self.feed.registry,
            batch: Batch {
                source: self.source,
                requests: 1,
                bytes: body.len() as u64,
                ..Batch::default()
            },
        };
        load_lines(&mut sink, self.source, body, 0, 0, &self.unplaced());
        let batch = sink.batch;
        let rejected = batch.rejections.len() as u64;
        let accepted = batch.units - rejected;
        let rejections = batch.rejections.clone();
        if accepted > 0 {
            let newline: &[u8] = if body.ends_with(b"\n") { b"" } else { b"\n" };
            self.commit(&[body, newline], batch)?;
        } else {
            // nothing to index: the body is not kept, the rejections are still shown
            self.queue(batch)?;
        }
        self.counted(accepted, rejected);
        Ok((accepted, rejections))
    }

    /// Queue a request's batch whole, or refuse it (503) when the index is behind.
    fn queue(&self, batch: Batch) -> Result<(), Refusal> {
        self.feed.try_send(batch).map_err(|e| {
            let why = match e {
                Refused::Busy => BEHIND,
                Refused::Closed => "shutting down",
            };
            Refusal(StatusCode::SERVICE_UNAVAILABLE, why.into())
        })
    }

    /// Acknowledge a request: append `parts` to the spool and queue its batch, its records
    /// pointing where the body went: both or neither. A request that cannot be written (a
    /// full disk, or a file still holding part of an earlier refused request) or queued is
    /// refused with 503, so the client's retry neither loses nor duplicates it; the source's
    /// state says why until the spool takes requests again.
    pub(super) fn commit(&self, parts: &[&[u8]], mut batch: Batch) -> Result<(), Refusal> {
        let res = self.spool.commit(parts, |blob, at| {
            spool::place(&mut batch.records, blob, at);
            self.queue(batch)
        });
        match res {
            Ok(()) => {
                bump(&self.counters.spooled);
                if self.failing.swap(false, Ordering::Relaxed) {
                    self.state(self.listening.clone());
                }
                self.announce_dropped();
                Ok(())
            }
            Err(NotKept::Queue(r)) => Err(r),
            Err(NotKept::Append(e)) => {
                bump(&self.counters.spool_failed);
                self.failing.store(true, Ordering::Relaxed);
                self.state(format!("{}; {e}", self.listening));
                Err(Refusal(StatusCode::SERVICE_UNAVAILABLE, e.to_string()))
            }
        }
    }

    fn state(&self, state: String) {
        let _ = self.feed.try_send(Batch {
            source: self.source,
            state: Some(state),
            ..Batch::default()
        });
    }

    /// Tell the store which spool segments were dropped (after the batches that point into
    /// them); what the queue cannot take now goes with a later request.
    fn announce_dropped(&self) {
        let dropped = self.spool.take_dropped();
        if dropped.is_empty() {
            return;
        }
        let batch = Batch {
            source: self.source,
            dropped_blobs: dropped.clone(),
            ..Batch::default()
        };
        if self.feed.try_send(batch).is_err() {
            self.spool.defer_dropped(dropped);
        }
    }
}

/// A request body as the receiver decodes it, for the fuzz targets: `Ok(spans)` or the HTTP
/// status it would be refused with.
pub(crate) fn decode_request(
    encoding: &str,
    protobuf: bool,
    raw: &[u8],
    max: usize,
) -> Result<usize, u16> {
    let body = decode_body(encoding, raw, max).map_err(|r| r.0.as_u16())?;
    let enc = if protobuf {
        Encoding::Protobuf
    } else {
        Encoding::Json
    };
    let req = decode_otlp(enc, &body).map_err(|_| 400u16)?;
    let ctx = Ctx {
        blob: BlobId(0),
        opts: Options::default(),
    };
    let mut records = Vec::new();
    otlp::records(
        &req,
        &ctx,
        0,
        body.len(),
        RecordFormat::OtlpProto,
        &mut records,
    );
    Ok(records.len())
}

#[cfg(test)]
impl Shared {
    /// A receiver's state over `feed` and its spool: no token, the real decoder.
    pub(super) fn for_tests(feed: &Feed) -> Shared {
        Shared {
            feed: feed.clone(),
            source: feed.registry.add_source("receiver test"),
            max_body: 1 << 20,
            opts: Options { naive_utc: true },
            counters: Arc::new(Counters::default()),
            spool: feed.spool().expect("a feed with a spool").clone(),
            listening: "listening".into(),
            failing: AtomicBool::new(false),
            token: None,
            body_timeout: Duration::from_secs(5),
            patience: Duration::ZERO,
            decode: decode_otlp,
        }
    }
}

/// An OTLP/JSON request with one span per id (an id of 0 is invalid).
#[cfg(test)]
pub(super) fn otlp_json(ids: &[u32]) -> Vec<u8> {
    let spans: Vec<String> = ids
        .iter()
        .map(|i| {
            format!(
                r#"{{"traceId":"{i:032x}","spanId":"{i:016x}","name":"s{i}","startTimeUnixNano":"1000","endTimeUnixNano":"2000"}}"#
            )
        })
        .collect();
    format!(
        r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{}]}}]}}]}}"#,
        spans.join(",")
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::sink;
    use crate::ingest::spool::SpoolDir;
    use crate::model::Store;
    use std::sync::mpsc::Receiver;

    const LINE: &str = r#"{"trace_id": "73aed523-aace-4f3b-ac81-089ae00cd558", "timestamp": "2026-11-21T05:37:00.047Z", "inputs": {"q": "?"}, "outputs": {"a": "!"}, "total_latency_ms": 107.5}"#;

    /// A receiver's state over a private spool bounded by `max`, and what it queues.
    struct Fixture {
        s: Shared,
        rx: Receiver<Batch>,
        dir: SpoolDir,
        _root: tempfile::TempDir,
    }

    fn with_spool(backlog: usize, max: u64) -> Fixture {
        let store = Store::new();
        let root = tempfile::tempdir().unwrap();
        let dir = SpoolDir::create(root.path(), false).unwrap();
        let spool = Spool::private(store.registry(), &dir, max);
        let (feed, rx) = sink::channel_with_backlog(store.registry(), backlog);
        let feed = feed.with_spool(spool);
        Fixture {
            s: Shared::for_tests(&feed),
            rx,
            dir,
            _root: root,
        }
    }

    fn shared(backlog: usize) -> Fixture {
        with_spool(backlog, spool::DEFAULT_MAX)
    }

    fn count(s: &Shared) -> [u64; 3] {
        let c = &s.counters;
        [&c.accepted, &c.rejected, &c.spooled].map(|v| v.load(Ordering::Relaxed))
    }

    /// The bytes the payload of each span record of `b` points at.
    fn payloads(s: &Shared, b: &Batch) -> Vec<Vec<u8>> {
        b.records
            .iter()
            .filter_map(|r| match r {
                Record::Span(sp) => sp.payload.map(|(_, p)| p),
                _ => None,
            })
            .map(|p| {
                s.feed
                    .registry
                    .blobs
                    .get(p.blob)
                    .read(p.offset, p.len)
                    .unwrap()
            })
            .collect()
    }

    #[test]
    fn a_request_is_queued_as_one_batch_pointing_into_the_spool() {
        let f = shared(100);
        let Fixture { s, rx, .. } = &f;
        let body = otlp_json(&[1, 2, 0]);
        let len = body.len();
        assert_eq!(s.export(Encoding::Json, &body).unwrap(), 1);
        let b = rx.try_recv().unwrap();
        assert_eq!((b.records.len(), b.units, b.requests), (3, 1, 1));
        assert_eq!(b.bytes, len as u64);
        assert!(rx.try_recv().is_err(), "one batch");
        assert_eq!(count(s), [2, 1, 1]);
        assert_eq!(payloads(s, &b), [body.clone(), body.clone()]);
        // the next body goes after it (and its newline), and reads back as itself
        let second = otlp_json(&[3]);
        s.export(Encoding::Json, &second).unwrap();
        let b = rx.try_recv().unwrap();
        let Record::Span(sp) = &b.records[0] else {
            panic!("{:?}", b.records[0])
        };
        assert_eq!(sp.payload.unwrap().1.offset, len as u64 + 1);
        assert_eq!(payloads(s, &b), [second]);
        assert_eq!(
            s.spool.stats().written,
            (len + 1 + otlp_json(&[3]).len() + 1) as u64
        );
        assert_eq!(
            s.feed.registry.blobs.memory_len(sp.payload.unwrap().1.blob),
            0
        );
    }

    #[test]
    fn a_protobuf_body_is_kept_as_it_came() {
        use prost::Message as _;
        let f = shared(100);
        let Fixture { s, rx, .. } = &f;
        let req = otlp::decode_json(&otlp_json(&[7])).unwrap();
        let body = req.encode_to_vec();
        s.export(Encoding::Protobuf, &body).unwrap();
        let b = rx.try_recv().unwrap();
        assert_eq!(payloads(s, &b), std::slice::from_ref(&body));
        assert_eq!(s.spool.stats().written, body.len() as u64, "no separator");
    }

    #[test]
    fn a_body_that_does_not_decode_is_a_bad_request_and_keeps_nothing() {
        let f = shared(100);
        let Fixture { s, rx, .. } = &f;
        let r = s.export(Encoding::Json, b"{").unwrap_err();
        assert_eq!(r.0, StatusCode::BAD_REQUEST);
        let r = s.export(Encoding::Protobuf, b"\xff\xff").unwrap_err();
        assert_eq!(r.0, StatusCode::BAD_REQUEST);
        assert!(rx.try_recv().is_err());
        assert_eq!(count(s), [0, 0, 0]);
        assert_eq!(s.spool.stats().written, 0);
    }

    #[test]
    fn a_request_the_index_cannot_take_is_refused_whole_and_cut_off_the_spool() {
        let f = shared(2);
        let Fixture { s, rx, dir, .. } = &f;
        // one span waits for the store: the queue has room for one more
        s.export(Encoding::Json, &otlp_json(&[9])).unwrap();
        let kept = std::fs::read(dir.path().join("000001.seg")).unwrap();
        let written = s.spool.stats().written;
        let r = s.export(Encoding::Json, &otlp_json(&[1, 2])).unwrap_err();
        assert!(r.is_behind(), "{r:?}");
        assert_eq!(count(s), [1, 0, 1]);
        let r = s.lines(format!("{LINE}\n{LINE}\n").as_bytes()).unwrap_err();
        assert!(r.is_behind(), "{r:?}");
        assert_eq!(s.spool.stats().written, written);
        assert_eq!(std::fs::read(dir.path().join("000001.seg")).unwrap(), kept);
        // only the first request was queued
        assert_eq!(rx.try_iter().map(|b| b.records.len()).sum::<usize>(), 1);
    }

    #[test]
    fn an_empty_queue_takes_a_request_bigger_than_its_bound() {
        let f = shared(1);
        let Fixture { s, rx, .. } = &f;
        assert_eq!(s.export(Encoding::Json, &otlp_json(&[1, 2, 3])).unwrap(), 0);
        assert_eq!(rx.try_recv().unwrap().records.len(), 3);
    }

    #[test]
    fn json_lines_are_queued_with_their_rejections() {
        let f = shared(100);
        let Fixture { s, rx, .. } = &f;
        let body = format!("{LINE}\nnot json");
        let (accepted, rejections) = s.lines(body.as_bytes()).unwrap();
        assert_eq!(accepted, 1);
        assert_eq!(rejections.len(), 1);
        assert_eq!(rejections[0].line, 2);
        let b = rx.try_recv().unwrap();
        assert_eq!((b.units, b.requests, b.rejections.len()), (2, 1, 1));
        assert_eq!(count(s), [1, 1, 1]);
        assert_eq!(payloads(s, &b), [LINE.as_bytes()]);
        // the body ends with a newline in the spool, so the next starts on a line of its own
        assert_eq!(s.spool.stats().written, body.len() as u64 + 1);
    }

    #[test]
    fn json_lines_with_nothing_to_index_still_show_their_rejections() {
        let f = shared(100);
        let Fixture { s, rx, .. } = &f;
        let (accepted, rejections) = s.lines(b"nope\n").unwrap();
        assert_eq!((accepted, rejections.len()), (0, 1));
        assert_eq!(rx.try_recv().unwrap().rejections.len(), 1);
        assert_eq!(s.spool.stats().written, 0, "nothing refers to the body");
    }

    /// A spool that cannot be written: 503, and the state says why until a request is kept.
    #[test]
    fn a_spool_that_cannot_be_written_refuses_and_says_so_until_it_can() {
        let f = shared(100);
        let Fixture { s, rx, dir, .. } = &f;
        std::fs::remove_dir_all(dir.path()).unwrap();
        let r = s.export(Encoding::Json, &otlp_json(&[1])).unwrap_err();
        assert_eq!(r.0, StatusCode::SERVICE_UNAVAILABLE);
        assert!(r.1.starts_with("cannot append to the spool"), "{}", r.1);
        let states: Vec<String> = rx.try_iter().filter_map(|b| b.state).collect();
        assert_eq!(states.len(), 1);
        assert!(
            states[0].starts_with("listening; cannot append to the spool"),
            "{states:?}"
        );
        assert_eq!(s.counters.spool_failed.load(Ordering::Relaxed), 1);
        std::fs::create_dir(dir.path()).unwrap();
        s.export(Encoding::Json, &otlp_json(&[1])).unwrap();
        let states: Vec<String> = rx.try_iter().filter_map(|b| b.state).collect();
        assert_eq!(states, ["listening"]);
    }

    /// With a small bound, the oldest segments are dropped, and each is announced after
    /// every batch that points into it.
    #[test]
    fn dropped_segments_are_announced_after_the_batches_that_point_into_them() {
        let f = with_spool(100_000, 16 << 10);
        let Fixture { s, rx, .. } = &f;
        for i in 1..=200 {
            s.export(Encoding::Json, &otlp_json(&[i, i + 1000]))
                .unwrap();
        }
        let batches: Vec<Batch> = rx.try_iter().collect();
        let dropped: Vec<(usize, BlobId)> = batches
            .iter()
            .enumerate()
            .flat_map(|(i, b)| b.dropped_blobs.iter().map(move |&d| (i, d)))
            .collect();
        assert!(dropped.len() >= 3, "{}", dropped.len());
        for (at, blob) in dropped {
            let last_use = batches.iter().rposition(|b| {
                b.records.iter().any(|r| {
                    matches!(r, Record::Span(sp) if sp.payload.is_some_and(|(_, p)| p.blob == blob))
                })
            });
            assert!(
                last_use.is_some_and(|u| u < at),
                "{blob:?} at {at}: {last_use:?}"
            );
        }
        assert!(s.spool.stats().held <= 16 << 10);
    }

    #[test]
    fn a_recorded_request_is_in_the_file_only_if_queued_and_reads_back_from_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.jsonl");
        let store = Store::new();
        let (feed, rx) = sink::channel_with_backlog(store.registry(), 10);
        let feed = feed.with_spool(Spool::record(store.registry(), &path).unwrap());
        let s = Shared::for_tests(&feed);
        s.export(Encoding::Json, &otlp_json(&[1])).unwrap();
        s.lines(format!("{LINE}\n").as_bytes()).unwrap();
        // more than the queue has room for: refused, and not recorded
        let r = s.export(Encoding::Json, &otlp_json(&[2; 10])).unwrap_err();
        assert_eq!(r.0, StatusCode::SERVICE_UNAVAILABLE);
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(lines[0].contains("resourceSpans"), "{text}");
        assert_eq!(lines[1], LINE);
        assert_eq!(count(&s)[2], 2);
        let batches: Vec<Batch> = rx.try_iter().collect();
        assert_eq!(batches.len(), 2);
        // the payloads are the lines of the file
        assert_eq!(payloads(&s, &batches[0]), [lines[0].as_bytes()]);
        assert_eq!(payloads(&s, &batches[1]), [lines[1].as_bytes()]);
    }

    #[test]
    fn the_fuzz_entry_decodes_as_the_receiver_does() {
        assert_eq!(
            decode_request("identity", false, &otlp_json(&[1, 2]), 1 << 20),
            Ok(2)
        );
        assert_eq!(decode_request("identity", false, b"[", 1 << 20), Err(400));
        assert_eq!(decode_request("gzip", true, b"junk", 1 << 20), Err(400));
        assert_eq!(
            decode_request("identity", false, &otlp_json(&[1]), 10),
            Ok(1)
        );
    }
}
