//! Adding one record to the store: a span is linked to its trace in any arrival order, merged
//! into the span it completes, or counted as a duplicate; a trace record updates what its trace
//! says of itself. A record that a full table has no room for is refused, and changes nothing.

use super::attrs::AttrArena;
use super::ids::{self, SpanId, TraceId};
use super::idx::{self, CapacityError, Table};
use super::intern::Sym;
use super::payload::BlobId;
use super::records::{Record, SpanRecord, TraceRecord};
use super::retention;
use super::sources::SourceId;
use super::span::{Span, SpanIdx, SpanStatus, flags};
use super::store::Store;
use super::trace::{Score, TraceIdx, TraceInfo, TraceRow};

/// Internal flag: the span was recorded whole.
const COMPLETE: u8 = 128;

impl Store {
    /// Up to this many spans, a span of a trace is found by looking through the trace; the
    /// spans of bigger traces are also kept in a table by id.
    pub(super) const FEW_SPANS: usize = 16;
}

impl Store {
    /// Add one record from `source`. A record a full table has no room for is refused and
    /// counted as rejected. The trace it changes is derived by [`Store::refresh`], or when the
    /// [`Loading`](super::Loading) guard it went through drops.
    pub fn insert(&mut self, source: SourceId, rec: Record) {
        self.insert_ref(source, &rec);
    }

    /// [`Store::insert`], leaving the record to the caller: a parsing thread's records are
    /// best freed by that thread (see `ingest/parallel.rs`).
    pub fn insert_ref(&mut self, source: SourceId, rec: &Record) {
        let before = self.footprint();
        let touched = match rec {
            Record::Span(s) => self.insert_span(source, s),
            Record::Trace(t) => self.insert_trace(source, t),
            Record::Event(e) => Ok(self.insert_event(source, e)),
            Record::Rejected(reason) => {
                self.source_mut(source).reject(0, reason.clone());
                Ok(None)
            }
        };
        let t = touched.unwrap_or_else(|full| {
            self.source_mut(source).reject(0, full.to_string());
            None
        });
        let grown = self.footprint().saturating_sub(before) as u64;
        if let Some(t) = t {
            let tr = &mut self.traces[t.0 as usize];
            // a byte estimate, not an index: saturating is what it means
            let grown = u32::try_from(grown).unwrap_or(u32::MAX);
            tr.bytes = tr.bytes.saturating_add(grown);
            tr.revision = tr.revision.wrapping_add(1);
        }
        self.live_bytes += grown;
    }

    /// The trace `id` names, if held; looked up without adding anything. The records of one
    /// line or body come one after the other for the same trace: the last one found is
    /// compared first.
    fn held_trace(&self, id: &str) -> Option<TraceIdx> {
        match &self.recent_trace {
            Some((recent, t)) if recent == id => Some(*t),
            _ => self.trace_by_id(id),
        }
    }

    /// Trace `t` has id `id`: the next record's trace is compared with it first.
    fn remember(&mut self, id: &str, t: TraceIdx) {
        match &mut self.recent_trace {
            Some((recent, held)) => {
                recent.clear();
                recent.push_str(id);
                *held = t;
            }
            None => self.recent_trace = Some((id.to_string(), t)),
        }
    }

    /// A new trace row for `id`, first brought by `source`. Nothing changes when the table of
    /// traces is full.
    fn new_trace(&mut self, id: &str, source: SourceId) -> Result<TraceIdx, CapacityError> {
        let idx = TraceIdx(idx::to_u32(self.traces.len(), Table::Traces)?);
        let key = match ids::trace_hex(id) {
            Some(hex) => hex,
            None => TraceId::Text(self.strings.intern(id)?),
        };
        self.seq += 1;
        if self.retention.max_bytes.is_some() {
            retention::room(&mut self.traces);
            let n = self.columns.len();
            if n == self.columns.capacity() {
                self.columns.reserve_total(n + retention::step(n));
            }
        }
        self.traces.push(TraceRow {
            id: key,
            source,
            spans: Vec::new(),
            info: TraceInfo::default(),
            dirty: false,
            seq: self.seq,
            bytes: 0,
            revision: 0,
        });
        self.columns.push();
        self.live_traces += 1;
        self.trace_by_id.insert(idx, &self.traces);
        Ok(idx)
    }

    fn mark_dirty(&mut self, t: TraceIdx) {
        let tr = &mut self.traces[t.0 as usize];
        if !tr.dirty {
            tr.dirty = true;
            self.dirty.push(t);
        }
        self.generation += 1;
    }

    fn insert_trace(
        &mut self,
        source: SourceId,
        r: &TraceRecord,
    ) -> Result<Option<TraceIdx>, CapacityError> {
        let held = self.held_trace(&r.trace_id);
        // its id, name, error message and score label: checked first, so a refused record
        // changes nothing
        idx::ensure_room(self.strings.len(), 4, Table::Strings)?;
        let t = match held {
            Some(t) => t,
            None => self.new_trace(&r.trace_id, source)?,
        };
        self.remember(&r.trace_id, t);
        let name = self.intern_opt(r.name.as_deref())?;
        let msg = self.intern_opt(r.error_message.as_deref())?;
        let info = &mut self.traces[t.0 as usize].info;
        info.set_name(name.or(info.name()));
        info.error |= r.error.unwrap_or(false);
        if let Some(running) = r.running {
            info.running = running;
        }
        info.set_error_message(msg.or(info.error_message()));
        info.final_status = r.final_status.or(info.final_status);
        if let Some(tokens) = r.tokens {
            self.stated_tokens.insert(t, tokens);
        }
        if let Some(score) = r.score.as_ref().filter(|s| s.value.is_finite()) {
            let label = self.intern_opt(score.label.as_deref())?;
            let new = Score {
                value: score.value,
                label,
            };
            let i = t.0 as usize;
            let kept = match self.columns.score(i) {
                Some(old) if self.lower_score(old, new) => old,
                _ => new,
            };
            self.columns.set_score(i, Some(kept));
        }
        self.mark_dirty(t);
        Ok(Some(t))
    }

    /// Whether score `a` is kept over `b` when a trace is given both: the lower value (one
    /// failed metric fails the request), on a tie the label first in text order. The rule
    /// does not depend on the order the scores arrive in.
    fn lower_score(&self, a: Score, b: Score) -> bool {
        let label = |s: Score| s.label.map(|l| self.strings.resolve(l));
        match a.value.total_cmp(&b.value) {
            std::cmp::Ordering::Equal => label(a) <= label(b),
            o => o.is_lt(),
        }
    }

    fn intern_opt(&mut self, s: Option<&str>) -> Result<Option<Sym>, CapacityError> {
        s.map(|s| self.strings.intern(s)).transpose()
    }

    /// How span id `id` of trace `trace` is kept, if it can be without adding a string: hex,
    /// the trace's own id, or text already interned.
    fn known_span_id(&self, id: &str, trace: &str) -> Option<SpanId> {
        ids::span_hex(id, trace).or_else(|| self.strings.get(id).map(SpanId::Text))
    }

    /// How span id `id` of trace `trace` is kept, interned if it is text.
    fn span_id_of(&mut self, id: &str, trace: &str) -> Result<SpanId, CapacityError> {
        match ids::span_hex(id, trace) {
            Some(k) => Ok(k),
            None => self.strings.intern(id).map(SpanId::Text),
        }
    }

    /// The span of trace `t` with id `id`, if held.
    pub(super) fn find_span(&self, t: TraceIdx, id: SpanId) -> Option<SpanIdx> {
        let spans = &self.traces[t.0 as usize].spans;
        if spans.len() > Self::FEW_SPANS {
            self.span_by_key.get(&(t, id)).copied()
        } else {
            spans
                .iter()
                .copied()
                .find(|s| self.spans.has_id(s.0 as usize, id))
        }
    }

    /// Span `idx` joins trace `t`: a trace that grows past [`Store::FEW_SPANS`] spans has its
    /// spans kept by id from then on.
    fn add_to_trace(&mut self, t: TraceIdx, idx: SpanIdx, id: SpanId) {
        let spans = &mut self.traces[t.0 as usize].spans;
        spans.push(idx);
        match spans.len() {
            n if n == Self::FEW_SPANS + 1 => {
                for &s in spans.iter() {
                    self.span_by_key.insert((t, self.spans.id(s.0 as usize)), s);
                }
            }
            n if n > Self::FEW_SPANS + 1 => {
                self.span_by_key.insert((t, id), idx);
            }
            _ => {}
        }
    }

    /// Whether every table has room for what span record `r` may add, given the trace and span
    /// it names as held now (`held`). Checked before anything changes, so that a refused record
    /// leaves nothing behind (no empty trace row, no half of its attributes).
    fn room_for_span(
        &self,
        r: &SpanRecord,
        held: (Option<TraceIdx>, Option<SpanIdx>),
    ) -> Result<(), CapacityError> {
        if r.payload.is_some_and(|(_, p)| p.blob == BlobId::FULL) {
            return Err(CapacityError::full(Table::Blobs));
        }
        // at most: the trace id, the span id, the empty name, each optional text, each attribute
        let texts = [&r.parent_id, &r.name, &r.error, &r.model];
        let strings = 3 + texts.iter().filter(|s| s.is_some()).count() + 2 * r.attrs.len();
        idx::ensure_room(self.strings.len(), strings, Table::Strings)?;
        if held.0.is_none() {
            idx::ensure_room(self.traces.len(), 1, Table::Traces)?;
        }
        // the new attributes, then (merged into a held span's) its old ones and the new again
        let merged = match held.1 {
            Some(s) if !r.attrs.is_empty() => {
                self.spans.attrs(s.0 as usize).1 as usize + r.attrs.len()
            }
            Some(_) => 0,
            None => {
                idx::ensure_room(self.spans.len(), 1, Table::Spans)?;
                0
            }
        };
        idx::ensure_room(self.attrs.len(), r.attrs.len() + merged, Table::Attributes)
    }

    fn insert_span(
        &mut self,
        source: SourceId,
        r: &SpanRecord,
    ) -> Result<Option<TraceIdx>, CapacityError> {
        let held_trace = self.held_trace(&r.trace_id);
        let known_id = self.known_span_id(&r.span_id, &r.trace_id);
        let existing = held_trace
            .zip(known_id)
            .and_then(|(t, id)| self.find_span(t, id));
        if let Some(idx) = existing {
            let i = idx.0 as usize;
            if self.spans.has(i, COMPLETE) && r.complete {
                self.spans.add_flags(i, flags::DUPLICATED);
                self.sources[source.0 as usize].duplicates += 1;
                return Ok(None);
            }
        }
        self.room_for_span(r, (held_trace, existing))?;
        // from here on every table has room: the conversions below cannot fail
        let t = match held_trace {
            Some(t) => t,
            None => self.new_trace(&r.trace_id, source)?,
        };
        self.remember(&r.trace_id, t);
        let span_id = match known_id {
            Some(id) => id,
            None => self.strings.intern(&r.span_id).map(SpanId::Text)?,
        };
        let parent = match r.parent_id.as_deref() {
            Some(p) => Some(self.span_id_of(p, &r.trace_id)?),
            None => None,
        };
        let name = self.intern_opt(r.name.as_deref())?;
        let error = self.intern_opt(r.error.as_deref())?;
        let model = self.intern_opt(r.model.as_deref())?;
        let attrs = if r.attrs.is_empty() {
            None
        } else {
            let mut list = std::mem::take(&mut self.attr_scratch);
            list.clear();
            for (k, v) in r.attrs.iter() {
                list.push((self.strings.intern(k)?, self.strings.intern(v)?));
            }
            let range = self.attrs.add(&list);
            self.attr_scratch = list;
            Some(range?)
        };
        let complete = if r.complete { COMPLETE } else { 0 };
        match existing {
            Some(idx) => {
                let mut sp = self.spans.get(idx.0 as usize);
                let s = &mut sp;
                if r.parent_id.is_some() {
                    s.parent_id = parent;
                }
                if let Some(n) = name {
                    s.name = n;
                }
                s.kind = r.kind.unwrap_or(s.kind);
                s.start = r.start.or(s.start);
                s.end = r.end.or(s.end);
                // a reported duration counts only while the end is not known
                s.dur_hint = if s.end.is_some() {
                    None
                } else {
                    r.dur.or(s.dur_hint)
                };
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
                    s.attrs = merge_attr_ranges(&mut self.attrs, s.attrs, a)?;
                }
                self.spans.set(idx.0 as usize, &sp);
                self.sources[source.0 as usize].spans_merged += 1;
                if let Some(old) = replaced {
                    self.payload_ref(r.payload.map(|(_, p)| p), 1);
                    self.payload_ref(old, -1);
                }
            }
            None => {
                let idx = SpanIdx(idx::to_u32(self.spans.len(), Table::Spans)?);
                let name = match name {
                    Some(n) => n,
                    None => self.strings.intern("")?,
                };
                let mut payload = [None, None];
                if let Some((slot, p)) = r.payload {
                    payload[slot.min(1)] = Some(p);
                }
                self.spans.push(&Span {
                    trace: t,
                    span_id,
                    parent_id: parent,
                    name,
                    kind: r.kind.unwrap_or_default(),
                    start: r.start,
                    end: r.end,
                    dur_hint: if r.end.is_some() { None } else { r.dur },
                    status: r.status.unwrap_or_default(),
                    error,
                    model,
                    tokens: r.tokens,
                    flags: r.flags | complete,
                    payload,
                    attrs: attrs.unwrap_or((0, 0)),
                });
                self.add_to_trace(t, idx, span_id);
                if source != self.traces[t.0 as usize].source {
                    self.span_sources.insert(idx, source);
                }
                let src = &mut self.sources[source.0 as usize];
                src.spans_new += 1;
                src.spans_held += 1;
                self.live_spans += 1;
                self.payload_ref(r.payload.map(|(_, p)| p), 1);
            }
        }
        self.mark_dirty(t);
        Ok(Some(t))
    }
}

/// The attributes of range `a` with those of range `b` after them (a later record of the same
/// span adds to what the first said; a key it says again takes its new value); returns the
/// merged list's range.
fn merge_attr_ranges(
    arena: &mut AttrArena,
    a: (u32, u32),
    b: (u32, u32),
) -> Result<(u32, u32), CapacityError> {
    if a.1 == 0 {
        return Ok(b);
    }
    let mut merged = arena.get(a).to_vec();
    for &kv in arena.get(b) {
        match merged.iter_mut().find(|(k, _)| *k == kv.0) {
            Some(slot) => *slot = kv,
            None => merged.push(kv),
        }
    }
    arena.add(&merged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::idx::test_limit;
    use crate::model::payload::{Blob, PayloadRef, RecordFormat};
    use crate::model::sources::SourceStats;
    use std::sync::Arc;

    fn span(trace: &str, id: &str, parent: Option<&str>) -> SpanRecord {
        SpanRecord {
            trace_id: trace.into(),
            span_id: id.into(),
            parent_id: parent.map(Into::into),
            name: Some(format!("span-{id}")),
            start: Some(0),
            end: Some(10),
            complete: true,
            ..SpanRecord::default()
        }
    }

    fn store() -> (Store, SourceId) {
        let mut s = Store::new();
        let src = s.add_source("t");
        (s, src)
    }

    fn reasons(s: &SourceStats) -> Vec<&str> {
        s.rejections.iter().map(|r| r.reason.as_str()).collect()
    }

    #[test]
    fn a_full_span_table_refuses_the_record_instead_of_aliasing_a_row() {
        let _lower = test_limit::lower(Table::Spans, 2);
        let (mut s, src) = store();
        s.insert(src, Record::Span(span("t1", "a", None)));
        s.insert(src, Record::Span(span("t1", "b", Some("a"))));
        s.insert(src, Record::Span(span("t2", "c", None)));
        assert_eq!(s.span_count(), 2);
        assert_eq!(
            s.trace_count(),
            1,
            "a refused record leaves no empty trace behind"
        );
        assert_eq!(s.trace_by_id("t2"), None);
        assert_eq!(
            reasons(s.source(src)),
            ["the index is full: it holds no more than 2 spans"]
        );
        let held: Vec<String> = (0..2)
            .map(|i| s.span_id(&s.span(SpanIdx(i))).to_string())
            .collect();
        assert_eq!(held, ["a", "b"], "the rows held are untouched");
        assert!(s.accounting().balanced(), "{:?}", s.accounting());
        // what needs no new row still goes in: a record completing a held span, a resend
        let mut more = span("t1", "b", Some("a"));
        more.complete = false;
        more.model = Some("m".into());
        s.insert(src, Record::Span(more));
        s.insert(src, Record::Span(span("t1", "a", None)));
        let st = s.source(src);
        assert_eq!((st.spans_merged, st.duplicates, st.rejected), (1, 1, 1));
        assert!(s.accounting().balanced());
    }

    fn scored(trace: &str, value: f64, label: Option<&str>) -> Record {
        Record::Trace(TraceRecord {
            trace_id: trace.into(),
            score: Some(crate::model::ScoreRecord {
                value,
                label: label.map(str::to_string),
            }),
            ..TraceRecord::default()
        })
    }

    /// The value and label a trace's row holds.
    fn score_of(s: &Store, trace: &str) -> Option<(f64, Option<String>)> {
        let t = s.trace_by_id(trace)?;
        let sc = s.summary(t).score?;
        Some((sc.value, sc.label.map(|l| s.str(l).to_string())))
    }

    #[test]
    fn a_trace_keeps_its_lowest_score_whichever_order_they_come_in() {
        let scores = [
            scored("t1", 1.0, Some("pass")),
            scored("t1", 0.0, Some("fail")),
            scored("t1", 0.0, Some("bad")),
            scored("t1", f64::NAN, None),
        ];
        for order in [[0, 1, 2, 3], [3, 2, 1, 0], [1, 3, 0, 2]] {
            let (mut s, src) = store();
            s.insert(src, Record::Span(span("t1", "a", None)));
            for i in order {
                s.insert(src, scores[i].clone());
            }
            s.refresh();
            assert_eq!(
                score_of(&s, "t1"),
                Some((0.0, Some("bad".into()))),
                "{order:?}"
            );
        }
    }

    #[test]
    fn a_score_before_its_spans_waits_for_them_and_goes_with_its_trace() {
        let (mut s, src) = store();
        s.insert(src, scored("t1", 0.25, None));
        s.insert(src, Record::Span(span("t1", "a", None)));
        s.insert(src, Record::Span(span("t2", "a", None)));
        s.refresh();
        assert_eq!(score_of(&s, "t1"), Some((0.25, None)));
        assert_eq!(score_of(&s, "t2"), None);
        assert_eq!(s.trace_count(), 2, "the score made no trace of its own");
        s.set_retention(crate::model::retention::Retention {
            max_traces: Some(1),
            max_bytes: None,
        });
        s.enforce_retention();
        assert!(!s.columns().any_score(), "evicted with its trace");
        s.insert(src, scored("t2", 1.0, None));
        s.refresh();
        s.compact();
        assert_eq!(score_of(&s, "t2"), Some((1.0, None)), "compaction keeps it");
    }

    #[test]
    fn a_full_trace_table_refuses_records_of_new_traces_only() {
        let _lower = test_limit::lower(Table::Traces, 1);
        let (mut s, src) = store();
        s.insert(src, Record::Span(span("t1", "a", None)));
        s.insert(src, Record::Span(span("t2", "a", None)));
        let info = TraceRecord {
            trace_id: "t3".into(),
            name: Some("late".into()),
            ..TraceRecord::default()
        };
        s.insert(src, Record::Trace(info));
        s.insert(src, Record::Span(span("t1", "b", Some("a"))));
        assert_eq!((s.trace_count(), s.span_count()), (1, 2));
        assert_eq!(s.source(src).rejected, 2);
        assert!(
            reasons(s.source(src))
                .iter()
                .all(|r| r.ends_with(" 1 traces"))
        );
        assert!(s.accounting().balanced());
    }

    #[test]
    fn a_full_attribute_arena_refuses_a_merge_and_keeps_the_old_attributes() {
        let _lower = test_limit::lower(Table::Attributes, 5);
        let (mut s, src) = store();
        let mut a = span("t", "a", None);
        a.complete = false;
        a.attrs = vec![("k1".into(), "v1".into()), ("k2".into(), "v2".into())].into();
        s.insert(src, Record::Span(a.clone()));
        // merging needs the new pair, then the two old ones and the new one again: 2 + 4 > 5
        a.attrs = vec![("k1".into(), "v9".into())].into();
        s.insert(src, Record::Span(a));
        let got: Vec<(&str, &str)> = s.span_attrs(&s.span(SpanIdx(0))).collect();
        assert_eq!(got, [("k1", "v1"), ("k2", "v2")]);
        assert_eq!(s.source(src).rejected, 1);
        assert!(reasons(s.source(src))[0].ends_with("5 span attributes"));
    }

    #[test]
    fn a_full_string_table_refuses_the_record_before_interning_any_of_it() {
        let (mut s, src) = store();
        s.insert(src, Record::Span(span("t1", "a", None)));
        let strings = s.strings.len();
        let _lower = test_limit::lower(Table::Strings, strings + 2);
        s.insert(src, Record::Span(span("t2", "b", None)));
        assert_eq!(s.trace_count(), 1);
        assert_eq!(s.strings.len(), strings);
        assert_eq!(s.source(src).rejected, 1);
    }

    #[test]
    fn a_record_pointing_into_a_refused_blob_is_refused() {
        let _lower = test_limit::lower(Table::Blobs, 1);
        let (mut s, src) = store();
        let kept = s.add_blob(Blob::Memory(Arc::new(b"x".to_vec())));
        let refused = s.add_blob(Blob::Memory(Arc::new(b"y".to_vec())));
        assert_eq!((kept, refused), (BlobId(0), BlobId::FULL));
        let Blob::Gone(why) = s.blob(refused) else {
            panic!("a refused blob reads as gone")
        };
        assert_eq!(
            &*why,
            "the index is full: it holds no more than 1 payload blobs"
        );
        for (id, blob) in [("a", kept), ("b", refused)] {
            let mut r = span("t", id, None);
            r.payload = Some((
                0,
                PayloadRef {
                    blob,
                    offset: 0,
                    len: 1,
                    format: RecordFormat::Request,
                    locator: PayloadRef::WHOLE,
                },
            ));
            s.insert(src, Record::Span(r));
        }
        assert_eq!(s.span_count(), 1);
        assert_eq!(s.source(src).rejected, 1);
        assert!(s.accounting().balanced());
    }
}
