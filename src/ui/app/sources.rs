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

    /// Index a batch from the sources; once enough traces were evicted, compact the store and
    /// move every index held here.
    pub fn ingest(&mut self, batch: Batch) {
        self.store.apply(batch);
        self.compact_if_needed();
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
        self.view.retain_rows(&mut self.list, |t| remap.trace(t));
        let wf = &mut self.wf;
        wf.trace = wf.trace.and_then(|t| remap.trace(t));
        match (wf.trace, wf.layout.as_mut()) {
            (Some(t), Some(layout)) => {
                for s in &mut layout.spans {
                    *s = remap.span(*s).unwrap_or(*s);
                }
                // rebuilt on the next prepare, keeping collapse state and selection
                wf.built_for = Some((t, 0, false, false, u64::MAX));
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
    }
}
