//! The runs view's state (`O`): the optimizer runs, the selected run and trial, the trial
//! marked for a comparison and the prompt diff of two trials.

use super::scroll::Scroll;
use crate::analysis::run_diff::PredictorDiff;
use crate::analysis::runs::Run;

/// Two trials of one run compared: their numbers and each predictor's prompts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrialDiff {
    pub run: String,
    pub a: usize,
    pub b: usize,
    pub predictors: Vec<PredictorDiff>,
}

/// The runs view.
#[derive(Debug, Default)]
pub struct RunsState {
    pub runs: Vec<Run>,
    /// The selected run.
    pub scroll: Scroll,
    /// The selected trial of the selected run.
    pub trials: Scroll,
    /// The keys move among the selected run's trials (`Enter` on a run), not among the runs.
    pub in_trials: bool,
    /// A trial marked (`m`) to compare with another (`d`): its run's id and its number.
    pub marked: Option<(String, usize)>,
    pub diff: Option<TrialDiff>,
    /// Lines of the diff scrolled past (`PgDn`/`PgUp` while it is open).
    pub diff_scroll: usize,
    /// Rows on screen (for paging).
    pub page: usize,
    /// The store generation the runs were computed at.
    pub(crate) built_for: Option<u64>,
}

impl RunsState {
    /// The selected run.
    #[must_use]
    pub fn run(&self) -> Option<&Run> {
        self.runs.get(self.scroll.selected)
    }
}
