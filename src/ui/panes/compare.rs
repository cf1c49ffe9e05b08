//! The comparison view: the aligned steps of two traces, and the prompt and response diff of the
//! selected LM call.

use super::{fit, fit_right, header_row, title_bar};
use crate::text::{human_dur, neutralize, truncate};
use crate::ui::app::App;
use crate::ui::state::scroll::Visible;
use crate::ui::theme::Role;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};

const DUR_W: usize = 10;
const DELTA_W: usize = 9;
const PCT_W: usize = 6;
const TOK_W: usize = 7;

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let theme = app.theme;
    let Some(d) = app.compare.diff.as_ref() else {
        return;
    };
    let store = &app.store;
    let head = |t| {
        let tr = store.trace(t);
        format!(
            "{} {} {}",
            truncate(&store.id_str(tr.id), 13),
            truncate(tr.summary.name.map_or("—", |n| store.str(n)), 30),
            human_dur(tr.summary.duration)
        )
    };
    let (da, db) = (
        store.trace(d.a).summary.duration,
        store.trace(d.b).summary.duration,
    );
    let delta = db - da;
    let title = Line::from(vec![
        Span::styled("Compare ", theme.style(Role::Title)),
        Span::styled(format!("A {}", head(d.a)), theme.style(Role::Header)),
        Span::raw("  ⇄  "),
        Span::styled(format!("B {}", head(d.b)), theme.style(Role::Header)),
        Span::styled(
            format!(
                "  Δ {}{}  {} steps: {} only A, {} only B, {} changed",
                if delta < 0 { "-" } else { "+" },
                human_dur(delta.abs()),
                d.steps.len(),
                d.only_a,
                d.only_b,
                d.changed,
            ),
            theme.style(Role::Muted),
        ),
    ]);
    let text_h = if d.texts.is_empty() {
        3
    } else {
        (area.height * 2 / 5).max(5)
    };
    let [top, bottom] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(text_h)]).areas(area);
    let body = title_bar(buf, top, title, !app.compare.text_focus, theme);
    if body.height < 2 {
        return;
    }
    let fixed = 3 + DUR_W * 2 + DELTA_W + PCT_W + TOK_W * 2 + 7;
    let name_w = (body.width as usize).saturating_sub(fixed).max(10);
    let header = format!(
        "   {} {} {} {} {} {} {}",
        fit("STEP", name_w),
        fit_right("A", DUR_W),
        fit_right("B", DUR_W),
        fit_right("Δ", DELTA_W),
        fit_right("Δ%", PCT_W),
        fit_right("TOK A", TOK_W),
        fit_right("TOK B", TOK_W),
    );
    let rows_area = header_row(buf, body, &header, theme);
    let c = &app.compare;
    let with_text: Vec<usize> = d.texts.iter().map(|t| t.step).collect();
    for Visible {
        index: i,
        y,
        selected,
        item: r,
    } in c.scroll.visible(&c.rows, rows_area)
    {
        let base = theme.row(selected, !c.text_focus);
        let mark_style = match r[0].as_str() {
            "-" => theme.style(Role::Error),
            "+" => theme.style(Role::Ok),
            "~" => theme.style(Role::Running),
            _ => base,
        };
        let delta_style = if r[4].starts_with('+') && r[4] != "+0µs" {
            theme.style(Role::BarHot)
        } else if r[4].starts_with('-') {
            theme.style(Role::Ok)
        } else {
            base
        };
        let differs = if with_text.contains(&i) { "≠" } else { " " };
        let line = Line::from(vec![
            Span::styled(if selected { "›" } else { " " }, base),
            Span::styled(r[0].clone(), mark_style.patch(base)),
            Span::styled(differs, theme.style(Role::Match).patch(base)),
            Span::styled(fit(&neutralize(&r[1], false), name_w), base),
            Span::styled(" ", base),
            Span::styled(fit_right(&r[2], DUR_W), base),
            Span::styled(" ", base),
            Span::styled(fit_right(&r[3], DUR_W), base),
            Span::styled(" ", base),
            Span::styled(fit_right(&r[4], DELTA_W), delta_style.patch(base)),
            Span::styled(" ", base),
            Span::styled(fit_right(&r[5], PCT_W), base),
            Span::styled(" ", base),
            Span::styled(fit_right(&r[6], TOK_W), base),
            Span::styled(" ", base),
            Span::styled(fit_right(&r[7], TOK_W), base),
        ]);
        buf.set_line(rows_area.x, y, &line, rows_area.width);
        if selected {
            // the highlight runs to the edge
            let used = u16::try_from(fixed + name_w).unwrap_or(u16::MAX);
            if used < rows_area.width {
                buf.set_stringn(
                    rows_area.x + used,
                    y,
                    " ".repeat(usize::from(rows_area.width - used)),
                    usize::from(rows_area.width - used),
                    base,
                );
            }
        }
    }
    render_text(app, bottom, buf);
}

fn render_text(app: &App, area: Rect, buf: &mut Buffer) {
    let theme = app.theme;
    let c = &app.compare;
    let Some(d) = c.diff.as_ref() else {
        return;
    };
    let step = d.steps.get(c.scroll.selected);
    let title = match c.selected_text() {
        Some(t) => format!("{}: prompt and response, A → B", t.name),
        None => "LM call diff".into(),
    };
    let body = title_bar(
        buf,
        area,
        Line::styled(title, theme.style(Role::Title)),
        c.text_focus,
        theme,
    );
    let lines: Vec<Line<'_>> = match c.selected_text() {
        Some(t) => t
            .prompt
            .lines()
            .chain(t.response.lines())
            .skip(usize::from(c.text_scroll))
            .take(usize::from(body.height))
            .map(|l| super::diff_line(l, theme))
            .collect(),
        None => {
            let llm_pair = step.is_some_and(|s| {
                s.a.is_some()
                    && s.b.is_some()
                    && s.a
                        .is_some_and(|x| app.store.span(x).kind == crate::model::SpanKind::Llm)
            });
            let msg = if llm_pair {
                "This LM call has the same prompt and response in A and B.".to_string()
            } else if d.texts.is_empty() {
                format!(
                    "All {} aligned LM call(s) have the same prompt and response.",
                    d.lm_pairs
                )
            } else {
                format!(
                    "{} of {} aligned LM call(s) differ (≠): n / N go to them, Enter shows the step in its trace.",
                    d.texts.len(),
                    d.lm_pairs
                )
            };
            vec![Line::styled(msg, theme.style(Role::Muted))]
        }
    };
    for (i, l) in lines.iter().enumerate() {
        buf.set_line(
            body.x,
            body.y + u16::try_from(i).unwrap_or(0),
            l,
            body.width,
        );
    }
}
