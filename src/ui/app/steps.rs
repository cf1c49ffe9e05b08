//! The step statistics view (`S`): per step name, model or kind over the listed traces, sorted by
//! any column, the selected step's latency over time, and a drill-down to the spans of that step,
//! failed and slowest first, each one key from its trace.

use super::{App, Focus, Mode};
use crate::analysis::steps::{self as stats, GroupBy};
use crate::ui::action::Action;
use crate::ui::state::scroll::Scroll;
use crate::ui::state::steps::{BuiltFor, Drill, LIVE_REFRESH, sorts};
use std::time::Instant;

impl App {
    /// Compute the table again when the listed traces or the grouping changed (at most once a
    /// second while only new traces arrive), and the selected step's latency over time.
    pub(crate) fn prepare_steps(&mut self) {
        let want = BuiltFor {
            generation: self.store.generation(),
            query: self.query_text.clone(),
            slow_only: self.slow_only,
            failed_only: self.failed_only,
            by: self.steps.by,
            roots: self.steps.roots,
        };
        let st = &mut self.steps;
        // the same traces and grouping, only more of them
        let only_new_data = st.built_for.as_ref().is_some_and(|b| {
            BuiltFor {
                generation: want.generation,
                ..b.clone()
            } == want
        });
        let fresh = st.built_at.is_some_and(|at| at.elapsed() < LIVE_REFRESH);
        if st.built_for.as_ref() != Some(&want) && !(only_new_data && fresh) {
            let selected = st.selected().map(|g| g.key);
            st.groups = stats::compute(&self.store, &self.view.rows, st.by, st.roots);
            stats::sort(&mut st.groups, st.sort);
            if let Some(k) = selected
                && let Some(i) = st.groups.iter().position(|g| g.key == k)
            {
                st.scroll.selected = i;
            }
            st.scroll.selected = st.scroll.selected.min(st.groups.len().saturating_sub(1));
            st.built_for = Some(want);
            st.built_at = Some(Instant::now());
            st.builds += 1;
            st.spark_for = None;
        }
        let spark_key = st.selected().map(|g| (g.key, st.spark_width, st.builds));
        if spark_key != st.spark_for {
            st.spark = match spark_key {
                Some((key, width, _)) => {
                    stats::over_time(&self.store, &self.view.rows, (st.by, key, st.roots), width)
                }
                None => Vec::new(),
            };
            st.spark_for = spark_key;
        }
    }

    /// Open or close the view.
    pub(crate) fn toggle_steps(&mut self) {
        if self.mode == Mode::Steps {
            self.mode = Mode::Normal;
        } else {
            self.mode = Mode::Steps;
            self.steps.drill = None;
        }
    }

    /// A key in the view.
    pub(crate) fn steps_update(&mut self, action: Action) {
        let page = self.steps.page;
        let st = &mut self.steps;
        let (scroll, len) = match st.drill.as_mut() {
            Some(d) => (&mut d.scroll, d.rows.len()),
            None => (&mut st.scroll, st.groups.len()),
        };
        if scroll.on_action(action, len, page) {
            self.prepare();
            return;
        }
        match action {
            Action::Quit => self.run_command("q"),
            Action::SortPrev | Action::SortNext if st.drill.is_none() => {
                // the columns on screen, in order
                let cols = sorts(&st.shown);
                let i = cols.iter().position(|c| *c == st.sort).unwrap_or(0);
                let n = cols.len();
                st.sort = cols[if action == Action::SortNext {
                    (i + 1) % n
                } else {
                    (i + n - 1) % n
                }];
                stats::sort(&mut st.groups, st.sort);
                st.spark_for = None;
            }
            Action::CycleGroupBy if st.drill.is_none() => {
                st.by = match st.by {
                    GroupBy::Name => GroupBy::Model,
                    GroupBy::Model => GroupBy::Kind,
                    GroupBy::Kind => GroupBy::Name,
                };
                st.scroll = Scroll::default();
            }
            Action::ToggleRoots if st.drill.is_none() => st.roots = !st.roots,
            Action::Enter => match &st.drill {
                None => {
                    if let Some(g) = st.selected() {
                        let rows =
                            stats::exemplars(&self.store, &self.view.rows, st.by, g.key, st.roots);
                        st.drill = Some(Drill {
                            name: g.name.clone(),
                            rows,
                            scroll: Scroll::default(),
                        });
                    }
                }
                Some(d) => {
                    if let Some(e) = d.rows.get(d.scroll.selected).copied() {
                        self.mode = Mode::Normal;
                        self.open_span(e.trace, e.span);
                    }
                }
            },
            Action::Back if st.drill.is_some() => st.drill = None,
            Action::Back => self.mode = Mode::Normal,
            Action::ToggleSteps => self.toggle_steps(),
            Action::ToggleSlow => self.slow_only = !self.slow_only,
            Action::ToggleFailed => self.failed_only = !self.failed_only,
            Action::Help => self.open_help(),
            Action::OpenFilter | Action::OpenCommand => {
                // the bar filters the traces the statistics are made of
                self.mode = Mode::Normal;
                self.update(action);
                self.steps_return = true;
                return;
            }
            _ => {}
        }
        self.prepare();
    }

    /// Show trace `t` with span `s` selected in its waterfall.
    pub(crate) fn open_span(&mut self, t: crate::model::TraceIdx, s: crate::model::SpanIdx) {
        let id = self.store.trace_id(t).to_string();
        self.goto(&id);
        self.focus = Focus::Waterfall;
        self.prepare();
        if let Some(layout) = self.wf.layout.as_ref()
            && let Some(i) = self
                .wf
                .visible
                .iter()
                .position(|&r| layout.span(&layout.rows[r]) == s)
        {
            self.wf.scroll.selected = i;
        }
        self.prepare();
    }
}

#[cfg(test)]
mod tests {
    use crate::ui::testing::*;

    #[test]
    fn steps_view_sorts_groups_and_drills_down_to_the_failing_span() {
        use crate::analysis::steps::{GroupBy, StatsSort};
        let mut a = app("otlp-jsonl");
        run(&mut a, &[Action::ToggleSteps]);
        assert_eq!(a.mode, Mode::Steps);
        // the requests' roots (ReAct.forward, MultiHopRAG.forward…) are left out until `r`
        assert_eq!(a.steps.groups.len(), 11);
        assert!(!a.steps.groups.iter().any(|g| g.name == "ReAct.forward"));
        insta::assert_snapshot!("steps_by_name", screen(&mut a, 140, 24));
        run(&mut a, &[Action::ToggleRoots, Action::First]);
        assert_eq!(a.steps.groups.len(), 14);
        assert!(screen(&mut a, 140, 24).contains("roots counted (r)"));
        // sorted by p95, slowest first; h/l walk the columns
        let p95: Vec<_> = a.steps.groups.iter().map(|g| g.stats.p95).collect();
        assert!(p95.windows(2).all(|w| w[0] >= w[1]));
        run(&mut a, &[Action::SortNext; 3]);
        assert_eq!(a.steps.sort, StatsSort::SelfTime);
        let own: Vec<_> = a.steps.groups.iter().map(|g| g.stats.self_time).collect();
        assert!(own.windows(2).all(|w| w[0] >= w[1]));
        assert_eq!(
            a.steps.groups[0].name, "DummyLM.__call__",
            "the LM calls did the work"
        );
        run(&mut a, &[Action::SortNext; 2]);
        assert_eq!(a.steps.sort, StatsSort::Errors);
        assert_eq!(a.steps.groups[0].name, "ChainOfThought.forward");
        // by kind, then back to names
        run(&mut a, &[Action::CycleGroupBy, Action::CycleGroupBy]);
        assert_eq!(a.steps.by, GroupBy::Kind);
        let kinds: Vec<&str> = a.steps.groups.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(kinds, ["chain", "llm", "tool", "retriever"]);
        run(&mut a, &[Action::CycleGroupBy]);
        // the LM step's spans: the failed one first
        let lm = a
            .steps
            .groups
            .iter()
            .position(|g| g.name == "DummyLM.__call__");
        a.steps.scroll.selected = lm.expect("the LM step");
        run(&mut a, &[Action::Enter]);
        let drill = a.steps.drill.as_ref().expect("drilled down");
        assert_eq!(drill.rows.len(), 23);
        assert!(drill.rows[0].error && !drill.rows[1].error);
        assert!(drill.rows[1].duration >= drill.rows[2].duration);
        let want = drill.rows[0];
        insta::assert_snapshot!("steps_drill_down", screen(&mut a, 140, 16));
        run(&mut a, &[Action::Enter]);
        assert_eq!(a.mode, Mode::Normal);
        assert_eq!(a.focus, Focus::Waterfall);
        assert_eq!(a.selected_trace(), Some(want.trace));
        assert_eq!(a.selected_span(), Some(want.span));
    }
    #[test]
    fn steps_view_honours_the_filter_and_the_toggles() {
        let mut a = app("otlp-jsonl");
        run(
            &mut a,
            &[Action::ToggleSteps, Action::ToggleRoots, Action::OpenFilter],
        );
        type_text(&mut a, "name:react");
        a.input_submit();
        assert_eq!(
            a.mode,
            Mode::Steps,
            "back to the steps after the filter bar"
        );
        let names: Vec<&str> = a.steps.groups.iter().map(|g| g.name.as_str()).collect();
        assert!(
            names.contains(&"ReAct.forward") && !names.contains(&"MultiHopRAG.forward"),
            "{names:?} {:?}",
            a.query_text
        );
        let count = |a: &App| {
            a.steps
                .groups
                .iter()
                .find(|g| g.name == "ReAct.forward")
                .map(|g| g.stats.count)
        };
        assert_eq!(count(&a), Some(2));
        run(&mut a, &[Action::ToggleFailed]);
        assert_eq!(count(&a), Some(1));
        run(&mut a, &[Action::Back]);
        assert_eq!(a.mode, Mode::Normal);
        a.run_command("steps model");
        assert_eq!(a.mode, Mode::Steps);
        let models: Vec<&str> = a.steps.groups.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(models, ["dummy"]);
    }
}
