//! Where everything goes on one frame: computed once before drawing (`ui::layout`), handed to
//! the app (`App::on_layout`: paging, the mouse, scroll offsets that keep the selection in
//! sight) and then to the panes, which only draw.

use ratatui::layout::Rect;

/// The regions of one frame.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Screen {
    /// The terminal is too small for anything but a note.
    pub too_small: bool,
    pub header: Rect,
    /// Between the header and the status line: the panes, or a full-screen view.
    pub body: Rect,
    pub status: Rect,
    pub hints: Rect,
    /// Where the open bar's text goes (the status row after its prompt); empty when closed.
    pub input: Rect,
    /// The list, waterfall and detail panes (title included); empty when hidden.
    pub panes: [Rect; 3],
    /// Where each of those panes draws its rows (under its title and column header).
    pub rows: [Rect; 3],
    /// The open full-screen view (steps, compare, histogram, groups): its area, title
    /// included, and the rows of its table.
    pub view: Rect,
    pub view_rows: Rect,
    /// The steps view's latency line, and the comparison's text diff.
    pub spark: Rect,
    pub compare_text: Rect,
    /// The help over everything, when it is open.
    pub help: Rect,
}
