//! What happens to a request's body once read: decoded, turned into one batch, and queued
//! whole (and appended to the record file) or refused whole; and the state every request of
//! a receiver shares. A request is indexed whole or not at all, so a client that retries
//! loses nothing and duplicates nothing.

use super::body::decode_body;
use super::counters::{Counters, bump};
use super::record::{RecordError, Recorder, Refused as NotRecorded};
use super::reply::{Encoding, Refusal};
use crate::ingest::sink::{Collect, Feed, Refused};
use crate::ingest::{Ctx, Options, load_lines, otlp};
use crate::model::payload::RecordFormat;
use crate::model::store::{Batch, Record, Registry, Rejection};
use crate::model::{Blob, BlobId, SourceId};
use axum::http::StatusCode;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use std::sync::Arc;
use std::sync::atomic::Ordering;
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
    pub(super) record: Option<Recorder>,
    pub(super) token: Option<String>,
    pub(super) body_timeout: Duration,
    pub(super) decode: Decode,
}

/// A request body registered as a blob for its spans' payloads; forgotten again when
/// dropped (a refusal, an error, a panic) unless [`Held::keep`] says its batch was queued.
struct Held<'a> {
    registry: &'a Registry,
    ctx: Ctx,
    kept: bool,
}

impl Held<'_> {
    fn keep(mut self) {
        self.kept = true;
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        if !self.kept {
            self.registry
                .blobs
                .forget(self.ctx.blob, "the request was not indexed");
        }
    }
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

    /// Keep a request body in memory for the payloads of its spans.
    fn hold(&self, body: Vec<u8>) -> (Arc<Vec<u8>>, Held<'_>) {
        let body = Arc::new(body);
        let registry = &*self.feed.registry;
        let blob: BlobId = registry.blobs.add(Blob::Memory(Arc::clone(&body)));
        let ctx = Ctx {
            blob,
            opts: self.opts,
        };
        let held = Held {
            registry,
            ctx,
            kept: false,
        };
        (body, held)
    }

    fn counted(&self, accepted: u64, rejected: u64) {
        let c = &self.counters;
        c.accepted.fetch_add(accepted, Ordering::Relaxed);
        c.rejected.fetch_add(rejected, Ordering::Relaxed);
    }

    /// Decode and queue an OTLP request; returns the number of spans rejected.
    pub(super) fn export(&self, enc: Encoding, body: Vec<u8>) -> Result<u64, Refusal> {
        let req = (self.decode)(enc, &body).map_err(|e| Refusal(StatusCode::BAD_REQUEST, e))?;
        let format = match enc {
            Encoding::Protobuf => RecordFormat::OtlpProto,
            Encoding::Json => RecordFormat::OtlpJson,
        };
        let len = body.len();
        let (_, held) = self.hold(body);
        let mut records = Vec::new();
        otlp::records(&req, &held.ctx, 0, len, format, &mut records);
        // spans refused on their own (invalid ids) stay in the batch: the store counts them
        let rejected = records
            .iter()
            .filter(|r| matches!(r, Record::Rejected(_)))
            .count() as u64;
        let accepted = records.len() as u64 - rejected;
        let batch = Batch {
            source: self.source,
            records,
            units: 1,
            bytes: len as u64,
            requests: 1,
            rejections: Vec::new(),
            state: None,
        };
        let line = match &self.record {
            Some(_) => {
                let mut line = serde_json::to_vec(&req).map_err(|e| {
                    Refusal(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        format!("cannot write the request as JSON: {e}"),
                    )
                })?;
                line.push(b'\n');
                Some(line)
            }
            None => None,
        };
        self.commit(batch, line)?;
        held.keep();
        self.counted(accepted, rejected);
        Ok(rejected)
    }

    /// Parse and queue a JSON-lines body; returns the lines accepted and the rejections.
    pub(super) fn lines(&self, body: Vec<u8>) -> Result<(u64, Vec<Rejection>), Refusal> {
        let (body, held) = self.hold(body);
        let mut sink = Collect {
            registry: &self.feed.registry,
            batch: Batch {
                source: self.source,
                requests: 1,
                bytes: body.len() as u64,
                ..Batch::default()
            },
        };
        load_lines(&mut sink, self.source, &body, 0, 0, &held.ctx);
        let batch = sink.batch;
        let rejected = batch.rejections.len() as u64;
        let accepted = batch.units - rejected;
        let rejections = batch.rejections.clone();
        let line = (accepted > 0 && self.record.is_some()).then(|| {
            let mut line = body.to_vec();
            if !line.ends_with(b"\n") {
                line.push(b'\n');
            }
            line
        });
        self.commit(batch, line)?;
        // with nothing to index the body is not kept: the rejections are still shown
        if accepted > 0 {
            held.keep();
        }
        self.counted(accepted, rejected);
        Ok((accepted, rejections))
    }

    /// Queue a request's batch whole, or refuse it (503) when the index is behind.
    fn queue(&self, batch: Batch) -> Result<(), Refusal> {
        self.feed.try_send(batch).map_err(|e| {
            let why = match e {
                Refused::Busy => "the index is behind: retry shortly",
                Refused::Closed => "shutting down",
            };
            Refusal(StatusCode::SERVICE_UNAVAILABLE, why.into())
        })
    }

    /// Acknowledge a request: append `line` to the record file (when recording) and queue its
    /// batch, both or neither. A request that cannot be written (a full disk, or a file still
    /// holding part of an earlier refused request) or queued is refused with 503, so the
    /// client's retry neither loses nor duplicates it.
    fn commit(&self, batch: Batch, line: Option<Vec<u8>>) -> Result<(), Refusal> {
        let (Some(record), Some(line)) = (&self.record, line) else {
            return self.queue(batch);
        };
        match record.commit(&line, || self.queue(batch)) {
            Ok(()) => Ok(()),
            Err(NotRecorded::Queue(r)) => Err(r),
            Err(NotRecorded::Record(e)) => {
                let why = match &e {
                    RecordError::Write(io) => io.to_string(),
                    RecordError::Inconsistent(_) => e.to_string(),
                };
                let _ = self.feed.try_send(Batch {
                    source: self.source,
                    state: Some(format!("listening; cannot record: {why}")),
                    ..Batch::default()
                });
                Err(Refusal(StatusCode::SERVICE_UNAVAILABLE, e.to_string()))
            }
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
    /// A receiver's state over `feed`: no record file, no token, the real decoder.
    pub(super) fn for_tests(feed: &Feed) -> Shared {
        Shared {
            feed: feed.clone(),
            source: feed.registry.add_source("receiver test"),
            max_body: 1 << 20,
            opts: Options { naive_utc: true },
            counters: Arc::new(Counters::default()),
            record: None,
            token: None,
            body_timeout: Duration::from_secs(5),
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
    use crate::model::Store;
    use std::sync::mpsc::Receiver;

    const LINE: &str = r#"{"trace_id": "73aed523-aace-4f3b-ac81-089ae00cd558", "timestamp": "2026-11-21T05:37:00.047Z", "inputs": {"q": "?"}, "outputs": {"a": "!"}, "total_latency_ms": 107.5}"#;

    fn shared(backlog: usize) -> (Shared, Receiver<Batch>) {
        let store = Store::new();
        let (feed, rx) = sink::channel_with_backlog(store.registry(), backlog);
        (Shared::for_tests(&feed), rx)
    }

    fn count(s: &Shared) -> [u64; 3] {
        let c = &s.counters;
        [&c.accepted, &c.rejected, &c.recorded].map(|v| v.load(Ordering::Relaxed))
    }

    fn blob_bytes(s: &Shared, id: u32) -> usize {
        s.feed.registry.blobs.memory_len(BlobId(id))
    }

    #[test]
    fn a_request_is_queued_as_one_batch_with_its_body_kept() {
        let (s, rx) = shared(100);
        let body = otlp_json(&[1, 2, 0]);
        let len = body.len();
        assert_eq!(s.export(Encoding::Json, body).unwrap(), 1);
        let b = rx.try_recv().unwrap();
        assert_eq!((b.records.len(), b.units, b.requests), (3, 1, 1));
        assert_eq!(b.bytes, len as u64);
        assert!(rx.try_recv().is_err(), "one batch");
        assert_eq!(count(&s), [2, 1, 0]);
        assert_eq!(blob_bytes(&s, 0), len);
    }

    #[test]
    fn a_body_that_does_not_decode_is_a_bad_request_and_holds_nothing() {
        let (s, rx) = shared(100);
        let r = s.export(Encoding::Json, b"{".to_vec()).unwrap_err();
        assert_eq!(r.0, StatusCode::BAD_REQUEST);
        let r = s
            .export(Encoding::Protobuf, b"\xff\xff".to_vec())
            .unwrap_err();
        assert_eq!(r.0, StatusCode::BAD_REQUEST);
        assert!(rx.try_recv().is_err());
        assert_eq!(count(&s), [0, 0, 0]);
    }

    #[test]
    fn a_request_the_index_cannot_take_is_refused_whole_and_its_body_forgotten() {
        let (s, rx) = shared(1);
        let r = s.export(Encoding::Json, otlp_json(&[1, 2])).unwrap_err();
        assert_eq!(r.0, StatusCode::SERVICE_UNAVAILABLE);
        assert!(rx.try_recv().is_err());
        assert_eq!(count(&s), [0, 0, 0]);
        assert_eq!(blob_bytes(&s, 0), 0, "the body is not held");
        let r = s
            .lines(format!("{LINE}\n{LINE}\n").into_bytes())
            .unwrap_err();
        assert_eq!(r.0, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(blob_bytes(&s, 1), 0);
    }

    #[test]
    fn json_lines_are_queued_with_their_rejections() {
        let (s, rx) = shared(100);
        let (accepted, rejections) = s.lines(format!("{LINE}\nnot json\n").into_bytes()).unwrap();
        assert_eq!(accepted, 1);
        assert_eq!(rejections.len(), 1);
        assert_eq!(rejections[0].line, 2);
        let b = rx.try_recv().unwrap();
        assert_eq!((b.units, b.requests, b.rejections.len()), (2, 1, 1));
        assert_eq!(count(&s), [1, 1, 0]);
        assert!(blob_bytes(&s, 0) > 0);
    }

    #[test]
    fn json_lines_with_nothing_to_index_still_show_their_rejections() {
        let (s, rx) = shared(100);
        let (accepted, rejections) = s.lines(b"nope\n".to_vec()).unwrap();
        assert_eq!((accepted, rejections.len()), (0, 1));
        assert_eq!(rx.try_recv().unwrap().rejections.len(), 1);
        assert_eq!(blob_bytes(&s, 0), 0, "nothing refers to the body");
    }

    #[test]
    fn a_recorded_request_is_in_the_file_only_if_queued() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.jsonl");
        let (mut s, rx) = shared(10);
        let file = std::fs::File::create(&path).unwrap();
        s.record = Some(Recorder::new(file, Arc::clone(&s.counters)));
        s.export(Encoding::Json, otlp_json(&[1])).unwrap();
        s.lines(format!("{LINE}\n").into_bytes()).unwrap();
        // more than the queue has room for: refused, and not recorded
        let r = s.export(Encoding::Json, otlp_json(&[2; 10])).unwrap_err();
        assert_eq!(r.0, StatusCode::SERVICE_UNAVAILABLE);
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(lines[0].contains("resourceSpans"), "{text}");
        assert_eq!(lines[1], LINE);
        assert_eq!(count(&s)[2], 2);
        assert_eq!(rx.try_iter().count(), 2);
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
