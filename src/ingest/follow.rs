//! Follow a streaming URL: `http(s)://…` is read as a stream of JSON lines (chunked transfer)
//! or of server-sent events (`data:` lines, one record per event). When the connection drops
//! it reconnects with a capped backoff, sending `Last-Event-ID` when the server gave event ids,
//! and says so in the source's state. Records the server sends again are deduplicated by the
//! store, so nothing is lost or counted twice.

use super::ctx::{Ctx, Options};
use super::lines::{MAX_LINE, load_lines, overlong_line};
use super::reader::{keep, load_bytes};
use super::sink::{Batcher, Closed, Collect, Feed, Sink};
use super::spool::{Pin, Spool, UNPLACED};
use crate::model::SourceId;
use crate::model::store::Batch;
use std::io::{self, BufRead, BufReader, Read};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// The first wait before reconnecting; it doubles up to [`MAX_BACKOFF`], and starts over after
/// a connection that delivered something.
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// How long a server may take to answer a request with its response head.
pub const RESPONSE_TIMEOUT: Duration = Duration::from_secs(30);

/// Whether a source names a URL to follow.
#[must_use]
pub fn is_url(source: &str) -> bool {
    source.starts_with("http://") || source.starts_with("https://")
}

/// Follow `url` on a thread of its own until the store goes away.
///
/// # Errors
/// The thread cannot be started.
pub fn spawn(feed: &Feed, url: &str, opts: Options) -> io::Result<JoinHandle<()>> {
    spawn_with_timeout(feed, url, opts, RESPONSE_TIMEOUT)
}

/// [`spawn`], giving a server `response_timeout` to answer with its response head before the
/// connection is dropped and retried.
///
/// # Errors
/// The thread cannot be started.
pub fn spawn_with_timeout(
    feed: &Feed,
    url: &str,
    opts: Options,
    response_timeout: Duration,
) -> io::Result<JoinHandle<()>> {
    let feed = feed.clone();
    let url = url.to_string();
    thread::Builder::new()
        .name("follow".into())
        .spawn(move || follow(&feed, &url, opts, response_timeout))
}

/// What one connection delivered.
#[derive(Debug, Default)]
struct Stream {
    lines: u64,
    last_event_id: Option<String>,
    /// Where lines are kept for their payloads (in memory without a spool).
    spool: Option<Spool>,
    /// The spool segments lines went to since the last flush: let go once their records are
    /// queued.
    pins: Vec<Pin>,
}

impl Stream {
    /// Queue what is pending, let go of the pins it held, and then announce what they held
    /// back.
    fn flush(&mut self, sink: &mut Batcher) -> Result<(), Closed> {
        sink.flush()?;
        if self.pins.is_empty() {
            return Ok(());
        }
        self.pins.clear();
        sink.flush()
    }
}

fn follow(feed: &Feed, url: &str, opts: Options, response_timeout: Duration) {
    let mut sink = feed.batcher();
    let source = sink.add_source(url);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(10)))
        // a server that accepts and never answers is retried; a quiet stream is not (a live
        // feed may have nothing to say for hours)
        .timeout_send_request(Some(response_timeout))
        .timeout_recv_response(Some(response_timeout))
        .http_status_as_error(false)
        .build()
        .into();
    let mut state = Stream {
        spool: feed.spool().cloned(),
        ..Stream::default()
    };
    let mut backoff = FIRST_BACKOFF;
    loop {
        sink.state(source, "connecting");
        if sink.flush().is_err() {
            return;
        }
        let before = state.lines;
        let why = match connect(&agent, url, &state) {
            Ok(resp) => {
                sink.state(source, "connected");
                if sink.flush().is_err() {
                    return;
                }
                let why = match read(resp, &mut sink, source, &mut state, opts) {
                    Ok(()) => "the server closed the stream".to_string(),
                    Err(e) => e.to_string(),
                };
                if state.flush(&mut sink).is_err() {
                    return;
                }
                why
            }
            Err(e) => e,
        };
        if sink.is_closed() {
            return;
        }
        if state.lines > before {
            backoff = FIRST_BACKOFF;
        }
        let until = Instant::now() + backoff;
        while Instant::now() < until {
            let left = until.saturating_duration_since(Instant::now());
            sink.state(
                source,
                format!("{why}; retrying in {}s", left.as_secs_f64().ceil()),
            );
            if sink.flush().is_err() {
                return;
            }
            thread::sleep(left.min(Duration::from_secs(1)));
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

fn connect(
    agent: &ureq::Agent,
    url: &str,
    state: &Stream,
) -> Result<ureq::http::Response<ureq::Body>, String> {
    let mut req = agent.get(url).header(
        "Accept",
        "application/x-ndjson, application/jsonl, text/event-stream;q=0.9, */*;q=0.8",
    );
    if let Some(id) = &state.last_event_id {
        req = req.header("Last-Event-ID", id);
    }
    let resp = req.call().map_err(|e| e.to_string())?;
    if !resp.status().is_success() {
        return Err(format!("HTTP {}", resp.status()));
    }
    Ok(resp)
}

/// Read one connection's body to its end.
fn read(
    resp: ureq::http::Response<ureq::Body>,
    sink: &mut Batcher,
    source: SourceId,
    state: &mut Stream,
    opts: Options,
) -> io::Result<()> {
    let sse = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/event-stream"));
    let reader = resp.into_body().into_with_config().limit(u64::MAX).reader();
    let mut reader = BufReader::with_capacity(1 << 16, reader);
    let mut line = Vec::new();
    let mut event = Vec::new();
    loop {
        line.clear();
        let n = (&mut reader)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut line)?;
        if n == 0 {
            return Ok(());
        }
        let ended = line.ends_with(b"\n");
        if !ended && n > MAX_LINE {
            // rejected with its reason, and skipped without being held
            let mut skipped = n as u64;
            loop {
                line.clear();
                let k = (&mut reader).take(1 << 20).read_until(b'\n', &mut line)?;
                skipped += k as u64;
                if k == 0 || line.ends_with(b"\n") {
                    break;
                }
            }
            state.lines += 1;
            sink.count(source, 1, skipped);
            sink.reject(source, state.lines, overlong_line(skipped));
            event.clear();
            continue;
        }
        let text = line.strip_suffix(b"\n").unwrap_or(&line);
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        if !ended {
            // a partial last line: the connection dropped in the middle of it
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the connection dropped mid-line",
            ));
        }
        if sse {
            if text.is_empty() {
                if !event.is_empty() {
                    event.push(b'\n');
                    record(sink, source, state, std::mem::take(&mut event), opts, true);
                }
            } else if let Some(data) = text.strip_prefix(b"data:") {
                if !event.is_empty() {
                    event.push(b'\n');
                }
                event.extend_from_slice(data.strip_prefix(b" ").unwrap_or(data));
            } else if let Some(id) = text.strip_prefix(b"id:") {
                let id = String::from_utf8_lossy(id.strip_prefix(b" ").unwrap_or(id));
                state.last_event_id = Some(id.into_owned());
            }
            // comments (":…"), `event:` and `retry:` carry no record
        } else {
            record(sink, source, state, line.clone(), opts, false);
        }
        // nothing more buffered: the next read may wait, so deliver what we have
        if reader.buffer().is_empty() && state.flush(sink).is_err() {
            return Ok(());
        }
    }
}

/// One line (or event): parsed, then kept in the spool when it has records (in memory without
/// one), so that payload references can point at it. An event is one record even when its
/// JSON spans several `data:` lines.
fn record(
    sink: &mut Batcher,
    source: SourceId,
    state: &mut Stream,
    bytes: Vec<u8>,
    opts: Options,
    event: bool,
) {
    let registry = Sink::registry(sink);
    let mut parsed = Collect {
        registry: &registry,
        batch: Batch::default(),
    };
    if event {
        load_bytes(&mut parsed, source, UNPLACED, &bytes, opts);
        state.lines += 1;
    } else {
        parsed.count(source, 0, bytes.len() as u64);
        let ctx = Ctx {
            blob: UNPLACED,
            opts,
        };
        state.lines += load_lines(&mut parsed, source, &bytes, 0, state.lines, &ctx);
    }
    let pin = keep(sink, source, bytes, parsed.batch, state.spool.as_ref());
    // one pin per segment is enough: it holds the segment until the next flush
    if let Some(pin) = pin
        && !state.pins.iter().any(|p| p.same(&pin))
    {
        state.pins.push(pin);
    }
}
