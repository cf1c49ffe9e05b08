//! The trace list's columns and how the width is shared among them (the rows and their order
//! are the list view's). The pane draws with [`layout`], and a click on the column header finds
//! its column with the same [`layout`].

use crate::query::SortKey;

/// A column of the trace list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Column {
    /// The status mark: ✓ ok, ✗ failed, ! a step failed and the trace recovered, … running.
    Status,
    /// Start time (`t`: age).
    Start,
    /// The root span's name.
    Name,
    /// Duration.
    Dur,
    /// Duration as a bar, relative to the slowest listed trace.
    Bar,
    /// Span count.
    Spans,
    /// LM calls.
    Llm,
    /// Token total.
    Tokens,
    /// What the LM calls cost (not shown by default: add `cost` to `[list] columns`).
    Cost,
    /// An evaluation's score and label (shown only when some trace has one).
    Score,
    /// The model (the first, when several).
    Model,
}

impl Column {
    /// The sort a click on the column's header asks for (the bar sorts by duration).
    #[must_use]
    pub fn sort_key(self) -> SortKey {
        match self {
            Column::Status => SortKey::Status,
            Column::Start => SortKey::Start,
            Column::Name => SortKey::Name,
            Column::Dur | Column::Bar => SortKey::Dur,
            Column::Spans => SortKey::Spans,
            Column::Llm => SortKey::Llm,
            Column::Tokens => SortKey::Tokens,
            Column::Cost => SortKey::Cost,
            Column::Score => SortKey::Score,
            Column::Model => SortKey::Model,
        }
    }

    /// The width of a column of fixed width; `None` for the name and the model, which share
    /// what the others leave.
    #[must_use]
    pub fn fixed_width(self) -> Option<usize> {
        match self {
            Column::Status => Some(1),
            Column::Start => Some(12),
            Column::Dur => Some(8),
            Column::Bar => Some(BAR_W),
            Column::Spans => Some(6),
            Column::Llm => Some(4),
            Column::Tokens => Some(7),
            Column::Cost => Some(9),
            Column::Score => Some(SCORE_W),
            Column::Name | Column::Model => None,
        }
    }
}

const BAR_W: usize = 10;
/// A score and, when there is room, its label (`0.67`, `0 fail`).
const SCORE_W: usize = 6;
/// The name keeps at least this many columns (or all it needs) before the model gets more than
/// its own minimum; to make room for both, the bar goes first.
pub const NAME_MIN: usize = 24;
/// The model keeps at least this many columns (or all it needs) while the name has its minimum.
pub const MODEL_MIN: usize = 10;
/// On a terminal too narrow even for that, the name still gets this much.
const NAME_FLOOR: usize = 10;

/// How wide the listed names and models are (their widest, headers included).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Need {
    pub name: usize,
    pub model: usize,
}

/// One column on screen: where it starts in the row (after the selection mark) and its width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placed {
    pub column: Column,
    pub x: usize,
    pub width: usize,
}

/// Where the `columns` go in a row `width` wide, with the names and models needing `need`.
/// Fixed columns keep their width. The name and the model share the rest by need: when both
/// fit they get all they need (the name whatever is left over); when not, the bar makes room
/// first, then each keeps its minimum ([`NAME_MIN`], [`MODEL_MIN`]) and the name gets the rest
/// up to its need before the model does. One space separates columns, except a leading status
/// mark, which sits by the selection mark at column 0.
#[must_use]
pub fn layout(columns: &[Column], width: usize, need: Need) -> Vec<Placed> {
    let has = |c: Column| columns.contains(&c);
    let sep = |i: usize, c: Column| usize::from(!(i == 0 && c == Column::Status));
    let used = |cols: &[Column]| -> usize {
        1 + cols
            .iter()
            .enumerate()
            .map(|(i, &c)| sep(i, c) + c.fixed_width().unwrap_or(0))
            .sum::<usize>()
    };
    let name_min = if has(Column::Name) {
        need.name.min(NAME_MIN)
    } else {
        0
    };
    let model_min = if has(Column::Model) {
        need.model.min(MODEL_MIN)
    } else {
        0
    };
    let mut shown: Vec<Column> = columns.to_vec();
    if width.saturating_sub(used(&shown)) < name_min + model_min {
        shown.retain(|&c| c != Column::Bar);
    }
    let avail = width.saturating_sub(used(&shown));
    let (name_w, model_w) = match (has(Column::Name), has(Column::Model)) {
        (true, true) if avail >= need.name + need.model => (avail - need.model, need.model),
        (true, true) if avail >= name_min + model_min => {
            let name = need.name.min(avail - model_min);
            (name, avail - name)
        }
        (true, true) => {
            // the row overflows rather than leave the name unreadable; the end is clipped
            let name = avail
                .saturating_sub(model_min)
                .max(need.name.min(NAME_FLOOR));
            (name, avail.saturating_sub(name))
        }
        (true, false) => (avail.max(need.name.min(NAME_FLOOR)), 0),
        (false, true) => (0, avail),
        (false, false) => (0, 0),
    };
    let mut x = 1;
    shown
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            x += sep(i, c);
            let w = match c {
                Column::Name => name_w,
                Column::Model => model_w,
                c => c.fixed_width().unwrap_or(0),
            };
            let p = Placed {
                column: c,
                x,
                width: w,
            };
            x += w;
            p
        })
        .collect()
}

/// The column under screen column `x` of the header (relative to the row's start).
#[must_use]
pub fn column_at(placed: &[Placed], x: usize) -> Option<Column> {
    placed
        .iter()
        .find(|p| x >= p.x && x < p.x + p.width.max(1))
        .map(|p| p.column)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The default columns: every one but the cost.
    /// The default columns as a list without scores shows them (the score's column shows
    /// only once some trace has a score).
    fn all() -> Vec<Column> {
        let mut c = crate::ui::app::Options::default().columns;
        c.retain(|&c| c != Column::Score);
        c
    }

    fn width_of(p: &[Placed], c: Column) -> Option<usize> {
        p.iter().find(|p| p.column == c).map(|p| p.width)
    }

    /// The demo's widest name and model (`openai/gpt-4o-mini`), and long ones.
    const DEMO: Need = Need {
        name: 14,
        model: 18,
    };
    const LONG: Need = Need {
        name: 36,
        model: 36,
    };

    #[test]
    fn wide_terminals_show_whole_models_and_give_the_rest_to_the_name() {
        let p = layout(&all(), 160, LONG);
        assert_eq!(width_of(&p, Column::Model), Some(36));
        assert!(width_of(&p, Column::Name).unwrap() >= 36);
        assert_eq!(width_of(&p, Column::Bar), Some(BAR_W));
        let last = p.last().unwrap();
        assert_eq!(last.x + last.width, 160, "the row is filled");
    }

    #[test]
    fn at_80_columns_the_name_keeps_24_and_the_bar_makes_room() {
        let p = layout(&all(), 80, LONG);
        assert_eq!(width_of(&p, Column::Name), Some(24));
        assert_eq!(width_of(&p, Column::Bar), None, "the bar gave way");
        assert!(width_of(&p, Column::Model).unwrap() >= MODEL_MIN);
        let last = p.last().unwrap();
        assert_eq!(last.x + last.width, 80);
        // the demo's names and models both fit whole once the bar is gone
        let p = layout(&all(), 80, DEMO);
        assert!(width_of(&p, Column::Name).unwrap() >= 14);
        assert_eq!(width_of(&p, Column::Model), Some(18));
        // with room to spare the bar stays
        let p = layout(&all(), 100, DEMO);
        assert_eq!(width_of(&p, Column::Bar), Some(BAR_W));
        assert_eq!(width_of(&p, Column::Model), Some(18));
    }

    #[test]
    fn between_the_minimums_and_the_needs_the_name_goes_first() {
        // 23 columns for both after the bar: name 24 + model 10 do not fit
        let p = layout(&all(), 100, LONG);
        let (n, m) = (
            width_of(&p, Column::Name).unwrap(),
            width_of(&p, Column::Model).unwrap(),
        );
        assert_eq!(n, 36.min(n + m - MODEL_MIN));
        assert!(m >= MODEL_MIN);
        // too narrow for the minimums: the name keeps what it can
        let p = layout(&all(), 60, LONG);
        assert!(width_of(&p, Column::Name).unwrap() >= NAME_FLOOR);
    }

    #[test]
    fn columns_are_placed_in_order_and_found_again_by_position() {
        let cols = [Column::Name, Column::Status, Column::Dur, Column::Tokens];
        let p = layout(&cols, 70, Need { name: 5, model: 0 });
        assert_eq!(p[0].x, 2, "after the selection mark and a space");
        assert_eq!(p[1].x, p[0].x + p[0].width + 1);
        assert_eq!(column_at(&p, p[2].x), Some(Column::Dur));
        assert_eq!(
            column_at(&p, p[2].x + p[2].width),
            None,
            "the space between"
        );
        assert_eq!(column_at(&p, 0), None, "the selection mark");
        // a leading status mark sits by the selection mark
        let p = layout(&all(), 120, DEMO);
        assert_eq!((p[0].column, p[0].x), (Column::Status, 1));
        assert_eq!(Column::Bar.sort_key(), SortKey::Dur);
    }
}
