//! The input line (filter `/`, command `:`, search in the waterfall): typing, history, submit
//! and cancel.

use super::*;

impl App {
    /// A character typed into the open bar.
    pub fn input_char(&mut self, c: char) {
        self.input.text.push(c);
        self.on_input_changed();
    }

    /// Backspace in the open bar; on an empty bar it closes it.
    pub fn input_backspace(&mut self) {
        if self.input.text.pop().is_none() {
            self.input_cancel();
            return;
        }
        self.on_input_changed();
    }

    pub(super) fn on_input_changed(&mut self) {
        if self.mode == Mode::Search {
            let q = self.input.text.clone();
            self.search_hits(&q);
            self.prepare();
            return;
        }
        if self.mode == Mode::Filter {
            // live: apply every good query, keep the last good one on an error
            match query::parse(&self.input.text) {
                Ok(q) => {
                    self.query = q;
                    self.query_text = self.input.text.clone();
                    self.input.error = None;
                }
                Err(e) => self.input.error = Some(e),
            }
            self.prepare();
        }
    }

    /// Browse the filter history.
    pub fn input_history(&mut self, older: bool) {
        if self.mode != Mode::Filter || self.input.history.is_empty() {
            return;
        }
        let n = self.input.history.len();
        let pos = match (self.input.history_pos, older) {
            (None, true) => n - 1,
            (None, false) => return,
            (Some(p), true) => p.saturating_sub(1),
            (Some(p), false) if p + 1 >= n => {
                self.input.history_pos = None;
                self.input.text.clear();
                self.on_input_changed();
                return;
            }
            (Some(p), false) => p + 1,
        };
        self.input.history_pos = Some(pos);
        self.input.text = self.input.history[pos].clone();
        self.on_input_changed();
    }

    /// Enter in the open bar.
    pub fn input_submit(&mut self) {
        match self.mode {
            Mode::Filter if self.input.error.is_none() => {
                let q = self.input.text.trim().to_string();
                if !q.is_empty() && self.input.history.last() != Some(&q) {
                    self.input.history.push(q);
                }
                self.close_bar();
            }
            Mode::Search => {
                self.close_bar();
                if self.input.text.trim().is_empty() {
                    self.clear_search();
                } else if let Some(s) = self.selected_span()
                    && !self.search_hit(s)
                {
                    self.prepare();
                    self.jump(true, Self::search_hit);
                }
            }
            Mode::Command => {
                let cmd = std::mem::take(&mut self.input.text);
                self.close_bar();
                self.run_command(cmd.trim());
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
        self.prepare();
    }

    /// Back to where the bar was opened from.
    pub(super) fn close_bar(&mut self) {
        self.mode = if std::mem::take(&mut self.steps_return) {
            Mode::Steps
        } else {
            Mode::Normal
        };
    }
}

#[cfg(test)]
mod tests {
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
}
