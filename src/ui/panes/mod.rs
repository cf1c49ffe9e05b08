//! One file per pane. Each renders only its visible rows into the frame's buffer.

pub mod detail;
pub mod help;
pub mod status;
pub mod trace_list;
pub mod waterfall;

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

/// `text` padded or cut to exactly `width` columns (cut with `…`).
#[must_use]
pub fn fit(text: &str, width: usize) -> String {
    let t = crate::headless::truncate(text, width);
    let w = crate::headless::width(&t);
    format!("{t}{}", " ".repeat(width.saturating_sub(w)))
}

/// Right-aligned in `width` columns.
#[must_use]
pub fn fit_right(text: &str, width: usize) -> String {
    let t = crate::headless::truncate(text, width);
    let w = crate::headless::width(&t);
    format!("{}{t}", " ".repeat(width.saturating_sub(w)))
}

/// A bar of `cells` columns for `[offset, offset + dur)` on a `total` axis, with eighth-block
/// precision at both ends.
#[must_use]
#[allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]
pub fn bar(offset: i64, dur: i64, total: i64, cells: usize) -> String {
    if total <= 0 || cells == 0 {
        return " ".repeat(cells);
    }
    let scale = (cells * 8) as f64 / total as f64;
    let a = ((offset.max(0) as f64) * scale).round() as usize;
    let b = (((offset + dur.max(0)).max(0) as f64) * scale).round() as usize;
    let a = a.min(cells * 8 - 1);
    let b = b.clamp(a + 1, cells * 8);
    let mut out = String::with_capacity(cells * 3);
    for c in 0..cells {
        let lo = c * 8;
        let hi = lo + 8;
        let covered_from = a.max(lo);
        let covered_to = b.min(hi);
        if covered_to <= covered_from {
            out.push(' ');
        } else if covered_from == lo && covered_to == hi {
            out.push('█');
        } else if covered_from == lo {
            out.push(['▏', '▎', '▍', '▌', '▋', '▊', '▉'][covered_to - lo - 1]);
        } else {
            // starts inside the cell: a right-anchored partial block does not exist; use a
            // full cell when the span reaches its end, else the closest left block.
            out.push(if covered_to == hi { '▐' } else { '▌' });
        }
    }
    out
}

/// The style of a status marker.
#[must_use]
pub fn status_style(theme: Theme, status: crate::model::TraceStatus) -> Style {
    match status {
        crate::model::TraceStatus::Ok => theme.style(Role::Ok),
        crate::model::TraceStatus::Error => theme.style(Role::Error),
        crate::model::TraceStatus::Running => theme.style(Role::Running),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
