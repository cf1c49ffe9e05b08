//! A query printed back in its canonical form, and the quoting and duration spelling that form uses.
//!
//! The invariant the fuzz target checks: `parse(&q.to_string()) == Ok(q)` for every parsed `q`.

use super::ast::{AttrTest, Clause, Cmp, Query, Scope, Term};
use super::lexer::OPERATOR_CHARS;
use crate::model::{Outcome, SpanKind};
use std::fmt;

impl fmt::Display for Cmp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, clause) in self.clauses.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{clause}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Clause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.negated {
            f.write_str("-")?;
        }
        if self.scope == Scope::Span {
            f.write_str("span.")?;
        }
        write!(f, "{}", self.term)
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Term::Dur(c, ns) => write!(f, "dur{c}{}", format_duration(*ns)),
            Term::Status(v) => write!(f, "status:{}", alternatives(v, Outcome::as_str)),
            Term::Name(s) => write!(f, "name:{}", quote_value(s)),
            Term::Model(s) => write!(f, "model:{}", quote_value(s)),
            Term::Tokens(c, n) => write!(f, "tokens{c}{n}"),
            Term::Cost(c, n) => {
                let frac = format!("{:09}", n % 1_000_000_000);
                let frac = frac.trim_end_matches('0');
                let dot = if frac.is_empty() { "" } else { "." };
                write!(f, "cost{c}{}{dot}{frac}", n / 1_000_000_000)
            }
            Term::Spans(c, n) => write!(f, "spans{c}{n}"),
            Term::Kind(v) => write!(f, "kind:{}", alternatives(v, SpanKind::as_str)),
            Term::Id(s) => write!(f, "id:{}", quote_value(s)),
            Term::Session(s) => write!(f, "session:{}", quote_value(s)),
            Term::Pct(c, p) => write!(f, "pct{c}{p}"),
            Term::Score(c, v) => write!(f, "score{c}{v}"),
            Term::Attr { key, test } => {
                write!(f, "attr.{}", quote_key(key))?;
                match test {
                    AttrTest::Present => Ok(()),
                    AttrTest::Equals(v) => write!(f, "={}", quote_value(v)),
                    AttrTest::Contains(v) => write!(f, ":{}", quote_value(v)),
                }
            }
            Term::Fuzzy(s) => f.write_str(&quote_word(s)),
            Term::Text(s) => write!(f, "text:{}", quote(s)),
        }
    }
}

/// Alternatives as written: `error|running`.
fn alternatives<T: Copy>(items: &[T], name: fn(T) -> &'static str) -> String {
    items.iter().map(|&t| name(t)).collect::<Vec<_>>().join("|")
}

/// Largest unit that represents `ns` exactly, as the filter language writes it (`150ms`).
#[must_use]
pub fn format_duration(ns: i64) -> String {
    const UNITS: [(i64, &str); 5] = [
        (3_600_000_000_000, "h"),
        (60_000_000_000, "m"),
        (1_000_000_000, "s"),
        (1_000_000, "ms"),
        (1_000, "us"),
    ];
    if ns == 0 {
        return "0ms".to_string();
    }
    for (mult, unit) in UNITS {
        if ns % mult == 0 {
            return format!("{}{unit}", ns / mult);
        }
    }
    format!("{ns}ns")
}

/// `s` in double quotes, with `"` and `\\` escaped as the lexer reads them.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Whether `s` would not survive as one bare token (empty, whitespace, a quote).
fn needs_basic_quotes(s: &str) -> bool {
    s.is_empty() || s.chars().any(|c| c.is_whitespace() || c == '"')
}

/// A value as the filter language writes it: bare when it can be, else quoted.
#[must_use]
pub fn quote_value(s: &str) -> String {
    if needs_basic_quotes(s) {
        quote(s)
    } else {
        s.to_string()
    }
}

/// An attribute key as the filter language writes it.
#[must_use]
pub fn quote_key(s: &str) -> String {
    // a key ending in `!` would read as the `!=` operator
    if needs_basic_quotes(s) || s.contains(OPERATOR_CHARS) || s.contains('!') {
        quote(s)
    } else {
        s.to_string()
    }
}

/// A fuzzy word as the filter language writes it: quoted when bare it would read as a field,
/// a negation or an attribute or span clause.
pub(super) fn quote_word(s: &str) -> String {
    let lower = s.to_lowercase();
    if needs_basic_quotes(s)
        || s.contains(OPERATOR_CHARS)
        || s.starts_with('-')
        || lower.starts_with("attr.")
        || lower.starts_with("span.")
    {
        quote(s)
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use crate::query::parser::parse;

    #[test]
    fn display_round_trips() {
        let inputs = [
            "dur>2s dur>=500ms dur<1.5s dur<=90 dur=100ms dur>7ns dur>3us dur>0",
            "status:error|running -status:ok kind:tool|retriever span.kind:llm",
            "name:\"Predict(StringSignature).forward\" model:gpt id:ab12",
            "tokens>1.5k spans<=3 span.pct>12.5% span.tokens=7",
            r#"text:"rate limit" -text:"say \"hi\"" text:"a:b""#,
            r#"attr.fixture.program=react_agent attr.u:"a b" attr.k -span.attr.x=1 attr."a=b"=c"#,
            r#"retrieve "two words" "a:b" "-x" "attr.y" name:"q\"uote\\""#,
        ];
        for input in inputs {
            let q = parse(input).unwrap();
            let shown = q.to_string();
            assert_eq!(parse(&shown).unwrap(), q, "{input} -> {shown}");
        }
        assert_eq!(
            parse("DUR>1.5s Status:Failed|RUNNING -span.PCT>25%")
                .unwrap()
                .to_string(),
            "dur>1500ms status:error|running -span.pct>25"
        );
    }
}
