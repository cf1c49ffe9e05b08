//! The parsed form of a filter: a [`Query`] is a list of [`Clause`]s, each a possibly negated
//! [`Term`] at trace or span scope; plus the words the language accepts for statuses and kinds
//! (the values are the model's own [`Outcome`] and [`SpanKind`]).

use super::error::{UnknownKind, UnknownStatus};
use crate::model::{Outcome, SpanKind};

/// A parsed query: every clause must match (logical AND).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Query {
    pub clauses: Vec<Clause>,
}

/// One (optionally negated) term, applying either to the trace as a whole or
/// to its spans.
#[derive(Debug, Clone, PartialEq)]
pub struct Clause {
    pub negated: bool,
    pub scope: Scope,
    pub term: Term,
}

/// What a clause is evaluated against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The trace as a whole.
    Trace,
    /// Individual spans (written with a `span.` prefix).
    Span,
}

/// A numeric comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Gt,
    Ge,
    Lt,
    Le,
    Eq,
}

/// How an attribute is tested.
#[derive(Debug, Clone, PartialEq)]
pub enum AttrTest {
    /// The key exists (any value).
    Present,
    /// The value equals this (lowercased) string, case-insensitively.
    Equals(String),
    /// The value contains this (lowercased) string, case-insensitively.
    Contains(String),
}

/// A single filter term.
#[derive(Debug, Clone, PartialEq)]
pub enum Term {
    /// Duration compare; the value is in nanoseconds.
    Dur(Cmp, i64),
    /// Status is one of these (deduplicated, in written order). `Ok` matches every request
    /// that succeeded, recovered ones included; `Recovered` (trace scope only) only those.
    Status(Vec<Outcome>),
    /// Case-insensitive substring of the name; already lowercased.
    Name(String),
    /// Case-insensitive substring of a model name; already lowercased.
    Model(String),
    /// Total token count compare.
    Tokens(Cmp, u64),
    /// What the LM calls cost, in nano-USD (`prices.rs`); an unpriced trace or span has no
    /// cost to compare.
    Cost(Cmp, u64),
    /// What an evaluation scored the request (trace scope only); a trace with no score has
    /// none to compare.
    Score(Cmp, f64),
    /// Number-of-spans compare (trace scope only).
    Spans(Cmp, u64),
    /// Span kind is one of these (deduplicated, in written order).
    Kind(Vec<SpanKind>),
    /// Trace id prefix (trace scope only); already lowercased. Matched by `id::matches`: a
    /// `tr-`/`trc_` prefix and dashes do not count.
    Id(String),
    /// The trace is a turn of a conversation whose id starts with this (trace scope only);
    /// already lowercased.
    Session(String),
    /// Percentage of the trace duration taken by a span (span scope only).
    Pct(Cmp, f64),
    /// Attribute test; `key` is as written, values are lowercased.
    Attr { key: String, test: AttrTest },
    /// A fuzzy word, as written (trace scope only).
    Fuzzy(String),
    /// Case-insensitive text said anywhere in the trace (trace scope only; already
    /// lowercased): a span's name, or its prompt messages, response, inputs, outputs, error or
    /// attribute values, which live in the payloads and are searched by whoever holds them
    /// (see `Matcher::with_text`). Written `text:"rate limit"` or as a bare quoted phrase.
    Text(String),
}

impl Query {
    /// True if the query has no clauses (matches everything).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.clauses.is_empty()
    }

    /// The distinct texts the query's `text:` terms look for (lowercased, in written order):
    /// what has to be searched in the payloads before the query can be evaluated.
    #[must_use]
    pub fn texts(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for c in &self.clauses {
            if let Term::Text(t) = &c.term
                && !out.contains(&t.as_str())
            {
                out.push(t);
            }
        }
        out
    }

    /// The text the query looks for, if it does: its first `text:` term (or quoted phrase)
    /// that is not negated.
    #[must_use]
    pub fn sought_text(&self) -> Option<&str> {
        self.clauses.iter().find_map(|c| match &c.term {
            Term::Text(t) if !c.negated => Some(t.as_str()),
            _ => None,
        })
    }

    /// Clauses that apply to the trace as a whole.
    pub fn trace_clauses(&self) -> impl Iterator<Item = &Clause> {
        self.clauses.iter().filter(|c| c.scope == Scope::Trace)
    }

    /// Clauses that apply to individual spans (`span.` prefix).
    pub fn span_clauses(&self) -> impl Iterator<Item = &Clause> {
        self.clauses.iter().filter(|c| c.scope == Scope::Span)
    }
}

impl Cmp {
    /// Evaluate `lhs <op> rhs`.
    pub fn eval<T: PartialOrd>(self, lhs: T, rhs: T) -> bool {
        match self {
            Cmp::Gt => lhs > rhs,
            Cmp::Ge => lhs >= rhs,
            Cmp::Lt => lhs < rhs,
            Cmp::Le => lhs <= rhs,
            Cmp::Eq => lhs == rhs,
        }
    }

    /// The operator as written in a query (`>`, `>=`, `<`, `<=`, `=`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Cmp::Gt => ">",
            Cmp::Ge => ">=",
            Cmp::Lt => "<",
            Cmp::Le => "<=",
            Cmp::Eq => "=",
        }
    }
}

/// The status a word of the query names, case-insensitively; `failed`, `fail` and `err` name
/// error, `success` names ok. A span's status is read on the same scale (error, running, ok);
/// recovered is a request's: ok although some of its spans failed.
///
/// # Errors
/// The word names no status; the error holds it as written.
pub fn parse_status(word: &str) -> Result<Outcome, UnknownStatus> {
    match word.to_lowercase().as_str() {
        "ok" | "success" => Ok(Outcome::Ok),
        "recovered" => Ok(Outcome::Recovered),
        "error" | "err" | "fail" | "failed" => Ok(Outcome::Error),
        "running" => Ok(Outcome::Running),
        _ => Err(UnknownStatus(word.to_string())),
    }
}

/// Whether a request or span whose outcome is `outcome` has one of the statuses `wanted`: ok
/// takes in recovered (its status is ok).
#[must_use]
pub fn status_in(wanted: &[Outcome], outcome: Outcome) -> bool {
    wanted
        .iter()
        .any(|&w| w == outcome || (w == Outcome::Ok && outcome == Outcome::Recovered))
}

/// The span kind a word of the query names, case-insensitively; `lm` names llm and `retrieval`
/// names retriever.
///
/// # Errors
/// The word names no kind; the error holds it as written.
pub fn parse_kind(word: &str) -> Result<SpanKind, UnknownKind> {
    let lower = word.to_lowercase();
    match lower.as_str() {
        "lm" => Ok(SpanKind::Llm),
        "retrieval" => Ok(SpanKind::Retriever),
        other => SpanKind::ALL
            .into_iter()
            .find(|k| k.as_str() == other)
            .ok_or_else(|| UnknownKind(word.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_from_str_and_as_str() {
        assert_eq!(parse_kind("lm"), Ok(SpanKind::Llm));
        assert_eq!(parse_kind("Retrieval"), Ok(SpanKind::Retriever));
        assert_eq!(parse_kind("robot"), Err(UnknownKind("robot".to_string())));
        assert_eq!(SpanKind::Embedding.as_str(), "embedding");
        assert_eq!(SpanKind::Evaluator.to_string(), "evaluator");
        assert_eq!(parse_status("success"), Ok(Outcome::Ok));
        assert_eq!(parse_status("Recovered"), Ok(Outcome::Recovered));
    }

    #[test]
    fn ok_takes_in_recovered_and_recovered_only_itself() {
        let ok = [Outcome::Ok];
        assert!(status_in(&ok, Outcome::Ok));
        assert!(status_in(&ok, Outcome::Recovered));
        assert!(!status_in(&ok, Outcome::Error));
        let recovered = [Outcome::Recovered];
        assert!(status_in(&recovered, Outcome::Recovered));
        assert!(!status_in(&recovered, Outcome::Ok));
        assert!(status_in(
            &[Outcome::Error, Outcome::Running],
            Outcome::Running
        ));
    }

    #[test]
    fn cmp_eval() {
        assert!(Cmp::Gt.eval(3, 2));
        assert!(!Cmp::Gt.eval(2, 2));
        assert!(Cmp::Ge.eval(2, 2));
        assert!(Cmp::Lt.eval(1.5, 2.0));
        assert!(!Cmp::Lt.eval(2.0, 2.0));
        assert!(Cmp::Le.eval(2u64, 2u64));
        assert!(Cmp::Eq.eval("a", "a"));
        assert!(!Cmp::Eq.eval(1, 2));
        assert!(!Cmp::Gt.eval(f64::NAN, 1.0));
    }
}
