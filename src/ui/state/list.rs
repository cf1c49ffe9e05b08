//! The trace list's columns (the rows and their order are the view's, [`crate::ui::view`]).

/// A column of the trace list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Column {
    /// The status mark: ✓ ok, ✗ failed, ! a step failed and the trace recovered, … running.
    Status,
    /// Start time (`t`: age).
    Start,
    /// The root span's name.
    Name,
    /// Duration.
    Dur,
    /// Duration as a bar, relative to the slowest listed trace.
    Bar,
    /// Span count.
    Spans,
    /// LM calls.
    Llm,
    /// Token total.
    Tokens,
    /// The model (the first, when several).
    Model,
}
