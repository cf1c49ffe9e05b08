//! The input line's state (the filter `/`, a `:` command, a search in the waterfall): the line
//! being edited, the error of the query typed so far, the histories with the place in them, and
//! the completion list shown under Tab.

use super::line::LineEditor;
use crate::query::QueryError;
use crate::query::complete::{Candidate, Vocabulary};

/// The open bar.
#[derive(Debug, Clone, Default)]
pub struct InputLine {
    /// What the bar holds, and the cursor in it.
    pub line: LineEditor,
    /// Why the filter typed so far does not parse (the last good one stays applied).
    pub error: Option<QueryError>,
    /// Filters applied with Enter, oldest first.
    pub history: Vec<String>,
    /// Commands run from the `:` line, oldest first.
    pub commands: Vec<String>,
    /// Where ↑/↓ are in the history (`None`: at the text being typed).
    pub history_pos: Option<usize>,
    /// What was being typed when ↑ went into the history, given back by ↓ past its end.
    pub draft: String,
    /// The filter in use when the bar opened.
    pub opened_with: String,
    /// The completions Tab offered, while they are shown.
    pub menu: Option<Menu>,
    /// What completion knows of the store, and the store generation it was made for.
    pub vocabulary: Option<(u64, Vocabulary)>,
}

impl InputLine {
    /// What the bar holds.
    #[must_use]
    pub fn text(&self) -> &str {
        self.line.text()
    }

    /// A fresh line holding `text`, the cursor at its end (history browsing starts over).
    pub fn open(&mut self, text: &str) {
        self.line.set(text);
        self.error = None;
        self.history_pos = None;
        self.menu = None;
    }
}

/// The completions of one Tab: what they replace and which one is put in.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Menu {
    /// The chars of the line the candidates replace: from `start` up to `end`, which moves as
    /// one candidate after another is put in.
    pub start: usize,
    pub end: usize,
    pub items: Vec<Candidate>,
    /// The candidate in the line (`None`: only their common beginning is).
    pub selected: Option<usize>,
}
