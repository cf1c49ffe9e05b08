//! The `:group KEY` view's state: the key, the groups of the listed traces and the selection.

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
