//! The input line (filter `/`, command `:`, search in the waterfall): opening it, editing,
//! history, completion, submit and cancel.

use super::*;
use crate::query::complete::{Completion, Vocabulary, complete};
use crate::ui::barkeys::BarKey;
use crate::ui::state::input::Menu;
use crate::ui::state::line::Edit;

impl App {
    /// Open the bar of `mode` holding `text`.
    pub(super) fn open_bar(&mut self, mode: Mode, text: &str) {
        self.mode = mode;
        self.input.open(text);
        self.input.draft.clear();
        self.input.opened_with = self.query_text.clone();
    }

    /// A key of the open bar.
    pub fn on_bar_key(&mut self, key: BarKey) {
        if !matches!(
            key,
            BarKey::Complete | BarKey::CompleteBack | BarKey::Cancel
        ) {
            self.input.menu = None;
        }
        match key {
            BarKey::Edit(e) => {
                if self.input.line.apply(e) {
                    self.on_input_changed();
                }
            }
            BarKey::Submit => self.input_submit(),
            BarKey::Cancel if self.input.menu.take().is_some() => {}
            BarKey::Cancel => self.input_cancel(),
            BarKey::Older => self.input_history(true),
            BarKey::Newer => self.input_history(false),
            BarKey::Complete => self.complete(true),
            BarKey::CompleteBack => self.complete(false),
        }
    }

    /// A character typed into the open bar, at the cursor.
    pub fn input_char(&mut self, c: char) {
        self.on_bar_key(BarKey::Edit(Edit::Insert(c)));
    }

    /// Text pasted into the terminal: typed into the open bar (line breaks and tabs as
    /// spaces); nothing when no bar is open, so a paste never acts as keys of the panes.
    pub fn on_paste(&mut self, text: &str) {
        if !matches!(self.mode, Mode::Filter | Mode::Command | Mode::Search) {
            return;
        }
        self.input.menu = None;
        let mut changed = false;
        for c in text.trim_end_matches(['\r', '\n']).chars() {
            let c = if c.is_whitespace() { ' ' } else { c };
            if !c.is_control() {
                changed |= self.input.line.apply(Edit::Insert(c));
            }
        }
        if changed {
            self.on_input_changed();
        }
    }

    /// Backspace in the open bar. On an empty bar it does nothing: only Esc closes it, so keys
    /// typed after too many backspaces never reach the panes.
    pub fn input_backspace(&mut self) {
        self.on_bar_key(BarKey::Edit(Edit::Backspace));
    }

    pub(super) fn on_input_changed(&mut self) {
        let text = self.input.text().to_string();
        if self.mode == Mode::Search {
            self.search_hits(&text);
            self.prepare();
            return;
        }
        if self.mode == Mode::Filter {
            // live: apply every query that parses; while one does not, keep the last that did,
            // without a word the bad clause grew from
            match query::parse(&text) {
                Ok(q) => {
                    self.query = q;
                    self.query_text = text;
                    self.input.error = None;
                }
                Err(e) => {
                    let kept = query::typing::applied_while_typing(&self.query_text, &text, &e);
                    if kept != self.query_text
                        && let Ok(q) = query::parse(&kept)
                    {
                        self.query = q;
                        self.query_text = kept;
                    }
                    self.input.error = Some(e);
                }
            }
            self.prepare();
        }
    }

    /// Browse the history of the open bar (filters, or commands).
    pub fn input_history(&mut self, older: bool) {
        let history = match self.mode {
            Mode::Filter => &self.input.history,
            Mode::Command => &self.input.commands,
            _ => return,
        };
        let n = history.len();
        if n == 0 {
            return;
        }
        let pos = match (self.input.history_pos, older) {
            (None, true) => {
                self.input.draft = self.input.text().to_string();
                n - 1
            }
            (None, false) => return,
            (Some(p), true) => p.saturating_sub(1),
            (Some(p), false) if p + 1 >= n => {
                self.input.history_pos = None;
                let draft = std::mem::take(&mut self.input.draft);
                self.input.line.set(&draft);
                self.on_input_changed();
                return;
            }
            (Some(p), false) => p + 1,
        };
        let entry = history[pos].clone();
        self.input.history_pos = Some(pos);
        self.input.line.set(&entry);
        self.on_input_changed();
    }

    /// Tab: complete the filter at the cursor from the grammar and the store. One candidate is
    /// put in; several put in what they share and are listed, and Tab again puts in one after
    /// the other (Shift-Tab: backwards).
    pub(super) fn complete(&mut self, forward: bool) {
        if self.mode != Mode::Filter {
            return;
        }
        if let Some(menu) = self.input.menu.as_mut()
            && !menu.items.is_empty()
        {
            let n = menu.items.len();
            let next = match (menu.selected, forward) {
                (None, true) => 0,
                (None, false) => n - 1,
                (Some(i), true) => (i + 1) % n,
                (Some(i), false) => (i + n - 1) % n,
            };
            menu.selected = Some(next);
            let text = menu.items[next].text.clone();
            let (start, end) = (menu.start, menu.end);
            menu.end = start + text.chars().count();
            self.input.line.replace(start, end, &text);
            self.on_input_changed();
            return;
        }
        let generation = self.store.generation();
        if self.input.vocabulary.as_ref().map(|v| v.0) != Some(generation) {
            self.input.vocabulary = Some((generation, Vocabulary::of(&self.store)));
        }
        let Some((_, vocab)) = self.input.vocabulary.as_ref() else {
            return;
        };
        let cursor = self.input.line.cursor();
        let c: Completion = complete(&self.store, vocab, self.input.text(), cursor);
        let start = c.start;
        match c.items.len() {
            0 => {
                self.input.menu = Some(Menu {
                    start,
                    end: cursor,
                    ..Menu::default()
                });
            }
            1 => {
                let only = &c.items[0];
                let next = self.input.text().chars().nth(cursor);
                let space = only.whole && next.is_none_or(|ch| !ch.is_whitespace());
                let text = format!("{}{}", only.text, if space { " " } else { "" });
                self.input.line.replace(start, cursor, &text);
                self.on_input_changed();
            }
            _ => {
                let shared = c.common_prefix();
                let typed = cursor - start;
                if shared.chars().count() > typed {
                    self.input.line.replace(start, cursor, &shared);
                    self.on_input_changed();
                }
                self.input.menu = Some(Menu {
                    start,
                    end: self.input.line.cursor(),
                    items: c.items,
                    selected: None,
                });
            }
        }
    }

    /// Enter in the open bar.
    pub fn input_submit(&mut self) {
        match self.mode {
            Mode::Filter if self.input.error.is_none() => {
                let q = self.input.text().trim().to_string();
                if !q.is_empty() && self.input.history.last() != Some(&q) {
                    self.input.history.push(q);
                }
                self.close_bar();
            }
            Mode::Search => {
                self.close_bar();
                if self.input.text().trim().is_empty() {
                    self.clear_search();
                } else if let Some(s) = self.selected_span()
                    && !self.search_hit(s)
                {
                    self.prepare();
                    self.jump(true, Self::search_hit);
                }
            }
            Mode::Command => {
                let cmd = self.input.text().trim().to_string();
                if !cmd.is_empty() && self.input.commands.last() != Some(&cmd) {
                    self.input.commands.push(cmd.clone());
                }
                self.input.line.set("");
                self.close_bar();
                self.run_command(&cmd);
            }
            _ => {}
        }
        self.prepare();
    }

    /// Esc in the open bar: close it (the filter bar keeps the last good query).
    pub fn input_cancel(&mut self) {
        if self.mode == Mode::Search {
            self.clear_search();
        }
        self.close_bar();
        self.input.error = None;
        self.input.menu = None;
        self.prepare();
    }

    /// Back to where the bar was opened from. A filter bar that changed the filter pauses
    /// following (the newest trace it lists stays selected).
    pub(super) fn close_bar(&mut self) {
        if self.mode == Mode::Filter && self.query_text != self.input.opened_with {
            self.follow_newest = false;
        }
        self.input.menu = None;
        self.mode = if std::mem::take(&mut self.steps_return) {
            Mode::Steps
        } else if std::mem::take(&mut self.reader.filtering) {
            Mode::Reader
        } else {
            Mode::Normal
        };
    }
}

#[cfg(test)]
mod tests {
    use crate::ui::barkeys::BarKey;
    use crate::ui::state::line::Edit;
    use crate::ui::testing::*;

    #[test]
    fn filter_bar_shows_errors_inline_and_keeps_the_last_good_result() {
        let mut a = app("otlp-jsonl");
        run(&mut a, &[Action::OpenFilter]);
        type_text(&mut a, "react dur>2x");
        assert_eq!(
            a.query_text, "react dur>2",
            "the last good query stays applied"
        );
        insta::assert_snapshot!(screen(&mut a, 120, 20));
        for _ in 0..1 {
            a.input_backspace();
        }
        type_text(&mut a, "00ms");
        a.input_submit();
        assert_eq!(a.view.rows.len(), 2, "two ReAct traces above 200ms");
        assert_eq!(a.input.history, vec!["react dur>200ms".to_string()]);
    }

    #[test]
    fn fuzzy_words_highlight_and_filter() {
        let a = Theme::colored();
        let mut app = app("otlp-jsonl");
        app.theme = a;
        run(&mut app, &[Action::OpenFilter]);
        type_text(&mut app, "summ");
        app.input_submit();
        assert_eq!(app.view.rows.len(), 1);
        let mut term = Terminal::new(TestBackend::new(100, 20)).unwrap();
        term.draw(|f| draw(f, &mut app, None)).unwrap();
        let buf = term.backend().buffer();
        // the matched "S" of SummarizeWithSources is highlighted in the list row (row 3)
        let row: String = (0..100).map(|x| buf[(x, 3)].symbol().to_string()).collect();
        let col = row.find("SummarizeWithSources").unwrap();
        let col = u16::try_from(row[..col].chars().count()).unwrap();
        assert_eq!(
            buf[(col, 3)].style().fg,
            Some(ratatui::style::Color::Yellow)
        );
        assert_ne!(
            buf[(col + 10, 3)].style().fg,
            Some(ratatui::style::Color::Yellow)
        );
    }

    fn keys(a: &mut App, keys: &[BarKey]) {
        for &k in keys {
            a.on_bar_key(k);
            settle(a);
        }
    }

    #[test]
    fn backspace_on_an_empty_bar_keeps_it_open() {
        let mut a = app("otlp-jsonl");
        run(&mut a, &[Action::OpenFilter]);
        type_text(&mut a, "x");
        for _ in 0..3 {
            a.input_backspace();
        }
        assert_eq!(a.mode, Mode::Filter, "only Esc closes the bar");
        // what is typed next goes into the bar, not to the panes' keys
        type_text(&mut a, "sem");
        assert!(!a.slow_only && !a.failed_only);
        assert_eq!(a.input.text(), "sem");
        keys(&mut a, &[BarKey::Cancel]);
        assert_eq!(a.mode, Mode::Normal);
    }

    #[test]
    fn a_paste_goes_into_the_bar_whole_and_never_to_the_panes() {
        let mut a = app("otlp-jsonl");
        a.on_paste("sem");
        assert!(!a.slow_only && !a.failed_only && a.mode == Mode::Normal);
        run(&mut a, &[Action::OpenCommand]);
        a.on_paste("goto\t6097b69a\n");
        assert_eq!(a.input.text(), "goto 6097b69a");
        assert_eq!(a.mode, Mode::Command, "a pasted line break does not run it");
    }

    #[test]
    fn a_long_filter_scrolls_with_the_cursor() {
        let mut a = app("otlp-jsonl");
        run(&mut a, &[Action::OpenFilter]);
        type_text(
            &mut a,
            "name:ReAct.forward status:recovered|error dur>200ms span.kind:tool",
        );
        let _ = screen(&mut a, 40, 12);
        keys(&mut a, &[BarKey::Edit(Edit::Home)]);
        for _ in 0..5 {
            keys(&mut a, &[BarKey::Edit(Edit::WordRight)]);
            let _ = screen(&mut a, 40, 12);
        }
        insta::assert_snapshot!(screen_with_cursor(&mut a, 40, 12));
    }

    #[test]
    fn a_half_typed_term_is_not_applied_as_a_word() {
        let mut a = app("otlp-jsonl");
        run(&mut a, &[Action::OpenFilter]);
        type_text(&mut a, "status:eror");
        assert_eq!(a.query_text, "", "not the word \"status\"");
        assert_eq!(a.view.rows.len(), 15);
        let e = a.input.error.clone().unwrap();
        assert_eq!((e.column, e.len), (8, 4));
        // an edit in the middle of the line fixes it
        keys(
            &mut a,
            &[
                BarKey::Edit(Edit::Left),
                BarKey::Edit(Edit::Left),
                BarKey::Edit(Edit::Insert('r')),
            ],
        );
        assert_eq!(a.input.text(), "status:error");
        assert_eq!(a.query_text, "status:error");
        assert!(a.input.error.is_none());
        assert_eq!(a.view.rows.len(), 1);
    }

    #[test]
    fn history_remembers_filters_and_commands_and_gives_back_the_draft() {
        let mut a = app("otlp-jsonl");
        for q in ["status:error", "react"] {
            run(&mut a, &[Action::OpenFilter]);
            keys(&mut a, &[BarKey::Edit(Edit::KillToStart)]);
            type_text(&mut a, q);
            a.input_submit();
        }
        run(&mut a, &[Action::OpenFilter]);
        keys(&mut a, &[BarKey::Edit(Edit::KillToStart)]);
        type_text(&mut a, "dra");
        keys(&mut a, &[BarKey::Older, BarKey::Older]);
        assert_eq!(a.input.text(), "status:error");
        assert_eq!(a.input.line.cursor(), 12, "the cursor at the end");
        assert_eq!(a.query_text, "status:error", "applied as it shows");
        keys(&mut a, &[BarKey::Newer, BarKey::Newer]);
        assert_eq!(a.input.text(), "dra", "what was being typed");
        keys(&mut a, &[BarKey::Cancel]);
        run(&mut a, &[Action::OpenCommand]);
        type_text(&mut a, "sort dur");
        a.input_submit();
        run(&mut a, &[Action::OpenCommand]);
        keys(&mut a, &[BarKey::Older]);
        assert_eq!(a.input.text(), "sort dur");
    }

    #[test]
    fn tab_completes_fields_and_values_and_cycles_candidates() {
        let mut a = app("otlp-jsonl");
        run(&mut a, &[Action::OpenFilter]);
        type_text(&mut a, "sta");
        keys(&mut a, &[BarKey::Complete]);
        assert_eq!(a.input.text(), "status:");
        type_text(&mut a, "er");
        keys(&mut a, &[BarKey::Complete]);
        assert_eq!(
            a.input.text(),
            "status:error ",
            "a whole clause: a space after it"
        );
        assert_eq!(a.view.rows.len(), 1);
        // several: what they share, then one after the other
        type_text(&mut a, "kind:");
        keys(&mut a, &[BarKey::Complete]);
        let menu = a.input.menu.clone().unwrap();
        assert_eq!(menu.items.len(), 8);
        assert_eq!(menu.selected, None);
        assert_eq!(a.input.text(), "status:error kind:");
        keys(&mut a, &[BarKey::Complete, BarKey::Complete]);
        assert_eq!(a.input.text(), "status:error kind:chain");
        keys(&mut a, &[BarKey::CompleteBack]);
        assert_eq!(a.input.text(), "status:error kind:llm");
        assert_eq!(a.query_text, "status:error kind:llm", "applied as it shows");
        // Esc closes the list first, then the bar
        keys(&mut a, &[BarKey::Cancel]);
        assert!(a.input.menu.is_none());
        assert_eq!(a.mode, Mode::Filter);
        // nothing to complete says so
        type_text(&mut a, " zzz");
        keys(&mut a, &[BarKey::Complete]);
        assert!(a.input.menu.as_ref().is_some_and(|m| m.items.is_empty()));
        assert_eq!(a.input.text(), "status:error kind:llm zzz");
    }

    #[test]
    fn the_bar_shows_its_cursor_and_completions() {
        let mut a = app("otlp-jsonl");
        run(&mut a, &[Action::OpenFilter]);
        type_text(&mut a, "attr.");
        a.on_bar_key(BarKey::Complete);
        insta::assert_snapshot!(screen_with_cursor(&mut a, 100, 24));
    }
}
