//! The interactive explorer: the configuration, the sources read on threads, the receiver, and
//! the printers the explorer's effects need (copy, write).

use super::common::{Failure, parse_query};
use super::receiver::{start_receiver, summarize_receiver};
use crate::cli::Cli;
use crate::model::Store;
use crate::{config, ingest, query, ui};

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
