//! Running the app's effects: decoding texts, reading the demo traces, copying and writing
//! through the printers, and handing each result back to the app (`on_detail`,
//! `on_search_texts`, `on_demo_loaded`, the status message).

use super::app::App;
use super::clipboard::Clip;
use super::effect::{Effect, Printers, Target};
use crate::analysis::transcript::{self, Said, Turn};
use crate::ingest;
use crate::ingest::detail::{SpanDetail, details_of, span_detail};
use crate::ingest::search::{Control, Corpus, Needle, search};
use crate::model::{SpanIdx, Store, TraceIdx};
use crate::ui::state::text::{Running, SearchEvent};
use std::collections::HashMap;
use std::sync::{Arc, mpsc};

/// The demo traces the welcome screen opens (`d`).
pub const DEMO: &[u8] = include_bytes!("../../assets/demo.jsonl");

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
        Effect::ReadTranscript(t) => {
            let turns = transcript(&app.store, t);
            app.on_transcript(t, turns);
        }
        Effect::ReadFirstQuestions(roots) => {
            let details = details_of(&app.store, &roots);
            app.on_first_questions(&roots, &details);
        }
        Effect::ReadConversation(roots) => {
            let details = details_of(&app.store, &roots);
            app.on_conversation(&roots, &details);
        }
        Effect::IndexSearch(t) => {
            let (texts, partial) = search_texts(&app.store, t);
            app.on_search_texts(t, texts, partial);
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
        Effect::SearchText { text, since } => start_search(app, text, &since),
        Effect::Crash => panic!("crash test requested with :crash-test"),
    }
}

/// The LM and tool calls of trace `t` with what each said, every record they come from
/// decoded once.
fn transcript(store: &Store, t: TraceIdx) -> Vec<(Turn, Said)> {
    let wf = crate::model::waterfall::Waterfall::new(store, t);
    let turns = transcript::turns(store, &wf);
    let spans = transcript::parts_of(&turns);
    let details = details_of(store, &spans);
    turns
        .into_iter()
        .map(|turn| {
            let said = transcript::said(&turn, &spans, &details);
            (turn, said)
        })
        .collect()
}

/// Start searching the payloads for `text` on a thread of its own: the records the store
/// points at (those after `since`), read with every core; hits stream back to the app.
fn start_search(app: &mut App, text: String, since: &HashMap<u32, u64>) {
    // a whole search reuses the snapshot of the same index: each keystroke of a text does not
    // walk every span again
    let corpus = if since.is_empty() {
        let generation = app.store.generation();
        match &app.text.corpus {
            Some((g, c)) if *g == generation => Arc::clone(c),
            _ => {
                let c = Arc::new(Corpus::of(&app.store, since));
                app.text.corpus = Some((generation, Arc::clone(&c)));
                c
            }
        }
    } else {
        Arc::new(Corpus::of(&app.store, since))
    };
    let control = Arc::new(Control::default());
    let (tx, rx) = mpsc::channel();
    let running = Running {
        text: text.clone(),
        control: Arc::clone(&control),
        total: corpus.bytes(),
        events: rx,
        whole: since.is_empty(),
    };
    let spawned = std::thread::Builder::new()
        .name("text search".into())
        .spawn(move || {
            let needle = Needle::new(&text);
            let outcome = search(
                &corpus,
                &needle,
                ingest::parallel::workers(),
                &control,
                &|h| {
                    let _ = tx.send(SearchEvent::Hits(h));
                },
            );
            let _ = tx.send(SearchEvent::Done(outcome, corpus.ends().clone()));
        });
    match spawned {
        Ok(_) => app.on_search_started(running),
        Err(e) => app.message = Some(format!("cannot search: {e}")),
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
    let id = crate::text::truncate(&store.trace_id(t), 13);
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

/// At most this many spans of a trace have their texts (prompt, response, inputs, outputs)
/// decoded for `/`, in start order; the others are searched by name, attributes and error. The
/// index is made on the explorer's thread, and this bounds the pause a huge trace can cause.
pub const SEARCH_TEXT_SPANS: usize = 20_000;

/// What `/` in the waterfall searches in each span of trace `t`, lowercase: the name, short
/// attributes, prompt, response, inputs, outputs and error. Each record is decoded once for all
/// the spans it holds (an OTLP body, a request line). `true` when only the first
/// [`SEARCH_TEXT_SPANS`] spans' texts were decoded.
fn search_texts(store: &Store, t: TraceIdx) -> (Vec<(SpanIdx, String)>, bool) {
    let mut spans = store.trace_spans(t).to_vec();
    spans.sort_by_key(|&s| (store.span(s).start, s.0));
    let decoded = spans.len().min(SEARCH_TEXT_SPANS);
    let details = details_of(store, &spans[..decoded]);
    let texts = spans
        .iter()
        .enumerate()
        .map(|(i, &s)| (s, searchable_text(store, s, details.get(i))))
        .collect();
    (texts, decoded < spans.len())
}

fn searchable_text(store: &Store, s: SpanIdx, d: Option<&SpanDetail>) -> String {
    let sp = store.span(s);
    let mut t = String::from(store.str(sp.name));
    for (k, v) in store.span_attrs(&sp) {
        t.push('\n');
        t.push_str(k);
        t.push('=');
        t.push_str(v);
    }
    if let Some(d) = d {
        for m in &d.messages {
            t.push('\n');
            t.push_str(&m.content);
        }
        for x in [&d.response, &d.inputs, &d.outputs].into_iter().flatten() {
            t.push('\n');
            t.push_str(x);
        }
    }
    if let Some(e) = sp.error {
        t.push('\n');
        t.push_str(store.str(e));
    }
    t.to_lowercase()
}
