//! The latency histogram (`H`): counting the listed traces into buckets when the list changed,
//! and `Enter` on a bucket filtering the list to it.

use super::{App, Focus, Mode};
use crate::analysis::histogram::{Bucket, buckets};
use crate::model::Nanos;
use crate::ui::action::Action;

impl App {
    pub(crate) fn toggle_histogram(&mut self) {
        if self.mode == Mode::Histogram {
            self.mode = Mode::Normal;
            return;
        }
        self.mode = Mode::Histogram;
        self.histogram.built_for = None;
        self.prepare_histogram();
        // start on the bucket of the selected trace
        if let Some(t) = self.selected_trace() {
            let d = self.store.columns().duration[t.0 as usize];
            if let Some(i) = self
                .histogram
                .buckets
                .iter()
                .position(|b| b.lo <= d && d < b.hi)
            {
                self.histogram.scroll.selected = i;
            }
        }
    }

    /// Count the listed traces again when the list changed.
    pub(crate) fn prepare_histogram(&mut self) {
        let key = self.view.key().cloned();
        if key.is_some() && self.histogram.built_for == key {
            return;
        }
        let cols = self.store.columns();
        let durs: Vec<Nanos> = self
            .view
            .rows
            .iter()
            .map(|t| cols.duration[t.0 as usize])
            .collect();
        self.histogram.buckets = buckets(&durs);
        self.histogram.scroll.clamp(self.histogram.buckets.len());
        self.histogram.built_for = key;
    }

    pub(crate) fn histogram_update(&mut self, action: Action) {
        let len = self.histogram.buckets.len();
        if self
            .histogram
            .scroll
            .on_action(action, len, self.histogram.page)
        {
            return;
        }
        match action {
            Action::Quit => self.run_command("q"),
            Action::Enter => {
                let sel = self.histogram.scroll.selected;
                if let Some(b) = self.histogram.buckets.get(sel).copied() {
                    self.filter_to_bucket(b);
                }
            }
            Action::ToggleSlow => self.slow_only = !self.slow_only,
            Action::ToggleFailed => self.failed_only = !self.failed_only,
            Action::Back | Action::ToggleHistogram => self.mode = Mode::Normal,
            Action::Help => self.open_help(),
            _ => {}
        }
        self.prepare();
    }

    /// Replace the filter's duration bounds by the bucket's, and show the list.
    fn filter_to_bucket(&mut self, b: Bucket) {
        let kept: Vec<&str> = self
            .query_text
            .split_whitespace()
            .filter(|w| !(w.starts_with("dur>") || w.starts_with("dur<")))
            .collect();
        let mut q = kept.join(" ");
        let bound = |op: &str, ns: Nanos| format!("dur{op}{}", crate::query::format_duration(ns));
        let terms: Vec<String> = [
            (b.lo > 0).then(|| bound(">=", b.lo)),
            Some(bound("<", b.hi)),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !q.is_empty() {
            q.push(' ');
        }
        q.push_str(&terms.join(" "));
        self.mode = Mode::Normal;
        self.focus = Focus::List;
        self.run_command(&format!("filter {q}"));
        self.message = Some(format!(
            "{} trace(s) between {} and {}: filter {q}",
            self.view.rows.len(),
            crate::text::human_dur(b.lo),
            crate::text::human_dur(b.hi),
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::ui::testing::*;

    #[test]
    fn histogram_marks_the_threshold_and_enter_filters_to_a_bucket() {
        let mut a = app("otlp-jsonl");
        run(&mut a, &[Action::ToggleHistogram]);
        assert_eq!(a.mode, Mode::Histogram);
        let b = &a.histogram.buckets;
        assert_eq!(b.iter().map(|x| x.count).sum::<usize>(), 15);
        insta::assert_snapshot!("latency_histogram", screen(&mut a, 110, 24));
        // the failed traces only: the histogram follows the toggle
        run(&mut a, &[Action::ToggleFailed]);
        assert_eq!(
            a.histogram.buckets.iter().map(|x| x.count).sum::<usize>(),
            2
        );
        run(&mut a, &[Action::ToggleFailed]);
        // the fullest bucket, then Enter: the list holds exactly its traces
        let (i, full) = a
            .histogram
            .buckets
            .iter()
            .enumerate()
            .max_by_key(|(_, x)| x.count)
            .map(|(i, x)| (i, *x))
            .unwrap();
        a.histogram.scroll.selected = i;
        run(&mut a, &[Action::Enter]);
        assert_eq!(a.mode, Mode::Normal);
        assert_eq!(a.view.rows.len(), full.count);
        let cols = a.store.columns();
        assert!(a.view.rows.iter().all(|t| {
            let d = cols.duration[t.0 as usize];
            full.lo <= d && d < full.hi
        }));
        assert!(a.query_text.contains("dur<"), "{}", a.query_text);
        // another bucket replaces the bounds instead of adding to them
        a.run_command("filter name:predict dur>1s");
        run(&mut a, &[Action::ToggleHistogram]);
        assert!(a.histogram.buckets.is_empty());
        run(&mut a, &[Action::Back]);
        a.run_command("filter name:predict");
        run(
            &mut a,
            &[Action::ToggleHistogram, Action::First, Action::Enter],
        );
        assert!(
            a.query_text.starts_with("name:predict dur"),
            "{}",
            a.query_text
        );
        assert_eq!(a.query_text.matches("dur<").count(), 1);
    }
}
