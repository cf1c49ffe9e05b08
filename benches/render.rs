//! Render each explorer pane into an off-screen 200x50 buffer over a 1M-span store
//! (250,000 traces of 4 spans), and the whole frame. Run: `cargo bench --bench render`.

mod common;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use spanscope::ui::action::Action;
use spanscope::ui::app::{App, Options};
use spanscope::ui::theme::Theme;
use std::sync::Mutex;

fn main() {
    divan::main();
}

const TRACES: usize = 250_000;

fn app() -> &'static Mutex<App> {
    static APP: std::sync::OnceLock<Mutex<App>> = std::sync::OnceLock::new();
    APP.get_or_init(|| {
        let mut app = App::new(
            common::synthetic_store(TRACES),
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
    term.draw(|f| spanscope::ui::draw(f, app, None))
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

/// The step statistics view (`S`) over the 1M spans: computing the table again (what a change of
/// filter or grouping costs), and drawing it.
#[divan::bench]
fn steps_view_recompute_and_draw() -> usize {
    let mut app = app().lock().expect("lock");
    app.run_command("steps name");
    app.run_command("steps kind");
    let n = draw(&mut app, None);
    app.update(Action::ToggleSteps);
    n
}

#[divan::bench]
fn steps_view_draw() -> usize {
    let mut app = app().lock().expect("lock");
    app.run_command("steps name");
    let mut term = Terminal::new(TestBackend::new(200, 50)).expect("terminal");
    let mut drawn = 0;
    for _ in 0..10 {
        term.draw(|f| spanscope::ui::draw(f, &mut app, None))
            .expect("draw");
        drawn += term.backend().buffer().content.len();
    }
    app.update(Action::ToggleSteps);
    drawn / 10
}
