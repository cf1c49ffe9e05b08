//! The trace list: one row per trace, visible rows only.

use super::{bar, fit, fit_right, header_row, status_style, title_bar};
use crate::model::{Nanos, TraceStatus};
use crate::query::SortKey;
use crate::query::fuzzy::Fuzzy;
use crate::query::parse::Term;
use crate::text::{human_count, human_dur};
use crate::ui::app::{App, Focus};
use crate::ui::state::list::Column;
use crate::ui::state::scroll::Visible;
use crate::ui::theme::Role;
use chrono::{DateTime, Local, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

const TIME_W: usize = 12;
const DUR_W: usize = 8;
const BAR_W: usize = 10;
const SPANS_W: usize = 6;
const LLM_W: usize = 4;
const TOK_W: usize = 7;
const MODEL_W: usize = 16;

/// A column's width; the name takes what the others leave.
fn width(c: Column) -> usize {
    match c {
        Column::Status => 1,
        Column::Start => TIME_W,
        Column::Name => 0,
        Column::Dur => DUR_W,
        Column::Bar => BAR_W,
        Column::Spans => SPANS_W,
        Column::Llm => LLM_W,
        Column::Tokens => TOK_W,
        Column::Model => MODEL_W,
    }
}

/// "3m ago" style.
#[must_use]
pub fn ago(now: Nanos, t: Nanos) -> String {
    let s = (now - t).max(0) / 1_000_000_000;
    match s {
        0..=59 => format!("{s}s ago"),
        60..=3599 => format!("{}m ago", s / 60),
        3600..=86_399 => format!("{}h ago", s / 3600),
        _ => format!("{}d ago", s / 86_400),
    }
}

fn clock(t: Nanos, utc: bool) -> String {
    let dt = DateTime::<Utc>::from_timestamp_nanos(t);
    if utc {
        dt.format("%H:%M:%S%.3f").to_string()
    } else {
        dt.with_timezone(&Local).format("%H:%M:%S%.3f").to_string()
    }
}

/// Spans of `name` with the fuzzy-matched characters highlighted.
fn highlighted(
    name: &str,
    width: usize,
    words: &[String],
    base: Style,
    hit: Style,
) -> Vec<Span<'static>> {
    let shown = fit(name, width);
    let fz = Fuzzy::default();
    let mut marks: Vec<usize> = Vec::new();
    for w in words {
        if let Some(idx) = fz.indices(name, w) {
            marks.extend(idx);
        }
    }
    if marks.is_empty() {
        return vec![Span::styled(shown, base)];
    }
    shown
        .chars()
        .enumerate()
        .map(|(i, c)| Span::styled(c.to_string(), if marks.contains(&i) { hit } else { base }))
        .collect()
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let theme = app.theme;
    let focused = app.focus == Focus::List;
    let total = app.store.trace_count();
    let title = Line::from(vec![
        Span::styled("Traces ", theme.style(Role::Title)),
        Span::styled(
            format!("{}/{}", app.view.rows.len(), total),
            theme.style(Role::Header),
        ),
    ]);
    let body = title_bar(buf, area, title, focused, theme);
    if body.height == 0 {
        return;
    }
    let columns = app.opts.columns.clone();
    // one space before every column but a leading status mark, which sits by the selection mark
    let sep = |i: usize, c: Column| usize::from(!(i == 0 && c == Column::Status));
    let fixed: usize = 1 + columns
        .iter()
        .enumerate()
        .map(|(i, &c)| sep(i, c) + width(c))
        .sum::<usize>();
    let name_w = (body.width as usize).saturating_sub(fixed).max(10);
    let arrow = |k: SortKey| {
        if app.sort != k {
            ""
        } else if app.reverse {
            "▲"
        } else {
            "▼"
        }
    };
    let label = |name: &str, k: SortKey| format!("{name}{}", arrow(k));
    let mut header = String::from(" ");
    for (i, &c) in columns.iter().enumerate() {
        header.push_str(&" ".repeat(sep(i, c)));
        header.push_str(&match c {
            Column::Status => fit(arrow(SortKey::Status), 1),
            Column::Start => fit(
                &label(
                    if app.relative_time { "AGE" } else { "START" },
                    SortKey::Start,
                ),
                TIME_W,
            ),
            Column::Name => fit(&label("NAME", SortKey::Name), name_w),
            Column::Dur => fit_right(&label("DUR", SortKey::Dur), DUR_W),
            Column::Bar => fit("", BAR_W),
            Column::Spans => fit_right(&label("SPANS", SortKey::Spans), SPANS_W),
            Column::Llm => fit_right(&label("LLM", SortKey::Llm), LLM_W),
            Column::Tokens => fit_right(&label("TOKENS", SortKey::Tokens), TOK_W),
            Column::Model => fit(&label("MODEL", SortKey::Model), MODEL_W),
        });
    }
    let rows_area = header_row(buf, body, &header, theme);
    if app.view.rows.is_empty() {
        let msg = if total == 0 {
            "no traces yet"
        } else {
            "no trace matches the filter (/ to change it, s / e toggles)"
        };
        super::empty_note(buf, rows_area, msg, theme);
        return;
    }
    let words: Vec<String> = app
        .query
        .clauses
        .iter()
        .filter(|c| !c.negated)
        .filter_map(|c| {
            if let Term::Fuzzy(w) = &c.term {
                Some(w.clone())
            } else {
                None
            }
        })
        .collect();
    let max = app.view.max_duration;
    for Visible {
        index: _,
        y,
        selected,
        item: &t,
    } in app.list.visible(&app.view.rows, rows_area)
    {
        let tr = app.store.trace(t);
        let s = &tr.summary;

        let base = theme.row(selected, focused);
        let (mark, mark_style) = match s.status {
            TraceStatus::Error => ("✗", status_style(theme, s.status)),
            TraceStatus::Running => ("…", status_style(theme, s.status)),
            TraceStatus::Ok if s.error_spans > 0 => ("!", theme.style(Role::Error)),
            TraceStatus::Ok => ("✓", status_style(theme, s.status)),
        };
        let when = if app.relative_time {
            ago(app.now, s.start)
        } else {
            clock(s.start, app.opts.utc)
        };
        let hot = s.duration >= app.slow_threshold && app.slow_threshold > 0;
        let name = s.name.map_or("", |n| app.store.str(n));
        let mut spans = vec![if app.compare.marked == Some(t) {
            Span::styled("A", theme.style(Role::Key).patch(base))
        } else {
            Span::styled(if selected { "›" } else { " " }, base)
        }];
        for (i, &c) in columns.iter().enumerate() {
            if sep(i, c) > 0 {
                spans.push(Span::styled(" ", base));
            }
            match c {
                Column::Status => spans.push(Span::styled(mark, mark_style.patch(base))),
                Column::Start => spans.push(Span::styled(fit(&when, TIME_W), base)),
                Column::Name => spans.extend(highlighted(
                    name,
                    name_w,
                    &words,
                    base,
                    base.patch(theme.style(Role::Match)),
                )),
                Column::Dur => {
                    spans.push(Span::styled(fit_right(&human_dur(s.duration), DUR_W), base));
                }
                Column::Bar => spans.push(Span::styled(
                    bar(0, s.duration, max, BAR_W),
                    theme
                        .style(if hot { Role::BarHot } else { Role::Bar })
                        .patch(base),
                )),
                Column::Spans => spans.push(Span::styled(
                    fit_right(&s.span_count.to_string(), SPANS_W),
                    base,
                )),
                Column::Llm => spans.push(Span::styled(
                    fit_right(&s.llm_calls.to_string(), LLM_W),
                    base,
                )),
                Column::Tokens => spans.push(Span::styled(
                    fit_right(
                        &s.tokens
                            .map_or_else(|| "—".into(), |t| human_count(t.total)),
                        TOK_W,
                    ),
                    theme.style(Role::TokensIn).patch(base),
                )),
                Column::Model => spans.push(Span::styled(
                    fit(s.model.map_or("—", |m| app.store.str(m)), MODEL_W),
                    base,
                )),
            }
        }
        // pad the selection highlight to the full width
        buf.set_style(
            Rect {
                y,
                height: 1,
                ..rows_area
            },
            base,
        );
        buf.set_line(rows_area.x, y, &Line::from(spans), rows_area.width);
    }
}
