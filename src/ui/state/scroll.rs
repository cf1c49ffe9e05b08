//! Selection and scroll offset of a list-like pane, and how the moving keys change them.

use crate::ui::action::Action;

/// Selection and scroll of a list-like pane.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Scroll {
    pub selected: usize,
    pub offset: usize,
}

impl Scroll {
    pub(crate) fn clamp(&mut self, len: usize) {
        self.selected = self.selected.min(len.saturating_sub(1));
    }

    pub(crate) fn step(&mut self, delta: isize, len: usize) {
        let cur = isize::try_from(self.selected).unwrap_or(0);
        let next = (cur + delta)
            .clamp(0, isize::try_from(len).unwrap_or(0) - 1)
            .max(0);
        self.selected = usize::try_from(next).unwrap_or(0);
    }

    /// Apply a move key to a list of `len` rows, `page` rows to a page; `false` when `action`
    /// is not a move.
    pub(crate) fn on_action(&mut self, action: Action, len: usize, page: usize) -> bool {
        let page = isize::try_from(page.max(1)).unwrap_or(10);
        match action {
            Action::Down => self.step(1, len),
            Action::Up => self.step(-1, len),
            Action::PageDown => self.step(page, len),
            Action::PageUp => self.step(-page, len),
            Action::First => self.selected = 0,
            Action::Last => self.selected = len.saturating_sub(1),
            _ => return false,
        }
        true
    }

    /// Keep the selection inside a window of `height` rows.
    pub fn follow(&mut self, height: usize) {
        let h = height.max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + h {
            self.offset = self.selected + 1 - h;
        }
    }
}

/// One row a pane shows: its index in the whole list, the screen line it is drawn on, whether
/// it is the selected one, and the item.
#[derive(Debug, Clone, Copy)]
pub struct Visible<'a, T> {
    pub index: usize,
    pub y: u16,
    pub selected: bool,
    pub item: &'a T,
}

impl Scroll {
    /// The rows of `items` that fit in `area` from the scroll offset on: what a pane draws.
    pub fn visible<'a, T>(
        &self,
        items: &'a [T],
        area: ratatui::layout::Rect,
    ) -> impl Iterator<Item = Visible<'a, T>> + 'a {
        let (offset, selected) = (self.offset, self.selected);
        items
            .iter()
            .enumerate()
            .skip(offset)
            .take(usize::from(area.height))
            .map(move |(index, item)| Visible {
                index,
                y: area.y + u16::try_from(index - offset).unwrap_or(u16::MAX),
                selected: index == selected,
                item,
            })
    }
}
