//! The filtered and sorted trace list, rebuilt only when what it depends on changes (the store's
//! generation, the query, the toggles, the sort), never in `render`.

use crate::model::stats::percentile;
use crate::model::{Nanos, Store, TraceIdx, TraceStatus};
use crate::query::{self, Query, SortKey};

/// What the list depends on.
#[derive(Debug, Clone, PartialEq)]
pub struct ViewKey {
    pub generation: u64,
    pub query: String,
    pub slow_only: bool,
    pub failed_only: bool,
    pub slow_threshold: Nanos,
    pub sort: SortKey,
    pub reverse: bool,
}

/// The rows of the trace list.
#[derive(Debug, Default)]
pub struct View {
    pub rows: Vec<TraceIdx>,
    pub p50: Option<Nanos>,
    pub p95: Option<Nanos>,
    /// The slowest visible trace, for scaling the duration bars.
    pub max_duration: Nanos,
    key: Option<ViewKey>,
}

impl View {
    /// What the rows were built for.
    #[must_use]
    pub fn key(&self) -> Option<&ViewKey> {
        self.key.as_ref()
    }

    /// Rebuild if `key` differs from the last build. Returns whether it rebuilt.
    pub fn refresh(&mut self, store: &Store, q: &Query, key: ViewKey) -> bool {
        if self.key.as_ref() == Some(&key) {
            return false;
        }
        let mut rows = query::filter(store, q);
        rows.retain(|&t| {
            let s = &store.trace(t).summary;
            (!key.slow_only || s.duration >= key.slow_threshold)
                && (!key.failed_only || s.status == TraceStatus::Error || s.error_spans > 0)
        });
        query::sort(store, &mut rows, key.sort, key.reverse);
        let mut durs: Vec<Nanos> = rows
            .iter()
            .map(|&t| store.trace(t).summary.duration)
            .collect();
        durs.sort_unstable();
        self.p50 = percentile(&durs, 50.0);
        self.p95 = percentile(&durs, 95.0);
        self.max_duration = durs.last().copied().unwrap_or(0);
        self.rows = rows;
        self.key = Some(key);
        true
    }
}

/// The p95 of every trace's duration: the default slow threshold.
#[must_use]
pub fn default_slow_threshold(store: &Store) -> Nanos {
    let mut d: Vec<Nanos> = store
        .trace_ids()
        .map(|t| store.trace(t).summary.duration)
        .collect();
    d.sort_unstable();
    percentile(&d, 95.0).unwrap_or(0)
}
