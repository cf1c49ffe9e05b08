//! The waterfall's state: the selected trace's layout, which rows are visible (collapse, slow,
//! failed and search filters), the selection, and the search inside the trace.

use super::scroll::Scroll;
use crate::model::waterfall::Waterfall;
use crate::model::{SpanIdx, TraceIdx};
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
    pub(crate) built_for: Option<(TraceIdx, u64, bool, bool, u64)>,
    pub(crate) collapse_version: u64,
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
