//! The detail of the selected span: tabs for the prompt, response, tokens & model, attributes,
//! error and raw record. Text comes from the payload references, decoded once per span.

use super::title_bar;
use crate::text::neutralize;
use crate::ui::app::{App, Focus};
use crate::ui::state::detail::{Tab, tab_text};
use crate::ui::theme::Role;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let theme = app.theme;
    let focused = app.focus == Focus::Detail;
    let current = app.detail.tab();
    let mut title = vec![Span::styled("Detail ", theme.style(Role::Title))];
    for (i, t) in Tab::ALL.iter().enumerate() {
        if i > 0 {
            title.push(Span::styled("│", theme.style(Role::Muted)));
        }
        let role = if *t == current {
            Role::Selected
        } else {
            Role::Muted
        };
        title.push(Span::styled(format!(" {} ", t.title()), theme.style(role)));
    }
    if let Some(s) = app.detail.span {
        title.push(Span::styled(
            format!(
                "  {}",
                neutralize(app.store.str(app.store.span(s).name), false)
            ),
            theme.style(Role::Header),
        ));
    }
    let inner = title_bar(buf, area, Line::from(title), focused, theme);
    if inner.height == 0 {
        return;
    }
    // the lines were made once for this span and tab (App::on_layout); drawn borrowed
    let made;
    let text = match app.detail.shown() {
        Some(t) => t,
        None => {
            made = tab_text(
                &app.store,
                theme,
                app.detail.span,
                app.detail.detail.as_ref(),
                current,
            );
            &made
        }
    };
    let lines: Vec<Line<'_>> = text
        .lines
        .iter()
        .map(|l| {
            Line::from(
                l.spans
                    .iter()
                    .map(|s| Span::styled(s.content.as_ref(), s.style))
                    .collect::<Vec<_>>(),
            )
            .style(l.style)
        })
        .collect();
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .scroll((app.detail.scroll, 0))
        .render(
            Rect {
                x: inner.x + 1,
                width: inner.width.saturating_sub(1),
                ..inner
            },
            buf,
        );
}
