//! The latency histogram's state: the buckets of the listed traces and the selection.

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
