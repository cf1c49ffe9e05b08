//! `spanscope list`: the matching traces, one row each; with `--follow`, each as it finishes.

use super::common::{Failure, load, matching, parse_query, write_out};
use crate::cli::ListArgs;
use crate::model::{self, Store};
use crate::text::TimeFmt;
use crate::{headless, ingest, query};
use std::io::{self, Write};

/// `spanscope list`.
///
/// # Errors
/// A bad filter, an unreadable source, no match with `--fail-empty`, or a failed write.
pub fn run(a: &ListArgs, paint: headless::Paint) -> Result<(), Failure> {
    if a.follow {
        return list_follow(a, paint);
    }
    let q = parse_query(&a.filter)?;
    let store = load(&a.src)?;
    let mut traces = matching(&store, &q);
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
    store.set_retention(a.retention.retention());
    store.set_session_key(a.src.session_key.as_deref());
    let session = super::spool::open(
        &a.spool,
        super::spool::needed(&a.src.sources, false),
        store.registry(),
    )?;
    if session.is_some() {
        super::spool::finish_on_signals(None)
            .map_err(|e| Failure::source(format!("cannot handle signals: {e}")))?;
    }
    let (feed, rx) = ingest::sink::channel(store.registry());
    let feed = match &session {
        Some(s) => feed.with_spool(s.spool.clone()),
        None => feed,
    };
    let opts = ingest::Options {
        naive_utc: a.src.naive_utc,
    };
    ingest::tail::spawn(&feed, &a.src.sources, true, opts)
        .map_err(|e| Failure::source(e.to_string()))?;
    drop(feed);
    // rows of the trace table looked at, and the traces among them not printed yet
    let mut rows = 0;
    let mut pending: Vec<model::TraceIdx> = Vec::new();
    let mut lost = 0u64;
    let mut searches = ingest::search::Searches::default();
    let texts = q.texts();
    let mut stream = headless::list::Stream::default();
    let mut left = a.limit.unwrap_or(usize::MAX);
    let time = TimeFmt { utc: a.src.utc };
    let stdout = io::stdout();
    loop {
        // at the end of every source, traces still running are printed as they are
        let end = match rx.recv() {
            Ok(first) => {
                // what arrived together is derived once
                store.apply_all(std::iter::once(first).chain(rx.try_iter()));
                false
            }
            Err(_) => true,
        };
        pending.extend(store.rows_from(rows));
        rows = store.trace_rows();
        searches.update(&store, &texts);
        let m = query::Matcher::new(&store, &q).with_text(&searches.hits);
        let mut done = Vec::new();
        pending.retain(|&t| {
            if !store.is_live(t) {
                // evicted before it could be printed: counted, and said at the end
                lost += 1;
                false
            } else if end || store.trace(t).summary.status != model::TraceStatus::Running {
                done.push(t);
                false
            } else {
                true
            }
        });
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
            if lost > 0 {
                eprintln!(
                    "spanscope: {lost} trace(s) were evicted before they could be printed \
                     (raise --max-memory or --max-traces)"
                );
            }
            return Ok(());
        }
        // evicted rows are reclaimed now and then: the indexes held move with them
        if store.needs_compaction() {
            let remap = store.compact();
            pending = pending.iter().filter_map(|&t| remap.trace(t)).collect();
            rows = store.trace_rows();
            searches = ingest::search::Searches::default();
        }
    }
}
