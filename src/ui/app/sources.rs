//! What arrives: batches from the sources, the demo traces, and moving every index held when
//! the store is compacted.

use super::*;

impl App {
    /// Leave the welcome screen for the bundled demo traces.
    pub fn open_demo(&mut self) {
        self.effects.push(Effect::LoadDemo);
    }

    /// The demo traces were read (or not).
    pub fn on_demo_loaded(&mut self, result: Result<(), String>) {
        if let Err(e) = result {
            self.message = Some(e);
            return;
        }
        self.welcome = false;
        self.threshold_for = None;
        self.prepare();
    }

    /// Compact the store when retention has evicted enough to be worth it.
    pub fn compact_if_needed(&mut self) {
        if self.store.needs_compaction() {
            let remap = self.store.compact();
            self.remap(&remap);
        }
    }

    /// The store was compacted: move every trace and span index held here to its new place.
    pub(super) fn remap(&mut self, remap: &Remap) {
        // what the text searches found is about trace indexes that moved: search again
        self.text.reset();
        self.view.retain_rows(&mut self.list, |t| remap.trace(t));
        let wf = &mut self.wf;
        wf.trace = wf.trace.and_then(|t| remap.trace(t));
        match (wf.trace, wf.layout.as_mut()) {
            (Some(_), Some(layout)) => {
                for s in &mut layout.spans {
                    *s = remap.span(*s).unwrap_or(*s);
                }
                // laid out again on the next prepare, keeping collapse state and selection
                wf.laid_out = None;
                wf.built_for = None;
            }
            _ => {
                wf.layout = None;
                wf.built_for = None;
            }
        }
        wf.collapsed = wf.collapsed.iter().filter_map(|&s| remap.span(s)).collect();
        self.compare.marked = self.compare.marked.and_then(|t| remap.trace(t));
        if let Some(search) = self.wf.search.as_mut() {
            search.hits = search.hits.iter().filter_map(|&s| remap.span(s)).collect();
        }
        self.wf.search_texts = None;
        self.wf.search_requested = None;
        // the comparison holds span indexes: close it rather than show moved spans
        self.close_compare();
        self.detail.span = self.detail.span.and_then(|s| remap.span(s));
        self.detail.built_for = self.detail.span.map(|s| (s, u64::MAX));
        self.detail.requested = None;
        // effects not run yet hold indexes too
        self.effects.retain_mut(|e| e.remap(remap));
        // after them: what these ask for holds the new indexes already
        self.remap_reader(remap);
        self.remap_sessions(remap);
    }
}

#[cfg(test)]
mod tests {
    use crate::ui::testing::*;

    #[test]
    fn new_traces_keep_the_selection_pause_and_follow() {
        let mut a = app("otlp-jsonl");
        select(&mut a, "2fd8c451");
        let before = a.selected_trace();
        arrive(&mut a, "late-1");
        assert_eq!(a.view.rows.len(), 16);
        assert_eq!(a.selected_trace(), before, "the selection stays put");

        a.update(Action::TogglePause);
        arrive(&mut a, "late-2");
        assert_eq!(a.view.rows.len(), 16, "paused: the list is frozen");
        assert!(screen(&mut a, 120, 30).contains("[paused: 1 new"));
        a.update(Action::TogglePause);
        assert_eq!(a.view.rows.len(), 17);

        a.live = true;
        a.update(Action::ToggleFollowNewest);
        arrive(&mut a, "late-3");
        let t = a.selected_trace().unwrap();
        assert_eq!(a.store.trace_id(t), "late-3");
        assert!(screen(&mut a, 120, 30).contains("▶ following"));
        // moving by hand stops following
        a.update(Action::Up);
        assert!(!a.follow_newest);
    }
    /// The OTLP/JSON lines sample under a memory budget of `bytes`.
    fn with_budget(bytes: u64) -> App {
        let mut a = app("otlp-jsonl");
        a.store.set_retention(crate::model::store::Retention {
            max_traces: None,
            max_bytes: Some(bytes),
        });
        a
    }

    #[test]
    fn the_status_bar_shows_the_memory_budget_and_how_much_the_index_uses() {
        let mut a = with_budget(512 << 20);
        let s = screen(&mut a, 160, 30);
        let used = a.store.memory().div_ceil(1 << 20);
        assert!(s.contains(&format!("index {used} of 512 MiB")), "{s}");
    }

    /// A receiver's long label: whole where there is room, short (no request count, no
    /// loopback host) before the bounds would go.
    #[test]
    fn a_narrow_status_bar_shortens_a_receiver_before_leaving_out_the_bounds() {
        let mut a = with_budget(512 << 20);
        let src = a.store.source_mut(crate::model::SourceId(0));
        src.label = "receiver 127.0.0.1:4318 (HTTP), 127.0.0.1:4317 (gRPC)".into();
        src.state = "listening".into();
        src.requests = 123_456;
        let bar = |a: &mut App, w: u16| {
            let s = screen(a, w, 30);
            let line = s
                .lines()
                .rev()
                .find(|l| l.contains("receiver"))
                .map(String::from);
            line.unwrap_or(s)
        };
        let wide = bar(&mut a, 200);
        assert!(
            wide.contains("receiver 127.0.0.1:4318 (HTTP), 127.0.0.1:4317 (gRPC) (listening · 123456 requests)")
                && wide.contains(" of 512 MiB"),
            "{wide}"
        );
        let narrow = bar(&mut a, 110);
        assert!(
            narrow.contains("receiver :4318 (HTTP), :4317 (gRPC) (listening)")
                && narrow.contains(" of 512 MiB"),
            "{narrow}"
        );
        // a spool far from its bound goes before the index's budget
        use crate::ingest::spool::{Spool, SpoolDir};
        let root = tempfile::tempdir().unwrap();
        let dir = SpoolDir::create(root.path(), false).unwrap();
        let spool = Spool::private(a.store.registry(), &dir, 2 << 30);
        spool.append(b"{}").unwrap();
        a.opts.spool = Some(spool);
        let wide = bar(&mut a, 200);
        assert!(wide.contains(" of 2.00 GiB"), "{wide}");
        let narrow = bar(&mut a, 110);
        assert!(
            narrow.contains(" of 512 MiB") && !narrow.contains("spool"),
            "{narrow}"
        );
    }

    #[test]
    fn retention_evicts_the_oldest_and_keeps_the_selection_through_compaction() {
        let mut a = app("otlp-jsonl");
        a.store.set_retention(crate::model::store::Retention {
            max_traces: Some(20),
            max_bytes: None,
        });
        let arrive_bounded = |a: &mut App, id: &str| {
            arrive(a, id);
            a.store.enforce_retention();
            a.compact_if_needed();
            a.prepare();
        };
        // compaction comes once 1024 traces are evicted: after late-1028
        for i in 0..1031 {
            arrive_bounded(&mut a, &format!("late-{i:04}"));
            if i == 1020 {
                select(&mut a, "late-1020");
                a.update(Action::NextPane);
            }
        }
        assert_eq!(a.view.rows.len(), 20);
        let t = a.selected_trace().unwrap();
        assert!(t.0 < 40, "the store was compacted ({t:?})");
        assert_eq!(a.store.trace_id(t), "late-1020");
        assert_eq!(a.wf.trace, Some(t));
        let span = a.selected_span().unwrap();
        assert_eq!(
            a.store.span(span).trace,
            t,
            "the waterfall follows the move"
        );
        let acc = a.store.accounting();
        assert!(acc.balanced(), "{acc:?}");
        assert_eq!(acc.traces_evicted, 15 + 1031 - 20);
        let s = screen(&mut a, 120, 30);
        assert!(s.contains("20 of 20 traces"), "{s}");
        assert!(s.contains("1026 evicted (:stats)"), "{s}");
        assert!(
            !s.contains(" of 0 MiB"),
            "no memory budget, none shown: {s}"
        );
        a.run_command("stats");
        // the same label wherever the repository is checked out
        a.store.source_mut(crate::model::SourceId(0)).label = "otlp-jsonl/otlp.jsonl".into();
        insta::assert_snapshot!(screen(&mut a, 120, 24));
    }

    #[test]
    fn stats_show_the_spool_against_its_bound_and_what_it_dropped() {
        use crate::ingest::spool::{Spool, SpoolDir};
        let root = tempfile::tempdir().unwrap();
        let dir = SpoolDir::create(root.path(), false).unwrap();
        let mut a = app("otlp-jsonl");
        let spool = Spool::private(a.store.registry(), &dir, 32 << 10);
        let line = vec![b'x'; 4000];
        for _ in 0..20 {
            spool.append(&line).unwrap();
        }
        let st = spool.stats();
        assert!(st.dropped_segments > 0, "{st:?}");
        a.opts.spool = Some(spool);
        // the status bar says the spool is full (what evicted here, not the index's budget)
        let bar = screen(&mut a, 200, 30);
        let held = crate::text::human_bytes(st.held);
        let spool_full = format!("spool {held} of 32.0 KiB");
        let line = bar.lines().find(|l| l.contains(&spool_full)).expect(&bar);
        assert!(line.contains("0 rejected"), "{line}");
        // a terminal a little narrower: "0 rejected" goes whole, the spool stays
        let width = line.trim_matches('"').trim_end().chars().count() - 4;
        let bar = screen(&mut a, u16::try_from(width).unwrap(), 30);
        assert!(
            bar.contains(&spool_full) && !bar.contains("0 rejected"),
            "{bar}"
        );
        a.run_command("stats");
        let s = screen(&mut a, 200, 30);
        assert!(s.contains("on disk of 32.0 KiB (--max-spool)"), "{s}");
        assert!(s.contains("78.1 KiB written"), "{s}");
        assert!(
            s.contains(&format!(
                "{} oldest segment(s) dropped",
                st.dropped_segments
            )),
            "{s}"
        );
        assert!(s.contains(&dir.path().display().to_string()), "{s}");
    }
}
