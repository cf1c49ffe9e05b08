//! Moving around: the selection in each pane, paging, going to a trace by id, the mouse.

use super::*;

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

    /// Select the trace whose id is (or starts with) `id`, clearing filters that hide it.
    pub fn goto(&mut self, id: &str) {
        match query::id::resolve(&self.store, id) {
            Ok(t) => {
                if !self.view.rows.contains(&t) {
                    self.slow_only = false;
                    self.failed_only = false;
                    self.query = Query::default();
                    self.query_text.clear();
                    self.prepare();
                }
                if let Some(i) = self.view.rows.iter().position(|&r| r == t) {
                    self.list.selected = i;
                }
                self.message = None;
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
            (0..self.view.rows.len()).max_by_key(|&i| self.store.trace(self.view.rows[i]).seq)
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

    /// A mouse click at a screen cell: focus the pane under it and select the row clicked.
    pub fn click(&mut self, column: u16, row: u16) {
        if self.mode != Mode::Normal {
            return;
        }
        let Some(pane) = self.pane_at(column, row) else {
            return;
        };
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
