//! The detail pane's state: the tab, the scroll, and the decoded texts of the selected span.

use crate::ingest::detail::{SpanDetail, pretty};
use crate::model::{SpanIdx, Store};
use crate::text::neutralize;
use crate::ui::theme::{Role, Theme};
use ratatui::text::{Line, Span, Text};

/// Detail tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Prompt,
    Response,
    Tokens,
    Attributes,
    Error,
    Raw,
}

impl Tab {
    pub const ALL: [Tab; 6] = [
        Tab::Prompt,
        Tab::Response,
        Tab::Tokens,
        Tab::Attributes,
        Tab::Error,
        Tab::Raw,
    ];

    #[must_use]
    pub fn title(self) -> &'static str {
        match self {
            Tab::Prompt => "Prompt",
            Tab::Response => "Response",
            Tab::Tokens => "Tokens & model",
            Tab::Attributes => "Attributes",
            Tab::Error => "Error",
            Tab::Raw => "Raw",
        }
    }

    /// The title in a narrow pane.
    #[must_use]
    pub fn short_title(self) -> &'static str {
        match self {
            Tab::Tokens => "Tokens",
            Tab::Attributes => "Attrs",
            other => other.title(),
        }
    }

    pub fn index(self) -> usize {
        Tab::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }
}

/// The detail pane.
#[derive(Debug, Default)]
pub struct DetailState {
    pub tab_index: usize,
    pub scroll: u16,
    pub span: Option<SpanIdx>,
    pub detail: Option<SpanDetail>,
    pub(crate) built_for: Option<(SpanIdx, u64)>,
    /// The detail asked of the loop and not delivered yet.
    pub(crate) requested: Option<(SpanIdx, u64)>,
    /// The width the open tab's lines are wrapped to (the pane's text area, from the layout).
    pub width: u16,
    /// The row `n` / `N` last moved to, with its span and tab: the next move starts there
    /// (the scroll may not, when the row is on the last page).
    pub mark: Option<(SpanIdx, Tab, usize)>,
    /// The open tab's lines, and the span, decoded texts, tab and width they were made for.
    made: Option<(TextKey, Text<'static>)>,
}

/// What a tab's lines are made from: the span, the index generation its texts were decoded at,
/// the tab and the width they are wrapped to.
type TextKey = (Option<SpanIdx>, Option<(SpanIdx, u64)>, Tab, u16);

impl DetailState {
    /// The open tab's lines wrapped to `width` columns, made again only when the span, its
    /// decoded texts, the tab or the width changed (pretty-printing and wrapping a large JSON
    /// input is not a per-frame job).
    pub fn text(&mut self, store: &Store, theme: Theme, width: u16) -> &Text<'static> {
        self.width = width;
        let key = (self.span, self.built_for, self.tab(), width);
        if self.made.as_ref().is_none_or(|(k, _)| *k != key) {
            let text = tab_text(store, theme, self.span, self.detail.as_ref(), key.2, width);
            self.made = Some((key, text));
        }
        &self.made.as_ref().expect("made above").1
    }

    /// The open tab's lines as [`DetailState::text`] made them for the current span, tab and
    /// width.
    #[must_use]
    pub fn shown(&self) -> Option<&Text<'static>> {
        let key = (self.span, self.built_for, self.tab(), self.width);
        self.made
            .as_ref()
            .filter(|(k, _)| *k == key)
            .map(|(_, t)| t)
    }

    #[must_use]
    pub fn tab(&self) -> Tab {
        Tab::ALL[self.tab_index % Tab::ALL.len()]
    }
}

fn heading(theme: Theme, s: &str) -> Line<'static> {
    Line::styled(format!("── {s} "), theme.style(Role::Header))
}

fn body(text: &str) -> Vec<Line<'static>> {
    neutralize(text, true)
        .replace('\t', "    ")
        .lines()
        .map(|l| Line::raw(l.to_string()))
        .collect()
}

/// Every line of `lines` in rows of at most `width` columns (see `text::wrap`), each span
/// keeping its style. A row after the first hangs under the line's own indentation, or
/// `hangs[i]` columns in for line `i` (an attribute's value under its key); at most half the
/// width.
pub(crate) fn wrap_lines(
    lines: Vec<Line<'static>>,
    hangs: &[usize],
    width: usize,
) -> Text<'static> {
    let mut rows: Vec<Line<'static>> = Vec::with_capacity(lines.len());
    for (i, line) in lines.into_iter().enumerate() {
        let hang = hangs.get(i).copied().unwrap_or(0);
        if line.width() <= width {
            rows.push(line);
            continue;
        }
        let s: String = line.spans.iter().map(|sp| sp.content.as_ref()).collect();
        let own = s.len() - s.trim_start_matches(' ').len();
        let indent = hang.max(own).min(width / 2);
        // each span's byte range in `s`
        let mut at = 0;
        let ranges: Vec<(std::ops::Range<usize>, ratatui::style::Style)> = line
            .spans
            .iter()
            .map(|sp| {
                let r = at..at + sp.content.len();
                at = r.end;
                (r, sp.style)
            })
            .collect();
        for (n, row) in crate::text::wrap(&s, width, indent).into_iter().enumerate() {
            let mut spans = Vec::new();
            if n > 0 && indent > 0 {
                spans.push(Span::raw(" ".repeat(indent)));
            }
            for (r, style) in &ranges {
                let (a, b) = (r.start.max(row.start), r.end.min(row.end));
                if a < b {
                    spans.push(Span::styled(s[a..b].to_string(), *style));
                }
            }
            rows.push(Line::from(spans).style(line.style));
        }
    }
    Text::from(rows)
}

/// The lines of one tab of `span`'s detail (decoded texts `detail`, none yet: empty), in rows
/// of at most `width` columns.
#[must_use]
pub fn tab_text(
    store: &Store,
    theme: Theme,
    span: Option<SpanIdx>,
    detail: Option<&SpanDetail>,
    tab: Tab,
    width: u16,
) -> Text<'static> {
    let Some(span) = span else {
        return Text::styled("select a span", theme.style(Role::Muted));
    };
    let empty = SpanDetail::default();
    let d = detail.unwrap_or(&empty);
    let sp = store.span(span);
    let mut lines: Vec<Line<'static>> = Vec::new();
    // per line, how far its wrapped rows hang in (none: under its own indentation)
    let mut hangs: Vec<usize> = Vec::new();
    let muted = |s: &str| Line::styled(s.to_string(), theme.style(Role::Muted));
    for p in &d.problems {
        lines.push(Line::styled(p.clone(), theme.style(Role::Error)));
    }
    match tab {
        Tab::Prompt => {
            if d.messages.is_empty() {
                if let Some(i) = &d.inputs {
                    lines.push(heading(theme, "inputs"));
                    lines.extend(body(&pretty(i)));
                } else {
                    lines.push(muted(&format!(
                        "no prompt: this is a {} span without recorded inputs",
                        sp.kind
                    )));
                }
            }
            for (n, m) in d.messages.iter().enumerate() {
                if n > 0 {
                    lines.push(Line::raw(""));
                }
                lines.push(heading(
                    theme,
                    if m.role.is_empty() {
                        "message"
                    } else {
                        &m.role
                    },
                ));
                lines.extend(body(&m.content));
            }
        }
        Tab::Response => match (&d.response, &d.outputs) {
            (Some(r), _) => lines.extend(body(r)),
            (None, Some(o)) => {
                lines.push(heading(theme, "outputs"));
                lines.extend(body(&pretty(o)));
            }
            (None, None) => lines.push(muted("no response recorded")),
        },
        Tab::Tokens => {
            let kv = |k: &str, v: String| {
                Line::from(vec![
                    Span::styled(format!("{k:<12}"), theme.style(Role::Header)),
                    Span::raw(v),
                ])
            };
            match sp.tokens {
                Some(t) => {
                    lines.push(Line::from(vec![
                        Span::styled(format!("{:<12}", "prompt"), theme.style(Role::Header)),
                        Span::styled(t.prompt.to_string(), theme.style(Role::TokensIn)),
                    ]));
                    lines.push(Line::from(vec![
                        Span::styled(format!("{:<12}", "completion"), theme.style(Role::Header)),
                        Span::styled(t.completion.to_string(), theme.style(Role::TokensOut)),
                    ]));
                    lines.push(kv("total", t.total.to_string()));
                    for (k, n) in [
                        ("cached", t.cache_read),
                        ("cache write", t.cache_write),
                        ("reasoning", t.reasoning),
                    ] {
                        if n > 0 {
                            lines.push(kv(k, n.to_string()));
                        }
                    }
                    let cost = store.span_cost(span);
                    let source = match (cost, t.stated_cost) {
                        (Some(_), Some(_)) => " (as its producer reported it)",
                        (Some(_), None) => " (its model's price, genai-prices)",
                        (None, _) => " (no price known for its model: see --prices)",
                    };
                    let shown =
                        cost.map_or_else(|| "unpriced".to_string(), |c| crate::text::usd(c.usd()));
                    lines.push(kv("cost", format!("{shown}{source}")));
                }
                None => lines.push(muted("no token usage on this span")),
            }
            lines.push(kv(
                "model",
                sp.model.map_or("—", |m| store.str(m)).to_string(),
            ));
            let tr = &store.trace(sp.trace).summary;
            if tr.root == Some(span) || sp.has(crate::model::span::flags::SYNTHETIC_ROOT) {
                lines.push(Line::raw(""));
                lines.push(heading(theme, "trace"));
                lines.push(kv(
                    "tokens",
                    tr.tokens.map_or_else(
                        || "—".into(),
                        |t| format!("{} in / {} out / {} total", t.prompt, t.completion, t.total),
                    ),
                ));
                lines.push(kv("LM calls", tr.llm_calls.to_string()));
                if tr.cost.is_some() || tr.unpriced > 0 {
                    let usd = tr.cost.map(crate::model::Nanodollars::usd);
                    let mut cost = crate::text::cost_cell(usd, u64::from(tr.unpriced));
                    if tr.unpriced > 0 {
                        cost.push_str(&format!(
                            " ({} LM call(s) without usage or a price)",
                            tr.unpriced
                        ));
                    }
                    lines.push(kv("cost", cost));
                }
            }
            if let Some(p) = &d.params {
                lines.push(Line::raw(""));
                lines.push(heading(theme, "invocation parameters"));
                lines.extend(body(&pretty(p)));
            }
        }
        Tab::Attributes => {
            if d.attributes.is_empty() {
                lines.push(muted("no attributes"));
            }
            let kw = d
                .attributes
                .iter()
                .map(|(k, _)| k.len())
                .max()
                .unwrap_or(0)
                .min(40);
            // a value's wrapped rows and its further lines hang under its first line
            let hang = " ".repeat(kw + 1);
            for (k, v) in &d.attributes {
                let mut vl = body(v);
                let first = if vl.is_empty() {
                    Line::raw("")
                } else {
                    vl.remove(0)
                };
                let mut spans = vec![Span::styled(
                    format!("{k:<kw$} "),
                    theme.style(Role::Header),
                )];
                spans.extend(first.spans);
                hangs.resize(lines.len(), 0);
                lines.push(Line::from(spans));
                lines.extend(vl.into_iter().map(|l| {
                    let mut spans = vec![Span::raw(hang.clone())];
                    spans.extend(l.spans);
                    Line::from(spans)
                }));
                hangs.resize(lines.len(), kw + 1);
            }
        }
        Tab::Error => match &d.error {
            Some(e) => {
                if let Some(k) = &e.kind {
                    lines.push(Line::styled(
                        neutralize(k, false).into_owned(),
                        theme.style(Role::Error),
                    ));
                }
                if let Some(m) = &e.message {
                    lines.extend(body(m));
                }
                if let Some(st) = &e.stacktrace {
                    lines.push(Line::raw(""));
                    lines.push(heading(theme, "stack trace"));
                    lines.extend(body(st));
                }
            }
            None => lines.push(muted("no error")),
        },
        Tab::Raw => {
            for r in &d.raw {
                lines.extend(body(r));
            }
            if d.raw.is_empty() {
                lines.push(muted("no record"));
            }
        }
    }
    wrap_lines(lines, &hangs, usize::from(width))
}
