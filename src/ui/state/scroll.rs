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

impl Scroll {
    /// Keep the selection inside a window of `height` rows over `len` rows, and the window
    /// full: after a terminal grows, rows above come back into view instead of blank lines
    /// below the last one.
    pub fn follow_in(&mut self, height: usize, len: usize) {
        self.follow(height);
        self.offset = self.offset.min(len.saturating_sub(height.max(1)));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_selection_stays_in_sight_and_the_window_full_across_resizes() {
        let mut s = Scroll {
            selected: 14,
            offset: 0,
        };
        s.follow_in(6, 15);
        assert_eq!(
            s.offset, 9,
            "shrunk: the selection is the last row in sight"
        );
        s.follow_in(13, 15);
        assert_eq!(s.offset, 2, "grown: no blank rows under the last one");
        s.selected = 0;
        s.follow_in(4, 15);
        assert_eq!(s.offset, 0);
        s.follow_in(40, 3);
        assert_eq!(s.offset, 0);
    }
}
