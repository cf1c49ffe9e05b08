//! Overlays: the help (generated from the keymap) and the rejected-lines list (`:errors`).

use crate::ui::app::App;
use crate::ui::keymap::{Context, DEFAULT, describe};
use crate::ui::theme::Role;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Clear, Paragraph, Widget, Wrap};

fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// The help lines: every binding, grouped by pane, one line per action.
#[must_use]
pub fn help_lines(app: &App) -> Vec<Line<'static>> {
    let theme = app.theme;
    let mut lines = Vec::new();
    for (ctx, title) in [
        (Context::Global, "Everywhere"),
        (Context::List, "Trace list"),
        (Context::Waterfall, "Waterfall"),
        (Context::Detail, "Detail"),
    ] {
        lines.push(Line::styled(title.to_string(), theme.style(Role::Title)));
        let mut seen = Vec::new();
        for bd in DEFAULT.iter().filter(|b| b.context == ctx) {
            if seen.contains(&bd.action) {
                continue;
            }
            seen.push(bd.action);
            let keys: Vec<&str> = DEFAULT
                .iter()
                .filter(|b| b.context == ctx && b.action == bd.action)
                .map(|b| b.label)
                .collect();
            let mut keys = keys.join(" ");
            keys.truncate(16);
            lines.push(Line::from(vec![
                Span::styled(format!("  {keys:<16} "), theme.style(Role::Key)),
                Span::raw(describe(bd.action)),
            ]));
        }
        lines.push(Line::raw(""));
    }
    lines.push(Line::styled("Filter bar (/)", theme.style(Role::Title)));
    for l in [
        "  dur>2s status:error|running name:TEXT model:TEXT tokens>1k spans>10 kind:llm",
        "  id:PREFIX attr.KEY=VALUE span.dur>1s span.status:error span.pct>25 -TERM, words fuzzy",
        "  Enter keeps the filter, Esc closes the bar, ↑/↓ history",
    ] {
        lines.push(Line::raw(l));
    }
    lines
}

pub fn render_help(app: &App, area: Rect, buf: &mut Buffer) {
    let lines = help_lines(app);
    let h = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let r = centered(area, 92, h);
    Clear.render(r, buf);
    Paragraph::new(Text::from(lines))
        .block(
            Block::bordered()
                .title(" Keys — any key closes ")
                .border_style(app.theme.style(Role::BorderFocused)),
        )
        .scroll((app.help_scroll, 0))
        .render(r, buf);
}

pub fn render_errors(app: &App, area: Rect, buf: &mut Buffer) {
    let theme = app.theme;
    let mut lines = Vec::new();
    for s in app.store.sources() {
        lines.push(Line::from(vec![
            Span::styled(
                crate::headless::neutralize(&s.label, false).into_owned(),
                theme.style(Role::Title),
            ),
            Span::raw(format!(
                "  {} record(s), {} rejected, {} duplicate span(s)",
                s.units, s.rejected, s.duplicates
            )),
        ]));
        for r in &s.rejections {
            let at = if r.line > 0 {
                format!("  line {}: ", r.line)
            } else {
                "  ".into()
            };
            lines.push(Line::from(vec![
                Span::styled(at, theme.style(Role::Key)),
                Span::styled(
                    crate::headless::neutralize(&r.reason, false).into_owned(),
                    theme.style(Role::Error),
                ),
            ]));
        }
        if s.rejected as usize > s.rejections.len() {
            lines.push(Line::raw(format!(
                "  … and {} more",
                s.rejected as usize - s.rejections.len()
            )));
        }
    }
    let r = centered(
        area,
        area.width.saturating_sub(8),
        area.height.saturating_sub(4),
    );
    Clear.render(r, buf);
    Paragraph::new(Text::from(lines))
        .wrap(Wrap { trim: false })
        .block(
            Block::bordered()
                .title(" Rejected input — any key closes ")
                .border_style(theme.style(Role::BorderFocused)),
        )
        .render(r, buf);
}
