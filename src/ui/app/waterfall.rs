//! The waterfall's handlers: laying out the selected trace with its filters (collapse, slow,
//! failed, search), the search inside the trace, moving to the next error or match, collapsing.

use super::*;

impl App {
    pub(super) fn prepare_waterfall(&mut self) {
        let trace = self.selected_trace();
        let Some(t) = trace else {
            self.wf = WaterfallState {
                critical: self.wf.critical,
                ..WaterfallState::default()
            };
            return;
        };
        let new_trace = self.wf.trace != Some(t);
        let prev_span = self.selected_span();
        if new_trace || self.wf.lay_out_again(&self.store, t) {
            self.wf.set_layout(&self.store, t);
        }
        let revision = self.wf.laid_out.map_or(u64::MAX, |(_, r)| u64::from(r));
        let key = (
            t,
            revision,
            self.slow_only,
            self.failed_only,
            self.wf.collapse_version,
        );
        if self.wf.built_for == Some(key) {
            return;
        }
        if new_trace {
            self.wf.collapsed.clear();
            self.wf.scroll = Scroll::default();
        }
        self.wf.trace = Some(t);
        if self.wf.search.is_some()
            && self.wf.search_texts.as_ref().map(|c| (c.0, c.1))
                != Some((t, self.store.trace(t).revision))
        {
            // the same search over the newly selected trace (or its new spans)
            let q = self
                .wf
                .search
                .as_ref()
                .map(|x| x.query.clone())
                .unwrap_or_default();
            self.search_hits(&q);
        }
        let wf = self.wf.layout.as_ref().expect("layout built above");
        let mut failed: Vec<bool> = wf
            .rows
            .iter()
            .map(|r| self.store.span(wf.span(r)).is_error())
            .collect();
        if !failed.contains(&true) {
            // a request said to have failed with no failed span: its root stands for it
            for (f, r) in failed.iter_mut().zip(&wf.rows) {
                *f = r.depth == 0;
            }
        }
        // with the failed filter: failed spans and their ancestors
        let mut keep_failed = vec![true; wf.rows.len()];
        if self.failed_only {
            keep_failed = with_ancestors(wf, &failed);
        }
        if let Some(search) = self.wf.search.as_ref().filter(|x| x.only) {
            let hit: Vec<bool> = wf
                .rows
                .iter()
                .map(|r| search.hits.contains(&wf.span(r)))
                .collect();
            let keep = with_ancestors(wf, &hit);
            for (k, h) in keep_failed.iter_mut().zip(keep) {
                *k &= h;
            }
        }
        let mut visible = Vec::with_capacity(wf.rows.len());
        let mut hidden_below: Option<u16> = None;
        for (i, r) in wf.rows.iter().enumerate() {
            if let Some(d) = hidden_below {
                if r.depth > d {
                    continue;
                }
                hidden_below = None;
            }
            let span = wf.span(r);
            if self.wf.collapsed.contains(&span) {
                hidden_below = Some(r.depth);
            }
            let slow_ok = !self.slow_only || r.depth == 0 || r.pct >= self.opts.min_pct;
            if slow_ok && keep_failed[i] {
                visible.push(i);
            }
        }
        self.wf.visible = visible;
        if let Some(prev) = prev_span.filter(|_| !new_trace)
            && let Some(i) = self
                .wf
                .visible
                .iter()
                .position(|&v| wf.span(&wf.rows[v]) == prev)
        {
            self.wf.scroll.selected = i;
        }
        if new_trace && let Some(row) = self.open_on_hit(t) {
            self.wf.scroll.selected = row;
        }
        self.wf.scroll.clamp(self.wf.visible.len());
        self.wf.built_for = Some(key);
    }

    /// Find `query` in the selected trace's spans (empty: no search).
    pub(crate) fn search_hits(&mut self, query: &str) {
        let Some(t) = self.selected_trace() else {
            return;
        };
        let revision = self.store.trace(t).revision;
        let cached = self.wf.search_texts.as_ref().map(|c| (c.0, c.1)) == Some((t, revision));
        if !cached && self.wf.search_requested != Some((t, revision)) {
            // the texts come back through on_search_texts, which finds the hits then
            self.wf.search_requested = Some((t, revision));
            self.effects.push(Effect::IndexSearch(t));
        }
        let q = query.to_lowercase();
        let hits = match (&self.wf.search_texts, q.is_empty()) {
            (Some((_, _, texts)), false) if cached => texts
                .iter()
                .filter(|(_, text)| text.contains(&q))
                .map(|(s, _)| *s)
                .collect(),
            _ => HashSet::new(),
        };
        let only = self.wf.search.as_ref().is_some_and(|x| x.only);
        self.wf.search = Some(SpanSearch {
            query: query.to_string(),
            hits,
            only,
        });
        self.wf.collapse_version += 1;
    }

    /// The searchable texts of trace `t`'s spans arrived: find the open search's hits in them.
    pub fn on_search_texts(&mut self, t: TraceIdx, texts: Vec<(SpanIdx, String)>, partial: bool) {
        if !self.store.is_live(t) {
            return;
        }
        let revision = self.store.trace(t).revision;
        if self.wf.search_requested == Some((t, revision)) {
            self.wf.search_requested = None;
        }
        self.wf.search_texts = Some((t, revision, texts));
        self.wf.search_partial = partial;
        if self.selected_trace() == Some(t)
            && let Some(q) = self.wf.search.as_ref().map(|x| x.query.clone())
        {
            self.search_hits(&q);
        }
    }

    /// Leave the search of the waterfall.
    pub(super) fn clear_search(&mut self) {
        self.wf.search = None;
        self.wf.search_texts = None;
        self.wf.search_requested = None;
        self.wf.collapse_version += 1;
    }

    pub(super) fn search_hit(&self, s: SpanIdx) -> bool {
        self.wf.search.as_ref().is_some_and(|x| x.hits.contains(&s))
    }

    /// A span matches the filter: its span terms hold, or a fuzzy word matches its name.
    pub(super) fn span_matches(&self, s: SpanIdx) -> bool {
        let sp = self.store.span(s);
        let m = query::Matcher::new(&self.store, &self.query);
        if m.span_matches(s) {
            return true;
        }
        let fz = query::fuzzy::Fuzzy::default();
        self.query.clauses.iter().any(|c| match &c.term {
            query::parse::Term::Fuzzy(w) if !c.negated => fz.matches(self.store.str(sp.name), w),
            query::parse::Term::Name(n) if !c.negated => {
                self.store.str(sp.name).to_lowercase().contains(n.as_str())
            }
            _ => false,
        })
    }

    /// Move the waterfall selection to the next (or previous) visible span satisfying `pred`.
    pub(super) fn jump(&mut self, forward: bool, pred: fn(&App, SpanIdx) -> bool) {
        if self.focus == Focus::List {
            self.focus = Focus::Waterfall;
        }
        let Some(wf) = self.wf.layout.as_ref() else {
            return;
        };
        let spans: Vec<SpanIdx> = self
            .wf
            .visible
            .iter()
            .map(|&v| wf.span(&wf.rows[v]))
            .collect();
        let cur = self.wf.scroll.selected;
        let n = spans.len();
        let order: Vec<usize> = if forward {
            (cur + 1..n)
                .chain(0..=cur.min(n.saturating_sub(1)))
                .collect()
        } else {
            (0..cur).rev().chain((cur..n).rev()).collect()
        };
        match order.into_iter().find(|&i| pred(self, spans[i])) {
            Some(i) => self.wf.scroll.selected = i,
            None => self.message = Some("no such span in this trace".into()),
        }
    }

    pub(super) fn collapse(&mut self, collapse: bool) {
        if self.focus != Focus::Waterfall {
            return;
        }
        let Some(s) = self.selected_span() else {
            return;
        };
        let wf = self
            .wf
            .layout
            .as_ref()
            .expect("a selected span has a layout");
        let row = self.wf.visible[self.wf.scroll.selected];
        let has_children = !wf.tree.children[wf.rows[row].idx].is_empty();
        if collapse {
            if has_children && !self.wf.collapsed.contains(&s) {
                self.wf.collapsed.insert(s);
            } else if let Some(p) = wf.tree.parent[wf.rows[row].idx] {
                // already collapsed or a leaf: go to the parent, like a file tree
                let parent_span = wf.spans[p];
                if let Some(i) = self
                    .wf
                    .visible
                    .iter()
                    .position(|&v| wf.span(&wf.rows[v]) == parent_span)
                {
                    self.wf.scroll.selected = i;
                }
                return;
            }
        } else {
            self.wf.collapsed.remove(&s);
        }
        self.wf.collapse_version += 1;
    }
}

/// The rows of `wf` that are `marked` or an ancestor of one.
fn with_ancestors(wf: &Waterfall, marked: &[bool]) -> Vec<bool> {
    let pos_of: std::collections::HashMap<usize, usize> = wf
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.idx, i))
        .collect();
    let mut keep = vec![false; wf.rows.len()];
    for (i, r) in wf.rows.iter().enumerate() {
        if marked[i] {
            keep[i] = true;
            let mut cur = wf.tree.parent[r.idx];
            while let Some(p) = cur {
                match pos_of.get(&p) {
                    Some(&pi) if !keep[pi] => keep[pi] = true,
                    // this ancestor and those above it are kept already
                    Some(_) => break,
                    None => {}
                }
                cur = wf.tree.parent[p];
            }
        }
    }
    keep
}

#[cfg(test)]
mod tests {
    use crate::ui::testing::*;

    #[test]
    fn slow_toggle_keeps_slow_traces_and_big_spans() {
        let mut a = app("otlp-jsonl");
        run(&mut a, &[Action::ToggleSlow]);
        let s = screen(&mut a, 120, 30);
        assert!(s.contains("[slow only]"));
        insta::assert_snapshot!(s);
    }
    #[test]
    fn failed_toggle_shows_failed_spans_and_their_ancestors() {
        let mut a = app("otlp-jsonl");
        run(&mut a, &[Action::ToggleFailed]);
        select(&mut a, "d0d1529e");
        run(
            &mut a,
            &[
                Action::Enter,
                Action::NextError,
                Action::Enter,
                Action::TabError,
            ],
        );
        insta::assert_snapshot!(screen(&mut a, 120, 40));
    }
    #[test]
    fn failed_toggle_keeps_the_root_of_a_request_that_failed_without_a_failed_span() {
        // the record says the request failed; none of its spans says so
        let line = r#"{"schema":"spanscope-trace/1","trace_id":"t","start":"2026-11-21T05:37:00Z","duration_ms":30,"status":"error","error":"rejected","spans":[{"span_id":"r","parent_id":null,"name":"Answer","kind":"chain","start":"2026-11-21T05:37:00Z","duration_ms":30,"status":"ok"},{"span_id":"c","parent_id":"r","name":"LM","kind":"llm","start":"2026-11-21T05:37:00Z","duration_ms":20,"status":"ok"}]}"#;
        let mut store = Store::new();
        ingest::load_reader(
            &mut store,
            "log",
            line.as_bytes(),
            ingest::Options::default(),
        )
        .unwrap();
        let mut a = App::new(store, Theme::plain(), Options::default());
        run(&mut a, &[Action::ToggleFailed, Action::Enter]);
        a.prepare();
        assert_eq!(a.view.rows.len(), 1);
        assert_eq!(a.wf.visible.len(), 1, "the root, not an empty pane");
    }
    #[test]
    fn collapse_hides_a_subtree() {
        let mut a = app("otlp-jsonl");
        select(&mut a, "2fd8c451");
        run(
            &mut a,
            &[Action::Enter, Action::Down, Action::ToggleCollapse],
        );
        let s = screen(&mut a, 100, 30);
        assert!(s.contains("▸○ Predict.forward"));
        insta::assert_snapshot!(s);
        run(&mut a, &[Action::Expand]);
        assert_eq!(a.wf.visible.len(), 16);
    }
    #[test]
    fn critical_path_is_marked() {
        let mut a = app("otlp-jsonl");
        select(&mut a, "6097b69a");
        run(
            &mut a,
            &[Action::Enter, Action::ToggleCritical, Action::Maximize],
        );
        insta::assert_snapshot!(screen(&mut a, 110, 34));
    }
    #[test]
    fn slash_in_the_waterfall_searches_names_attributes_and_texts() {
        let mut a = app("otlp-jsonl");
        select(&mut a, "d0d1529e");
        run(&mut a, &[Action::Enter, Action::OpenSearch]);
        assert_eq!(a.mode, Mode::Search);
        // "weather" is in the tool's name, its arguments, and the prompts that offer the tool
        type_text(&mut a, "WEATHER");
        let hits = a.wf.search.as_ref().unwrap().hits.len();
        assert!(hits > 1, "{hits}");
        let s = screen(&mut a, 120, 40);
        assert!(s.contains(&format!("{hits} span(s) of this trace")), "{s}");
        a.input_submit();
        assert_eq!(a.mode, Mode::Normal);
        let first = a.selected_span().unwrap();
        assert!(a.wf.search.as_ref().unwrap().hits.contains(&first));
        // n walks the hits in waterfall order and wraps
        let mut seen = vec![first];
        for _ in 1..hits {
            run(&mut a, &[Action::NextMatch]);
            seen.push(a.selected_span().unwrap());
        }
        run(&mut a, &[Action::NextMatch]);
        assert_eq!(a.selected_span(), Some(first));
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), hits);
        // text inside a prompt only: the question
        run(&mut a, &[Action::OpenSearch]);
        for _ in 0.."WEATHER".len() {
            a.input_backspace();
        }
        type_text(&mut a, "right now?");
        a.input_submit();
        let found: Vec<String> =
            a.wf.search
                .as_ref()
                .unwrap()
                .hits
                .iter()
                .map(|&s| a.store.str(a.store.span(s).name).to_string())
                .collect();
        assert!(found.iter().any(|n| n == "DummyLM.__call__"), "{found:?}");
        // f: only the hits and their ancestors
        let all = a.wf.visible.len();
        run(&mut a, &[Action::ToggleSearchOnly]);
        assert!(a.wf.visible.len() < all);
        insta::assert_snapshot!("waterfall_search_only", screen(&mut a, 120, 40));
        // Esc clears the search first, then goes back to the list
        run(&mut a, &[Action::Back]);
        assert!(a.wf.search.is_none());
        assert_eq!(a.wf.visible.len(), all);
        assert_eq!(a.focus, Focus::Waterfall);
        run(&mut a, &[Action::Back]);
        assert_eq!(a.focus, Focus::List);
    }

    /// Searching a trace of 1,000 spans sent in one OTLP body decodes that body once, and
    /// typing on reuses what was decoded.
    #[test]
    fn searching_a_trace_of_one_body_decodes_it_once() {
        use crate::ingest::detail::decode_count;
        let mut store = Store::new();
        let body = crate::ingest::testing::otlp_body(1000);
        ingest::load_reader(
            &mut store,
            "body",
            body.as_bytes(),
            ingest::Options::default(),
        )
        .unwrap();
        let mut a = App::new(store, Theme::plain(), Options::default());
        run(&mut a, &[Action::Enter]);
        let _ = screen(&mut a, 100, 30);
        let before = decode_count();
        run(&mut a, &[Action::OpenSearch]);
        type_text(&mut a, "question 99");
        assert_eq!(
            decode_count() - before,
            1,
            "one decode for every span's texts"
        );
        let hits = &a.wf.search.as_ref().unwrap().hits;
        // question 99, question 990..999
        assert_eq!(hits.len(), 11, "{hits:?}");
        type_text(&mut a, "9");
        assert_eq!(a.wf.search.as_ref().unwrap().hits.len(), 1);
        assert_eq!(
            decode_count() - before,
            1,
            "the texts are kept for the next key"
        );
        assert!(!a.wf.search_partial);
    }

    /// The explorer over the bundled demo traces, as a user opens them (UTC times).
    fn demo() -> App {
        let mut store = Store::new();
        ingest::load_reader(
            &mut store,
            "demo.jsonl",
            crate::ui::perform::DEMO,
            ingest::Options { naive_utc: true },
        )
        .unwrap();
        over(store)
    }

    /// The demo's slow request (HandbookQA: a 1.80 s retrieval, then the LM call): the header
    /// says where the time went, the columns are named, a ruler of round times sits over the
    /// bars, and the retrieval's self time is the one highlighted.
    #[test]
    fn where_the_time_went_on_the_slow_request() {
        let mut a = demo();
        select(&mut a, "28240bb5");
        run(&mut a, &[Action::Enter, Action::ToggleCritical]);
        let s = screen(&mut a, 120, 40);
        assert!(
            s.contains("critical: Retrieve 1.80s 92% → DummyLM 151ms 8%"),
            "{s}"
        );
        assert!(s.contains("DURATION % OF TRACE    SELF"), "{s}");
        insta::assert_snapshot!(s);
        // the largest self time is drawn in its own role, and only that one
        let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
        a.theme = Theme::colored();
        term.draw(|f| crate::ui::draw(f, &mut a, None)).unwrap();
        let buf = term.backend().buffer();
        let hot = a.theme.style(crate::ui::theme::Role::SelfHot);
        let marked: Vec<String> = (0..40u16)
            .filter(|&y| {
                (0..120u16)
                    .any(|x| buf[(x, y)].symbol() == "▲" && buf[(x, y)].fg == hot.fg.unwrap())
            })
            .map(|y| (0..120u16).map(|x| buf[(x, y)].symbol()).collect())
            .collect();
        assert_eq!(marked.len(), 1, "{marked:?}");
        assert!(marked[0].contains("Retrieve"), "{marked:?}");
    }

    /// A waterfall too low for a line of its own says where the time went in its title.
    #[test]
    fn a_low_waterfall_says_where_the_time_went_in_its_title() {
        let mut a = demo();
        select(&mut a, "28240bb5");
        run(&mut a, &[Action::Enter]);
        let s = screen(&mut a, 100, 24);
        let title = s
            .lines()
            .find(|l| l.contains("Waterfall HandbookQA"))
            .unwrap();
        assert!(title.contains("critical: Retrieve 1.80s 92% →"), "{s}");
        assert!(s.contains(" SPAN "), "{s}");
    }

    /// Scrolled to the last span on a small terminal, then the terminal grows: the waterfall
    /// shows its root again instead of blank rows under the last span, and the selection stays.
    #[test]
    fn after_a_resize_the_waterfall_shows_its_root_again() {
        let mut a = app("otlp-jsonl");
        select(&mut a, "6097b69a");
        run(&mut a, &[Action::Enter, Action::Last]);
        let last = a.selected_span();
        let small = screen(&mut a, 100, 24);
        assert!(a.wf.scroll.offset > 0);
        assert!(!small.contains("▾○ ReAct.forward"), "{small}");
        let big = screen(&mut a, 160, 60);
        assert_eq!(a.wf.scroll.offset, 0);
        assert!(big.contains("▾○ ReAct.forward"), "{big}");
        assert_eq!(a.selected_span(), last);
        // and back: the selection is still in sight
        let small = screen(&mut a, 100, 24);
        assert!(small.contains("◆ DummyLM.__call__"), "{small}");
        assert_eq!(
            a.wf.scroll.offset + usize::from(a.areas[1].height),
            a.wf.visible.len()
        );
    }
}
