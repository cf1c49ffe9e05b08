//! The span waterfall of the selected trace: where its time went (the critical path's steps),
//! a column header with a time ruler over the bars, then per span its tree, bar on the trace's
//! time axis, duration, % of trace and self time (the largest highlighted). Visible rows only.

use super::{bar, fit, fit_right, title_bar};
use crate::analysis::breakdown::Breakdown;
use crate::model::Store;
use crate::model::waterfall::Waterfall;
use crate::text::human_dur;
use crate::ui::app::{App, Focus};
use crate::ui::state::scroll::Visible;
use crate::ui::theme::Role;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

const DUR_W: usize = 8;
const PCT_W: usize = 10;
/// The self time, and one column for the mark of the largest.
const SELF_W: usize = 8;
/// What the line of the critical path's steps starts with.
const CRITICAL: &str = "critical: ";

/// The steps of the critical path of the laid-out trace in `max` columns (see
/// `text::critical_line`).
fn critical_line(store: &Store, wf: &Waterfall, b: &Breakdown, max: usize) -> Option<String> {
    crate::text::critical_line(&b.named_steps(store, &wf.spans), max)
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let theme = app.theme;
    let focused = app.focus == Focus::Waterfall;
    let Some(t) = app.wf.trace else {
        let body = title_bar(
            buf,
            area,
            Line::styled("Waterfall", theme.style(Role::Title)),
            focused,
            theme,
        );
        super::empty_note(buf, body, "select a trace", theme);
        return;
    };
    let tr = app.store.trace(t);
    let s = &tr.summary;
    let mut title: Vec<Span<'_>> = vec![
        Span::styled("Waterfall ", theme.style(Role::Title)),
        Span::styled(
            crate::text::neutralize(s.name.map_or("", |n| app.store.str(n)), false).into_owned(),
            theme.style(Role::Header),
        ),
        Span::raw(format!(
            "  {}  {} spans",
            human_dur(s.duration),
            s.span_count
        )),
    ];
    if s.sequential {
        title.push(Span::styled(
            "  steps laid out in sequence",
            theme.style(Role::Muted),
        ));
    }
    if app.wf.critical {
        title.push(Span::styled(
            "  ┃ critical path marked",
            theme.style(Role::Critical),
        ));
    }
    if app.slow_only {
        title.push(Span::styled(
            format!("  ≥{}% only", app.opts.min_pct),
            theme.style(Role::Muted),
        ));
    }
    if app.failed_only {
        title.push(Span::styled("  failed only", theme.style(Role::Error)));
    }
    if let Some(x) = &app.wf.search {
        title.push(Span::styled(
            format!(
                "  /{}: {} found{}",
                crate::text::neutralize(&x.query, false),
                x.hits.len(),
                if x.only { " (only these, f)" } else { "" }
            ),
            theme.style(Role::Match),
        ));
    }
    if app.wf.search.is_some() && app.wf.search_partial {
        title.push(Span::styled(
            format!(
                "  texts searched in the first {} spans",
                crate::ui::perform::SEARCH_TEXT_SPANS
            ),
            theme.style(Role::Muted),
        ));
    }
    let head = crate::ui::layout::waterfall_head(area.height);
    let Some(wf) = app.wf.layout.as_ref() else {
        title_bar(buf, area, Line::from(title), focused, theme);
        return;
    };
    let b = &app.wf.breakdown;
    let width = area.width as usize;
    if head < 3 {
        // no line of its own: after the title, when the step with the most time fits there
        let used: usize = 2 + title.iter().map(|s| s.width()).sum::<usize>();
        let room = width.saturating_sub(used + 2 + CRITICAL.len() + 1);
        if let Some(line) = critical_line(&app.store, wf, b, room) {
            title.push(Span::styled(
                format!("  {CRITICAL}"),
                theme.style(Role::Critical),
            ));
            title.push(Span::raw(line));
        }
    }
    let mut body = title_bar(buf, area, Line::from(title), focused, theme);
    if head >= 3 && body.height > 0 {
        let room = width.saturating_sub(CRITICAL.len() + 2);
        // a step too long for the line is cut rather than left out
        let text = critical_line(&app.store, wf, b, room)
            .or_else(|| critical_line(&app.store, wf, b, usize::MAX).map(|l| fit(&l, room)));
        let line = match text {
            Some(text) => Line::from(vec![
                Span::styled(format!(" {CRITICAL}"), theme.style(Role::Critical)),
                Span::raw(text),
            ]),
            None if s.status == crate::model::TraceStatus::Running => Line::styled(
                format!(" {CRITICAL}known when the request ends"),
                theme.style(Role::Muted),
            ),
            None => Line::default(),
        };
        buf.set_line(body.x, body.y, &line, body.width);
        body = crate::ui::layout::below(body, 1);
    }
    let bar_w = (width / 4).clamp(8, 50);
    let name_w = width
        .saturating_sub(bar_w + DUR_W + PCT_W + SELF_W + 6)
        .max(8);
    if body.height > 0 {
        let header = Line::from(vec![
            Span::styled(
                format!(" {}", fit("SPAN", name_w)),
                theme.style(Role::Header),
            ),
            Span::raw(" "),
            Span::styled(
                crate::text::ruler(s.duration, bar_w),
                theme.style(Role::Muted),
            ),
            Span::styled(
                format!(
                    " {} {} {} ",
                    fit_right("DURATION", DUR_W),
                    fit_right("% OF TRACE", PCT_W),
                    fit_right("SELF", SELF_W - 1)
                ),
                theme.style(Role::Header),
            ),
        ]);
        buf.set_line(body.x, body.y, &header, body.width);
        body = crate::ui::layout::below(body, 1);
    }
    if body.height == 0 {
        return;
    }
    if app.wf.visible.is_empty() {
        super::empty_note(buf, body, "no span passes the slow / failed filters", theme);
        return;
    }
    let rows: Vec<_> = app.wf.scroll.visible(&app.wf.visible, body).collect();
    let names = cut_names(app, &rows, name_w);
    for (
        row,
        &Visible {
            index: _,
            y,
            selected,
            item: &v,
        },
    ) in rows.iter().enumerate()
    {
        let r = &wf.rows[v];
        let span_idx = wf.span(r);
        let sp = app.store.span(span_idx);

        let on_path = app.wf.is_critical(r.idx);
        let hot = b.largest_self == Some(r.idx);
        let mut base = theme.row(selected, focused);
        let found = app
            .wf
            .search
            .as_ref()
            .is_some_and(|x| x.hits.contains(&span_idx));
        if found {
            base = theme.style(Role::Match).patch(base);
        }
        if sp.is_error() {
            base = theme.style(Role::Error).patch(base);
        } else if on_path {
            base = theme.style(Role::Critical).patch(base);
        }
        let has_children = !wf.tree.children[r.idx].is_empty();
        let fold = if !has_children {
            " "
        } else if app.wf.collapsed.contains(&span_idx) {
            "▸"
        } else {
            "▾"
        };
        let orphan = if wf.tree.orphan[r.idx] { "⚠" } else { "" };
        let mut label = format!(
            "{}{fold}{} {}{orphan}",
            app.wf.prefixes[v],
            sp.kind.glyph(),
            names[row]
        );
        if let Some(e) = sp.error.filter(|_| sp.is_error()) {
            label.push_str(&format!(
                "  ✗ {}",
                app.store.str(e).lines().next().unwrap_or("")
            ));
        }
        let dur = sp.duration().map_or_else(|| "running".into(), human_dur);
        let bar_role = if on_path {
            Role::Critical
        } else if sp.is_error() {
            Role::Error
        } else {
            Role::Bar
        };
        let line = Line::from(vec![
            Span::styled(
                if on_path {
                    "┃"
                } else if found {
                    "»"
                } else {
                    " "
                },
                theme.style(Role::Critical).patch(base),
            ),
            Span::styled(fit(&label, name_w), base),
            Span::styled(" ", base),
            Span::styled(
                bar(r.offset, r.duration, s.duration, bar_w),
                theme.style(bar_role).patch(base),
            ),
            Span::styled(" ", base),
            Span::styled(fit_right(&dur, DUR_W), base),
            Span::styled(" ", base),
            Span::styled(fit_right(&format!("{:.1}%", r.pct), PCT_W), base),
            Span::styled(" ", base),
            Span::styled(
                format!(
                    "{}{}",
                    fit_right(&human_dur(r.self_time), SELF_W - 1),
                    if hot { "▲" } else { " " }
                ),
                if hot {
                    // over the row's own style (critical, failed): this cell stands out
                    base.patch(theme.style(Role::SelfHot))
                } else {
                    theme.style(Role::Muted).patch(base)
                },
            ),
        ]);
        buf.set_style(
            Rect {
                y,
                height: 1,
                ..body
            },
            base,
        );
        buf.set_line(body.x, y, &line, body.width);
    }
}

/// The names of the visible rows, each cut to the room its tree prefix, fold mark, kind glyph
/// and orphan mark leave in `name_w` columns, so that different names stay different.
fn cut_names(app: &App, rows: &[Visible<'_, usize>], name_w: usize) -> Vec<String> {
    let Some(wf) = app.wf.layout.as_ref() else {
        return Vec::new();
    };
    let items: Vec<(&str, usize)> = rows
        .iter()
        .map(|&Visible { item: &v, .. }| {
            let r = &wf.rows[v];
            let marks = 3 + usize::from(wf.tree.orphan[r.idx]);
            let room = name_w.saturating_sub(crate::text::width(&app.wf.prefixes[v]) + marks);
            (app.store.str(app.store.span(wf.span(r)).name), room)
        })
        .collect();
    crate::text::cut_names(&items)
}
