//! One line of text being edited, the way readline, a shell or lnav's prompt edits it: a cursor,
//! moves by character and by word, deletions at the cursor, kills and a yank, and the window of
//! the line that a bar narrower than the text shows. Pure: every key is an [`Edit`].
//!
//! Positions are counted in `char`s; widths on screen in terminal columns (a CJK character or an
//! emoji takes two).

use unicode_width::UnicodeWidthChar;

/// One editing step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    /// Type a character at the cursor.
    Insert(char),
    /// Delete the character before the cursor.
    Backspace,
    /// Delete the character under the cursor.
    Delete,
    Left,
    Right,
    /// To the start of the line.
    Home,
    /// To the end of the line.
    End,
    /// To the start of the word before the cursor (letters, digits and `_` make a word).
    WordLeft,
    /// To the end of the word after the cursor.
    WordRight,
    /// Cut from the start of the line to the cursor.
    KillToStart,
    /// Cut from the cursor to the end of the line.
    KillToEnd,
    /// Cut the word before the cursor.
    KillWordBack,
    /// Cut the word after the cursor.
    KillWordForward,
    /// Cut back to the previous space: the whole clause before the cursor.
    KillClauseBack,
    /// Paste what was cut last.
    Yank,
}

/// A line being edited.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineEditor {
    text: String,
    /// Where the cursor is, in chars (0..=len).
    cursor: usize,
    /// The first char shown when the line is wider than its bar.
    offset: usize,
    /// What the last kill cut, for a yank.
    killed: String,
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn cols(c: char) -> usize {
    c.width().unwrap_or(0)
}

impl LineEditor {
    /// A line holding `text`, the cursor at its end.
    #[must_use]
    pub fn new(text: &str) -> Self {
        let mut l = LineEditor::default();
        l.set(text);
        l
    }

    #[must_use]
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The cursor, in chars from the start.
    #[must_use]
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    fn len(&self) -> usize {
        self.text.chars().count()
    }

    /// The byte index of char `i` (the end for `i` past it).
    fn byte(&self, i: usize) -> usize {
        self.text
            .char_indices()
            .nth(i)
            .map_or(self.text.len(), |(b, _)| b)
    }

    fn chars(&self) -> Vec<char> {
        self.text.chars().collect()
    }

    /// Replace the whole line; the cursor goes to its end.
    pub fn set(&mut self, text: &str) {
        self.text = text.to_string();
        self.cursor = self.len();
        self.offset = 0;
    }

    /// Replace chars `start..end` with `with`; the cursor goes to the end of what was put in.
    pub fn replace(&mut self, start: usize, end: usize, with: &str) {
        let len = self.len();
        let (start, end) = (start.min(len), end.min(len).max(start.min(len)));
        let (a, b) = (self.byte(start), self.byte(end));
        self.text.replace_range(a..b, with);
        self.cursor = start + with.chars().count();
    }

    /// Cut chars `start..end` into the kill slot.
    fn kill(&mut self, start: usize, end: usize) -> bool {
        if start >= end {
            return false;
        }
        let (a, b) = (self.byte(start), self.byte(end));
        self.killed = self.text[a..b].to_string();
        self.text.replace_range(a..b, "");
        self.cursor = start;
        true
    }

    /// Where a word move to the left from the cursor lands.
    fn word_start(&self) -> usize {
        let c = self.chars();
        let mut i = self.cursor;
        while i > 0 && !is_word(c[i - 1]) {
            i -= 1;
        }
        while i > 0 && is_word(c[i - 1]) {
            i -= 1;
        }
        i
    }

    /// Where a word move to the right from the cursor lands.
    fn word_end(&self) -> usize {
        let c = self.chars();
        let mut i = self.cursor;
        while i < c.len() && !is_word(c[i]) {
            i += 1;
        }
        while i < c.len() && is_word(c[i]) {
            i += 1;
        }
        i
    }

    /// Where the clause before the cursor starts (back over spaces, then to the previous one).
    fn clause_start(&self) -> usize {
        let c = self.chars();
        let mut i = self.cursor;
        while i > 0 && c[i - 1].is_whitespace() {
            i -= 1;
        }
        while i > 0 && !c[i - 1].is_whitespace() {
            i -= 1;
        }
        i
    }

    /// Apply one edit. Returns whether the text changed (a move alone returns `false`).
    pub fn apply(&mut self, edit: Edit) -> bool {
        let len = self.len();
        match edit {
            Edit::Insert(ch) => {
                let at = self.byte(self.cursor);
                self.text.insert(at, ch);
                self.cursor += 1;
                return true;
            }
            Edit::Backspace if self.cursor > 0 => {
                let at = self.byte(self.cursor - 1);
                self.text.remove(at);
                self.cursor -= 1;
                return true;
            }
            Edit::Delete if self.cursor < len => {
                let at = self.byte(self.cursor);
                self.text.remove(at);
                return true;
            }
            Edit::Backspace | Edit::Delete => {}
            Edit::Left => self.cursor = self.cursor.saturating_sub(1),
            Edit::Right => self.cursor = (self.cursor + 1).min(len),
            Edit::Home => self.cursor = 0,
            Edit::End => self.cursor = len,
            Edit::WordLeft => self.cursor = self.word_start(),
            Edit::WordRight => self.cursor = self.word_end(),
            Edit::KillToStart => return self.kill(0, self.cursor),
            Edit::KillToEnd => return self.kill(self.cursor, len),
            Edit::KillWordBack => return self.kill(self.word_start(), self.cursor),
            Edit::KillWordForward => return self.kill(self.cursor, self.word_end()),
            Edit::KillClauseBack => return self.kill(self.clause_start(), self.cursor),
            Edit::Yank if !self.killed.is_empty() => {
                let at = self.byte(self.cursor);
                self.text.insert_str(at, &self.killed);
                self.cursor += self.killed.chars().count();
                return true;
            }
            Edit::Yank => {}
        }
        false
    }

    /// Scroll so that the cursor shows in a bar `width` columns wide (the cursor needs a cell of
    /// its own at the end of the line). The window moves only when the cursor leaves it (past
    /// the left edge, a quarter of the bar of what comes before the cursor shows too), and never
    /// leaves blank room on the right while text is hidden on the left.
    pub fn scroll_into_view(&mut self, width: usize) {
        let width = width.max(1);
        let c = self.chars();
        self.offset = self.offset.min(c.len());
        let span = |from: usize, to: usize| c[from..to].iter().map(|&ch| cols(ch)).sum::<usize>();
        if self.cursor < self.offset {
            self.offset = self.cursor.saturating_sub(width / 4);
        }
        // the cursor's cell (one column) after the text before it
        while self.offset < self.cursor && span(self.offset, self.cursor) + 1 > width {
            self.offset += 1;
        }
        // pull hidden text back in when the rest of the line leaves room for it
        while self.offset > 0
            && span(self.offset - 1, c.len()) < width
            && span(self.offset - 1, self.cursor) < width
        {
            self.offset -= 1;
        }
    }

    /// What a bar `width` columns wide shows: the first char shown, the text shown, and the
    /// column of the cursor in it.
    #[must_use]
    pub fn window(&self, width: usize) -> (usize, String, usize) {
        let c = self.chars();
        let offset = self.offset.min(c.len());
        let mut shown = String::new();
        let mut used = 0;
        let mut cursor_col = 0;
        for (i, &ch) in c.iter().enumerate().skip(offset) {
            if i == self.cursor {
                cursor_col = used;
            }
            if used + cols(ch) > width {
                break;
            }
            used += cols(ch);
            shown.push(ch);
        }
        if self.cursor >= c.len() || self.cursor < offset {
            cursor_col = if self.cursor < offset { 0 } else { used };
        }
        (offset, shown, cursor_col.min(width.saturating_sub(1)))
    }

    /// The screen column (within the window) where char `i` starts, if it is shown.
    #[must_use]
    pub fn column_of(&self, i: usize, width: usize) -> Option<usize> {
        let c = self.chars();
        if i < self.offset {
            return None;
        }
        let col: usize = c[self.offset..i.min(c.len())]
            .iter()
            .map(|&ch| cols(ch))
            .sum();
        (col < width).then_some(col)
    }
}

#[cfg(test)]
mod tests {
    use super::Edit::*;
    use super::*;

    /// The line with `|` where the cursor is.
    fn shown(l: &LineEditor) -> String {
        let mut s: String = l.text().chars().take(l.cursor()).collect();
        s.push('|');
        s.extend(l.text().chars().skip(l.cursor()));
        s
    }

    /// A line from `text` with `|` marking the cursor.
    fn at(text: &str) -> LineEditor {
        let i = text.chars().position(|c| c == '|').unwrap();
        let mut l = LineEditor::new(&text.replace('|', ""));
        l.cursor = i;
        l
    }

    fn after(text: &str, edits: &[Edit]) -> String {
        let mut l = at(text);
        for &e in edits {
            l.apply(e);
        }
        shown(&l)
    }

    #[test]
    fn typing_inserts_at_the_cursor() {
        assert_eq!(after("|", &[Insert('a'), Insert('b')]), "ab|");
        assert_eq!(after("dur>|s", &[Insert('2')]), "dur>2|s");
        assert_eq!(after("|é", &[Insert('ü')]), "ü|é");
        let mut l = LineEditor::default();
        assert!(l.apply(Insert('x')));
        assert!(!l.apply(Left), "a move changes no text");
    }

    #[test]
    fn backspace_and_delete_at_the_cursor() {
        assert_eq!(after("abc|", &[Backspace]), "ab|");
        assert_eq!(after("a|bc", &[Backspace]), "|bc");
        assert_eq!(after("|abc", &[Backspace]), "|abc");
        assert_eq!(after("a|bc", &[Delete]), "a|c");
        assert_eq!(after("abc|", &[Delete]), "abc|");
        assert_eq!(after("日本|語", &[Backspace, Delete]), "日|");
        let mut l = LineEditor::default();
        assert!(!l.apply(Backspace), "nothing to delete on an empty line");
    }

    #[test]
    fn moves_by_char_and_to_the_ends() {
        assert_eq!(after("ab|c", &[Left]), "a|bc");
        assert_eq!(after("|abc", &[Left]), "|abc");
        assert_eq!(after("ab|c", &[Right, Right]), "abc|");
        assert_eq!(after("ab|c", &[Home]), "|abc");
        assert_eq!(after("a|bc", &[End]), "abc|");
    }

    #[test]
    fn word_moves_stop_at_letters_and_digits() {
        let q = "attr.lm.model:gpt-4o status:error";
        assert_eq!(
            after(&format!("{q}|"), &[WordLeft]),
            "attr.lm.model:gpt-4o status:|error"
        );
        assert_eq!(
            after(&format!("{q}|"), &[WordLeft, WordLeft, WordLeft]),
            "attr.lm.model:gpt-|4o status:error"
        );
        assert_eq!(
            after(&format!("|{q}"), &[WordRight]),
            "attr|.lm.model:gpt-4o status:error"
        );
        assert_eq!(
            after(&format!("|{q}"), &[WordRight, WordRight]),
            "attr.lm|.model:gpt-4o status:error"
        );
        assert_eq!(after("a  |", &[WordLeft]), "|a  ");
        assert_eq!(after("|  ", &[WordRight]), "  |");
        assert_eq!(after("fixture_program|", &[WordLeft]), "|fixture_program");
    }

    #[test]
    fn kills_cut_and_yank_pastes() {
        assert_eq!(after("name:x dur>|2s", &[KillToStart]), "|2s");
        assert_eq!(after("name:x |dur>2s", &[KillToEnd]), "name:x |");
        assert_eq!(after("name:x dur>2s|", &[KillWordBack]), "name:x dur>|");
        assert_eq!(after("name:x |dur>2s", &[KillWordForward]), "name:x |>2s");
        assert_eq!(after("name:x dur>2s|", &[KillClauseBack]), "name:x |");
        assert_eq!(after("name:x dur>2s  |", &[KillClauseBack]), "name:x |");
        assert_eq!(
            after("name:x dur>2s|", &[KillClauseBack, KillClauseBack]),
            "|"
        );
        // what was cut comes back where the cursor is
        assert_eq!(
            after("name:x dur>2s|", &[KillClauseBack, Home, Yank]),
            "dur>2s|name:x "
        );
        assert_eq!(after("abc|", &[Yank]), "abc|", "nothing cut yet");
        let mut l = at("abc|");
        assert!(!l.apply(KillToEnd), "nothing to cut");
        assert!(l.apply(KillToStart));
    }

    #[test]
    fn replace_puts_the_cursor_after_what_was_put_in() {
        let mut l = LineEditor::new("sta dur>2s");
        l.replace(0, 3, "status:");
        assert_eq!(shown(&l), "status:| dur>2s");
        l.replace(7, 99, "error");
        assert_eq!(shown(&l), "status:error|");
    }

    #[test]
    fn a_long_line_scrolls_to_keep_the_cursor_in_sight() {
        let mut l = LineEditor::new("0123456789abcdef");
        l.scroll_into_view(10);
        // the end: the last nine chars and the cursor's cell
        assert_eq!(l.window(10), (7, "789abcdef".into(), 9));
        // moving left inside the window does not scroll
        for _ in 0..5 {
            l.apply(Left);
            l.scroll_into_view(10);
        }
        assert_eq!(l.window(10).0, 7);
        assert_eq!(l.window(10).2, 4);
        // past its left edge it does, with some of what comes before the cursor
        for _ in 0..5 {
            l.apply(Left);
        }
        l.scroll_into_view(10);
        assert_eq!(l.window(10), (4, "456789abcd".into(), 2));
        l.apply(Home);
        l.scroll_into_view(10);
        assert_eq!(l.window(10), (0, "0123456789".into(), 0));
        // deleting from a scrolled line brings hidden text back instead of leaving room
        l.apply(End);
        l.scroll_into_view(10);
        for _ in 0..8 {
            l.apply(Backspace);
            l.scroll_into_view(10);
        }
        assert_eq!(l.window(10), (0, "01234567".into(), 8));
        assert_eq!(l.column_of(3, 10), Some(3));
    }

    #[test]
    fn wide_characters_take_two_columns() {
        let mut l = LineEditor::new("名前名前名前");
        l.scroll_into_view(6);
        let (offset, text, col) = l.window(6);
        assert_eq!((offset, text.as_str(), col), (4, "名前", 4));
        assert_eq!(l.column_of(5, 6), Some(2));
        assert_eq!(l.column_of(1, 6), None, "scrolled out");
    }
}
