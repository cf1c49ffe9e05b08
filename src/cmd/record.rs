//! `spanscope record`: receive a live feed until SIGINT or SIGTERM and keep it in a file: the
//! receiver's spool is that file, so the index's payload references point into it.

use super::common::Failure;
use super::receiver::{start_receiver, summarize_receiver};
use crate::ingest::spool::Spool;
use crate::model::Store;
use crate::{cli, ingest};

/// What `record` keeps in memory for its summary without `--max-memory` (the file keeps all).
const RECORD_MAX_MEMORY: u64 = 256 << 20;

/// `spanscope record`: receive until SIGINT or SIGTERM, append each accepted request to the
/// file, and account for everything received on exit.
pub fn run(a: &cli::RecordArgs) -> Result<(), Failure> {
    let mut store = Store::new();
    store.set_retention(a.retention.retention_or(RECORD_MAX_MEMORY));
    let existed = a.out.exists();
    let spool = Spool::record(store.registry(), &a.out).map_err(|e| {
        Failure::source(format!(
            "cannot open the record file {}: {e}",
            a.out.display()
        ))
    })?;
    let (feed, rx) = ingest::sink::channel(store.registry());
    let feed = feed.with_spool(spool.clone());
    let opts = ingest::Options {
        naive_utc: a.naive_utc,
    };
    let at = a.endpoints().map_err(Failure::usage)?;
    let receiver =
        start_receiver(&feed, &at, a.max_body, opts, a.auth.token()).inspect_err(|_| {
            // a receiver that did not start leaves no file it made behind
            if !existed {
                let _ = std::fs::remove_file(&a.out);
            }
        })?;
    drop(feed);
    let grpc = receiver
        .grpc_addr
        .map(|g| format!(" and OTLP/gRPC on {g} (TraceService, LogsService)"))
        .unwrap_or_default();
    eprintln!(
        "spanscope: receiving on http://{} (POST /v1/traces, /v1/logs, /v1/jsonl){grpc}, recording to {}; Ctrl-C to stop",
        receiver.addr,
        a.out.display()
    );
    let indexer = std::thread::spawn(move || {
        // what arrived together is derived once, then compacted when retention calls for it
        while let Ok(first) = rx.recv() {
            store.apply_all(std::iter::once(first).chain(rx.try_iter()));
            if store.needs_compaction() {
                store.compact();
            }
        }
        store
    });
    receiver
        .wait_for_signal()
        .map_err(|e| Failure::source(format!("cannot wait for signals: {e}")))?;
    let counters = std::sync::Arc::clone(&receiver.counters);
    receiver
        .stop()
        .map_err(|e| Failure::source(format!("the receiver failed: {e}")))?;
    let store = indexer
        .join()
        .map_err(|_| Failure::source("the indexer failed"))?;
    summarize_receiver(&store, &counters, &spool);
    Ok(())
}
