//! The header (counts, percentiles, thresholds, active filter), the status bar (sources,
//! index size, rejected lines, memory), the filter / command bar and the hint bar.

use crate::text::human_dur;
use crate::ui::app::{App, Mode};
use crate::ui::theme::Role;
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
    let d = |v: Option<i64>| v.map_or_else(|| "—".into(), human_dur);
    let mut spans = vec![
        Span::styled(" spanscope ", theme.style(Role::Title)),
        Span::raw(format!(
            " {} of {} traces  p50 {}  p95 {}",
            app.view.rows.len(),
            app.store.trace_count(),
            d(app.view.p50),
            d(app.view.p95)
        )),
        Span::styled(
            format!(
                "  slow ≥ {}{}",
                human_dur(app.slow_threshold),
                if app.opts.slow.is_some() {
                    ""
                } else {
                    " (p95)"
                }
            ),
            theme.style(if app.slow_only {
                Role::BarHot
            } else {
                Role::Muted
            }),
        ),
    ];
    let evicted = app.store.accounting().traces_evicted;
    if evicted > 0 {
        spans.push(Span::styled(
            format!("  {evicted} evicted (:stats)"),
            theme.style(Role::Muted),
        ));
    }
    if let Some(at) = app.paused {
        spans.push(Span::styled(
            format!(
                "  [paused: {} new, Space resumes]",
                app.store.traces_seen().saturating_sub(at)
            ),
            theme.style(Role::BarHot),
        ));
    }
    if app.follow_newest {
        spans.push(Span::styled("  [following newest]", theme.style(Role::Key)));
    }
    if app.slow_only {
        spans.push(Span::styled("  [slow only]", theme.style(Role::BarHot)));
    }
    if app.failed_only {
        spans.push(Span::styled("  [failed only]", theme.style(Role::Error)));
    }
    if !app.query_text.is_empty() {
        spans.push(Span::styled("  filter: ", theme.style(Role::Muted)));
        spans.push(Span::styled(
            crate::text::neutralize(&app.query_text, false).into_owned(),
            theme.style(Role::Match),
        ));
    }
    buf.set_line(area.x, area.y, &Line::from(spans), area.width);
}

/// The filter or command bar while it is open; else the status bar.
pub fn render_status(app: &App, area: Rect, buf: &mut Buffer, mem_bytes: Option<u64>) {
    let theme = app.theme;
    match app.mode {
        Mode::Filter | Mode::Command | Mode::Search => {
            let prompt = match app.mode {
                Mode::Filter => "/",
                Mode::Search => "search this trace: ",
                _ => ":",
            };
            let mut spans = vec![
                Span::styled(prompt, theme.style(Role::Key)),
                Span::raw(crate::text::neutralize(&app.input.text, false).into_owned()),
                Span::styled("█", theme.style(Role::Key)),
            ];
            if let Some(e) = &app.input.error {
                spans.push(Span::styled(
                    format!("   ✗ column {}: {}", e.column, e.message),
                    theme.style(Role::Error),
                ));
            } else if app.mode == Mode::Filter {
                spans.push(Span::styled(
                    format!("   {} match(es)", app.view.rows.len()),
                    theme.style(Role::Muted),
                ));
            } else if let Some(x) = app.wf.search.as_ref().filter(|_| app.mode == Mode::Search) {
                spans.push(Span::styled(
                    format!("   {} span(s) of this trace", x.hits.len()),
                    theme.style(Role::Muted),
                ));
            }
            buf.set_line(area.x, area.y, &Line::from(spans), area.width);
        }
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
            let names: Vec<String> = app
                .store
                .sources()
                .iter()
                .map(|s| {
                    // a file by its name; a receiver or a URL whole
                    let name = if s.label.contains(' ') || s.label.contains("://") {
                        &s.label
                    } else {
                        std::path::Path::new(&s.label)
                            .file_name()
                            .and_then(|n| n.to_str())
                            .unwrap_or(&s.label)
                    };
                    let name = crate::text::neutralize(name, false);
                    let mut state = s.state.clone();
                    if s.requests > 0 {
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
            let mut spans = vec![
                Span::styled(format!(" {sources} "), theme.style(Role::Muted)),
                Span::raw(format!(
                    " {} traces · {} spans",
                    app.store.trace_count(),
                    app.store.span_count()
                )),
            ];
            if rejected > 0 {
                spans.push(Span::styled(
                    format!(" · {rejected} rejected (:errors)"),
                    theme.style(Role::Error),
                ));
            } else {
                spans.push(Span::styled(" · 0 rejected", theme.style(Role::Muted)));
            }
            if let Some(m) = mem_bytes {
                spans.push(Span::styled(
                    format!(" · {} MiB", m / (1 << 20)),
                    theme.style(Role::Muted),
                ));
            }
            buf.set_line(area.x, area.y, &Line::from(spans), area.width);
        }
    }
}

pub fn render_hints(app: &App, area: Rect, buf: &mut Buffer) {
    let theme = app.theme;
    let mut spans = Vec::new();
    let pairs: Vec<(&str, &str)> = match app.mode {
        Mode::Normal if app.welcome => {
            vec![("d", "open the demo traces"), ("?", "keys"), ("q", "quit")]
        }
        Mode::Filter => vec![("Enter", "keep"), ("Esc", "close"), ("↑↓", "history")],
        Mode::Command => vec![("Enter", "run"), ("Esc", "cancel")],
        Mode::Search => vec![
            ("Enter", "keep"),
            ("Esc", "clear"),
            ("then n/N", "next / previous"),
            ("f", "only these"),
        ],
        Mode::Help | Mode::Ingest => vec![("j/k", "scroll"), ("any other key", "close")],
        Mode::Steps if app.steps.drill.is_some() => vec![
            ("Enter", "open the trace"),
            ("Esc", "back to the steps"),
            ("S", "close"),
        ],
        Mode::Steps => vec![
            ("Enter", "spans of the step"),
            ("< h", "sort col"),
            ("> l", "sort col"),
            ("b", "by name/model/kind"),
            ("/", "filter"),
            ("s", "slow"),
            ("e", "failed"),
            ("S Esc", "close"),
            ("q", "quit"),
        ],
        Mode::Compare if app.compare.text_focus => vec![
            ("j/k PgDn/PgUp", "scroll the diff"),
            ("Esc", "back to the steps"),
            ("=", "close"),
        ],
        Mode::Compare => vec![
            ("j/k", "move"),
            ("n/N", "next / previous LM call that differs"),
            ("Enter", "its diff, or the span in its trace"),
            ("Esc =", "close"),
            ("q", "quit"),
        ],
        Mode::Histogram => vec![
            ("j/k", "bucket"),
            ("Enter", "filter to it"),
            ("s", "slow"),
            ("e", "failed"),
            ("H Esc", "close"),
            ("q", "quit"),
        ],
        Mode::Groups => vec![
            ("j/k", "value"),
            ("Enter", "filter the list to it"),
            ("s", "slow"),
            ("e", "failed"),
            ("Esc", "close"),
            ("q", "quit"),
        ],
        Mode::Normal => app.opts.keymap.hints(app.focus.context()),
    };
    for (k, what) in pairs {
        spans.push(Span::styled(format!(" {k}"), theme.style(Role::Key)));
        spans.push(Span::styled(format!(" {what} "), Style::default()));
    }
    buf.set_line(area.x, area.y, &Line::from(spans), area.width);
}
