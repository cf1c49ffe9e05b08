//! The input line's state (the filter `/`, a `:` command, a search in the waterfall): what is
//! typed, the error of the query typed so far, and the filter history with the place in it.

use crate::query::QueryError;

/// The open bar.
#[derive(Debug, Clone, Default)]
pub struct InputLine {
    /// What the bar holds.
    pub text: String,
    /// Why the filter typed so far does not parse (the last good one stays applied).
    pub error: Option<QueryError>,
    /// Filters applied with Enter, oldest first.
    pub history: Vec<String>,
    /// Where ↑/↓ are in the history (`None`: at the text being typed).
    pub history_pos: Option<usize>,
}
