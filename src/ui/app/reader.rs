//! The reader view (`r` in the waterfall): the selected trace as a transcript of its LM and
//! tool calls, in the order they started. Opening it asks the loop to decode the calls' texts
//! (`Effect::ReadTranscript`); the keys scroll it and move between rows that say the filter's
//! text, as in the detail.

use super::{App, Mode};
use crate::analysis::transcript::{Said, Turn};
use crate::model::TraceIdx;
use crate::model::store::Remap;
use crate::ui::action::Action;
use crate::ui::effect::Effect;
use crate::ui::state::found::rows_with;
use ratatui::layout::Rect;

impl App {
    /// `r`: read the selected trace (again: close).
    pub(crate) fn open_reader(&mut self) {
        if self.mode == Mode::Reader {
            self.close_reader();
            return;
        }
        let Some(t) = self.selected_trace() else {
            self.message = Some("select a trace to read".into());
            return;
        };
        self.reader.clear();
        self.reader.trace = Some(t);
        self.mode = Mode::Reader;
        self.effects.push(Effect::ReadTranscript(t));
    }

    pub(crate) fn close_reader(&mut self) {
        self.reader.clear();
        if self.mode == Mode::Reader {
            self.mode = Mode::Normal;
        }
    }

    /// The texts of trace `t`'s calls, decoded (`perform`).
    pub fn on_transcript(&mut self, t: TraceIdx, turns: Vec<(Turn, Said)>) {
        if self.reader.trace == Some(t) {
            self.reader.turns = Some(turns);
        }
    }

    /// The store was compacted: the trace read moved (or was evicted: the view closes).
    pub(super) fn remap_reader(&mut self, remap: &Remap) {
        let Some(t) = self.reader.trace else { return };
        match remap.trace(t) {
            // the calls hold span indexes: read them again
            Some(n) => {
                let scroll = self.reader.scroll;
                self.reader.clear();
                self.reader.trace = Some(n);
                self.reader.scroll = scroll;
                self.effects.push(Effect::ReadTranscript(n));
            }
            None => {
                self.close_reader();
                self.message = Some("the trace being read was evicted".into());
            }
        }
    }

    /// The layout gave the view `rows`: wrap the transcript to its width, keep the scroll
    /// within it.
    pub(super) fn reader_layout(&mut self, rows: Rect) {
        self.reader.page = rows.height;
        let text = self.reader.text(&self.store, self.theme, rows.width);
        let max = text.lines.len().saturating_sub(usize::from(rows.height));
        self.reader.scroll = self
            .reader
            .scroll
            .min(u16::try_from(max).unwrap_or(u16::MAX));
    }

    pub(crate) fn reader_update(&mut self, action: Action) {
        self.message = None;
        let page = self.reader.page.max(1);
        let r = &mut self.reader;
        match action {
            Action::Down => r.scroll = r.scroll.saturating_add(1),
            Action::Up => r.scroll = r.scroll.saturating_sub(1),
            Action::PageDown => r.scroll = r.scroll.saturating_add(page),
            Action::PageUp => r.scroll = r.scroll.saturating_sub(page),
            Action::First => r.scroll = 0,
            // the layout brings it back to the last page
            Action::Last => r.scroll = u16::MAX / 2,
            Action::NextMatch | Action::NextFound => self.reader_match(true),
            Action::PrevMatch | Action::PrevFound => self.reader_match(false),
            Action::Quit => self.run_command("q"),
            Action::Help => self.open_help(),
            Action::OpenSearch | Action::OpenFilter => {
                // a text typed in the filter (text:"…") is marked here, n / N go to it
                self.reader.filtering = true;
                self.reader.mark = None;
                self.open_bar(Mode::Filter, &self.query_text.clone());
            }
            Action::Back | Action::ToggleReader => self.close_reader(),
            _ => {}
        }
    }

    /// `n` / `N`: the next (or previous) row that says the filter's text, from the row the
    /// last move went to, else from the top row shown; round the end.
    fn reader_match(&mut self, forward: bool) {
        let Some(lower) = self.sought().map(str::to_string) else {
            self.message =
                Some("n and N move between the filter's text: filter with text:\"…\"".into());
            return;
        };
        let width = if self.reader.width == 0 {
            80
        } else {
            self.reader.width
        };
        let rows = rows_with(self.reader.text(&self.store, self.theme, width), &lower);
        let from = self.reader.mark;
        let top = usize::from(self.reader.scroll);
        let pick = match (forward, from) {
            (true, Some(m)) => rows.iter().copied().find(|&r| r > m),
            (true, None) => rows.iter().copied().find(|&r| r >= top),
            (false, Some(m)) => rows.iter().copied().rev().find(|&r| r < m),
            (false, None) => rows.iter().copied().rev().find(|&r| r < top),
        };
        let around = if forward { rows.first() } else { rows.last() };
        match pick.or(around.copied()) {
            Some(row) => {
                self.reader.scroll = u16::try_from(row).unwrap_or(u16::MAX);
                self.reader.mark = Some(row);
            }
            None => {
                self.message = Some(format!(
                    "\"{}\" is not in this trace's calls",
                    crate::text::truncate(&lower, 40)
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::ui::testing::*;

    /// The ReAct request that recovered from its timed-out weather tool, read: three LM calls
    /// and two tools, in time order, with their texts.
    fn react() -> App {
        let mut a = app("dspy-callback-jsonl");
        select(&mut a, "b125e33e");
        run(&mut a, &[Action::Enter]);
        assert_eq!(a.focus, Focus::Waterfall);
        a
    }

    #[test]
    fn r_in_the_waterfall_reads_a_react_run_call_by_call() {
        let mut a = react();
        run(&mut a, &[Action::ToggleReader]);
        assert_eq!(a.mode, Mode::Reader);
        let turns = a.reader.turns.as_ref().expect("decoded");
        assert_eq!(turns.len(), 5);
        insta::assert_snapshot!("reader_react_80x24", screen(&mut a, 80, 24));
        insta::assert_snapshot!("reader_react_160x40", screen(&mut a, 160, 40));
        // the tool's arguments and its error further down
        let all = a.reader.shown().expect("made").clone();
        let text: Vec<String> = all
            .lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect();
        let at = |needle: &str| {
            text.iter()
                .position(|l| l.contains(needle))
                .unwrap_or_else(|| panic!("{needle} not in {text:#?}"))
        };
        let tool = at("2 · tool call · Tool.get_weather");
        assert!(at("1 · LM call · DummyLM") < tool);
        assert_eq!(text[tool + 1], "arguments");
        assert!(
            text[tool + 2..tool + 8]
                .iter()
                .any(|l| l.contains("\"city\": \"Paris\""))
        );
        assert!(tool < at("TimeoutError: weather service"));
        assert!(at("TimeoutError: weather service") < at("3 · LM call · DummyLM"));
        assert!(at("4 · tool call · Tool.finish") < at("5 · LM call · DummyLM"));
        // every row fits the width
        assert!(all.lines.iter().all(|l| l.width() <= 160));
        // the failed tool call, its arguments and error, and the next LM call
        a.reader.scroll = u16::try_from(at("2 · tool call") - 1).expect("a row");
        insta::assert_snapshot!("reader_react_tool_call_160x40", screen(&mut a, 160, 40));
        // r again closes, back to the waterfall
        run(&mut a, &[Action::ToggleReader]);
        assert_eq!(a.mode, Mode::Normal);
        assert_eq!(a.focus, Focus::Waterfall);
        assert!(a.reader.trace.is_none());
    }

    #[test]
    fn a_compaction_that_moves_the_trace_being_read_reads_it_at_its_new_place() {
        let mut a = react();
        run(&mut a, &[Action::ToggleReader]);
        let old = a.reader.trace.expect("reading");
        let total = a.store.trace_rows();
        assert!(old.0 > 0, "the trace must have older ones to evict");
        // the traces before it go: it moves to the first row
        a.store.set_retention(crate::model::store::Retention {
            max_traces: Some(total - old.0 as usize),
            max_bytes: None,
        });
        let remap = a.store.compact();
        a.remap(&remap);
        let moved = remap.trace(old).expect("kept");
        assert_ne!(moved, old);
        assert_eq!(a.reader.trace, Some(moved));
        settle(&mut a);
        let text = screen(&mut a, 80, 24);
        assert_eq!(a.reader.turns.as_ref().map(Vec::len), Some(5), "{text}");
        assert!(text.contains("1 · LM call · DummyLM"), "{text}");
    }

    #[test]
    fn the_reader_scrolls_and_stops_at_its_last_page() {
        let mut a = react();
        run(&mut a, &[Action::ToggleReader]);
        screen(&mut a, 80, 24);
        run(&mut a, &[Action::Down, Action::Down]);
        assert_eq!(a.reader.scroll, 2);
        run(&mut a, &[Action::PageDown]);
        assert_eq!(a.reader.scroll, 2 + a.reader.page);
        run(&mut a, &[Action::Last]);
        let shown = screen(&mut a, 80, 24);
        let total = a.reader.shown().expect("made").lines.len();
        assert_eq!(
            usize::from(a.reader.scroll),
            total - usize::from(a.reader.page)
        );
        assert!(shown.contains(&format!("of {total}")), "{shown}");
        run(&mut a, &[Action::First]);
        assert_eq!(a.reader.scroll, 0);
        run(&mut a, &[Action::Back]);
        assert_eq!(a.mode, Mode::Normal);
    }

    /// n and N move between the rows that say the filter's text, as in the detail, and go
    /// round the end.
    #[test]
    fn n_and_n_move_between_the_filters_text() {
        let mut a = react();
        run(&mut a, &[Action::ToggleReader, Action::NextMatch]);
        assert!(
            a.message
                .as_deref()
                .is_some_and(|m| m.starts_with("n and N move between"))
        );
        run(&mut a, &[Action::Back]);
        a.run_command("filter text:\"Paris\"");
        a.prepare();
        settle(&mut a);
        select(&mut a, "b125e33e");
        run(&mut a, &[Action::Enter, Action::ToggleReader]);
        screen(&mut a, 80, 24);
        let text = a.reader.shown().expect("made").clone();
        let rows = crate::ui::state::found::rows_with(&text, "paris");
        assert!(rows.len() > 2, "{rows:?}");
        run(&mut a, &[Action::NextMatch]);
        assert_eq!(usize::from(a.reader.scroll), rows[0]);
        run(&mut a, &[Action::NextMatch]);
        assert_eq!(a.reader.mark, Some(rows[1]));
        run(&mut a, &[Action::PrevMatch, Action::PrevMatch]);
        assert_eq!(a.reader.mark, Some(*rows.last().expect("rows")));
        let shown = screen(&mut a, 80, 24);
        assert!(shown.contains("Paris"), "{shown}");
    }

    /// `/` in the reader opens the filter bar over it; the text typed there is marked and
    /// `n` goes to it; closing the bar comes back to the reader.
    #[test]
    fn slash_in_the_reader_filters_and_comes_back() {
        let mut a = react();
        run(&mut a, &[Action::ToggleReader, Action::OpenSearch]);
        assert_eq!(a.mode, Mode::Filter);
        assert_eq!(a.view_mode(), Mode::Reader);
        type_text(&mut a, "text:\"weather service\"");
        a.input_submit();
        settle(&mut a);
        assert_eq!(a.mode, Mode::Reader);
        run(&mut a, &[Action::NextMatch]);
        let text = a.reader.shown().expect("made").clone();
        let row = usize::from(a.reader.scroll);
        let said = crate::ui::state::found::row_text(&text.lines[row]);
        assert!(said.contains("weather service"), "{said}");
        // Esc in the bar comes back too
        run(&mut a, &[Action::OpenFilter]);
        a.input_cancel();
        assert_eq!(a.mode, Mode::Reader);
    }

    #[test]
    fn the_demo_read_at_80x24_and_160x40() {
        let mut a = demo_app("");
        run(&mut a, &[Action::Enter]);
        run(&mut a, &[Action::ToggleReader]);
        assert_eq!(a.mode, Mode::Reader);
        insta::assert_snapshot!("reader_demo_80x24", screen(&mut a, 80, 24));
        insta::assert_snapshot!("reader_demo_160x40", screen(&mut a, 160, 40));
    }

    /// An inspect_history entry is one LM call: the reader shows each message and the
    /// response.
    #[test]
    fn an_inspect_history_entry_reads_as_its_messages_and_response() {
        let mut a = app("dspy-inspect-history");
        select(&mut a, "02457e64");
        run(&mut a, &[Action::Enter, Action::ToggleReader]);
        let shown = screen(&mut a, 100, 60);
        for needle in [
            "1 · LM call · question -> answer",
            "system",
            "assistant",
            "response",
        ] {
            assert!(shown.contains(needle), "{needle} not in\n{shown}");
        }
        let text = a.reader.shown().expect("made").clone();
        for needle in [
            "Which planet is closest",
            "And the next one?",
            "Venus is second",
        ] {
            assert!(
                !crate::ui::state::found::rows_with(&text, &needle.to_lowercase()).is_empty(),
                "{needle}"
            );
        }
    }

    #[test]
    fn the_help_lists_the_readers_keys_from_the_key_table() {
        let mut a = react();
        run(&mut a, &[Action::ToggleReader, Action::Help]);
        assert_eq!(a.mode, Mode::Help);
        let help = format!("{:?}", a.help_sections());
        assert!(
            help.contains("Reading a trace (r in the waterfall)"),
            "{help}"
        );
        assert!(
            help.contains("Read the trace as its LM and tool calls"),
            "{help}"
        );
        run(&mut a, &[Action::Back]);
        assert_eq!(a.mode, Mode::Reader);
    }
}
