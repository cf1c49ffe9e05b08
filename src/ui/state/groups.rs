//! `:group KEY`: the listed traces split by a metadata value, side by side (count, errors,
//! latency, LM calls, tokens); `Enter` on a value filters the list to it.

use super::scroll::Scroll;
use crate::analysis::groups::{GroupKey, TraceGroup};
use crate::ui::view::ViewKey;

/// The group view.
#[derive(Debug, Default)]
pub struct GroupsState {
    pub key: Option<GroupKey>,
    pub groups: Vec<TraceGroup>,
    pub scroll: Scroll,
    /// Rows on screen (for paging).
    pub page: usize,
    pub(crate) built_for: Option<(ViewKey, GroupKey)>,
}
