//! The reader view: the trace as a transcript of its LM and tool calls, read top to bottom,
//! the filter's text marked.

use super::detail::shown_rows;
use super::title_bar;
use crate::text::{neutralize, truncate};
use crate::ui::app::App;
use crate::ui::state::reader::transcript_text;
use crate::ui::theme::Role;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let theme = app.theme;
    let r = &app.reader;
    let made;
    let text = match r.shown() {
        Some(t) => t,
        None => {
            made = transcript_text(&app.store, theme, r.trace, r.turns.as_deref(), area.width);
            &made
        }
    };
    let name = r
        .trace
        .map(|t| app.store.id_str(app.store.trace(t).id).to_string())
        .unwrap_or_default();
    let body_h = area.height.saturating_sub(1);
    let total = text.lines.len();
    let position = if total <= usize::from(body_h) {
        format!(" {total} lines ")
    } else {
        format!(" line {} of {total} ", usize::from(r.scroll) + 1)
    };
    let title = Line::from(vec![
        Span::styled("Reader ", theme.style(Role::Title)),
        Span::styled(
            truncate(&neutralize(&name, false), 13),
            theme.style(Role::Header),
        ),
    ]);
    let body = title_bar(buf, area, title, true, theme);
    let w = u16::try_from(crate::text::width(&position)).unwrap_or(u16::MAX);
    // after the title (`─ Reader ` and an id of 13 columns)
    if w + 26 < area.width {
        buf.set_string(
            area.x + area.width - w - 1,
            area.y,
            &position,
            theme.style(Role::Muted),
        );
    }
    if body.height == 0 {
        return;
    }
    let lines = shown_rows(&text.lines, r.scroll, body.height, app.sought(), theme);
    Paragraph::new(lines).render(body, buf);
}
