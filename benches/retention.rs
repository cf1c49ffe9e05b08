//! Eviction's cost: a store of N traces (4 spans each, built as `benches/common` does) with an
//! eighth more evicted, compacted. The explorer pauses for this each time an eighth of its live
//! traces has been evicted under `--max-memory` or `--max-traces`.
//! Run: `cargo bench --bench retention`.

mod common;

use spanscope::model::store::Retention;

/// The allocator the binary runs with.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    divan::main();
}

#[divan::bench(consts = [100_000, 1_000_000], sample_count = 5, sample_size = 1)]
fn compact<const N: usize>(bencher: divan::Bencher) {
    bencher
        .with_inputs(|| {
            let mut s = common::synthetic_store(N + N / 8);
            s.set_retention(Retention {
                max_traces: Some(N),
                max_bytes: None,
            });
            assert!(s.needs_compaction());
            s
        })
        .bench_local_values(|mut s| {
            s.compact();
            // returned: dropped after the sample is timed
            s
        });
}
