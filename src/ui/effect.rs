//! What the explorer asks the loop to do: the reading, decoding, writing and copying that the
//! app's handlers never do themselves. A handler changes state and queues an [`Effect`]; the
//! loop takes the queue and runs each one (`ui::perform`), which hands the result back to
//! the app. Formatting a copy and writing traces to a file belong to the printers, which the
//! program around the explorer provides as [`Printers`].

use crate::model::store::Remap;
use crate::model::{SpanIdx, Store, TraceIdx};
use std::path::{Path, PathBuf};

/// A trace or one of its spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Trace(TraceIdx),
    Span(SpanIdx),
}

/// How `:w` writes traces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteFormat {
    /// One normalized trace per line.
    Jsonl,
    /// One OTLP/JSON request per trace and line.
    Otlp,
    /// One dataset row per trace (inputs, outputs, score) for `dspy.Example(**row)`.
    Examples,
}

/// One piece of I/O the app asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Decode a span's texts (prompt, response, attributes) for the detail pane.
    DecodeDetail(SpanIdx),
    /// Decode the texts of every span of a trace, for `/` in the waterfall.
    IndexSearch(TraceIdx),
    /// Decode the texts of a trace's LM and tool calls, for the reader view.
    ReadTranscript(TraceIdx),
    /// Decode the first turns' roots of the listed conversations, for their first questions.
    ReadFirstQuestions(Vec<SpanIdx>),
    /// Decode the roots of a conversation's turns, for its transcript.
    ReadConversation(Vec<SpanIdx>),
    /// Read the bundled demo traces into the store (the welcome screen's `d`).
    LoadDemo,
    /// Put a trace or a span on the clipboard, as Markdown (for an LLM) or JSON.
    Copy { target: Target, markdown: bool },
    /// Write traces to a file (`:w`).
    Write {
        traces: Vec<TraceIdx>,
        format: WriteFormat,
        path: PathBuf,
    },
    /// Search the payloads for a text of the filter on a thread of its own: every record, or
    /// those after `since`'s offset in their blob (what an earlier search of it reached).
    SearchText {
        text: String,
        since: std::collections::HashMap<u32, u64>,
    },
    /// `:crash-test`: panic on the loop's thread, to prove the terminal is restored.
    Crash,
}

impl Effect {
    /// Move the indexes this effect holds to their place after a compaction of the store;
    /// `false` when what it is about was evicted.
    pub fn remap(&mut self, remap: &Remap) -> bool {
        let target = |t: &mut Target| match t {
            Target::Trace(x) => remap.trace(*x).map(|n| *x = n).is_some(),
            Target::Span(x) => remap.span(*x).map(|n| *x = n).is_some(),
        };
        match self {
            Effect::DecodeDetail(s) => remap.span(*s).map(|n| *s = n).is_some(),
            Effect::IndexSearch(t) | Effect::ReadTranscript(t) => {
                remap.trace(*t).map(|n| *t = n).is_some()
            }
            Effect::Copy { target: t, .. } => target(t),
            // what they were asked for is made again after a compaction (`remap_sessions`)
            Effect::ReadFirstQuestions(_) | Effect::ReadConversation(_) => false,
            Effect::Write { traces, .. } => {
                traces.retain_mut(|t| remap.trace(*t).map(|n| *t = n).is_some());
                true
            }
            Effect::LoadDemo | Effect::Crash | Effect::SearchText { .. } => true,
        }
    }
}

/// The printers the explorer borrows from the headless side: the same Markdown and JSON as
/// `spanscope show` and `spanscope export`.
pub trait Printers {
    /// The text of a copy of `target`: Markdown, or JSON in the export shape.
    ///
    /// # Errors
    /// A message for the status bar.
    fn copy_text(
        &self,
        store: &Store,
        target: Target,
        markdown: bool,
        utc: bool,
    ) -> Result<String, String>;

    /// Write `traces` to `path` in `format`.
    ///
    /// # Errors
    /// A message for the status bar.
    fn write_traces(
        &self,
        store: &Store,
        traces: &[TraceIdx],
        format: WriteFormat,
        path: &Path,
    ) -> Result<(), String>;
}

/// Printers that have nothing to print with: every copy and write says so.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoPrinters;

impl Printers for NoPrinters {
    fn copy_text(&self, _: &Store, _: Target, _: bool, _: bool) -> Result<String, String> {
        Err("copying needs the printers".into())
    }

    fn write_traces(
        &self,
        _: &Store,
        _: &[TraceIdx],
        _: WriteFormat,
        _: &Path,
    ) -> Result<(), String> {
        Err("writing needs the printers".into())
    }
}
