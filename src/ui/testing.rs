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

/// Run the effects the app asked for, as the loop does (copies and writes have no printers
/// here: `cmd::explore` tests those).
pub fn settle(app: &mut App) {
    perform::settle(app, &effect::NoPrinters, &mut |c| c.what.clone());
}

pub fn screen(app: &mut App, w: u16, h: u16) -> String {
    app.prepare();
    settle(app);
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| crate::ui::draw(f, app, None)).unwrap();
    term.backend().to_string()
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
