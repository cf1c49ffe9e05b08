//! `spanscope diff`: two traces aligned step by step.

use super::common::{Failure, load, write_out};
use crate::cli::DiffArgs;
use crate::{analysis, headless};

/// `spanscope diff`.
///
/// # Errors
/// An unreadable source, no such trace (or an ambiguous prefix), or a failed write.
pub fn run(a: &DiffArgs) -> Result<(), Failure> {
    let store = load(&a.src)?;
    let x = headless::show::resolve(&store, &a.a).map_err(Failure::no_match)?;
    let y = headless::show::resolve(&store, &a.b).map_err(Failure::no_match)?;
    let d = analysis::diff::compare(&store, x, y);
    write_out(|out| headless::diff::print(&d, &store, a.format, out))
}
