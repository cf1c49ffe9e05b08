//! The `spanscope` binary: parse the command line and hand over to the library.

use clap::Parser;
use std::process::ExitCode;

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
