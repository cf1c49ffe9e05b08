//! The filter's text searches: a `text:` term (or a quoted phrase) is searched for in the
//! payloads on a thread of its own (`Effect::SearchText`); what it finds streams into the list
//! as it comes, a new text cancels it, and records added later are searched when they arrive.

use super::App;
use crate::model::{TextHit, TraceIdx};
use crate::query::Matcher;
use crate::ui::effect::Effect;
use crate::ui::state::detail::{Tab, tab_text};
use crate::ui::state::found::{rows_with, tab_of};
use crate::ui::state::text::Running;

/// How long, in the app's clock, records that keep arriving wait before a search of what was
/// added: a followed log is searched about once a second, not on every batch.
const AGAIN_AFTER: crate::model::Nanos = 1_000_000_000;

impl App {
    /// Bring the text searches in line with the query: forget texts it no longer has, take what
    /// the running search sent, and start the next search one of its texts needs (its first, or
    /// of records added since). Called before the list is rebuilt.
    pub(super) fn prepare_text(&mut self) {
        let wanted: Vec<String> = self
            .query
            .texts()
            .iter()
            .map(|t| (*t).to_string())
            .collect();
        let refs: Vec<&str> = wanted.iter().map(String::as_str).collect();
        self.text.keep(&refs);
        self.poll_text();
        if self.text.running.is_some() {
            return;
        }
        let generation = self.store.generation();
        for text in wanted {
            let again = match self.text.searched_at.get(&text) {
                None => true,
                Some(&(g, at)) => g != generation && self.now >= at + AGAIN_AFTER,
            };
            if again {
                self.text
                    .searched_at
                    .insert(text.clone(), (generation, self.now));
                let since = self.text.ends.get(&text).cloned().unwrap_or_default();
                self.effects.push(Effect::SearchText { text, since });
                return;
            }
        }
    }

    /// A search started on its own thread (`perform`).
    pub fn on_search_started(&mut self, running: Running) {
        self.text.cancel();
        self.text.running = Some(running);
    }

    /// Take what the running search sent; `true` when the list may change (the loop redraws).
    pub fn poll_text(&mut self) -> bool {
        let changed = self.text.poll();
        if let Some(why) = self.text.failed.take() {
            self.message = Some(why);
        }
        changed
    }

    /// Whether a text search is under way (the loop keeps drawing its progress).
    #[must_use]
    pub fn searching(&self) -> bool {
        self.text.running.is_some()
    }

    /// The text the filter looks for (its first `text:` term or quoted phrase that is not
    /// negated): what the detail highlights and `n` / `N` move between.
    #[must_use]
    pub fn sought(&self) -> Option<&str> {
        self.query.sought_text()
    }

    /// Where the filter's text was found in trace `t`: the span and the field.
    #[must_use]
    pub fn text_hit(&self, t: TraceIdx) -> Option<TextHit> {
        self.sought()?;
        Matcher::new(&self.store, &self.query)
            .with_text(&self.text.hits)
            .text_hit(t)
    }

    /// A trace found by its text is opened on the span and the tab that say it.
    pub(super) fn open_on_hit(&mut self, t: TraceIdx) -> Option<usize> {
        let hit = self.text_hit(t)?;
        let wf = self.wf.layout.as_ref()?;
        let row = self
            .wf
            .visible
            .iter()
            .position(|&v| wf.span(&wf.rows[v]) == hit.span)?;
        self.detail.tab_index = tab_of(&hit.field).index();
        self.detail.scroll = 0;
        Some(row)
    }

    /// `n` / `N` in the detail: the next (or previous) row that says the filter's text, in the
    /// open tab, then in the tabs after (or before) it.
    pub(super) fn detail_match(&mut self, forward: bool) {
        let Some(lower) = self.sought().map(str::to_string) else {
            self.message =
                Some("n and N move between the filter's text: filter with text:\"…\"".into());
            return;
        };
        let width = if self.detail.width == 0 {
            80
        } else {
            self.detail.width
        };
        let here = self.detail.tab().index();
        let n = Tab::ALL.len();
        // from the row the last move went to, else from the top row shown (which counts)
        let mark = self
            .detail
            .mark
            .filter(|&(s, t, _)| Some(s) == self.detail.span && t.index() == here)
            .map(|(_, _, r)| r);
        for step in 0..=n {
            let tab = if forward {
                (here + step) % n
            } else {
                (here + n - step % n) % n
            };
            let text = tab_text(
                &self.store,
                self.theme,
                self.detail.span,
                self.detail.detail.as_ref(),
                Tab::ALL[tab],
                width,
            );
            let rows = rows_with(&text, &lower);
            let scroll = usize::from(self.detail.scroll);
            let pick = match (step, forward, mark) {
                (0, true, Some(m)) => rows.into_iter().find(|&r| r > m),
                (0, true, None) => rows.into_iter().find(|&r| r >= scroll),
                (0, false, Some(m)) => rows.into_iter().rev().find(|&r| r < m),
                (0, false, None) => rows.into_iter().rev().find(|&r| r < scroll),
                (_, true, _) => rows.first().copied(),
                (_, false, _) => rows.last().copied(),
            };
            if let Some(row) = pick {
                if step == n && mark == Some(row) {
                    // the only row that says it, where it already is
                    return;
                }
                self.detail.tab_index = tab;
                self.detail.scroll = u16::try_from(row).unwrap_or(u16::MAX);
                self.detail.mark = self.detail.span.map(|s| (s, Tab::ALL[tab], row));
                return;
            }
        }
        self.message = Some(format!(
            "\"{}\" is not in this span's texts",
            crate::text::truncate(&lower, 40)
        ));
    }

    /// Wait for the running search to end and take all it found (tests, and a caller that
    /// must see the whole answer).
    pub fn wait_text(&mut self) {
        while self.text.running.is_some() {
            self.text.wait();
            self.poll_text();
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::ui::testing::*;
    use std::sync::atomic::Ordering;

    fn listed(a: &App) -> Vec<String> {
        a.view
            .rows
            .iter()
            .map(|&t| a.store.trace_id(t).to_string())
            .collect()
    }

    #[test]
    fn a_quoted_phrase_typed_in_the_filter_finds_the_request_that_said_it() {
        let mut a = app("otlp-jsonl");
        run(&mut a, &[Action::OpenFilter]);
        type_text(&mut a, "\"Model Overloaded\"");
        a.prepare();
        settle(&mut a);
        assert_eq!(listed(&a), ["423c3874e36efb15b358744b00af9623"]);
        assert!(!a.searching());
        let screen = screen(&mut a, 120, 20);
        assert!(screen.contains("1 of 15 traces"), "{screen}");
    }

    #[test]
    fn a_new_text_cancels_the_search_under_way() {
        let mut a = app("otlp-jsonl");
        a.query = crate::query::parse("text:paris").expect("parses");
        a.prepare();
        // start it as the loop does, without waiting for it
        perform::settle(&mut a, &effect::NoPrinters, &mut |c| c.what.clone());
        let first = a.text.running.as_ref().map(|r| r.control.clone());
        let Some(first) = first else {
            panic!("a search runs")
        };
        a.query = crate::query::parse("text:berlin").expect("parses");
        a.prepare();
        assert!(
            first.cancel.load(Ordering::Relaxed),
            "the old search is told to stop"
        );
        settle(&mut a);
        assert!(a.text.hits.found("paris").is_none());
        assert!(a.text.hits.found("berlin").is_some_and(|f| f.complete));
    }

    #[test]
    fn texts_typed_over_the_same_index_share_one_snapshot_of_it() {
        let mut a = app("otlp-jsonl");
        let snapshot = |a: &mut App, text: &str| {
            a.query = crate::query::parse(text).expect("parses");
            a.prepare();
            settle(a);
            a.text
                .corpus
                .as_ref()
                .map(|(_, c)| std::sync::Arc::clone(c))
                .expect("taken")
        };
        let first = snapshot(&mut a, "text:paris");
        let second = snapshot(&mut a, "text:berlin");
        assert!(std::sync::Arc::ptr_eq(&first, &second));
        // a new trace: a new snapshot for the next text
        arrive(&mut a, "late1");
        let third = snapshot(&mut a, "text:rome");
        assert!(!std::sync::Arc::ptr_eq(&first, &third));
        assert_eq!(third.records(), first.records() + 1);
    }

    #[test]
    fn records_that_arrive_later_are_searched_once_the_clock_moves() {
        let mut a = app("otlp-jsonl");
        a.query = crate::query::parse("text:arrived").expect("parses");
        a.prepare();
        settle(&mut a);
        assert!(listed(&a).is_empty());
        arrive(&mut a, "late1");
        a.prepare();
        settle(&mut a);
        // a name says it at once; the payloads are searched again a second later
        assert_eq!(listed(&a), ["late1"]);
        a.now += 2_000_000_000;
        a.prepare();
        perform::settle(&mut a, &effect::NoPrinters, &mut |c| c.what.clone());
        assert!(
            a.text.running.as_ref().is_some_and(|r| !r.whole),
            "only what was added is searched"
        );
        settle(&mut a);
        assert!(!a.searching());
    }
}

#[cfg(test)]
mod detail_tests {
    use crate::ui::state::detail::Tab;
    use crate::ui::state::found::{find_ci, row_text, tab_of};
    use crate::ui::testing::*;

    /// The demo's request that hit the overloaded model, found by its text and opened.
    fn opened(text: &str) -> App {
        let mut a = app("otlp-jsonl");
        a.query = crate::query::parse(text).expect("parses");
        a.prepare();
        settle(&mut a);
        assert_eq!(a.view.rows.len(), 1, "one request says {text}");
        run(&mut a, &[Action::Enter]);
        let _ = screen(&mut a, 120, 40);
        a
    }

    #[test]
    fn a_trace_found_by_its_text_opens_on_the_span_and_tab_that_say_it() {
        let a = opened("\"model overloaded\"");
        let t = a.selected_trace().expect("a trace");
        let hit = a.text_hit(t).expect("found");
        assert_eq!(a.selected_span(), Some(hit.span));
        assert_eq!(a.detail.tab(), tab_of(&hit.field));
        // the first span in the store's order that says it
        let first = a
            .store
            .trace(t)
            .spans
            .iter()
            .copied()
            .find(|&s| a.store.span(s).is_error())
            .expect("a failed span");
        assert_eq!(hit.span, first, "{:?}", hit.field);
    }

    #[test]
    fn n_and_shift_n_move_between_the_rows_that_say_it_across_tabs() {
        let mut a = opened("\"overloaded\"");
        run(&mut a, &[Action::NextPane]);
        assert_eq!(a.focus, Focus::Detail);
        let mut seen = Vec::new();
        for _ in 0..6 {
            run(&mut a, &[Action::NextFound]);
            assert!(a.message.is_none(), "{:?}", a.message);
            let _ = screen(&mut a, 120, 40);
            let text = a.detail.shown().expect("made").clone();
            let (_, tab, row) = a.detail.mark.expect("a row marked");
            assert_eq!(tab, a.detail.tab());
            let said = row_text(&text.lines[row]);
            assert!(!find_ci(&said, "overloaded").is_empty(), "{said:?}");
            // on screen: the page shows it
            let page = usize::from(a.areas[Focus::Detail.index()].height);
            let top = usize::from(a.detail.scroll);
            assert!((top..top + page).contains(&row), "{top} {page} {row}");
            seen.push((tab, row));
        }
        assert!(
            seen.iter().any(|(t, _)| *t == Tab::Error)
                && seen.iter().any(|(t, _)| *t != Tab::Error),
            "n goes on into the other tabs: {seen:?}"
        );
        let here = a.detail.mark;
        run(&mut a, &[Action::NextFound, Action::PrevFound]);
        assert_eq!(a.detail.mark, here, "N goes back");
    }

    #[test]
    fn without_a_text_n_in_the_detail_says_how_to_get_one() {
        let mut a = app("otlp-jsonl");
        run(&mut a, &[Action::Enter, Action::NextPane]);
        assert_eq!(a.focus, Focus::Detail);
        run(&mut a, &[Action::NextFound]);
        assert!(
            a.message.as_deref().is_some_and(|m| m.contains("text:")),
            "{:?}",
            a.message
        );
    }

    #[test]
    fn the_detail_marks_the_text_it_was_found_by() {
        let mut a = opened("\"model overloaded\"");
        a.theme = Theme::colored();
        let mut term = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
        a.prepare();
        settle(&mut a);
        term.draw(|f| crate::ui::draw(f, &mut a, None))
            .expect("draw");
        let area = a.areas[Focus::Detail.index()];
        let buf = term.backend().buffer();
        let want = a.theme.style(crate::ui::theme::Role::Match);
        let mut marked = String::new();
        for y in area.y..area.y + area.height {
            for x in area.x..area.x + area.width {
                let cell = &buf[(x, y)];
                if cell.fg == want.fg.expect("a colour")
                    && cell.modifier.contains(ratatui::style::Modifier::UNDERLINED)
                {
                    marked.push_str(cell.symbol());
                }
            }
        }
        assert!(
            marked.to_lowercase().contains("model overloaded"),
            "{marked:?}"
        );
    }
}

#[cfg(test)]
mod list_tests {
    use crate::ui::testing::*;

    #[test]
    fn the_list_says_where_each_request_said_it() {
        let mut a = app("otlp-jsonl");
        run(&mut a, &[Action::OpenFilter]);
        type_text(&mut a, "\"paris\"");
        a.input_submit();
        let s = screen(&mut a, 120, 16);
        assert!(s.contains("FOUND IN"), "{s}");
        insta::assert_snapshot!(s);
    }
}
