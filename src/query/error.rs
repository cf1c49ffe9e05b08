//! What a bad query reports: [`QueryError`] (a message and where it points) and its rendering under
//! the query, plus the errors of the status and kind words.

/// A parse error with the location of the offending part of the query.
///
/// `column` and `len` count `char`s, not bytes, so a caller can underline the part on screen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at column {column})")]
pub struct QueryError {
    /// 1-based column, counted in `char`s of the query string.
    pub column: usize,
    /// Number of chars to underline (at least 1).
    pub len: usize,
    pub message: String,
}

/// The error of a word that is not a status; holds the text as written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown status \"{0}\" (use ok, recovered, error, running)")]
pub struct UnknownStatus(pub String);

/// The error of a word that is not a span kind; holds the text as written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown kind \"{0}\" (use llm, chain, retriever, tool, agent, embedding, evaluator, other)"
)]
pub struct UnknownKind(pub String);

impl QueryError {
    /// Two lines: the query, then a caret line (`   ^^^^ message`) under the
    /// offending part. Tabs in the query are mirrored in the padding so the
    /// carets line up; other whitespace (e.g. newlines) is shown as a space.
    #[must_use]
    pub fn render(&self, query: &str) -> String {
        let want_pad = self.column.saturating_sub(1);
        let mut line = String::with_capacity(query.len());
        let mut pad = String::new();
        let mut pad_len = 0;
        for c in query.chars() {
            let shown = if c == '\t' {
                '\t'
            } else if c.is_whitespace() || c.is_control() {
                ' '
            } else {
                c
            };
            line.push(shown);
            if pad_len < want_pad {
                // pad by screen columns: a wide (CJK, emoji) char takes two
                let cols = unicode_width::UnicodeWidthChar::width(shown).unwrap_or(1);
                if shown == '\t' {
                    pad.push('\t');
                } else {
                    pad.push_str(&" ".repeat(cols));
                }
                pad_len += 1;
            }
        }
        while pad_len < want_pad {
            pad.push(' ');
            pad_len += 1;
        }
        let carets = "^".repeat(self.len.max(1));
        format!("{line}\n{pad}{carets} {}", self.message)
    }
}

/// An error at 0-based char index `idx`, underlining `len` chars (at least one).
pub(super) fn error(idx: usize, len: usize, message: impl Into<String>) -> QueryError {
    QueryError {
        column: idx + 1,
        len: len.max(1),
        message: message.into(),
    }
}

#[cfg(test)]
mod tests {
    use crate::query::parser::tests::fail;

    #[test]
    fn error_display_includes_column() {
        let e = fail("status:bad");
        assert_eq!(
            e.to_string(),
            "unknown status \"bad\" (use ok, recovered, error, running) (at column 8)"
        );
    }

    #[test]
    fn render_underlines_offending_part() {
        let q = "dur>2s status:bad";
        let e = fail(q);
        assert_eq!(
            e.render(q),
            "dur>2s status:bad\n              ^^^ unknown status \"bad\" (use ok, recovered, error, running)"
        );
    }

    #[test]
    fn render_past_end_and_with_tabs() {
        let q = "status:";
        assert_eq!(
            fail(q).render(q),
            "status:\n       ^ expected a status after \"status:\""
        );
        let q = "x\tfoo>1";
        let e = fail(q);
        assert_eq!(e.column, 3);
        assert!(e.render(q).starts_with("x\tfoo>1\n \t^^^ unknown field"));
    }
}
