//! spanscope: a terminal trace explorer for LLM pipelines. Sources (JSONL logs, OTLP bodies,
//! MLflow traces) feed one in-memory [`model::Store`]; one filter language ([`query`]) drives
//! the headless printers ([`headless`]).
//!
//! ```
//! use spanscope::{ingest, model::Store, query};
//!
//! let log = r#"{"trace_id":"a","timestamp":"2026-11-21T05:37:00Z","total_latency_ms":2500,"error":"Timeout"}
//! {"trace_id":"b","timestamp":"2026-11-21T05:37:01Z","total_latency_ms":120}
//! "#;
//! let mut store = Store::new();
//! ingest::load_reader(&mut store, "example", log.as_bytes(), ingest::Options::default()).unwrap();
//!
//! let slow_failures = query::filter(&store, &query::parse("dur>2s status:error").unwrap());
//! assert_eq!(slow_failures.len(), 1);
//! assert_eq!(store.trace_id(slow_failures[0]), "a");
//! ```

pub mod analysis;
pub mod cli;
pub mod cmd;
pub mod config;
#[doc(hidden)]
pub mod fuzzing;
pub mod headless;
pub mod ingest;
pub mod model;
pub mod query;
pub mod text;
pub mod ui;

pub use cmd::common::{Failure, load, stdout_is_terminal};
pub use cmd::receiver::accounting_line;

use cli::{Cli, Command};
use std::process::ExitCode;

/// Run the command line.
///
/// # Errors
/// A [`Failure`] (carrying its exit code), or an I/O error writing the output.
pub fn run(cli: Cli) -> Result<ExitCode, Failure> {
    let paint = headless::Paint::new(cli.color.enabled(stdout_is_terminal()));
    if let Some(path) = &cli.prices {
        let table = std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|text| model::prices::PriceTable::from_user_file(&text))
            .map_err(|e| Failure::usage(format!("--prices {}: {e}", path.display())))?;
        model::prices::add_user_prices(table);
    }
    let result = match cli.command {
        // a single read keeps every trace (without a subcommand, the explorer's bounds are
        // simply not needed when stdout is not a terminal)
        Some(Command::List(a)) if !a.follow && a.retention.given() => Err(Failure::usage(
            "--max-memory and --max-traces bound what `list --follow` keeps: a single read keeps every trace",
        )),
        Some(Command::List(a)) => cmd::list::run(&a, paint),
        None if stdout_is_terminal() => cmd::explore::run(&cli),
        None if cli.tui.receiver.listen.is_some() => Err(Failure::usage(
            "--listen runs the explorer, which needs a terminal: to receive without one, use \
             `spanscope record --out FILE`",
        )),
        None => cmd::list::run(&cli.list, paint),
        Some(Command::Show(a)) => cmd::show::run(&a, paint),
        Some(Command::Config(a)) => cmd::config::run(&a, cli.config.as_deref()),
        Some(Command::Completions { shell }) => cmd::shell::completions(shell),
        Some(Command::Man) => cmd::shell::man(),
        Some(Command::DspyWriter) => cmd::dspy_writer::run(),
        Some(Command::Record(a)) => cmd::record::run(&a),
        Some(Command::Export(a)) => cmd::export::run(&a),
        Some(Command::Diff(a)) => cmd::diff::run(&a),
        Some(Command::Stats(a)) => cmd::stats::run(&a, paint),
        Some(Command::Runs(a)) => cmd::runs::run(&a, paint),
        Some(Command::Sessions(a)) => cmd::sessions::run(&a, paint),
    };
    result.map(|()| ExitCode::SUCCESS)
}
