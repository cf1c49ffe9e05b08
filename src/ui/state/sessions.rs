//! The conversations view's state (`:sessions`, `C`): the conversations of the listed traces
//! with their first questions once read, the selection, and the conversation opened as a
//! transcript: its turns' texts once read, the turn selected, the scroll, and its lines wrapped
//! to the view's width.

use super::detail::wrap_lines;
use super::scroll::Scroll;
use crate::analysis::sessions::{Conversation, TurnText};
use crate::model::{SpanIdx, TraceStatus};
use crate::text::{human_dur, neutralize};
use crate::ui::theme::{Role, Theme};
use crate::ui::view::ViewKey;
use foldhash::HashMap;
use ratatui::text::{Line, Span, Text};

/// The conversations view.
#[derive(Debug, Default)]
pub struct SessionsState {
    pub convs: Vec<Conversation>,
    /// The root of each conversation's first turn, whose input is its first question.
    pub first_roots: Vec<Option<SpanIdx>>,
    /// The first questions read so far, by root (`None`: nothing recorded); a root not here is
    /// being read. Kept while the list changes, so a new conversation reads only its own.
    pub firsts: HashMap<SpanIdx, Option<String>>,
    pub scroll: Scroll,
    /// Rows on screen (for paging).
    pub page: usize,
    pub(crate) built_for: Option<ViewKey>,
    /// The conversation shown as a transcript (`Enter`).
    pub open: Option<Opened>,
    /// The trace id of the turn `Enter` opened from the transcript: `Esc` from its waterfall
    /// goes back to the transcript.
    pub turn_opened: Option<String>,
}

/// A conversation read as a transcript.
#[derive(Debug)]
pub struct Opened {
    pub conv: Conversation,
    /// Its turns' roots, whose details were asked of the loop.
    pub roots: Vec<SpanIdx>,
    /// Its turns with what each said, once read.
    pub turns: Option<Vec<TurnText>>,
    /// The turn `Enter` opens.
    pub selected: usize,
    /// The top row shown.
    pub scroll: usize,
    /// Rows on screen and the width (from the layout).
    pub page: usize,
    pub width: u16,
}

impl SessionsState {
    /// The first question of conversation `i`: `None` while it is read, `Some(None)` when
    /// nothing was recorded.
    #[must_use]
    pub fn first(&self, i: usize) -> Option<Option<&str>> {
        match self.first_roots.get(i).copied().flatten() {
            Some(r) => self.firsts.get(&r).map(Option::as_deref),
            None => Some(None),
        }
    }
}

impl Opened {
    #[must_use]
    pub fn new(conv: Conversation, roots: Vec<SpanIdx>) -> Self {
        Opened {
            conv,
            roots,
            turns: None,
            selected: 0,
            scroll: 0,
            page: 0,
            width: 80,
        }
    }

    /// The transcript's lines at `width`, and the row each turn's heading is on.
    #[must_use]
    pub fn text(&self, theme: Theme, width: u16) -> (Text<'static>, Vec<usize>) {
        transcript_text(theme, self, width)
    }
}

/// The transcript of `o`: per turn a heading (number, offset, duration, outcome; the selected
/// turn marked), the user's input and the answer (or the error), indented under their labels.
fn transcript_text(theme: Theme, o: &Opened, width: u16) -> (Text<'static>, Vec<usize>) {
    let Some(turns) = &o.turns else {
        let line = Line::styled("reading the turns' texts…", theme.style(Role::Muted));
        return (Text::from(line), Vec::new());
    };
    let width = usize::from(width).max(20);
    let mut rows: Vec<Line<'static>> = Vec::new();
    let mut heads = Vec::with_capacity(turns.len());
    for (n, t) in turns.iter().enumerate() {
        if n > 0 {
            rows.push(Line::raw(""));
        }
        heads.push(rows.len());
        let (glyph, role) = match t.status {
            TraceStatus::Error => ("✗", Role::Error),
            TraceStatus::Running => ("…", Role::Running),
            TraceStatus::Ok => ("✓", Role::Ok),
        };
        let selected = n == o.selected;
        let head = format!(
            "{} turn {} · +{} · {} ",
            if selected { "›" } else { " " },
            n + 1,
            human_dur(t.offset),
            human_dur(t.duration)
        );
        let base = theme.row(selected, true);
        let mut lines = vec![Line::from(vec![
            Span::styled(head, theme.style(Role::Header).patch(base)),
            Span::styled(glyph, theme.style(role).patch(base)),
        ])];
        for (label, text) in t.blocks() {
            let style = match label {
                "error" => theme.style(Role::Error),
                "answer" => theme.style(Role::TokensOut),
                _ => theme.style(Role::Key),
            };
            lines.push(Line::styled(format!("  {label}"), style));
            for l in neutralize(&text, true).replace('\t', "    ").lines() {
                lines.push(Line::raw(format!("    {l}")));
            }
        }
        // wrapped turn by turn: each heading's row is known
        rows.extend(wrap_lines(lines, &[], width).lines);
    }
    (Text::from(rows), heads)
}
