//! Keys as data: `(context, key, action)`. The help overlay and the hint bar are generated from
//! the keymap, so they cannot drift from what the keys do. The defaults are [`DEFAULT`]; the
//! configuration file's `[keys.*]` tables override them ([`Keymap::with_overrides`]).

use super::action::Action;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Context {
    /// Every pane.
    Global,
    List,
    Waterfall,
    Detail,
    /// The step statistics view.
    Steps,
    /// Two traces compared.
    Compare,
}

/// One binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub context: Context,
    pub key: KeyCode,
    pub ctrl: bool,
    pub action: Action,
    /// How the key is written in help.
    pub label: Cow<'static, str>,
    /// Shown in the one-line hint bar of its pane.
    pub hint: bool,
}

const fn b(
    context: Context,
    key: KeyCode,
    label: &'static str,
    action: Action,
    hint: bool,
) -> Binding {
    Binding {
        context,
        key,
        ctrl: false,
        action,
        label: Cow::Borrowed(label),
        hint,
    }
}

use Context::{Compare as V, Detail as D, Global as G, List as L, Steps as S, Waterfall as W};
use KeyCode::Char as C;

/// The default keymap. Earlier bindings win when two match.
pub const DEFAULT: &[Binding] = &[
    b(G, C('q'), "q", Action::Quit, true),
    Binding {
        context: G,
        key: C('c'),
        ctrl: true,
        action: Action::Quit,
        label: Cow::Borrowed("Ctrl-C"),
        hint: false,
    },
    b(G, C('?'), "?", Action::Help, true),
    b(G, KeyCode::Tab, "Tab", Action::NextPane, true),
    b(G, KeyCode::BackTab, "Shift-Tab", Action::PrevPane, false),
    b(G, C('/'), "/", Action::OpenFilter, true),
    b(G, C(':'), ":", Action::OpenCommand, false),
    b(G, C('s'), "s", Action::ToggleSlow, true),
    b(G, C('e'), "e", Action::ToggleFailed, true),
    b(G, C('z'), "z", Action::Maximize, false),
    b(G, KeyCode::Enter, "Enter", Action::Enter, true),
    b(G, KeyCode::Esc, "Esc", Action::Back, false),
    b(G, C('j'), "j", Action::Down, false),
    b(G, KeyCode::Down, "↓", Action::Down, false),
    b(G, C('k'), "k", Action::Up, false),
    b(G, KeyCode::Up, "↑", Action::Up, false),
    b(G, KeyCode::PageDown, "PgDn", Action::PageDown, false),
    b(G, KeyCode::PageUp, "PgUp", Action::PageUp, false),
    Binding {
        context: G,
        key: C('d'),
        ctrl: true,
        action: Action::PageDown,
        label: Cow::Borrowed("Ctrl-D"),
        hint: false,
    },
    Binding {
        context: G,
        key: C('u'),
        ctrl: true,
        action: Action::PageUp,
        label: Cow::Borrowed("Ctrl-U"),
        hint: false,
    },
    b(G, C('g'), "g", Action::First, false),
    b(G, KeyCode::Home, "Home", Action::First, false),
    b(G, C('G'), "G", Action::Last, false),
    b(G, KeyCode::End, "End", Action::Last, false),
    b(L, C('<'), "<", Action::SortPrev, true),
    b(L, C('h'), "h", Action::SortPrev, false),
    b(L, C('>'), ">", Action::SortNext, true),
    b(L, C('l'), "l", Action::SortNext, false),
    b(L, C('i'), "i", Action::InvertSort, true),
    b(L, C('t'), "t", Action::ToggleRelativeTime, true),
    b(L, C(' '), "Space", Action::TogglePause, false),
    b(G, C('F'), "F", Action::ToggleFollowNewest, false),
    b(G, C('S'), "S", Action::ToggleSteps, true),
    b(G, C('y'), "y", Action::CopyMarkdown, false),
    b(G, C('Y'), "Y", Action::CopyJson, false),
    b(G, C('H'), "H", Action::ToggleHistogram, false),
    b(G, C('O'), "O", Action::ToggleRuns, false),
    b(G, C('d'), "d", Action::DiffTrials, false),
    b(G, C('C'), "C", Action::ToggleSessions, false),
    b(G, C('m'), "m", Action::Mark, false),
    b(G, C('='), "=", Action::Compare, false),
    b(V, C('n'), "n", Action::NextMatch, true),
    b(V, C('N'), "N", Action::PrevMatch, true),
    b(S, C('<'), "<", Action::SortPrev, true),
    b(S, C('h'), "h", Action::SortPrev, false),
    b(S, C('>'), ">", Action::SortNext, true),
    b(S, C('l'), "l", Action::SortNext, false),
    b(S, C('b'), "b", Action::CycleGroupBy, true),
    b(S, C('r'), "r", Action::ToggleRoots, true),
    b(L, C('n'), "n", Action::Down, false),
    b(L, C('N'), "N", Action::Up, false),
    b(W, C(' '), "Space", Action::ToggleCollapse, true),
    b(W, C('h'), "h", Action::Collapse, true),
    b(W, KeyCode::Left, "←", Action::Collapse, false),
    b(W, C('l'), "l", Action::Expand, true),
    b(W, KeyCode::Right, "→", Action::Expand, false),
    b(W, C(']'), "]", Action::NextError, true),
    b(W, C('['), "[", Action::PrevError, true),
    b(W, C('c'), "c", Action::ToggleCritical, true),
    b(W, C('/'), "/", Action::OpenSearch, true),
    b(W, C('f'), "f", Action::ToggleSearchOnly, false),
    b(W, C('r'), "r", Action::ToggleReader, true),
    b(W, C('n'), "n", Action::NextMatch, false),
    b(W, C('N'), "N", Action::PrevMatch, false),
    b(D, C('l'), "l", Action::NextTab, true),
    b(D, KeyCode::Right, "→", Action::NextTab, false),
    b(D, C('h'), "h", Action::PrevTab, true),
    b(D, KeyCode::Left, "←", Action::PrevTab, false),
    b(D, C('1'), "1", Action::TabPrompt, false),
    b(D, C('2'), "2", Action::TabResponse, false),
    b(D, C('3'), "3", Action::TabTokens, false),
    b(D, C('4'), "4", Action::TabAttributes, false),
    b(D, C('5'), "5", Action::TabError, false),
    b(D, C('6'), "6", Action::TabRaw, false),
    b(D, C('n'), "n", Action::NextFound, false),
    b(D, C('N'), "N", Action::PrevFound, false),
];

/// The bindings in effect: the defaults, with the configuration's overrides in front.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    bindings: Vec<Binding>,
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap {
            bindings: DEFAULT.to_vec(),
        }
    }
}

impl Keymap {
    /// The defaults with `overrides` applied in order: each key is taken from whatever it did
    /// in its context, and bound to the action (`None` leaves it unbound). A new key for an
    /// action that has a hint in the hint bar gets the hint.
    #[must_use]
    pub fn with_overrides(overrides: &[(Context, Chord, Option<Action>)]) -> Self {
        let mut bindings = DEFAULT.to_vec();
        for &(context, chord, target) in overrides {
            bindings
                .retain(|b| !(b.context == context && b.key == chord.code && b.ctrl == chord.ctrl));
            if let Some(action) = target {
                let hint = DEFAULT
                    .iter()
                    .any(|b| b.context == context && b.action == action && b.hint);
                bindings.insert(
                    0,
                    Binding {
                        context,
                        key: chord.code,
                        ctrl: chord.ctrl,
                        action,
                        label: Cow::Owned(chord.to_string()),
                        hint,
                    },
                );
            }
        }
        Keymap { bindings }
    }

    /// Every binding, earlier ones winning.
    #[must_use]
    pub fn bindings(&self) -> &[Binding] {
        &self.bindings
    }

    /// The action for a key press in the focused pane's context, pane bindings first.
    #[must_use]
    pub fn lookup(&self, pane: Context, key: KeyEvent) -> Option<Action> {
        let chord = Chord::of(key);
        let find = |ctx: Context| {
            self.bindings
                .iter()
                .find(|bd| bd.context == ctx && bd.key == chord.code && bd.ctrl == chord.ctrl)
                .map(|bd| bd.action)
        };
        find(pane).or_else(|| find(Context::Global))
    }

    /// One-line hints for a pane: its own hinted actions, then the global ones, each with
    /// every key that does it there (`< h sort col`).
    #[must_use]
    pub fn hints(&self, pane: Context) -> Vec<(String, &'static str)> {
        let mut seen: Vec<(Context, Action)> = Vec::new();
        let mut out = Vec::new();
        for bd in self
            .bindings
            .iter()
            .filter(|bd| bd.hint && (bd.context == pane || bd.context == Context::Global))
        {
            if !seen.contains(&(bd.context, bd.action)) {
                seen.push((bd.context, bd.action));
                out.push((
                    self.hint_labels(bd.context, bd.action).join(" "),
                    short_help(bd.action),
                ));
            }
        }
        out
    }

    /// The keys of `action` in `context` as the hint bar writes them: without the Ctrl
    /// chords, which stay in the help (`q`, not `q Ctrl-C`).
    pub(crate) fn hint_labels(&self, context: Context, action: Action) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for bd in self
            .bindings
            .iter()
            .filter(|bd| bd.context == context && bd.action == action && !bd.ctrl)
        {
            if !out.contains(&bd.label.as_ref()) {
                out.push(bd.label.as_ref());
            }
        }
        out
    }

    /// How the keys bound to `action` in `context` itself are written, in keymap order.
    #[must_use]
    pub fn labels(&self, context: Context, action: Action) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for bd in self
            .bindings
            .iter()
            .filter(|bd| bd.context == context && bd.action == action)
        {
            if !out.contains(&bd.label.as_ref()) {
                out.push(bd.label.as_ref());
            }
        }
        out
    }

    /// The keys that do `action` where `context` applies: its own, then the global ones it
    /// does not take for something else (what [`Keymap::lookup`] would find).
    #[must_use]
    pub fn keys_for(&self, context: Context, action: Action) -> Vec<&str> {
        let mut out = self.labels(context, action);
        if context != Context::Global {
            for bd in self
                .bindings
                .iter()
                .filter(|bd| bd.context == Context::Global && bd.action == action)
            {
                let taken = self
                    .bindings
                    .iter()
                    .any(|o| o.context == context && o.key == bd.key && o.ctrl == bd.ctrl);
                if !taken && !out.contains(&bd.label.as_ref()) {
                    out.push(bd.label.as_ref());
                }
            }
        }
        out
    }
}

/// A key with or without Ctrl, as the configuration file writes it: `q`, `G`, `Ctrl-d`,
/// `Enter`, `Shift-Tab`, `PgDn`, `F5`, `Space`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chord {
    pub code: KeyCode,
    pub ctrl: bool,
}

impl Chord {
    /// The chord of a key press. Shift+letter arrives as the upper-case char; both spellings
    /// are the same chord.
    #[must_use]
    pub fn of(key: KeyEvent) -> Self {
        let code = match key.code {
            KeyCode::Char(c) if key.modifiers.contains(KeyModifiers::SHIFT) => {
                KeyCode::Char(c.to_ascii_uppercase())
            }
            other => other,
        };
        Chord {
            code,
            ctrl: key.modifiers.contains(KeyModifiers::CONTROL),
        }
    }
}

/// Named keys: how they are written (the first spelling is the canonical one).
const NAMED: &[(&[&str], KeyCode)] = &[
    (&["Space"], KeyCode::Char(' ')),
    (&["Enter", "Return"], KeyCode::Enter),
    (&["Esc", "Escape"], KeyCode::Esc),
    (&["Tab"], KeyCode::Tab),
    (&["Shift-Tab", "BackTab"], KeyCode::BackTab),
    (&["Backspace"], KeyCode::Backspace),
    (&["Delete", "Del"], KeyCode::Delete),
    (&["Insert", "Ins"], KeyCode::Insert),
    (&["Up"], KeyCode::Up),
    (&["Down"], KeyCode::Down),
    (&["Left"], KeyCode::Left),
    (&["Right"], KeyCode::Right),
    (&["Home"], KeyCode::Home),
    (&["End"], KeyCode::End),
    (&["PgUp", "PageUp"], KeyCode::PageUp),
    (&["PgDn", "PageDown"], KeyCode::PageDown),
];

impl FromStr for Chord {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "unknown key {s:?}: a character (q, G, ?), Ctrl-CHAR, Space, Enter, Esc, Tab, \
                 Shift-Tab, Backspace, Delete, Insert, Up, Down, Left, Right, Home, End, PgUp, \
                 PgDn or F1-F12"
            )
        };
        let mut rest = s;
        let mut ctrl = false;
        let mut shift = false;
        loop {
            let lower = rest.to_ascii_lowercase();
            if rest.chars().count() > 1 && (lower.starts_with("ctrl-") || lower.starts_with("c-")) {
                ctrl = true;
                rest = &rest[rest.find('-').map_or(0, |i| i + 1)..];
            } else if rest.chars().count() > 1
                && lower.starts_with("shift-")
                && !lower.eq_ignore_ascii_case("shift-tab")
            {
                shift = true;
                rest = &rest["shift-".len()..];
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) if ctrl => KeyCode::Char(c.to_ascii_lowercase()),
            (Some(c), None) if shift => KeyCode::Char(c.to_ascii_uppercase()),
            (Some(c), None) => KeyCode::Char(c),
            _ => {
                if let Some((_, code)) = NAMED
                    .iter()
                    .find(|(names, _)| names.iter().any(|n| n.eq_ignore_ascii_case(rest)))
                {
                    *code
                } else if let Some(n) = rest
                    .strip_prefix(['f', 'F'])
                    .and_then(|n| n.parse::<u8>().ok())
                    .filter(|n| (1..=12).contains(n))
                {
                    KeyCode::F(n)
                } else {
                    return Err(bad());
                }
            }
        };
        Ok(Chord { code, ctrl })
    }
}

impl fmt::Display for Chord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("Ctrl-")?;
        }
        if let Some((names, _)) = NAMED.iter().find(|(_, c)| *c == self.code) {
            return f.write_str(names[0]);
        }
        match self.code {
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "F{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// A few words per action for the hint bar.
#[must_use]
pub fn short_help(a: Action) -> &'static str {
    match a {
        Action::Quit => "quit",
        Action::Help => "help",
        Action::NextPane => "pane",
        Action::OpenFilter => "filter",
        Action::ToggleSlow => "slow",
        Action::ToggleFailed => "failed",
        Action::Enter => "open",
        Action::SortPrev | Action::SortNext => "sort col",
        Action::InvertSort => "invert",
        Action::ToggleRelativeTime => "time",
        Action::ToggleCollapse => "fold",
        Action::Collapse => "collapse",
        Action::Expand => "expand",
        Action::NextError => "next err",
        Action::PrevError => "prev err",
        Action::ToggleCritical => "critical",
        Action::NextTab => "next tab",
        Action::PrevTab => "prev tab",
        Action::ToggleSteps => "steps",
        Action::CycleGroupBy => "by name/model/kind",
        Action::ToggleRoots => "roots",
        Action::CopyMarkdown => "copy",
        Action::Compare => "compare",
        Action::OpenSearch => "search",
        Action::ToggleReader => "reader",
        _ => "",
    }
}

/// The help text of an action: its doc line in `action.rs`.
#[must_use]
pub fn describe(a: Action) -> &'static str {
    match a {
        Action::Quit => "Quit spanscope",
        Action::Down => "Move down one row",
        Action::Up => "Move up one row",
        Action::PageDown => "Move down one page",
        Action::PageUp => "Move up one page",
        Action::First => "Go to the first row",
        Action::Last => "Go to the last row",
        Action::Enter => "Open the selection (trace → waterfall → detail)",
        Action::Back => "Go back, or close the open bar",
        Action::NextPane => "Focus the next pane",
        Action::PrevPane => "Focus the previous pane",
        Action::Maximize => "Maximize the focused pane (again to restore)",
        Action::ToggleSlow => {
            "Only slow traces (slow ≥ in the header) / spans above the % threshold"
        }
        Action::ToggleFailed => {
            "Only failed or recovered traces / failed spans and their ancestors"
        }
        Action::OpenFilter => "Filter (the filter language, live as you type)",
        Action::OpenCommand => "Command line (the commands are listed below)",
        Action::Help => "Show this help",
        Action::SortPrev => "Sort by the column to the left",
        Action::SortNext => "Sort by the column to the right",
        Action::InvertSort => "Invert the sort order",
        Action::ToggleRelativeTime => "Start times as clock time or \"3m ago\"",
        Action::TogglePause => "Pause the list (indexing goes on; the header counts arrivals)",
        Action::ToggleFollowNewest => "Follow the newest trace as traces arrive (like less +F)",
        Action::Collapse => "Collapse the subtree (or go to the parent)",
        Action::Expand => "Expand the subtree",
        Action::ToggleCollapse => "Collapse or expand the subtree",
        Action::NextError => "Next failed span",
        Action::PrevError => "Previous failed span",
        Action::ToggleCritical => "Highlight the critical path",
        Action::NextMatch => "Next span found by the search (or matching the filter)",
        Action::PrevMatch => "Previous span found by the search (or matching the filter)",
        Action::NextFound => "Next row of the detail that says the filter's text (text:\"…\")",
        Action::PrevFound => "Previous row of the detail that says the filter's text",
        Action::NextTab => "Next detail tab",
        Action::PrevTab => "Previous detail tab",
        Action::TabPrompt => "Prompt tab",
        Action::TabResponse => "Response tab",
        Action::TabTokens => "Tokens & model tab",
        Action::TabAttributes => "Attributes tab",
        Action::TabError => "Error tab",
        Action::TabRaw => "Raw tab",
        Action::ToggleSteps => "Step statistics per name (Enter: the spans of a step)",
        Action::CycleGroupBy => "Group the step statistics by name, model or kind",
        Action::ToggleRoots => "Count the requests' root spans as steps (hidden by default)",
        Action::CopyMarkdown => "Copy the trace (list) or span as Markdown, for an LLM",
        Action::CopyJson => "Copy the trace (list) or span as JSON",
        Action::Mark => "Mark the trace as A, to compare another with it",
        Action::OpenSearch => "Search the spans: name, attributes, prompt, response",
        Action::ToggleHistogram => "Latency histogram of the listed traces (Enter: filter)",
        Action::ToggleSearchOnly => "Only the spans the search found (and their parents)",
        Action::Compare => "Compare the trace with the marked one (= again closes)",
        Action::ToggleReader => "Read the trace as its LM and tool calls, in time order",
        Action::ToggleRuns => "Optimizer runs and their trials' scores (Enter: trials, traces)",
        Action::DiffTrials => "In the runs: the prompt diff of the marked trial and this one",
        Action::ToggleSessions => "Conversations: traces sharing a session (Enter: transcript)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    fn lookup(pane: Context, key: KeyEvent) -> Option<Action> {
        Keymap::default().lookup(pane, key)
    }

    #[test]
    fn pane_bindings_win_over_global_ones() {
        assert_eq!(lookup(Context::List, key(C('h'))), Some(Action::SortPrev));
        assert_eq!(
            lookup(Context::Waterfall, key(C('h'))),
            Some(Action::Collapse)
        );
        assert_eq!(lookup(Context::Detail, key(C('h'))), Some(Action::PrevTab));
        assert_eq!(lookup(Context::Detail, key(C('q'))), Some(Action::Quit));
        assert_eq!(lookup(Context::List, key(C('x'))), None);
    }

    #[test]
    fn ctrl_c_quits_and_shift_letters_match() {
        assert_eq!(
            lookup(Context::List, KeyEvent::new(C('c'), KeyModifiers::CONTROL)),
            Some(Action::Quit)
        );
        assert_eq!(
            lookup(Context::Waterfall, key(C('c'))),
            Some(Action::ToggleCritical)
        );
        assert_eq!(
            lookup(Context::List, KeyEvent::new(C('g'), KeyModifiers::SHIFT)),
            Some(Action::Last)
        );
        assert_eq!(
            lookup(Context::List, KeyEvent::new(C('G'), KeyModifiers::SHIFT)),
            Some(Action::Last)
        );
    }

    #[test]
    fn every_action_with_a_key_has_help() {
        for bd in DEFAULT {
            assert!(!describe(bd.action).is_empty());
        }
        let keys = Keymap::default();
        assert!(
            keys.hints(Context::Waterfall)
                .iter()
                .any(|(k, _)| *k == "c")
        );
    }
}
