//! The waterfall's state: the selected trace's layout, which rows are visible (collapse, slow,
//! failed and search filters), the selection, and the search inside the trace.

use super::scroll::Scroll;
use crate::analysis::breakdown::Breakdown;
use crate::model::waterfall::Waterfall;
use crate::model::{SpanIdx, Store, TraceIdx};
use std::collections::HashSet;
use std::time::{Duration, Instant};

/// The waterfall of the selected trace, and which of its rows are shown.
#[derive(Debug, Default)]
pub struct WaterfallState {
    pub trace: Option<TraceIdx>,
    pub layout: Option<Waterfall>,
    /// Indexes into `layout.rows` that are visible (collapse, slow and failed filters applied).
    pub visible: Vec<usize>,
    pub collapsed: HashSet<SpanIdx>,
    pub scroll: Scroll,
    pub critical: bool,
    /// The search inside the trace (`/` in the waterfall).
    pub search: Option<SpanSearch>,
    /// The searchable text of each span of one trace (lowercase), built when a search needs it.
    pub(crate) search_texts: Option<SearchTexts>,
    /// The texts asked of the loop for a search and not delivered yet: trace and revision.
    pub(crate) search_requested: Option<(TraceIdx, u32)>,
    /// Only the first spans' texts are in `search_texts` (a huge trace).
    pub search_partial: bool,
    /// What the visible rows were found for: the trace, the revision it was laid out at, the
    /// slow and failed filters, the collapsed spans' version.
    pub(crate) built_for: Option<(TraceIdx, u64, bool, bool, u64)>,
    /// The trace and its revision that `layout` is of (`None`: lay it out again).
    pub(crate) laid_out: Option<(TraceIdx, u32)>,
    /// When `layout` was made, and how long making it took.
    pub(crate) laid_at: Option<(Instant, Duration)>,
    pub(crate) collapse_version: u64,
    /// The tree drawn in front of each row of `layout` (`├─`, `│ └─`), made with the layout.
    pub prefixes: Vec<String>,
    /// Where the laid-out trace's time went (its critical path, the path's steps, the span with
    /// the largest self time), found with the layout.
    pub breakdown: Breakdown,
}

impl WaterfallState {
    /// Lay out trace `t` of `store` again: the rows, their tree prefixes, and where its time
    /// went.
    pub fn set_layout(&mut self, store: &Store, t: TraceIdx) {
        let began = Instant::now();
        let layout = Waterfall::new(store, t);
        self.prefixes = layout.prefixes();
        self.breakdown = Breakdown::new(&store.tree_inputs(t), &layout.tree, &layout.rows);
        self.layout = Some(layout);
        self.laid_out = Some((t, store.trace(t).revision));
        self.laid_at = Some((began, began.elapsed()));
    }

    /// Whether trace `t` of `store`, laid out before and changed since, is laid out again now.
    /// A trace of up to [`Self::BIG`] spans is, at once. A bigger one that keeps changing (its
    /// spans arrive while it is shown) is once the time its last layout took has passed four
    /// times over: laying it out takes at most a fifth of the time, and the frames in between
    /// show it as it was.
    #[must_use]
    pub fn lay_out_again(&self, store: &Store, t: TraceIdx) -> bool {
        if self.layout.is_none() || self.laid_out.is_none_or(|(lt, _)| lt != t) {
            return true;
        }
        if self.laid_out == Some((t, store.trace(t).revision)) {
            return false;
        }
        store.trace(t).spans.len() <= Self::BIG
            || self
                .laid_at
                .is_none_or(|(at, took)| at.elapsed() >= took * 5)
    }

    /// Spans in a trace that is laid out again every time it changes.
    pub const BIG: usize = 4096;

    /// Keep the selection inside a window of `height` rows, with no blank rows below the last
    /// span while rows above it are hidden: when the terminal grows, the rows scrolled off come
    /// back from the top, the root first.
    pub fn follow(&mut self, height: usize) {
        self.scroll.follow(height);
        let most = self.visible.len().saturating_sub(height.max(1));
        self.scroll.offset = self.scroll.offset.min(most);
    }

    /// Whether the span at tree index `i` is on the critical path and the path is marked.
    #[must_use]
    pub fn is_critical(&self, i: usize) -> bool {
        self.critical && self.breakdown.on_path(i)
    }
}

/// The searchable text of each span of a trace, and the trace and its revision it is for.
pub type SearchTexts = (TraceIdx, u32, Vec<(SpanIdx, String)>);

/// A search inside the selected trace.
#[derive(Debug, Clone, Default)]
pub struct SpanSearch {
    pub query: String,
    /// The spans whose name, attributes, prompt, response, inputs, outputs or error contain
    /// the query (case-insensitive).
    pub hits: HashSet<SpanIdx>,
    /// Show only the hits and their ancestors (`f`).
    pub only: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::{fan, span};

    fn grow(s: &mut Store) {
        let src = s.add_source("more");
        s.insert(src, span("t", "late", Some("r"), 3, 4));
        s.refresh();
    }

    /// A trace is laid out again when it changed: at once when it is small; when it is big,
    /// once the time of its last layout has passed four times over.
    #[test]
    fn a_trace_is_laid_out_again_when_it_changed_and_a_big_one_at_a_pace() {
        for (n, big) in [(10, false), (WaterfallState::BIG + 1, true)] {
            let mut s = fan(n);
            let t = s.trace_ids().next().expect("a trace");
            let mut wf = WaterfallState::default();
            assert!(wf.lay_out_again(&s, t), "never laid out");
            wf.set_layout(&s, t);
            assert!(!wf.lay_out_again(&s, t), "unchanged");
            grow(&mut s);
            // as if the last layout had just taken an hour
            wf.laid_at = Some((Instant::now(), Duration::from_secs(3600)));
            assert_eq!(wf.lay_out_again(&s, t), !big, "{n} spans, changed");
            // and as if it took no time
            wf.laid_at = Some((Instant::now(), Duration::ZERO));
            assert!(wf.lay_out_again(&s, t), "{n} spans, changed, time passed");
            wf.set_layout(&s, t);
            assert_eq!(wf.layout.as_ref().map(|l| l.rows.len()), Some(n + 1));
            assert!(!wf.lay_out_again(&s, t));
            // compaction: the layout's indexes moved
            wf.laid_out = None;
            assert!(wf.lay_out_again(&s, t));
        }
    }
}
