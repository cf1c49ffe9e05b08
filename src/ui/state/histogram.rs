//! The latency histogram (`H`): the listed traces' durations in log-spaced buckets with round
//! edges, the slow threshold and the percentiles marked; `Enter` on a bucket filters the list to
//! it.

use super::scroll::Scroll;
use crate::analysis::histogram::Bucket;
use crate::ui::view::ViewKey;

/// The histogram view.
#[derive(Debug, Default)]
pub struct HistogramState {
    pub buckets: Vec<Bucket>,
    pub scroll: Scroll,
    /// Rows on screen (for paging).
    pub page: usize,
    pub(crate) built_for: Option<ViewKey>,
}
