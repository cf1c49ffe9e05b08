//! The conversations view (`:sessions`, `C`): the conversations the listed traces are turns
//! of, one row each; `Enter` reads one as a transcript (each turn's input and final answer),
//! `Enter` on a turn opens its trace in the waterfall, `Esc` goes back. The texts are decoded by
//! the loop (`Effect::ReadFirstQuestions`, `Effect::ReadConversation`).

use super::{App, Focus, Mode};
use crate::analysis::sessions::{self, root_of};
use crate::ingest::texts::SpanDetail;
use crate::model::SpanIdx;
use crate::model::store::Remap;
use crate::ui::action::Action;
use crate::ui::effect::Effect;
use crate::ui::state::sessions::Opened;
use ratatui::layout::Rect;

/// What the view says when no listed trace is a turn of a conversation.
const NO_CONVERSATION: &str = "no listed trace is a turn of a conversation (session.id, \
    gen_ai.conversation.id, MLflow's session, a dspy.History input, or --session-key KEY)";

impl App {
    /// `:sessions` or `C` (again: close).
    pub(crate) fn toggle_sessions(&mut self) {
        if self.mode == Mode::Sessions {
            self.sessions.open = None;
            self.mode = Mode::Normal;
            return;
        }
        self.sessions.open = None;
        self.sessions.built_for = None;
        self.prepare_sessions();
        if self.sessions.convs.is_empty() {
            self.message = Some(NO_CONVERSATION.into());
            return;
        }
        self.message = None;
        self.mode = Mode::Sessions;
    }

    /// Make the conversations again when the list changed, keeping the selected one selected,
    /// and ask for the first questions of a new set.
    pub(crate) fn prepare_sessions(&mut self) {
        let Some(view) = self.view.key().cloned() else {
            return;
        };
        if self.sessions.built_for.as_ref() == Some(&view) {
            return;
        }
        let st = &mut self.sessions;
        let was = st.convs.get(st.scroll.selected).map(|c| c.session);
        st.convs = sessions::conversations(&self.store, &self.view.rows);
        if let Some(i) = was.and_then(|s| st.convs.iter().position(|c| c.session == s)) {
            st.scroll.selected = i;
        }
        st.scroll.clamp(st.convs.len());
        st.first_roots = st
            .convs
            .iter()
            .map(|c| c.turns.first().and_then(|&t| root_of(&self.store, t)))
            .collect();
        let unread: Vec<SpanIdx> = st
            .first_roots
            .iter()
            .flatten()
            .filter(|r| !st.firsts.contains_key(r))
            .copied()
            .collect();
        if !unread.is_empty() {
            self.effects.push(Effect::ReadFirstQuestions(unread));
        }
        st.built_for = Some(view);
    }

    /// The details of first turns' roots `roots`: their inputs are first questions.
    pub fn on_first_questions(&mut self, roots: &[SpanIdx], details: &[SpanDetail]) {
        for (&r, d) in roots.iter().zip(details) {
            self.sessions.firsts.insert(r, sessions::input_of(d));
        }
    }

    /// The details of an opened conversation's turns' roots.
    pub fn on_conversation(&mut self, roots: &[SpanIdx], details: &[SpanDetail]) {
        if let Some(o) = self.sessions.open.as_mut().filter(|o| o.roots == roots) {
            o.turns = Some(sessions::transcript(&self.store, &o.conv, roots, details));
        }
    }

    /// The store was compacted: the conversations hold trace, span and string indexes. The
    /// list is made again; an opened conversation is read again, with the turns kept, when
    /// one of its turns is (found by that turn's session, its string having moved too).
    pub(super) fn remap_sessions(&mut self, remap: &Remap) {
        let first = self
            .sessions
            .open
            .as_ref()
            .and_then(|o| o.conv.turns.iter().find_map(|&t| remap.trace(t)));
        let was_open = self.sessions.open.take().is_some();
        self.sessions.convs.clear();
        self.sessions.first_roots.clear();
        self.sessions.firsts.clear();
        self.sessions.built_for = None;
        if self.mode != Mode::Sessions {
            return;
        }
        self.prepare_sessions();
        let session = first.and_then(|t| self.store.columns().session(t.0 as usize));
        match session.and_then(|s| self.sessions.convs.iter().position(|c| c.session == s)) {
            Some(i) if was_open => {
                self.sessions.scroll.selected = i;
                self.open_conversation();
            }
            None if was_open => {
                self.message = Some("the conversation being read was evicted".into());
            }
            _ => {}
        }
    }

    /// The layout gave the view `rows`: the list's page, or the transcript's width and page
    /// (its scroll kept within it).
    pub(super) fn sessions_layout(&mut self, rows: Rect) {
        let h = usize::from(rows.height);
        let Some(o) = self.sessions.open.as_mut() else {
            if h > 0 {
                self.sessions.page = h;
                self.sessions.scroll.follow(h);
            }
            return;
        };
        o.page = h;
        o.width = rows.width;
        let (text, _) = o.text(self.theme, rows.width);
        o.scroll = o.scroll.min(text.lines.len().saturating_sub(h.max(1)));
    }

    pub(crate) fn sessions_update(&mut self, action: Action) {
        if self.sessions.open.is_some() {
            self.conversation_update(action);
            return;
        }
        let len = self.sessions.convs.len();
        if self
            .sessions
            .scroll
            .on_action(action, len, self.sessions.page)
        {
            return;
        }
        match action {
            Action::Quit => self.run_command("q"),
            Action::Enter => self.open_conversation(),
            Action::ToggleSlow => self.slow_only = !self.slow_only,
            Action::ToggleFailed => self.failed_only = !self.failed_only,
            Action::Back | Action::ToggleSessions => self.mode = Mode::Normal,
            Action::Help => self.open_help(),
            _ => {}
        }
        self.prepare();
    }

    /// `Enter` on a conversation: read its turns' texts.
    fn open_conversation(&mut self) {
        let Some(conv) = self
            .sessions
            .convs
            .get(self.sessions.scroll.selected)
            .cloned()
        else {
            return;
        };
        let roots = sessions::roots(&self.store, &conv);
        self.effects.push(Effect::ReadConversation(roots.clone()));
        self.sessions.open = Some(Opened::new(conv, roots));
    }

    fn conversation_update(&mut self, action: Action) {
        let Some(o) = self.sessions.open.as_mut() else {
            return;
        };
        let turns = o.conv.turns.len();
        let page = o.page.max(1);
        let (text, heads) = o.text(self.theme, o.width);
        let last_top = text.lines.len().saturating_sub(page);
        let to_turn = |o: &mut Opened, n: usize| {
            o.selected = n.min(turns.saturating_sub(1));
            if let Some(&row) = heads.get(o.selected) {
                o.scroll = row.min(last_top);
            }
        };
        match action {
            Action::Down => to_turn(o, o.selected + 1),
            Action::Up => to_turn(o, o.selected.saturating_sub(1)),
            Action::PageDown => o.scroll = (o.scroll + page).min(last_top),
            Action::PageUp => o.scroll = o.scroll.saturating_sub(page),
            Action::First => to_turn(o, 0),
            Action::Last => {
                to_turn(o, turns);
                o.scroll = last_top;
            }
            Action::Enter => self.open_turn(),
            Action::Back => self.sessions.open = None,
            Action::ToggleSessions => {
                self.sessions.open = None;
                self.mode = Mode::Normal;
            }
            Action::Quit => self.run_command("q"),
            Action::Help => self.open_help(),
            _ => {}
        }
    }

    /// `Enter` on a turn: its trace in the waterfall (the filter cleared if it hid it).
    fn open_turn(&mut self) {
        let Some(t) = self
            .sessions
            .open
            .as_ref()
            .and_then(|o| o.conv.turns.get(o.selected).copied())
        else {
            return;
        };
        let id = self.store.trace_id(t).to_string();
        self.mode = Mode::Normal;
        self.goto(&id);
        self.focus = Focus::Waterfall;
        self.sessions.turn_opened = Some(id);
    }

    /// `Esc` in the waterfall: whether it goes back to the transcript the trace was opened
    /// from (the trace shown is still that turn's, and the transcript is still open).
    pub(super) fn back_to_conversation(&mut self) -> bool {
        let Some(id) = self.sessions.turn_opened.take() else {
            return false;
        };
        let same = self
            .selected_trace()
            .is_some_and(|t| self.store.trace_id(t) == id.as_str());
        if same && self.sessions.open.is_some() {
            self.mode = Mode::Sessions;
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use crate::ui::testing::*;

    /// Two conversations (three turns and two) of a chat program under the DSPy writer, with
    /// `dspy.History` inputs, and a trace of no conversation.
    pub(crate) fn chat() -> App {
        app("conversations/dspy-history.jsonl")
    }

    #[test]
    fn sessions_lists_conversations_and_reads_one_turn_by_turn() {
        let mut a = chat();
        assert_eq!(a.view.rows.len(), 6);
        a.run_command("sessions");
        assert_eq!(a.mode, Mode::Sessions);
        assert_eq!(a.sessions.convs.len(), 2);
        insta::assert_snapshot!("sessions_at_80x24", screen(&mut a, 80, 24));
        let firsts: Vec<_> = (0..2).map(|i| a.sessions.first(i)).collect();
        assert_eq!(
            firsts,
            [
                Some(Some("What is the longest river in Europe?")),
                Some(Some("What is the capital of France?"))
            ]
        );
        run(&mut a, &[Action::Down, Action::Enter]);
        let _ = screen(&mut a, 80, 24);
        let o = a.sessions.open.as_ref().unwrap();
        assert_eq!(o.conv.turns.len(), 3);
        insta::assert_snapshot!("conversation_at_80x24", screen(&mut a, 80, 24));
        // the third turn, then its trace in the waterfall
        run(&mut a, &[Action::Down, Action::Down]);
        assert_eq!(a.sessions.open.as_ref().unwrap().selected, 2);
        let third = a.sessions.open.as_ref().unwrap().conv.turns[2];
        run(&mut a, &[Action::Enter]);
        assert_eq!((a.mode, a.focus), (Mode::Normal, Focus::Waterfall));
        assert_eq!(a.selected_trace(), Some(third));
        // Esc goes back: from the turn's trace to the transcript, from a transcript to the
        // list, from the list to the traces
        run(&mut a, &[Action::Back]);
        assert_eq!(a.mode, Mode::Sessions);
        assert_eq!(a.sessions.open.as_ref().map(|o| o.selected), Some(2));
        run(&mut a, &[Action::Enter, Action::PrevPane, Action::Down]);
        if a.selected_trace() == Some(third) {
            run(&mut a, &[Action::Up]);
        }
        run(&mut a, &[Action::NextPane]);
        assert_ne!(a.selected_trace(), Some(third), "another trace");
        run(&mut a, &[Action::Back]);
        assert_eq!(
            (a.mode, a.focus),
            (Mode::Normal, Focus::List),
            "Esc from another trace's waterfall is the list's"
        );
        a.run_command("sessions");
        run(&mut a, &[Action::Enter]);
        assert!(a.sessions.open.is_some());
        run(&mut a, &[Action::Back]);
        assert_eq!(
            (a.mode, a.sessions.open.is_none(), a.message.clone()),
            (Mode::Sessions, true, None)
        );
        run(&mut a, &[Action::Back]);
        assert_eq!(a.mode, Mode::Normal);
    }

    #[test]
    fn a_conversation_being_read_keeps_its_turns_that_survive_eviction() {
        let mut a = chat();
        a.run_command("sessions");
        run(&mut a, &[Action::Enter]);
        let _ = screen(&mut a, 80, 24);
        assert_eq!(a.sessions.open.as_ref().unwrap().conv.turns.len(), 2);
        // the three oldest traces go: the first turn of each conversation and the second of one
        a.store.set_retention(crate::model::store::Retention {
            max_traces: Some(3),
            max_bytes: None,
        });
        let remap = a.store.compact();
        a.remap(&remap);
        settle(&mut a);
        let text = screen(&mut a, 80, 24);
        let o = a.sessions.open.as_ref().unwrap();
        assert_eq!(o.conv.turns.len(), 1, "{text}");
        let turns = o.turns.as_ref().unwrap();
        assert_eq!(
            turns[0].input.as_deref(),
            Some("Into which sea does it flow?")
        );
        assert!(text.contains("The Caspian Sea"), "{text}");
        assert_eq!(a.sessions.convs.len(), 2);
        let firsts: Vec<_> = (0..2).map(|i| a.sessions.first(i)).collect();
        assert!(
            firsts.iter().all(|f| f.is_some_and(|q| q.is_some())),
            "{firsts:?}"
        );
    }

    #[test]
    fn without_conversations_the_view_says_why_instead_of_opening() {
        let mut a = app("otlp-jsonl");
        run(&mut a, &[Action::ToggleSessions]);
        assert_eq!(a.mode, Mode::Normal);
        assert!(
            a.message
                .as_deref()
                .is_some_and(|m| m.starts_with("no listed trace is a turn"))
        );
    }

    #[test]
    fn the_list_follows_the_filter_and_a_long_answer_wraps() {
        let mut a = chat();
        a.run_command("filter session:dspy-8fe");
        run(&mut a, &[Action::ToggleSessions]);
        assert_eq!(a.sessions.convs.len(), 1);
        run(&mut a, &[Action::Enter]);
        let text = screen(&mut a, 40, 24);
        assert!(text.contains("The Caspian Sea"), "{text}");
        assert!(
            text.lines()
                .all(|l| l.trim_matches('"').chars().count() <= 40)
        );
    }
}
