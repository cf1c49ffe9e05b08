//! The step statistics view: a table of steps, the selected step's latency over time, and the
//! drill-down to its spans.

use super::{fit, fit_right, header_row, title_bar};
use crate::analysis::steps::{GroupBy, StatsSort};
use crate::model::Nanos;
use crate::text::{cut_names, human_count, human_dur};
use crate::ui::app::App;
use crate::ui::state::scroll::Visible;
use crate::ui::state::steps::{Drill, StepColumn, columns};
use crate::ui::theme::Role;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

const NUM_W: usize = 8;
const PCT_W: usize = 7;
/// One cell per slice, eight heights; a blank slice had no span of the step.
#[must_use]
pub fn sparkline(values: &[Option<Nanos>]) -> String {
    const LEVELS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = values.iter().flatten().copied().max().unwrap_or(0).max(1);
    values
        .iter()
        .map(|v| match v {
            None => ' ',
            Some(d) => {
                let i = usize::try_from(d.max(&0) * 7 / max).unwrap_or(0);
                LEVELS[i.min(7)]
            }
        })
        .collect()
}

fn by_label(by: GroupBy) -> &'static str {
    match by {
        GroupBy::Name => "name",
        GroupBy::Model => "model",
        GroupBy::Kind => "kind",
    }
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let theme = app.theme;
    let traces = app.view.rows.len();
    let st = &app.steps;
    let mut title = vec![
        Span::styled("Steps ", theme.style(Role::Title)),
        Span::styled(
            format!(
                "by {}  {} step(s) over {} trace(s)",
                by_label(st.by),
                human_count(st.groups.len() as u64),
                human_count(traces as u64)
            ),
            theme.style(Role::Header),
        ),
    ];
    title.push(Span::styled(
        if st.roots {
            "  roots counted (r)"
        } else {
            "  roots left out (r)"
        },
        theme.style(Role::Muted),
    ));
    if !app.query_text.is_empty() || app.slow_only || app.failed_only {
        let mut what = app.query_text.clone();
        for (on, label) in [(app.slow_only, "slow"), (app.failed_only, "failed")] {
            if on {
                what = format!("{what} [{label}]").trim().to_string();
            }
        }
        title.push(Span::styled(
            format!("  filter: {what}"),
            theme.style(Role::Muted),
        ));
    }
    let body = title_bar(buf, area, Line::from(title), true, theme);
    if body.height == 0 {
        return;
    }
    let spark_h = if body.height > crate::ui::layout::SPARK_H + 4 {
        crate::ui::layout::SPARK_H
    } else {
        0
    };
    let table = Rect {
        height: body.height - spark_h,
        ..body
    };
    let spark_area = Rect {
        y: table.y + table.height,
        height: spark_h,
        ..body
    };
    if let Some(drill) = &app.steps.drill {
        render_drill(app, drill, table, buf);
    } else {
        render_table(app, table, buf);
    }
    if spark_h > 0 {
        render_spark(app, spark_area, buf);
    }
}

/// The table of steps: the columns that fit the width (see `state::steps::columns`), the
/// names cut so that different ones stay different.
fn render_table(app: &App, area: Rect, buf: &mut Buffer) {
    let theme = app.theme;
    let st = &app.steps;
    let scored = st.groups.iter().any(|g| g.stats.mean_score.is_some());
    let (name_w, shown) = columns(area.width as usize, scored);
    let arrow = |c: Option<StatsSort>| if c == Some(st.sort) { "▼" } else { "" };
    let cell = |c: StepColumn, text: &str| {
        if c == StepColumn::Kind {
            fit(text, c.width())
        } else {
            fit_right(text, c.width())
        }
    };
    let mut header = format!(
        "  {}",
        fit(&format!("STEP{}", arrow(Some(StatsSort::Name))), name_w)
    );
    for &c in &shown {
        header.push(' ');
        header.push_str(&cell(c, &format!("{}{}", c.header(), arrow(c.sort()))));
    }
    let rows = header_row(buf, area, &header, theme);
    if st.groups.is_empty() {
        super::empty_note(
            buf,
            rows,
            "no spans in the listed traces (/ to change the filter)",
            theme,
        );
        return;
    }
    let dur = |d: Option<Nanos>| d.map_or_else(|| "—".to_string(), human_dur);
    let visible: Vec<_> = st.scroll.visible(&st.groups, rows).collect();
    let names = cut_names(
        &visible
            .iter()
            .map(|v| (v.item.name.as_str(), name_w))
            .collect::<Vec<_>>(),
    );
    for (row, v) in visible.iter().enumerate() {
        let base = theme.row(v.selected, true);
        let s = &v.item.stats;
        let errors = if s.errors > 0 {
            theme.style(Role::Error).patch(base)
        } else {
            base
        };
        let mut spans = vec![
            Span::styled(if v.selected { "› " } else { "  " }, base),
            Span::styled(fit(&names[row], name_w), base),
        ];
        for &c in &shown {
            let text = match c {
                StepColumn::Kind => s.kind.as_str().to_string(),
                StepColumn::Count => human_count(s.count),
                StepColumn::P50 => dur(s.p50),
                StepColumn::P95 => dur(s.p95),
                StepColumn::P99 => dur(s.p99),
                StepColumn::Max => dur(s.max),
                StepColumn::SelfTime => human_dur(s.self_time),
                StepColumn::Pct => s
                    .mean_pct
                    .map_or_else(|| "—".into(), |p| format!("{p:.1}%")),
                StepColumn::Errors => human_count(s.errors),
                StepColumn::Rate => format!("{:.1}%", s.error_rate * 100.0),
                StepColumn::TokensIn => s.tokens.map_or("—".into(), |t| human_count(t.prompt)),
                StepColumn::TokensOut => {
                    s.tokens.map_or("—".into(), |t| human_count(t.completion))
                }
                StepColumn::Score => s
                    .mean_score
                    .map_or_else(|| "—".into(), |m| crate::text::score_cell(m, None)),
            };
            let style = match c {
                StepColumn::Errors | StepColumn::Rate => errors,
                _ => base,
            };
            spans.push(Span::styled(format!(" {}", cell(c, &text)), style));
        }
        buf.set_line(rows.x, v.y, &Line::from(spans), rows.width);
    }
}

/// The spans of one step, failed and slowest first.
fn render_drill(app: &App, drill: &Drill, area: Rect, buf: &mut Buffer) {
    let theme = app.theme;
    let store = &app.store;
    let head = format!(
        "  {} span(s) of {:?}, failed first, then slowest; Enter opens the trace at that span",
        human_count(drill.rows.len() as u64),
        drill.name
    );
    buf.set_stringn(
        area.x,
        area.y,
        &head,
        area.width as usize,
        theme.style(Role::Muted),
    );
    let trace_w = 34;
    let id_w = 12;
    let fixed = 2 + 2 + NUM_W + PCT_W + trace_w + id_w + 5;
    let err_w = (area.width as usize).saturating_sub(fixed).max(10);
    let header = format!(
        "   {} {} {} {} {}",
        fit_right("DUR", NUM_W),
        fit_right("%TRACE", PCT_W),
        fit("TRACE", trace_w),
        fit("ID", id_w),
        fit("ERROR", err_w),
    );
    let below_title = Rect {
        y: area.y + 1,
        height: area.height.saturating_sub(1),
        ..area
    };
    let rows = header_row(buf, below_title, &header, theme);
    for Visible {
        index: _,
        y,
        selected,
        item: e,
    } in drill.scroll.visible(&drill.rows, rows)
    {
        let base = theme.row(selected, true);
        let tr = store.trace(e.trace);
        let name = tr.summary.name.map_or("", |n| store.str(n));
        let sp = store.span(e.span);
        let error = sp.error.map_or("", |m| store.str(m));
        let mark = if e.error { "✗ " } else { "  " };
        let line = Line::from(vec![
            Span::styled(if selected { "›" } else { " " }, base),
            Span::styled(
                mark,
                if e.error {
                    theme.style(Role::Error).patch(base)
                } else {
                    base
                },
            ),
            Span::styled(
                format!(
                    "{} {} {} {} ",
                    fit_right(&e.duration.map_or_else(|| "—".into(), human_dur), NUM_W),
                    fit_right(
                        &e.pct.map_or_else(|| "—".into(), |p| format!("{p:.1}%")),
                        PCT_W
                    ),
                    fit(&crate::text::cut_name(name, trace_w), trace_w),
                    fit(&store.id_str(tr.id), id_w),
                ),
                base,
            ),
            Span::styled(
                fit(error, err_w),
                if e.error {
                    theme.style(Role::Error).patch(base)
                } else {
                    base
                },
            ),
        ]);
        buf.set_line(rows.x, y, &line, rows.width);
    }
}

/// The selected step's p95 latency over the listed traces' time range.
fn render_spark(app: &App, area: Rect, buf: &mut Buffer) {
    let theme = app.theme;
    let rule: String = "─".repeat(area.width as usize);
    buf.set_string(area.x, area.y, &rule, theme.style(Role::Border));
    let Some(g) = app.steps.selected() else {
        return;
    };
    let name = app
        .steps
        .drill
        .as_ref()
        .map_or(g.name.as_str(), |d| d.name.as_str());
    let peak = app.steps.spark.iter().flatten().copied().max();
    let label = format!(
        "─ {name}: p95 latency over time, {} slices by trace start, peak {} ",
        app.steps.spark.len(),
        peak.map_or_else(|| "—".into(), human_dur)
    );
    buf.set_stringn(
        area.x,
        area.y,
        &label,
        area.width as usize,
        theme.style(Role::Title),
    );
    if area.height > 1 {
        buf.set_stringn(
            area.x + 2,
            area.y + 1,
            sparkline(&app.steps.spark),
            area.width.saturating_sub(2) as usize,
            theme.style(Role::Bar),
        );
    }
    if area.height > 2 {
        let slow = app.slow_threshold;
        let hot = app
            .steps
            .spark
            .iter()
            .flatten()
            .filter(|&&d| d >= slow && slow > 0)
            .count();
        let note = format!(
            "slices at or above the slow threshold ({}): {hot}",
            human_dur(slow)
        );
        buf.set_stringn(
            area.x + 2,
            area.y + 2,
            &note,
            area.width.saturating_sub(2) as usize,
            theme.style(Role::Muted),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_scales_to_the_peak_and_leaves_empty_slices_blank() {
        assert_eq!(sparkline(&[Some(0), Some(50), None, Some(100)]), "▁▄ █");
        assert_eq!(sparkline(&[]), "");
        assert_eq!(sparkline(&[None, Some(0)]), " ▁");
    }
}
