//! `spanscope dspy-writer`: the DSPy callback that writes traces spanscope reads, printed from
//! the binary, so that an installed spanscope needs no checkout to be fed from DSPy.

use super::common::{Failure, write_out};
use std::io::Write;

/// The callback writer, as `assets/spanscope_dspy.py` has it.
pub const SCRIPT: &str = include_str!("../../assets/spanscope_dspy.py");

/// Print the writer: `spanscope dspy-writer > spanscope_dspy.py`.
///
/// # Errors
/// A failed write.
pub fn run() -> Result<(), Failure> {
    write_out(|out| out.write_all(SCRIPT.as_bytes()))
}
