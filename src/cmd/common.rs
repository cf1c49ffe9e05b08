//! What every command shares: the failure type with its exit code, reading the sources into a
//! store, the filter argument, and writing to stdout.

use crate::cli::SourceArgs;
use crate::model::Store;
use crate::{ingest, query};
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::Path;

/// A failure with the exit code it maps to.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    /// Nothing matched (exit 1).
    pub fn no_match(m: impl Into<String>) -> Self {
        Failure {
            code: 1,
            message: m.into(),
        }
    }
    /// Bad usage or query (exit 2).
    pub fn usage(m: impl Into<String>) -> Self {
        Failure {
            code: 2,
            message: m.into(),
        }
    }
    /// A source could not be read (exit 3).
    pub fn source(m: impl Into<String>) -> Self {
        Failure {
            code: 3,
            message: m.into(),
        }
    }
}

/// Read every source into a store, and summarize what was rejected on stderr.
///
/// # Errors
/// No source, an unreadable source, or (with `--strict`) a rejected line.
pub fn load(args: &SourceArgs) -> Result<Store, Failure> {
    if args.sources.is_empty() {
        return Err(Failure::usage(
            "no source given: name a trace file, a directory, or - for stdin",
        ));
    }
    let opts = ingest::Options {
        naive_utc: args.naive_utc,
    };
    let mut store = Store::new();
    store.set_session_key(args.session_key.as_deref());
    for s in &args.sources {
        if ingest::follow::is_url(s) {
            return Err(Failure::usage(format!(
                "{s} is a live stream: read it with `list --follow` or the explorer"
            )));
        }
        if s == "-" {
            ingest::load_reader(&mut store, "<stdin>", io::stdin().lock(), opts)
                .map_err(|e| Failure::source(format!("cannot read stdin: {e}")))?;
        } else {
            ingest::load_path(&mut store, Path::new(s), opts)
                .map_err(|e| Failure::source(e.to_string()))?;
        }
    }
    let rejected: u64 = store.sources().iter().map(|s| s.rejected).sum();
    if !args.quiet || args.strict {
        report_rejections(&store);
    }
    if args.strict && rejected > 0 {
        return Err(Failure::source(format!(
            "{rejected} record(s) rejected (--strict)"
        )));
    }
    Ok(store)
}

/// Per source: how many lines were rejected, and the first reasons with their line numbers.
fn report_rejections(store: &Store) {
    let mut err = io::stderr().lock();
    for s in store.sources().iter().filter(|s| s.rejected > 0) {
        let _ = writeln!(
            err,
            "spanscope: {}: {} of {} record(s) rejected",
            s.label, s.rejected, s.units
        );
        for r in s.rejections.iter().take(5) {
            let _ = if r.line > 0 {
                writeln!(err, "  line {}: {}", r.line, r.reason)
            } else {
                writeln!(err, "  {}", r.reason)
            };
        }
        if s.rejected > 5 {
            let _ = writeln!(err, "  … and {} more", s.rejected - 5);
        }
    }
}

pub fn parse_query(q: &str) -> Result<query::Query, Failure> {
    query::parse(q).map_err(|e| {
        Failure::usage(format!(
            "invalid filter (column {}):\n{}",
            e.column,
            e.render(q)
        ))
    })
}

/// Write to stdout through a buffer; a closed pipe (`| head`) ends quietly.
pub fn write_out(
    f: impl FnOnce(&mut BufWriter<io::StdoutLock<'static>>) -> io::Result<()>,
) -> Result<(), Failure> {
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    match f(&mut out).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::source(format!("cannot write output: {e}"))),
    }
}

/// Whether stdout is a terminal (the explorer's home).
#[must_use]
pub fn stdout_is_terminal() -> bool {
    io::stdout().is_terminal()
}

/// The traces of `store` that match `q`, in store order; its `text:` terms are first searched
/// for in the payloads.
#[must_use]
pub fn matching(store: &Store, q: &query::Query) -> Vec<crate::model::TraceIdx> {
    let texts = q.texts();
    if texts.is_empty() {
        return query::filter(store, q);
    }
    let hits = crate::ingest::search::search_store(store, &texts);
    query::filter_with_text(store, q, Some(&hits))
}
