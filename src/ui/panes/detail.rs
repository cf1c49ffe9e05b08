//! The detail of the selected span: tabs for the prompt, response, tokens & model, attributes,
//! error and raw record. Text comes from the payload references, decoded once per span.

use super::title_bar;
use crate::text::neutralize;
use crate::ui::app::{App, Focus};
use crate::ui::state::detail::{Tab, tab_text};
use crate::ui::state::found::find_ci;
use crate::ui::theme::{Role, Theme};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let theme = app.theme;
    let focused = app.focus == Focus::Detail;
    let current = app.detail.tab();
    let inner = crate::ui::layout::below(area, 1);
    let text_area = Rect {
        x: inner.x + 1,
        width: inner.width.saturating_sub(1),
        ..inner
    };
    // the lines were made once for this span, tab and width (App::on_layout); drawn borrowed
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
                text_area.width,
            );
            &made
        }
    };
    let name = app
        .detail
        .span
        .map(|s| neutralize(app.store.str(app.store.span(s).name), false).into_owned());
    let position = name
        .is_some()
        .then(|| position(text.lines.len(), app.detail.scroll, inner.height));
    let (title, label) = title(current, name.as_deref(), position, area.width, theme);
    let inner = title_bar(buf, area, title, focused, theme);
    if let Some(label) = label {
        let w = u16::try_from(crate::text::width(&label)).unwrap_or(u16::MAX);
        buf.set_string(
            area.x + area.width.saturating_sub(w + 1),
            area.y,
            &label,
            theme.style(Role::Muted),
        );
    }
    if inner.height == 0 {
        return;
    }
    let lines = shown_rows(
        &text.lines,
        app.detail.scroll,
        text_area.height,
        app.sought(),
        theme,
    );
    // the rows are wrapped already, each hanging where it belongs
    Paragraph::new(lines).render(text_area, buf);
}

/// The rows that show from `scroll` on in `height` rows, the filter's text marked in them.
pub(crate) fn shown_rows<'a>(
    rows: &'a [Line<'_>],
    scroll: u16,
    height: u16,
    sought: Option<&str>,
    theme: Theme,
) -> Vec<Line<'a>> {
    rows.iter()
        .skip(usize::from(scroll))
        .take(usize::from(height))
        .map(|l| {
            let mut spans = Vec::with_capacity(l.spans.len());
            for s in &l.spans {
                marked(&mut spans, s.content.as_ref(), s.style, sought, theme);
            }
            Line::from(spans).style(l.style)
        })
        .collect()
}

/// `text` in `style` as spans, the parts that say `sought` marked.
pub(crate) fn marked<'a>(
    out: &mut Vec<Span<'a>>,
    text: &'a str,
    style: Style,
    sought: Option<&str>,
    theme: Theme,
) {
    let found = sought.map(|s| find_ci(text, s)).unwrap_or_default();
    let mut at = 0;
    for r in found {
        if r.start > at {
            out.push(Span::styled(&text[at..r.start], style));
        }
        out.push(Span::styled(&text[r.clone()], theme.style(Role::Match)));
        at = r.end;
    }
    if at < text.len() || out.is_empty() {
        out.push(Span::styled(&text[at..], style));
    }
}

/// Where the text is scrolled to, long and short: the top row shown of how many (`line 21 of
/// 340`, `21/340`), or how many lines there are when they all fit.
fn position(total: usize, scroll: u16, height: u16) -> (String, String) {
    if total <= usize::from(height) {
        let n = match total {
            1 => " 1 line ".to_string(),
            n => format!(" {n} lines "),
        };
        (n.clone(), n)
    } else {
        let top = usize::from(scroll) + 1;
        (
            format!(" line {top} of {total} "),
            format!(" {top}/{total} "),
        )
    }
}

/// The pane's title in `width` columns, and the scroll position to draw at its right end. The
/// tabs come first; then the position (long, or short); then the span's name, cut to what is
/// left. Tabs other than the open one are named short when the full names leave no room for
/// the position.
fn title(
    current: Tab,
    name: Option<&str>,
    position: Option<(String, String)>,
    width: u16,
    theme: Theme,
) -> (Line<'static>, Option<String>) {
    let tabs = |short: bool| {
        let mut spans = vec![Span::styled("Detail ", theme.style(Role::Title))];
        for (i, t) in Tab::ALL.iter().enumerate() {
            if i > 0 {
                spans.push(Span::styled("│", theme.style(Role::Muted)));
            }
            let (role, label) = if *t == current {
                (Role::Selected, t.title())
            } else if short {
                (Role::Muted, t.short_title())
            } else {
                (Role::Muted, t.title())
            };
            spans.push(Span::styled(format!(" {label} "), theme.style(role)));
        }
        spans
    };
    let width = usize::from(width);
    // the title bar's lead-in and its trailing space
    let chrome = 3;
    let mut choice = None;
    'fit: for short in [false, true] {
        let spans = tabs(short);
        let used = chrome + spans.iter().map(Span::width).sum::<usize>();
        for label in position.iter().flat_map(|(long, short)| [long, short]) {
            let need = used + crate::text::width(label) + 1;
            if need <= width {
                choice = Some((spans, Some(width - need), Some(label.clone())));
                break 'fit;
            }
        }
    }
    // without a position drawn, the name is cut by the pane's edge
    let (mut spans, room, label) = choice.unwrap_or_else(|| (tabs(false), None, None));
    if let Some(name) = name {
        let shown = match room.map(|r| r.saturating_sub(2)) {
            None => Some(name.to_string()),
            Some(r) if r >= 6 => Some(crate::text::truncate(name, r)),
            Some(_) => None,
        };
        if let Some(shown) = shown {
            spans.push(Span::styled(
                format!("  {shown}"),
                theme.style(Role::Header),
            ));
        }
    }
    (Line::from(spans), label)
}
