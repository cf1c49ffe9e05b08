//! The step statistics view's state: the grouping, the sort, the groups, the latency line of
//! the selected step and the drill-down to its spans.

use super::scroll::Scroll;
use crate::analysis::steps::{self as stats, Exemplar, GroupBy, StatsSort};
use crate::model::Nanos;
use std::time::{Duration, Instant};

/// The columns, in screen order (h/l walk them).
pub const COLUMNS: [StatsSort; 9] = [
    StatsSort::Name,
    StatsSort::Count,
    StatsSort::P50,
    StatsSort::P95,
    StatsSort::P99,
    StatsSort::Max,
    StatsSort::Pct,
    StatsSort::Errors,
    StatsSort::Tokens,
];

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
