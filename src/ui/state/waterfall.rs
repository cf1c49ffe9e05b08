//! The waterfall's state: the selected trace's layout, which rows are visible (collapse, slow,
//! failed and search filters), the selection, and the search inside the trace.

use super::scroll::Scroll;
use crate::analysis::breakdown::Breakdown;
use crate::model::waterfall::Waterfall;
use crate::model::{SpanIdx, Store, TraceIdx};
use std::collections::HashSet;

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
    pub(crate) built_for: Option<(TraceIdx, u64, bool, bool, u64)>,
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
        let layout = Waterfall::new(store, t);
        self.prefixes = layout.prefixes();
        self.breakdown = Breakdown::new(&store.tree_inputs(t), &layout.tree, &layout.rows);
        self.layout = Some(layout);
    }

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
