//! The reader view's state (`r` in the waterfall): the trace read as a transcript of its LM and
//! tool calls, their texts once decoded, the scroll, and the transcript's lines wrapped to the
//! view's width.

use super::detail::wrap_lines;
use crate::analysis::transcript::{Said, Turn};
use crate::model::{SpanKind, Store, TraceIdx};
use crate::text::neutralize;
use crate::ui::theme::{Role, Theme};
use ratatui::text::{Line, Span, Text};

/// The reader view.
#[derive(Debug, Default)]
pub struct ReaderState {
    /// The trace being read.
    pub trace: Option<TraceIdx>,
    /// Its LM and tool calls with what each said, once decoded (`None`: asked of the loop).
    pub turns: Option<Vec<(Turn, Said)>>,
    /// The top row shown.
    pub scroll: u16,
    /// Rows on screen (from the layout).
    pub page: u16,
    /// The width the lines are wrapped to (from the layout).
    pub width: u16,
    /// The row `n` / `N` last moved to: the next move starts there.
    pub mark: Option<usize>,
    /// The filter bar was opened from the reader: closing it comes back here.
    pub filtering: bool,
    /// The lines, and the trace, decoding and width they were made for.
    made: Option<(Key, Text<'static>)>,
}

/// What the lines are made from: the trace, whether its texts are decoded, the width.
type Key = (Option<TraceIdx>, bool, u16);

impl ReaderState {
    /// The transcript's lines wrapped to `width` columns, made again only when the trace, its
    /// texts or the width changed.
    pub fn text(&mut self, store: &Store, theme: Theme, width: u16) -> &Text<'static> {
        self.width = width;
        let key = self.key();
        if self.made.as_ref().is_none_or(|(k, _)| *k != key) {
            let text = transcript_text(store, theme, self.trace, self.turns.as_deref(), width);
            self.made = Some((key, text));
        }
        &self.made.as_ref().expect("made above").1
    }

    /// The lines as [`ReaderState::text`] made them for the current trace and width.
    #[must_use]
    pub fn shown(&self) -> Option<&Text<'static>> {
        let key = self.key();
        self.made
            .as_ref()
            .filter(|(k, _)| *k == key)
            .map(|(_, t)| t)
    }

    fn key(&self) -> Key {
        (self.trace, self.turns.is_some(), self.width)
    }

    /// Forget the trace and its texts (the view closed).
    pub fn clear(&mut self) {
        *self = ReaderState::default();
    }
}

/// The transcript of `trace` (`turns`: its calls and texts, `None` while they are read) in rows
/// of at most `width` columns: a line per call (what, when, how long, tokens, model), then
/// each block it said (a message by role, arguments, response, result, error), indented under
/// its heading.
#[must_use]
pub fn transcript_text(
    store: &Store,
    theme: Theme,
    trace: Option<TraceIdx>,
    turns: Option<&[(Turn, Said)]>,
    width: u16,
) -> Text<'static> {
    let muted = |s: &str| Line::styled(s.to_string(), theme.style(Role::Muted));
    let Some(t) = trace else {
        return Text::from(muted("select a trace"));
    };
    let Some(turns) = turns else {
        return Text::from(muted("reading the calls' texts…"));
    };
    let mut lines: Vec<Line<'static>> = Vec::new();
    let llm = turns
        .iter()
        .filter(|(t, _)| t.kind == SpanKind::Llm)
        .count();
    let name = store
        .trace(t)
        .summary
        .name
        .map_or("—", |n| store.str(n))
        .to_string();
    lines.push(Line::from(vec![
        Span::styled(
            neutralize(&name, false).into_owned(),
            theme.style(Role::Title),
        ),
        Span::styled(
            format!(
                "  {llm} LM call(s), {} tool call(s), in the order they started",
                turns.len() - llm
            ),
            theme.style(Role::Muted),
        ),
    ]));
    if turns.is_empty() {
        lines.push(Line::raw(""));
        lines.push(muted("no LM or tool call in this trace"));
    }
    for (n, (turn, said)) in turns.iter().enumerate() {
        lines.push(Line::raw(""));
        let role = if turn.failed {
            Role::Error
        } else {
            Role::Header
        };
        lines.push(Line::styled(
            format!("── {}", turn.title(store, n)),
            theme.style(role),
        ));
        for (heading, text) in said.blocks() {
            let style = match heading.as_str() {
                "error" | "(unreadable)" => theme.style(Role::Error),
                "response" | "result" => theme.style(Role::TokensOut),
                _ => theme.style(Role::Key),
            };
            lines.push(Line::styled(heading, style));
            for l in neutralize(&text, true).replace('\t', "    ").lines() {
                if l.trim().is_empty() {
                    lines.push(Line::raw(""));
                } else {
                    lines.push(Line::raw(format!("  {l}")));
                }
            }
        }
    }
    wrap_lines(lines, &[], usize::from(width))
}
