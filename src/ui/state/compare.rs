//! The comparison's state (`m` marks trace A, `=` compares the selected one with it): the
//! alignment, its rows, the selection and which part has the keys.

use super::scroll::Scroll;
use crate::analysis::diff::{self, TraceDiff};
use crate::model::TraceIdx;

/// The comparison view, and the mark it starts from.
#[derive(Debug, Default)]
pub struct CompareState {
    /// The marked trace (A).
    pub marked: Option<TraceIdx>,
    pub diff: Option<TraceDiff>,
    /// The table's cells, one row per step (see [`TraceDiff::rows`]).
    pub rows: Vec<[String; 8]>,
    pub scroll: Scroll,
    /// The keys scroll the diff text instead of the table.
    pub text_focus: bool,
    pub text_scroll: u16,
    /// Rows of the table on screen (for paging).
    pub page: usize,
}

impl CompareState {
    /// The prompt/response diff of the selected step, if it is an LM call that differs.
    #[must_use]
    pub fn selected_text(&self) -> Option<&diff::TextDiff> {
        let d = self.diff.as_ref()?;
        d.texts.iter().find(|t| t.step == self.scroll.selected)
    }
}
