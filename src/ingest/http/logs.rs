//! OTLP logs, as OTLP/HTTP (`POST /v1/logs`) and gRPC (`LogsService/Export`) deliver them:
//! each log record becomes an event of the span its ids name (held until the span arrives),
//! through the same intake as traces: appended to the spool (or the record file) and queued,
//! both or neither. A record of no span is accepted and counted, never silently dropped.

use super::intake::Shared;
use super::reply::{Encoding, Refusal};
use crate::ingest::formats::{self, otlp_logs};
use crate::model::store::Record;
use axum::http::StatusCode;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use std::sync::atomic::Ordering;

/// Decode an OTLP/HTTP logs body in its encoding.
pub(super) fn decode(enc: Encoding, body: &[u8]) -> Result<ExportLogsServiceRequest, String> {
    match enc {
        Encoding::Protobuf => otlp_logs::read_proto(body),
        Encoding::Json => otlp_logs::read_json(body),
    }
    .map_err(|e| e.reason)
}

impl Shared {
    /// Queue the log records of a request decoded from `body` (`enc`, as it came); returns
    /// how many belong to no span.
    pub(super) fn export_logs(
        &self,
        enc: Encoding,
        req: &ExportLogsServiceRequest,
        body: &[u8],
    ) -> Result<u64, Refusal> {
        let mut line = Vec::new();
        let ids = [otlp_logs::PROTO.name, otlp_logs::JSON.name].map(formats::id);
        let (kept, separator, format) = self.kept(enc, body, req, ids, &mut line)?;
        let mut records = Vec::new();
        otlp_logs::records(req, &self.unplaced(), 0, kept.len(), format, &mut records);
        let without_span = records
            .iter()
            .filter(
                |r| matches!(r, Record::Event(e) if e.span_id.is_empty() || e.trace_id.is_empty()),
            )
            .count() as u64;
        if records.is_empty() {
            return Ok(0);
        }
        // a log record is one event; an evaluation's score of its trace goes with it
        let n = records
            .iter()
            .filter(|r| matches!(r, Record::Event(_)))
            .count() as u64;
        let batch = self.request_batch(records, body.len());
        self.commit(&[kept, separator], batch)?;
        self.counters.logs.fetch_add(n, Ordering::Relaxed);
        self.counters
            .logs_without_span
            .fetch_add(without_span, Ordering::Relaxed);
        Ok(without_span)
    }

    /// Decode and queue an OTLP/HTTP logs body.
    pub(super) fn logs(&self, enc: Encoding, body: &[u8]) -> Result<u64, Refusal> {
        let req = decode(enc, body).map_err(|e| Refusal(StatusCode::BAD_REQUEST, e))?;
        self.export_logs(enc, &req, body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::sink;
    use crate::ingest::spool::{Spool, SpoolDir};
    use crate::model::Store;

    const LOGS: &str = r#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[
        {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","eventName":"gen_ai.choice","body":{"kvlistValue":{"values":[{"key":"message","value":{"kvlistValue":{"values":[{"key":"content","value":{"stringValue":"Paris."}}]}}}]}}},
        {"body":{"stringValue":"no span"}}]}]}]}"#;

    #[test]
    fn log_records_are_queued_as_events_pointing_into_the_spool() {
        let store = Store::new();
        let root = tempfile::tempdir().unwrap();
        let dir = SpoolDir::create(root.path(), false).unwrap();
        let spool = Spool::private(store.registry(), &dir, 1 << 30);
        let (feed, rx) = sink::channel(store.registry());
        let s = Shared::for_tests(&feed.with_spool(spool));
        assert_eq!(s.logs(Encoding::Json, LOGS.as_bytes()).unwrap(), 1);
        let b = rx.try_recv().unwrap();
        assert_eq!((b.records.len(), b.units, b.requests), (2, 1, 1));
        let Record::Event(e) = &b.records[0] else {
            panic!("{:?}", b.records[0])
        };
        let bytes = s
            .feed
            .registry
            .blobs
            .get(e.payload.blob)
            .read(e.payload.offset, e.payload.len)
            .unwrap();
        assert_eq!(bytes, LOGS.as_bytes());
        assert_eq!(s.counters.logs.load(Ordering::Relaxed), 2);
        assert_eq!(s.counters.logs_without_span.load(Ordering::Relaxed), 1);
        let r = s.logs(Encoding::Json, b"{").unwrap_err();
        assert_eq!(r.0, StatusCode::BAD_REQUEST);
        assert_eq!(
            s.logs(Encoding::Json, b"{}").unwrap(),
            0,
            "an empty request"
        );
        assert!(rx.try_recv().is_err());
    }
}
