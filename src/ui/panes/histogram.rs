//! The latency histogram: one row per bucket, fastest first, with the slow threshold and the
//! p50 / p95 marked.

use super::{fit, fit_right, title_bar};
use crate::text::{human_count, human_dur};
use crate::ui::app::App;
use crate::ui::state::scroll::Visible;
use crate::ui::theme::Role;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

const RANGE_W: usize = 19;
const COUNT_W: usize = 8;
const PCT_W: usize = 6;

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let theme = app.theme;
    let total: usize = app.histogram.buckets.iter().map(|b| b.count).sum();
    let threshold = app.slow_threshold;
    let title = Line::from(vec![
        Span::styled("Latency ", theme.style(Role::Title)),
        Span::styled(
            format!(
                "of {} listed trace(s)  p50 {}  p95 {}  slow ≥ {}",
                human_count(total as u64),
                app.view.p50.map_or_else(|| "—".into(), human_dur),
                app.view.p95.map_or_else(|| "—".into(), human_dur),
                human_dur(threshold),
            ),
            theme.style(Role::Header),
        ),
    ]);
    let body = title_bar(buf, area, title, true, theme);
    if body.height == 0 {
        return;
    }
    let h = &app.histogram;
    if h.buckets.is_empty() {
        super::empty_note(buf, body, super::NOTHING_LISTED, theme);
        return;
    }
    let max = h.buckets.iter().map(|b| b.count).max().unwrap_or(1).max(1);
    let marks_w = 22;
    let bar_w = (body.width as usize)
        .saturating_sub(RANGE_W + COUNT_W + PCT_W + marks_w + 5)
        .max(4);
    let (p50, p95) = (app.view.p50, app.view.p95);
    for Visible {
        index: _,
        y,
        selected,
        item: b,
    } in h.scroll.visible(&h.buckets, body)
    {
        let base = theme.row(selected, true);
        let hot = threshold > 0 && b.lo >= threshold;
        let within = |x: Option<i64>| x.is_some_and(|x| b.lo <= x && x < b.hi);
        let mut marks = Vec::new();
        if threshold > 0 && b.lo <= threshold && threshold < b.hi {
            marks.push(format!("◀ slow ≥ {}", human_dur(threshold)));
        }
        if within(p50) {
            marks.push("p50".into());
        }
        if within(p95) {
            marks.push("p95".into());
        }
        let range = format!("{} – {}", human_dur(b.lo), human_dur(b.hi));
        let cells = (b.count * bar_w).div_ceil(max);
        #[allow(clippy::cast_precision_loss)]
        let pct = b.count as f64 * 100.0 / total.max(1) as f64;
        let line = Line::from(vec![
            Span::styled(if selected { "›" } else { " " }, base),
            Span::styled(fit_right(&range, RANGE_W), base),
            Span::styled(" ", base),
            Span::styled(
                fit(&"█".repeat(cells), bar_w),
                theme
                    .style(if hot { Role::BarHot } else { Role::Bar })
                    .patch(base),
            ),
            Span::styled(" ", base),
            Span::styled(fit_right(&human_count(b.count as u64), COUNT_W), base),
            Span::styled(" ", base),
            Span::styled(fit_right(&format!("{pct:.1}%"), PCT_W), base),
            Span::styled("  ", base),
            Span::styled(
                fit(&marks.join("  "), marks_w),
                theme.style(Role::Muted).patch(base),
            ),
        ]);
        buf.set_line(body.x, y, &line, body.width);
    }
}
