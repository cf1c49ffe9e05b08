//! `text:"..."` as the explorer runs it once the log is indexed: the payload search alone, on
//! every core (the index is built once, outside the timing). It is what `grep -ci` does to the
//! same file, and `benches/compare.sh` times the two, and the whole `list --filter text:...`
//! command, in one run.
//!
//! The log is `SPANSCOPE_BENCH_LOG`, else the 100 MB steps log `benches/compare.sh` writes
//! (`target/bench-data/steps-100mb-seed42.jsonl`). Run: `cargo bench --bench search`.

use spanscope::ingest::{self, search};
use spanscope::model::Store;
use std::path::PathBuf;
use std::sync::OnceLock;

fn main() {
    divan::main();
}

fn log() -> PathBuf {
    std::env::var_os("SPANSCOPE_BENCH_LOG").map_or_else(
        || PathBuf::from("target/bench-data/steps-100mb-seed42.jsonl"),
        PathBuf::from,
    )
}

fn store() -> &'static Store {
    static STORE: OnceLock<Store> = OnceLock::new();
    STORE.get_or_init(|| {
        let path = log();
        let mut s = Store::new();
        ingest::load_path(&mut s, &path, ingest::Options::default()).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (run benches/compare.sh once to write it, or set SPANSCOPE_BENCH_LOG)",
                path.display()
            )
        });
        s.refresh();
        s
    })
}

/// A rare phrase (an error of one request in 33), a word said in some answers, and a word
/// every record says (each record is then decoded to check it).
#[divan::bench(args = ["rate limit", "timed out", "the"], sample_count = 5)]
fn text(bencher: divan::Bencher, what: &str) {
    let store = store();
    bencher.bench(|| search::search_store(store, &[what]));
}

/// `grep -ci` on the same log, in the same run: the peer a search is measured against.
#[divan::bench(args = ["rate limit", "timed out", "the"], sample_count = 5)]
fn grep_ci(bencher: divan::Bencher, what: &str) {
    let path = log();
    bencher.bench(|| {
        std::process::Command::new("grep")
            .arg("-ci")
            .arg(what)
            .arg(&path)
            .output()
            .map(|o| o.stdout.len())
            .unwrap_or(0)
    });
}
