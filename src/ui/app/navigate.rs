//! Moving around: the selection in each pane, paging, going to a trace by id, the mouse.

use super::*;
use crate::ui::state::list::{column_at, layout};

impl App {
    #[must_use]
    pub fn selected_trace(&self) -> Option<TraceIdx> {
        self.view.rows.get(self.list.selected).copied()
    }

    #[must_use]
    pub fn selected_span(&self) -> Option<SpanIdx> {
        let wf = self.wf.layout.as_ref()?;
        let &i = self.wf.visible.get(self.wf.scroll.selected)?;
        Some(wf.span(&wf.rows[i]))
    }

    /// Select the trace whose id is (or starts with) `id`, clearing filters that hide it (and
    /// pausing following, saying in the status line what it cleared).
    pub fn goto(&mut self, id: &str) {
        match query::id::resolve(&self.store, id) {
            Ok(t) => {
                self.follow_newest = false;
                self.message = None;
                if !self.view.rows.contains(&t) {
                    let mut cleared = Vec::new();
                    if !self.query_text.is_empty() {
                        cleared.push(format!(
                            "the filter {:?}",
                            crate::text::neutralize(&self.query_text, false)
                        ));
                    }
                    for (on, what) in [
                        (self.slow_only, "slow only"),
                        (self.failed_only, "failed only"),
                    ] {
                        if on {
                            cleared.push(what.to_string());
                        }
                    }
                    self.slow_only = false;
                    self.failed_only = false;
                    self.query = Query::default();
                    self.query_text.clear();
                    self.prepare();
                    if !cleared.is_empty() {
                        let shown = self.store.trace_id(t);
                        self.message = Some(format!(
                            "cleared {} to show {}",
                            cleared.join(" and "),
                            crate::text::truncate(&shown, 13)
                        ));
                    }
                }
                if let Some(i) = self.view.rows.iter().position(|&r| r == t) {
                    self.list.selected = i;
                }
            }
            Err(e) => self.message = Some(e.to_string()),
        }
    }

    pub(super) fn pane_len(&self) -> usize {
        match self.focus {
            Focus::List => self.view.rows.len(),
            Focus::Waterfall => self.wf.visible.len(),
            Focus::Detail => usize::MAX,
        }
    }

    pub(super) fn move_by(&mut self, delta: isize) {
        let len = self.pane_len();
        match self.focus {
            Focus::List => self.list.step(delta, len),
            Focus::Waterfall => self.wf.scroll.step(delta, len),
            Focus::Detail => {
                let cur = i64::from(self.detail.scroll);
                self.detail.scroll = u16::try_from((cur + delta as i64).max(0)).unwrap_or(u16::MAX);
            }
        }
    }

    pub(super) fn page(&self) -> isize {
        let p = usize::from(self.areas[self.focus.index()].height);
        isize::try_from(p.max(1)).unwrap_or(10)
    }

    /// Select the trace that arrived last.
    pub(super) fn select_newest(&mut self) {
        if let Some(i) =
            (0..self.view.rows.len()).max_by_key(|&i| self.store.arrival(self.view.rows[i]))
        {
            self.list.selected = i;
        }
    }

    /// The pane whose rows are drawn at a screen cell.
    pub(super) fn pane_at(&self, column: u16, row: u16) -> Option<Focus> {
        let at = ratatui::layout::Position::new(column, row);
        Focus::ALL
            .into_iter()
            .find(|p| self.areas[p.index()].contains(at))
    }

    /// The mouse wheel scrolls the pane under the pointer (and focuses it).
    pub fn wheel(&mut self, column: u16, row: u16, down: bool) {
        if self.mode == Mode::Normal
            && let Some(pane) = self.pane_at(column, row)
        {
            self.focus = pane;
        }
        self.update(if down { Action::Down } else { Action::Up });
    }

    /// A mouse click at a screen cell: focus the pane under it and select the row clicked; on
    /// the trace list's column header, sort by that column (a second click reverses).
    pub fn click(&mut self, column: u16, row: u16) {
        if self.mode != Mode::Normal {
            return;
        }
        if self.click_header(column, row) {
            return;
        }
        let Some(pane) = self.pane_at(column, row) else {
            return;
        };
        self.follow_newest = false;
        self.focus = pane;
        let line = usize::from(row - self.areas[pane.index()].y);
        match pane {
            Focus::List => {
                let i = self.list.offset + line;
                if i < self.view.rows.len() {
                    self.list.selected = i;
                }
            }
            Focus::Waterfall => {
                let i = self.wf.scroll.offset + line;
                if i < self.wf.visible.len() {
                    self.wf.scroll.selected = i;
                }
            }
            Focus::Detail => {}
        }
        self.prepare();
    }
}

impl App {
    /// A click on the list's column header sorts by the column under it, as `:sort` would;
    /// `false` when the click was elsewhere.
    fn click_header(&mut self, column: u16, row: u16) -> bool {
        let rows = self.areas[Focus::List.index()];
        if rows.is_empty() || row + 1 != rows.y || column < rows.x || column >= rows.x + rows.width
        {
            return false;
        }
        let placed = layout(&self.opts.columns, usize::from(rows.width), self.view.need);
        if let Some(c) = column_at(&placed, usize::from(column - rows.x)) {
            let key = c.sort_key();
            if self.sort == key {
                self.reverse = !self.reverse;
            } else {
                self.sort = key;
                self.reverse = false;
            }
        }
        self.focus = Focus::List;
        self.prepare();
        true
    }

    /// The frame's layout: where the mouse lands, how far a page goes, scroll offsets that keep
    /// each selection in sight, and the detail's text for the open tab (made once per span,
    /// index generation and tab, not once per frame).
    pub fn on_layout(&mut self, screen: &Screen) {
        self.areas = screen.rows;
        if !screen.input.is_empty() {
            self.input
                .line
                .scroll_into_view(usize::from(screen.input.width));
        }
        let [list, wf, detail] = screen.rows.map(|r| usize::from(r.height));
        let shown = |i: usize| !screen.panes[i].is_empty();
        if shown(0) {
            self.list.follow_in(list, self.view.rows.len());
        }
        if shown(1) && wf > 0 && self.wf.layout.is_some() {
            self.wf.follow(wf);
        }
        if shown(2) && detail > 0 {
            // the pane's text is one column in from its edge
            let width = screen.rows[2].width.saturating_sub(1);
            let text = self.detail.text(&self.store, self.theme, width);
            // the last page is full: the text scrolls until its last row is at the bottom
            let max = text.lines.len().saturating_sub(detail);
            self.detail.scroll = self
                .detail
                .scroll
                .min(u16::try_from(max).unwrap_or(u16::MAX));
        }
        if !screen.help.is_empty() {
            self.help_width = screen.help.width.saturating_sub(2);
            self.help_page = screen.help.height.saturating_sub(2);
            self.help_scroll = self.help_scroll.min(self.help_last_top());
        }
        let h = usize::from(screen.view_rows.height);
        match self.mode {
            Mode::Steps if screen.view.height > 1 => {
                self.steps.page = h;
                let scored = self
                    .steps
                    .groups
                    .iter()
                    .any(|g| g.stats.mean_score.is_some());
                self.steps.shown =
                    crate::ui::state::steps::columns(usize::from(screen.view.width), scored).1;
                match self.steps.drill.as_mut() {
                    None => self.steps.scroll.follow_in(h, self.steps.groups.len()),
                    Some(d) => d.scroll.follow_in(h, d.rows.len()),
                }
                let spark = usize::from(screen.spark.width)
                    .saturating_sub(4)
                    .clamp(8, 120);
                if screen.spark.height > 0 && spark != self.steps.spark_width {
                    // a resize: the latency line is cut into as many slices as now fit
                    self.steps.spark_width = spark;
                    self.prepare_steps();
                }
            }
            Mode::Compare if h > 0 && self.compare.diff.is_some() => {
                self.compare.page = h;
                self.compare.scroll.follow(h);
            }
            Mode::Histogram if h > 0 && !self.histogram.buckets.is_empty() => {
                self.histogram.page = h;
                self.histogram.scroll.follow(h);
            }
            Mode::Groups if h > 0 && !self.groups.groups.is_empty() => {
                self.groups.page = h;
                self.groups.scroll.follow(h);
            }
            Mode::Runs if h > 0 => self.runs.page = (h / 3).max(1),
            Mode::Reader => self.reader_layout(screen.view_rows),
            Mode::Sessions => self.sessions_layout(screen.view_rows),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::ui::testing::*;

    #[test]
    fn clicks_focus_the_pane_and_select_the_row() {
        let mut a = app("otlp-jsonl");
        let _ = screen(&mut a, 120, 40);
        let list = a.areas[Focus::List.index()];
        a.click(list.x + 5, list.y + 3);
        assert_eq!(a.focus, Focus::List);
        assert_eq!(a.list.selected, 3);
        let wf = a.areas[Focus::Waterfall.index()];
        assert!(wf.height > 0);
        let _ = screen(&mut a, 120, 40);
        a.click(wf.x + 2, wf.y + 1);
        assert_eq!(a.focus, Focus::Waterfall);
        assert_eq!(a.wf.scroll.selected, 1);
        // the detail follows the clicked span
        assert_eq!(a.detail.span, a.selected_span());
        // a click past the last row keeps the selection; a click on a border does nothing
        a.update(Action::ToggleFailed);
        a.click(list.x + 5, list.y + 1);
        assert_eq!(a.list.selected, 1);
        assert!(a.view.rows.len() < usize::from(list.height));
        a.click(list.x + 5, list.y + list.height - 1);
        assert_eq!(a.list.selected, 1);
        a.click(0, 0);
        assert_eq!(a.focus, Focus::List);
        // a click on a column's header sorts by it, a second one reverses
        let header = |a: &mut App| {
            let s = screen(a, 120, 40);
            s.lines().nth(2).unwrap_or("").to_string()
        };
        let line = header(&mut a);
        let dur = line.find("DUR").expect("the DUR header");
        let x = u16::try_from(line[..dur].chars().count()).unwrap_or(0);
        a.click(list.x + x, list.y - 1);
        assert_eq!((a.sort, a.reverse), (SortKey::Dur, false));
        assert!(header(&mut a).contains("DUR▼"));
        a.click(list.x + x, list.y - 1);
        assert_eq!((a.sort, a.reverse), (SortKey::Dur, true));
        assert!(header(&mut a).contains("DUR▲"));
        let durs: Vec<i64> = a
            .view
            .rows
            .iter()
            .map(|&t| a.store.trace(t).summary.duration)
            .collect();
        assert!(durs.windows(2).all(|w| w[0] <= w[1]), "fastest first");
        a.click(list.x + 3, list.y - 1);
        assert_eq!((a.sort, a.reverse), (SortKey::Start, false), "START");
        // the wheel scrolls the pane under the pointer
        let _ = screen(&mut a, 120, 40);
        let detail = a.areas[Focus::Detail.index()];
        a.wheel(detail.x + 1, detail.y + 1, true);
        assert_eq!(a.focus, Focus::Detail);
        assert_eq!(a.detail.scroll, 1);
    }
}
