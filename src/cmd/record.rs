//! `spanscope record`: receive a live feed until SIGINT or SIGTERM and keep it in a file.

use super::common::Failure;
use super::receiver::{start_receiver, summarize_receiver};
use crate::model::Store;
use crate::{cli, ingest};

/// What `record` keeps in memory for its summary without `--max-memory` (the file keeps all).
const RECORD_MAX_MEMORY: u64 = 256 << 20;

/// `spanscope record`: receive until SIGINT or SIGTERM, append each accepted request to the
/// file, and account for everything received on exit.
pub fn run(a: &cli::RecordArgs) -> Result<(), Failure> {
    let mut store = Store::new();
    store.set_retention(a.retention.retention_or(RECORD_MAX_MEMORY));
    let (feed, rx) = ingest::sink::channel(store.registry());
    let opts = ingest::Options {
        naive_utc: a.naive_utc,
    };
    let receiver = start_receiver(
        &feed,
        &a.listen,
        a.max_body,
        opts,
        Some(a.out.clone()),
        a.auth.token(),
    )?;
    drop(feed);
    eprintln!(
        "spanscope: receiving on http://{} (POST /v1/traces, /v1/jsonl), recording to {}; Ctrl-C to stop",
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
    summarize_receiver(&store, &counters, Some(&a.out));
    Ok(())
}
