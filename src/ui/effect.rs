//! What the explorer asks the loop to do: the reading, decoding, writing and copying that
//! [`App`]'s handlers never do themselves. A handler changes state and queues an [`Effect`];
//! the loop takes the queue ([`App::take_effects`]) and runs each one with [`run`], which hands
//! the result back to the app (`on_detail`, `on_search_texts`, …). Formatting a copy and writing
//! traces to a file belong to the printers, which the program around the explorer provides as
//! [`Printers`].

use super::app::{App, DEMO};
use super::clipboard::Clip;
use crate::ingest;
use crate::ingest::detail::span_detail;
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
}

/// One piece of I/O the app asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Decode a span's texts (prompt, response, attributes) for the detail pane.
    DecodeDetail(SpanIdx),
    /// Decode the texts of every span of a trace, for `/` in the waterfall.
    IndexSearch(TraceIdx),
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
            Effect::IndexSearch(t) => remap.trace(*t).map(|n| *t = n).is_some(),
            Effect::Copy { target: t, .. } => target(t),
            Effect::Write { traces, .. } => {
                traces.retain_mut(|t| remap.trace(*t).map(|n| *t = n).is_some());
                true
            }
            Effect::LoadDemo | Effect::Crash => true,
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

/// Run one effect and hand its result back to `app`. A copy is handed to `deliver`, which
/// returns the message to show (where it went).
pub fn run(
    app: &mut App,
    effect: Effect,
    printers: &dyn Printers,
    deliver: &mut dyn FnMut(&Clip) -> String,
) {
    match effect {
        Effect::DecodeDetail(s) => {
            let detail = span_detail(&app.store, s);
            app.on_detail(s, detail);
        }
        Effect::IndexSearch(t) => {
            let store = &app.store;
            let texts = store
                .trace(t)
                .spans
                .iter()
                .map(|&s| (s, searchable_text(store, s)))
                .collect();
            app.on_search_texts(t, texts);
        }
        Effect::LoadDemo => {
            let res = ingest::load_reader(&mut app.store, "demo", DEMO, ingest::Options::default())
                .map_err(|e| format!("the demo traces: {e}"));
            app.on_demo_loaded(res);
        }
        Effect::Copy { target, markdown } => {
            let message = match clip(app, printers, target, markdown) {
                Ok(c) => deliver(&c),
                Err(e) => format!("cannot copy: {e}"),
            };
            app.message = Some(message);
        }
        Effect::Write {
            traces,
            format,
            path,
        } => {
            app.message = Some(
                match printers.write_traces(&app.store, &traces, format, &path) {
                    Ok(()) => format!("wrote {} trace(s) to {}", traces.len(), path.display()),
                    Err(e) => e,
                },
            );
        }
        Effect::Crash => panic!("crash test requested with :crash-test"),
    }
}

/// Run every effect the app has queued, and those their results queue in turn.
pub fn settle(app: &mut App, printers: &dyn Printers, deliver: &mut dyn FnMut(&Clip) -> String) {
    loop {
        let effects = app.take_effects();
        if effects.is_empty() {
            return;
        }
        for e in effects {
            run(app, e, printers, deliver);
        }
    }
}

/// The copy of `target`, with what it is for the message.
///
/// # Errors
/// The printers' message.
pub fn clip(
    app: &App,
    printers: &dyn Printers,
    target: Target,
    markdown: bool,
) -> Result<Clip, String> {
    let store = &app.store;
    let text = printers.copy_text(store, target, markdown, app.opts.utc)?;
    let t = match target {
        Target::Trace(t) => t,
        Target::Span(s) => store.span(s).trace,
    };
    let id = crate::text::truncate(store.str(store.trace(t).id), 13);
    let what = match target {
        Target::Span(s) => format!(
            "span {} of {id}",
            crate::text::truncate(store.str(store.span(s).name), 40)
        ),
        Target::Trace(_) => format!("trace {id}"),
    };
    Ok(Clip {
        text,
        what: format!("{what} as {}", if markdown { "Markdown" } else { "JSON" }),
        ext: if markdown { "md" } else { "json" },
    })
}

/// What `/` in the waterfall searches, lowercase: the span's name, short attributes, prompt,
/// response, inputs, outputs and error.
fn searchable_text(store: &Store, s: SpanIdx) -> String {
    let sp = store.span(s);
    let d = span_detail(store, s);
    let mut t = String::from(store.str(sp.name));
    for (k, v) in store.span_attrs(sp) {
        t.push('\n');
        t.push_str(k);
        t.push('=');
        t.push_str(v);
    }
    for m in &d.messages {
        t.push('\n');
        t.push_str(&m.content);
    }
    for x in [&d.response, &d.inputs, &d.outputs].into_iter().flatten() {
        t.push('\n');
        t.push_str(x);
    }
    if let Some(e) = sp.error {
        t.push('\n');
        t.push_str(store.str(e));
    }
    t.to_lowercase()
}
