//! One file per pane. Each renders only its visible rows into the frame's buffer.

pub mod bar;
pub mod compare;
pub mod detail;
pub mod groups;
pub mod help;
pub mod histogram;
pub mod reader;
pub mod runs;
pub mod sessions;
pub mod status;
pub mod steps;
pub mod trace_list;
pub mod waterfall;
pub mod welcome;

use super::theme::{Role, Theme};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

/// Write `line` at `(x, y)` clipped to `width` columns.
pub fn put(buf: &mut Buffer, x: u16, y: u16, width: u16, line: &Line<'_>) {
    buf.set_line(x, y, line, width);
}

/// A pane's title row: a rule with the title on it, highlighted when focused.
pub fn title_bar(
    buf: &mut Buffer,
    area: Rect,
    title: Line<'_>,
    focused: bool,
    theme: Theme,
) -> Rect {
    if area.height == 0 {
        return area;
    }
    let role = if focused {
        Role::BorderFocused
    } else {
        Role::Border
    };
    let rule: String = "─".repeat(area.width as usize);
    buf.set_string(area.x, area.y, &rule, theme.style(role));
    let mut spans = vec![Span::styled(
        if focused { "▶ " } else { "─ " },
        theme.style(role),
    )];
    spans.extend(title.spans);
    spans.push(Span::raw(" "));
    buf.set_line(area.x, area.y, &Line::from(spans), area.width);
    Rect {
        y: area.y + 1,
        height: area.height - 1,
        ..area
    }
}

/// What a view over the listed traces says when the list is empty.
pub const NOTHING_LISTED: &str = "no trace is listed (/ to change the filter, s / e toggles)";

/// What an empty pane says instead of rows: muted, on its first row, a little indented.
pub fn empty_note(buf: &mut Buffer, area: Rect, msg: &str, theme: Theme) {
    if area.height == 0 {
        return;
    }
    buf.set_stringn(
        area.x + 2,
        area.y,
        msg,
        area.width as usize,
        theme.style(Role::Muted),
    );
}

/// A table's column header on the first row of `area`; returns the rows under it.
pub fn header_row(buf: &mut Buffer, area: Rect, header: &str, theme: Theme) -> Rect {
    if area.height == 0 {
        return area;
    }
    buf.set_stringn(
        area.x,
        area.y,
        header,
        area.width as usize,
        theme.style(Role::Header),
    );
    Rect {
        y: area.y + 1,
        height: area.height - 1,
        ..area
    }
}

/// One line of a unified diff, in the tone of what it says: headers, added, removed, hunks.
#[must_use]
pub fn diff_line(l: &str, theme: Theme) -> Line<'static> {
    let role = if l.starts_with("+++") || l.starts_with("---") {
        Role::Header
    } else if l.starts_with('+') {
        Role::Ok
    } else if l.starts_with('-') {
        Role::Error
    } else if l.starts_with("@@") {
        Role::Muted
    } else {
        Role::Title
    };
    let style = if role == Role::Title {
        Style::default()
    } else {
        theme.style(role)
    };
    Line::styled(crate::text::neutralize(l, false).into_owned(), style)
}

/// `text` padded or cut to exactly `width` columns (cut with `…`).
#[must_use]
pub fn fit(text: &str, width: usize) -> String {
    let t = crate::text::truncate(text, width);
    let w = crate::text::width(&t);
    format!("{t}{}", " ".repeat(width.saturating_sub(w)))
}

/// Right-aligned in `width` columns.
#[must_use]
pub fn fit_right(text: &str, width: usize) -> String {
    let t = crate::text::truncate(text, width);
    let w = crate::text::width(&t);
    format!("{}{t}", " ".repeat(width.saturating_sub(w)))
}

pub use crate::text::bar;

/// The style of a request's outcome marker.
#[must_use]
pub fn outcome_style(theme: Theme, outcome: crate::model::Outcome) -> Style {
    use crate::model::Outcome;
    theme.style(match outcome {
        Outcome::Ok => Role::Ok,
        Outcome::Recovered => Role::Recovered,
        Outcome::Error => Role::Error,
        Outcome::Running => Role::Running,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_outcome_has_its_own_color() {
        use crate::model::Outcome;
        use crate::ui::theme::Palette;
        for palette in [Palette::Dark, Palette::Light, Palette::HighContrast] {
            let theme = Theme {
                palette,
                depth: crate::ui::theme::Depth::Truecolor,
            };
            let styles: Vec<Style> = Outcome::ALL
                .iter()
                .map(|&o| outcome_style(theme, o))
                .collect();
            for (i, a) in styles.iter().enumerate() {
                for b in &styles[i + 1..] {
                    assert_ne!(a, b, "{palette:?}");
                }
            }
        }
    }

    #[test]
    fn bars_have_sub_cell_precision() {
        assert_eq!(bar(0, 100, 100, 4), "████");
        assert_eq!(bar(0, 50, 100, 4), "██  ");
        assert_eq!(bar(0, 10, 100, 4), "▍   ");
        assert_eq!(bar(50, 50, 100, 4), "  ██");
        assert_eq!(bar(0, 0, 100, 4), "▏   ", "never invisible");
        assert_eq!(bar(0, 10, 0, 3), "   ");
    }

    #[test]
    fn fitting() {
        assert_eq!(fit("abc", 5), "abc  ");
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit_right("7", 3), "  7");
    }
}
