//! Everything a key can do. The doc line of each variant is also its help text.

/// A user intent, produced by the keymap and handled by the app's `update`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Action {
    /// Quit spanscope.
    Quit,
    /// Move down one row.
    Down,
    /// Move up one row.
    Up,
    /// Move down one page.
    PageDown,
    /// Move up one page.
    PageUp,
    /// Go to the first row.
    First,
    /// Go to the last row.
    Last,
    /// Open the selection (trace → waterfall → detail).
    Enter,
    /// Go back (detail → waterfall → list), or close the open bar.
    Back,
    /// Focus the next pane.
    NextPane,
    /// Focus the previous pane.
    PrevPane,
    /// Maximize the focused pane (again to restore).
    Maximize,
    /// Show only slow traces (and in the waterfall, only spans above the % threshold).
    ToggleSlow,
    /// Show only traces with a failed step, failed or recovered (and in the waterfall, failed
    /// spans and their ancestors).
    ToggleFailed,
    /// Open the filter bar (the filter language, live).
    OpenFilter,
    /// Open the command line (:sort, :goto, :slow, :min-pct, :stats, :errors, :q).
    OpenCommand,
    /// Show this help.
    Help,
    /// Sort by the column to the left.
    SortPrev,
    /// Sort by the column to the right.
    SortNext,
    /// Invert the sort order.
    InvertSort,
    /// Toggle start times between clock time and "3m ago".
    ToggleRelativeTime,
    /// Pause the list while indexing goes on (the header counts what arrived meanwhile).
    TogglePause,
    /// Keep the newest trace selected as traces arrive (like less +F).
    ToggleFollowNewest,
    /// Collapse the selected subtree (or go to its parent).
    Collapse,
    /// Expand the selected subtree.
    Expand,
    /// Collapse or expand the selected subtree.
    ToggleCollapse,
    /// Jump to the next failed span.
    NextError,
    /// Jump to the previous failed span.
    PrevError,
    /// Highlight the critical path (the spans that determine the end time).
    ToggleCritical,
    /// Jump to the next span matching the filter.
    NextMatch,
    /// Jump to the previous span matching the filter.
    PrevMatch,
    /// In the detail: the next row that says the filter's text (in this tab, then the next).
    NextFound,
    /// In the detail: the previous row that says the filter's text.
    PrevFound,
    /// Show the next detail tab.
    NextTab,
    /// Show the previous detail tab.
    PrevTab,
    /// Show the Prompt tab.
    TabPrompt,
    /// Show the Response tab.
    TabResponse,
    /// Show the Tokens & model tab.
    TabTokens,
    /// Show the Attributes tab.
    TabAttributes,
    /// Show the Error tab.
    TabError,
    /// Show the Raw tab.
    TabRaw,
    /// Step statistics: latency, errors and tokens per step, over the listed traces.
    ToggleSteps,
    /// Group the step statistics by name, model or kind.
    CycleGroupBy,
    /// Count the requests' root spans as steps in the step statistics, or leave them out.
    ToggleRoots,
    /// Copy the selected trace (list) or span (waterfall, detail) as Markdown for an LLM.
    CopyMarkdown,
    /// Copy the selected trace or span as JSON.
    CopyJson,
    /// Mark the selected trace as A for a comparison.
    Mark,
    /// Compare the selected trace with the marked one (again: close).
    Compare,
    /// Search the trace's spans by name, attribute, prompt or response text.
    OpenSearch,
    /// Show only the spans the search found, and their ancestors.
    ToggleSearchOnly,
    /// The latency histogram of the listed traces (Enter on a bucket filters to it).
    ToggleHistogram,
    /// Read the trace as a transcript of its LM and tool calls (again: close).
    ToggleReader,
    /// Optimizer runs and their trials (again: close).
    ToggleRuns,
    /// In the runs view: what changed in the prompts between the marked trial and this one.
    DiffTrials,
    /// The conversations of the listed traces (Enter reads one as a transcript).
    ToggleSessions,
}
