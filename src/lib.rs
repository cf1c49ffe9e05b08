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
//! store.refresh();
//!
//! let slow_failures = query::filter(&store, &query::parse("dur>2s status:error").unwrap());
//! assert_eq!(slow_failures.len(), 1);
//! assert_eq!(store.str(store.trace(slow_failures[0]).id), "a");
//! ```

pub mod cli;
pub mod config;
#[doc(hidden)]
pub mod fuzzing;
pub mod headless;
pub mod ingest;
pub mod model;
pub mod query;
pub mod ui;

use cli::{Cli, Command, ListArgs, SourceArgs};
use headless::TimeFmt;
use model::Store;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

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
    store.refresh();
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

fn parse_query(q: &str) -> Result<query::Query, Failure> {
    query::parse(q).map_err(|e| {
        Failure::usage(format!(
            "invalid filter (column {}):\n{}",
            e.column,
            e.render(q)
        ))
    })
}

/// Run the command line.
///
/// # Errors
/// A [`Failure`] (carrying its exit code), or an I/O error writing the output.
pub fn run(cli: Cli) -> Result<ExitCode, Failure> {
    let paint = headless::Paint::new(cli.color.enabled(stdout_is_terminal()));
    let result = match cli.command {
        Some(Command::List(a)) => list(&a, paint),
        None if stdout_is_terminal() => explore(&cli),
        None if cli.tui.receiver.listen.is_some() => Err(Failure::usage(
            "--listen runs the explorer, which needs a terminal: to receive without one, use \
             `spanscope record --out FILE`",
        )),
        None => list(&cli.list, paint),
        Some(Command::Show(a)) => {
            let store = load(&a.src)?;
            let t = headless::show::resolve(&store, &a.trace_id).map_err(Failure::no_match)?;
            write_out(|out| {
                headless::show::print(&store, t, a.format, TimeFmt { utc: a.src.utc }, paint, out)
            })
        }
        Some(Command::Config(a)) => show_config(&a, cli.config.as_deref()),
        Some(Command::Completions { shell }) => write_out(|out| {
            clap_complete::generate(
                shell,
                &mut <Cli as clap::CommandFactory>::command(),
                "spanscope",
                out,
            );
            Ok(())
        }),
        Some(Command::Man) => write_out(|out| {
            clap_mangen::Man::new(<Cli as clap::CommandFactory>::command()).render(out)
        }),
        Some(Command::Record(a)) => record(&a),
        Some(Command::Export(a)) => export(&a),
        Some(Command::Diff(a)) => {
            let store = load(&a.src)?;
            let x = headless::show::resolve(&store, &a.a).map_err(Failure::no_match)?;
            let y = headless::show::resolve(&store, &a.b).map_err(Failure::no_match)?;
            let d = headless::diff::compare(&store, x, y);
            write_out(|out| d.print(&store, a.format, out))
        }
        Some(Command::Stats(a)) if a.group.is_some() => {
            let key = headless::groups::GroupKey::parse(a.group.as_deref().unwrap_or(""))
                .map_err(Failure::usage)?;
            let q = parse_query(&a.filter)?;
            let store = load(&a.src)?;
            let traces = query::filter(&store, &q);
            let groups = headless::groups::compute(&store, &traces, &key);
            write_out(|out| headless::groups::print(&groups, &key, a.format, paint, out))
        }
        Some(Command::Stats(a)) => {
            let q = parse_query(&a.filter)?;
            let store = load(&a.src)?;
            let traces = query::filter(&store, &q);
            let mut groups = headless::stats::compute(&store, &traces, a.by);
            headless::stats::sort(&mut groups, a.sort);
            write_out(|out| headless::stats::print(&groups, a.format, paint, out))
        }
    };
    result.map(|()| ExitCode::SUCCESS)
}

/// `spanscope config`: the commented defaults, the file's path, or the configuration in effect.
fn show_config(a: &cli::ConfigArgs, given: Option<&Path>) -> Result<(), Failure> {
    let origin = config::Origin::find(given);
    if a.default {
        return write_out(|out| out.write_all(config::DEFAULT_FILE.as_bytes()));
    }
    if a.path {
        let Some(p) = origin.path() else {
            return Err(Failure::usage(
                "no configuration path: neither XDG_CONFIG_HOME nor HOME is set (use --config)",
            ));
        };
        return write_out(|out| writeln!(out, "{}", p.display()));
    }
    let cfg = config::Config::load(&origin).map_err(Failure::usage)?;
    let text = cfg.to_toml().map_err(Failure::usage)?;
    match origin.path() {
        Some(p) if p.exists() => eprintln!("spanscope: the configuration in {}", p.display()),
        Some(p) => eprintln!(
            "spanscope: the defaults ({} does not exist; `spanscope config --default` writes a start)",
            p.display()
        ),
        None => eprintln!("spanscope: the defaults"),
    }
    write_out(|out| out.write_all(text.as_bytes()))
}

/// The interactive explorer.
fn explore(cli: &Cli) -> Result<(), Failure> {
    let (a, t) = (&cli.list, &cli.tui);
    let cfg = config::Config::load(&config::Origin::find(cli.config.as_deref()))
        .map_err(Failure::usage)?;
    let slow = match &t.slow {
        Some(s) => Some(
            query::parse_duration(s).map_err(|e| Failure::usage(format!("--slow {s:?}: {e}")))?,
        ),
        None => match cfg.thresholds.slow {
            config::Slow::Fixed(ns) => Some(ns),
            config::Slow::Percentile(_) => None,
        },
    };
    let slow_percentile = match cfg.thresholds.slow {
        config::Slow::Percentile(p) => p,
        config::Slow::Fixed(_) => 95.0,
    };
    parse_query(&a.filter)?;
    let color = if t.no_color {
        ui::theme::ColorChoice::Never
    } else {
        cli.color
    };
    let theme = ui::theme::Theme::new(cfg.theme.palette, cfg.theme.colors, color);
    // The sources are read on threads; the explorer shows what is indexed so far.
    let mut store = Store::new();
    store.set_retention(t.retention.retention());
    let (feed, rx) = ingest::sink::channel(store.registry());
    let opts = ingest::Options {
        naive_utc: a.src.naive_utc,
    };
    let receiver = match &t.receiver.listen {
        Some(addr) => Some(start_receiver(
            &feed,
            addr,
            t.receiver.max_body,
            opts,
            None,
            t.receiver.auth.token(),
        )?),
        None => None,
    };
    ingest::tail::spawn(&feed, &a.src.sources, !t.no_follow, opts)
        .map_err(|e| Failure::source(e.to_string()))?;
    drop(feed);
    let opts = ui::app::Options {
        slow,
        slow_percentile,
        min_pct: t.min_pct.unwrap_or(cfg.thresholds.min_pct),
        filter: a.filter.clone(),
        trace: t.trace.clone(),
        utc: a.src.utc,
        mouse: t.mouse,
        keymap: cfg.keys.keymap(),
        columns: cfg.list.columns,
        sort: cfg.list.sort,
        reverse: cfg.list.reverse,
        relative_time: cfg.list.relative_time,
        welcome: a.src.sources.is_empty() && t.receiver.listen.is_none(),
    };
    let app = ui::app::App::new(store, theme, opts);
    let (mut app, rest) =
        ui::run(app, Some(rx)).map_err(|e| Failure::source(format!("terminal: {e}")))?;
    if let Some(receiver) = receiver {
        let counters = std::sync::Arc::clone(&receiver.counters);
        receiver
            .stop()
            .map_err(|e| Failure::source(format!("the receiver failed: {e}")))?;
        // what was accepted and not indexed yet is accounted for too
        for b in rest.iter().flat_map(|rx| rx.try_iter()) {
            app.store.apply(b);
        }
        app.store.refresh();
        summarize_receiver(&app.store, &counters, None);
    }
    Ok(())
}

/// On stderr when a receiver stops: what it was sent, and where every span went.
fn summarize_receiver(
    store: &Store,
    counters: &ingest::http::Counters,
    recorded_to: Option<&std::path::Path>,
) {
    let c = |v: &std::sync::atomic::AtomicU64| v.load(std::sync::atomic::Ordering::Relaxed);
    let mut line = format!(
        "spanscope: {} request(s): {} span(s) or line(s) accepted, {} rejected, {} answered busy (clients retry those)",
        c(&counters.requests),
        c(&counters.accepted),
        c(&counters.rejected),
        c(&counters.busy),
    );
    for (n, what) in [
        (
            c(&counters.unauthorized),
            "refused for a missing or wrong token",
        ),
        (c(&counters.timed_out), "cut off for sending too slowly"),
        (
            c(&counters.record_failed),
            "refused because the record file could not be written",
        ),
        (
            c(&counters.undo_failed),
            "left a partial write in the record file that could not be undone at once (recording paused until it was)",
        ),
        (
            c(&counters.panicked),
            "failed inside the receiver (answered 500)",
        ),
    ] {
        if n > 0 {
            line.push_str(&format!("; {n} {what}"));
        }
    }
    if let Some(path) = recorded_to {
        line.push_str(&format!(
            "; {} request(s) recorded to {}",
            c(&counters.recorded),
            path.display()
        ));
    }
    eprintln!("{line}");
    eprintln!("spanscope: {}", accounting_line(store));
    for s in store.sources() {
        let a = s.accounting();
        if a.received > 0 {
            eprintln!(
                "spanscope:   {}: {}",
                headless::neutralize(&s.label, false),
                a.balance()
            );
        }
    }
}

/// Where every record the sources delivered went: `received = indexed + merged + duplicates +
/// evicted + rejected`.
#[must_use]
pub fn accounting_line(store: &Store) -> String {
    let a = store.accounting();
    format!(
        "{}; {} trace(s) held, {} evicted",
        a.balance(),
        a.traces,
        a.traces_evicted
    )
}

fn list(a: &ListArgs, paint: headless::Paint) -> Result<(), Failure> {
    if a.follow {
        return list_follow(a, paint);
    }
    let q = parse_query(&a.filter)?;
    let store = load(&a.src)?;
    let mut traces = query::filter(&store, &q);
    query::sort(&store, &mut traces, a.sort, a.reverse);
    if let Some(n) = a.limit {
        traces.truncate(n);
    }
    write_out(|out| {
        headless::list::print(
            &store,
            &traces,
            a.format,
            TimeFmt { utc: a.src.utc },
            paint,
            out,
        )
    })?;
    if a.fail_empty && traces.is_empty() {
        return Err(Failure::no_match("no trace matched"));
    }
    Ok(())
}

fn export(a: &cli::ExportArgs) -> Result<(), Failure> {
    let q = parse_query(&a.filter)?;
    let store = load(&a.src)?;
    let traces = query::filter(&store, &q);
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

/// Write to stdout through a buffer; a closed pipe (`| head`) ends quietly.
fn write_out(
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

/// `list --follow`: print each matching trace once it has finished, as sources grow.
fn list_follow(a: &ListArgs, paint: headless::Paint) -> Result<(), Failure> {
    if a.format == headless::list::ListFormat::Json {
        return Err(Failure::usage(
            "--follow prints one trace at a time: use --format jsonl (or table, csv)",
        ));
    }
    let q = parse_query(&a.filter)?;
    if a.src.sources.is_empty() {
        return Err(Failure::usage(
            "no source given: name a trace file, a directory, or - for stdin",
        ));
    }
    let mut store = Store::new();
    let (feed, rx) = ingest::sink::channel(store.registry());
    let opts = ingest::Options {
        naive_utc: a.src.naive_utc,
    };
    ingest::tail::spawn(&feed, &a.src.sources, true, opts)
        .map_err(|e| Failure::source(e.to_string()))?;
    drop(feed);
    let mut printed = vec![false; 0];
    let mut stream = headless::list::Stream::default();
    let mut left = a.limit.unwrap_or(usize::MAX);
    let time = TimeFmt { utc: a.src.utc };
    let stdout = io::stdout();
    loop {
        // at the end of every source, traces still running are printed as they are
        let end = match rx.recv() {
            Ok(first) => {
                store.apply(first);
                while let Ok(more) = rx.try_recv() {
                    store.apply(more);
                }
                false
            }
            Err(_) => true,
        };
        store.refresh();
        // no retention here, so trace indexes are dense and stable
        printed.resize(store.trace_count(), false);
        let m = query::Matcher::new(&store, &q);
        let mut done: Vec<model::TraceIdx> = store
            .trace_ids()
            .filter(|&t| !printed[t.0 as usize])
            .filter(|&t| end || store.trace(t).summary.status != model::TraceStatus::Running)
            .collect();
        for t in &done {
            printed[t.0 as usize] = true;
        }
        done.retain(|&t| m.matches(t));
        done.truncate(left);
        left -= done.len();
        let mut out = stdout.lock();
        let res = stream
            .print(&store, &done, a.format, time, paint, &mut out)
            .and_then(|()| out.flush());
        match res {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(()),
            Err(e) => return Err(Failure::source(format!("cannot write: {e}"))),
            Ok(()) => {}
        }
        if left == 0 || end {
            return Ok(());
        }
    }
}

fn start_receiver(
    feed: &ingest::sink::Feed,
    addr: &str,
    max_body: usize,
    opts: ingest::Options,
    record: Option<std::path::PathBuf>,
    token: Option<String>,
) -> Result<ingest::http::Receiver, Failure> {
    let sock = addr
        .parse()
        .or_else(|_| {
            std::net::ToSocketAddrs::to_socket_addrs(addr)
                .map_err(|e| e.to_string())
                .and_then(|mut a| a.next().ok_or_else(|| "no address".to_string()))
        })
        .map_err(|e| Failure::usage(format!("--listen {addr:?}: {e}")))?;
    if let Some(w) = listen_warning(&sock, token.is_some()) {
        eprintln!("spanscope: warning: {w}");
    }
    let mut cfg = ingest::http::Config::new(sock);
    cfg.max_body = max_body;
    cfg.opts = opts;
    cfg.record = record;
    cfg.token = token;
    ingest::http::start(feed, cfg).map_err(|e| Failure::source(e.to_string()))
}

/// The warning for a receiver bound beyond loopback (none on loopback).
fn listen_warning(sock: &std::net::SocketAddr, token: bool) -> Option<String> {
    if ingest::http::is_loopback(sock) {
        return None;
    }
    let open = if token {
        ""
    } else {
        "; anyone who reaches it can send traces: require a token with --token or SPANSCOPE_TOKEN"
    };
    Some(format!(
        "listening on {sock}, which other hosts can reach{open}"
    ))
}

/// What `record` keeps in memory for its summary when no bound is given (the file keeps all).
const RECORD_MAX_MEMORY: u64 = 256 << 20;

/// `spanscope record`: receive until SIGINT or SIGTERM, append each accepted request to the
/// file, and account for everything received on exit.
fn record(a: &cli::RecordArgs) -> Result<(), Failure> {
    let mut store = Store::new();
    let mut retention = a.retention.retention();
    if retention.is_unbounded() {
        retention.max_bytes = Some(RECORD_MAX_MEMORY);
    }
    store.set_retention(retention);
    let (feed, rx) = ingest::sink::channel(store.registry());
    let opts = ingest::Options {
        naive_utc: a.naive_utc,
    };
    let receiver = start_receiver(
        &feed,
        &a.listen,
        a.max_body,
        opts,
        Some(a.out.clone()),
        a.auth.token(),
    )?;
    drop(feed);
    eprintln!(
        "spanscope: receiving on http://{} (POST /v1/traces, /v1/jsonl), recording to {}; Ctrl-C to stop",
        receiver.addr,
        a.out.display()
    );
    let indexer = std::thread::spawn(move || {
        for b in rx {
            store.apply(b);
            if store.needs_compaction() {
                store.compact();
            }
        }
        store.refresh();
        store
    });
    receiver
        .wait_for_signal()
        .map_err(|e| Failure::source(format!("cannot wait for signals: {e}")))?;
    let counters = std::sync::Arc::clone(&receiver.counters);
    receiver
        .stop()
        .map_err(|e| Failure::source(format!("the receiver failed: {e}")))?;
    let store = indexer
        .join()
        .map_err(|_| Failure::source("the indexer failed"))?;
    summarize_receiver(&store, &counters, Some(&a.out));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::listen_warning;

    #[test]
    fn binding_beyond_loopback_warns() {
        let at = |a: &str| {
            a.parse::<std::net::SocketAddr>()
                .unwrap_or_else(|e| panic!("{e}"))
        };
        assert_eq!(listen_warning(&at("127.0.0.1:4318"), false), None);
        assert_eq!(listen_warning(&at("[::1]:4318"), false), None);
        let open = listen_warning(&at("0.0.0.0:4318"), false).unwrap_or_default();
        assert!(open.contains("which other hosts can reach"), "{open}");
        assert!(open.contains("--token"), "{open}");
        let guarded = listen_warning(&at("192.168.1.5:4318"), true).unwrap_or_default();
        assert!(guarded.contains("other hosts") && !guarded.contains("--token"));
    }
}
