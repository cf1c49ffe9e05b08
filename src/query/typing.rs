//! A query while it is being typed: where the clause under the cursor starts, and which query
//! stays applied while the line does not parse.
//!
//! Typed a key at a time, `status:error` passes through `s`, `st`, …, `status`: each parses (as a
//! fuzzy word) and a live filter applies it. Then `status:` does not parse, and keeping "the last
//! query that parsed" would keep the word `status` applied, a half-typed term filtering the list
//! to traces named like "status". So while the line does not parse, the last query that did
//! stays applied without the word the bad clause grew from.

use super::ast::Term;
use super::error::QueryError;
use super::parser::parse;

/// The clauses of `line` as char ranges `start..end`: whitespace separates them, except inside
/// double quotes (an open quote runs to the end).
fn clauses(line: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    let mut inside = false;
    let mut escaped = false;
    let mut n = 0;
    for (i, c) in line.chars().enumerate() {
        n = i + 1;
        if c.is_whitespace() && !inside {
            if let Some(s) = start.take() {
                out.push((s, i));
            }
            continue;
        }
        start.get_or_insert(i);
        if escaped {
            escaped = false;
        } else if c == '\\' && inside {
            escaped = true;
        } else if c == '"' {
            inside = !inside;
        }
    }
    if let Some(s) = start {
        out.push((s, n));
    }
    out
}

/// Where the clause that char `cursor` ends or stands in starts (the cursor itself, between
/// clauses).
#[must_use]
pub fn clause_start(line: &str, cursor: usize) -> usize {
    clauses(line)
        .into_iter()
        .find(|&(s, e)| s <= cursor && cursor <= e && s < cursor)
        .map_or(cursor, |(s, _)| s)
}

/// The query to keep applied while `typed` does not parse (`err`): `applied`, the last query
/// that did, without the bare word that the bad clause grew from. `applied` is returned as it is
/// when no such word is in it.
#[must_use]
pub fn applied_while_typing(applied: &str, typed: &str, err: &QueryError) -> String {
    let at = err.column.saturating_sub(1);
    let Some((bad_start, bad_end)) = clauses(typed)
        .into_iter()
        .find(|&(s, e)| s <= at && at <= e)
    else {
        return applied.to_string();
    };
    let Some((s, e)) = clauses(applied).into_iter().find(|&(s, _)| s == bad_start) else {
        return applied.to_string();
    };
    let chars: Vec<char> = applied.chars().collect();
    let word: String = chars[s..e].iter().collect();
    let bad: String = typed
        .chars()
        .skip(bad_start)
        .take(bad_end - bad_start)
        .collect();
    let grew = bad.to_lowercase().starts_with(&word.to_lowercase()) && bad != word;
    let is_word = parse(&word)
        .is_ok_and(|q| q.clauses.len() == 1 && matches!(q.clauses[0].term, Term::Fuzzy(_)));
    if !(grew && is_word) {
        return applied.to_string();
    }
    let before: String = chars[..s].iter().collect();
    let after: String = chars[e..].iter().collect();
    format!("{} {}", before.trim_end(), after.trim_start())
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What stays applied when `typed` replaces `applied` in the bar.
    fn kept(applied: &str, typed: &str) -> String {
        let err = parse(typed).expect_err(typed);
        applied_while_typing(applied, typed, &err)
    }

    /// Type `text` a key at a time after `start`, as the filter bar applies it: each line that
    /// parses is applied; one that does not keeps what `applied_while_typing` says.
    fn typed_live(start: &str, text: &str) -> String {
        let mut applied = start.to_string();
        let mut line = start.to_string();
        for c in text.chars() {
            line.push(c);
            applied = match parse(&line) {
                Ok(_) => line.clone(),
                Err(e) => applied_while_typing(&applied, &line, &e),
            };
        }
        applied
    }

    #[test]
    fn a_half_typed_term_is_never_applied_as_a_word() {
        for half in [
            "status:eror",
            "status:",
            "dur>>1",
            "dur>",
            "name:",
            "foo:",
            "span.",
            "-status:x",
        ] {
            assert_eq!(typed_live("", half), "", "{half}");
        }
        assert_eq!(typed_live("react", " dur>>1"), "react");
        assert_eq!(
            typed_live("react ", "sta"),
            "react sta",
            "a word that parses is a word"
        );
        assert_eq!(typed_live("react ", "status:eror"), "react");
        assert_eq!(typed_live("", "status:error dur>2x"), "status:error dur>2");
    }

    #[test]
    fn a_query_that_does_not_parse_keeps_the_last_one_that_did() {
        // editing a good clause into a bad one keeps the good one
        assert_eq!(kept("status:error", "status:erro"), "status:error");
        assert_eq!(kept("dur>2", "dur>2x"), "dur>2");
        // a word the user meant stays when a new clause is bad
        assert_eq!(kept("retrieve", "retrieve bogus:1"), "retrieve");
        // only the word the bad clause grew from goes, wherever it stands
        assert_eq!(kept("a stat b", "a stat: b"), "a b");
        assert_eq!(kept("stat", "x:stat"), "stat", "not grown from it");
    }

    #[test]
    fn clauses_start_at_spaces_outside_quotes() {
        assert_eq!(clause_start("dur>1s sta", 10), 7);
        assert_eq!(clause_start("dur>1s sta", 8), 7);
        assert_eq!(clause_start("dur>1s ", 7), 7, "between clauses: a new one");
        assert_eq!(clause_start("name:\"a b", 9), 0);
        assert_eq!(clause_start(r#"name:"a \" b" x"#, 12), 0);
        assert_eq!(clause_start("", 0), 0);
    }
}
