//! The runs view (`O`): the optimizer runs, the selected run's trials with a sparkline of their
//! scores, and the prompt diff of two trials (`m`, then `d`).

use super::{diff_line, fit, fit_right, header_row, title_bar};
use crate::analysis::runs::Run;
use crate::model::Nanodollars;
use crate::text::{cost_cell, human_count, human_dur, maybe_score_cell, neutralize};
use crate::ui::app::App;
use crate::ui::state::scroll::Visible;
use crate::ui::theme::Role;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Sparkline, Widget};

const NUM_W: usize = 8;

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let st = &app.runs;
    let runs_h = u16::try_from(st.runs.len() + 3)
        .unwrap_or(u16::MAX)
        .min(area.height / 3)
        .max(4);
    let diff_h = if st.diff.is_some() {
        area.height * 2 / 5
    } else {
        0
    };
    let [top, middle, bottom] = Layout::vertical([
        Constraint::Length(runs_h),
        Constraint::Min(4),
        Constraint::Length(diff_h),
    ])
    .areas(area);
    render_runs(app, top, buf);
    render_trials(app, middle, buf);
    if st.diff.is_some() {
        render_diff(app, bottom, buf);
    }
}

fn run_cells(r: &Run) -> [String; 8] {
    [
        r.duration.map_or_else(|| "running".into(), human_dur),
        r.traces.len().to_string(),
        r.llm_calls.to_string(),
        human_count(r.tokens),
        cost_cell(r.cost.map(Nanodollars::usd), u64::from(r.unpriced)),
        r.trials.len().to_string(),
        r.best_trial
            .and_then(|b| r.trials.iter().find(|t| t.trial == b))
            .map_or_else(|| "—".into(), |t| maybe_score_cell(t.score)),
        crate::text::spark(&r.trials.iter().map(|t| t.score).collect::<Vec<_>>()),
    ]
}

const RUN_HEADERS: [&str; 8] = [
    "DURATION", "TRACES", "LLM", "TOKENS", "COST", "TRIALS", "BEST", "SCORES",
];

fn render_runs(app: &App, area: Rect, buf: &mut Buffer) {
    let (theme, st) = (app.theme, &app.runs);
    let title = Line::from(vec![
        Span::styled("Optimizer runs", theme.style(Role::Title)),
        Span::styled(
            format!("  {} run(s)", st.runs.len()),
            theme.style(Role::Header),
        ),
    ]);
    let body = title_bar(buf, area, title, !st.in_trials, theme);
    if body.height < 2 {
        return;
    }
    // narrow terminals keep duration, LM calls, tokens, trials and the best score
    let cols: &[usize] = if body.width >= 110 {
        &[0, 1, 2, 3, 4, 5, 6]
    } else {
        &[0, 2, 3, 5, 6]
    };
    let fixed = 1 + cols.len() * (NUM_W + 1) + 10;
    let name_w = (body.width as usize).saturating_sub(fixed).clamp(10, 50);
    let mut header = format!(" {}", fit("OPTIMIZER · PROGRAM", name_w));
    for &c in cols {
        header.push(' ');
        header.push_str(&fit_right(RUN_HEADERS[c], NUM_W));
    }
    header.push_str("  SCORES");
    let rows = header_row(buf, body, &header, theme);
    for Visible {
        y,
        selected,
        item: r,
        ..
    } in st.scroll.visible(&st.runs, rows)
    {
        let base = theme.row(selected, !st.in_trials);
        let name = format!("{} · {}", r.optimizer, r.program.as_deref().unwrap_or("?"));
        let style = if r.failed {
            theme.style(Role::Error).patch(base)
        } else {
            base
        };
        let mut spans = vec![
            Span::styled(if selected { "›" } else { " " }, base),
            Span::styled(fit(&neutralize(&name, false), name_w), style),
        ];
        let cells = run_cells(r);
        for &c in cols {
            spans.push(Span::styled(" ", base));
            spans.push(Span::styled(fit_right(&cells[c], NUM_W), base));
        }
        spans.push(Span::styled("  ", base));
        spans.push(Span::styled(
            cells[7].clone(),
            theme.style(Role::Bar).patch(base),
        ));
        buf.set_line(rows.x, y, &Line::from(spans), rows.width);
    }
}

fn render_trials(app: &App, area: Rect, buf: &mut Buffer) {
    let (theme, st) = (app.theme, &app.runs);
    let Some(r) = st.run() else {
        return;
    };
    let settings: Vec<String> = r.settings.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let title = Line::from(vec![
        Span::styled(
            format!("Trials of {}", r.optimizer),
            theme.style(Role::Title),
        ),
        Span::styled(
            format!(
                "  {} trial(s) · metric {} · trainset {} · {}",
                r.trials.len(),
                r.metric.as_deref().unwrap_or("—"),
                r.trainset_size
                    .map_or_else(|| "—".into(), |n| n.to_string()),
                settings.join(" ")
            ),
            theme.style(Role::Header),
        ),
    ]);
    let body = title_bar(buf, area, title, st.in_trials, theme);
    if body.height < 2 {
        return;
    }
    if r.trials.is_empty() {
        let msg = "No Evaluate ran inside: no trials. Enter lists the traces made directly in it.";
        super::empty_note(buf, body, msg, theme);
        return;
    }
    // the scores over the trials, as bars, above the table
    let spark_h = if body.height >= 8 { 3 } else { 0 };
    let [spark, table] =
        Layout::vertical([Constraint::Length(spark_h), Constraint::Min(1)]).areas(body);
    if spark_h > 0 {
        let label = " scores ";
        let label_w = u16::try_from(crate::text::width(label)).unwrap_or(0);
        // each trial a bar a few cells wide, as many as fit
        let cells =
            (usize::from(spark.width.saturating_sub(label_w)) / r.trials.len().max(1)).clamp(1, 4);
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let data: Vec<u64> = r
            .trials
            .iter()
            .flat_map(|t| {
                let v = t.score.map_or(0, |s| (s * 10.0).round().max(0.0) as u64);
                std::iter::repeat_n(v, cells)
            })
            .collect();
        buf.set_string(spark.x, spark.y + 1, label, theme.style(Role::Header));
        let bars = Rect {
            x: spark.x + label_w,
            width: spark.width.saturating_sub(label_w),
            ..spark
        };
        Sparkline::default()
            .data(&data)
            .max(1000)
            .style(theme.style(Role::Bar))
            .render(bars, buf);
    }
    let header = format!(
        " {} {} {} {} {} {}  EVALUATE",
        fit_right("TRIAL", 7),
        fit_right("SCORE", NUM_W),
        fit_right("TRACES", NUM_W),
        fit_right("LLM", NUM_W),
        fit_right("TOKENS", NUM_W),
        fit_right("COST", NUM_W + 1),
    );
    let rows = header_row(buf, table, &header, theme);
    let marked = st
        .marked
        .as_ref()
        .filter(|(id, _)| *id == r.id)
        .map(|m| m.1);
    for Visible {
        y,
        selected,
        item: t,
        ..
    } in st.trials.visible(&r.trials, rows)
    {
        let selected = selected && st.in_trials;
        let base = theme.row(selected, st.in_trials);
        let mark = match (marked == Some(t.trial), r.best_trial == Some(t.trial)) {
            (true, true) => "A★",
            (true, false) => "A ",
            (false, true) => " ★",
            (false, false) => "  ",
        };
        let line = format!(
            "{} {} {} {} {} {}  {}",
            fit_right(&format!("{mark} {}", t.trial), 7),
            fit_right(&maybe_score_cell(t.score), NUM_W),
            fit_right(&t.traces.len().to_string(), NUM_W),
            fit_right(&t.llm_calls.to_string(), NUM_W),
            fit_right(&human_count(t.tokens), NUM_W),
            fit_right(
                &cost_cell(t.cost.map(Nanodollars::usd), u64::from(t.unpriced)),
                NUM_W + 1
            ),
            app.store
                .trace_id(t.evaluate)
                .chars()
                .take(12)
                .collect::<String>(),
        );
        let spans = vec![
            Span::styled(if selected { "›" } else { " " }, base),
            Span::styled(line, base),
        ];
        buf.set_line(rows.x, y, &Line::from(spans), rows.width);
    }
}

fn render_diff(app: &App, area: Rect, buf: &mut Buffer) {
    let theme = app.theme;
    let Some(d) = app.runs.diff.as_ref() else {
        return;
    };
    let title = Line::styled(
        format!(
            "Prompts, trial {} → trial {} (instructions and demos, per predictor)",
            d.a, d.b
        ),
        theme.style(Role::Title),
    );
    let body = title_bar(buf, area, title, false, theme);
    let mut lines: Vec<Line<'_>> = Vec::new();
    for p in &d.predictors {
        lines.push(Line::styled(
            format!("── {}", neutralize(&p.predictor, false)),
            theme.style(Role::Header),
        ));
        if p.diff.is_empty() {
            lines.push(Line::styled(
                "   the same in both trials",
                theme.style(Role::Muted),
            ));
        } else {
            lines.extend(p.diff.lines().map(|l| diff_line(l, theme)));
        }
    }
    if d.predictors.is_empty() {
        lines.push(Line::styled(
            "no LM call of a predictor in these trials' program runs",
            theme.style(Role::Muted),
        ));
    }
    // the last screenful at most: scrolling stops at the end
    let skip = app
        .runs
        .diff_scroll
        .min(lines.len().saturating_sub(usize::from(body.height)));
    for (i, l) in lines
        .iter()
        .skip(skip)
        .take(usize::from(body.height))
        .enumerate()
    {
        buf.set_line(
            body.x,
            body.y + u16::try_from(i).unwrap_or(0),
            l,
            body.width,
        );
    }
}
