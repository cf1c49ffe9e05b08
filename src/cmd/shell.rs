//! `spanscope completions SHELL` and `spanscope man`: generated from the command line's
//! definition.

use super::common::{Failure, write_out};
use crate::cli::Cli;

/// The completion script for `shell`.
///
/// # Errors
/// A failed write.
pub fn completions(shell: clap_complete::Shell) -> Result<(), Failure> {
    write_out(|out| {
        clap_complete::generate(
            shell,
            &mut <Cli as clap::CommandFactory>::command(),
            "spanscope",
            out,
        );
        Ok(())
    })
}

/// The man page (roff).
///
/// # Errors
/// A failed write.
pub fn man() -> Result<(), Failure> {
    write_out(|out| clap_mangen::Man::new(<Cli as clap::CommandFactory>::command()).render(out))
}
