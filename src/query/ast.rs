//! The parsed form of a filter: a [`Query`] is a list of [`Clause`]s, each a possibly negated
//! [`Term`] at trace or span scope; plus the words the language accepts for statuses and kinds.

use super::error::{UnknownKind, UnknownStatus};
use std::str::FromStr;

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

/// A status a trace or span may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusSel {
    Ok,
    Error,
    Running,
}

/// A span kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KindSel {
    Llm,
    Chain,
    Retriever,
    Tool,
    Agent,
    Embedding,
    Evaluator,
    Other,
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
    /// Status is one of these (deduplicated, in written order).
    Status(Vec<StatusSel>),
    /// Case-insensitive substring of the name; already lowercased.
    Name(String),
    /// Case-insensitive substring of a model name; already lowercased.
    Model(String),
    /// Total token count compare.
    Tokens(Cmp, u64),
    /// Number-of-spans compare (trace scope only).
    Spans(Cmp, u64),
    /// Span kind is one of these (deduplicated, in written order).
    Kind(Vec<KindSel>),
    /// Trace id prefix (trace scope only); already lowercased.
    Id(String),
    /// Percentage of the trace duration taken by a span (span scope only).
    Pct(Cmp, f64),
    /// Attribute test; `key` is as written, values are lowercased.
    Attr { key: String, test: AttrTest },
    /// A fuzzy word, as written (trace scope only).
    Fuzzy(String),
}

impl Query {
    /// True if the query has no clauses (matches everything).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.clauses.is_empty()
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

impl StatusSel {
    /// Lowercase canonical name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            StatusSel::Ok => "ok",
            StatusSel::Error => "error",
            StatusSel::Running => "running",
        }
    }
}

impl FromStr for StatusSel {
    type Err = UnknownStatus;

    /// Case-insensitive; accepts `failed`/`fail`/`err` for error and
    /// `success` for ok.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_lowercase().as_str() {
            "ok" | "success" => Ok(StatusSel::Ok),
            "error" | "err" | "fail" | "failed" => Ok(StatusSel::Error),
            "running" => Ok(StatusSel::Running),
            _ => Err(UnknownStatus(s.to_string())),
        }
    }
}

impl KindSel {
    /// Every kind, in canonical order.
    pub const ALL: [KindSel; 8] = [
        KindSel::Llm,
        KindSel::Chain,
        KindSel::Retriever,
        KindSel::Tool,
        KindSel::Agent,
        KindSel::Embedding,
        KindSel::Evaluator,
        KindSel::Other,
    ];

    /// Lowercase canonical name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            KindSel::Llm => "llm",
            KindSel::Chain => "chain",
            KindSel::Retriever => "retriever",
            KindSel::Tool => "tool",
            KindSel::Agent => "agent",
            KindSel::Embedding => "embedding",
            KindSel::Evaluator => "evaluator",
            KindSel::Other => "other",
        }
    }
}

impl FromStr for KindSel {
    type Err = UnknownKind;

    /// Case-insensitive; accepts `lm` for llm and `retrieval` for retriever.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.to_lowercase();
        match lower.as_str() {
            "lm" => Ok(KindSel::Llm),
            "retrieval" => Ok(KindSel::Retriever),
            other => KindSel::ALL
                .into_iter()
                .find(|k| k.as_str() == other)
                .ok_or_else(|| UnknownKind(s.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_from_str_and_as_str() {
        assert_eq!("lm".parse::<KindSel>(), Ok(KindSel::Llm));
        assert_eq!("Retrieval".parse::<KindSel>(), Ok(KindSel::Retriever));
        assert_eq!(
            "robot".parse::<KindSel>(),
            Err(UnknownKind("robot".to_string()))
        );
        assert_eq!(KindSel::Embedding.as_str(), "embedding");
        assert_eq!(KindSel::Evaluator.to_string(), "evaluator");
        assert_eq!("success".parse::<StatusSel>(), Ok(StatusSel::Ok));
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
