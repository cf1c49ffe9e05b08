//! The waterfall's state: the selected trace's layout, which rows are visible (collapse, slow,
//! failed and search filters), the selection, and the search inside the trace.

use super::scroll::Scroll;
use crate::analysis::critical::critical_path;
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
    /// Which spans of `layout` (by tree index) are on the critical path, made when the layout
    /// is shown with the path marked.
    pub on_critical_path: Option<Vec<bool>>,
}

impl WaterfallState {
    /// Lay out trace `t` again: the tree prefixes now, the critical path when asked for.
    pub fn set_layout(&mut self, layout: Waterfall) {
        self.prefixes = layout.prefixes();
        self.on_critical_path = None;
        self.layout = Some(layout);
    }

    /// Find the critical path of the laid-out trace when it is to be marked and not found yet.
    pub fn find_critical_path(&mut self, store: &Store) {
        if !self.critical || self.on_critical_path.is_some() {
            return;
        }
        let (Some(t), Some(wf)) = (self.trace, self.layout.as_ref()) else {
            return;
        };
        self.on_critical_path = Some(critical_path(&store.tree_inputs(t), &wf.tree).on_path);
    }

    /// Whether the span at tree index `i` is on the marked critical path.
    #[must_use]
    pub fn is_critical(&self, i: usize) -> bool {
        self.on_critical_path
            .as_ref()
            .is_some_and(|on| on.get(i).copied().unwrap_or(false))
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
