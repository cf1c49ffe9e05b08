//! Render each explorer pane into an off-screen 200x50 buffer over a 1M-span store
//! (250,000 traces of 4 spans), and the whole frame. Run: `cargo bench --bench render`.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use spanscope::model::store::{Record, SpanRecord};
use spanscope::model::{SpanKind, SpanStatus, Store, Tokens};
use spanscope::ui::action::Action;
use spanscope::ui::app::{App, Options};
use spanscope::ui::theme::Theme;
use std::sync::Mutex;

fn main() {
    divan::main();
}

const TRACES: usize = 250_000;

fn store() -> Store {
    let mut s = Store::new();
    let src = s.add_source("synthetic");
    let ms = 1_000_000i64;
    for t in 0..TRACES {
        let tid = format!("{t:032x}");
        let base = 1_795_239_420_000_000_000 + i64::try_from(t).unwrap_or(0) * 1000 * ms;
        let slow = i64::try_from(t % 97).unwrap_or(0) * 40 * ms;
        let span =
            |id: &str, parent: Option<&str>, name: &str, kind, start: i64, end: i64| SpanRecord {
                trace_id: tid.clone(),
                span_id: id.into(),
                parent_id: parent.map(Into::into),
                name: Some(name.into()),
                kind: Some(kind),
                start: Some(base + start),
                end: Some(base + end),
                status: Some(SpanStatus::Ok),
                complete: true,
                ..SpanRecord::default()
            };
        s.insert(
            src,
            Record::Span(span(
                "r",
                None,
                "rag_qa.forward",
                SpanKind::Chain,
                0,
                900 * ms + slow,
            )),
        );
        s.insert(
            src,
            Record::Span(span(
                "a",
                Some("r"),
                "retrieve",
                SpanKind::Retriever,
                ms,
                120 * ms,
            )),
        );
        let mut lm = span(
            "b",
            Some("r"),
            "generate",
            SpanKind::Llm,
            121 * ms,
            880 * ms + slow,
        );
        lm.model = Some("gpt-4o-mini".into());
        lm.tokens = Some(Tokens {
            prompt: 1800,
            completion: 200,
            total: 2000,
        });
        if t % 33 == 0 {
            lm.status = Some(SpanStatus::Error);
            lm.error = Some("TimeoutError: upstream".into());
        }
        s.insert(src, Record::Span(lm));
        s.insert(
            src,
            Record::Span(span(
                "c",
                Some("r"),
                "validate",
                SpanKind::Chain,
                880 * ms + slow,
                899 * ms + slow,
            )),
        );
    }
    s.refresh();
    s
}

fn app() -> &'static Mutex<App> {
    static APP: std::sync::OnceLock<Mutex<App>> = std::sync::OnceLock::new();
    APP.get_or_init(|| {
        let mut app = App::new(
            store(),
            Theme::colored(),
            Options {
                min_pct: 1.0,
                ..Options::default()
            },
        );
        app.run_command("goto 0000000000000000000000000000a1b2");
        assert_eq!(app.store.span_count(), 4 * TRACES);
        Mutex::new(app)
    })
}

fn draw(app: &mut App, maximize: Option<Action>) -> usize {
    let mut term = Terminal::new(TestBackend::new(200, 50)).expect("terminal");
    if let Some(a) = maximize {
        app.update(a);
    }
    term.draw(|f| spanscope::ui::render(f, app, None))
        .expect("draw");
    if maximize.is_some() {
        app.update(Action::Maximize);
    }
    term.backend().buffer().content.len()
}

#[divan::bench]
fn whole_frame() -> usize {
    let mut app = app().lock().expect("lock");
    draw(&mut app, None)
}

#[divan::bench]
fn trace_list_pane() -> usize {
    let mut app = app().lock().expect("lock");
    app.focus = spanscope::ui::app::Focus::List;
    draw(&mut app, Some(Action::Maximize))
}

#[divan::bench]
fn waterfall_pane() -> usize {
    let mut app = app().lock().expect("lock");
    app.focus = spanscope::ui::app::Focus::Waterfall;
    draw(&mut app, Some(Action::Maximize))
}

#[divan::bench]
fn detail_pane() -> usize {
    let mut app = app().lock().expect("lock");
    app.focus = spanscope::ui::app::Focus::Detail;
    draw(&mut app, Some(Action::Maximize))
}

/// A key press that moves the selection: update + rebuild of what changed + a frame.
#[divan::bench]
fn move_selection_and_redraw() -> usize {
    let mut app = app().lock().expect("lock");
    app.focus = spanscope::ui::app::Focus::List;
    app.update(Action::Down);
    draw(&mut app, None)
}

/// A keystroke in the filter bar over 250k traces: re-filter, re-sort, redraw.
#[divan::bench]
fn refilter_keystroke_and_redraw() -> usize {
    let mut app = app().lock().expect("lock");
    app.run_command("filter dur>2s");
    app.run_command("filter dur>3s");
    draw(&mut app, None)
}
