//! The detail pane's handlers: asking for the selected span's texts and taking them when decoded.

use super::*;

impl App {
    pub(super) fn prepare_detail(&mut self) {
        let span = self.selected_span();
        self.detail.span = span;
        let Some(s) = span else {
            self.detail.detail = None;
            self.detail.built_for = None;
            return;
        };
        let key = (s, self.store.generation());
        if self.detail.built_for != Some(key) && self.detail.requested != Some(key) {
            if self.detail.built_for.map(|k| k.0) != Some(s) {
                // another span: its texts, from the top
                self.detail.scroll = 0;
                self.detail.detail = None;
                self.detail.built_for = None;
            }
            self.detail.requested = Some(key);
            self.effects.push(Effect::DecodeDetail(s));
        }
    }

    /// The texts of span `s` were decoded.
    pub fn on_detail(&mut self, s: SpanIdx, detail: SpanDetail) {
        if self.detail.span != Some(s) {
            return;
        }
        let key = (s, self.store.generation());
        self.detail.detail = Some(detail);
        self.detail.built_for = Some(key);
        if self.detail.requested.is_some_and(|r| r.0 == s) {
            self.detail.requested = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::ui::testing::*;

    /// A long attribute value wraps under its own column, not back to the pane's edge, and the
    /// title says which line of how many the pane shows; the last page is a full page.
    #[test]
    fn attribute_values_hang_under_their_key_and_the_title_says_where_the_text_is() {
        // the ReAct agent's finish tool: its description is a long attribute
        let mut a = app("dspy-callback-jsonl");
        select(&mut a, "567b7caf");
        run(&mut a, &[Action::Enter]);
        for _ in 0..100 {
            if a.selected_span()
                .is_some_and(|s| a.store.str(a.store.span(s).name) == "Tool.finish")
            {
                break;
            }
            run(&mut a, &[Action::Down]);
        }
        run(
            &mut a,
            &[Action::Enter, Action::TabAttributes, Action::Maximize],
        );
        let keys: Vec<String> = a
            .detail
            .detail
            .as_ref()
            .unwrap()
            .attributes
            .iter()
            .map(|(k, _)| k.clone())
            .collect();
        // every row of text starts with a key (column 1) or hangs under the value column
        let hangs_under_keys = |s: &str, rows: usize| {
            for r in s.lines().skip(2).take(rows).map(|r| r.trim_matches('"')) {
                let lead = r.len() - r.trim_start().len();
                let key = lead == 1 && keys.iter().any(|k| r[1..].starts_with(&format!("{k} ")));
                assert!(key || lead >= 10 || r.trim().is_empty(), "{r:?} in {s}");
            }
        };
        let s = screen(&mut a, 100, 9);
        let page = usize::from(a.areas[Focus::Detail.index()].height);
        let total = a.detail.shown().unwrap().lines.len();
        assert!(s.contains(&format!(" line 1 of {total} ─")), "{s}");
        hangs_under_keys(&s, page);
        run(&mut a, &[Action::PageDown]);
        let s = screen(&mut a, 100, 9);
        // the tool's description: a long line of text
        assert!(s.contains(" tool.description "), "{s}");
        // a page down, or as far as a full last page goes
        let line = page.min(total - page) + 1;
        assert!(s.contains(&format!(" line {line} of {total} ─")), "{s}");
        hangs_under_keys(&s, page);
        insta::assert_snapshot!(s);
        // G: the last page, full
        run(&mut a, &[Action::Last]);
        let s = screen(&mut a, 100, 9);
        assert_eq!(usize::from(a.detail.scroll) + page, total);
        assert!(
            s.contains(&format!(" line {} of {total} ─", total - page + 1)),
            "{s}"
        );
    }

    /// The detail keeps the producer's key order: the ChainOfThought's outputs as the DSPy
    /// callback wrote them (`reasoning`, `verdict`, `confidence`), and its raw record too.
    #[test]
    fn the_detail_keeps_the_producers_key_order() {
        let mut a = app("dspy-callback-jsonl");
        select(&mut a, "baa14800");
        run(&mut a, &[Action::Enter, Action::Enter, Action::TabResponse]);
        let s = screen(&mut a, 120, 50);
        let at = |s: &str, k: &str| s.find(&format!("\"{k}\": ")).unwrap_or(usize::MAX);
        assert!(
            at(&s, "reasoning") < at(&s, "verdict") && at(&s, "verdict") < at(&s, "confidence"),
            "{s}"
        );
        run(&mut a, &[Action::TabRaw]);
        let s = screen(&mut a, 120, 50);
        assert!(
            at(&s, "v") < at(&s, "seq")
                && at(&s, "seq") < at(&s, "event")
                && at(&s, "event") < at(&s, "kind"),
            "{s}"
        );
    }
}
