//! The span waterfall of the selected trace: tree, bar on the trace's time axis, duration,
//! % of trace, self time. Visible rows only.

use super::{bar, fit, fit_right, title_bar};
use crate::text::human_dur;
use crate::ui::app::{App, Focus};
use crate::ui::state::scroll::Visible;
use crate::ui::theme::Role;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

const DUR_W: usize = 8;
const PCT_W: usize = 6;
const SELF_W: usize = 8;

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
    let mut title = vec![
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
            "  ◆ critical path",
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
    let body = title_bar(buf, area, Line::from(title), focused, theme);
    if body.height == 0 {
        return;
    }
    let Some(wf) = app.wf.layout.as_ref() else {
        return;
    };
    if app.wf.visible.is_empty() {
        super::empty_note(buf, body, "no span passes the slow / failed filters", theme);
        return;
    }
    let width = body.width as usize;
    let bar_w = (width / 4).clamp(8, 50);
    let name_w = width
        .saturating_sub(bar_w + DUR_W + PCT_W + SELF_W + 6)
        .max(8);
    for Visible {
        index: _,
        y,
        selected,
        item: &v,
    } in app.wf.scroll.visible(&app.wf.visible, body)
    {
        let r = &wf.rows[v];
        let span_idx = wf.span(r);
        let sp = app.store.span(span_idx);

        let on_path = app.wf.critical && app.wf.is_critical(r.idx);
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
            app.store.str(sp.name)
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
                    "◆"
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
                fit_right(&human_dur(r.self_time), SELF_W),
                theme.style(Role::Muted).patch(base),
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
