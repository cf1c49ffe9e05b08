//! `spanscope diff`: two traces aligned step by step.

use super::common::{Failure, load, write_out};
use crate::cli::DiffArgs;
use crate::{analysis, headless, query};

/// `spanscope diff`.
///
/// # Errors
/// An unreadable source, no such trace (or an ambiguous prefix), or a failed write.
pub fn run(a: &DiffArgs) -> Result<(), Failure> {
    let store = load(&a.src)?;
    let x = query::id::resolve(&store, &a.a).map_err(|e| Failure::no_match(e.to_string()))?;
    let y = query::id::resolve(&store, &a.b).map_err(|e| Failure::no_match(e.to_string()))?;
    let d = analysis::diff::compare(&store, x, y);
    write_out(|out| headless::diff::print(&d, &store, a.format, out))
}
