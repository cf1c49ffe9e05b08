//! The detail of the selected span: tabs for the prompt, response, tokens & model, attributes,
//! error and raw record. Text comes from the payload references, decoded once per span.

use super::title_bar;
use crate::ingest::detail::{SpanDetail, pretty};
use crate::text::neutralize;
use crate::ui::app::{App, Focus};
use crate::ui::state::detail::Tab;
use crate::ui::theme::{Role, Theme};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Paragraph, Widget, Wrap};

fn heading(theme: Theme, s: &str) -> Line<'static> {
    Line::styled(format!("── {s} "), theme.style(Role::Header))
}

fn body(text: &str) -> Vec<Line<'static>> {
    neutralize(text, true)
        .replace('\t', "    ")
        .lines()
        .map(|l| Line::raw(l.to_string()))
        .collect()
}

/// The lines of one tab.
#[must_use]
pub fn tab_text(app: &App, tab: Tab) -> Text<'static> {
    let theme = app.theme;
    let Some(span) = app.detail.span else {
        return Text::styled("select a span", theme.style(Role::Muted));
    };
    let empty = SpanDetail::default();
    let d = app.detail.detail.as_ref().unwrap_or(&empty);
    let sp = app.store.span(span);
    let mut lines: Vec<Line<'static>> = Vec::new();
    let muted = |s: &str| Line::styled(s.to_string(), theme.style(Role::Muted));
    for p in &d.problems {
        lines.push(Line::styled(p.clone(), theme.style(Role::Error)));
    }
    match tab {
        Tab::Prompt => {
            if d.messages.is_empty() {
                if let Some(i) = &d.inputs {
                    lines.push(heading(theme, "inputs"));
                    lines.extend(body(&pretty(i)));
                } else {
                    lines.push(muted(&format!(
                        "no prompt: this is a {} span without recorded inputs",
                        sp.kind
                    )));
                }
            }
            for (n, m) in d.messages.iter().enumerate() {
                if n > 0 {
                    lines.push(Line::raw(""));
                }
                lines.push(heading(
                    theme,
                    if m.role.is_empty() {
                        "message"
                    } else {
                        &m.role
                    },
                ));
                lines.extend(body(&m.content));
            }
        }
        Tab::Response => match (&d.response, &d.outputs) {
            (Some(r), _) => lines.extend(body(r)),
            (None, Some(o)) => {
                lines.push(heading(theme, "outputs"));
                lines.extend(body(&pretty(o)));
            }
            (None, None) => lines.push(muted("no response recorded")),
        },
        Tab::Tokens => {
            let kv = |k: &str, v: String| {
                Line::from(vec![
                    Span::styled(format!("{k:<12}"), theme.style(Role::Header)),
                    Span::raw(v),
                ])
            };
            match sp.tokens {
                Some(t) => {
                    lines.push(Line::from(vec![
                        Span::styled(format!("{:<12}", "prompt"), theme.style(Role::Header)),
                        Span::styled(t.prompt.to_string(), theme.style(Role::TokensIn)),
                    ]));
                    lines.push(Line::from(vec![
                        Span::styled(format!("{:<12}", "completion"), theme.style(Role::Header)),
                        Span::styled(t.completion.to_string(), theme.style(Role::TokensOut)),
                    ]));
                    lines.push(kv("total", t.total.to_string()));
                }
                None => lines.push(muted("no token usage on this span")),
            }
            lines.push(kv(
                "model",
                sp.model.map_or("—", |m| app.store.str(m)).to_string(),
            ));
            let tr = &app.store.trace(sp.trace).summary;
            if tr.root == Some(span) || sp.has(crate::model::span::flags::SYNTHETIC_ROOT) {
                lines.push(Line::raw(""));
                lines.push(heading(theme, "trace"));
                lines.push(kv(
                    "tokens",
                    tr.tokens.map_or_else(
                        || "—".into(),
                        |t| format!("{} in / {} out / {} total", t.prompt, t.completion, t.total),
                    ),
                ));
                lines.push(kv("LM calls", tr.llm_calls.to_string()));
            }
            if let Some(p) = &d.params {
                lines.push(Line::raw(""));
                lines.push(heading(theme, "invocation parameters"));
                lines.extend(body(&pretty(p)));
            }
        }
        Tab::Attributes => {
            if d.attributes.is_empty() {
                lines.push(muted("no attributes"));
            }
            let kw = d
                .attributes
                .iter()
                .map(|(k, _)| k.len())
                .max()
                .unwrap_or(0)
                .min(40);
            for (k, v) in &d.attributes {
                let mut vl = body(v);
                let first = if vl.is_empty() {
                    Line::raw("")
                } else {
                    vl.remove(0)
                };
                let mut spans = vec![Span::styled(
                    format!("{k:<kw$} "),
                    theme.style(Role::Header),
                )];
                spans.extend(first.spans);
                lines.push(Line::from(spans));
                lines.extend(vl);
            }
        }
        Tab::Error => match &d.error {
            Some(e) => {
                if let Some(k) = &e.kind {
                    lines.push(Line::styled(
                        neutralize(k, false).into_owned(),
                        theme.style(Role::Error),
                    ));
                }
                if let Some(m) = &e.message {
                    lines.extend(body(m));
                }
                if let Some(st) = &e.stacktrace {
                    lines.push(Line::raw(""));
                    lines.push(heading(theme, "stack trace"));
                    lines.extend(body(st));
                }
            }
            None => lines.push(muted("no error")),
        },
        Tab::Raw => {
            for r in &d.raw {
                lines.extend(body(r));
            }
            if d.raw.is_empty() {
                lines.push(muted("no record"));
            }
        }
    }
    Text::from(lines)
}

pub fn render(app: &mut App, area: Rect, buf: &mut Buffer) {
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
    app.areas[2] = inner;
    let text = tab_text(app, current);
    let max_scroll = u16::try_from(text.lines.len().saturating_sub(1)).unwrap_or(u16::MAX);
    app.detail.scroll = app.detail.scroll.min(max_scroll);
    Paragraph::new(text)
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
