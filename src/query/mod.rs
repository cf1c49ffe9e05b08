//! One filter grammar for the TUI and the CLI: parse, evaluate, fuzzy-match, sort.
//!
//! A query is read by `lexer` (tokens) and `parser` (clauses; `fields` names the fields, `value`
//! reads what follows an operator) into the [`ast`]; [`display`] prints it back, [`eval`] runs
//! it over the store, [`sort()`] orders the matching traces. While a query is typed, [`typing`]
//! says what stays applied and [`complete`] what Tab offers at the cursor.
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

pub mod ast;
pub mod complete;
pub mod display;
pub mod error;
pub mod eval;
mod fields;
pub mod fuzzy;
pub mod id;
mod lexer;
mod names;
pub mod parse;
mod parser;
pub mod sort;
mod span_terms;
pub mod typing;
mod value;

pub use ast::{AttrTest, Clause, Cmp, Query, Scope, Term, parse_kind, parse_status};
pub use display::{format_duration, quote_key, quote_value};
pub use error::QueryError;
pub use eval::{Matcher, filter, filter_with_text};
pub use parser::{parse, parse_duration};
pub use sort::{SortKey, sort};
