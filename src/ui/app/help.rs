//! The help (`?`): made from the keymap (the keys in effect), the views' key table and the `:`
//! commands, so it lists every key and command there is, once each; wrapped to the width it is
//! shown in, and scrolled.

use super::command::COMMANDS;
use super::{App, Mode};
use crate::text::width;
use crate::ui::action::Action;
use crate::ui::keymap::{Context, describe};
use crate::ui::views::VIEWS;

/// One line of the help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HelpLine {
    /// A section's title.
    Title(String),
    /// Keys (empty on a line that goes on with the text above) and what they do.
    Row {
        keys: String,
        text: String,
    },
    Blank,
}

/// How wide the keys column is; longer keys get a line of their own.
pub const KEYS_W: usize = 18;

/// The panes, in the help's order, with their titles.
const PANES: [(Context, &str); 4] = [
    (Context::Global, "Everywhere"),
    (Context::List, "Trace list"),
    (Context::Waterfall, "Waterfall"),
    (Context::Detail, "Detail"),
];

/// The filter language, in short (the filter bar's own keys are in its hint line).
const FILTER: &[(&str, &str)] = &[
    (
        "dur>2s",
        "Duration (>, >=, <, <=, =); also tokens>1k, spans>10",
    ),
    (
        "status:error",
        "Failed requests; status:ok, status:recovered, status:running, a|b",
    ),
    (
        "text:\"rate limit\"",
        "Requests that said it (prompt, response, inputs, outputs, error, attribute values); also a bare \"quoted phrase\"",
    ),
    ("name:TEXT", "Trace name; model:TEXT, kind:llm, id:PREFIX"),
    (
        "attr.KEY=VALUE",
        "An attribute or metadata value, as the Attributes tab shows",
    ),
    (
        "span.dur>1s",
        "Traces with such a span; span.status:error, span.pct>25",
    ),
    (
        "-TERM",
        "Not TERM; other words match trace and span names loosely",
    ),
];

impl App {
    /// The help's sections as (title, rows of keys and what they do), before wrapping.
    #[must_use]
    pub fn help_sections(&self) -> Vec<(String, Vec<(String, String)>)> {
        let km = &self.opts.keymap;
        let mut out = Vec::new();
        for (ctx, title) in PANES {
            let mut rows: Vec<(String, String)> = Vec::new();
            let mut seen: Vec<Action> = Vec::new();
            for bd in km.bindings().iter().filter(|b| b.context == ctx) {
                if !seen.contains(&bd.action) {
                    seen.push(bd.action);
                    rows.push((
                        km.labels(ctx, bd.action).join(" "),
                        describe(bd.action).to_string(),
                    ));
                }
            }
            out.push((title.to_string(), rows));
        }
        for (i, v) in VIEWS.iter().enumerate() {
            let mut rows: Vec<(String, String)> = Vec::new();
            for &(action, _, text) in v.keys.iter().filter(|k| !k.2.is_empty()) {
                let keys = km.keys_for(v.context, action).join(" ");
                match rows.last_mut() {
                    Some((k, t)) if t == text => {
                        k.push(' ');
                        k.push_str(&keys);
                    }
                    _ => rows.push((keys, text.to_string())),
                }
            }
            // what the configuration bound in the view besides (under its first section)
            let first = VIEWS.iter().position(|o| o.context == v.context) == Some(i);
            if first && v.context != Context::Global {
                let mut seen: Vec<Action> = Vec::new();
                for bd in km.bindings().iter().filter(|b| b.context == v.context) {
                    if !v.keys.iter().any(|k| k.0 == bd.action) && !seen.contains(&bd.action) {
                        seen.push(bd.action);
                        rows.push((
                            km.labels(v.context, bd.action).join(" "),
                            describe(bd.action).to_string(),
                        ));
                    }
                }
            }
            out.push((v.title.to_string(), rows));
        }
        let commands = COMMANDS
            .iter()
            .map(|c| {
                let keys = format!(":{} {}", c.names[0], c.args).trim_end().to_string();
                let also: Vec<String> = c.names[1..].iter().map(|n| format!(":{n}")).collect();
                let text = if also.is_empty() {
                    c.help.to_string()
                } else {
                    format!("{} (also {})", c.help, also.join(", "))
                };
                (keys, text)
            })
            .collect();
        out.push(("Commands (:)".to_string(), commands));
        let filter = FILTER
            .iter()
            .map(|(k, t)| ((*k).to_string(), (*t).to_string()))
            .collect();
        out.push(("The filter language (/)".to_string(), filter));
        let editing = crate::ui::barkeys::help()
            .into_iter()
            .map(|(k, t)| (k, t.to_string()))
            .collect();
        out.push((
            "Editing the filter, a command (:) or a search".to_string(),
            editing,
        ));
        out
    }

    /// The help as lines `width` columns wide: each row's text wrapped beside its keys.
    #[must_use]
    pub fn help_lines(&self, width: usize) -> Vec<HelpLine> {
        let text_w = width.saturating_sub(KEYS_W + 3).max(20);
        let mut out = Vec::new();
        for (title, rows) in self.help_sections() {
            out.push(HelpLine::Title(title));
            for (keys, text) in rows {
                let mut keys = Some(keys);
                if keys
                    .as_deref()
                    .is_some_and(|k| crate::text::width(k) > KEYS_W)
                {
                    out.push(HelpLine::Row {
                        keys: keys.take().unwrap_or_default(),
                        text: String::new(),
                    });
                }
                for line in wrap(&text, text_w) {
                    out.push(HelpLine::Row {
                        keys: keys.take().unwrap_or_default(),
                        text: line,
                    });
                }
            }
            out.push(HelpLine::Blank);
        }
        out.pop();
        out
    }

    /// What shows on screen: the mode, or under the help the mode it was opened from.
    #[must_use]
    pub fn view_mode(&self) -> Mode {
        if self.mode == Mode::Help {
            self.help_from
        } else if self.mode == Mode::Filter && self.reader.filtering {
            // the filter bar opened from the reader: the reader stays on screen
            Mode::Reader
        } else {
            self.mode
        }
    }

    /// Open the help over whatever is showing; closing it goes back there.
    pub(crate) fn open_help(&mut self) {
        if self.mode != Mode::Help {
            self.help_from = self.mode;
        }
        self.mode = Mode::Help;
        self.help_scroll = 0;
    }

    /// A key in the help: the moving keys scroll it (no further than its last page), `q`
    /// quits, any other key closes it.
    pub(super) fn help_update(&mut self, action: Action) {
        let page = self.help_page.max(1);
        let last = self.help_last_top();
        self.help_scroll = match action {
            Action::Down => self.help_scroll.saturating_add(1),
            Action::Up => self.help_scroll.saturating_sub(1),
            Action::PageDown => self.help_scroll.saturating_add(page),
            Action::PageUp => self.help_scroll.saturating_sub(page),
            Action::First => 0,
            Action::Last => last,
            Action::Quit => {
                self.quit = true;
                return;
            }
            _ => {
                self.mode = self.help_from;
                return;
            }
        }
        .min(last);
    }

    /// The first line shown when the help is scrolled to its end.
    pub(super) fn help_last_top(&self) -> u16 {
        let lines = self.help_lines(usize::from(self.help_width)).len();
        u16::try_from(lines.saturating_sub(usize::from(self.help_page))).unwrap_or(u16::MAX)
    }
}

/// `text` in lines of at most `w` columns, broken between words (a word longer than a line is
/// cut).
fn wrap(text: &str, w: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && width(&line) + 1 + width(word) > w {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || out.is_empty() {
        out.push(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::testing::*;

    #[test]
    fn help_lists_every_command_and_view_key_once() {
        let a = app("otlp-jsonl");
        let sections = a.help_sections();
        let all: Vec<&(String, String)> = sections.iter().flat_map(|s| &s.1).collect();
        // every command of the table
        for c in COMMANDS {
            assert!(
                all.iter()
                    .any(|(k, _)| k.starts_with(&format!(":{} ", c.names[0]))
                        || *k == format!(":{}", c.names[0])),
                "{}",
                c.names[0]
            );
        }
        // the comparison's keys, and no key written twice on a row
        let compare = sections
            .iter()
            .find(|s| s.0.starts_with("Comparing"))
            .expect("the comparison's keys");
        let keys: Vec<&str> = compare.1.iter().map(|r| r.0.as_str()).collect();
        assert!(keys.contains(&"n") && keys.contains(&"Enter"), "{keys:?}");
        assert!(keys.contains(&"Esc ="), "{keys:?}");
        for (k, _) in &all {
            let words: Vec<&str> = k.split(' ').filter(|w| !w.starts_with(':')).collect();
            for w in &words {
                assert_eq!(words.iter().filter(|x| *x == w).count(), 1, "{k:?}");
            }
        }
        let down = all.iter().find(|(_, t)| t == describe(Action::Down));
        assert_eq!(down.map(|r| r.0.as_str()), Some("j ↓"));
        // the steps' root key is there
        assert!(
            all.iter()
                .any(|(k, t)| k == "r" && t.contains("root spans"))
        );
    }

    #[test]
    fn help_text_wraps_beside_its_keys() {
        assert_eq!(wrap("a bb ccc", 4), ["a bb", "ccc"]);
        assert_eq!(wrap("", 4), [""]);
        let a = app("otlp-jsonl");
        for line in a.help_lines(60) {
            if let HelpLine::Row { keys, text } = line {
                assert!(
                    width(&text) <= 60 - KEYS_W - 3 || !text.contains(' '),
                    "{text}"
                );
                assert!(width(&keys) <= KEYS_W || text.is_empty(), "{keys}");
            }
        }
    }
}
