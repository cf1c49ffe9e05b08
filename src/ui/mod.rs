//! The explorer: terminal guard, event loop, and the layout of the panes.

pub mod action;
pub mod app;
pub mod barkeys;
pub mod clipboard;
pub mod crash;
pub mod effect;
pub mod keymap;
pub mod layout;
pub mod panes;
pub mod perform;
pub mod state;
pub mod theme;
pub mod view;
pub mod views;

use crate::model::Batch;
use app::{App, Focus, Mode};
use crossterm::event::{
    self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEventKind,
};
use ratatui::Frame;
use ratatui::layout::Rect;
use state::screen::Screen;
use std::io;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::{Duration, Instant};

/// Draw every pane into the frame, where `screen` (the frame's layout) puts it.
pub fn render(frame: &mut Frame<'_>, app: &App, screen: &Screen, mem_bytes: Option<u64>) {
    let area = frame.area();
    let buf = frame.buffer_mut();
    if screen.too_small {
        buf.set_stringn(
            area.x,
            area.y,
            "spanscope: terminal too small",
            area.width as usize,
            ratatui::style::Style::default(),
        );
        return;
    }
    panes::status::render_header(app, screen.header, buf);
    if app.welcome {
        panes::welcome::render(app, screen.body, buf);
    } else {
        match app.view_mode() {
            Mode::Steps => panes::steps::render(app, screen.view, buf),
            Mode::Compare => panes::compare::render(app, screen.view, buf),
            Mode::Histogram => panes::histogram::render(app, screen.view, buf),
            Mode::Groups => panes::groups::render(app, screen.view, buf),
            Mode::Runs => panes::runs::render(app, screen.view, buf),
            Mode::Reader => panes::reader::render(app, screen.view, buf),
            Mode::Sessions => panes::sessions::render(app, screen.view, buf),
            _ => {
                for pane in Focus::ALL {
                    let at = screen.panes[pane.index()];
                    if !at.is_empty() {
                        render_pane(app, pane, at, buf);
                    }
                }
            }
        }
    }
    let cursor = if panes::bar::is_open(app.mode) {
        panes::bar::render(app, screen, buf)
    } else {
        panes::status::render_status(app, screen.status, buf, mem_bytes);
        panes::status::render_hints(app, screen.hints, buf);
        None
    };
    match app.mode {
        Mode::Help => panes::help::render_help(app, screen.help, buf),
        Mode::Ingest => panes::help::render_ingest(app, area, buf),
        _ => {}
    }
    // the terminal's own cursor where the open bar's is (hidden otherwise)
    if let Some(at) = cursor {
        frame.set_cursor_position(at);
    }
}

/// Lay out a frame of `area`, let the app take what follows from it, and draw.
pub fn draw(frame: &mut Frame<'_>, app: &mut App, mem_bytes: Option<u64>) {
    let screen = layout::compute(app, frame.area());
    app.on_layout(&screen);
    render(frame, app, &screen, mem_bytes);
}

fn render_pane(app: &App, pane: Focus, area: Rect, buf: &mut ratatui::buffer::Buffer) {
    match pane {
        Focus::List => panes::trace_list::render(app, area, buf),
        Focus::Waterfall => panes::waterfall::render(app, area, buf),
        Focus::Detail => panes::detail::render(app, area, buf),
    }
}

/// Route a key press: to the open bar, or through the keymap to an action.
pub fn on_key(app: &mut App, key: KeyEvent) {
    if key.kind != KeyEventKind::Press {
        return;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && key.code == KeyCode::Char('c') {
        // quits from any mode, the open bars included
        app.run_command("q");
        return;
    }
    if panes::bar::is_open(app.mode) {
        if let Some(k) = barkeys::lookup(key) {
            app.on_bar_key(k);
        }
        return;
    }
    let context = match app.mode {
        Mode::Steps => keymap::Context::Steps,
        Mode::Compare => keymap::Context::Compare,
        _ => app.focus.context(),
    };
    let action = app.opts.keymap.lookup(context, key);
    if app.welcome && app.mode == Mode::Normal {
        // the welcome screen: the demo, the help, or quit
        match action {
            Some(a @ (action::Action::Quit | action::Action::Help)) => app.update(a),
            _ if key.code == KeyCode::Char('d') => app.open_demo(),
            _ => {}
        }
        return;
    }
    match action {
        Some(a) => app.update(a),
        // Any key closes an overlay.
        None if matches!(app.mode, Mode::Help | Mode::Ingest) => app.update(action::Action::Back),
        None => {}
    }
}

/// Resident memory of this process, from /proc (Linux); `None` elsewhere.
fn rss_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

fn now_ns() -> i64 {
    chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0)
}

/// Restores the terminal on every exit path (the panic hook covers panics).
struct TerminalGuard {
    mouse: bool,
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        if self.mouse {
            let _ = crossterm::execute!(io::stdout(), crossterm::event::DisableMouseCapture);
        }
        let _ = crossterm::execute!(io::stdout(), crossterm::event::DisableBracketedPaste);
        ratatui::restore();
    }
}

/// At most this often the screen is redrawn while data arrives, 40 times a second so that
/// waking up late still leaves 30 (keys redraw at once)…
const FRAME: Duration = Duration::from_millis(25);
/// … and while the index is behind the sources, so indexing gets the time.
const FRAME_BEHIND: Duration = Duration::from_millis(250);
/// How long one turn of the loop may spend indexing before it looks at the keyboard again.
const INGEST_BUDGET: Duration = Duration::from_millis(30);
/// While batches are arriving, the loop looks for the next one this often: a frame's sleep
/// would let the queue fill and stop the parsers.
const FLOWING: Duration = Duration::from_millis(1);
/// The clock ("3m ago") and the memory figure are refreshed this often.
const TICK: Duration = Duration::from_secs(1);

/// Run the explorer until the user quits. `feed` brings batches from the threads that read
/// the sources; the store is indexed here, between frames, so it needs no lock. The app's
/// effects run here too, with `printers` for copies and writes.
///
/// # Errors
/// The terminal cannot be set up, drawn to or read from.
/// Returns the explorer and what is left of the feed, for an exit summary.
pub fn run(
    mut app: App,
    mut feed: Option<Receiver<Batch>>,
    printers: &dyn effect::Printers,
) -> io::Result<(App, Option<Receiver<Batch>>)> {
    let mut deliver = |clip: &clipboard::Clip| clipboard::deliver_to_terminal(clip);
    let mut terminal = ratatui::try_init()?;
    crash::install(|| {
        let _ = crossterm::execute!(
            io::stdout(),
            crossterm::event::DisableMouseCapture,
            crossterm::event::DisableBracketedPaste,
            crossterm::cursor::Show
        );
        ratatui::restore();
        // the process exits without unwinding: its spool goes now
        crate::ingest::spool::finish_all_now();
    });
    let _guard = TerminalGuard {
        mouse: app.opts.mouse,
    };
    if app.opts.mouse {
        crossterm::execute!(io::stdout(), crossterm::event::EnableMouseCapture)?;
    }
    // a paste arrives whole: into the open bar, never as keys of the panes
    crossterm::execute!(io::stdout(), crossterm::event::EnableBracketedPaste)?;
    app.now = now_ns();
    let mut mem = rss_bytes();
    let mut dirty = true;
    let mut at_once = true;
    let mut last_draw = Instant::now();
    let mut last_tick = Instant::now();
    let mut backlog = false;
    // nothing is shown yet: look for the first batch at once
    let mut flowing = feed.is_some();
    loop {
        let frame = if backlog { FRAME_BEHIND } else { FRAME };
        if dirty && (at_once || last_draw.elapsed() >= frame) {
            app.prepare();
            perform::settle(&mut app, printers, &mut deliver);
            terminal.draw(|f| draw(f, &mut app, mem))?;
            (dirty, at_once) = (false, false);
            last_draw = Instant::now();
        }
        let wait = if backlog {
            Duration::ZERO
        } else if flowing {
            FLOWING
        } else if dirty {
            frame.saturating_sub(last_draw.elapsed())
        } else if feed.is_some() || app.searching() {
            // look for new data (or a search's progress) once a frame
            FRAME
        } else {
            TICK
        };
        // every pending event before the next frame
        let mut wait = wait;
        while event::poll(wait)? {
            wait = Duration::ZERO;
            match event::read()? {
                Event::Key(k) => on_key(&mut app, k),
                Event::Mouse(m) if app.opts.mouse => match m.kind {
                    MouseEventKind::ScrollDown => app.wheel(m.column, m.row, true),
                    MouseEventKind::ScrollUp => app.wheel(m.column, m.row, false),
                    MouseEventKind::Down(event::MouseButton::Left) => app.click(m.column, m.row),
                    _ => continue,
                },
                Event::Resize(..) => {}
                Event::Paste(text) => app.on_paste(&text),
                _ => continue,
            }
            (dirty, at_once) = (true, true);
            perform::settle(&mut app, printers, &mut deliver);
            if app.should_quit() {
                return Ok((app, feed));
            }
        }
        if let Some(rx) = &feed {
            let start = Instant::now();
            backlog = false;
            flowing = false;
            // the first screen is drawn as soon as there is a trace to show
            let first = app.store.trace_count() == 0;
            // what is drained now is derived once, when the guard drops
            let mut loading = app.store.loading();
            loop {
                match rx.try_recv() {
                    Ok(batch) => {
                        loading.apply(batch);
                        (dirty, flowing) = (true, true);
                        if first {
                            at_once = true;
                            break;
                        }
                        if start.elapsed() >= INGEST_BUDGET {
                            backlog = true;
                            break;
                        }
                    }
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => {
                        feed = None;
                        dirty = true;
                        break;
                    }
                }
            }
            // new traces and those that doubled now; the rest before the next frame is drawn
            // (`App::prepare`), not after each turn: a trace that batches keep adding to would
            // cost its whole size again each time
            loading.derive_grown_only();
            drop(loading);
            if feed.is_none() {
                app.on_sources_ended();
            }
            app.compact_if_needed();
        }
        if app.searching() || app.poll_text() {
            // a search's progress, and what it found so far
            dirty = true;
        }
        if last_tick.elapsed() >= TICK {
            last_tick = Instant::now();
            app.now = now_ns();
            mem = rss_bytes();
            dirty = true;
        }
    }
}

#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;
