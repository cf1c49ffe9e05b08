//! Following the newest trace as traces arrive (like `less +F` or lnav at the bottom of a log):
//! what pauses it, what resumes it, and whether anything can still arrive at all.

use super::*;

/// What the selection does as traces arrive; the status bar says which.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Follow {
    /// The newest listed trace is selected as traces arrive.
    Following,
    /// Traces still arrive, and the selection stays where the user put it: moving anywhere,
    /// opening or searching a trace, or changing the filter pauses following; `F` (or going to
    /// the newest trace's row) follows again.
    Paused,
    /// Nothing more arrives: the sources were read once (`--no-follow`, a file that cannot be
    /// followed) or have ended.
    Stopped,
}

impl App {
    /// What the selection does as traces arrive.
    #[must_use]
    pub fn follow(&self) -> Follow {
        if !self.live {
            Follow::Stopped
        } else if self.follow_newest && self.paused.is_none() {
            Follow::Following
        } else {
            Follow::Paused
        }
    }

    /// Derive the trace rows that records changed. A trace of more than
    /// [`Store::DERIVED_WHILE_READ`] spans that keeps changing while a source is read or followed
    /// is derived again only once the time its last derive took has passed four times over, not
    /// before every frame: the frames in between show its row as it was. The tick draws a frame
    /// every second, so the row catches up once the trace stops changing, and at once when the
    /// sources end.
    pub(super) fn derive_rows(&mut self) {
        if !self.store.refresh_but_big() {
            return;
        }
        let flowing = self.live || self.store.sources().iter().any(SourceStats::is_reading);
        if flowing
            && self
                .big_derived
                .is_some_and(|(at, took)| at.elapsed() < took * 5)
        {
            return;
        }
        let began = Instant::now();
        self.store.refresh();
        self.big_derived = Some((began, began.elapsed()));
    }

    /// Every source has ended: nothing more will arrive.
    pub fn on_sources_ended(&mut self) {
        self.live = false;
    }

    /// `F`: follow the newest trace (the list unfrozen), or pause.
    pub(super) fn toggle_follow(&mut self) {
        if !self.live {
            self.select_newest();
            self.message =
                Some("stopped: nothing more arrives; the newest trace is selected".into());
            return;
        }
        self.follow_newest = !self.follow_newest;
        if self.follow_newest {
            self.paused = None;
            self.select_newest();
        }
    }

    /// Before a pane's action: one that moves a selection or looks into a trace pauses
    /// following.
    pub(super) fn on_move(&mut self, action: Action) {
        if moves(action) {
            self.follow_newest = false;
        }
    }

    /// After a move to the first or last row of the list: on the newest trace, follow again
    /// (the bottom of a list sorted by start, like the end of a log in lnav).
    pub(super) fn follow_if_newest(&mut self) {
        let newest = self
            .view
            .rows
            .iter()
            .max_by_key(|&&t| self.store.trace(t).seq)
            .copied();
        if self.live && newest.is_some() && newest == self.selected_trace() {
            self.follow_newest = true;
        }
    }

    /// Bring the list up to date with `key`: the same trace stays selected, or the newest when
    /// following. A new filter (`s`, `e`, a bucket, a group; the bar once it closes) pauses
    /// following, with the newest listed trace selected.
    pub(super) fn refresh_list(&mut self, key: ViewKey) {
        // paused: the rows stay as they were until the filter, sort or toggles change (evicted
        // traces leave)
        let frozen = self.paused.is_some()
            && self.view.key().is_some_and(|k| {
                ViewKey {
                    generation: k.generation,
                    ..key.clone()
                } == *k
            });
        if frozen {
            let store = &self.store;
            self.view
                .retain_rows(&mut self.list, |t| store.is_live(t).then_some(t));
        }
        let refiltered = self.view.key().is_some_and(|k| {
            (&k.query, k.slow_only, k.failed_only) != (&key.query, key.slow_only, key.failed_only)
        });
        let selected = self.selected_trace();
        if !frozen
            && self
                .view
                .refresh(&self.store, &self.query, &self.text.hits, key)
        {
            if self.follow_newest {
                self.select_newest();
                // while the filter is typed, its newest trace shows
                self.follow_newest = !refiltered || self.mode == Mode::Filter;
            } else if let Some(t) = selected
                && let Some(i) = self.view.rows.iter().position(|&r| r == t)
            {
                // keep the same trace selected when it is still listed
                self.list.selected = i;
            }
        }
        self.list.clamp(self.view.rows.len());
    }
}

/// Whether an action moves a selection or looks into a trace (and so pauses following).
fn moves(action: Action) -> bool {
    match action {
        Action::Down
        | Action::Up
        | Action::PageDown
        | Action::PageUp
        | Action::First
        | Action::Last
        | Action::Enter
        | Action::NextPane
        | Action::PrevPane
        | Action::Collapse
        | Action::Expand
        | Action::ToggleCollapse
        | Action::NextError
        | Action::PrevError
        | Action::NextMatch
        | Action::NextFound
        | Action::PrevFound
        | Action::PrevMatch
        | Action::OpenSearch
        | Action::ToggleSearchOnly
        | Action::NextTab
        | Action::PrevTab
        | Action::TabPrompt
        | Action::TabResponse
        | Action::TabTokens
        | Action::TabAttributes
        | Action::TabError
        | Action::TabRaw
        | Action::Compare => true,
        // filters pause following where the list is rebuilt (`refresh_list`)
        Action::Quit
        | Action::Back
        | Action::Maximize
        | Action::ToggleSlow
        | Action::ToggleFailed
        | Action::OpenFilter
        | Action::OpenCommand
        | Action::Help
        | Action::SortPrev
        | Action::SortNext
        | Action::InvertSort
        | Action::ToggleRelativeTime
        | Action::TogglePause
        | Action::ToggleFollowNewest
        | Action::ToggleCritical
        | Action::ToggleSteps
        | Action::CycleGroupBy
        | Action::ToggleRoots
        | Action::CopyMarkdown
        | Action::CopyJson
        | Action::Mark
        | Action::ToggleHistogram
        | Action::ToggleReader
        | Action::ToggleRuns
        | Action::DiffTrials
        | Action::ToggleSessions => false,
    }
}

#[cfg(test)]
mod tests {
    use crate::ui::app::follow::Follow;
    use crate::ui::testing::*;

    /// The fixture as a live session: a followed source, following from the start.
    fn live() -> App {
        let mut a = app("otlp-jsonl");
        a.live = true;
        a.follow_newest = true;
        a.prepare();
        a
    }

    /// A trace of more than [`Store::DERIVED_WHILE_READ`] spans that keeps changing while
    /// traces arrive is derived before a frame once the time of its last derive has passed four
    /// times over; a small one, or any once nothing arrives, at once.
    #[test]
    fn a_big_trace_that_keeps_growing_is_derived_at_a_pace() {
        use crate::model::testing::{fan, span};
        use std::time::{Duration, Instant};
        for (n, big) in [(10, false), (Store::DERIVED_WHILE_READ + 1, true)] {
            let mut a = over(fan(n));
            let src = a.store.add_source("more");
            a.live = true;
            let spans = |a: &App| {
                let t = a.store.trace_ids().next().expect("a trace");
                a.store.summary(t).span_count as usize
            };
            let grow = |a: &mut App, id: &str| {
                a.store.insert(src, span("t", id, Some("r"), 3, 4));
            };
            grow(&mut a, "late-1");
            // as if the last derive had just taken an hour
            a.big_derived = Some((Instant::now(), Duration::from_secs(3600)));
            a.prepare();
            assert_eq!(spans(&a), if big { n } else { n + 1 }, "{n} spans");
            // and as if it took no time
            a.big_derived = Some((Instant::now(), Duration::ZERO));
            a.prepare();
            assert_eq!(spans(&a), n + 1, "{n} spans, time passed");
            // nothing arrives any more: at once, however long the last derive took
            grow(&mut a, "late-2");
            a.big_derived = Some((Instant::now(), Duration::from_secs(3600)));
            a.on_sources_ended();
            a.prepare();
            assert_eq!(spans(&a), n + 2, "{n} spans, ended");
        }
    }

    fn newest(a: &App) -> String {
        let t = a.selected_trace().unwrap();
        a.store.trace_id(t).to_string()
    }

    #[test]
    fn following_selects_each_new_trace() {
        let mut a = live();
        arrive(&mut a, "late-1");
        assert_eq!(newest(&a), "late-1");
        assert_eq!(a.follow(), Follow::Following);
        assert!(screen(&mut a, 120, 30).contains("▶ following"));
        arrive(&mut a, "late-2");
        assert_eq!(newest(&a), "late-2");
    }

    #[test]
    fn moving_anywhere_pauses_following() {
        for how in [
            &[Action::Up][..],
            &[Action::Enter],
            &[Action::NextPane, Action::Down],
            &[Action::Enter, Action::NextError],
            &[Action::Enter, Action::Enter, Action::TabResponse],
            &[Action::Enter, Action::OpenSearch],
            &[Action::ToggleFailed],
        ] {
            let mut a = live();
            arrive(&mut a, "late-1");
            run(&mut a, how);
            if a.mode == Mode::Search {
                a.input_cancel();
            }
            let before = a.selected_trace();
            arrive(&mut a, "late-2");
            assert_eq!(a.follow(), Follow::Paused, "{how:?}");
            assert_eq!(a.selected_trace(), before, "{how:?}: the selection stays");
        }
        // a filter typed in the bar: its newest trace while it is typed, then paused there
        let mut a = live();
        run(&mut a, &[Action::OpenFilter]);
        type_text(&mut a, "react");
        assert_eq!(a.follow(), Follow::Following);
        assert_eq!(newest(&a), "d0d1529eb42f25c566a113ec7efaf897");
        a.input_submit();
        assert_eq!(a.follow(), Follow::Paused);
        assert_eq!(newest(&a), "d0d1529eb42f25c566a113ec7efaf897");
        // the bar opened and closed on the same filter changes nothing
        let mut a = live();
        run(&mut a, &[Action::OpenFilter]);
        a.input_cancel();
        assert_eq!(a.follow(), Follow::Following);
        // a :goto, a click
        let mut a = live();
        a.run_command("goto 6097b69a");
        assert_eq!(a.follow(), Follow::Paused);
        let mut a = live();
        let _ = screen(&mut a, 120, 40);
        let list = a.areas[Focus::List.index()];
        a.click(list.x + 2, list.y + 1);
        assert_eq!(a.follow(), Follow::Paused);
        assert!(screen(&mut a, 120, 30).contains("‖ paused (F follows)"));
    }

    #[test]
    fn f_or_the_newest_row_resumes_and_nothing_else_does() {
        let mut a = live();
        run(
            &mut a,
            &[
                Action::Up,
                Action::Back,
                Action::ToggleCritical,
                Action::SortNext,
            ],
        );
        assert_eq!(a.follow(), Follow::Paused);
        run(&mut a, &[Action::ToggleFollowNewest]);
        assert_eq!(a.follow(), Follow::Following);
        arrive(&mut a, "late-1");
        assert_eq!(newest(&a), "late-1");
        // G in a list sorted by start: the newest row, following again
        run(&mut a, &[Action::First]);
        assert_eq!(a.follow(), Follow::Paused);
        a.run_command("sort start");
        run(&mut a, &[Action::Last]);
        assert_eq!(a.follow(), Follow::Following);
        // sorted newest first, g is the newest row
        a.run_command("sort start!");
        run(&mut a, &[Action::Down, Action::First]);
        assert_eq!(a.follow(), Follow::Following);
    }

    #[test]
    fn with_nothing_more_to_come_following_has_stopped() {
        let mut a = live();
        a.on_sources_ended();
        assert_eq!(a.follow(), Follow::Stopped);
        assert!(screen(&mut a, 120, 30).contains("■ stopped"));
        run(&mut a, &[Action::Up, Action::ToggleFollowNewest]);
        assert_eq!(a.follow(), Follow::Stopped);
        assert!(
            a.message
                .as_deref()
                .unwrap()
                .starts_with("stopped: nothing more arrives")
        );
        assert_eq!(newest(&a), "4e39e9799309a0bf46c52407741d0786");
    }
}
