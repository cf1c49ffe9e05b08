//! The open bar (filter `/`, command `:`, the waterfall's search) on the status and hint rows:
//! the line scrolled to keep the cursor in sight, the terminal's cursor where the line's is, the
//! error of a filter that does not parse with carets under the part it is about, and the
//! completions Tab offers, listed above the bar.

use crate::ui::app::{App, Mode};
use crate::ui::state::screen::Screen;
use crate::ui::theme::Role;
use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Widget};

/// At most this many completions are listed at once.
const MENU_ROWS: usize = 10;

/// Whether `mode` is typing into a bar.
#[must_use]
pub fn is_open(mode: Mode) -> bool {
    matches!(mode, Mode::Filter | Mode::Command | Mode::Search)
}

/// What the bar of `mode` starts with.
#[must_use]
pub fn prompt(mode: Mode) -> &'static str {
    match mode {
        Mode::Filter => "/",
        Mode::Search => "search this trace: ",
        _ => ":",
    }
}

/// Where the text of the bar goes: the status row after the prompt.
#[must_use]
pub fn field(mode: Mode, status: Rect) -> Rect {
    let p = u16::try_from(crate::text::width(prompt(mode))).unwrap_or(0);
    Rect {
        x: status.x + p.min(status.width),
        width: status.width.saturating_sub(p),
        ..status
    }
}

/// Draw the open bar; returns where the terminal's cursor goes.
pub fn render(app: &App, screen: &Screen, buf: &mut Buffer) -> Option<Position> {
    let theme = app.theme;
    let (status, field) = (screen.status, screen.input);
    if status.height == 0 || field.width == 0 {
        return None;
    }
    let width = usize::from(field.width);
    let line = &app.input.line;
    let (offset, shown, cursor_col) = line.window(width);
    buf.set_string(status.x, status.y, prompt(app.mode), theme.style(Role::Key));
    buf.set_stringn(field.x, field.y, &shown, width, Style::default());
    let hints = screen.hints;
    if let Some(e) = app.input.error.as_ref().filter(|_| hints.height > 0) {
        // the carets under the part of the query the error is about (from the window's left
        // edge when that part is scrolled out of sight)
        let shifted = crate::query::QueryError {
            column: (e.column.saturating_sub(1)).saturating_sub(offset) + 1,
            ..e.clone()
        };
        let carets = shifted.render(&shown);
        let carets = carets.lines().nth(1).unwrap_or_default();
        buf.set_stringn(
            field.x,
            hints.y,
            carets,
            usize::from(hints.width.saturating_sub(field.x - hints.x)),
            theme.style(Role::Error),
        );
    } else if hints.height > 0 {
        render_hints(app, hints, buf);
    }
    render_menu(app, screen, offset, buf);
    let x = field.x + u16::try_from(cursor_col).unwrap_or(0);
    Some(Position::new(
        x.min(field.right().saturating_sub(1)),
        field.y,
    ))
}

/// What the bar found so far, and its keys.
fn render_hints(app: &App, area: Rect, buf: &mut Buffer) {
    let theme = app.theme;
    let mut spans = Vec::new();
    match app.mode {
        Mode::Filter => {
            spans.push(Span::styled(
                format!(" {} match(es) ", app.view.rows.len()),
                theme.style(Role::Muted),
            ));
            if let Some(note) = super::status::searching(app) {
                spans.push(Span::styled(format!("· {note} "), theme.style(Role::Key)));
            }
        }
        Mode::Search => {
            if let Some(x) = app.wf.search.as_ref() {
                spans.push(Span::styled(
                    format!(" {} span(s) of this trace ", x.hits.len()),
                    theme.style(Role::Muted),
                ));
            }
        }
        _ => {}
    }
    let keys: &[(&str, &str)] = match app.mode {
        Mode::Filter => &[
            ("Enter", "keep"),
            ("Esc", "close"),
            ("Tab", "complete"),
            ("↑↓", "history"),
            ("Ctrl-W", "cut clause"),
        ],
        Mode::Command => &[("Enter", "run"), ("Esc", "cancel"), ("↑↓", "history")],
        _ => &[
            ("Enter", "keep"),
            ("Esc", "clear"),
            ("then n/N", "next / previous"),
            ("f", "only these"),
        ],
    };
    for (k, what) in keys {
        spans.push(Span::styled(format!(" {k}"), theme.style(Role::Key)));
        spans.push(Span::styled(format!(" {what} "), Style::default()));
    }
    buf.set_line(area.x, area.y, &Line::from(spans), area.width);
}

/// The completions of the last Tab, in a box above the bar starting under the clause they
/// complete; the one in the line is highlighted.
fn render_menu(app: &App, screen: &Screen, offset: usize, buf: &mut Buffer) {
    let Some(menu) = app.input.menu.as_ref() else {
        return;
    };
    let theme = app.theme;
    let (field, body) = (screen.input, screen.body);
    let room = usize::from(body.height.saturating_sub(2));
    if room == 0 {
        return;
    }
    let rows = menu.items.len().clamp(1, MENU_ROWS.min(room));
    let label_w = menu
        .items
        .iter()
        .map(|c| crate::text::width(&c.label))
        .max()
        .unwrap_or(0);
    let note_w = menu
        .items
        .iter()
        .map(|c| crate::text::width(&c.note))
        .max()
        .unwrap_or(0);
    let n = menu.items.len();
    let title = match menu.selected {
        Some(i) => format!(" {}/{n} ", i + 1),
        None if n > 0 => format!(" {n} · Tab: one by one "),
        None => String::new(),
    };
    let empty = "nothing completes here";
    let inner_w = if menu.items.is_empty() {
        empty.len() + 2
    } else {
        (label_w + 4 + note_w).max(crate::text::width(&title))
    };
    let w = u16::try_from(inner_w + 2)
        .unwrap_or(u16::MAX)
        .min(body.width);
    let col = u16::try_from(menu.start.saturating_sub(offset)).unwrap_or(0);
    let x = (field.x + col).min(body.right().saturating_sub(w));
    let h = u16::try_from(rows + 2).unwrap_or(3);
    let area = Rect {
        x,
        y: (body.y + body.height).saturating_sub(h),
        width: w,
        height: h,
    };
    Clear.render(area, buf);
    let block = Block::bordered()
        .title(title)
        .border_style(theme.style(Role::BorderFocused));
    let inner = block.inner(area);
    block.render(area, buf);
    if menu.items.is_empty() {
        buf.set_stringn(
            inner.x + 1,
            inner.y,
            empty,
            usize::from(inner.width),
            theme.style(Role::Muted),
        );
        return;
    }
    let first = menu.selected.map_or(0, |s| s.saturating_sub(rows - 1));
    for (i, c) in menu.items.iter().enumerate().skip(first).take(rows) {
        let y = inner.y + u16::try_from(i - first).unwrap_or(0);
        let selected = menu.selected == Some(i);
        let style = if selected {
            theme.style(Role::Selected)
        } else {
            Style::default()
        };
        let text = format!(
            " {}  {}",
            super::fit(&crate::text::neutralize(&c.label, false), label_w),
            c.note
        );
        buf.set_stringn(inner.x, y, &text, usize::from(inner.width), style);
        if !selected {
            let note_x = inner.x + u16::try_from(label_w + 3).unwrap_or(0);
            if note_x < inner.right() {
                buf.set_style(
                    Rect {
                        x: note_x,
                        y,
                        width: inner.right() - note_x,
                        height: 1,
                    },
                    theme.style(Role::Muted),
                );
            }
        }
    }
}
