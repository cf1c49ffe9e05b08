//! The group view: one row per value of the grouping key, with a p95 bar to compare them.

use super::{fit, fit_right, header_row, title_bar};
use crate::analysis::groups::HEADERS;
use crate::text::{human_count, neutralize};
use crate::ui::app::App;
use crate::ui::state::scroll::Visible;
use crate::ui::theme::Role;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

const NUM_W: usize = 8;
const BAR_W: usize = 16;
const COST_W: usize = 9;
const SCORE_W: usize = 6;

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let theme = app.theme;
    let traces = app.view.rows.len();
    let st = &app.groups;
    let label = st.key.as_ref().map(|k| k.label()).unwrap_or_default();
    let title = Line::from(vec![
        Span::styled("Traces by ", theme.style(Role::Title)),
        Span::styled(
            neutralize(&label, false).into_owned(),
            theme.style(Role::Match),
        ),
        Span::styled(
            format!(
                "  {} value(s) over {} trace(s)",
                st.groups.len(),
                human_count(traces as u64)
            ),
            theme.style(Role::Header),
        ),
    ]);
    let body = title_bar(buf, area, title, true, theme);
    if body.height < 2 {
        return;
    }
    // what the groups cost, when some call has a price
    let costs = st.groups.iter().any(|g| g.cost.is_some());
    let cost_w = if costs { COST_W + 1 } else { 0 };
    // and their mean score, when some trace has one
    let scores = st.groups.iter().any(|g| g.mean_score.is_some());
    let score_w = if scores { SCORE_W + 1 } else { 0 };
    let value_w = (body.width as usize)
        .saturating_sub(1 + 7 * (NUM_W + 1) + 13 + BAR_W + 1 + cost_w + score_w)
        .clamp(8, 60);
    let mut header = format!(" {}", fit(HEADERS[0], value_w));
    for (i, h) in HEADERS.iter().enumerate().skip(1) {
        header.push(' ');
        header.push_str(&fit_right(h, NUM_W.max(if i == 8 { 12 } else { 0 })));
        if i == 5 {
            header.push(' ');
            header.push_str(&fit("", BAR_W));
        }
    }
    if costs {
        header.push(' ');
        header.push_str(&fit_right("COST", COST_W));
    }
    if scores {
        header.push(' ');
        header.push_str(&fit_right("SCORE", SCORE_W));
    }
    let rows = header_row(buf, body, &header, theme);
    if st.groups.is_empty() {
        super::empty_note(buf, rows, super::NOTHING_LISTED, theme);
        return;
    }
    let max_p95 = st
        .groups
        .iter()
        .filter_map(|g| g.p95)
        .max()
        .unwrap_or(1)
        .max(1);
    for Visible {
        index: _,
        y,
        selected,
        item: g,
    } in st.scroll.visible(&st.groups, rows)
    {
        let base = theme.row(selected, true);
        let c = g.cells();
        let rate_style = if g.errors > 0 {
            theme.style(Role::Error).patch(base)
        } else {
            base
        };
        let p95 = g.p95.unwrap_or(0);
        let mut spans = vec![
            Span::styled(if selected { "›" } else { " " }, base),
            Span::styled(fit(&crate::text::cut_name(&c[0], value_w), value_w), base),
        ];
        for (k, cell) in c.iter().enumerate().skip(1) {
            spans.push(Span::styled(" ", base));
            let w = if k == 8 { 12 } else { NUM_W };
            let style = if k == 2 || k == 3 { rate_style } else { base };
            spans.push(Span::styled(fit_right(cell, w), style));
            if k == 5 {
                spans.push(Span::styled(" ", base));
                spans.push(Span::styled(
                    super::bar(0, p95, max_p95, BAR_W),
                    theme.style(Role::Bar).patch(base),
                ));
            }
        }
        if costs {
            spans.push(Span::styled(" ", base));
            spans.push(Span::styled(fit_right(&g.cost_cell(), COST_W), base));
        }
        if scores {
            spans.push(Span::styled(" ", base));
            spans.push(Span::styled(fit_right(&g.score_cell(), SCORE_W), base));
        }
        buf.set_line(rows.x, y, &Line::from(spans), rows.width);
    }
}
