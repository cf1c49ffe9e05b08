//! Deriving the trace rows that records changed ([`derive`]), all of them or only those worth
//! deriving while more records are coming, and the guard a loader feeds the store through.

use super::Nanos;
use super::derive;
use super::intern::Sym;
use super::prices;
use super::records::Batch;
use super::session;
use super::span::Tokens;
use super::store::Store;
use foldhash::HashMap;
use std::cell::RefCell;
use std::ops::{Deref, DerefMut};

impl Store {
    /// Derive the trace rows changed by records inserted one by one with [`Store::insert`].
    /// [`Store::apply`], [`Store::apply_all`] and [`Loading`] do it themselves; cheap when
    /// nothing changed.
    pub fn refresh(&mut self) {
        self.derive_where(|_, _| true);
    }

    /// While a source is read straight into the store: derive the changed traces that have at
    /// least twice the spans they had when last derived (a new trace always), so that deriving
    /// overlaps the reading instead of following it. A trace whose spans are spread through
    /// the source is derived a few times, with work at most about twice its last derive's,
    /// not once per block; one of more than [`Store::DERIVED_WHILE_READ`] spans only once,
    /// by [`Store::refresh`] at the end, which derives what is left.
    pub fn refresh_grown(&mut self) {
        self.derive_where(|spans, derived| {
            spans <= Self::DERIVED_WHILE_READ && spans >= 2 * derived
        });
    }

    /// Derive the changed traces of up to [`Store::DERIVED_WHILE_READ`] spans, and say whether
    /// bigger ones were left changed (for [`Store::refresh`] to derive when the caller sees
    /// fit: a frame drawn while one keeps growing need not wait for its whole derive each time).
    pub fn refresh_but_big(&mut self) -> bool {
        self.derive_where(|spans, _| spans <= Self::DERIVED_WHILE_READ);
        !self.dirty.is_empty()
    }

    /// The most spans a trace derived while its source is read has: a bigger one's derive
    /// would hold its working memory while the blocks after it are parsed.
    pub const DERIVED_WHILE_READ: usize = 4096;

    /// Derive the changed traces for which `pick(spans now, spans when last derived)` holds;
    /// the others stay changed.
    fn derive_where(&mut self, pick: impl Fn(usize, usize) -> bool) {
        let dirty = std::mem::take(&mut self.dirty);
        let mut left = Vec::new();
        let mut derived = false;
        let mut scratch = derive::Scratch::default();
        // each model's prices, looked up once per refresh
        let models: RefCell<HashMap<Sym, Option<&'static prices::Model>>> = RefCell::default();
        let session_keys = session::key_syms(self.session_key.as_deref(), &self.strings);
        let empty = self.strings.get("");
        for t in dirty {
            if !self.is_live(t) {
                continue;
            }
            let tr = &self.traces[t.0 as usize];
            if !pick(
                tr.spans.len(),
                self.columns.span_count[t.0 as usize] as usize,
            ) {
                left.push(t);
                continue;
            }
            let stated = self.stated_tokens.get(&t).copied();
            let strings = &self.strings;
            let cost_of = |t: &Tokens, model: Option<Sym>, at: Option<Nanos>| {
                t.stated_cost.or_else(|| {
                    let m = model?;
                    let found = *models
                        .borrow_mut()
                        .entry(m)
                        .or_insert_with(|| prices::model_of(strings.resolve(m)));
                    Some(found?.price_at(at)?.cost(t))
                })
            };
            let mut summary = derive::summary(tr, stated, &self.spans, &cost_of, &mut scratch);
            summary.session = session::session_of(
                &tr.spans,
                summary.root,
                &self.spans,
                &self.attrs,
                &session_keys,
                empty,
            );
            // the score is what records stated, not derived from the spans
            summary.score = self.columns.score(t.0 as usize);
            self.columns.set(t.0 as usize, &summary);
            self.traces[t.0 as usize].dirty = false;
            derived = true;
        }
        if derived {
            // what the rows say changed, though no record came since the last change
            self.generation += 1;
        }
        self.dirty = left;
    }

    /// Records or batches for the store from the thread that owns it (a loader): the traces
    /// they change are derived when the guard is dropped.
    pub fn loading(&mut self) -> Loading<'_> {
        Loading {
            store: self,
            whole: true,
        }
    }
}

/// The store while a loader on its own thread feeds it records one by one or batches that
/// nobody reads until the end (a recording): it reads and writes the store as usual, and
/// derives the traces that changed once, when dropped, so that a loader cannot leave them
/// stale and a trace fed a span at a time is not derived again for each.
#[derive(Debug)]
pub struct Loading<'a> {
    store: &'a mut Store,
    /// Derive every changed trace when dropped, not only what [`Store::refresh_grown`] does.
    whole: bool,
}

impl Loading<'_> {
    /// When dropped, derive only the new traces and those that have doubled their spans
    /// ([`Store::refresh_grown`]); the others wait for the next [`Store::refresh`] (the
    /// explorer's before each frame) or a guard that derives them all. For a loader that
    /// indexes batches more often than anyone reads the rows: a trace they keep adding to is
    /// not derived whole after each.
    pub fn derive_grown_only(&mut self) {
        self.whole = false;
    }

    /// Index a batch, deriving what it changed when the guard drops (not on return, unlike
    /// [`Store::apply`]).
    pub fn apply(&mut self, batch: Batch) {
        self.store.index(batch);
    }
}

impl Deref for Loading<'_> {
    type Target = Store;

    fn deref(&self) -> &Store {
        self.store
    }
}

impl DerefMut for Loading<'_> {
    fn deref_mut(&mut self) -> &mut Store {
        self.store
    }
}

impl Drop for Loading<'_> {
    fn drop(&mut self) {
        if self.whole {
            self.store.refresh();
        } else {
            self.store.refresh_grown();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::span;
    use crate::model::trace::TraceIdx;

    /// A guard told to derive only what has grown leaves the other changed traces for the
    /// next guard that derives them all, and that derive tells the readers of the rows so.
    #[test]
    fn a_guard_can_leave_traces_that_have_not_doubled_for_a_later_one() {
        let mut s = Store::new();
        let src = s.add_source("t");
        let derived = |s: &Store| s.summary(TraceIdx(0)).span_count;
        for (i, id) in ["r", "a", "b"].into_iter().enumerate() {
            let mut l = s.loading();
            l.derive_grown_only();
            l.insert(src, span("t", id, (i > 0).then_some("r"), 0, 10));
        }
        // derived at 1 and at 2 spans; 3 is not twice 2
        assert_eq!(derived(&s), 2);
        let before = s.generation();
        drop(s.loading());
        assert_eq!(derived(&s), 3);
        assert!(s.generation() > before, "the rows changed with no record");
        let before = s.generation();
        drop(s.loading());
        assert_eq!(s.generation(), before, "nothing was left to derive");
    }
}
