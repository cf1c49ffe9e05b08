//! Starting the OTLP receiver from a `--listen` address, and what it says when it stops: the
//! requests it answered and where every span went.

use super::common::Failure;
use crate::ingest::spool::Spool;
use crate::model::Store;
use crate::{cli, ingest};

/// On stderr when a receiver stops: what it was sent, where it was kept (the spool, or the
/// record file), and where every span went.
pub fn summarize_receiver(store: &Store, counters: &ingest::http::Counters, spool: &Spool) {
    let c = |v: &std::sync::atomic::AtomicU64| v.load(std::sync::atomic::Ordering::Relaxed);
    let kept = spool.stats();
    let mut line = format!(
        "spanscope: {} request(s): {} span(s) or line(s) accepted, {} rejected, {} answered busy (clients retry those)",
        c(&counters.requests),
        c(&counters.accepted),
        c(&counters.rejected),
        c(&counters.busy),
    );
    for (n, what) in [
        (
            c(&counters.logs),
            "log record(s) accepted, shown with their spans",
        ),
        (
            c(&counters.logs_without_span),
            "of those log records named no span (counted, shown on none)",
        ),
        (
            c(&counters.unauthorized),
            "refused for a missing or wrong token",
        ),
        (c(&counters.timed_out), "cut off for sending too slowly"),
        (
            c(&counters.spool_failed),
            if spool.keeps_raw() {
                "refused because the spool could not be written"
            } else {
                "refused because the record file could not be written"
            },
        ),
        (
            kept.undo_failed,
            "left a partial write that could not be undone at once (nothing more was kept until it was)",
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
    if !spool.keeps_raw() {
        line.push_str(&format!(
            "; {} request(s) recorded to {}",
            c(&counters.spooled),
            spool.path().display()
        ));
    }
    if kept.dropped_segments > 0 {
        line.push_str(&format!(
            "; the spool dropped its {} oldest segment(s) ({} MiB) to stay within --max-spool, \
             evicting the traces that referred to them",
            kept.dropped_segments,
            kept.dropped_bytes >> 20
        ));
    }
    eprintln!("{line}");
    eprintln!("spanscope: {}", accounting_line(store));
    for s in store.sources() {
        let a = s.accounting();
        if a.received > 0 {
            eprintln!(
                "spanscope:   {}: {}",
                crate::text::neutralize(&s.label, false),
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

/// A socket address, or a host name to resolve.
fn resolve(addr: &str) -> Result<std::net::SocketAddr, Failure> {
    addr.parse()
        .or_else(|_| {
            std::net::ToSocketAddrs::to_socket_addrs(addr)
                .map_err(|e| e.to_string())
                .and_then(|mut a| a.next().ok_or_else(|| "no address".to_string()))
        })
        .map_err(|e| Failure::usage(format!("--listen {addr:?}: {e}{}", file_hint(addr))))
}

/// `--listen` takes an optional address, so a source written right after it is read as one:
/// say so when the "address" is a file or a URL.
fn file_hint(addr: &str) -> String {
    if std::path::Path::new(addr).exists() || addr == "-" || addr.contains("://") {
        format!(
            " ({addr} is a source, not an address: a source goes before the flag, \
             `spanscope {addr} --listen`, or after an address, `--listen 127.0.0.1:4318 {addr}`)"
        )
    } else {
        String::new()
    }
}

/// Start the receiver on `at` (socket addresses or host names to resolve): OTLP/HTTP, and
/// OTLP/gRPC when asked; what it accepts goes to the feed's spool.
///
/// # Errors
/// A bad address, or a port cannot be bound.
pub fn start_receiver(
    feed: &ingest::sink::Feed,
    at: &cli::Endpoints,
    max_body: usize,
    opts: ingest::Options,
    token: Option<String>,
) -> Result<ingest::http::Receiver, Failure> {
    let sock = resolve(&at.http)?;
    let grpc = at.grpc.as_deref().map(resolve).transpose()?;
    for s in std::iter::once(&sock).chain(&grpc) {
        if let Some(w) = listen_warning(s, token.is_some()) {
            eprintln!("spanscope: warning: {w}");
        }
    }
    let mut cfg = ingest::http::Config::new(sock);
    cfg.grpc = grpc;
    cfg.max_body = max_body;
    cfg.opts = opts;
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

#[cfg(test)]
mod tests {
    use super::listen_warning;

    #[test]
    fn a_source_taken_for_the_address_is_named_as_one() {
        let hint = super::file_hint("Cargo.toml");
        assert!(hint.contains("`spanscope Cargo.toml --listen`"), "{hint}");
        assert!(super::file_hint("http://x/traces").contains("is a source"));
        assert_eq!(super::file_hint("localhost:99999"), "");
    }

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
