//! The filtered and sorted trace list, rebuilt only when what it depends on changes (the store's
//! generation, the query, the toggles, the sort), never in `render`.

use crate::model::stats::{percentile, percentile_of};
use crate::model::{Nanos, Store, TextHits, TraceIdx};
use crate::query::{self, Query, SortKey};
use crate::ui::state::list::Need;
use crate::ui::state::scroll::Scroll;

/// What the list depends on.
#[derive(Debug, Clone, PartialEq)]
pub struct ViewKey {
    pub generation: u64,
    /// What the text searches found so far (`TextSearch::version`).
    pub text_version: u64,
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
    /// How wide the listed traces' names and models are, for sharing the width between them.
    pub need: Need,
    key: Option<ViewKey>,
}

impl View {
    /// Keep the rows `f` maps to `Some` (as what it maps them to), with the same trace selected
    /// in `list` when it stays.
    pub fn retain_rows(&mut self, list: &mut Scroll, f: impl Fn(TraceIdx) -> Option<TraceIdx>) {
        let selected = self.rows.get(list.selected).copied().and_then(&f);
        let before = self.rows.len();
        self.rows.retain_mut(|t| match f(*t) {
            Some(n) => {
                *t = n;
                true
            }
            None => false,
        });
        if self.rows.len() != before
            && let Some(t) = selected
            && let Some(i) = self.rows.iter().position(|&r| r == t)
        {
            list.selected = i;
        }
        list.clamp(self.rows.len());
    }

    /// What the rows were built for.
    #[must_use]
    pub fn key(&self) -> Option<&ViewKey> {
        self.key.as_ref()
    }

    /// Rebuild if `key` differs from the last build. Returns whether it rebuilt.
    pub fn refresh(&mut self, store: &Store, q: &Query, hits: &TextHits, key: ViewKey) -> bool {
        if self.key.as_ref() == Some(&key) {
            return false;
        }
        let cols = store.columns();
        let mut rows = query::filter_with_text(store, q, Some(hits));
        rows.retain(|&t| {
            let i = t.0 as usize;
            (!key.slow_only || cols.duration[i] >= key.slow_threshold)
                && (!key.failed_only || cols.failed(i))
        });
        query::sort(store, &mut rows, key.sort, key.reverse);
        let mut durs: Vec<Nanos> = rows.iter().map(|&t| cols.duration[t.0 as usize]).collect();
        if key.sort == SortKey::Dur {
            // already in order: slowest first, or fastest first when reversed
            if !key.reverse {
                durs.reverse();
            }
            self.p95 = percentile(&durs, 95.0);
            self.p50 = percentile(&durs, 50.0);
        } else {
            self.p95 = percentile_of(&mut durs, 95.0);
            self.p50 = percentile_of(&mut durs, 50.0);
        }
        self.max_duration = durs.iter().copied().max().unwrap_or(0);
        self.need = need(store, &rows);
        self.rows = rows;
        self.key = Some(key);
        true
    }
}

/// The widest name and model of `rows` (at least as wide as their column headers, `NAME▼` and
/// `MODEL▼`). Each distinct string is measured once.
fn need(store: &Store, rows: &[TraceIdx]) -> Need {
    let mut names = foldhash::HashSet::default();
    let mut models = foldhash::HashSet::default();
    for &t in rows {
        let s = &store.trace(t).summary;
        names.extend(s.name);
        models.extend(s.model);
    }
    let widest = |syms: foldhash::HashSet<crate::model::Sym>, header: usize| {
        syms.into_iter()
            .map(|s| crate::text::width(store.str(s)))
            .fold(header, usize::max)
    };
    Need {
        name: widest(names, 5),
        model: widest(models, 6),
    }
}

/// A percentile of every trace's duration (p95 unless configured): the default slow threshold.
#[must_use]
pub fn default_slow_threshold(store: &Store, percentile: f64) -> Nanos {
    let cols = store.columns();
    let mut d: Vec<Nanos> = store
        .trace_ids()
        .map(|t| cols.duration[t.0 as usize])
        .collect();
    percentile_of(&mut d, percentile).unwrap_or(0)
}
