//! The step statistics view's state: the grouping, the sort, the groups, the latency line of
//! the selected step and the drill-down to its spans.

use super::scroll::Scroll;
use crate::analysis::steps::{self as stats, Exemplar, GroupBy, StatsSort};
use crate::model::Nanos;
use std::time::{Duration, Instant};

/// A column of the step table after the step's name, in screen order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepColumn {
    Kind,
    Count,
    P50,
    P95,
    P99,
    Max,
    /// The step's self time over the listed traces, summed.
    SelfTime,
    Pct,
    Errors,
    Rate,
    TokensIn,
    TokensOut,
    /// The mean evaluation score of the scored traces the step ran in (shown when some step
    /// has one).
    Score,
}

impl StepColumn {
    pub const ALL: [StepColumn; 13] = [
        StepColumn::Kind,
        StepColumn::Count,
        StepColumn::P50,
        StepColumn::P95,
        StepColumn::P99,
        StepColumn::Max,
        StepColumn::SelfTime,
        StepColumn::Pct,
        StepColumn::Errors,
        StepColumn::Rate,
        StepColumn::TokensIn,
        StepColumn::TokensOut,
        StepColumn::Score,
    ];

    /// The header.
    #[must_use]
    pub fn header(self) -> &'static str {
        match self {
            StepColumn::Kind => "KIND",
            StepColumn::Count => "COUNT",
            StepColumn::P50 => "P50",
            StepColumn::P95 => "P95",
            StepColumn::P99 => "P99",
            StepColumn::Max => "MAX",
            StepColumn::SelfTime => "SELF",
            StepColumn::Pct => "%TRACE",
            StepColumn::Errors => "ERRORS",
            StepColumn::Rate => "RATE",
            StepColumn::TokensIn => "TOK IN",
            StepColumn::TokensOut => "TOK OUT",
            StepColumn::Score => "SCORE",
        }
    }

    /// Its width (room for the header and a sort arrow).
    #[must_use]
    pub fn width(self) -> usize {
        match self {
            StepColumn::Kind => 9,
            StepColumn::Count | StepColumn::Rate => 6,
            _ => 7,
        }
    }

    /// What sorts by it (the token columns both sort by the total).
    #[must_use]
    pub fn sort(self) -> Option<StatsSort> {
        match self {
            StepColumn::Kind | StepColumn::Rate | StepColumn::TokensOut => None,
            StepColumn::Count => Some(StatsSort::Count),
            StepColumn::P50 => Some(StatsSort::P50),
            StepColumn::P95 => Some(StatsSort::P95),
            StepColumn::P99 => Some(StatsSort::P99),
            StepColumn::Max => Some(StatsSort::Max),
            StepColumn::SelfTime => Some(StatsSort::SelfTime),
            StepColumn::Pct => Some(StatsSort::Pct),
            StepColumn::Errors => Some(StatsSort::Errors),
            StepColumn::TokensIn => Some(StatsSort::Tokens),
            StepColumn::Score => Some(StatsSort::Score),
        }
    }

    /// The order in which columns give way on narrow terminals: the first goes first. What
    /// stays longest: p95, count, self time and the tokens.
    const GIVE_WAY: [StepColumn; 13] = [
        StepColumn::Kind,
        StepColumn::P99,
        StepColumn::Rate,
        StepColumn::Max,
        StepColumn::Pct,
        StepColumn::P50,
        StepColumn::Errors,
        StepColumn::TokensOut,
        StepColumn::TokensIn,
        StepColumn::SelfTime,
        StepColumn::Score,
        StepColumn::Count,
        StepColumn::P95,
    ];
}

/// The step's name keeps at least this many columns; the other columns give way for it.
pub const NAME_MIN: usize = 20;

/// The columns a table `width` wide shows, and the width of the name: every column when they
/// fit beside [`NAME_MIN`] columns of name, else without those that give way first (the kind,
/// p99, error rate, max, % of trace, p50, errors…). Each column has a space before it, and the
/// row starts with the two columns of the selection mark. The score's column is there only
/// when `scored` (some step ran in a scored trace).
#[must_use]
pub fn columns(width: usize, scored: bool) -> (usize, Vec<StepColumn>) {
    let mut shown = StepColumn::ALL.to_vec();
    if !scored {
        shown.retain(|&c| c != StepColumn::Score);
    }
    let used = |cols: &[StepColumn]| 2 + cols.iter().map(|c| c.width() + 1).sum::<usize>();
    for c in StepColumn::GIVE_WAY {
        if width >= used(&shown) + NAME_MIN {
            break;
        }
        shown.retain(|&s| s != c);
    }
    (
        width.saturating_sub(used(&shown)).max(NAME_MIN.min(width)),
        shown,
    )
}

/// The sorts `h`/`l` walk: the name, then the sortable columns shown, in screen order.
#[must_use]
pub fn sorts(shown: &[StepColumn]) -> Vec<StatsSort> {
    std::iter::once(StatsSort::Name)
        .chain(shown.iter().filter_map(|c| c.sort()))
        .collect()
}

/// While traces keep arriving, the statistics are computed again at most this often.
pub(crate) const LIVE_REFRESH: Duration = Duration::from_secs(1);

/// What the table was computed from: the list's rows (filter, toggles) and the grouping.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BuiltFor {
    pub generation: u64,
    pub query: String,
    pub slow_only: bool,
    pub failed_only: bool,
    pub by: GroupBy,
    pub roots: bool,
}

/// The drill-down: the spans of one group.
#[derive(Debug, Default)]
pub struct Drill {
    pub name: String,
    pub rows: Vec<Exemplar>,
    pub scroll: Scroll,
}

/// The step statistics view.
#[derive(Debug)]
pub struct StepsState {
    pub by: GroupBy,
    /// The requests' own root spans count as steps (`r`); by default they do not, since each is
    /// the whole request.
    pub roots: bool,
    /// The columns the table shows at the terminal's width (set with the frame's layout).
    pub shown: Vec<StepColumn>,
    pub sort: StatsSort,
    pub groups: Vec<stats::Group>,
    pub scroll: Scroll,
    /// The selected group's p95 latency per time slice, and how many slices it was made for.
    pub spark: Vec<Option<Nanos>>,
    pub spark_width: usize,
    pub(crate) spark_for: Option<(u32, usize, u64)>,
    pub drill: Option<Drill>,
    pub(crate) built_for: Option<BuiltFor>,
    pub(crate) built_at: Option<Instant>,
    /// Where the open view draws its rows (for paging).
    pub page: usize,
    /// How many times the table was computed (for tests).
    pub builds: u64,
}

impl Default for StepsState {
    fn default() -> Self {
        StepsState {
            by: GroupBy::Name,
            roots: false,
            shown: StepColumn::ALL.to_vec(),
            sort: StatsSort::P95,
            groups: Vec::new(),
            scroll: Scroll::default(),
            spark: Vec::new(),
            spark_width: 48,
            spark_for: None,
            drill: None,
            built_for: None,
            built_at: None,
            page: 10,
            builds: 0,
        }
    }
}

impl StepsState {
    /// The selected group.
    #[must_use]
    pub fn selected(&self) -> Option<&stats::Group> {
        self.groups.get(self.scroll.selected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrow_tables_keep_the_tokens_and_give_the_name_its_minimum() {
        let (name, all) = columns(160, false);
        assert_eq!(all, StepColumn::ALL[..12], "every column but the score's");
        assert_eq!(
            columns(160, true).1,
            StepColumn::ALL,
            "scores: every column"
        );
        assert!(name > 40);
        let (name, at80) = columns(80, false);
        assert!(name >= NAME_MIN, "{name}");
        for c in [
            StepColumn::Count,
            StepColumn::P95,
            StepColumn::SelfTime,
            StepColumn::TokensIn,
            StepColumn::TokensOut,
        ] {
            assert!(at80.contains(&c), "{c:?} at 80: {at80:?}");
        }
        assert!(!at80.contains(&StepColumn::Kind) && !at80.contains(&StepColumn::P99));
        let used: usize = 2 + at80.iter().map(|c| c.width() + 1).sum::<usize>();
        assert_eq!(used + name, 80, "the row is filled, nothing cut off");
        // h/l walk only what is on screen
        assert_eq!(
            sorts(&at80)[..3],
            [StatsSort::Name, StatsSort::Count, StatsSort::P50]
        );
        assert!(!sorts(&at80).contains(&StatsSort::P99));
        // the score, once shown, sorts too (lowest first)
        assert_eq!(
            sorts(&[StepColumn::Count, StepColumn::Score]),
            [StatsSort::Name, StatsSort::Count, StatsSort::Score]
        );
        // far too narrow: the name still gets its minimum and the p95 stays
        let (name, tiny) = columns(30, false);
        assert_eq!(name, NAME_MIN);
        assert_eq!(tiny, [StepColumn::P95]);
    }
}
