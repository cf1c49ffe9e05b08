//! Comparing two traces in the explorer: `m` marks a trace (A), `=` compares the selected one (B)
//! with it, and the keys of the comparison (the step table, the prompt and response diff).

use super::{App, Mode};
use crate::analysis::diff::{self};
use crate::ui::action::Action;
use crate::ui::state::scroll::Scroll;

impl App {
    /// `m`: mark the selected trace as A (again on the same trace: unmark).
    pub(crate) fn toggle_mark(&mut self) {
        let Some(t) = self.selected_trace() else {
            return;
        };
        if self.compare.marked == Some(t) {
            self.compare.marked = None;
            self.message = Some("mark cleared".into());
        } else {
            self.compare.marked = Some(t);
            self.message = Some(format!(
                "marked {} as A: select another trace and press = to compare",
                crate::text::truncate(&self.store.trace_id(t), 13)
            ));
        }
    }

    /// `=`: compare the selected trace (B) with the marked one (A).
    pub(crate) fn open_compare(&mut self) {
        let a = self.compare.marked.filter(|&t| self.store.is_live(t));
        let (Some(a), Some(b)) = (a, self.selected_trace()) else {
            self.message = Some(
                "mark a trace with m first, then select another and press = to compare".into(),
            );
            return;
        };
        let d = diff::compare(&self.store, a, b);
        self.compare.rows = d.rows(&self.store);
        self.compare.diff = Some(d);
        self.compare.scroll = Scroll::default();
        self.compare.text_focus = false;
        self.compare.text_scroll = 0;
        self.mode = Mode::Compare;
    }

    /// Close the view (and forget what it held: its spans may move).
    pub(crate) fn close_compare(&mut self) {
        self.compare.diff = None;
        self.compare.rows.clear();
        if self.mode == Mode::Compare {
            self.mode = Mode::Normal;
        }
    }

    pub(crate) fn compare_update(&mut self, action: Action) {
        let len = self.compare.rows.len();
        let c = &mut self.compare;
        if c.text_focus {
            match action {
                Action::Down => c.text_scroll = c.text_scroll.saturating_add(1),
                Action::Up => c.text_scroll = c.text_scroll.saturating_sub(1),
                Action::PageDown => c.text_scroll = c.text_scroll.saturating_add(10),
                Action::PageUp => c.text_scroll = c.text_scroll.saturating_sub(10),
                Action::First => c.text_scroll = 0,
                Action::Back | Action::Enter | Action::NextPane | Action::PrevPane => {
                    c.text_focus = false;
                }
                Action::Quit => self.run_command("q"),
                Action::Compare => self.close_compare(),
                _ => {}
            }
            return;
        }
        let before = c.scroll.selected;
        if c.scroll.on_action(action, len, c.page) {
            if c.scroll.selected != before {
                c.text_scroll = 0;
            }
            return;
        }
        match action {
            Action::Quit => self.run_command("q"),
            Action::NextMatch | Action::PrevMatch => {
                let steps: Vec<usize> = c
                    .diff
                    .as_ref()
                    .map(|d| d.texts.iter().map(|t| t.step).collect())
                    .unwrap_or_default();
                let cur = c.scroll.selected;
                let next = if action == Action::NextMatch {
                    steps
                        .iter()
                        .copied()
                        .find(|&s| s > cur)
                        .or(steps.first().copied())
                } else {
                    steps
                        .iter()
                        .rev()
                        .copied()
                        .find(|&s| s < cur)
                        .or(steps.last().copied())
                };
                match next {
                    Some(s) => c.scroll.selected = s,
                    None => {
                        self.message =
                            Some("every aligned LM call has the same prompt and response".into());
                    }
                }
            }
            Action::Enter | Action::NextPane if c.selected_text().is_some() => {
                c.text_focus = true;
            }
            Action::Enter => {
                // open the step's span, in B when it ran there
                let step = c
                    .diff
                    .as_ref()
                    .and_then(|d| d.steps.get(c.scroll.selected))
                    .copied();
                if let Some(s) = step.and_then(|s| s.b.or(s.a)) {
                    let t = self.store.span(s).trace;
                    self.close_compare();
                    self.open_span(t, s);
                }
            }
            Action::Back | Action::Compare => self.close_compare(),
            Action::Help => self.open_help(),
            _ => {}
        }
        if self.compare.scroll.selected != before {
            self.compare.text_scroll = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::ui::testing::*;

    #[test]
    fn m_then_equals_compares_two_traces_step_by_step() {
        let mut a = app("otlp-jsonl");
        run(&mut a, &[Action::Compare]);
        assert_eq!(a.mode, Mode::Normal);
        assert!(
            a.message
                .as_deref()
                .unwrap()
                .starts_with("mark a trace with m")
        );
        select(&mut a, "6097b69a");
        run(&mut a, &[Action::Mark]);
        assert!(screen(&mut a, 120, 30).contains("marked 6097b69a3527… as A"));
        select(&mut a, "d0d1529e");
        run(&mut a, &[Action::Compare]);
        assert_eq!(a.mode, Mode::Compare);
        insta::assert_snapshot!("compare_react_runs", screen(&mut a, 130, 40));
        // n: the first LM call whose prompt differs, with its diff below
        run(&mut a, &[Action::NextMatch]);
        let t = a.compare.selected_text().unwrap();
        assert_eq!(t.name, "DummyLM.__call__");
        assert_eq!(a.compare.scroll.selected, 4);
        insta::assert_snapshot!("compare_lm_call_diff", screen(&mut a, 130, 40));
        run(&mut a, &[Action::Enter, Action::Down, Action::Down]);
        assert!(a.compare.text_focus);
        assert_eq!(a.compare.text_scroll, 2);
        run(&mut a, &[Action::Back]);
        assert!(!a.compare.text_focus);
        // Enter on the step only B ran: its span, selected in B's waterfall
        let only_b = a.compare.rows.iter().position(|r| r[0] == "+").unwrap();
        a.compare.scroll.selected = only_b;
        run(&mut a, &[Action::Enter]);
        assert_eq!(a.mode, Mode::Normal);
        assert_eq!(a.focus, Focus::Waterfall);
        let s = a.selected_span().unwrap();
        assert_eq!(a.store.str(a.store.span(s).name), "get_weather.__call__");
        // the mark stays; = again compares, Esc closes
        run(&mut a, &[Action::Compare, Action::Back]);
        assert_eq!(a.mode, Mode::Normal);
        run(&mut a, &[Action::Back, Action::Mark]);
    }
}
