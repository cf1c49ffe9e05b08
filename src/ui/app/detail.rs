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
