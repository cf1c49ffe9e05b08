//! The header (counts, percentiles, thresholds, active filter), the status bar (sources,
//! index size, rejected lines, memory) and the hint bar.

use crate::text::{human_bytes, human_dur};
use crate::ui::app::follow::Follow;
use crate::ui::app::{App, Mode};
use crate::ui::theme::Role;
use crate::ui::views::View;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

pub fn render_header(app: &App, area: Rect, buf: &mut Buffer) {
    let theme = app.theme;
    if app.welcome {
        let v = concat!(" ", env!("CARGO_PKG_VERSION"));
        let line = Line::from(vec![
            Span::styled(" spanscope ", theme.style(Role::Title)),
            Span::styled(v, theme.style(Role::Muted)),
        ]);
        buf.set_line(area.x, area.y, &line, area.width);
        return;
    }
    let listed = app.view.rows.len();
    // each part with its rank: when the width runs out, the lowest ranked go first, whole
    let mut parts: Vec<(u8, Vec<Span>)> = vec![(
        u8::MAX,
        vec![
            Span::styled(" spanscope ", theme.style(Role::Title)),
            Span::raw(format!(" {listed} of {} traces", app.store.trace_count())),
        ],
    )];
    // one p95, of the listed traces, and it says so
    if let (Some(p50), Some(p95)) = (app.view.p50, app.view.p95) {
        parts.push((
            3,
            vec![Span::raw(format!(
                "  p50 {}  p95 {} over {listed} listed",
                human_dur(p50),
                human_dur(p95)
            ))],
        ));
    }
    // the threshold of `s` (by default the p95 of every loaded trace); none before there is one
    if app.slow_threshold > 0 || app.opts.slow.is_some() {
        parts.push((
            2,
            vec![Span::styled(
                format!("  slow ≥ {}", human_dur(app.slow_threshold)),
                theme.style(if app.slow_only {
                    Role::BarHot
                } else {
                    Role::Muted
                }),
            )],
        ));
    }
    let evicted = app.store.accounting().traces_evicted;
    if evicted > 0 {
        parts.push((
            4,
            vec![Span::styled(
                format!("  {evicted} evicted (:stats)"),
                theme.style(Role::Muted),
            )],
        ));
    }
    if let Some(at) = app.paused {
        parts.push((
            8,
            vec![Span::styled(
                format!(
                    "  [paused: {} new, Space resumes]",
                    app.store.traces_seen().saturating_sub(at)
                ),
                theme.style(Role::BarHot),
            )],
        ));
    }
    if app.slow_only {
        parts.push((
            8,
            vec![Span::styled("  [slow only]", theme.style(Role::BarHot))],
        ));
    }
    if app.failed_only {
        // every trace with a failed step: the requests that failed and those that recovered
        parts.push((
            8,
            vec![Span::styled(
                "  [failed or recovered]",
                theme.style(Role::Error),
            )],
        ));
    }
    // what the listed requests cost, and how many calls no price covers
    if app.view.cost.is_some() || app.view.unpriced > 0 {
        let n = app.view.unpriced;
        let calls = if n == 1 { "call" } else { "calls" };
        let cost = match app.view.cost {
            Some(c) if n > 0 => format!("  {} ({n} {calls} unpriced)", crate::text::usd(c.usd())),
            Some(c) => format!("  {}", crate::text::usd(c.usd())),
            None => format!("  {n} {calls} unpriced"),
        };
        parts.push((1, vec![Span::styled(cost, theme.style(Role::Muted))]));
    }
    if !app.query_text.is_empty() {
        // the filter is cut at the edge rather than dropped: it says why the list is short
        parts.push((
            u8::MAX,
            vec![
                Span::styled("  filter: ", theme.style(Role::Muted)),
                Span::styled(
                    crate::text::neutralize(&app.query_text, false).into_owned(),
                    theme.style(Role::Match),
                ),
            ],
        ));
    }
    if let Some(note) = searching(app) {
        parts.push((
            6,
            vec![Span::styled(format!("  {note}"), theme.style(Role::Key))],
        ));
    }
    let spans = fit(parts, usize::from(area.width));
    buf.set_line(area.x, area.y, &Line::from(spans), area.width);
}

/// How wide the parts are, all of them.
fn width_of(parts: &[(u8, Vec<Span<'_>>)]) -> usize {
    parts
        .iter()
        .flat_map(|(_, spans)| spans)
        .map(Span::width)
        .sum()
}

/// The parts that fit in `width` columns, in their order: while they are too wide, the lowest
/// ranked part (the last of equals) is left out whole; parts ranked `u8::MAX` always stay.
fn fit(mut parts: Vec<(u8, Vec<Span<'_>>)>, width: usize) -> Vec<Span<'_>> {
    while width_of(&parts) > width {
        let Some(drop) = parts
            .iter()
            .enumerate()
            .filter(|(_, (rank, _))| *rank < u8::MAX)
            .min_by_key(|&(i, (rank, _))| (*rank, std::cmp::Reverse(i)))
            .map(|(i, _)| i)
        else {
            break;
        };
        parts.remove(drop);
    }
    parts.into_iter().flat_map(|(_, spans)| spans).collect()
}

/// A text search under way: what it looks for and how far it is (`searching "rate limit"
/// 42%`).
pub fn searching(app: &App) -> Option<String> {
    let r = app.text.running.as_ref()?;
    let what = crate::text::truncate(&crate::text::neutralize(&r.text, false), 24);
    let scope = if r.whole { "" } else { " (new lines)" };
    Some(format!(
        "searching \"{what}\"{scope} {:.0}%",
        r.progress() * 100.0
    ))
}

/// The filter or command bar while it is open; else the status bar.
pub fn render_status(app: &App, area: Rect, buf: &mut Buffer, mem_bytes: Option<u64>) {
    let theme = app.theme;
    match app.mode {
        // the open bar draws itself (`bar.rs`)
        Mode::Filter | Mode::Command | Mode::Search => {}
        _ => {
            if let Some(m) = &app.message {
                buf.set_line(
                    area.x,
                    area.y,
                    &Line::styled(format!(" {m}"), theme.style(Role::Error)),
                    area.width,
                );
                return;
            }
            let rejected: u64 = app.store.sources().iter().map(|s| s.rejected).sum();
            let sources = source_names(app, false);
            // too wide for the terminal, the least telling parts after the counts go whole
            // (`fit`): a clean "0 rejected" first, then the process's memory, then the bounds;
            // what is still too wide is cut at the edge
            let mut parts = vec![
                (u8::MAX, vec![follow_label(app)]),
                (
                    u8::MAX,
                    vec![Span::styled(
                        format!(" {sources} "),
                        theme.style(Role::Muted),
                    )],
                ),
                (
                    u8::MAX,
                    vec![Span::raw(format!(
                        " {} traces · {} spans",
                        app.store.trace_count(),
                        app.store.span_count()
                    ))],
                ),
            ];
            if rejected > 0 {
                parts.push((
                    6,
                    vec![Span::styled(
                        format!(" · {rejected} rejected (:errors)"),
                        theme.style(Role::Error),
                    )],
                ));
            } else {
                parts.push((
                    0,
                    vec![Span::styled(" · 0 rejected", theme.style(Role::Muted))],
                ));
            }
            if let Some(m) = mem_bytes {
                parts.push((
                    1,
                    vec![Span::styled(
                        format!(" · {} MiB", m / (1 << 20)),
                        theme.style(Role::Muted),
                    )],
                ));
            }
            let hot = |on: bool| theme.style(if on { Role::BarHot } else { Role::Muted });
            // the budget the oldest traces are evicted by, and how much of it the index uses
            if let Some(budget) = app.store.retention().max_bytes {
                let used = app.store.memory();
                let text = format!(
                    " · index {} of {} MiB",
                    used.div_ceil(1 << 20),
                    budget / (1 << 20)
                );
                let full = used >= budget;
                parts.push((
                    if full { 4 } else { 2 },
                    vec![Span::styled(text, hot(full))],
                ));
            }
            // a bounded spool drops its oldest segments with their traces once full: evictions
            // the index's budget did not make, shown hot once it has. Under half full, it says
            // less than the index's budget and goes before it
            if let Some((spool, max)) = app.opts.spool.as_ref().and_then(|s| Some((s, s.max()?))) {
                let st = spool.stats();
                let text = format!(" · spool {} of {}", human_bytes(st.held), human_bytes(max));
                let dropped = st.dropped_segments > 0;
                let rank = if dropped {
                    5
                } else if st.held.saturating_mul(2) >= max {
                    3
                } else {
                    2
                };
                parts.push((rank, vec![Span::styled(text, hot(dropped))]));
            }
            // too wide, the sources (the second part) go short first: no request counts, no
            // receiver's loopback host
            if width_of(&parts) > usize::from(area.width) {
                parts[1].1 = vec![Span::styled(
                    format!(" {} ", source_names(app, true)),
                    theme.style(Role::Muted),
                )];
            }
            let spans = fit(parts, usize::from(area.width));
            buf.set_line(area.x, area.y, &Line::from(spans), area.width);
        }
    }
}

/// The sources for the status bar: the first three, and how many more. A file by its name, a
/// receiver or a URL whole, each with its state and how many requests it answered. `short`
/// leaves out the request counts and a receiver's loopback host (`:4318`).
fn source_names(app: &App, short: bool) -> String {
    let names: Vec<String> = app
        .store
        .sources()
        .iter()
        .map(|s| {
            let name = if short && s.label.starts_with("receiver ") {
                s.label.replace("127.0.0.1:", ":").replace("[::1]:", ":")
            } else if s.label.contains(' ') || s.label.contains("://") {
                s.label.clone()
            } else {
                std::path::Path::new(&s.label)
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or(&s.label)
                    .to_string()
            };
            let name = crate::text::neutralize(&name, false);
            let mut state = s.state.clone();
            if s.requests > 0 && !short {
                state = format!("{state} · {} requests", s.requests);
            }
            if state.is_empty() {
                name.into_owned()
            } else {
                format!("{name} ({state})")
            }
        })
        .collect();
    let mut sources = names.iter().take(3).cloned().collect::<Vec<_>>().join(", ");
    if names.len() > 3 {
        sources.push_str(&format!(" +{}", names.len() - 3));
    }
    sources
}

/// Whether the newest trace is followed as traces arrive, paused, or stopped (nothing more
/// arrives).
fn follow_label(app: &App) -> Span<'static> {
    let theme = app.theme;
    match app.follow() {
        // nothing is followed on the welcome screen
        _ if app.welcome => Span::raw(""),
        Follow::Following => Span::styled(" ▶ following ", theme.style(Role::Key)),
        Follow::Paused if app.paused.is_some() => {
            Span::styled(" ‖ paused (Space resumes) ", theme.style(Role::BarHot))
        }
        Follow::Paused => Span::styled(" ‖ paused (F follows) ", theme.style(Role::BarHot)),
        Follow::Stopped => Span::styled(" ■ stopped ", theme.style(Role::Muted)),
    }
}

pub fn render_hints(app: &App, area: Rect, buf: &mut Buffer) {
    let theme = app.theme;
    let mut spans = Vec::new();
    let owned: Vec<(String, &str)>;
    let pairs: Vec<(&str, &str)> = match app.mode {
        Mode::Normal if app.welcome => {
            vec![("d", "open the demo traces"), ("?", "keys"), ("q", "quit")]
        }
        Mode::Filter | Mode::Command | Mode::Search => return,
        Mode::Help | Mode::Ingest => vec![("j/k PgDn/PgUp", "scroll"), ("any other key", "close")],
        Mode::Steps
        | Mode::Compare
        | Mode::Histogram
        | Mode::Groups
        | Mode::Reader
        | Mode::Runs
        | Mode::Sessions => {
            let view = match app.mode {
                Mode::Steps if app.steps.drill.is_some() => View::StepSpans,
                Mode::Steps => View::Steps,
                Mode::Compare if app.compare.text_focus => View::CompareDiff,
                Mode::Compare => View::Compare,
                Mode::Histogram => View::Histogram,
                Mode::Reader => View::Reader,
                Mode::Runs => View::Runs,
                Mode::Sessions if app.sessions.open.is_some() => View::Conversation,
                Mode::Sessions => View::Sessions,
                _ => View::Groups,
            };
            owned = app.opts.keymap.view_hints(view);
            owned.iter().map(|(k, w)| (k.as_str(), *w)).collect()
        }
        Mode::Normal => {
            owned = app.opts.keymap.hints(app.focus.context());
            owned.iter().map(|(k, w)| (k.as_str(), *w)).collect()
        }
    };
    for (k, what) in pairs {
        spans.push(Span::styled(format!(" {k}"), theme.style(Role::Key)));
        spans.push(Span::styled(format!(" {what} "), Style::default()));
    }
    buf.set_line(area.x, area.y, &Line::from(spans), area.width);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(spans: &[Span]) -> String {
        spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn a_header_too_wide_leaves_out_its_lowest_ranked_parts_whole() {
        let parts = || {
            vec![
                (u8::MAX, vec![Span::raw("title")]),
                (3, vec![Span::raw(" p50")]),
                (1, vec![Span::raw(" $1")]),
                (8, vec![Span::raw(" [slow]")]),
                (u8::MAX, vec![Span::raw(" f: "), Span::raw("query")]),
            ]
        };
        assert_eq!(text(&fit(parts(), 80)), "title p50 $1 [slow] f: query");
        assert_eq!(text(&fit(parts(), 25)), "title p50 [slow] f: query");
        assert_eq!(text(&fit(parts(), 22)), "title [slow] f: query");
        // what always stays is cut at the edge by the buffer
        assert_eq!(text(&fit(parts(), 5)), "title f: query");
    }
}
