//! What the explorer's tests share: an app over a fixture, running its effects as the loop does,
//! rendering it to a test terminal, and typing into it.

pub use super::action::Action;
pub use super::app::{App, Focus, Mode, Options};
pub use super::theme::Theme;
pub use super::{draw, effect, perform};
pub use crate::ingest;
pub use crate::model::Store;
pub use crate::query::SortKey;
pub use ratatui::Terminal;
pub use ratatui::backend::TestBackend;

pub fn app(fixture: &str) -> App {
    let mut store = Store::new();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(fixture);
    ingest::load_path(&mut store, &path, ingest::Options { naive_utc: true }).unwrap();
    over(store)
}

/// The explorer the tests open over `store`: plain colours, UTC times, spans under 1 % hidden
/// by the slow toggle.
pub fn over(store: Store) -> App {
    App::new(
        store,
        Theme::plain(),
        Options {
            utc: true,
            min_pct: 1.0,
            ..Options::default()
        },
    )
}

/// An app over the demo traces and `extra` lines (any format spanscope reads).
pub fn demo_app(extra: &str) -> App {
    let mut store = Store::new();
    let mut bytes = super::perform::DEMO.to_vec();
    bytes.extend_from_slice(extra.as_bytes());
    let src = store.add_source("demo.jsonl");
    let blob = store.add_blob(crate::model::Blob::Memory(std::sync::Arc::new(
        bytes.clone(),
    )));
    ingest::load_bytes(&mut store, src, blob, &bytes, ingest::Options::default());
    App::new(
        store,
        Theme::plain(),
        Options {
            utc: true,
            ..Options::default()
        },
    )
}

/// Two requests with long names and long model names (normalized trace lines), for the demo.
pub const LONG_NAMES: &str = concat!(
    r#"{"schema":"spanscope-trace/1","trace_id":"aa11","name":"SupportTriage(ClassifyTicketIntent).forward","start":"2026-11-21T10:24:25.000Z","duration_ms":412.5,"status":"ok","model":"anthropic/claude-3-5-sonnet-20241022","spans":[{"span_id":"r1","parent_id":null,"name":"SupportTriage(ClassifyTicketIntent).forward","kind":"chain","start":"2026-11-21T10:24:25.000Z","duration_ms":412.5,"status":"ok"},{"span_id":"l1","parent_id":"r1","name":"LM.__call__","kind":"llm","start":"2026-11-21T10:24:25.010Z","duration_ms":390,"status":"ok","model":"anthropic/claude-3-5-sonnet-20241022","tokens":{"prompt":900,"completion":120,"total":1020}}]}"#,
    "\n",
    r#"{"schema":"spanscope-trace/1","trace_id":"aa12","name":"SupportTriage(ClassifyTicketUrgency).forward","start":"2026-11-21T10:24:25.500Z","duration_ms":380.1,"status":"ok","model":"bedrock/anthropic.claude-3-haiku-20240307-v1:0","spans":[{"span_id":"r2","parent_id":null,"name":"SupportTriage(ClassifyTicketUrgency).forward","kind":"chain","start":"2026-11-21T10:24:25.500Z","duration_ms":380.1,"status":"ok"},{"span_id":"l2","parent_id":"r2","name":"LM.__call__","kind":"llm","start":"2026-11-21T10:24:25.510Z","duration_ms":360,"status":"ok","model":"bedrock/anthropic.claude-3-haiku-20240307-v1:0","tokens":{"prompt":800,"completion":90,"total":890}}]}"#,
    "\n",
);

/// Run the effects the app asked for, as the loop does (copies and writes have no printers
/// here: `cmd::explore` tests those).
pub fn settle(app: &mut App) {
    perform::settle(app, &effect::NoPrinters, &mut |c| c.what.clone());
    if app.searching() {
        // a text search runs on its own thread: its whole answer, as if the user waited
        app.wait_text();
        app.prepare();
        perform::settle(app, &effect::NoPrinters, &mut |c| c.what.clone());
    }
}

pub fn screen(app: &mut App, w: u16, h: u16) -> String {
    app.prepare();
    settle(app);
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| crate::ui::draw(f, app, None)).unwrap();
    term.backend().to_string()
}

/// The screen, then a line saying where the terminal's cursor is (or that it is hidden).
pub fn screen_with_cursor(app: &mut App, w: u16, h: u16) -> String {
    app.prepare();
    settle(app);
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| crate::ui::draw(f, app, None)).unwrap();
    let b = term.backend();
    let at = b.cursor_position();
    let cursor = if b.cursor_visible() {
        format!("cursor at column {}, row {}", at.x, at.y)
    } else {
        "cursor hidden".to_string()
    };
    format!("{b}\n{cursor}")
}

pub fn run(app: &mut App, actions: &[Action]) {
    for a in actions {
        app.update(*a);
        settle(app);
    }
}

pub fn type_text(app: &mut App, s: &str) {
    for c in s.chars() {
        app.input_char(c);
        settle(app);
    }
}

/// Select the list row of trace `prefix`.
pub fn select(app: &mut App, prefix: &str) {
    app.run_command(&format!("goto {prefix}"));
}

/// A trace arriving while the explorer is open: one steps-format line.
pub fn arrive(a: &mut App, id: &str) {
    let line = format!(
        r#"{{"trace_id": "{id}", "timestamp": "2026-11-21T06:00:00Z", "pipeline": "Arrived", "total_latency_ms": 5}}"#
    );
    let src = a.store.add_source("live");
    let blob = a
        .store
        .add_blob(crate::model::Blob::Memory(std::sync::Arc::new(
            line.clone().into_bytes(),
        )));
    ingest::load_bytes(
        &mut a.store,
        src,
        blob,
        line.as_bytes(),
        ingest::Options::default(),
    );
    a.prepare();
}
