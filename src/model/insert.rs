//! Adding one record to the store: a span is linked to its trace in any arrival order, merged
//! into the span it completes, or counted as a duplicate; a trace record updates what its trace
//! says of itself.

use super::intern::Sym;
use super::records::{Record, SpanRecord, TraceRecord};
use super::sources::SourceId;
use super::span::{Span, SpanIdx, SpanStatus, flags};
use super::store::Store;
use super::trace::{Trace, TraceIdx, TraceInfo, TraceSummary};

/// Internal flag: the span was recorded whole.
const COMPLETE: u8 = 128;

impl Store {
    fn trace_for(&mut self, id: &str) -> TraceIdx {
        let sym = self.strings.intern(id);
        if let Some(&t) = self.trace_by_id.get(&sym) {
            return t;
        }
        let idx = TraceIdx(u32::try_from(self.traces.len()).unwrap_or(u32::MAX));
        self.seq += 1;
        self.traces.push(Trace {
            id: sym,
            spans: Vec::new(),
            info: TraceInfo::default(),
            summary: TraceSummary::default(),
            dirty: false,
            seq: self.seq,
            bytes: 0,
            revision: 0,
        });
        self.columns.push();
        self.live_traces += 1;
        self.trace_by_id.insert(sym, idx);
        idx
    }

    fn mark_dirty(&mut self, t: TraceIdx) {
        let tr = &mut self.traces[t.0 as usize];
        if !tr.dirty {
            tr.dirty = true;
            self.dirty.push(t);
        }
        self.generation += 1;
    }

    /// Add one record from `source`.
    pub fn insert(&mut self, source: SourceId, rec: Record) {
        let before = self.footprint();
        let t = match rec {
            Record::Span(s) => self.insert_span(source, s),
            Record::Trace(t) => self.insert_trace(t),
            Record::Rejected(reason) => {
                self.source_mut(source).reject(0, reason);
                None
            }
        };
        let grown = self.footprint().saturating_sub(before) as u64;
        if let Some(t) = t {
            let tr = &mut self.traces[t.0 as usize];
            tr.bytes = tr
                .bytes
                .saturating_add(u32::try_from(grown).unwrap_or(u32::MAX));
            tr.revision = tr.revision.wrapping_add(1);
        }
        self.live_bytes += grown;
    }

    fn insert_trace(&mut self, r: TraceRecord) -> Option<TraceIdx> {
        let t = self.trace_for(&r.trace_id);
        let name = r.name.as_deref().map(|n| self.strings.intern(n));
        let msg = r.error_message.as_deref().map(|m| self.strings.intern(m));
        let info = &mut self.traces[t.0 as usize].info;
        info.name = name.or(info.name);
        info.error |= r.error.unwrap_or(false);
        if let Some(running) = r.running {
            info.running = running;
        }
        info.error_message = msg.or(info.error_message);
        info.final_status = r.final_status.or(info.final_status);
        info.tokens = r.tokens.or(info.tokens);
        self.mark_dirty(t);
        Some(t)
    }

    fn insert_span(&mut self, source: SourceId, r: SpanRecord) -> Option<TraceIdx> {
        let t = self.trace_for(&r.trace_id);
        let span_id = self.strings.intern(&r.span_id);
        let key = (t, span_id);
        let existing = self.span_by_key.get(&key).copied();
        if let Some(idx) = existing {
            let was_complete = self.spans[idx.0 as usize].has(COMPLETE);
            if was_complete && r.complete {
                self.spans[idx.0 as usize].flags |= flags::DUPLICATED;
                self.sources[source.0 as usize].duplicates += 1;
                return None;
            }
        }
        let parent = r.parent_id.as_deref().map(|p| self.strings.intern(p));
        let name = r.name.as_deref().map(|n| self.strings.intern(n));
        let error = r.error.as_deref().map(|e| self.strings.intern(e));
        let model = r.model.as_deref().map(|m| self.strings.intern(m));
        let attrs = if r.attrs.is_empty() {
            None
        } else {
            let start = u32::try_from(self.attrs.len()).unwrap_or(u32::MAX);
            for (k, v) in &r.attrs {
                let kv = (self.strings.intern(k), self.strings.intern(v));
                self.attrs.push(kv);
            }
            Some((start, u32::try_from(r.attrs.len()).unwrap_or(u32::MAX)))
        };
        let complete = if r.complete { COMPLETE } else { 0 };
        match existing {
            Some(idx) => {
                let s = &mut self.spans[idx.0 as usize];
                if r.parent_id.is_some() {
                    s.parent_id = parent;
                }
                if let Some(n) = name {
                    s.name = n;
                }
                s.kind = r.kind.unwrap_or(s.kind);
                s.start = r.start.or(s.start);
                s.end = r.end.or(s.end);
                s.dur_hint = r.dur.or(s.dur_hint);
                s.status = match (s.status, r.status) {
                    (SpanStatus::Error, _) | (_, Some(SpanStatus::Error)) => SpanStatus::Error,
                    (cur, new) => new.unwrap_or(cur),
                };
                s.error = error.or(s.error);
                s.model = model.or(s.model);
                s.tokens = r.tokens.or(s.tokens);
                s.flags |= r.flags | complete;
                let replaced = r.payload.map(|(slot, p)| s.payload[slot.min(1)].replace(p));
                if let Some(a) = attrs {
                    s.attrs = merge_attr_ranges(&mut self.attrs, s.attrs, a);
                }
                self.sources[source.0 as usize].spans_merged += 1;
                if let Some(old) = replaced {
                    self.payload_ref(r.payload.map(|(_, p)| p), 1);
                    self.payload_ref(old, -1);
                }
            }
            None => {
                let idx = SpanIdx(u32::try_from(self.spans.len()).unwrap_or(u32::MAX));
                let empty = self.strings.intern("");
                let mut payload = [None, None];
                if let Some((slot, p)) = r.payload {
                    payload[slot.min(1)] = Some(p);
                }
                self.spans.push(Span {
                    trace: t,
                    source,
                    span_id,
                    parent_id: parent,
                    name: name.unwrap_or(empty),
                    kind: r.kind.unwrap_or_default(),
                    start: r.start,
                    end: r.end,
                    dur_hint: r.dur,
                    status: r.status.unwrap_or_default(),
                    error,
                    model,
                    tokens: r.tokens,
                    flags: r.flags | complete,
                    payload,
                    attrs: attrs.unwrap_or((0, 0)),
                });
                self.span_by_key.insert(key, idx);
                self.traces[t.0 as usize].spans.push(idx);
                let src = &mut self.sources[source.0 as usize];
                src.spans_new += 1;
                src.spans_held += 1;
                self.live_spans += 1;
                self.payload_ref(r.payload.map(|(_, p)| p), 1);
            }
        }
        self.mark_dirty(t);
        Some(t)
    }
}

/// Append the attributes of range `b` after those of `a` (a later record of the same span adds
/// to what the first said); returns the new range.
fn merge_attr_ranges(arena: &mut Vec<(Sym, Sym)>, a: (u32, u32), b: (u32, u32)) -> (u32, u32) {
    if a.1 == 0 {
        return b;
    }
    let start = u32::try_from(arena.len()).unwrap_or(u32::MAX);
    let old: Vec<(Sym, Sym)> = arena[a.0 as usize..(a.0 + a.1) as usize].to_vec();
    let new: Vec<(Sym, Sym)> = arena[b.0 as usize..(b.0 + b.1) as usize].to_vec();
    let mut merged = old;
    for kv in new {
        match merged.iter_mut().find(|(k, _)| *k == kv.0) {
            Some(slot) => *slot = kv,
            None => merged.push(kv),
        }
    }
    let len = u32::try_from(merged.len()).unwrap_or(u32::MAX);
    arena.extend(merged);
    (start, len)
}
