//! Splitting a query into whitespace-separated tokens, resolving quotes and escapes, and
//! recognising operators. Every char keeps its source position so errors can point at it.

use super::ast::Cmp;
use super::error::{QueryError, error};

/// The characters that start an operator, when unquoted.
pub(super) const OPERATOR_CHARS: [char; 4] = ['>', '<', '=', ':'];

/// One character of a token after quote processing.
#[derive(Debug, Clone, Copy)]
pub(super) struct TChar {
    pub(super) ch: char,
    /// 0-based char index in the source of this char (for an escape, the
    /// backslash).
    pub(super) idx: usize,
    pub(super) quoted: bool,
}

/// A whitespace-delimited token.
#[derive(Debug)]
pub(super) struct Token {
    pub(super) chars: Vec<TChar>,
    /// 0-based char index of the first source char.
    pub(super) start: usize,
    /// 0-based char index one past the last source char.
    pub(super) end: usize,
}

/// The tokens of a query, left to right.
pub(super) struct Lexer<'a> {
    src: &'a [char],
    pos: usize,
}

impl<'a> Lexer<'a> {
    pub(super) fn new(src: &'a [char]) -> Self {
        Lexer { src, pos: 0 }
    }

    /// The next token, `None` at the end; an unterminated quote is an error that
    /// underlines everything from the opening quote on.
    pub(super) fn next_token(&mut self) -> Result<Option<Token>, QueryError> {
        let src = self.src;
        while src.get(self.pos).is_some_and(|c| c.is_whitespace()) {
            self.pos += 1;
        }
        if self.pos >= src.len() {
            return Ok(None);
        }
        let start = self.pos;
        let mut chars = Vec::new();
        while let Some(&c) = src.get(self.pos)
            && !c.is_whitespace()
        {
            if c != '"' {
                chars.push(TChar {
                    ch: c,
                    idx: self.pos,
                    quoted: false,
                });
                self.pos += 1;
                continue;
            }
            self.quoted(&mut chars)?;
        }
        Ok(Some(Token {
            chars,
            start,
            end: self.pos,
        }))
    }

    /// A quoted piece starting at the `"` under `pos`: `\"` and `\\` are escapes, any other
    /// backslash is literal.
    fn quoted(&mut self, chars: &mut Vec<TChar>) -> Result<(), QueryError> {
        let src = self.src;
        let open = self.pos;
        self.pos += 1;
        loop {
            match src.get(self.pos) {
                None => return Err(error(open, src.len() - open, "unterminated quote")),
                Some('"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some('\\') if matches!(src.get(self.pos + 1), Some('"' | '\\')) => {
                    chars.push(TChar {
                        ch: src[self.pos + 1],
                        idx: self.pos,
                        quoted: true,
                    });
                    self.pos += 2;
                }
                Some(&ch) => {
                    chars.push(TChar {
                        ch,
                        idx: self.pos,
                        quoted: true,
                    });
                    self.pos += 1;
                }
            }
        }
    }
}

/// The chars of a token (or part of one) as a string.
pub(super) fn text(chars: &[TChar]) -> String {
    chars.iter().map(|c| c.ch).collect()
}

/// True if `chars` starts with the unquoted, ASCII-case-insensitive `kw`.
pub(super) fn has_prefix(chars: &[TChar], kw: &str) -> bool {
    chars.len() >= kw.len()
        && chars
            .iter()
            .zip(kw.chars())
            .all(|(c, k)| !c.quoted && c.ch.eq_ignore_ascii_case(&k))
}

/// The operator between a field and its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    Cmp(Cmp),
    Colon,
}

impl Op {
    /// The operator starting at `chars[p]` (an unquoted operator char) and its length in chars.
    pub(super) fn at(chars: &[TChar], p: usize) -> (Op, usize) {
        let next_is_eq = chars.get(p + 1).is_some_and(|c| c.ch == '=' && !c.quoted);
        match chars[p].ch {
            '>' if next_is_eq => (Op::Cmp(Cmp::Ge), 2),
            '<' if next_is_eq => (Op::Cmp(Cmp::Le), 2),
            '>' => (Op::Cmp(Cmp::Gt), 1),
            '<' => (Op::Cmp(Cmp::Lt), 1),
            '=' => (Op::Cmp(Cmp::Eq), 1),
            _ => (Op::Colon, 1),
        }
    }

    pub(super) fn as_str(self) -> &'static str {
        match self {
            Op::Cmp(c) => c.as_str(),
            Op::Colon => ":",
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::query::ast::{Cmp, Term};
    use crate::query::parser::tests::{NS_S, fail, term};

    #[test]
    fn quoted_values_and_escapes() {
        assert_eq!(
            term("name:\"Predict(StringSignature).forward\""),
            Term::Name("predict(stringsignature).forward".into())
        );
        assert_eq!(
            term(r#"name:"say \"hi\"""#),
            Term::Name("say \"hi\"".into())
        );
        assert_eq!(term(r#"name:"a\\b""#), Term::Name("a\\b".into()));
        // Other backslashes are literal, inside and outside quotes.
        assert_eq!(term(r#"name:"a\nb""#), Term::Name("a\\nb".into()));
        assert_eq!(term(r"name:a\b"), Term::Name("a\\b".into()));
        // Adjacent quoted and unquoted pieces concatenate.
        assert_eq!(
            term("name:pre\"fix x\"post"),
            Term::Name("prefix xpost".into())
        );
        assert_eq!(term("dur>\"2s\""), Term::Dur(Cmp::Gt, 2 * NS_S));
    }

    #[test]
    fn unterminated_quote() {
        let e = fail("name:x model:\"gpt 4");
        assert_eq!(e.message, "unterminated quote");
        assert_eq!((e.column, e.len), (14, 6));
        // A trailing escaped quote does not close the string.
        assert_eq!(fail(r#""abc\""#).message, "unterminated quote");
    }

    #[test]
    fn columns_count_chars_not_bytes() {
        // "µ" and "é" are multi-byte in UTF-8 but one column each.
        let e = fail("dur>5µs café bogus:1");
        assert_eq!((e.column, e.len), (14, 5));
    }
}
