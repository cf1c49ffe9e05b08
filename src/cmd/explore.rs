//! The interactive explorer: the configuration, the sources read on threads, the receiver, and
//! the printers the explorer's effects need (copy, write).

use super::common::{Failure, parse_query};
use super::receiver::{start_receiver, summarize_receiver};
use crate::cli::Cli;
use crate::headless::{self, export, show};
use crate::ingest::detail::span_detail;
use crate::model::Store;
use crate::model::TraceIdx;
use crate::ui::effect::{Printers, Target, WriteFormat};
use crate::{config, ingest, query, ui};
use std::path::Path;

/// The interactive explorer.
/// Run the explorer until the user quits.
///
/// # Errors
/// A bad configuration or filter, an unreadable source, or the terminal fails.
pub fn run(cli: &Cli) -> Result<(), Failure> {
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
    store.set_retention(a.retention.retention());
    store.set_session_key(a.src.session_key.as_deref());
    let endpoints = t.receiver.endpoints().map_err(Failure::usage)?;
    let live = super::spool::needed(&a.src.sources, endpoints.is_some());
    let session = super::spool::open(&a.spool, live, store.registry())?;
    if session.is_some() {
        super::spool::finish_on_signals(Some(ratatui::restore))
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
    let receiver = match &endpoints {
        Some(at) => Some(start_receiver(
            &feed,
            at,
            t.receiver.max_body,
            opts,
            t.receiver.auth.token(),
        )?),
        None => None,
    };
    // the price table is read while the first lines are
    let _ = std::thread::Builder::new()
        .name("prices".into())
        .spawn(crate::model::prices::load_embedded);
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
        welcome: a.src.sources.is_empty() && endpoints.is_none(),
        // what is followed or received can grow: follow the newest trace from the start
        follow: !t.no_follow
            || endpoints.is_some()
            || a.src
                .sources
                .iter()
                .any(|s| s == "-" || ingest::follow::is_url(s)),
        spool: session.as_ref().map(|s| s.spool.clone()),
    };
    let app = ui::app::App::new(store, theme, opts);
    let (mut app, rest) = ui::run(app, Some(rx), &HeadlessPrinters)
        .map_err(|e| Failure::source(format!("terminal: {e}")))?;
    if let Some(receiver) = receiver {
        let counters = std::sync::Arc::clone(&receiver.counters);
        receiver
            .stop()
            .map_err(|e| Failure::source(format!("the receiver failed: {e}")))?;
        // what was accepted and not indexed yet is accounted for too
        app.store
            .apply_all(rest.iter().flat_map(std::sync::mpsc::Receiver::try_iter));
        if let Some(s) = &session {
            summarize_receiver(&app.store, &counters, &s.spool);
        }
    }
    Ok(())
}

/// The explorer's copies and writes, printed as `spanscope show` and `spanscope export` print.
pub struct HeadlessPrinters;

impl Printers for HeadlessPrinters {
    fn copy_text(
        &self,
        store: &Store,
        target: Target,
        markdown: bool,
        utc: bool,
    ) -> Result<String, String> {
        let mut buf = Vec::new();
        let res = match (target, markdown) {
            (Target::Span(s), true) => show::span_markdown(store, s, &mut buf),
            (Target::Span(s), false) => serde_json::to_writer_pretty(
                &mut buf,
                &export::span_line(store, s, &span_detail(store, s)),
            )
            .map_err(std::io::Error::from),
            (Target::Trace(t), true) => show::print(
                store,
                t,
                show::ShowFormat::Markdown,
                crate::text::TimeFmt { utc },
                headless::Paint::default(),
                &mut buf,
            ),
            (Target::Trace(t), false) => {
                serde_json::to_writer_pretty(&mut buf, &export::trace_line(store, t))
                    .map_err(std::io::Error::from)
            }
        };
        res.map_err(|e| e.to_string())?;
        Ok(String::from_utf8_lossy(&buf).into_owned())
    }

    fn write_traces(
        &self,
        store: &Store,
        traces: &[TraceIdx],
        format: WriteFormat,
        path: &Path,
    ) -> Result<(), String> {
        let format = match format {
            WriteFormat::Jsonl => export::ExportFormat::Jsonl,
            WriteFormat::Otlp => export::ExportFormat::Otlp,
            WriteFormat::Examples => export::ExportFormat::Examples,
        };
        export::write_file(store, traces, format, path)
    }
}

#[cfg(test)]
mod tests {
    //! The explorer's copies and writes through the real printers.
    use super::HeadlessPrinters;
    use crate::ui::clipboard::Clip;
    use crate::ui::testing::{Action, App, Store, Terminal, TestBackend, app, ingest, perform};

    fn settle(app: &mut App) {
        perform::settle(app, &HeadlessPrinters, &mut |c| c.what.clone());
    }

    fn screen(app: &mut App, w: u16, h: u16) -> String {
        app.prepare();
        settle(app);
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        term.draw(|f| crate::ui::draw(f, app, None)).unwrap();
        term.backend().to_string()
    }

    fn run(app: &mut App, actions: &[Action]) {
        for a in actions {
            app.update(*a);
            settle(app);
        }
    }

    fn select(app: &mut App, prefix: &str) {
        app.run_command(&format!("goto {prefix}"));
        settle(app);
    }

    /// Run the app's effects and return the one copy they sent to the terminal's clipboard.
    fn take_copy(app: &mut App) -> Clip {
        let mut got = Vec::new();
        perform::settle(app, &HeadlessPrinters, &mut |c: &Clip| {
            got.push(c.clone());
            c.what.clone()
        });
        assert_eq!(got.len(), 1, "one copy");
        got.remove(0)
    }

    #[test]
    fn write_command_exports_the_listed_traces() {
        let mut a = app("otlp-jsonl");
        a.run_command("filter status:error|recovered");
        settle(&mut a);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("failed.jsonl");
        a.run_command(&format!("w {}", path.display()));
        settle(&mut a);
        let msg = a.message.clone().unwrap();
        assert!(msg.starts_with("wrote 2 trace(s) to"), "{msg}");
        assert!(screen(&mut a, 120, 30).contains("wrote 2 trace(s)"));
        let mut back = Store::new();
        ingest::load_path(&mut back, &path, ingest::Options::default()).unwrap();
        assert_eq!(back.trace_count(), 2);
        // each reads back with its outcome: one failed, one recovered
        let mut outcomes: Vec<&str> = back
            .trace_ids()
            .map(|t| back.trace(t).summary.outcome().as_str())
            .collect();
        outcomes.sort_unstable();
        assert_eq!(outcomes, ["error", "recovered"]);
        a.run_command(&format!("w otlp {}", path.display()));
        settle(&mut a);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.lines().all(|l| l.starts_with("{\"resourceSpans\"")));
        // the listed traces as a dataset: one row each, its score null when none
        a.run_command(&format!("w examples {}", path.display()));
        settle(&mut a);
        let text = std::fs::read_to_string(&path).unwrap();
        let rows: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(rows.len(), 2, "{text}");
        assert!(rows.iter().all(|r| r["score"].is_null()), "{text}");
        a.run_command("w");
        assert!(a.message.as_deref().unwrap().contains(":w FILE"));
        a.run_command("w /nonexistent-dir/x.jsonl");
        settle(&mut a);
        assert!(
            a.message
                .as_deref()
                .unwrap()
                .starts_with("cannot write /nonexistent-dir/x.jsonl"),
            "{:?}",
            a.message
        );
    }

    #[test]
    fn y_copies_the_trace_or_the_span_as_markdown_and_json() {
        let mut a = app("otlp-jsonl");
        select(&mut a, "423c3874");
        a.update(Action::CopyMarkdown);
        let clip = take_copy(&mut a);
        assert_eq!(clip.what, "trace 423c3874e36e… as Markdown");
        assert_eq!(clip.ext, "md");
        assert!(
            clip.text.starts_with(
                "# Trace `423c3874e36efb15b358744b00af9623`: SummarizeWithSources.forward"
            ),
            "{}",
            clip.text
        );
        assert!(clip.text.contains("## Error in"), "{}", clip.text);
        // in the waterfall: the selected span, here the failed LM call
        run(&mut a, &[Action::Enter, Action::NextError]);
        let name = a
            .store
            .str(a.store.span(a.selected_span().unwrap()).name)
            .to_string();
        a.update(Action::CopyMarkdown);
        let clip = take_copy(&mut a);
        assert!(
            clip.text
                .starts_with(&format!("# Span `{}` of trace", name.replace('_', "\\_"))),
            "{}",
            clip.text
        );
        assert!(clip.text.contains("- **share of trace**:"), "{}", clip.text);
        assert!(clip.text.contains("## Error"), "{}", clip.text);
        a.update(Action::CopyJson);
        let clip = take_copy(&mut a);
        assert_eq!(clip.ext, "json");
        let v: serde_json::Value = serde_json::from_str(&clip.text).unwrap();
        assert_eq!(v["name"], name.as_str());
        assert_eq!(v["status"], "error");
        // the list: the whole trace as its export line
        run(&mut a, &[Action::Back]);
        a.update(Action::CopyJson);
        let v: serde_json::Value = serde_json::from_str(&take_copy(&mut a).text).unwrap();
        assert_eq!(v["schema"], "spanscope-trace/1");
        assert_eq!(v["spans"].as_array().unwrap().len(), 7);
    }
}
