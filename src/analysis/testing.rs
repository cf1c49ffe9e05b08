//! What the analyses' tests share: an index read from lines, as a source is read.

use crate::ingest::{self, Options};
use crate::model::Store;

/// The store of `lines` (any format), read as the source "t", times without an offset as UTC.
pub fn store_of(lines: &str) -> Store {
    let mut store = Store::new();
    ingest::load_reader(
        &mut store,
        "t",
        lines.as_bytes(),
        Options { naive_utc: true },
    )
    .expect("read");
    store.refresh();
    store
}
