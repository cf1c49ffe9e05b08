//! The keys of the open bar (the filter `/`, a `:` command, the waterfall's search) as data:
//! readline's and lnav's editing keys, the history and completion. The help is generated from
//! [`BAR_KEYS`], so it lists what the keys do.

use super::state::line::Edit;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key does in the open bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BarKey {
    Edit(Edit),
    /// Apply the filter (run the command) and close the bar.
    Submit,
    /// Close the completion list, else the bar.
    Cancel,
    /// An older entry of the history.
    Older,
    /// A newer entry of the history (past the newest: what was being typed).
    Newer,
    /// Complete at the cursor; again: the next candidate.
    Complete,
    /// The previous candidate.
    CompleteBack,
}

/// The modifiers a binding needs (Shift is ignored: it only changes the character).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mods {
    None,
    Ctrl,
    Alt,
}

/// One key of the bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarBinding {
    pub key: KeyCode,
    pub mods: Mods,
    pub action: BarKey,
    /// How the key is written in help.
    pub label: &'static str,
    /// What it does, for the help (bindings with the same text share a line).
    pub help: &'static str,
}

const fn k(
    key: KeyCode,
    mods: Mods,
    action: BarKey,
    label: &'static str,
    help: &'static str,
) -> BarBinding {
    BarBinding {
        key,
        mods,
        action,
        label,
        help,
    }
}

use BarKey::{Edit as E, *};
use KeyCode::{Char as C, *};
use Mods::{Alt as A, Ctrl as X, None as N};

/// Every key of the bar, in help order. Typed characters (without Ctrl or Alt) are inserted.
pub const BAR_KEYS: &[BarBinding] = &[
    k(
        Enter,
        N,
        Submit,
        "Enter",
        "apply the filter (run the command)",
    ),
    k(
        Esc,
        N,
        Cancel,
        "Esc",
        "close the completion list, else the bar",
    ),
    k(
        Tab,
        N,
        Complete,
        "Tab",
        "complete at the cursor; again: the next candidate",
    ),
    k(
        BackTab,
        N,
        CompleteBack,
        "Shift-Tab",
        "the previous candidate",
    ),
    k(Up, N, Older, "↑", "history: older"),
    k(C('p'), X, Older, "Ctrl-P", "history: older"),
    k(Down, N, Newer, "↓", "history: newer"),
    k(C('n'), X, Newer, "Ctrl-N", "history: newer"),
    k(Left, N, E(Edit::Left), "←", "a character left / right"),
    k(Right, N, E(Edit::Right), "→", "a character left / right"),
    k(
        C('b'),
        X,
        E(Edit::Left),
        "Ctrl-B",
        "a character left / right",
    ),
    k(
        C('f'),
        X,
        E(Edit::Right),
        "Ctrl-F",
        "a character left / right",
    ),
    k(Left, X, E(Edit::WordLeft), "Ctrl-←", "a word left / right"),
    k(
        Right,
        X,
        E(Edit::WordRight),
        "Ctrl-→",
        "a word left / right",
    ),
    k(C('b'), A, E(Edit::WordLeft), "Alt-B", "a word left / right"),
    k(
        C('f'),
        A,
        E(Edit::WordRight),
        "Alt-F",
        "a word left / right",
    ),
    k(Left, A, E(Edit::WordLeft), "Alt-←", "a word left / right"),
    k(Right, A, E(Edit::WordRight), "Alt-→", "a word left / right"),
    k(Home, N, E(Edit::Home), "Home", "start / end of the line"),
    k(End, N, E(Edit::End), "End", "start / end of the line"),
    k(
        C('a'),
        X,
        E(Edit::Home),
        "Ctrl-A",
        "start / end of the line",
    ),
    k(C('e'), X, E(Edit::End), "Ctrl-E", "start / end of the line"),
    k(
        Backspace,
        N,
        E(Edit::Backspace),
        "Backspace",
        "delete before / at the cursor (empty, the bar stays open)",
    ),
    k(
        C('h'),
        X,
        E(Edit::Backspace),
        "Ctrl-H",
        "delete before / at the cursor (empty, the bar stays open)",
    ),
    k(
        Delete,
        N,
        E(Edit::Delete),
        "Delete",
        "delete before / at the cursor (empty, the bar stays open)",
    ),
    k(
        C('d'),
        X,
        E(Edit::Delete),
        "Ctrl-D",
        "delete before / at the cursor (empty, the bar stays open)",
    ),
    k(
        C('u'),
        X,
        E(Edit::KillToStart),
        "Ctrl-U",
        "cut to the start / to the end of the line",
    ),
    k(
        C('k'),
        X,
        E(Edit::KillToEnd),
        "Ctrl-K",
        "cut to the start / to the end of the line",
    ),
    k(
        C('w'),
        X,
        E(Edit::KillClauseBack),
        "Ctrl-W",
        "cut the clause before the cursor (back to a space)",
    ),
    k(
        Backspace,
        A,
        E(Edit::KillWordBack),
        "Alt-Backspace",
        "cut the word before / after the cursor",
    ),
    k(
        C('d'),
        A,
        E(Edit::KillWordForward),
        "Alt-D",
        "cut the word before / after the cursor",
    ),
    k(
        C('y'),
        X,
        E(Edit::Yank),
        "Ctrl-Y",
        "paste what was cut last",
    ),
];

/// What a key press does in the open bar (`None`: nothing).
#[must_use]
pub fn lookup(key: KeyEvent) -> Option<BarKey> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let alt = key.modifiers.contains(KeyModifiers::ALT);
    if let KeyCode::Char(c) = key.code
        // AltGr arrives as Ctrl+Alt on some terminals: it types a character
        && (ctrl == alt)
        && !c.is_control()
    {
        return Some(BarKey::Edit(Edit::Insert(c)));
    }
    let mods = match (ctrl, alt) {
        (true, false) => Mods::Ctrl,
        (false, true) => Mods::Alt,
        (false, false) => Mods::None,
        (true, true) => return None,
    };
    let code = match key.code {
        KeyCode::Char(c) => KeyCode::Char(c.to_ascii_lowercase()),
        other => other,
    };
    BAR_KEYS
        .iter()
        .find(|b| b.key == code && b.mods == mods)
        .map(|b| b.action)
}

/// The help of the bar: one line per thing it does, with every key that does it.
#[must_use]
pub fn help() -> Vec<(String, &'static str)> {
    let mut out: Vec<(String, &'static str)> = Vec::new();
    for b in BAR_KEYS {
        match out.iter_mut().find(|(_, h)| *h == b.help) {
            Some((keys, _)) => {
                keys.push(' ');
                keys.push_str(b.label);
            }
            None => out.push((b.label.to_string(), b.help)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, m: KeyModifiers) -> Option<BarKey> {
        lookup(KeyEvent::new(code, m))
    }

    #[test]
    fn characters_type_and_modified_keys_edit() {
        let none = KeyModifiers::NONE;
        assert_eq!(key(C('s'), none), Some(E(Edit::Insert('s'))));
        assert_eq!(key(C('S'), KeyModifiers::SHIFT), Some(E(Edit::Insert('S'))));
        assert_eq!(
            key(C('w'), KeyModifiers::CONTROL),
            Some(E(Edit::KillClauseBack))
        );
        assert_eq!(key(C('b'), KeyModifiers::ALT), Some(E(Edit::WordLeft)));
        assert_eq!(
            key(C('B'), KeyModifiers::ALT | KeyModifiers::SHIFT),
            Some(E(Edit::WordLeft))
        );
        assert_eq!(key(Left, KeyModifiers::CONTROL), Some(E(Edit::WordLeft)));
        assert_eq!(key(Left, none), Some(E(Edit::Left)));
        assert_eq!(key(BackTab, KeyModifiers::SHIFT), Some(CompleteBack));
        assert_eq!(
            key(Backspace, KeyModifiers::ALT),
            Some(E(Edit::KillWordBack))
        );
        // AltGr: a character
        assert_eq!(
            key(C('@'), KeyModifiers::CONTROL | KeyModifiers::ALT),
            Some(E(Edit::Insert('@')))
        );
        assert_eq!(key(C('z'), KeyModifiers::CONTROL), None);
        assert_eq!(key(F(2), none), None);
    }

    #[test]
    fn help_has_one_line_per_thing_with_every_key() {
        let h = help();
        let words = h
            .iter()
            .find(|(_, what)| what.starts_with("a word"))
            .unwrap();
        assert_eq!(words.0, "Ctrl-← Ctrl-→ Alt-B Alt-F Alt-← Alt-→");
        let helps: Vec<&str> = h.iter().map(|(_, w)| *w).collect();
        let mut dedup = helps.clone();
        dedup.dedup();
        assert_eq!(helps, dedup, "bindings of one thing are next to each other");
    }
}
