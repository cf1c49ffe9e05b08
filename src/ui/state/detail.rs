//! The detail pane's state: the tab, the scroll, and the decoded texts of the selected span.

use crate::ingest::detail::SpanDetail;
use crate::model::SpanIdx;

/// Detail tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Prompt,
    Response,
    Tokens,
    Attributes,
    Error,
    Raw,
}

impl Tab {
    pub const ALL: [Tab; 6] = [
        Tab::Prompt,
        Tab::Response,
        Tab::Tokens,
        Tab::Attributes,
        Tab::Error,
        Tab::Raw,
    ];

    #[must_use]
    pub fn title(self) -> &'static str {
        match self {
            Tab::Prompt => "Prompt",
            Tab::Response => "Response",
            Tab::Tokens => "Tokens & model",
            Tab::Attributes => "Attributes",
            Tab::Error => "Error",
            Tab::Raw => "Raw",
        }
    }

    pub fn index(self) -> usize {
        Tab::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }
}

/// The detail pane.
#[derive(Debug, Default)]
pub struct DetailState {
    pub tab_index: usize,
    pub scroll: u16,
    pub span: Option<SpanIdx>,
    pub detail: Option<SpanDetail>,
    pub(crate) built_for: Option<(SpanIdx, u64)>,
    /// The detail asked of the loop and not delivered yet.
    pub(crate) requested: Option<(SpanIdx, u64)>,
}

impl DetailState {
    #[must_use]
    pub fn tab(&self) -> Tab {
        Tab::ALL[self.tab_index % Tab::ALL.len()]
    }
}
