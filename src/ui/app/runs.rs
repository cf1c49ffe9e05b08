//! The runs view (`O`): optimizer runs and their trials. `Enter` on a run goes to its trials,
//! `Enter` on a trial filters the list to that trial's traces (a filter term the bar shows and
//! `Esc` in the list or `/` clears), `m` marks a trial and `d` on another shows what the
//! optimizer changed in each predictor's prompt between the two.

use super::{App, Focus, Mode};
use crate::analysis::{run_diff, runs};
use crate::ui::action::Action;
use crate::ui::state::runs::TrialDiff;
use crate::ui::state::scroll::Scroll;

impl App {
    pub(crate) fn toggle_runs(&mut self) {
        if self.mode == Mode::Runs {
            self.mode = Mode::Normal;
            return;
        }
        self.prepare_runs();
        if self.runs.runs.is_empty() {
            self.message = Some(
                "no optimizer runs: a run is a DSPy compile the DSPy writer traced (spanscope dspy-writer) or MLflow's tracking store kept"
                    .into(),
            );
            return;
        }
        self.mode = Mode::Runs;
    }

    /// Find the runs again when the store changed.
    pub(crate) fn prepare_runs(&mut self) {
        let generation = self.store.generation();
        if self.runs.built_for == Some(generation) {
            return;
        }
        let traces: Vec<_> = self.store.trace_ids().collect();
        self.runs.runs = runs::runs(&self.store, &traces);
        self.runs.scroll.clamp(self.runs.runs.len());
        let trials = self.runs.run().map_or(0, |r| r.trials.len());
        self.runs.trials.clamp(trials);
        self.runs.built_for = Some(generation);
    }

    pub(crate) fn runs_update(&mut self, action: Action) {
        if self.runs.diff.is_some() && matches!(action, Action::PageDown | Action::PageUp) {
            let step = self.runs.page.max(1) * 2;
            let s = &mut self.runs.diff_scroll;
            *s = if action == Action::PageDown {
                s.saturating_add(step)
            } else {
                s.saturating_sub(step)
            };
            return;
        }
        let st = &mut self.runs;
        let in_trials = st.in_trials;
        let (len, page) = if in_trials {
            (st.run().map_or(0, |r| r.trials.len()), st.page)
        } else {
            (st.runs.len(), st.page)
        };
        let scroll = if in_trials {
            &mut st.trials
        } else {
            &mut st.scroll
        };
        let before = scroll.selected;
        if scroll.on_action(action, len, page) {
            if !in_trials && st.scroll.selected != before {
                st.trials = Scroll::default();
            }
            return;
        }
        self.message = None;
        match action {
            Action::Quit => self.run_command("q"),
            Action::Enter if in_trials => self.filter_to_trial(),
            Action::Enter => {
                if self.runs.run().is_some_and(|r| r.trials.is_empty()) {
                    self.filter_to_run();
                } else {
                    self.runs.in_trials = true;
                }
            }
            Action::Mark if in_trials => self.mark_trial(),
            Action::DiffTrials => self.diff_trials(),
            Action::Back if self.runs.diff.is_some() => self.runs.diff = None,
            Action::Back if in_trials => self.runs.in_trials = false,
            Action::Back | Action::ToggleRuns => self.mode = Mode::Normal,
            Action::Help => self.open_help(),
            _ => {}
        }
    }

    /// The selected trial of the selected run.
    fn selected_trial(&self) -> Option<&runs::Trial> {
        self.runs
            .run()
            .and_then(|r| r.trials.get(self.runs.trials.selected))
    }

    fn mark_trial(&mut self) {
        let (Some(run), Some(t)) = (self.runs.run(), self.selected_trial()) else {
            return;
        };
        let mark = (run.id.clone(), t.trial);
        if self.runs.marked.as_ref() == Some(&mark) {
            self.runs.marked = None;
            self.message = Some("trial unmarked".into());
        } else {
            self.message = Some(format!(
                "trial {} marked as A: d on another trial shows what changed in the prompts",
                mark.1
            ));
            self.runs.marked = Some(mark);
        }
    }

    /// The prompts of the marked trial and the selected one, predictor by predictor.
    fn diff_trials(&mut self) {
        let Some(run) = self.runs.run() else {
            return;
        };
        let marked = match &self.runs.marked {
            Some((id, n)) if *id == run.id => *n,
            _ => {
                self.message =
                    Some("mark a trial of this run with m first, then d on another".into());
                return;
            }
        };
        let (Some(a), Some(b)) = (
            run.trials.iter().find(|t| t.trial == marked),
            self.runs.in_trials.then(|| self.selected_trial()).flatten(),
        ) else {
            self.message = Some("select the trial to compare with the marked one".into());
            return;
        };
        let diff = TrialDiff {
            run: run.id.clone(),
            a: a.trial,
            b: b.trial,
            predictors: run_diff::compare(&self.store, a, b),
        };
        self.runs.diff = Some(diff);
        self.runs.diff_scroll = 0;
    }

    /// Filter the list to the selected trial's traces: the Evaluate and its program runs.
    fn filter_to_trial(&mut self) {
        let Some(t) = self.selected_trial() else {
            return;
        };
        let (n, id) = (t.trial, self.store.trace_id(t.evaluate).to_string());
        self.filter_list(
            &format!("attr.dspy.evaluate_call_id={id}"),
            &format!("trial {n}"),
        );
    }

    /// Filter the list to the traces made inside the selected run (a run without trials).
    fn filter_to_run(&mut self) {
        let Some(r) = self.runs.run() else {
            return;
        };
        let (id, name) = (r.id.clone(), r.optimizer.clone());
        // a compile it ran has a run id of its own (and names this one as its enclosing run)
        self.filter_list(
            &format!("attr.dspy.run_call_id={id}"),
            &format!("the {name} run made directly in it"),
        );
    }

    fn filter_list(&mut self, term: &str, what: &str) {
        self.mode = Mode::Normal;
        self.focus = Focus::List;
        self.run_command(&format!("filter {term}"));
        self.message = Some(format!(
            "{} trace(s) of {what}: filter {term} (/ to change, O for the runs)",
            self.view.rows.len()
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::ui::testing::*;

    #[test]
    fn runs_show_their_trials_and_a_trial_opens_its_traces() {
        let mut a = app("dspy-optimizer");
        run(&mut a, &[Action::ToggleRuns]);
        assert_eq!(a.mode, Mode::Runs);
        let names: Vec<&str> = a.runs.runs.iter().map(|r| r.optimizer.as_str()).collect();
        assert_eq!(names, ["BootstrapFewShot", "MIPROv2"]);
        insta::assert_snapshot!("runs_80x24", screen(&mut a, 80, 24));
        // MIPROv2's trials
        run(&mut a, &[Action::Down, Action::Enter]);
        assert!(a.runs.in_trials);
        insta::assert_snapshot!("runs_trials_160x40", screen(&mut a, 160, 40));
        // Enter on the second trial: the list is its Evaluate and its four program runs
        run(&mut a, &[Action::Down, Action::Enter]);
        assert_eq!((a.mode, a.focus), (Mode::Normal, Focus::List));
        let ev = a.runs.runs[1].trials[1].evaluate;
        let id = a.store.trace_id(ev).to_string();
        assert_eq!(a.query_text, format!("attr.dspy.evaluate_call_id={id}"));
        assert_eq!(a.view.rows.len(), 5);
        assert!(
            a.message
                .as_deref()
                .is_some_and(|m| m.starts_with("5 trace(s) of trial 2"))
        );
        // back in the runs view, where it was; Esc goes back to the runs, then closes
        run(&mut a, &[Action::ToggleRuns]);
        assert_eq!(
            (a.mode, a.runs.in_trials, a.runs.trials.selected),
            (Mode::Runs, true, 1)
        );
        run(&mut a, &[Action::Back]);
        assert!(!a.runs.in_trials);
        run(&mut a, &[Action::Back]);
        assert_eq!(a.mode, Mode::Normal);
    }

    #[test]
    fn a_run_without_trials_lists_its_traces() {
        let mut a = app("dspy-optimizer");
        run(&mut a, &[Action::ToggleRuns, Action::Enter]);
        assert_eq!(a.mode, Mode::Normal);
        let id = a
            .store
            .trace_id(a.store.trace_ids().next().unwrap())
            .to_string();
        assert!(
            a.query_text.starts_with("attr.dspy.run_call_id="),
            "{}",
            a.query_text
        );
        assert!(!id.is_empty());
        // the compile itself and the two teacher runs (the LabeledFewShot it ran has its own id)
        assert_eq!(a.view.rows.len(), 3);
        let said = a.message.as_deref().unwrap_or_default();
        assert!(
            said.starts_with("3 trace(s) of the BootstrapFewShot run made directly in it"),
            "{said}"
        );
    }

    #[test]
    fn two_marked_trials_diff_their_prompts_per_predictor() {
        let mut a = app("dspy-optimizer");
        run(&mut a, &[Action::ToggleRuns, Action::Down, Action::Enter]);
        // d before a mark: said
        run(&mut a, &[Action::DiffTrials]);
        assert!(
            a.message
                .as_deref()
                .unwrap_or("")
                .starts_with("mark a trial")
        );
        run(&mut a, &[Action::Mark, Action::Down, Action::DiffTrials]);
        let d = a.runs.diff.as_ref().expect("a diff");
        assert_eq!((d.a, d.b), (1, 2));
        assert_eq!(d.predictors.len(), 1);
        let p = &d.predictors[0];
        assert_eq!(p.predictor, "Predict(question -> answer)");
        assert!(p.a.as_deref().unwrap_or("").starts_with("[system]"));
        assert!(!p.diff.is_empty(), "the optimizer changed the instructions");
        insta::assert_snapshot!("runs_prompt_diff_160x40", screen(&mut a, 160, 40));
        // PgDn scrolls the diff, not the trials
        run(&mut a, &[Action::PageDown]);
        assert_eq!((a.runs.trials.selected, a.runs.diff_scroll > 0), (1, true));
        let shown = screen(&mut a, 160, 40);
        assert!(
            !shown.contains("--- A prompt"),
            "scrolled past the diff's header"
        );
        run(&mut a, &[Action::Back]);
        assert!(a.runs.diff.is_none() && a.mode == Mode::Runs);
    }
}
