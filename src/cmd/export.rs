//! `spanscope export`: the matching traces as normalized lines or OTLP/JSON, to stdout or a file.

use super::common::{Failure, load, matching, parse_query, write_out};
use crate::{cli, headless};

/// `spanscope export`.
///
/// # Errors
/// A bad filter, an unreadable source, or a failed write.
pub fn run(a: &cli::ExportArgs) -> Result<(), Failure> {
    let q = parse_query(&a.filter)?;
    let store = load(&a.src)?;
    let traces = matching(&store, &q);
    match &a.out {
        None => write_out(|out| headless::export::write(&store, &traces, a.format, out)),
        Some(path) => {
            headless::export::write_file(&store, &traces, a.format, path)
                .map_err(Failure::source)?;
            if !a.src.quiet {
                eprintln!(
                    "spanscope: wrote {} trace(s) to {}",
                    traces.len(),
                    path.display()
                );
            }
            Ok(())
        }
    }
}
