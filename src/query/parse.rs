//! The `query::parse::…` paths callers name: the AST, its printing helpers and the parser,
//! re-exported from the files that own them.

pub use super::ast::{AttrTest, Clause, Cmp, Query, Scope, Term, parse_kind, parse_status};
pub use super::display::{format_duration, quote_key, quote_value};
pub use super::error::{QueryError, UnknownKind, UnknownStatus};
pub use super::parser::parse;
