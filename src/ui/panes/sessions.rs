//! The conversations view: one row per conversation of the listed traces (turns, duration,
//! tokens, cost, failed turns, first question), or one conversation as a transcript.

use super::{fit, fit_right, header_row, title_bar};
use crate::analysis::sessions::Conversation;
use crate::model::{Nanodollars, Store};
use crate::text::{cost_cell, cut_name, human_count, human_dur, neutralize, truncate};
use crate::ui::app::App;
use crate::ui::state::scroll::Visible;
use crate::ui::state::sessions::Opened;
use crate::ui::theme::{Role, Theme};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

const SESSION_W: usize = 22;
/// TURNS, DURATION, TOKENS, ERRORS (and COST when some call has a price).
const NUM_W: [usize; 4] = [5, 8, 7, 6];
const COST_W: usize = 9;

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    match &app.sessions.open {
        Some(o) => render_transcript(app, o, area, buf),
        None => render_list(app, area, buf),
    }
}

fn render_list(app: &App, area: Rect, buf: &mut Buffer) {
    let theme = app.theme;
    let st = &app.sessions;
    let turns: usize = st.convs.iter().map(|c| c.turns.len()).sum();
    let title = Line::from(vec![
        Span::styled("Conversations", theme.style(Role::Title)),
        Span::styled(
            format!(
                "  {} conversation(s), {} turn(s)",
                st.convs.len(),
                human_count(turns as u64)
            ),
            theme.style(Role::Header),
        ),
    ]);
    let body = title_bar(buf, area, title, true, theme);
    if body.height < 2 {
        return;
    }
    let costs = st.convs.iter().any(|c| c.cost.is_some());
    let fixed = 1 + SESSION_W + NUM_W.iter().map(|w| w + 1).sum::<usize>();
    let cost_w = if costs { COST_W + 1 } else { 0 };
    let question_w = (body.width as usize).saturating_sub(fixed + cost_w + 1);
    let mut header = format!(" {}", fit("SESSION", SESSION_W));
    for (h, w) in ["TURNS", "DURATION", "TOKENS"].iter().zip(NUM_W) {
        header.push(' ');
        header.push_str(&fit_right(h, w));
    }
    if costs {
        header.push(' ');
        header.push_str(&fit_right("COST", COST_W));
    }
    header.push(' ');
    header.push_str(&fit_right("ERRORS", NUM_W[3]));
    header.push(' ');
    header.push_str(&fit("FIRST QUESTION", question_w));
    let rows = header_row(buf, body, &header, theme);
    if st.convs.is_empty() {
        super::empty_note(buf, rows, super::NOTHING_LISTED, theme);
        return;
    }
    for Visible {
        index,
        y,
        selected,
        item: c,
    } in st.scroll.visible(&st.convs, rows)
    {
        let first = match st.first(index) {
            Some(q) => q.unwrap_or("-"),
            None => "…",
        };
        let line = row(&app.store, theme, c, first, selected, costs, question_w);
        buf.set_line(rows.x, y, &line, rows.width);
    }
}

fn row(
    store: &Store,
    theme: Theme,
    c: &Conversation,
    first: &str,
    selected: bool,
    costs: bool,
    question_w: usize,
) -> Line<'static> {
    let base = theme.row(selected, true);
    let session = neutralize(store.str(c.session), false);
    let mut spans = vec![
        Span::styled(if selected { "›" } else { " " }, base),
        Span::styled(fit(&cut_name(&session, SESSION_W), SESSION_W), base),
    ];
    let tokens = c
        .tokens
        .map_or_else(|| "-".into(), |k| human_count(k.total));
    let cells = [c.turns.len().to_string(), human_dur(c.duration), tokens];
    for (cell, w) in cells.iter().zip(NUM_W) {
        spans.push(Span::styled(format!(" {}", fit_right(cell, w)), base));
    }
    if costs {
        let cost = cost_cell(c.cost.map(Nanodollars::usd), u64::from(c.unpriced));
        spans.push(Span::styled(format!(" {}", fit_right(&cost, COST_W)), base));
    }
    let errors = if c.errors > 0 {
        theme.style(Role::Error).patch(base)
    } else {
        base
    };
    spans.push(Span::styled(" ", base));
    spans.push(Span::styled(
        fit_right(&c.errors.to_string(), NUM_W[3]),
        errors,
    ));
    let first = truncate(&neutralize(first, false), question_w);
    spans.push(Span::styled(format!(" {}", fit(&first, question_w)), base));
    Line::from(spans)
}

fn render_transcript(app: &App, o: &Opened, area: Rect, buf: &mut Buffer) {
    let theme = app.theme;
    let (text, _) = o.text(theme, area.width);
    let session = neutralize(app.store.str(o.conv.session), false);
    let title = Line::from(vec![
        Span::styled("Conversation ", theme.style(Role::Title)),
        Span::styled(truncate(&session, 28), theme.style(Role::Match)),
        Span::styled(
            format!(
                "  {} turn(s) · {}",
                o.conv.turns.len(),
                human_dur(o.conv.duration)
            ),
            theme.style(Role::Header),
        ),
    ]);
    let body = title_bar(buf, area, title, true, theme);
    if body.height == 0 {
        return;
    }
    let lines: Vec<Line<'static>> = text
        .lines
        .into_iter()
        .skip(o.scroll)
        .take(usize::from(body.height))
        .collect();
    Paragraph::new(lines).render(body, buf);
}
