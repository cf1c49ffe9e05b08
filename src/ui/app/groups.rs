//! `:group KEY`: the listed traces split by a metadata value, side by side (count, errors,
//! latency, LM calls, tokens); `Enter` on a value filters the list to it.

use super::{App, Focus, Mode};
use crate::analysis::groups::{self, GroupKey};
use crate::ui::action::Action;
use crate::ui::state::scroll::Scroll;

impl App {
    /// `:group KEY` (without a key: the last grouping again).
    pub(crate) fn open_groups(&mut self, arg: &str) {
        let key = if arg.trim().is_empty() {
            self.groups.key.clone().ok_or_else(|| {
                "group by what? :group attr.KEY (e.g. attr.compiled), model, name or status"
                    .to_string()
            })
        } else {
            GroupKey::parse(arg)
        };
        match key {
            Ok(k) => {
                let label = k.label();
                let previous = self.groups.key.replace(k);
                self.prepare_groups();
                // a key no listed trace has would make one row of "no value": say so instead
                let nothing = if self.view.rows.is_empty() {
                    Some(
                        "nothing to group: no trace is listed (/ to change the filter, s / e toggles)"
                            .to_string(),
                    )
                } else if self.groups.groups.iter().all(|g| g.value.is_none()) {
                    Some(format!(
                        "no listed trace has {label}: nothing to group by (a key of the Attributes tab, or model, name or status)"
                    ))
                } else {
                    None
                };
                if let Some(m) = nothing {
                    self.message = Some(m);
                    self.groups.key = previous;
                    self.groups.built_for = None;
                    return;
                }
                if previous != self.groups.key {
                    self.groups.scroll = Scroll::default();
                }
                self.message = None;
                self.mode = Mode::Groups;
            }
            Err(e) => self.message = Some(e),
        }
    }

    /// Split the listed traces again when the list or the key changed.
    pub(crate) fn prepare_groups(&mut self) {
        let (Some(view), Some(key)) = (self.view.key().cloned(), self.groups.key.clone()) else {
            return;
        };
        let built = Some((view, key.clone()));
        if self.groups.built_for == built {
            return;
        }
        self.groups.groups = groups::compute(&self.store, &self.view.rows, &key);
        self.groups.scroll.clamp(self.groups.groups.len());
        self.groups.built_for = built;
    }

    pub(crate) fn groups_update(&mut self, action: Action) {
        let len = self.groups.groups.len();
        if self.groups.scroll.on_action(action, len, self.groups.page) {
            return;
        }
        match action {
            Action::Quit => self.run_command("q"),
            Action::Enter => self.filter_to_group(),
            Action::ToggleSlow => self.slow_only = !self.slow_only,
            Action::ToggleFailed => self.failed_only = !self.failed_only,
            Action::Back => self.mode = Mode::Normal,
            Action::Help => self.open_help(),
            _ => {}
        }
        self.prepare();
    }

    /// Filter the list to the selected value, replacing an earlier term of the same key.
    fn filter_to_group(&mut self) {
        let (Some(key), Some(g)) = (
            self.groups.key.clone(),
            self.groups.groups.get(self.groups.scroll.selected).cloned(),
        ) else {
            return;
        };
        let term = key.filter_term(g.value.as_deref());
        // the part of a term that names the key: `attr.k=`, `-attr.k`, `model:`…
        let stem = |t: &str| {
            let t = t.trim_start_matches('-');
            t.split(['=', ':']).next().unwrap_or(t).to_string()
        };
        let mine = stem(&term);
        let mut words: Vec<&str> = self
            .query_text
            .split_whitespace()
            .filter(|w| stem(w) != mine)
            .collect();
        words.push(&term);
        let q = words.join(" ");
        self.mode = Mode::Normal;
        self.focus = Focus::List;
        self.run_command(&format!("filter {q}"));
        self.message = Some(format!(
            "{} trace(s) with {} {}: filter {q}",
            self.view.rows.len(),
            key.label(),
            g.value.as_deref().unwrap_or("unset")
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::ui::testing::*;

    #[test]
    fn group_splits_the_listed_traces_by_a_metadata_value() {
        let mut a = app("otlp-jsonl");
        a.run_command("group");
        assert_eq!(a.mode, Mode::Normal);
        assert!(a.message.as_deref().unwrap().starts_with("group by what?"));
        // a key no trace has: said, not an empty view
        a.run_command("group attr.no.such.key");
        assert_eq!(a.mode, Mode::Normal);
        assert_eq!(
            a.message.as_deref().unwrap_or(""),
            "no listed trace has attr.no.such.key: nothing to group by (a key of the \
             Attributes tab, or model, name or status)"
        );
        a.run_command("group attr.fixture.program");
        assert_eq!(a.mode, Mode::Groups);
        let values: Vec<Option<&str>> =
            a.groups.groups.iter().map(|g| g.value.as_deref()).collect();
        assert_eq!(
            values[..3],
            [
                Some("evaluate"),
                Some("bootstrap_compile"),
                Some("compiled_predict")
            ]
        );
        assert_eq!(a.groups.groups.iter().map(|g| g.traces).sum::<usize>(), 15);
        insta::assert_snapshot!("groups_by_program", screen(&mut a, 120, 20));
        // failed only: the split follows the toggle
        run(&mut a, &[Action::ToggleFailed]);
        assert_eq!(a.groups.groups.len(), 2);
        run(&mut a, &[Action::ToggleFailed]);
        // Enter on bootstrap_compile: the list is its three traces
        run(&mut a, &[Action::Down, Action::Enter]);
        assert_eq!(a.mode, Mode::Normal);
        assert_eq!(a.query_text, "attr.fixture.program=bootstrap_compile");
        assert_eq!(a.view.rows.len(), 3);
        // the same key again replaces the term
        a.run_command("group");
        run(&mut a, &[Action::Enter]);
        assert_eq!(a.query_text, "attr.fixture.program=bootstrap_compile");
        a.run_command("filter");
        a.run_command("group attr.fixture.program");
        run(&mut a, &[Action::First, Action::Enter]);
        assert_eq!(a.query_text, "attr.fixture.program=evaluate");
        assert_eq!(a.view.rows.len(), 5);
    }
}
