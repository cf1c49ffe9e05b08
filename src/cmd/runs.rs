//! `spanscope runs`: the optimizer runs in the sources, with their trials.

use super::common::{Failure, load, write_out};
use crate::analysis;
use crate::cli::RunsArgs;
use crate::headless::{self, Paint};
use crate::text::TimeFmt;

/// `spanscope runs`.
///
/// # Errors
/// An unreadable source, or a failed write.
pub fn run(a: &RunsArgs, paint: Paint) -> Result<(), Failure> {
    let store = load(&a.src)?;
    let traces: Vec<_> = store.trace_ids().collect();
    let runs = analysis::runs::runs(&store, &traces);
    write_out(|out| {
        headless::runs::print(
            &store,
            &runs,
            a.format,
            paint,
            TimeFmt { utc: a.src.utc },
            out,
        )
    })
}
