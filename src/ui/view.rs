//! The filtered and sorted trace list, rebuilt only when what it depends on changes (the store's
//! generation, the query, the toggles, the sort), never in `render`.

use crate::model::stats::{percentile_of, percentiles_in};
use crate::model::{Nanodollars, Nanos, Store, Sym, TextHits, TraceColumns, TraceIdx};
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
    /// What the listed traces' LM calls cost (the priced ones), and how many have no price.
    pub cost: Option<Nanodollars>,
    pub unpriced: u64,
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
        // what the header says of the rows, in one pass in index order (the columns' own order)
        // before the sort scatters it: in sorted order every read is a cache miss
        let mut durs: Vec<Nanos> = Vec::with_capacity(rows.len());
        let mut widths = Widths::new(store);
        let (mut cost, mut unpriced) = (None, 0);
        let mut range = (Nanos::MAX, Nanos::MIN);
        for &t in &rows {
            let i = t.0 as usize;
            let d = cols.duration[i];
            durs.push(d);
            range = (range.0.min(d), range.1.max(d));
            if let Some(c) = cols.cost(i) {
                cost = Some(cost.map_or(c, |sum| sum + c));
            }
            unpriced += u64::from(cols.unpriced(i));
            widths.mark(cols, i);
        }
        self.max_duration = if durs.is_empty() { 0 } else { range.1 };
        [self.p95, self.p50] = percentiles_in(&mut durs, range, [95.0, 50.0]);
        self.need = widths.need(store);
        self.cost = cost;
        self.unpriced = unpriced;
        query::sort(store, &mut rows, key.sort, key.reverse);
        self.rows = rows;
        self.key = Some(key);
        true
    }
}

/// The widest name and model of the rows marked (at least as wide as their column headers,
/// `NAME▼` and `MODEL▼`). Each distinct string is measured once.
struct Widths {
    /// Per symbol of the store: bit 1, a listed trace's name; bit 2, its model.
    seen: Vec<u8>,
}

impl Widths {
    fn new(store: &Store) -> Self {
        Self {
            seen: vec![0u8; store.strings.len()],
        }
    }

    /// Trace row `i` is listed.
    fn mark(&mut self, cols: &TraceColumns, i: usize) {
        for (raw, bit) in [(cols.name[i], 1), (cols.model[i], 2)] {
            // a test before the write: or-ing into the same few bytes every row chains each
            // row's store to the next row's load
            if let Some(s) = TraceColumns::sym(raw)
                && self.seen[s.0 as usize] & bit == 0
            {
                self.seen[s.0 as usize] |= bit;
            }
        }
    }

    fn need(&self, store: &Store) -> Need {
        let widest = |bit: u8, header: usize| {
            self.seen
                .iter()
                .enumerate()
                .filter(|&(_, &b)| b & bit != 0)
                // an index of the interner: a symbol
                .filter_map(|(s, _)| u32::try_from(s).ok())
                .map(|s| crate::text::width(store.str(Sym(s))))
                .fold(header, usize::max)
        };
        Need {
            name: widest(1, 5),
            model: widest(2, 6),
        }
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
