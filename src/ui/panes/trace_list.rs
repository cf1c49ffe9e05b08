//! The trace list: one row per trace, visible rows only.

use super::{bar, fit, fit_right, header_row, outcome_style, title_bar};
use crate::model::Nanos;
use crate::query::fuzzy::Fuzzy;
use crate::query::parse::Term;
use crate::query::{Matcher, SortKey};
use crate::text::{cut_distinct, cut_names, human_count, human_dur, truncate};
use crate::ui::app::{App, Focus};
use crate::ui::state::list::{Column, Placed, layout};
use crate::ui::state::scroll::Visible;
use crate::ui::theme::Role;
use chrono::{DateTime, Local, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

/// A score below 1 (a metric that did not fully pass) reads as an error; a full score as ok.
fn score_style(theme: crate::ui::theme::Theme, score: Option<f64>) -> Style {
    match score {
        Some(v) if v < 1.0 => theme.style(Role::Error),
        Some(_) => theme.style(Role::Ok),
        None => theme.style(Role::Muted),
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

/// Spans of `shown` (a name, cut to its column) with the characters the fuzzy words match
/// highlighted.
fn highlighted(
    shown: &str,
    width: usize,
    words: &[String],
    base: Style,
    hit: Style,
) -> Vec<Span<'static>> {
    let shown = fit(shown, width);
    let fz = Fuzzy::default();
    let mut marks: Vec<usize> = Vec::new();
    for w in words {
        if let Some(idx) = fz.indices(&shown, w) {
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

/// A model for `width` columns: whole when it fits, else without its provider
/// (`openai/gpt-4o-mini` → `gpt-4o-mini`), to be cut at the end if need be (the version and
/// date at the end of a model's name matter least).
fn model_label(model: &str, width: usize) -> &str {
    if crate::text::width(model) <= width {
        return model;
    }
    model.rsplit_once('/').map_or(model, |(_, m)| m)
}

/// The list's columns for this frame (shared with a click on the header, through the same
/// layout).
#[must_use]
pub fn placed(app: &App, width: u16) -> Vec<Placed> {
    let mut need = app.view.need;
    if app.sought().is_some() {
        // the model's column says where the filter's text was found: a field and a span name
        need.model = need.model.max(FOUND_W);
    }
    // the score's column only once some trace has a score
    let scored = app.store.columns().any_score();
    let columns: Vec<Column> = app
        .opts
        .columns
        .iter()
        .copied()
        .filter(|&c| scored || c != Column::Score)
        .collect();
    layout(&columns, usize::from(width), need)
}

/// What the model's column asks for when it says where the filter's text was found
/// (`response · Predict.forward`).
const FOUND_W: usize = 32;

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
    let placed = placed(app, body.width);
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
    for p in &placed {
        header.push_str(&" ".repeat(p.x - crate::text::width(&header)));
        let w = p.width;
        header.push_str(&match p.column {
            Column::Status => fit(arrow(SortKey::Status), w),
            Column::Start => fit(
                &label(
                    if app.relative_time { "AGE" } else { "START" },
                    SortKey::Start,
                ),
                w,
            ),
            Column::Name => fit(&label("NAME", SortKey::Name), w),
            Column::Dur => fit_right(&label("DUR", SortKey::Dur), w),
            Column::Bar => fit("", w),
            Column::Spans => fit_right(&label("SPANS", SortKey::Spans), w),
            Column::Llm => fit_right(&label("LLM", SortKey::Llm), w),
            Column::Tokens => fit_right(&label("TOKENS", SortKey::Tokens), w),
            Column::Cost => fit_right(&label("COST", SortKey::Cost), w),
            Column::Score => fit_right(&label("SCORE", SortKey::Score), w),
            // with a text in the filter, where each request said it
            Column::Model if app.sought().is_some() => fit("FOUND IN", w),
            Column::Model => fit(&label("MODEL", SortKey::Model), w),
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
    let width_of = |c: Column| placed.iter().find(|p| p.column == c).map_or(0, |p| p.width);
    let (name_w, model_w) = (width_of(Column::Name), width_of(Column::Model));
    // the names and models on screen, cut so that different ones stay different
    let visible: Vec<_> = app.list.visible(&app.view.rows, rows_area).collect();
    let summaries: Vec<_> = visible.iter().map(|v| app.store.summary(*v.item)).collect();
    let names = cut_names(
        &summaries
            .iter()
            .map(|s| (s.name.map_or("", |n| app.store.str(n)), name_w))
            .collect::<Vec<_>>(),
    );
    let models = cut_distinct(
        &summaries
            .iter()
            .map(|s| {
                let m = s.model.map_or("—", |m| app.store.str(m));
                (model_label(m, model_w), model_w)
            })
            .collect::<Vec<_>>(),
        truncate,
    );
    // with a text in the filter: where each request said it, instead of its model
    let found: Option<Vec<String>> = app.sought().map(|_| {
        let m = Matcher::new(&app.store, &app.query).with_text(&app.text.hits);
        visible
            .iter()
            .map(|v| {
                m.text_hit(*v.item).map_or_else(
                    || "—".to_string(),
                    |h| {
                        let name = app.store.str(app.store.span(h.span).name);
                        truncate(&format!("{} · {name}", h.field), model_w)
                    },
                )
            })
            .collect()
    });
    for (
        row,
        &Visible {
            index: _,
            y,
            selected,
            item: &t,
        },
    ) in visible.iter().enumerate()
    {
        let tr = app.store.trace(t);
        let s = &tr.summary;

        let base = theme.row(selected, focused);
        let outcome = s.outcome();
        let (mark, mark_style) = (outcome.glyph(), outcome_style(theme, outcome));
        let when = if app.relative_time {
            ago(app.now, s.start)
        } else {
            clock(s.start, app.opts.utc)
        };
        let hot = s.duration >= app.slow_threshold && app.slow_threshold > 0;
        let mut spans = vec![if app.compare.marked == Some(t) {
            Span::styled("A", theme.style(Role::Key).patch(base))
        } else {
            Span::styled(if selected { "›" } else { " " }, base)
        }];
        for p in &placed {
            let at: usize = spans.iter().map(Span::width).sum();
            if p.x > at {
                spans.push(Span::styled(" ".repeat(p.x - at), base));
            }
            let w = p.width;
            match p.column {
                Column::Status => spans.push(Span::styled(mark, mark_style.patch(base))),
                Column::Start => spans.push(Span::styled(fit(&when, w), base)),
                Column::Name => spans.extend(highlighted(
                    &names[row],
                    w,
                    &words,
                    base,
                    base.patch(theme.style(Role::Match)),
                )),
                Column::Dur => {
                    spans.push(Span::styled(fit_right(&human_dur(s.duration), w), base));
                }
                Column::Bar => spans.push(Span::styled(
                    bar(0, s.duration, max, w),
                    theme
                        .style(if hot { Role::BarHot } else { Role::Bar })
                        .patch(base),
                )),
                Column::Spans => {
                    spans.push(Span::styled(fit_right(&s.span_count.to_string(), w), base));
                }
                Column::Llm => {
                    spans.push(Span::styled(fit_right(&s.llm_calls.to_string(), w), base));
                }
                Column::Tokens => spans.push(Span::styled(
                    fit_right(
                        &s.tokens
                            .map_or_else(|| "—".into(), |t| human_count(t.total)),
                        w,
                    ),
                    theme.style(Role::TokensIn).patch(base),
                )),
                Column::Cost => spans.push(Span::styled(
                    fit_right(
                        &crate::text::cost_cell(
                            s.cost.map(crate::model::Nanodollars::usd),
                            u64::from(s.unpriced),
                        ),
                        w,
                    ),
                    base,
                )),
                Column::Score => spans.push(Span::styled(
                    fit_right(
                        &s.score.map_or_else(
                            || "—".into(),
                            |sc| {
                                let label = sc.label.map(|l| app.store.str(l));
                                truncate(&crate::text::score_cell(sc.value, label), w)
                            },
                        ),
                        w,
                    ),
                    score_style(theme, s.score.map(|sc| sc.value)).patch(base),
                )),
                Column::Model => match &found {
                    Some(found) => spans.push(Span::styled(
                        fit(&found[row], w),
                        theme.style(Role::Match).patch(base),
                    )),
                    None => spans.push(Span::styled(fit(&models[row], w), base)),
                },
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
