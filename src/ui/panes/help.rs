//! Overlays: the help (generated from the keymap) and the ingest accounting with the rejected
//! lines (`:stats`, `:errors`).

use crate::ingest::spool::Spool;
use crate::text::human_bytes;
use crate::ui::app::App;
use crate::ui::app::help::{HelpLine, KEYS_W};
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

/// The help's lines for an overlay `width` columns wide inside its border.
#[must_use]
pub fn help_lines(app: &App, width: usize) -> Vec<Line<'static>> {
    let theme = app.theme;
    app.help_lines(width)
        .into_iter()
        .map(|l| match l {
            HelpLine::Title(t) => Line::styled(t, theme.style(Role::Title)),
            HelpLine::Row { keys, text } => Line::from(vec![
                Span::styled(format!("  {keys:<KEYS_W$} "), theme.style(Role::Key)),
                Span::raw(text),
            ]),
            HelpLine::Blank => Line::raw(""),
        })
        .collect()
}

/// The help in `r` (where the frame's layout put it), scrolled, with where it is and how to
/// scroll in its bottom border when it does not fit.
pub fn render_help(app: &App, r: Rect, buf: &mut Buffer) {
    if r.height < 3 || r.width < 3 {
        return;
    }
    let lines = help_lines(app, usize::from(r.width - 2));
    let page = usize::from(r.height - 2);
    let top = usize::from(app.help_scroll).min(lines.len().saturating_sub(page));
    let mut block = Block::bordered()
        .title(" Keys — any other key closes ")
        .border_style(app.theme.style(Role::BorderFocused));
    if lines.len() > page {
        let more = if top + page < lines.len() {
            "↓ more  "
        } else {
            ""
        };
        block = block.title_bottom(
            Line::styled(
                format!(
                    " {more}j/k PgDn/PgUp g/G scroll · lines {}–{} of {} ",
                    top + 1,
                    (top + page).min(lines.len()),
                    lines.len()
                ),
                app.theme.style(Role::Key),
            )
            .right_aligned(),
        );
    }
    Clear.render(r, buf);
    Paragraph::new(Text::from(lines))
        .block(block)
        .scroll((u16::try_from(top).unwrap_or(u16::MAX), 0))
        .render(r, buf);
}

/// Where every record went: the totals (`received = indexed + merged + duplicate + evicted +
/// rejected`), the retention, then each source with its state, counts and first rejections.
#[must_use]
pub fn ingest_lines(app: &App) -> Vec<Line<'static>> {
    let theme = app.theme;
    let store = &app.store;
    let a = store.accounting();
    let n = |v: u64| group_digits(v);
    let w = [a.received, a.traces]
        .iter()
        .map(|&v| n(v).len())
        .max()
        .unwrap_or(1);
    let row = |label: &str, v: u64, what: String| {
        Line::from(vec![
            Span::styled(format!("  {label:<12}"), theme.style(Role::Key)),
            Span::raw(format!("{:>w$}  ", n(v))),
            Span::styled(what, theme.style(Role::Muted)),
        ])
    };
    let mut lines = vec![
        Line::from(vec![
            Span::styled(format!("{:<14}", "Span records"), theme.style(Role::Title)),
            Span::raw(format!("{:>w$}  received", n(a.received))),
        ]),
        row("indexed", a.indexed, "held now".into()),
        row(
            "merged",
            a.merged,
            "completed a span already held (an end line after its start)".into(),
        ),
        row(
            "duplicate",
            a.duplicates,
            "a second whole span with the same ids, dropped (the first is kept)".into(),
        ),
        row(
            "evicted",
            a.evicted,
            format!("with the oldest {} trace(s)", n(a.traces_evicted)),
        ),
        row(
            "rejected",
            a.rejected,
            "refused, with the reasons (per source below)".into(),
        ),
        Line::from(vec![
            Span::styled(format!("{:<14}", "Traces"), theme.style(Role::Title)),
            Span::raw(format!(
                "{:>w$}  held, {} evicted",
                n(a.traces),
                n(a.traces_evicted)
            )),
        ]),
    ];
    let r = store.retention();
    let mut bounds = Vec::new();
    if let Some(t) = r.max_traces {
        bounds.push(format!("--max-traces {}", n(t as u64)));
    }
    if let Some(b) = r.max_bytes {
        bounds.push(format!("--max-memory {}", human_bytes(b)));
    }
    lines.push(Line::from(vec![
        Span::styled(format!("{:<14}", "Memory"), theme.style(Role::Title)),
        Span::raw(format!(
            "{:>w$}  (index and in-memory payloads), {}",
            human_bytes(store.memory()),
            if bounds.is_empty() {
                "no bound (--max-traces, --max-memory)".to_string()
            } else {
                format!("bounded by {}", bounds.join(" and "))
            }
        )),
    ]));
    if let Some(spool) = &app.opts.spool {
        lines.push(spool_line(spool, theme, w));
    }
    lines.push(Line::raw(""));
    for s in store.sources() {
        let mut head = vec![Span::styled(
            crate::text::neutralize(&s.label, false).into_owned(),
            theme.style(Role::Title),
        )];
        if !s.state.is_empty() {
            head.push(Span::styled(
                format!(" ({})", crate::text::neutralize(&s.state, false)),
                theme.style(Role::Muted),
            ));
        }
        lines.push(Line::from(head));
        let mut counts = format!("  {} record(s)", n(s.units));
        if s.requests > 0 {
            counts.push_str(&format!(" in {} request(s)", n(s.requests)));
        }
        // where this source's records went: held, and the other outcomes that happened
        let sa = s.accounting();
        let mut parts = vec![format!("{} held", n(sa.indexed))];
        for (v, what) in [
            (sa.merged, "merged"),
            (sa.duplicates, "duplicate"),
            (sa.evicted, "evicted"),
            (sa.rejected, "rejected"),
        ] {
            if v > 0 {
                parts.push(format!("{} {what}", n(v)));
            }
        }
        counts.push_str(&format!(
            ", {} · {} span record(s): {}",
            human_bytes(s.bytes),
            n(sa.received),
            parts.join(", ")
        ));
        lines.push(Line::raw(counts));
        if s.logs + s.logs_without_span > 0 {
            lines.push(Line::raw(format!(
                "  {} log event(s) for spans, {} log record(s) of no span (shown on none)",
                n(s.logs),
                n(s.logs_without_span)
            )));
        }
        for r in &s.rejections {
            let at = if r.line > 0 {
                format!("  line {}: ", r.line)
            } else {
                "  ".into()
            };
            lines.push(Line::from(vec![
                Span::styled(at, theme.style(Role::Key)),
                Span::styled(
                    crate::text::neutralize(&r.reason, false).into_owned(),
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
    lines
}

/// `1,234,567`.
fn group_digits(v: u64) -> String {
    let s = v.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The spool's line: what it holds on disk against its bound, what went through it, what was
/// dropped to stay within the bound, failed writes, and where it is.
fn spool_line(spool: &Spool, theme: crate::ui::theme::Theme, w: usize) -> Line<'static> {
    let st = spool.stats();
    let mut what = match spool.max() {
        Some(max) => format!(" on disk of {} (--max-spool)", human_bytes(max)),
        None => " in the record file".to_string(),
    };
    what.push_str(&format!(", {} written", human_bytes(st.written)));
    if st.dropped_segments > 0 {
        what.push_str(&format!(
            ", {} oldest segment(s) dropped ({}) with their traces",
            group_digits(st.dropped_segments),
            human_bytes(st.dropped_bytes)
        ));
    }
    if st.failed > 0 {
        what.push_str(&format!(
            ", {} write(s) failed (a full disk?)",
            group_digits(st.failed)
        ));
    }
    Line::from(vec![
        Span::styled(format!("{:<14}", "Spool"), theme.style(Role::Title)),
        Span::raw(format!("{:>w$}", human_bytes(st.held))),
        Span::raw(what),
        Span::styled(
            format!(
                " — {}",
                crate::text::neutralize(&spool.path().display().to_string(), false)
            ),
            theme.style(Role::Muted),
        ),
    ])
}

pub fn render_ingest(app: &App, area: Rect, buf: &mut Buffer) {
    let theme = app.theme;
    let lines = ingest_lines(app);
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
                .title(" Ingest: where every record went — j/k scroll, any other key closes ")
                .border_style(theme.style(Role::BorderFocused)),
        )
        .scroll((app.help_scroll, 0))
        .render(r, buf);
}
