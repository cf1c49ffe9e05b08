//! Hand-written lexer and parser for the trace filter query language.
//!
//! A query is a whitespace-separated list of clauses that are all ANDed
//! together; an empty (or blank) query has no clauses and matches everything.
//!
//! ```text
//! query   := clause*                      (separated by whitespace)
//! clause  := ["-"] ["span."] term
//! term    := field op value               e.g. dur>2s, status:error|running
//!          | "attr." KEY ["=" | ":" value] e.g. attr.fixture.program=react_agent
//!          | word                         fuzzy word (trace scope only)
//! op      := ">" | ">=" | "<" | "<=" | "=" | ":"
//! ```
//!
//! * Numeric fields (`dur`, `tokens`, `spans`, `span.pct`) take `>`, `>=`,
//!   `<`, `<=`, `=`; text/set fields (`status`, `name`, `model`, `kind`, `id`)
//!   take `:`; attributes take `=` (equality), `:` (substring) or nothing
//!   (presence).
//! * Values may be double-quoted (`name:"a b"`); inside quotes `\"` and `\\`
//!   are escapes, any other backslash is literal. Quoted and unquoted pieces
//!   that touch are concatenated, shell style (`a"b c"` is `ab c`).
//! * Operator characters only count when unquoted, so a quoted word such as
//!   `"a:b"` is a fuzzy word rather than an unknown field.
//! * Field names, `span.`/`attr.` prefixes, units, suffixes, statuses and
//!   kinds are case-insensitive. Text values are lowercased by the parser;
//!   attribute keys and fuzzy words are kept as written.
//!
//! Errors carry a 1-based character column and a length so that callers can
//! underline the offending part of the query (see [`QueryError::render`]).
//!
//! This module depends only on `std` and `thiserror`.

use std::fmt;
use std::str::FromStr;

// ---------------------------------------------------------------------------
// AST
// ---------------------------------------------------------------------------

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

/// A parse error with the location of the offending part of the query.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at column {column})")]
pub struct QueryError {
    /// 1-based column, counted in `char`s of the query string.
    pub column: usize,
    /// Number of chars to underline (at least 1).
    pub len: usize,
    pub message: String,
}

/// Error returned by [`StatusSel::from_str`]; holds the text as written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown status \"{0}\" (use ok, error, running)")]
pub struct UnknownStatus(pub String);

/// Error returned by [`KindSel::from_str`]; holds the text as written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown kind \"{0}\" (use llm, chain, retriever, tool, agent, embedding, evaluator, other)"
)]
pub struct UnknownKind(pub String);

// ---------------------------------------------------------------------------
// AST helpers
// ---------------------------------------------------------------------------

impl Query {
    /// True if the query has no clauses (matches everything).
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

impl FromStr for Query {
    type Err = QueryError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s)
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

impl QueryError {
    /// Two lines: the query, then a caret line (`   ^^^^ message`) under the
    /// offending part. Tabs in the query are mirrored in the padding so the
    /// carets line up; other whitespace (e.g. newlines) is shown as a space.
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

fn error(idx: usize, len: usize, message: impl Into<String>) -> QueryError {
    QueryError {
        column: idx + 1,
        len: len.max(1),
        message: message.into(),
    }
}

// ---------------------------------------------------------------------------
// Display (canonical form; `parse(&q.to_string()) == Ok(q)`)
// ---------------------------------------------------------------------------

impl fmt::Display for Cmp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for StatusSel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for KindSel {
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
            Term::Status(v) => write!(f, "status:{}", join_alternatives(v)),
            Term::Name(s) => write!(f, "name:{}", quote_value(s)),
            Term::Model(s) => write!(f, "model:{}", quote_value(s)),
            Term::Tokens(c, n) => write!(f, "tokens{c}{n}"),
            Term::Spans(c, n) => write!(f, "spans{c}{n}"),
            Term::Kind(v) => write!(f, "kind:{}", join_alternatives(v)),
            Term::Id(s) => write!(f, "id:{}", quote_value(s)),
            Term::Pct(c, p) => write!(f, "pct{c}{p}"),
            Term::Attr { key, test } => {
                write!(f, "attr.{}", quote_key(key))?;
                match test {
                    AttrTest::Present => Ok(()),
                    AttrTest::Equals(v) => write!(f, "={}", quote_value(v)),
                    AttrTest::Contains(v) => write!(f, ":{}", quote_value(v)),
                }
            }
            Term::Fuzzy(s) => f.write_str(&quote_word(s)),
        }
    }
}

fn join_alternatives<T: fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("|")
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

fn quote_word(s: &str) -> String {
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

// ---------------------------------------------------------------------------
// Lexer
// ---------------------------------------------------------------------------

const OPERATOR_CHARS: [char; 4] = ['>', '<', '=', ':'];
const KNOWN_FIELDS: &str =
    "dur, status, name, model, tokens, spans, kind, id, attr.KEY, span.FIELD";
const SPAN_FIELDS: &str = "dur, status, name, kind, model, tokens, pct, attr.KEY";

/// One character of a token after quote processing.
#[derive(Debug, Clone, Copy)]
struct TChar {
    ch: char,
    /// 0-based char index in the source of this char (for an escape, the
    /// backslash).
    idx: usize,
    quoted: bool,
}

/// A whitespace-delimited token.
#[derive(Debug)]
struct Token {
    chars: Vec<TChar>,
    /// 0-based char index of the first source char.
    start: usize,
    /// 0-based char index one past the last source char.
    end: usize,
}

struct Lexer<'a> {
    src: &'a [char],
    pos: usize,
}

impl Lexer<'_> {
    fn next_token(&mut self) -> Result<Option<Token>, QueryError> {
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
            let open = self.pos;
            self.pos += 1;
            loop {
                match src.get(self.pos) {
                    None => return Err(error(open, src.len() - open, "unterminated quote")),
                    Some('"') => {
                        self.pos += 1;
                        break;
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
        Ok(Some(Token {
            chars,
            start,
            end: self.pos,
        }))
    }
}

fn text(chars: &[TChar]) -> String {
    chars.iter().map(|c| c.ch).collect()
}

/// True if `chars` starts with the unquoted, ASCII-case-insensitive `kw`.
fn has_prefix(chars: &[TChar], kw: &str) -> bool {
    chars.len() >= kw.len()
        && chars
            .iter()
            .zip(kw.chars())
            .all(|(c, k)| !c.quoted && c.ch.eq_ignore_ascii_case(&k))
}

// ---------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------

/// Parse a query. Blank input yields an empty query (matches everything).
pub fn parse(input: &str) -> Result<Query, QueryError> {
    let src: Vec<char> = input.chars().collect();
    let mut lexer = Lexer { src: &src, pos: 0 };
    let parser = Parser { src: &src };
    let mut clauses = Vec::new();
    while let Some(token) = lexer.next_token()? {
        clauses.push(parser.clause(&token)?);
    }
    Ok(Query { clauses })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Cmp(Cmp),
    Colon,
}

impl Op {
    fn as_str(self) -> &'static str {
        match self {
            Op::Cmp(c) => c.as_str(),
            Op::Colon => ":",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Field {
    Dur,
    Status,
    Name,
    Model,
    Tokens,
    Spans,
    Kind,
    Id,
    Pct,
    Attr(String),
}

impl Field {
    fn from_name(name: &str) -> Option<Field> {
        Some(match name {
            "dur" | "duration" | "latency" => Field::Dur,
            "status" => Field::Status,
            "name" => Field::Name,
            "model" => Field::Model,
            "tokens" => Field::Tokens,
            "spans" => Field::Spans,
            "kind" => Field::Kind,
            "id" => Field::Id,
            "pct" => Field::Pct,
            _ => return None,
        })
    }
}

struct Parser<'a> {
    src: &'a [char],
}

/// The value part of a `field op value` clause.
struct Value<'a> {
    chars: &'a [TChar],
    /// Source index where the value starts (just after the operator).
    start: usize,
    /// Source index one past the end of the token.
    end: usize,
    /// Field and operator as written, e.g. `dur>=`.
    lead: String,
    op: Op,
    /// The value is missing but more text follows after whitespace
    /// (`status: error`).
    space_after: bool,
}

impl Value<'_> {
    /// Whether anything (even `""`) was written after the operator.
    fn written(&self) -> bool {
        self.start < self.end
    }

    fn text(&self) -> String {
        text(self.chars)
    }

    /// Source position and length of the whole value.
    fn whole(&self) -> (usize, usize) {
        (self.start, self.end - self.start)
    }

    /// Source position and length of `chars[a..b]`.
    fn span_of(&self, a: usize, b: usize) -> (usize, usize) {
        match self.chars.get(a) {
            Some(first) => {
                let end = self.chars.get(b).map_or(self.end, |c| c.idx);
                (first.idx, end.saturating_sub(first.idx))
            }
            None => self.whole(),
        }
    }

    fn err_whole(&self, message: impl Into<String>) -> QueryError {
        let (idx, len) = self.whole();
        error(idx, len, message)
    }

    fn err_span(&self, a: usize, b: usize, message: impl Into<String>) -> QueryError {
        let (idx, len) = self.span_of(a, b);
        error(idx, len, message)
    }

    /// Error for a value that was not written at all.
    fn missing(&self, what: &str, extra_hint: Option<String>) -> QueryError {
        let mut message = format!("expected {what} after \"{}\"", self.lead);
        if self.space_after {
            message.push_str(&format!(
                " (remove the space after \"{}\")",
                self.op.as_str()
            ));
        } else if let Some(hint) = extra_hint {
            message.push_str(&format!(" ({hint})"));
        }
        error(self.start, 1, message)
    }

    fn not_a(&self, what: &str) -> QueryError {
        self.err_whole(format!("expected {what} after \"{}\"", self.lead))
    }

    /// A text value, lowercased. An explicitly quoted empty string is allowed.
    fn text_value(&self, extra_hint: Option<String>) -> Result<String, QueryError> {
        if !self.written() {
            return Err(self.missing("a value", extra_hint));
        }
        Ok(self.text().to_lowercase())
    }

    /// Leading decimal number; returns it and the index where the suffix
    /// starts.
    fn number(&self, what: &str) -> Result<(Decimal, usize), QueryError> {
        if !self.written() {
            return Err(self.missing(what, None));
        }
        let n = self
            .chars
            .iter()
            .take_while(|c| c.ch.is_ascii_digit() || c.ch == '.')
            .count();
        let num = &self.chars[..n];
        if !num.iter().any(|c| c.ch.is_ascii_digit()) {
            return Err(self.not_a(what));
        }
        match Decimal::parse(num) {
            Some(d) => Ok((d, n)),
            None => Err(self.err_span(0, n, format!("invalid number \"{}\"", text(num)))),
        }
    }

    fn duration(&self) -> Result<i64, QueryError> {
        let (num, n) = self.number("a number")?;
        let unit = text(&self.chars[n..]);
        let mult: u128 = match unit.to_lowercase().as_str() {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "" | "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => {
                return Err(self.err_span(
                    n,
                    self.chars.len(),
                    format!("unknown unit \"{unit}\" in duration (use ns, us, ms, s, m, h)"),
                ));
            }
        };
        num.scale(mult)
            .and_then(|v| i64::try_from(v).ok())
            .ok_or_else(|| self.err_whole("duration is too large"))
    }

    fn tokens(&self) -> Result<u64, QueryError> {
        let (num, n) = self.number("a number")?;
        let suffix = text(&self.chars[n..]);
        let mult: u128 = match suffix.to_lowercase().as_str() {
            "" => 1,
            "k" => 1_000,
            "m" => 1_000_000,
            _ => {
                return Err(self.err_span(
                    n,
                    self.chars.len(),
                    format!("unknown suffix \"{suffix}\" in token count (use k or m)"),
                ));
            }
        };
        num.scale(mult)
            .and_then(|v| u64::try_from(v).ok())
            .ok_or_else(|| self.err_whole("token count is too large"))
    }

    fn whole_number(&self) -> Result<u64, QueryError> {
        const WHAT: &str = "a whole number";
        if !self.written() {
            return Err(self.missing(WHAT, None));
        }
        if self.chars.is_empty() || !self.chars.iter().all(|c| c.ch.is_ascii_digit()) {
            return Err(self.not_a(WHAT));
        }
        self.text()
            .parse::<u64>()
            .map_err(|_| self.err_whole("number is too large"))
    }

    fn percentage(&self) -> Result<f64, QueryError> {
        let (_, n) = self.number("a percentage")?;
        let rest = text(&self.chars[n..]);
        if !rest.is_empty() && rest != "%" {
            return Err(self.err_span(
                n,
                self.chars.len(),
                format!("unexpected \"{rest}\" after the percentage (only \"%\" is allowed)"),
            ));
        }
        match text(&self.chars[..n]).parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => Err(self.err_whole("percentage is too large")),
        }
    }

    /// `|`-separated alternatives, each parsed with `parse`; deduplicated.
    fn alternatives<T: Copy + PartialEq, E: fmt::Display>(
        &self,
        what: &str,
        example: &str,
        parse: impl Fn(&str) -> Result<T, E>,
    ) -> Result<Vec<T>, QueryError> {
        if !self.written() {
            return Err(self.missing(what, None));
        }
        let has_bar = self.chars.iter().any(|c| c.ch == '|');
        let mut out = Vec::new();
        let mut seg_start = 0;
        for i in 0..=self.chars.len() {
            if i < self.chars.len() && self.chars[i].ch != '|' {
                continue;
            }
            let seg = &self.chars[seg_start..i];
            if seg.is_empty() && has_bar {
                let at = if i < self.chars.len() { i } else { i - 1 };
                return Err(self.err_span(
                    at,
                    at + 1,
                    format!(
                        "empty alternative in \"{}{}\" (e.g. {example})",
                        self.lead,
                        self.text()
                    ),
                ));
            }
            match parse(&text(seg)) {
                Ok(v) => {
                    if !out.contains(&v) {
                        out.push(v);
                    }
                }
                Err(e) => return Err(self.err_span(seg_start, i, e.to_string())),
            }
            seg_start = i + 1;
        }
        Ok(out)
    }
}

/// An exact non-negative decimal number (`12`, `1.5`, `.5`, `5.`).
#[derive(Debug, Clone, Copy)]
struct Decimal {
    /// Integer part (saturating; overflow is reported when scaling).
    int: u128,
    frac: u128,
    frac_digits: u32,
}

impl Decimal {
    /// Fractional digits beyond this are ignored (far below 1ns / 1 token).
    const MAX_FRAC_DIGITS: u32 = 18;

    /// Parses chars that are all ASCII digits or `.`; `None` if there is more
    /// than one `.`.
    fn parse(chars: &[TChar]) -> Option<Decimal> {
        let mut d = Decimal {
            int: 0,
            frac: 0,
            frac_digits: 0,
        };
        let mut seen_dot = false;
        for c in chars {
            if c.ch == '.' {
                if seen_dot {
                    return None;
                }
                seen_dot = true;
                continue;
            }
            let digit = u128::from(c.ch.to_digit(10)?);
            if !seen_dot {
                d.int = d.int.saturating_mul(10).saturating_add(digit);
            } else if d.frac_digits < Self::MAX_FRAC_DIGITS {
                d.frac = d.frac * 10 + digit;
                d.frac_digits += 1;
            }
        }
        Some(d)
    }

    /// `self * mult`, rounded to the nearest integer (halves round up).
    /// `mult` must be below 10^20 so the fraction cannot overflow.
    fn scale(self, mult: u128) -> Option<u128> {
        let pow = 10u128.pow(self.frac_digits);
        let frac = (self.frac * mult + pow / 2) / pow;
        self.int.checked_mul(mult)?.checked_add(frac)
    }
}

impl Parser<'_> {
    fn raw(&self, from: usize, to: usize) -> String {
        self.src[from..to].iter().collect()
    }

    fn text_after(&self, idx: usize) -> bool {
        self.src[idx..].iter().any(|c| !c.is_whitespace())
    }

    fn clause(&self, tok: &Token) -> Result<Clause, QueryError> {
        let mut chars: &[TChar] = &tok.chars;
        let mut negated = false;
        let mut body_start = tok.start;
        if let Some(first) = chars.first()
            && first.ch == '-'
            && !first.quoted
        {
            if chars.get(1).is_some_and(|c| c.ch == '-' && !c.quoted) {
                return Err(error(
                    first.idx,
                    2,
                    "double negation \"--\" is not allowed; use a single \"-\"",
                ));
            }
            negated = true;
            chars = &chars[1..];
            body_start = first.idx + 1;
            if body_start == tok.end {
                return Err(error(
                    first.idx,
                    1,
                    "\"-\" must be followed by a term to exclude (e.g. -status:error)",
                ));
            }
        }

        let Some(p) = chars
            .iter()
            .position(|c| !c.quoted && OPERATOR_CHARS.contains(&c.ch))
        else {
            return self.bare(chars, negated, body_start, tok);
        };

        let head = &chars[..p];
        let op_idx = chars[p].idx;
        let next_is_eq = chars.get(p + 1).is_some_and(|c| c.ch == '=' && !c.quoted);
        let (op, op_len) = match chars[p].ch {
            '>' if next_is_eq => (Op::Cmp(Cmp::Ge), 2),
            '<' if next_is_eq => (Op::Cmp(Cmp::Le), 2),
            '>' => (Op::Cmp(Cmp::Gt), 1),
            '<' => (Op::Cmp(Cmp::Lt), 1),
            '=' => (Op::Cmp(Cmp::Eq), 1),
            _ => (Op::Colon, 1),
        };

        if head.is_empty() {
            let mut message = format!("expected a field name before \"{}\"", op.as_str());
            let spaced = op_idx == tok.start
                && tok.start > 0
                && !self.src[..tok.start].iter().all(|c| c.is_whitespace());
            if spaced {
                message.push_str(&format!(" (remove the space before \"{}\")", op.as_str()));
            }
            return Err(error(op_idx, op_len, message));
        }

        let value_start = op_idx + op_len;
        let value = Value {
            chars: &chars[p + op_len..],
            start: value_start,
            end: tok.end,
            lead: self.raw(body_start, value_start),
            op,
            space_after: value_start == tok.end && self.text_after(tok.end),
        };
        let field_raw = self.raw(body_start, op_idx);

        if op == Op::Cmp(Cmp::Eq)
            && let Some(last) = head.last()
            && last.ch == '!'
            && !last.quoted
        {
            let field = self.raw(body_start, last.idx);
            return Err(error(
                last.idx,
                2,
                format!(
                    "\"!=\" is not supported; negate with \"-\" instead: -{field}={}",
                    self.raw(value_start, tok.end)
                ),
            ));
        }

        let (scope, field_chars) = if has_prefix(head, "span.") {
            (Scope::Span, &head[5..])
        } else {
            (Scope::Trace, head)
        };
        let Some(field_first) = field_chars.first() else {
            return Err(error(
                head[0].idx,
                op_idx - head[0].idx,
                "expected a span field after \"span.\" (e.g. span.dur>1s)",
            ));
        };
        let field_idx = field_first.idx;
        let field_len = op_idx - field_idx;

        let field = if has_prefix(field_chars, "attr.") {
            let key = &field_chars[5..];
            if key.is_empty() {
                return Err(error(
                    field_idx,
                    field_len,
                    "expected an attribute key after \"attr.\" (e.g. attr.KEY=VALUE)",
                ));
            }
            Field::Attr(text(key))
        } else {
            let name_written = text(field_chars);
            let name = name_written.to_lowercase();
            match (Field::from_name(&name), scope) {
                (Some(Field::Pct), Scope::Trace) => {
                    let neg = if negated { "-" } else { "" };
                    return Err(error(
                        field_idx,
                        field_len,
                        format!(
                            "\"pct\" is a span field: write {neg}span.{}",
                            self.raw(body_start, tok.end)
                        ),
                    ));
                }
                (Some(f @ (Field::Spans | Field::Id)), Scope::Span) => {
                    let name = if f == Field::Spans { "spans" } else { "id" };
                    return Err(error(
                        field_idx,
                        field_len,
                        format!(
                            "\"{name}\" is a trace field, not a span field (span fields: {SPAN_FIELDS})"
                        ),
                    ));
                }
                (Some(f), _) => f,
                (None, _) if name == "attr" => {
                    return Err(error(
                        field_idx,
                        field_len,
                        "\"attr\" needs a key: write attr.KEY=VALUE, attr.KEY:VALUE or attr.KEY",
                    ));
                }
                (None, Scope::Trace) if name == "span" => {
                    return Err(error(
                        field_idx,
                        field_len,
                        "\"span\" needs a field: write span.FIELD (e.g. span.dur>1s)",
                    ));
                }
                (None, Scope::Trace) => {
                    return Err(error(
                        field_idx,
                        field_len,
                        format!("unknown field \"{name_written}\" (known: {KNOWN_FIELDS})"),
                    ));
                }
                (None, Scope::Span) => {
                    return Err(error(
                        field_idx,
                        field_len,
                        format!("unknown span field \"{name_written}\" (known: {SPAN_FIELDS})"),
                    ));
                }
            }
        };

        // Operator checks.
        let value_or = |example: &str| {
            if value.chars.is_empty() {
                example.to_string()
            } else {
                self.raw(value_start, tok.end)
            }
        };
        let numeric = |example: &str| -> Result<Cmp, QueryError> {
            match op {
                Op::Cmp(c) => Ok(c),
                Op::Colon => {
                    let v = value_or(example);
                    Err(error(
                        op_idx,
                        op_len,
                        format!(
                            "\":\" cannot compare numbers: write {field_raw}>{v}, {field_raw}<{v} or {field_raw}={v}"
                        ),
                    ))
                }
            }
        };
        let textual = |example: &str| -> Result<(), QueryError> {
            if op == Op::Colon {
                return Ok(());
            }
            Err(error(
                op_idx,
                op_len,
                format!(
                    "\"{field_raw}\" matches with \":\", not \"{}\": write {field_raw}:{}",
                    op.as_str(),
                    value_or(example)
                ),
            ))
        };

        let term = match field {
            Field::Dur => Term::Dur(numeric("2s")?, value.duration()?),
            Field::Tokens => Term::Tokens(numeric("1k")?, value.tokens()?),
            Field::Spans => Term::Spans(numeric("10")?, value.whole_number()?),
            Field::Pct => Term::Pct(numeric("25")?, value.percentage()?),
            Field::Status => {
                textual("error")?;
                Term::Status(value.alternatives(
                    "a status",
                    "status:error|running",
                    StatusSel::from_str,
                )?)
            }
            Field::Kind => {
                textual("llm")?;
                Term::Kind(value.alternatives(
                    "a kind",
                    "kind:tool|retriever",
                    KindSel::from_str,
                )?)
            }
            Field::Name => {
                textual("TEXT")?;
                Term::Name(value.text_value(None)?)
            }
            Field::Model => {
                textual("gpt")?;
                Term::Model(value.text_value(None)?)
            }
            Field::Id => {
                textual("PREFIX")?;
                Term::Id(value.text_value(None)?)
            }
            Field::Attr(key) => {
                let presence = Some(format!(
                    "write {} alone to test presence",
                    self.raw(body_start, op_idx)
                ));
                let test = match op {
                    Op::Cmp(Cmp::Eq) => AttrTest::Equals(value.text_value(presence)?),
                    Op::Colon => AttrTest::Contains(value.text_value(presence)?),
                    Op::Cmp(_) => {
                        return Err(error(
                            op_idx,
                            op_len,
                            format!(
                                "attributes are tested with \"=\" or \":\", not \"{}\" (e.g. {field_raw}=VALUE)",
                                op.as_str()
                            ),
                        ));
                    }
                };
                Term::Attr { key, test }
            }
        };
        Ok(Clause {
            negated,
            scope,
            term,
        })
    }

    /// A token with no (unquoted) operator: `attr.KEY`, `span.attr.KEY` or a
    /// fuzzy word.
    fn bare(
        &self,
        chars: &[TChar],
        negated: bool,
        body_start: usize,
        tok: &Token,
    ) -> Result<Clause, QueryError> {
        let (scope, rest) = if has_prefix(chars, "span.") {
            (Scope::Span, &chars[5..])
        } else {
            (Scope::Trace, chars)
        };
        if has_prefix(rest, "attr.") {
            let key = &rest[5..];
            if key.is_empty() {
                return Err(error(
                    rest[0].idx,
                    tok.end - rest[0].idx,
                    "expected an attribute key after \"attr.\" (e.g. attr.KEY)",
                ));
            }
            return Ok(Clause {
                negated,
                scope,
                term: Term::Attr {
                    key: text(key),
                    test: AttrTest::Present,
                },
            });
        }
        let len = tok.end - body_start;
        if scope == Scope::Span {
            let word = text(rest);
            let message = if word.is_empty() {
                "expected a span field after \"span.\" (e.g. span.dur>1s)".to_string()
            } else if Field::from_name(&word.to_lowercase()).is_some() {
                format!(
                    "\"{}\" needs an operator and a value (e.g. span.dur>1s, span.name:TEXT)",
                    self.raw(body_start, tok.end)
                )
            } else {
                format!(
                    "fuzzy words cannot be scoped to spans; did you mean span.name:{}?",
                    quote_value(&word.to_lowercase())
                )
            };
            return Err(error(body_start, len, message));
        }
        if chars.is_empty() {
            return Err(error(body_start, len, "empty search term"));
        }
        Ok(Clause {
            negated,
            scope,
            term: Term::Fuzzy(text(chars)),
        })
    }
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    const NS_MS: i64 = 1_000_000;
    const NS_S: i64 = 1_000_000_000;

    fn one(q: &str) -> Clause {
        let parsed = parse(q).unwrap_or_else(|e| panic!("{q:?} failed: {e}"));
        assert_eq!(parsed.clauses.len(), 1, "{q:?}: {parsed:?}");
        parsed.clauses.into_iter().next().unwrap()
    }

    fn term(q: &str) -> Term {
        let c = one(q);
        assert!(!c.negated, "{q:?}");
        assert_eq!(c.scope, Scope::Trace, "{q:?}");
        c.term
    }

    fn span_term(q: &str) -> Term {
        let c = one(q);
        assert_eq!(c.scope, Scope::Span, "{q:?}");
        c.term
    }

    fn fail(q: &str) -> QueryError {
        match parse(q) {
            Ok(parsed) => panic!("{q:?} unexpectedly parsed: {parsed:?}"),
            Err(e) => e,
        }
    }

    fn attr(key: &str, test: AttrTest) -> Term {
        Term::Attr {
            key: key.to_string(),
            test,
        }
    }

    // --- empty --------------------------------------------------------------

    #[test]
    fn empty_query_matches_everything() {
        for q in ["", "   ", "\t\n  "] {
            let parsed = parse(q).unwrap();
            assert!(parsed.is_empty());
            assert_eq!(parsed, Query::default());
        }
    }

    // --- durations ------------------------------------------------------------

    #[test]
    fn dur_all_comparison_operators() {
        assert_eq!(term("dur>2s"), Term::Dur(Cmp::Gt, 2 * NS_S));
        assert_eq!(term("dur>=500ms"), Term::Dur(Cmp::Ge, 500 * NS_MS));
        assert_eq!(term("dur<1.5s"), Term::Dur(Cmp::Lt, 1_500 * NS_MS));
        assert_eq!(term("dur<=90"), Term::Dur(Cmp::Le, 90 * NS_MS));
        assert_eq!(term("dur=100ms"), Term::Dur(Cmp::Eq, 100 * NS_MS));
    }

    #[test]
    fn dur_units() {
        assert_eq!(term("dur>7ns"), Term::Dur(Cmp::Gt, 7));
        assert_eq!(term("dur>7us"), Term::Dur(Cmp::Gt, 7_000));
        assert_eq!(term("dur>7µs"), Term::Dur(Cmp::Gt, 7_000)); // micro sign
        assert_eq!(term("dur>7μs"), Term::Dur(Cmp::Gt, 7_000)); // greek mu
        assert_eq!(term("dur>7ms"), Term::Dur(Cmp::Gt, 7 * NS_MS));
        assert_eq!(term("dur>7s"), Term::Dur(Cmp::Gt, 7 * NS_S));
        assert_eq!(term("dur>7m"), Term::Dur(Cmp::Gt, 7 * 60 * NS_S));
        assert_eq!(term("dur>7h"), Term::Dur(Cmp::Gt, 7 * 3600 * NS_S));
    }

    #[test]
    fn dur_bare_number_is_milliseconds() {
        assert_eq!(term("dur<=90"), Term::Dur(Cmp::Le, 90 * NS_MS));
        assert_eq!(term("dur>0"), Term::Dur(Cmp::Gt, 0));
        assert_eq!(term("dur>2.5"), Term::Dur(Cmp::Gt, 2_500_000));
    }

    #[test]
    fn dur_decimals_and_rounding() {
        assert_eq!(term("dur<1.5s"), Term::Dur(Cmp::Lt, 1_500_000_000));
        assert_eq!(term("dur>.5s"), Term::Dur(Cmp::Gt, 500_000_000));
        assert_eq!(term("dur>5.s"), Term::Dur(Cmp::Gt, 5 * NS_S));
        assert_eq!(term("dur>0.1h"), Term::Dur(Cmp::Gt, 360 * NS_S));
        // Exact decimal arithmetic: halves round up, no float noise.
        assert_eq!(term("dur>1.0000000005s"), Term::Dur(Cmp::Gt, 1_000_000_001));
        assert_eq!(term("dur>1.0000000004s"), Term::Dur(Cmp::Gt, 1_000_000_000));
        assert_eq!(term("dur>1.5ns"), Term::Dur(Cmp::Gt, 2));
        assert_eq!(term("dur>0.4ns"), Term::Dur(Cmp::Gt, 0));
        assert_eq!(term("dur>1.1ms"), Term::Dur(Cmp::Gt, 1_100_000));
    }

    #[test]
    fn dur_field_aliases_and_case() {
        for q in [
            "dur>2s",
            "DUR>2s",
            "duration>2s",
            "Duration>2S",
            "latency>2s",
            "LATENCY>2000MS",
        ] {
            assert_eq!(term(q), Term::Dur(Cmp::Gt, 2 * NS_S), "{q}");
        }
    }

    #[test]
    fn dur_unknown_unit_points_at_unit() {
        let e = fail("dur>2sx");
        assert_eq!(
            e.message,
            "unknown unit \"sx\" in duration (use ns, us, ms, s, m, h)"
        );
        assert_eq!((e.column, e.len), (6, 2));
        assert_eq!(
            fail("dur>2sec").message,
            "unknown unit \"sec\" in duration (use ns, us, ms, s, m, h)"
        );
    }

    #[test]
    fn dur_missing_or_bad_number() {
        let e = fail("dur>");
        assert_eq!(e.message, "expected a number after \"dur>\"");
        assert_eq!((e.column, e.len), (5, 1));

        let e = fail("status:ok dur>=abc");
        assert_eq!(e.message, "expected a number after \"dur>=\"");
        assert_eq!((e.column, e.len), (16, 3));

        let e = fail("dur>1.2.3s");
        assert_eq!(e.message, "invalid number \"1.2.3\"");
        assert_eq!((e.column, e.len), (5, 5));

        assert_eq!(fail("dur>-5s").message, "expected a number after \"dur>\"");
        assert_eq!(fail("dur>.s").message, "expected a number after \"dur>\"");
        assert_eq!(fail("dur>inf").message, "expected a number after \"dur>\"");
    }

    #[test]
    fn dur_overflow_is_an_error() {
        assert_eq!(fail("dur>9999999h").message, "duration is too large");
        assert_eq!(
            fail("dur>99999999999999999999999999999999999999999999ns").message,
            "duration is too large"
        );
        // i64::MAX ns is ~292 years: fits.
        assert_eq!(
            term("dur<9223372036854775807ns"),
            Term::Dur(Cmp::Lt, i64::MAX)
        );
    }

    #[test]
    fn colon_on_numeric_fields_is_an_error() {
        let e = fail("dur:2s");
        assert_eq!(
            e.message,
            "\":\" cannot compare numbers: write dur>2s, dur<2s or dur=2s"
        );
        assert_eq!((e.column, e.len), (4, 1));
        assert_eq!(
            fail("tokens:").message,
            "\":\" cannot compare numbers: write tokens>1k, tokens<1k or tokens=1k"
        );
        assert!(fail("spans:3").message.contains("spans>3"));
        assert!(fail("span.pct:5").message.contains("span.pct>5"));
    }

    // --- status / kind ------------------------------------------------------

    #[test]
    fn status_values_aliases_and_case() {
        assert_eq!(term("status:error"), Term::Status(vec![StatusSel::Error]));
        assert_eq!(term("status:ok"), Term::Status(vec![StatusSel::Ok]));
        assert_eq!(
            term("status:running"),
            Term::Status(vec![StatusSel::Running])
        );
        for alias in ["failed", "fail", "err", "ERROR", "Failed"] {
            assert_eq!(
                term(&format!("status:{alias}")),
                Term::Status(vec![StatusSel::Error]),
                "{alias}"
            );
        }
        assert_eq!(term("STATUS:Success"), Term::Status(vec![StatusSel::Ok]));
    }

    #[test]
    fn status_alternatives_are_ordered_and_deduplicated() {
        assert_eq!(
            term("status:error|running"),
            Term::Status(vec![StatusSel::Error, StatusSel::Running])
        );
        assert_eq!(
            term("status:running|err|failed|ok"),
            Term::Status(vec![StatusSel::Running, StatusSel::Error, StatusSel::Ok])
        );
        assert_eq!(
            term("status:\"ok|error\""),
            Term::Status(vec![StatusSel::Ok, StatusSel::Error])
        );
    }

    #[test]
    fn status_errors() {
        let e = fail("status:bad");
        assert_eq!(e.message, "unknown status \"bad\" (use ok, error, running)");
        assert_eq!((e.column, e.len), (8, 3));

        // Points at the offending alternative.
        let e = fail("status:ok|Nope");
        assert_eq!(
            e.message,
            "unknown status \"Nope\" (use ok, error, running)"
        );
        assert_eq!((e.column, e.len), (11, 4));

        let e = fail("status:error|");
        assert_eq!(
            e.message,
            "empty alternative in \"status:error|\" (e.g. status:error|running)"
        );
        assert_eq!((e.column, e.len), (13, 1));

        let e = fail("status:");
        assert_eq!(e.message, "expected a status after \"status:\"");
        assert_eq!((e.column, e.len), (8, 1));

        let e = fail("status: error");
        assert_eq!(
            e.message,
            "expected a status after \"status:\" (remove the space after \":\")"
        );

        let e = fail("status>error");
        assert_eq!(
            e.message,
            "\"status\" matches with \":\", not \">\": write status:error"
        );
        assert_eq!((e.column, e.len), (7, 1));
        assert!(fail("status=ok").message.contains("write status:ok"));
    }

    #[test]
    fn kind_values_and_aliases() {
        for k in KindSel::ALL {
            assert_eq!(term(&format!("kind:{}", k.as_str())), Term::Kind(vec![k]));
            assert_eq!(k.as_str().parse::<KindSel>(), Ok(k));
            assert_eq!(k.as_str().to_uppercase().parse::<KindSel>(), Ok(k));
        }
        assert_eq!(term("kind:LM"), Term::Kind(vec![KindSel::Llm]));
        assert_eq!(term("kind:retrieval"), Term::Kind(vec![KindSel::Retriever]));
        assert_eq!(
            term("KIND:tool|Retriever|tool"),
            Term::Kind(vec![KindSel::Tool, KindSel::Retriever])
        );
    }

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
    fn kind_unknown() {
        let e = fail("kind:tool|robot");
        assert_eq!(
            e.message,
            "unknown kind \"robot\" (use llm, chain, retriever, tool, agent, embedding, evaluator, other)"
        );
        assert_eq!((e.column, e.len), (11, 5));
    }

    // --- text fields ------------------------------------------------------------

    #[test]
    fn name_model_id_are_lowercased() {
        assert_eq!(term("name:Retrieve"), Term::Name("retrieve".into()));
        assert_eq!(term("NAME:ReAct"), Term::Name("react".into()));
        assert_eq!(term("model:GPT-4o"), Term::Model("gpt-4o".into()));
        assert_eq!(term("id:ABC123"), Term::Id("abc123".into()));
        // `:` and other operator chars inside the value are fine.
        assert_eq!(term("name:a:b=c>d"), Term::Name("a:b=c>d".into()));
    }

    #[test]
    fn text_field_errors() {
        assert_eq!(fail("name:").message, "expected a value after \"name:\"");
        assert_eq!(
            fail("model>gpt").message,
            "\"model\" matches with \":\", not \">\": write model:gpt"
        );
        assert_eq!(
            fail("id=").message,
            "\"id\" matches with \":\", not \"=\": write id:PREFIX"
        );
        // An explicitly quoted empty value is allowed.
        assert_eq!(term("name:\"\""), Term::Name(String::new()));
    }

    // --- numbers ------------------------------------------------------------------

    #[test]
    fn tokens_suffixes_and_rounding() {
        assert_eq!(term("tokens>1k"), Term::Tokens(Cmp::Gt, 1_000));
        assert_eq!(term("tokens>=1500"), Term::Tokens(Cmp::Ge, 1_500));
        assert_eq!(term("tokens<2.5k"), Term::Tokens(Cmp::Lt, 2_500));
        assert_eq!(term("tokens<2.5K"), Term::Tokens(Cmp::Lt, 2_500));
        assert_eq!(term("tokens<=1m"), Term::Tokens(Cmp::Le, 1_000_000));
        assert_eq!(term("tokens=1.25M"), Term::Tokens(Cmp::Eq, 1_250_000));
        assert_eq!(term("tokens>1.0005k"), Term::Tokens(Cmp::Gt, 1_001));
        assert_eq!(term("tokens>1.0004k"), Term::Tokens(Cmp::Gt, 1_000));
        assert_eq!(term("tokens>1.5"), Term::Tokens(Cmp::Gt, 2));
    }

    #[test]
    fn tokens_errors() {
        let e = fail("tokens>1kb");
        assert_eq!(
            e.message,
            "unknown suffix \"kb\" in token count (use k or m)"
        );
        assert_eq!((e.column, e.len), (9, 2));
        assert_eq!(
            fail("tokens>lots").message,
            "expected a number after \"tokens>\""
        );
        assert_eq!(
            fail("tokens>99999999999999999999m").message,
            "token count is too large"
        );
    }

    #[test]
    fn spans_whole_numbers_only() {
        assert_eq!(term("spans>10"), Term::Spans(Cmp::Gt, 10));
        assert_eq!(term("SPANS<=3"), Term::Spans(Cmp::Le, 3));
        assert_eq!(term("spans=0"), Term::Spans(Cmp::Eq, 0));
        let e = fail("spans>1.5");
        assert_eq!(e.message, "expected a whole number after \"spans>\"");
        assert_eq!((e.column, e.len), (7, 3));
        assert_eq!(
            fail("spans>1k").message,
            "expected a whole number after \"spans>\""
        );
        assert_eq!(
            fail("spans>").message,
            "expected a whole number after \"spans>\""
        );
        assert_eq!(
            fail("spans>99999999999999999999999").message,
            "number is too large"
        );
    }

    // --- attributes -----------------------------------------------------------------

    #[test]
    fn attr_equals_contains_present() {
        assert_eq!(
            term("attr.user=Alice"),
            attr("user", AttrTest::Equals("alice".into()))
        );
        assert_eq!(
            term("attr.user:Ali"),
            attr("user", AttrTest::Contains("ali".into()))
        );
        assert_eq!(term("attr.user"), attr("user", AttrTest::Present));
    }

    #[test]
    fn attr_keys_with_dots_keep_case() {
        assert_eq!(
            term("attr.fixture.program=react_agent"),
            attr("fixture.program", AttrTest::Equals("react_agent".into()))
        );
        assert_eq!(
            term("ATTR.Http.Method:GET"),
            attr("Http.Method", AttrTest::Contains("get".into()))
        );
        assert_eq!(term("Attr.a.b.c"), attr("a.b.c", AttrTest::Present));
    }

    #[test]
    fn attr_values_may_contain_operators_and_quotes() {
        assert_eq!(
            term("attr.url=http://x.io/?a=b"),
            attr("url", AttrTest::Equals("http://x.io/?a=b".into()))
        );
        assert_eq!(
            term("attr.user=\"A b\""),
            attr("user", AttrTest::Equals("a b".into()))
        );
        assert_eq!(
            term("attr.k=\"\""),
            attr("k", AttrTest::Equals(String::new()))
        );
        // Quoted parts of a key are allowed and let keys hold operator chars.
        assert_eq!(
            term("attr.\"my key:x\"=v"),
            attr("my key:x", AttrTest::Equals("v".into()))
        );
    }

    #[test]
    fn attr_errors() {
        let e = fail("attr.=x");
        assert_eq!(
            e.message,
            "expected an attribute key after \"attr.\" (e.g. attr.KEY=VALUE)"
        );
        assert_eq!((e.column, e.len), (1, 5));
        assert_eq!(
            fail("attr.").message,
            "expected an attribute key after \"attr.\" (e.g. attr.KEY)"
        );
        assert_eq!(
            fail("attr:x").message,
            "\"attr\" needs a key: write attr.KEY=VALUE, attr.KEY:VALUE or attr.KEY"
        );
        let e = fail("attr.n>3");
        assert_eq!(
            e.message,
            "attributes are tested with \"=\" or \":\", not \">\" (e.g. attr.n=VALUE)"
        );
        assert_eq!((e.column, e.len), (7, 1));
        assert_eq!(
            fail("attr.user=").message,
            "expected a value after \"attr.user=\" (write attr.user alone to test presence)"
        );
    }

    // --- span scope -----------------------------------------------------------------

    #[test]
    fn span_scope_terms() {
        assert_eq!(span_term("span.dur>1s"), Term::Dur(Cmp::Gt, NS_S));
        assert_eq!(
            span_term("span.status:error"),
            Term::Status(vec![StatusSel::Error])
        );
        assert_eq!(
            span_term("span.name:Retrieve"),
            Term::Name("retrieve".into())
        );
        assert_eq!(span_term("span.kind:llm"), Term::Kind(vec![KindSel::Llm]));
        assert_eq!(span_term("span.model:gpt"), Term::Model("gpt".into()));
        assert_eq!(span_term("span.tokens>100"), Term::Tokens(Cmp::Gt, 100));
        assert_eq!(span_term("span.pct>25"), Term::Pct(Cmp::Gt, 25.0));
        assert_eq!(
            span_term("span.attr.KEY=V"),
            attr("KEY", AttrTest::Equals("v".into()))
        );
        assert_eq!(span_term("span.attr.k"), attr("k", AttrTest::Present));
        assert_eq!(
            span_term("SPAN.Duration<=2m"),
            Term::Dur(Cmp::Le, 120 * NS_S)
        );
    }

    #[test]
    fn span_pct_with_percent_sign_and_decimals() {
        assert_eq!(span_term("span.pct>25%"), Term::Pct(Cmp::Gt, 25.0));
        assert_eq!(span_term("span.pct>=12.5%"), Term::Pct(Cmp::Ge, 12.5));
        assert_eq!(span_term("span.pct<.5"), Term::Pct(Cmp::Lt, 0.5));
        let e = fail("span.pct>25x");
        assert_eq!(
            e.message,
            "unexpected \"x\" after the percentage (only \"%\" is allowed)"
        );
        assert_eq!((e.column, e.len), (12, 1));
        assert!(fail("span.pct>25%%").message.contains("\"%%\""));
        assert_eq!(
            fail("span.pct>").message,
            "expected a percentage after \"span.pct>\""
        );
    }

    #[test]
    fn pct_at_trace_scope_is_an_error() {
        let e = fail("pct>25");
        assert_eq!(e.message, "\"pct\" is a span field: write span.pct>25");
        assert_eq!((e.column, e.len), (1, 3));
        let e = fail("name:x -PCT>=30%");
        assert_eq!(e.message, "\"pct\" is a span field: write -span.PCT>=30%");
        assert_eq!((e.column, e.len), (9, 3));
    }

    #[test]
    fn span_scope_errors() {
        let e = fail("span.retrieve");
        assert_eq!(
            e.message,
            "fuzzy words cannot be scoped to spans; did you mean span.name:retrieve?"
        );
        assert_eq!((e.column, e.len), (1, 13));
        assert_eq!(
            fail("span.dur").message,
            "\"span.dur\" needs an operator and a value (e.g. span.dur>1s, span.name:TEXT)"
        );
        assert_eq!(
            fail("span.").message,
            "expected a span field after \"span.\" (e.g. span.dur>1s)"
        );
        assert_eq!(
            fail("span.>3").message,
            "expected a span field after \"span.\" (e.g. span.dur>1s)"
        );
        let e = fail("span.spans>3");
        assert_eq!(
            e.message,
            "\"spans\" is a trace field, not a span field (span fields: dur, status, name, kind, model, tokens, pct, attr.KEY)"
        );
        assert_eq!((e.column, e.len), (6, 5));
        assert!(
            fail("span.id:ab")
                .message
                .starts_with("\"id\" is a trace field")
        );
        assert_eq!(
            fail("span.bogus:x").message,
            "unknown span field \"bogus\" (known: dur, status, name, kind, model, tokens, pct, attr.KEY)"
        );
        assert_eq!(
            fail("span:x").message,
            "\"span\" needs a field: write span.FIELD (e.g. span.dur>1s)"
        );
    }

    // --- negation -------------------------------------------------------------------

    #[test]
    fn negation_of_trace_and_span_terms() {
        let c = one("-status:error");
        assert!(c.negated);
        assert_eq!(c.scope, Scope::Trace);
        assert_eq!(c.term, Term::Status(vec![StatusSel::Error]));

        let c = one("-span.kind:tool");
        assert!(c.negated);
        assert_eq!(c.scope, Scope::Span);
        assert_eq!(c.term, Term::Kind(vec![KindSel::Tool]));

        let c = one("-retrieve");
        assert!(c.negated);
        assert_eq!(c.term, Term::Fuzzy("retrieve".into()));

        let c = one("-attr.debug");
        assert!(c.negated);
        assert_eq!(c.term, attr("debug", AttrTest::Present));

        let c = one("-\"two words\"");
        assert!(c.negated);
        assert_eq!(c.term, Term::Fuzzy("two words".into()));

        // A quoted leading dash is literal, not a negation.
        assert_eq!(term("\"-x\""), Term::Fuzzy("-x".into()));
    }

    #[test]
    fn negation_errors() {
        let e = fail("status:ok - name:x");
        assert_eq!(
            e.message,
            "\"-\" must be followed by a term to exclude (e.g. -status:error)"
        );
        assert_eq!((e.column, e.len), (11, 1));
        let e = fail("--x");
        assert_eq!(
            e.message,
            "double negation \"--\" is not allowed; use a single \"-\""
        );
        assert_eq!((e.column, e.len), (1, 2));
        assert_eq!(
            fail("dur!=3s").message,
            "\"!=\" is not supported; negate with \"-\" instead: -dur=3s"
        );
    }

    // --- fuzzy words, unknown fields -----------------------------------------------

    #[test]
    fn fuzzy_words() {
        assert_eq!(term("retrieve"), Term::Fuzzy("retrieve".into()));
        assert_eq!(term("MultiHop"), Term::Fuzzy("MultiHop".into()));
        assert_eq!(term("\"two words\""), Term::Fuzzy("two words".into()));
        // Field names alone are just words.
        assert_eq!(term("status"), Term::Fuzzy("status".into()));
        // Quoting makes operator characters literal.
        assert_eq!(term("\"a:b\""), Term::Fuzzy("a:b".into()));
        assert_eq!(term("\"http://x\""), Term::Fuzzy("http://x".into()));
        assert_eq!(fail("\"\"").message, "empty search term");
    }

    #[test]
    fn unknown_fields_are_errors() {
        let e = fail("name:x bogus:x");
        assert_eq!(
            e.message,
            "unknown field \"bogus\" (known: dur, status, name, model, tokens, spans, kind, id, attr.KEY, span.FIELD)"
        );
        assert_eq!((e.column, e.len), (8, 5));
        let e = fail("foo>3");
        assert!(e.message.starts_with("unknown field \"foo\""));
        assert_eq!((e.column, e.len), (1, 3));
        assert!(
            fail("trace:abc")
                .message
                .starts_with("unknown field \"trace\"")
        );
        assert!(
            fail("http://x")
                .message
                .starts_with("unknown field \"http\"")
        );
        assert!(
            fail("Bogus=1")
                .message
                .starts_with("unknown field \"Bogus\"")
        );
    }

    #[test]
    fn missing_field_name() {
        let e = fail(":x");
        assert_eq!(e.message, "expected a field name before \":\"");
        assert_eq!((e.column, e.len), (1, 1));
        let e = fail("dur >= 2s");
        assert_eq!(
            e.message,
            "expected a field name before \">=\" (remove the space before \">=\")"
        );
        assert_eq!((e.column, e.len), (5, 2));
    }

    // --- quoting ----------------------------------------------------------------------

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
    fn errors_are_reported_left_to_right() {
        // The bad field comes before the unterminated quote.
        assert!(fail("bogus:x \"abc").message.starts_with("unknown field"));
    }

    // --- misc --------------------------------------------------------------------------

    #[test]
    fn multiple_clauses_and_scope_iterators() {
        let q = parse("  retrieve\tdur>2s\n-span.kind:llm  span.pct>=50% attr.x=1 ").unwrap();
        assert_eq!(q.clauses.len(), 5);
        assert!(!q.is_empty());
        let trace: Vec<_> = q.trace_clauses().map(|c| c.term.clone()).collect();
        assert_eq!(
            trace,
            vec![
                Term::Fuzzy("retrieve".into()),
                Term::Dur(Cmp::Gt, 2 * NS_S),
                attr("x", AttrTest::Equals("1".into())),
            ]
        );
        let span: Vec<_> = q.span_clauses().collect();
        assert_eq!(span.len(), 2);
        assert!(span[0].negated);
        assert_eq!(span[0].term, Term::Kind(vec![KindSel::Llm]));
        assert_eq!(span[1].term, Term::Pct(Cmp::Ge, 50.0));
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

    #[test]
    fn columns_count_chars_not_bytes() {
        // "µ" and "é" are multi-byte in UTF-8 but one column each.
        let e = fail("dur>5µs café bogus:1");
        assert_eq!((e.column, e.len), (14, 5));
    }

    #[test]
    fn error_display_includes_column() {
        let e = fail("status:bad");
        assert_eq!(
            e.to_string(),
            "unknown status \"bad\" (use ok, error, running) (at column 8)"
        );
    }

    #[test]
    fn render_underlines_offending_part() {
        let q = "dur>2s status:bad";
        let e = fail(q);
        assert_eq!(
            e.render(q),
            "dur>2s status:bad\n              ^^^ unknown status \"bad\" (use ok, error, running)"
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

    #[test]
    fn display_round_trips() {
        let inputs = [
            "dur>2s dur>=500ms dur<1.5s dur<=90 dur=100ms dur>7ns dur>3us dur>0",
            "status:error|running -status:ok kind:tool|retriever span.kind:llm",
            "name:\"Predict(StringSignature).forward\" model:gpt id:ab12",
            "tokens>1.5k spans<=3 span.pct>12.5% span.tokens=7",
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

    #[test]
    fn query_from_str() {
        let q: Query = "status:ok".parse().unwrap();
        assert_eq!(q.clauses.len(), 1);
        assert!("bogus:1".parse::<Query>().is_err());
    }
}
