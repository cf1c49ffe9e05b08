//! The `spanscope` binary: parse the command line and hand over to the library.

use clap::Parser;
use std::process::ExitCode;

/// Parsing allocates many small strings on several threads and the index frees them when it
/// evicts; mimalloc is faster at both than the system allocator and gives freed pages back.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = spanscope::cli::Cli::parse();
    match spanscope::run(cli) {
        Ok(code) => code,
        Err(f) => {
            eprintln!("spanscope: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}
