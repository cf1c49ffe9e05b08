//! The full-screen views' keys (step statistics, comparison, histogram, groups): what the
//! global keys mean there, as data. The views' hint bars and their sections of the help are
//! made from this table, with the keys in effect from the keymap.

use super::action::Action;
use super::keymap::{Context, Keymap};

/// A full-screen view (or a part of one) that gives the keys its own meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Steps,
    /// The spans of one step (`Enter` in the step statistics).
    StepSpans,
    Compare,
    /// The text diff of an LM call, in the comparison.
    CompareDiff,
    Histogram,
    Groups,
    /// The trace as a transcript of its LM and tool calls (`r` in the waterfall).
    Reader,
    /// Optimizer runs and their trials (`O`).
    Runs,
    /// The conversations of the listed traces (`:sessions`, `C`).
    Sessions,
    /// One conversation as a transcript (`Enter` there).
    Conversation,
}

/// What a view's keys do there: the view, its title in the help, where its keys are looked up,
/// and per action the words of the hint bar and the line of the help (empty: not in the help,
/// as quitting, which the help lists once). Both the view's hint bar and the help are made from
/// this table, with the keys in effect.
pub struct ViewKeys {
    pub view: View,
    pub title: &'static str,
    pub context: Context,
    pub keys: &'static [(Action, &'static str, &'static str)],
}

/// The views' keys.
pub const VIEWS: &[ViewKeys] = &[
    ViewKeys {
        view: View::Steps,
        title: "Step statistics (S)",
        context: Context::Steps,
        keys: &[
            (
                Action::Enter,
                "spans of the step",
                "The spans of the step, failed first, then slowest",
            ),
            (
                Action::SortPrev,
                "sort ←",
                "Sort by the column to the left (of those on screen)",
            ),
            (
                Action::SortNext,
                "sort →",
                "Sort by the column to the right (of those on screen)",
            ),
            (
                Action::CycleGroupBy,
                "by name/model/kind",
                "Group the steps by name, model or kind",
            ),
            (
                Action::ToggleRoots,
                "roots",
                "Count the requests' root spans as steps (left out by default)",
            ),
            (
                Action::OpenFilter,
                "filter",
                "Filter the traces the statistics are made of",
            ),
            (Action::ToggleSlow, "slow", "Only slow traces"),
            (Action::ToggleFailed, "failed", "Only failed traces"),
            (Action::ToggleSteps, "close", "Close"),
            (Action::Back, "close", "Close"),
            (Action::Quit, "quit", ""),
        ],
    },
    ViewKeys {
        view: View::StepSpans,
        title: "A step's spans (Enter in the step statistics)",
        context: Context::Steps,
        keys: &[
            (
                Action::Enter,
                "open the trace",
                "Open the trace with that span selected",
            ),
            (Action::Back, "back to the steps", "Back to the steps"),
            (Action::ToggleSteps, "close", "Close the step statistics"),
        ],
    },
    ViewKeys {
        view: View::Compare,
        title: "Comparing two traces (m, then =)",
        context: Context::Compare,
        keys: &[
            (Action::Down, "move", "Next step"),
            (Action::Up, "move", "Previous step"),
            (
                Action::NextMatch,
                "next / previous LM call that differs",
                "Next LM call whose prompt or response differs",
            ),
            (
                Action::PrevMatch,
                "next / previous LM call that differs",
                "Previous LM call whose prompt or response differs",
            ),
            (
                Action::Enter,
                "its diff, or the span in its trace",
                "Scroll the LM call's diff, or open the step's span in its trace",
            ),
            (Action::Back, "close", "Close"),
            (Action::Compare, "close", "Close"),
            (Action::Quit, "quit", ""),
        ],
    },
    ViewKeys {
        view: View::CompareDiff,
        title: "The diff of an LM call (Enter in the comparison)",
        context: Context::Compare,
        keys: &[
            (Action::Down, "scroll the diff", "Scroll the diff"),
            (Action::Up, "scroll the diff", "Scroll the diff"),
            (Action::PageDown, "scroll the diff", "Scroll the diff"),
            (Action::PageUp, "scroll the diff", "Scroll the diff"),
            (Action::Back, "back to the steps", "Back to the steps"),
            (Action::Compare, "close", "Close the comparison"),
        ],
    },
    ViewKeys {
        view: View::Histogram,
        title: "Latency histogram (H)",
        context: Context::Global,
        keys: &[
            (Action::Down, "bucket", "Next bucket"),
            (Action::Up, "bucket", "Previous bucket"),
            (
                Action::Enter,
                "filter to it",
                "Filter the list to the bucket's durations",
            ),
            (Action::ToggleSlow, "slow", "Only slow traces"),
            (Action::ToggleFailed, "failed", "Only failed traces"),
            (Action::ToggleHistogram, "close", "Close"),
            (Action::Back, "close", "Close"),
            (Action::Quit, "quit", ""),
        ],
    },
    ViewKeys {
        view: View::Groups,
        title: "Traces by a metadata value (:group KEY)",
        context: Context::Global,
        keys: &[
            (Action::Down, "value", "Next value"),
            (Action::Up, "value", "Previous value"),
            (
                Action::Enter,
                "filter the list to it",
                "Filter the list to the value's traces",
            ),
            (Action::ToggleSlow, "slow", "Only slow traces"),
            (Action::ToggleFailed, "failed", "Only failed traces"),
            (Action::Back, "close", "Close"),
            (Action::Quit, "quit", ""),
        ],
    },
    ViewKeys {
        view: View::Reader,
        title: "Reading a trace (r in the waterfall)",
        context: Context::Waterfall,
        keys: &[
            (Action::Down, "scroll", "Scroll down one row"),
            (Action::Up, "scroll", "Scroll up one row"),
            (Action::PageDown, "scroll", "Scroll down one page"),
            (Action::PageUp, "scroll", "Scroll up one page"),
            (Action::First, "top / end", "The first call"),
            (Action::Last, "top / end", "The end of the transcript"),
            (
                Action::NextMatch,
                "filter's text",
                "Next row that says the filter's text (text:\"…\")",
            ),
            (
                Action::PrevMatch,
                "filter's text",
                "Previous row that says the filter's text",
            ),
            (
                Action::OpenSearch,
                "filter",
                "The filter bar: a text (text:\"…\") is marked, n / N go to it",
            ),
            (Action::ToggleReader, "close", "Close"),
            (Action::Back, "close", "Close"),
            (Action::Quit, "quit", ""),
        ],
    },
    ViewKeys {
        view: View::Runs,
        title: "Optimizer runs (O)",
        context: Context::Global,
        keys: &[
            (Action::Down, "move", "Next run (or trial)"),
            (Action::Up, "move", "Previous run (or trial)"),
            (
                Action::Enter,
                "open",
                "A run's trials; on a trial, filter the list to its traces",
            ),
            (
                Action::Mark,
                "mark",
                "Mark the trial as A for a prompt diff",
            ),
            (
                Action::DiffTrials,
                "diff",
                "What changed in each predictor's prompt from the marked trial to this one",
            ),
            (
                Action::PageDown,
                "scroll diff",
                "Scroll the prompt diff, when it is open",
            ),
            (Action::PageUp, "scroll diff", "Scroll the prompt diff back"),
            (Action::Back, "back", "Back to the runs, or close"),
            (Action::ToggleRuns, "close", "Close"),
            (Action::Quit, "quit", ""),
        ],
    },
    ViewKeys {
        view: View::Sessions,
        title: "Conversations (:sessions, C)",
        context: Context::Global,
        keys: &[
            (Action::Down, "conversation", "Next conversation"),
            (Action::Up, "conversation", "Previous conversation"),
            (
                Action::Enter,
                "transcript",
                "Read the conversation: each turn's input and final answer",
            ),
            (Action::ToggleSlow, "slow", "Only slow traces"),
            (Action::ToggleFailed, "failed", "Only failed traces"),
            (Action::ToggleSessions, "close", "Close"),
            (Action::Back, "close", "Close"),
            (Action::Quit, "quit", ""),
        ],
    },
    ViewKeys {
        view: View::Conversation,
        title: "A conversation (Enter in the conversations)",
        context: Context::Global,
        keys: &[
            (Action::Down, "turn", "Next turn"),
            (Action::Up, "turn", "Previous turn"),
            (Action::PageDown, "scroll", "Scroll down one page"),
            (Action::PageUp, "scroll", "Scroll up one page"),
            (
                Action::Enter,
                "open its trace",
                "Open the turn's trace in the waterfall",
            ),
            (Action::Back, "back", "Back to the conversations"),
            (Action::ToggleSessions, "close", "Close"),
        ],
    },
];

impl Keymap {
    /// The hint bar of a view: for each action the keys the view binds to it itself
    /// (`< h`), else the first global one; actions with the same words together (`j/k
    /// bucket`, `H/Esc close`).
    #[must_use]
    pub fn view_hints(&self, view: View) -> Vec<(String, &'static str)> {
        let Some(v) = VIEWS.iter().find(|v| v.view == view) else {
            return Vec::new();
        };
        let mut out: Vec<(String, &'static str)> = Vec::new();
        for &(action, hint, _) in v.keys {
            let own = if v.context == Context::Global {
                Vec::new()
            } else {
                self.hint_labels(v.context, action)
            };
            let key = if own.is_empty() {
                let global = self.hint_labels(Context::Global, action);
                let usable = self.keys_for(v.context, action);
                match global.into_iter().find(|k| usable.contains(k)) {
                    Some(k) => k.to_string(),
                    None => continue,
                }
            } else {
                own.join(" ")
            };
            match out.last_mut() {
                Some((keys, h)) if *h == hint => {
                    keys.push('/');
                    keys.push_str(&key);
                }
                _ => out.push((key, hint)),
            }
        }
        out
    }
}
