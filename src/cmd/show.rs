//! `spanscope show`: one trace, as a tree with its texts, JSON or Markdown.

use super::common::{Failure, load, write_out};
use crate::cli::ShowArgs;
use crate::headless::{self, Paint};
use crate::query;
use crate::text::TimeFmt;

/// `spanscope show`.
///
/// # Errors
/// An unreadable source, no such trace (or an ambiguous prefix), or a failed write.
pub fn run(a: &ShowArgs, paint: Paint) -> Result<(), Failure> {
    let store = load(&a.src)?;
    let t =
        query::id::resolve(&store, &a.trace_id).map_err(|e| Failure::no_match(e.to_string()))?;
    write_out(|out| {
        headless::show::print(&store, t, a.format, TimeFmt { utc: a.src.utc }, paint, out)
    })
}
