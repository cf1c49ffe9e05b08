//! The filtered and sorted trace list, rebuilt only when what it depends on changes (the store's
//! generation, the query, the toggles, the sort), never in `render`.

use crate::model::shares;
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

impl ViewKey {
    /// The key of the list `query` keeps, in the order of `sort`, with no toggle on (neither
    /// slow nor failed only), at the store's first generation and before any text search.
    #[must_use]
    pub fn listing(query: &str, sort: SortKey, reverse: bool) -> Self {
        ViewKey {
            generation: 0,
            text_version: 0,
            query: query.into(),
            slow_only: false,
            failed_only: false,
            slow_threshold: 0,
            sort,
            reverse,
        }
    }

    /// Whether a list built for `self` holds the rows one built for `other` does, in whatever
    /// order: they differ at most in the sort.
    fn lists_as(&self, other: &Self) -> bool {
        *self
            == Self {
                sort: self.sort,
                reverse: self.reverse,
                ..other.clone()
            }
    }

    /// Whether `self` and `other` differ at most in what data came (the store's generation,
    /// what the text searches found): no key was pressed between them.
    fn asks_as(&self, other: &Self) -> bool {
        *self
            == Self {
                generation: self.generation,
                text_version: self.text_version,
                ..other.clone()
            }
    }
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
        if self.key.as_ref().is_some_and(|k| k.lists_as(&key)) {
            // the same rows in another order: what the header says of them stands
            query::sort(store, &mut self.rows, key.sort, key.reverse);
            self.key = Some(key);
            return true;
        }
        if self.key.as_ref().is_some_and(|k| k.asks_as(&key)) {
            // rebuilt because data came: the other cores are the parsers'
            shares::alone(|| self.rebuild(store, q, hits, key));
        } else {
            // a key was pressed: every core, for the answer the user waits for
            self.rebuild(store, q, hits, key);
        }
        true
    }

    /// Filter, read the header of and sort the listed rows anew.
    fn rebuild(&mut self, store: &Store, q: &Query, hits: &TextHits, key: ViewKey) {
        let cols = store.columns();
        let mut rows = query::filter_with_text(store, q, Some(hits));
        if key.slow_only || key.failed_only {
            rows.retain(|&t| {
                let i = t.0 as usize;
                (!key.slow_only || cols.duration[i] >= key.slow_threshold)
                    && (!key.failed_only || cols.failed(i))
            });
        }
        let (header, mut durs) = Header::of(store, &rows);
        self.max_duration = if durs.is_empty() { 0 } else { header.range.1 };
        [self.p95, self.p50] = percentiles_in(&mut durs, header.range, [95.0, 50.0]);
        self.need = header.widths.need(store);
        self.cost = header.cost;
        self.unpriced = header.unpriced;
        query::sort(store, &mut rows, key.sort, key.reverse);
        self.rows = rows;
        self.key = Some(key);
    }
}

/// What the list's header says of its rows (but their percentiles).
struct Header {
    /// The least and the greatest duration.
    range: (Nanos, Nanos),
    cost: Option<Nanodollars>,
    unpriced: u64,
    widths: Widths,
}

impl Header {
    /// The header of `rows`, and their durations. Read in index order (the columns' own order)
    /// before the sort scatters them: in sorted order every read is a cache miss. A long list
    /// is read in shares, one per core.
    fn of(store: &Store, rows: &[TraceIdx]) -> (Self, Vec<Nanos>) {
        let mut durs = vec![0; rows.len()];
        let ranges = shares::ranges(rows.len());
        let parts = ranges
            .iter()
            .cloned()
            .zip(shares::split_mut(&mut durs, &ranges));
        let mut shares = shares::in_shares(parts.collect(), |(r, durs)| {
            Self::read(store, &rows[r], durs)
        })
        .into_iter();
        let mut header = shares
            .next()
            .unwrap_or_else(|| Self::read(store, &[], &mut []));
        for part in shares {
            header.add(part);
        }
        (header, durs)
    }

    /// One share: what `rows` say; their durations go to `durs`.
    fn read(store: &Store, rows: &[TraceIdx], durs: &mut [Nanos]) -> Self {
        let cols = store.columns();
        let mut widths = Widths::new(store);
        let (mut cost, mut priced, mut unpriced) = (0u64, false, 0);
        let mut range = (Nanos::MAX, Nanos::MIN);
        // few branches: a choice between two values is a move, not a jump
        for (&t, slot) in rows.iter().zip(durs) {
            let i = t.0 as usize;
            let d = cols.duration[i];
            *slot = d;
            range = (range.0.min(d), range.1.max(d));
            let c = cols.cost(i);
            cost = cost.saturating_add(c.map_or(0, |c| c.0));
            priced |= c.is_some();
            unpriced += u64::from(cols.unpriced(i));
            widths.mark(cols, i);
        }
        Self {
            range,
            cost: priced.then_some(Nanodollars(cost)),
            unpriced,
            widths,
        }
    }

    /// Another share's header.
    fn add(&mut self, o: Self) {
        self.range = (self.range.0.min(o.range.0), self.range.1.max(o.range.1));
        self.cost = match (self.cost, o.cost) {
            (Some(a), Some(b)) => Some(a + b),
            (a, b) => a.or(b),
        };
        self.unpriced += o.unpriced;
        for (a, b) in self.widths.seen.iter_mut().zip(o.widths.seen) {
            *a |= b;
        }
    }
}

/// The widest name and model of the rows marked (at least as wide as their column headers,
/// `NAME▼` and `MODEL▼`). Each distinct string is measured once.
struct Widths {
    /// Per symbol of the store: bit 1, a listed trace's name; bit 2, its model. The last slot
    /// is "no symbol"'s.
    seen: Vec<u8>,
}

impl Widths {
    fn new(store: &Store) -> Self {
        Self {
            seen: vec![0u8; store.strings.len() + 1],
        }
    }

    /// Trace row `i` is listed.
    fn mark(&mut self, cols: &TraceColumns, i: usize) {
        let none = self.seen.len() - 1;
        for (raw, bit) in [(cols.name[i], 1), (cols.model[i], 2)] {
            // no symbol (`NO_SYM`, above every symbol) marks the last slot
            let s = (raw as usize).min(none);
            // a test before the write: or-ing into the same few bytes every row chains each
            // row's store to the next row's load
            if self.seen[s] & bit == 0 {
                self.seen[s] |= bit;
            }
        }
    }

    fn need(&self, store: &Store) -> Need {
        let widest = |bit: u8, header: usize| {
            self.seen[..self.seen.len() - 1]
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::store::{Record, SpanRecord};
    use crate::model::{SpanKind, SpanStatus, Tokens};

    /// 40 traces: durations, names, models and outcomes that differ.
    fn store() -> Store {
        let mut s = Store::new();
        let src = s.add_source("t");
        for n in 0..40i64 {
            let span = SpanRecord {
                trace_id: format!("{n:032x}"),
                span_id: "r".into(),
                name: Some(["qa", "rag.forward", "summarize"][(n % 3) as usize].into()),
                kind: Some(SpanKind::Llm),
                start: Some(n * 1_000),
                end: Some(n * 1_000 + (n * 37 % 11) * 100),
                status: Some(if n % 7 == 0 {
                    SpanStatus::Error
                } else {
                    SpanStatus::Ok
                }),
                model: Some(["gpt-4o", "claude-3-5-haiku"][(n % 2) as usize].into()),
                tokens: Some(Tokens::counts(10, 5, 15 + n.unsigned_abs() % 4)),
                complete: true,
                ..SpanRecord::default()
            };
            s.insert(src, Record::Span(span));
        }
        s.refresh();
        s
    }

    fn built(store: &Store, key: ViewKey) -> View {
        let mut v = View::default();
        let q = query::parse(&key.query).expect("query");
        assert!(v.refresh(store, &q, &TextHits::default(), key));
        v
    }

    /// A change of sort orders the rows it has again; the list and its header are those a
    /// build from nothing gives.
    #[test]
    fn a_new_sort_orders_the_same_rows_as_a_new_build_does() {
        let s = store();
        for q in ["", "dur>300ns", "model:gpt"] {
            let mut v = built(&s, ViewKey::listing(q, SortKey::Start, false));
            let parsed = query::parse(q).expect("query");
            for (sort, reverse) in [
                (SortKey::Dur, false),
                (SortKey::Name, true),
                (SortKey::Status, false),
                (SortKey::Start, true),
            ] {
                assert!(v.refresh(
                    &s,
                    &parsed,
                    &TextHits::default(),
                    ViewKey::listing(q, sort, reverse)
                ));
                let fresh = built(&s, ViewKey::listing(q, sort, reverse));
                assert_eq!(v.rows, fresh.rows, "{q} {sort:?} {reverse}");
                assert_eq!(
                    (v.p50, v.p95, v.max_duration, v.need, v.cost, v.unpriced),
                    (
                        fresh.p50,
                        fresh.p95,
                        fresh.max_duration,
                        fresh.need,
                        fresh.cost,
                        fresh.unpriced
                    ),
                );
            }
            // the filter changed: the rows are another set
            let other = built(&s, ViewKey::listing("status:error", SortKey::Start, true));
            assert!(v.refresh(
                &s,
                &query::parse("status:error").expect("query"),
                &TextHits::default(),
                ViewKey::listing("status:error", SortKey::Start, true)
            ));
            assert_eq!(v.rows, other.rows);
            assert!(v.rows.len() < 40 && !v.rows.is_empty());
            // data came (a new generation): built again, on this thread alone, to the same
            let mut came = ViewKey::listing("status:error", SortKey::Start, true);
            came.generation += 1;
            let parsed = query::parse("status:error").expect("query");
            assert!(v.refresh(&s, &parsed, &TextHits::default(), came));
            assert_eq!(v.rows, other.rows);
        }
    }
}
