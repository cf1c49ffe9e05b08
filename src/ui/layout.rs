//! The layout of a frame, computed once from the app and the terminal's size before anything is
//! drawn: the header, the panes or the full-screen view, the status and hint lines, and the rows
//! each pane or view draws its items in. Panes draw into these regions; what depends on them
//! (paging, scroll offsets, the mouse) is the app's, through `App::on_layout`.

use super::app::{App, Focus, Mode};
use super::state::screen::Screen;
use ratatui::layout::{Constraint, Layout, Rect};

/// Terminals at least this wide show the waterfall and the detail side by side.
pub const WIDE: u16 = 150;
/// The help is at most this wide.
pub const HELP_W: u16 = 92;
/// The steps view's latency line, rule included.
pub const SPARK_H: u16 = 3;

/// The rows above the waterfall's spans in a pane `height` rows high: its title, the line
/// that says where the time went (when the pane has room for it), and the column header with
/// the time ruler.
#[must_use]
pub fn waterfall_head(height: u16) -> u16 {
    if height >= 10 { 3 } else { 2 }
}

/// `area` without its top `n` rows (a title, a column header).
#[must_use]
pub fn below(area: Rect, n: u16) -> Rect {
    let n = n.min(area.height);
    Rect {
        y: area.y + n,
        height: area.height - n,
        ..area
    }
}

/// The layout of a frame of `area` for `app`.
#[must_use]
pub fn compute(app: &App, area: Rect) -> Screen {
    let mut s = Screen::default();
    if area.height < 4 || area.width < 10 {
        s.too_small = true;
        return s;
    }
    [s.header, s.body, s.status, s.hints] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let body = s.body;
    if super::panes::bar::is_open(app.mode) {
        s.input = super::panes::bar::field(app.mode, s.status);
    }
    if app.mode == Mode::Help {
        let w = area.width.min(HELP_W);
        let lines = app.help_lines(usize::from(w.saturating_sub(2))).len();
        let h = u16::try_from(lines + 2)
            .unwrap_or(u16::MAX)
            .min(area.height);
        s.help = Rect {
            x: area.x + (area.width - w) / 2,
            y: area.y + (area.height - h) / 2,
            width: w,
            height: h,
        };
    }
    if app.welcome {
        return s;
    }
    match app.view_mode() {
        Mode::Steps => {
            s.view = body;
            let inner = below(body, 1);
            let spark_h = if inner.height > SPARK_H + 4 {
                SPARK_H
            } else {
                0
            };
            let table = Rect {
                height: inner.height - spark_h,
                ..inner
            };
            s.spark = Rect {
                y: table.y + table.height,
                height: spark_h,
                ..inner
            };
            // the drill-down has a line saying what it shows above its column header
            s.view_rows = below(table, if app.steps.drill.is_some() { 2 } else { 1 });
        }
        Mode::Compare => {
            s.view = body;
            let text_h = match &app.compare.diff {
                Some(d) if !d.texts.is_empty() => (body.height * 2 / 5).max(5),
                _ => 3,
            };
            let [top, bottom] =
                Layout::vertical([Constraint::Min(3), Constraint::Length(text_h)]).areas(body);
            s.view_rows = below(top, 2);
            s.compare_text = bottom;
        }
        Mode::Histogram => {
            s.view = body;
            s.view_rows = below(body, 1);
        }
        Mode::Groups => {
            s.view = body;
            s.view_rows = below(body, 2);
        }
        Mode::Runs => {
            s.view = body;
            s.view_rows = below(body, 2);
        }
        Mode::Reader => {
            s.view = body;
            s.view_rows = below(body, 1);
        }
        Mode::Sessions => {
            s.view = body;
            s.view_rows = below(body, if app.sessions.open.is_some() { 1 } else { 2 });
        }
        _ => panes(app, body, &mut s),
    }
    s
}

/// The three panes, or the focused one alone when maximized or too low for three.
fn panes(app: &App, body: Rect, s: &mut Screen) {
    if app.maximized || body.height < 12 {
        s.panes[app.focus.index()] = body;
    } else {
        let list_h = (body.height * 2 / 5).max(4);
        let [top, bottom] =
            Layout::vertical([Constraint::Length(list_h), Constraint::Min(0)]).areas(body);
        let [wf, detail] = if body.width >= WIDE {
            Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                .areas(bottom)
        } else {
            Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(bottom)
        };
        s.panes = [top, wf, detail];
    }
    // the list and the waterfall have a column header under their title
    for pane in Focus::ALL {
        let area = s.panes[pane.index()];
        let head = match pane {
            Focus::List => 2,
            Focus::Waterfall => waterfall_head(area.height),
            Focus::Detail => 1,
        };
        s.rows[pane.index()] = if area.is_empty() {
            Rect::default()
        } else {
            below(area, head)
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::testing::app;

    #[test]
    fn three_panes_split_the_body_and_rows_sit_under_titles() {
        let a = app("otlp-jsonl");
        let s = compute(&a, Rect::new(0, 0, 100, 30));
        assert!(!s.too_small);
        assert_eq!(s.body, Rect::new(0, 1, 100, 27));
        assert_eq!(s.panes[0], Rect::new(0, 1, 100, 10));
        assert_eq!(s.rows[0], Rect::new(0, 3, 100, 8));
        // the waterfall's title and column header; its line of the critical path from 10 rows
        assert_eq!(s.panes[1].height, 9);
        assert_eq!(s.rows[1].y, s.panes[1].y + 2);
        assert_eq!(s.rows[2].y, s.panes[2].y + 1);
        let tall = compute(&a, Rect::new(0, 0, 100, 40));
        assert_eq!(tall.rows[1].y, tall.panes[1].y + 3);
        assert_eq!(s.panes[1].width, 100, "stacked below 150 columns");
        let wide = compute(&a, Rect::new(0, 0, 160, 30));
        assert_eq!(wide.panes[1].y, wide.panes[2].y, "side by side");
        assert!(compute(&a, Rect::new(0, 0, 9, 3)).too_small);
    }

    #[test]
    fn a_low_terminal_shows_the_focused_pane_alone() {
        let a = app("otlp-jsonl");
        let s = compute(&a, Rect::new(0, 0, 80, 12));
        assert_eq!(s.panes[0], s.body);
        assert!(s.panes[1].is_empty() && s.rows[2].is_empty());
    }
}
