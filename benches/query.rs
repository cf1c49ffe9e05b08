//! A keystroke in the filter bar (the list's whole rebuild: filter, toggles, sort, the header's
//! percentiles) and a change of sort column (the listed rows ordered again), over 100k and 1M
//! traces (4 spans each), as the explorer does them. Run: `cargo bench --bench query`.

mod common;

use spanscope::model::{Store, TextHits};
use spanscope::query::{self, SortKey};
use spanscope::ui::view::{View, ViewKey};
use std::sync::OnceLock;

/// The allocator the binary runs with: what a rebuild allocates is timed as the explorer pays it.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    divan::main();
}

fn store<const N: usize>() -> &'static Store {
    static SMALL: OnceLock<Store> = OnceLock::new();
    static LARGE: OnceLock<Store> = OnceLock::new();
    let cell = if N <= 100_000 { &SMALL } else { &LARGE };
    let s = cell.get_or_init(|| common::synthetic_store(N));
    assert_eq!(s.trace_count(), N);
    s
}

/// The filter bar's text changed; the list keeps its sort (by start, oldest first: the default).
#[divan::bench(
    consts = [100_000, 1_000_000],
    args = ["", "dur>2s", "status:error", "model:gpt-4o", "span.dur>1s span.kind:llm", "rag"],
    sample_count = 20,
)]
fn refilter<const N: usize>(bencher: divan::Bencher, q: &str) {
    let store = store::<N>();
    let parsed = query::parse(q).expect("query");
    bencher.bench(|| {
        let mut view = View::default();
        view.refresh(
            store,
            &parsed,
            &TextHits::default(),
            ViewKey::listing(q, SortKey::Start, false),
        );
        view.rows.len()
    });
}

/// The sort column changed; every trace is listed. The list was built by start (by duration
/// for the start row), as the explorer holds it when the key is pressed.
#[divan::bench(
    consts = [100_000, 1_000_000],
    args = [SortKey::Start, SortKey::Dur, SortKey::Tokens, SortKey::Status, SortKey::Name],
    sample_count = 20,
)]
fn resort<const N: usize>(bencher: divan::Bencher, sort: SortKey) {
    let store = store::<N>();
    let all = query::parse("").expect("query");
    let before = if sort == SortKey::Start {
        SortKey::Dur
    } else {
        SortKey::Start
    };
    bencher
        .with_inputs(|| {
            let mut view = View::default();
            view.refresh(
                store,
                &all,
                &TextHits::default(),
                ViewKey::listing("", before, false),
            );
            view
        })
        .bench_local_values(|mut view| {
            view.refresh(
                store,
                &all,
                &TextHits::default(),
                ViewKey::listing("", sort, false),
            );
            // dropped outside the timing
            view
        });
}
