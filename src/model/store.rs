//! The Store: every source feeds it records; it links spans into traces in any arrival order,
//! keeps each (trace id, span id) once, and re-derives the trace rows that changed.

use super::span::flags;
use super::trace::{TraceInfo, TraceSummary};
use super::tree::{Tree, TreeInput};
use super::{
    Blob, BlobId, Blobs, Nanos, PayloadRef, Span, SpanIdx, SpanKind, SpanStatus, Tokens, Trace,
    TraceColumns, TraceIdx, TraceStatus,
};
use foldhash::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// An interned string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sym(pub u32);

/// Interned strings: names, ids, models and short attribute values are stored once.
#[derive(Debug, Default)]
pub struct Interner {
    map: HashMap<Box<str>, Sym>,
    strings: Vec<Box<str>>,
    /// Bytes of the strings held.
    bytes: usize,
}

impl Interner {
    /// # Panics
    /// More than `u32::MAX` distinct strings.
    pub fn intern(&mut self, s: &str) -> Sym {
        if let Some(&sym) = self.map.get(s) {
            return sym;
        }
        let sym = Sym(u32::try_from(self.strings.len()).expect("fewer than 2^32 strings"));
        self.strings.push(s.into());
        self.map.insert(s.into(), sym);
        self.bytes += s.len();
        sym
    }

    /// About how much memory the strings take (each is held twice: by the map and the table).
    #[must_use]
    pub fn footprint(&self) -> usize {
        self.bytes * 2 + self.strings.len() * 64
    }

    #[must_use]
    pub fn get(&self, s: &str) -> Option<Sym> {
        self.map.get(s).copied()
    }

    #[must_use]
    pub fn resolve(&self, sym: Sym) -> &str {
        &self.strings[sym.0 as usize]
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.strings.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.strings.is_empty()
    }
}

/// A span as a parser produced it: fields it does not know are `None` and are filled in by a
/// later record of the same span (a start line, then its end line).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpanRecord {
    pub trace_id: String,
    pub span_id: String,
    pub parent_id: Option<String>,
    pub name: Option<String>,
    pub kind: Option<SpanKind>,
    pub start: Option<Nanos>,
    pub end: Option<Nanos>,
    pub dur: Option<Nanos>,
    pub status: Option<SpanStatus>,
    pub error: Option<String>,
    pub model: Option<String>,
    pub tokens: Option<Tokens>,
    pub flags: u8,
    /// Which of the span's two payload slots this record fills (0: start/whole, 1: end).
    pub payload: Option<(usize, PayloadRef)>,
    /// Short attributes for filtering and grouping.
    pub attrs: Vec<(String, String)>,
    /// The record is the whole span (OTLP, MLflow): a second copy is a duplicate.
    pub complete: bool,
}

/// What a trace-level record says (MLflow trace info, an event stream's trace_end).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TraceRecord {
    pub trace_id: String,
    pub name: Option<String>,
    pub error: Option<bool>,
    pub running: Option<bool>,
    pub error_message: Option<String>,
    /// The request's own outcome, when the record states it (a request line, a trace_end):
    /// it decides the trace status even when a step inside failed and was recovered from.
    pub final_status: Option<TraceStatus>,
    pub tokens: Option<Tokens>,
}

/// One parsed record.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Span(SpanRecord),
    Trace(TraceRecord),
    /// One part of a record refused on its own (a span with an invalid id), and why; the
    /// rest of the record is kept.
    Rejected(String),
}

/// Index of a source (a file, stdin, a listener).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SourceId(pub u32);

/// What threads that parse sources share with the store: blob and source ids are handed out
/// here, so records carry their final ids before the store sees them.
#[derive(Debug, Default)]
pub struct Registry {
    pub blobs: Blobs,
    sources: Mutex<Vec<String>>,
    /// Records sent to the store and not yet indexed (the bound of the live queue).
    in_flight: AtomicUsize,
}

impl Registry {
    /// Records queued for the store and not yet indexed.
    #[must_use]
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }

    /// `n` more records were queued.
    pub fn queued(&self, n: usize) {
        self.in_flight.fetch_add(n, Ordering::AcqRel);
    }

    /// `n` queued records were indexed (or dropped).
    pub fn applied(&self, n: usize) {
        self.in_flight.fetch_sub(n, Ordering::AcqRel);
    }

    pub fn add_source(&self, label: impl Into<String>) -> SourceId {
        let mut v = self.sources.lock().unwrap_or_else(PoisonError::into_inner);
        v.push(label.into());
        SourceId(u32::try_from(v.len() - 1).unwrap_or(u32::MAX))
    }

    fn label(&self, id: usize) -> String {
        self.sources
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
            .cloned()
            .unwrap_or_default()
    }
}

/// What a parsing thread delivers to the store in one message: the records of one source and
/// the counts that go with them.
#[derive(Debug, Default)]
pub struct Batch {
    pub source: SourceId,
    pub records: Vec<Record>,
    /// Lines (or documents, or bodies) read.
    pub units: u64,
    pub bytes: u64,
    /// Requests received (a listener).
    pub requests: u64,
    pub rejections: Vec<Rejection>,
    /// The source's new state, when it changed ("following", "retrying in 2s", …).
    pub state: Option<String>,
}

/// One rejected line or body, with where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// 1-based line number (0 for a whole file or body).
    pub line: u64,
    pub reason: String,
}

/// What a source delivered. Invariant: `records = accepted + rejected` for parsed units.
#[derive(Debug, Clone, Default)]
pub struct SourceStats {
    pub label: String,
    /// Lines (or whole documents/bodies) read.
    pub units: u64,
    pub rejected: u64,
    /// The first rejections, for `:errors` and the stderr summary.
    pub rejections: Vec<Rejection>,
    /// Span records that made a new span; of those, the ones held now and the ones evicted
    /// since (`spans_new = spans_held + spans_evicted`).
    pub spans_new: u64,
    pub spans_held: u64,
    pub spans_evicted: u64,
    pub spans_merged: u64,
    pub duplicates: u64,
    pub bytes: u64,
    /// Requests received (a listener).
    pub requests: u64,
    /// What the source is doing: empty for a file read once, else "following", "listening",
    /// "connected", "retrying in 2s", or an error.
    pub state: String,
}

impl SourceStats {
    /// Every span record this source delivered, and where it went.
    #[must_use]
    pub fn accounting(&self) -> Accounting {
        Accounting {
            received: self.spans_new + self.spans_merged + self.duplicates + self.rejected,
            indexed: self.spans_held,
            merged: self.spans_merged,
            duplicates: self.duplicates,
            evicted: self.spans_evicted,
            rejected: self.rejected,
            traces: 0,
            traces_evicted: 0,
        }
    }

    /// How many rejections are kept with their reason (all are counted).
    pub const KEPT_REJECTIONS: usize = 200;
    /// The state of a source whose existing content is still being read.
    pub const READING: &str = "reading";

    #[must_use]
    pub fn is_reading(&self) -> bool {
        self.state == Self::READING
    }

    pub fn reject(&mut self, line: u64, reason: impl Into<String>) {
        self.rejected += 1;
        if self.rejections.len() < Self::KEPT_REJECTIONS {
            self.rejections.push(Rejection {
                line,
                reason: reason.into(),
            });
        }
    }
}

/// How much the store keeps: the oldest whole traces are evicted beyond either bound.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Retention {
    pub max_traces: Option<usize>,
    /// Bytes of index and in-memory payloads (an estimate; file payloads cost nothing).
    pub max_bytes: Option<u64>,
}

impl Retention {
    #[must_use]
    pub fn is_unbounded(&self) -> bool {
        self.max_traces.is_none() && self.max_bytes.is_none()
    }
}

/// What happened to everything the sources delivered. Invariant:
/// `received = indexed + merged + duplicates + evicted + rejected`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Accounting {
    /// Span records read, and records refused (lines, or spans a receiver refused).
    pub received: u64,
    /// Spans held now.
    pub indexed: u64,
    /// Records that completed a span already held (an end line after its start line).
    pub merged: u64,
    /// Second whole copies of spans already held (same ids), dropped.
    pub duplicates: u64,
    /// Spans dropped with the oldest traces under `--max-traces` / `--max-memory`.
    pub evicted: u64,
    pub rejected: u64,
    /// Traces held now, and traces evicted.
    pub traces: u64,
    pub traces_evicted: u64,
}

impl Accounting {
    /// The balance as one line: `N span record(s) received = N indexed + … + N rejected`.
    #[must_use]
    pub fn balance(&self) -> String {
        format!(
            "{} span record(s) received = {} indexed + {} merged into earlier records + {} duplicate + {} evicted + {} rejected",
            self.received, self.indexed, self.merged, self.duplicates, self.evicted, self.rejected
        )
    }

    /// Whether every record is accounted for.
    #[must_use]
    pub fn balanced(&self) -> bool {
        self.received == self.indexed + self.merged + self.duplicates + self.evicted + self.rejected
    }
}

/// Where each trace and span moved when the store was compacted (`None`: it was evicted).
#[derive(Debug, Default)]
pub struct Remap {
    traces: Vec<u32>,
    spans: Vec<u32>,
}

impl Remap {
    const GONE: u32 = u32::MAX;

    #[must_use]
    pub fn trace(&self, t: TraceIdx) -> Option<TraceIdx> {
        match self.traces.get(t.0 as usize) {
            Some(&n) if n != Self::GONE => Some(TraceIdx(n)),
            _ => None,
        }
    }

    #[must_use]
    pub fn span(&self, s: SpanIdx) -> Option<SpanIdx> {
        match self.spans.get(s.0 as usize) {
            Some(&n) if n != Self::GONE => Some(SpanIdx(n)),
            _ => None,
        }
    }
}

/// The in-memory index.
#[derive(Debug, Default)]
pub struct Store {
    pub strings: Interner,
    traces: Vec<Trace>,
    /// What filters and sorts scan, in step with the trace rows.
    columns: TraceColumns,
    trace_by_id: HashMap<Sym, TraceIdx>,
    spans: Vec<Span>,
    span_by_key: HashMap<(TraceIdx, Sym), SpanIdx>,
    /// Short attributes of all spans, `(key, value)`, sliced by `Span::attrs`.
    attrs: Vec<(Sym, Sym)>,
    registry: Arc<Registry>,
    sources: Vec<SourceStats>,
    dirty: Vec<TraceIdx>,
    generation: u64,
    seq: u64,
    retention: Retention,
    /// Live traces and spans (evicted ones stay in the vectors until [`Store::compact`]).
    live_traces: usize,
    live_spans: usize,
    evicted_traces: u64,
    /// Evicted traces still taking room in the vectors.
    dead_traces: usize,
    /// The first trace that may still be live: traces are in arrival order, so the oldest live
    /// one is at or after it.
    evict_from: usize,
    /// Estimated bytes of the live index (payload bytes apart).
    live_bytes: u64,
    /// Span payload references per blob; in-memory blobs are let go when they reach zero.
    blob_refs: Vec<u32>,
    /// Bytes of in-memory blobs that live spans refer to.
    payload_bytes: u64,
}

impl Store {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add_source(&mut self, label: impl Into<String>) -> SourceId {
        let id = self.registry.add_source(label);
        self.source_mut(id);
        id
    }

    #[must_use]
    pub fn source(&self, id: SourceId) -> &SourceStats {
        &self.sources[id.0 as usize]
    }

    /// The stats of source `id`, known from the registry even if no record came from it yet.
    pub fn source_mut(&mut self, id: SourceId) -> &mut SourceStats {
        let i = id.0 as usize;
        while self.sources.len() <= i {
            let label = self.registry.label(self.sources.len());
            self.sources.push(SourceStats {
                label,
                ..SourceStats::default()
            });
        }
        &mut self.sources[i]
    }

    /// Index a batch a parsing thread sent.
    pub fn apply(&mut self, batch: Batch) {
        let Batch {
            source,
            records,
            units,
            bytes,
            requests,
            rejections,
            state,
        } = batch;
        let s = self.source_mut(source);
        s.units += units;
        s.bytes += bytes;
        s.requests += requests;
        for r in rejections {
            s.reject(r.line, r.reason);
        }
        if let Some(state) = state {
            s.state = state;
        }
        let n = records.len();
        for r in records {
            self.insert(source, r);
        }
        self.registry.applied(n);
        self.generation += 1;
        self.enforce_retention();
    }

    #[must_use]
    pub fn sources(&self) -> &[SourceStats] {
        &self.sources
    }

    pub fn add_blob(&mut self, blob: Blob) -> BlobId {
        self.registry.blobs.add(blob)
    }

    #[must_use]
    pub fn blob(&self, id: BlobId) -> Blob {
        self.registry.blobs.get(id)
    }

    /// The registry of blob and source ids, for threads that parse sources for this store.
    #[must_use]
    pub fn registry(&self) -> Arc<Registry> {
        Arc::clone(&self.registry)
    }

    /// Bumped whenever a record changes the index; views rebuild when it moves.
    #[must_use]
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// How many traces are held (evicted ones not counted).
    #[must_use]
    pub fn trace_count(&self) -> usize {
        self.live_traces
    }

    /// The traces held, in arrival order.
    pub fn trace_ids(&self) -> impl DoubleEndedIterator<Item = TraceIdx> + '_ {
        (self.evict_from..self.traces.len())
            .filter(|&i| self.columns.is_live(i))
            .map(|i| TraceIdx(u32::try_from(i).unwrap_or(u32::MAX)))
    }

    /// How many traces were ever indexed (evicted ones too): what "new since" counts against.
    #[must_use]
    pub fn traces_seen(&self) -> u64 {
        self.live_traces as u64 + self.evicted_traces
    }

    /// Whether trace `t` is held (not evicted).
    #[must_use]
    pub fn is_live(&self, t: TraceIdx) -> bool {
        self.columns.is_live(t.0 as usize)
    }

    /// The trace rows' scanned fields as columns (valid after [`Store::refresh`]).
    #[must_use]
    pub fn columns(&self) -> &TraceColumns {
        &self.columns
    }

    #[must_use]
    pub fn trace(&self, idx: TraceIdx) -> &Trace {
        &self.traces[idx.0 as usize]
    }

    #[must_use]
    pub fn span(&self, idx: SpanIdx) -> &Span {
        &self.spans[idx.0 as usize]
    }

    /// How many spans are held (those of evicted traces not counted).
    #[must_use]
    pub fn span_count(&self) -> usize {
        self.live_spans
    }

    #[must_use]
    pub fn str(&self, sym: Sym) -> &str {
        self.strings.resolve(sym)
    }

    /// The short attributes of a span.
    pub fn span_attrs(&self, span: &Span) -> impl Iterator<Item = (&str, &str)> {
        let (start, len) = span.attrs;
        self.attrs[start as usize..(start + len) as usize]
            .iter()
            .map(|&(k, v)| (self.str(k), self.str(v)))
    }

    /// Raw `(key, value)` symbols of a span's short attributes.
    #[must_use]
    pub fn span_attr_syms(&self, span: &Span) -> &[(Sym, Sym)] {
        let (start, len) = span.attrs;
        &self.attrs[start as usize..(start + len) as usize]
    }

    /// Find a trace by its exact id.
    #[must_use]
    pub fn trace_by_id(&self, id: &str) -> Option<TraceIdx> {
        self.trace_by_id.get(&self.strings.get(id)?).copied()
    }

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

    /// What the index holds, estimated from its parts (payload bytes apart).
    fn footprint(&self) -> usize {
        self.strings.footprint()
            + self.attrs.len() * std::mem::size_of::<(Sym, Sym)>()
            + self.spans.len() * (std::mem::size_of::<Span>() + 32)
            + self.traces.len() * (std::mem::size_of::<Trace>() + TraceColumns::ROW_BYTES + 48)
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

    /// Count a span's reference to a payload's blob (`delta` ±1). An in-memory blob counts
    /// towards `--max-memory` while referenced and is let go when no span refers to it.
    fn payload_ref(&mut self, p: Option<PayloadRef>, delta: i32) {
        let Some(p) = p else { return };
        let i = p.blob.0 as usize;
        if self.blob_refs.len() <= i {
            self.blob_refs.resize(i + 1, 0);
        }
        let was = self.blob_refs[i];
        let now = was.saturating_add_signed(delta);
        self.blob_refs[i] = now;
        let size = || self.registry.blobs.memory_len(p.blob) as u64;
        if was == 0 && now > 0 {
            self.payload_bytes += size();
        } else if was > 0 && now == 0 {
            self.payload_bytes = self.payload_bytes.saturating_sub(size());
            if self.registry.blobs.memory_len(p.blob) > 0 {
                self.registry
                    .blobs
                    .forget(p.blob, "evicted (--max-traces / --max-memory)");
            }
        }
    }

    /// Bound the store: evict the oldest whole traces beyond `--max-traces` or `--max-memory`.
    pub fn set_retention(&mut self, r: Retention) {
        self.retention = r;
        self.enforce_retention();
    }

    #[must_use]
    pub fn retention(&self) -> Retention {
        self.retention
    }

    /// Estimated bytes held: the index, and the in-memory payloads live spans refer to.
    #[must_use]
    pub fn memory(&self) -> u64 {
        self.live_bytes + self.payload_bytes
    }

    fn over_retention(&self) -> bool {
        self.live_traces > 0
            && (self
                .retention
                .max_traces
                .is_some_and(|n| self.live_traces > n)
                || self.retention.max_bytes.is_some_and(|b| self.memory() > b))
    }

    /// Evict the oldest traces until the store is within its retention.
    pub fn enforce_retention(&mut self) {
        while self.over_retention() {
            let Some(t) = self.trace_ids().next() else {
                break;
            };
            self.evict(t);
        }
    }

    /// Drop trace `t` and its spans from the index. Its rows stay in place (unreachable) until
    /// [`Store::compact`] reclaims them.
    fn evict(&mut self, t: TraceIdx) {
        let i = t.0 as usize;
        let id = self.traces[i].id;
        self.columns.kill(i);
        self.trace_by_id.remove(&id);
        let spans = std::mem::take(&mut self.traces[i].spans);
        for &s in &spans {
            let sp = &self.spans[s.0 as usize];
            let key = (t, sp.span_id);
            let payload = sp.payload;
            let src = &mut self.sources[sp.source.0 as usize];
            src.spans_held -= 1;
            src.spans_evicted += 1;
            self.span_by_key.remove(&key);
            for p in payload {
                self.payload_ref(p, -1);
            }
        }
        self.live_traces -= 1;
        self.live_spans -= spans.len();
        self.evicted_traces += 1;
        self.dead_traces += 1;
        self.live_bytes = self
            .live_bytes
            .saturating_sub(u64::from(self.traces[i].bytes));
        self.traces[i].spans = spans;
        while self.evict_from < self.traces.len() && !self.columns.is_live(self.evict_from) {
            self.evict_from += 1;
        }
        self.generation += 1;
    }

    /// Everything the sources delivered, and where it went.
    #[must_use]
    pub fn accounting(&self) -> Accounting {
        let mut a = Accounting {
            traces: self.live_traces as u64,
            traces_evicted: self.evicted_traces,
            ..Accounting::default()
        };
        for s in self.sources.iter().map(SourceStats::accounting) {
            a.received += s.received;
            a.merged += s.merged;
            a.duplicates += s.duplicates;
            a.evicted += s.evicted;
            a.rejected += s.rejected;
        }
        // counted on its own (not summed), so that the sources' shares are checked against it
        a.indexed = self.live_spans as u64;
        a
    }

    /// Whether enough evicted rows have piled up that [`Store::compact`] is worth its cost
    /// (it is linear in what the store holds).
    #[must_use]
    pub fn needs_compaction(&self) -> bool {
        self.dead_traces > 0 && self.dead_traces >= (self.live_traces / 4).max(1024)
    }

    /// Reclaim the rows of evicted traces: traces, spans, attributes and strings are rebuilt
    /// with what is live, in the same order. Indexes change; the returned [`Remap`] says where
    /// each old one went.
    pub fn compact(&mut self) -> Remap {
        let mut remap = Remap {
            traces: vec![Remap::GONE; self.traces.len()],
            spans: vec![Remap::GONE; self.spans.len()],
        };
        let mut n = 0u32;
        for i in 0..self.traces.len() {
            if self.columns.is_live(i) {
                remap.traces[i] = n;
                n += 1;
            }
        }
        let mut n = 0u32;
        for (i, sp) in self.spans.iter().enumerate() {
            if self.columns.is_live(sp.trace.0 as usize) {
                remap.spans[i] = n;
                n += 1;
            }
        }
        let old_strings = std::mem::take(&mut self.strings);
        let mut sym_map = vec![u32::MAX; old_strings.len()];
        let mut strings = Interner::default();
        let mut sym = |s: Sym| -> Sym {
            let slot = &mut sym_map[s.0 as usize];
            if *slot == u32::MAX {
                *slot = strings.intern(old_strings.resolve(s)).0;
            }
            Sym(*slot)
        };
        let rt = |t: TraceIdx| TraceIdx(remap.traces[t.0 as usize]);
        let rs = |s: SpanIdx| SpanIdx(remap.spans[s.0 as usize]);

        let old_spans = std::mem::take(&mut self.spans);
        let old_attrs = std::mem::take(&mut self.attrs);
        let mut spans = Vec::with_capacity(self.live_spans);
        let mut attrs = Vec::new();
        for mut sp in old_spans {
            if !self.columns.is_live(sp.trace.0 as usize) {
                continue;
            }
            sp.trace = rt(sp.trace);
            sp.span_id = sym(sp.span_id);
            sp.parent_id = sp.parent_id.map(&mut sym);
            sp.name = sym(sp.name);
            sp.error = sp.error.map(&mut sym);
            sp.model = sp.model.map(&mut sym);
            let (start, len) = sp.attrs;
            if len > 0 {
                let at = u32::try_from(attrs.len()).unwrap_or(u32::MAX);
                for &(k, v) in &old_attrs[start as usize..(start + len) as usize] {
                    attrs.push((sym(k), sym(v)));
                }
                sp.attrs = (at, len);
            }
            spans.push(sp);
        }
        let old_traces = std::mem::take(&mut self.traces);
        let mut traces = Vec::with_capacity(self.live_traces);
        for (i, mut tr) in old_traces.into_iter().enumerate() {
            if !self.columns.is_live(i) {
                continue;
            }
            tr.id = sym(tr.id);
            tr.info.name = tr.info.name.map(&mut sym);
            tr.info.error_message = tr.info.error_message.map(&mut sym);
            tr.summary.name = tr.summary.name.map(&mut sym);
            tr.summary.model = tr.summary.model.map(&mut sym);
            tr.summary.error_message = tr.summary.error_message.map(&mut sym);
            tr.summary.root = tr.summary.root.map(rs);
            for s in &mut tr.spans {
                *s = rs(*s);
            }
            traces.push(tr);
        }
        self.dirty = std::mem::take(&mut self.dirty)
            .into_iter()
            .filter_map(|t| remap.trace(t))
            .collect();
        self.trace_by_id = traces
            .iter()
            .enumerate()
            .map(|(i, tr)| (tr.id, TraceIdx(u32::try_from(i).unwrap_or(u32::MAX))))
            .collect();
        self.span_by_key = spans
            .iter()
            .enumerate()
            .map(|(i, sp)| {
                (
                    (sp.trace, sp.span_id),
                    SpanIdx(u32::try_from(i).unwrap_or(u32::MAX)),
                )
            })
            .collect();
        self.strings = strings;
        self.spans = spans;
        self.attrs = attrs;
        self.columns = TraceColumns::default();
        for (i, tr) in traces.iter().enumerate() {
            self.columns.push();
            self.columns.set(i, &tr.summary);
        }
        self.traces = traces;
        self.dead_traces = 0;
        self.evict_from = 0;
        self.live_bytes = self.footprint() as u64;
        self.generation += 1;
        remap
    }

    /// Re-derive every trace row that changed since the last refresh.
    pub fn refresh(&mut self) {
        let dirty = std::mem::take(&mut self.dirty);
        for t in dirty {
            if !self.is_live(t) {
                continue;
            }
            let summary = self.derive(t);
            self.columns.set(t.0 as usize, &summary);
            let tr = &mut self.traces[t.0 as usize];
            tr.summary = summary;
            tr.dirty = false;
        }
    }

    /// The tree inputs of a trace's spans, in the trace's span order.
    #[must_use]
    pub fn tree_inputs(&self, t: TraceIdx) -> Vec<TreeInput> {
        self.trace(t)
            .spans
            .iter()
            .map(|&s| {
                let sp = self.span(s);
                TreeInput {
                    id: sp.span_id,
                    parent: sp.parent_id,
                    start: sp.start,
                    end: sp.effective_end(),
                    synthetic_root: sp.has(flags::SYNTHETIC_ROOT),
                }
            })
            .collect()
    }

    fn derive(&self, t: TraceIdx) -> TraceSummary {
        let tr = self.trace(t);
        let spans: Vec<&Span> = tr.spans.iter().map(|&s| self.span(s)).collect();
        let items = self.tree_inputs(t);
        let tree = Tree::build(&items);
        let root = match tree.tops.as_slice() {
            [only] if !tree.orphan[*only] => Some(*only),
            _ => None,
        };
        let min_start = items.iter().filter_map(|i| i.start).min();
        let max_end = items.iter().filter_map(|i| i.end).max();
        let start = root.and_then(|r| items[r].start).or(min_start).unwrap_or(0);
        let root_end = root.and_then(|r| items[r].end);
        let end = root_end.or(max_end).unwrap_or(start);
        let running_root = match root {
            Some(r) => items[r].end.is_none(),
            // Only orphans so far: the root has not been sent yet.
            None => !tree.tops.is_empty() && tree.tops.iter().all(|&i| tree.orphan[i]),
        };
        let error_spans = spans.iter().filter(|s| s.is_error()).count();
        let status = if let Some(fs) = tr.info.final_status {
            fs
        } else if error_spans > 0 || tr.info.error {
            TraceStatus::Error
        } else if tr.info.running || running_root {
            TraceStatus::Running
        } else {
            TraceStatus::Ok
        };

        // LM calls: LLM spans with no LLM ancestor (an instrumented client under a DSPy LM span
        // is the same call).
        let is_llm = |i: usize| spans[i].kind == SpanKind::Llm;
        let llm_calls = (0..spans.len())
            .filter(|&i| is_llm(i) && !ancestors(&tree, i).any(is_llm))
            .count();

        let tokens = tr.info.tokens.or_else(|| trace_tokens(&spans, &tree));
        let model = tree
            .order
            .iter()
            .map(|&i| spans[i])
            .find(|s| s.model.is_some() && s.tokens.is_some() && !s.has(flags::TOKENS_CUMULATIVE))
            .or_else(|| {
                tree.order
                    .iter()
                    .map(|&i| spans[i])
                    .find(|s| s.model.is_some())
            })
            .and_then(|s| s.model);
        let name = tr
            .info
            .name
            .or_else(|| root.map(|r| spans[r].name))
            .or_else(|| tree.tops.first().map(|&i| spans[i].name));
        let error_message = tr.info.error_message.or_else(|| {
            root.and_then(|r| spans[r].error)
                .or_else(|| tree.order.iter().find_map(|&i| spans[i].error))
        });
        TraceSummary {
            name,
            start,
            duration: (end - start).max(0),
            status,
            span_count: u32::try_from(spans.len()).unwrap_or(u32::MAX),
            error_spans: u32::try_from(error_spans).unwrap_or(u32::MAX),
            llm_calls: u32::try_from(llm_calls).unwrap_or(u32::MAX),
            tokens,
            model,
            root: root.map(|r| tr.spans[r]),
            orphans: u32::try_from(tree.orphan.iter().filter(|o| **o).count()).unwrap_or(0),
            sequential: spans.iter().any(|s| s.has(flags::SEQUENTIAL)),
            error_message,
            one_model: spans.iter().all(|s| s.model.is_none() || s.model == model),
        }
    }
}

/// Internal flag: the span was recorded whole.
const COMPLETE: u8 = 128;

fn ancestors(tree: &Tree, i: usize) -> impl Iterator<Item = usize> + '_ {
    std::iter::successors(tree.parent[i], |&p| tree.parent[p])
}

/// A trace's tokens without double counting: where producers report cumulative usage (MLflow
/// module spans), sum the top-most such spans; otherwise sum the innermost spans that carry
/// usage (an LLM span whose child reports the same call is not counted twice).
fn trace_tokens(spans: &[&Span], tree: &Tree) -> Option<Tokens> {
    let carries = |i: usize| spans[i].tokens.is_some();
    let cumulative = |i: usize| carries(i) && spans[i].has(flags::TOKENS_CUMULATIVE);
    let picked: Vec<usize> = if (0..spans.len()).any(cumulative) {
        (0..spans.len())
            .filter(|&i| cumulative(i) && !ancestors(tree, i).any(cumulative))
            .collect()
    } else {
        let mut has_carrying_descendant = vec![false; spans.len()];
        for i in (0..spans.len()).filter(|&i| carries(i)) {
            for a in ancestors(tree, i) {
                has_carrying_descendant[a] = true;
            }
        }
        (0..spans.len())
            .filter(|&i| carries(i) && !has_carrying_descendant[i])
            .collect()
    };
    picked
        .iter()
        .filter_map(|&i| spans[i].tokens)
        .reduce(|a, b| a + b)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn span(trace: &str, id: &str, parent: Option<&str>, start: i64, end: i64) -> Record {
        Record::Span(SpanRecord {
            trace_id: trace.into(),
            span_id: id.into(),
            parent_id: parent.map(Into::into),
            name: Some(format!("span-{id}")),
            start: Some(start),
            end: Some(end),
            complete: true,
            ..SpanRecord::default()
        })
    }

    fn one_trace(store: &Store) -> &TraceSummary {
        assert_eq!(store.trace_count(), 1);
        &store.traces[0].summary
    }

    #[test]
    fn children_before_parents_link_up() {
        let mut s = Store::new();
        let src = s.add_source("t");
        s.insert(src, span("t1", "c", Some("r"), 10, 20));
        s.insert(src, span("t1", "r", None, 0, 100));
        s.refresh();
        let t = one_trace(&s);
        assert_eq!(t.span_count, 2);
        assert_eq!(t.duration, 100);
        assert_eq!(t.status, TraceStatus::Ok);
        assert_eq!(t.orphans, 0);
        assert_eq!(s.str(t.name.unwrap()), "span-r");
    }

    #[test]
    fn a_trace_revision_counts_the_records_merged_into_it() {
        let mut s = Store::new();
        let src = s.add_source("t");
        s.insert(src, span("t1", "r", None, 0, 100));
        s.insert(src, span("t2", "x", None, 0, 100));
        let before = s.traces[0].revision;
        // a later record of the same span: no new span, but the trace changed
        s.insert(
            src,
            Record::Span(SpanRecord {
                trace_id: "t1".into(),
                span_id: "r".into(),
                model: Some("m".into()),
                ..SpanRecord::default()
            }),
        );
        assert_eq!(s.traces[0].revision, before + 1);
        assert_eq!(s.traces[1].revision, 1);
    }

    #[test]
    fn only_orphans_means_the_root_is_still_running() {
        let mut s = Store::new();
        let src = s.add_source("t");
        s.insert(src, span("t1", "c", Some("r"), 10, 20));
        s.refresh();
        let t = one_trace(&s);
        assert_eq!(t.status, TraceStatus::Running);
        assert_eq!(t.orphans, 1);
        assert_eq!(t.root, None);
    }

    #[test]
    fn exact_resends_are_kept_once_and_counted() {
        let mut s = Store::new();
        let src = s.add_source("t");
        s.insert(src, span("t1", "r", None, 0, 100));
        s.insert(src, span("t1", "r", None, 0, 100));
        s.refresh();
        assert_eq!(one_trace(&s).span_count, 1);
        assert_eq!(s.source(src).duplicates, 1);
    }

    #[test]
    fn start_and_end_records_merge_into_one_span() {
        let mut s = Store::new();
        let src = s.add_source("t");
        let start = SpanRecord {
            trace_id: "t1".into(),
            span_id: "a".into(),
            name: Some("Predict".into()),
            start: Some(5),
            ..SpanRecord::default()
        };
        s.insert(src, Record::Span(start));
        s.refresh();
        assert_eq!(one_trace(&s).status, TraceStatus::Running);
        let end = SpanRecord {
            trace_id: "t1".into(),
            span_id: "a".into(),
            end: Some(25),
            status: Some(SpanStatus::Error),
            error: Some("boom".into()),
            ..SpanRecord::default()
        };
        s.insert(src, Record::Span(end));
        s.refresh();
        let t = one_trace(&s);
        assert_eq!(t.status, TraceStatus::Error);
        assert_eq!(t.duration, 20);
        assert_eq!(s.str(t.error_message.unwrap()), "boom");
        assert_eq!(s.span_count(), 1);
    }

    #[test]
    fn nested_llm_spans_count_one_call_and_innermost_tokens() {
        let mut s = Store::new();
        let src = s.add_source("t");
        let tok = Tokens {
            prompt: 100,
            completion: 10,
            total: 110,
        };
        let mk = |id: &str, parent: Option<&str>, kind, tokens| {
            Record::Span(SpanRecord {
                trace_id: "t".into(),
                span_id: id.into(),
                parent_id: parent.map(Into::into),
                kind: Some(kind),
                start: Some(0),
                end: Some(10),
                tokens,
                model: tokens.map(|_| "gpt-4o-mini".to_string()),
                complete: true,
                ..SpanRecord::default()
            })
        };
        s.insert(src, mk("root", None, SpanKind::Chain, None));
        s.insert(src, mk("lm", Some("root"), SpanKind::Llm, Some(tok)));
        s.insert(src, mk("completion", Some("lm"), SpanKind::Llm, Some(tok)));
        s.insert(src, mk("lm2", Some("root"), SpanKind::Llm, Some(tok)));
        s.refresh();
        let t = one_trace(&s);
        assert_eq!(t.llm_calls, 2);
        assert_eq!(
            t.tokens,
            Some(Tokens {
                prompt: 200,
                completion: 20,
                total: 220
            })
        );
        assert_eq!(s.str(t.model.unwrap()), "gpt-4o-mini");
    }

    #[test]
    fn cumulative_usage_counts_top_most_spans_only() {
        let mut s = Store::new();
        let src = s.add_source("t");
        let mk = |id: &str, parent: Option<&str>, n: u64| {
            Record::Span(SpanRecord {
                trace_id: "t".into(),
                span_id: id.into(),
                parent_id: parent.map(Into::into),
                start: Some(0),
                end: Some(10),
                tokens: Some(Tokens {
                    prompt: n,
                    completion: 0,
                    total: n,
                }),
                flags: flags::TOKENS_CUMULATIVE,
                complete: true,
                ..SpanRecord::default()
            })
        };
        s.insert(src, mk("agent", None, 30));
        s.insert(src, mk("p1", Some("agent"), 10));
        s.insert(src, mk("p2", Some("agent"), 20));
        s.refresh();
        assert_eq!(one_trace(&s).tokens.map(|t| t.total), Some(30));
    }

    #[test]
    fn trace_records_override_name_status_and_tokens() {
        let mut s = Store::new();
        let src = s.add_source("t");
        s.insert(src, span("t1", "r", None, 0, 100));
        s.insert(
            src,
            Record::Trace(TraceRecord {
                trace_id: "t1".into(),
                name: Some("request".into()),
                error: Some(true),
                tokens: Some(Tokens {
                    prompt: 1,
                    completion: 2,
                    total: 3,
                }),
                ..TraceRecord::default()
            }),
        );
        s.refresh();
        let t = one_trace(&s);
        assert_eq!(s.str(t.name.unwrap()), "request");
        assert_eq!(t.status, TraceStatus::Error);
        assert_eq!(t.tokens.unwrap().total, 3);
    }

    #[test]
    fn attributes_of_later_records_are_added() {
        let mut s = Store::new();
        let src = s.add_source("t");
        let mut a = SpanRecord {
            trace_id: "t".into(),
            span_id: "a".into(),
            ..SpanRecord::default()
        };
        a.attrs = vec![("k1".into(), "v1".into())];
        s.insert(src, Record::Span(a.clone()));
        a.attrs = vec![("k2".into(), "v2".into()), ("k1".into(), "v9".into())];
        s.insert(src, Record::Span(a));
        let sp = s.span(SpanIdx(0));
        let got: Vec<(&str, &str)> = s.span_attrs(sp).collect();
        assert_eq!(got, vec![("k1", "v9"), ("k2", "v2")]);
    }

    /// What a trace looks like from outside: enough to tell two stores apart.
    fn listing(s: &Store) -> Vec<String> {
        s.trace_ids()
            .map(|t| {
                let tr = s.trace(t);
                let spans: Vec<String> = tr
                    .spans
                    .iter()
                    .map(|&i| {
                        let sp = s.span(i);
                        let attrs: Vec<String> =
                            s.span_attrs(sp).map(|(k, v)| format!("{k}={v}")).collect();
                        format!(
                            "{}<{}:{}:{:?}:{}",
                            s.str(sp.span_id),
                            sp.parent_id.map_or("-", |p| s.str(p)),
                            s.str(sp.name),
                            sp.duration(),
                            attrs.join(",")
                        )
                    })
                    .collect();
                format!(
                    "{} {} {:?} {} [{}]",
                    s.str(tr.id),
                    tr.summary.name.map_or("-", |n| s.str(n)),
                    tr.summary.status,
                    tr.summary.duration,
                    spans.join(" ")
                )
            })
            .collect()
    }

    fn with_attr(trace: &str, id: &str, parent: Option<&str>, start: i64) -> Record {
        let Record::Span(mut r) = span(trace, id, parent, start, start + 10) else {
            unreachable!()
        };
        r.attrs = vec![("k".into(), format!("{trace}/{id}"))];
        Record::Span(r)
    }

    fn feed(s: &mut Store, src: SourceId, traces: std::ops::Range<u32>) {
        for i in traces {
            let t = format!("t{i}");
            let mut b = Batch {
                source: src,
                ..Batch::default()
            };
            b.records.push(with_attr(&t, "child", Some("root"), 5));
            b.records.push(with_attr(&t, "root", None, 0));
            s.registry.queued(b.records.len());
            s.apply(b);
        }
        s.refresh();
    }

    #[test]
    fn max_traces_keeps_the_newest_whole_traces_and_accounts_for_the_rest() {
        let mut s = Store::new();
        let src = s.add_source("t");
        s.set_retention(Retention {
            max_traces: Some(3),
            max_bytes: None,
        });
        feed(&mut s, src, 0..10);
        let ids: Vec<&str> = s.trace_ids().map(|t| s.str(s.trace(t).id)).collect();
        assert_eq!(ids, ["t7", "t8", "t9"]);
        assert_eq!(s.span_count(), 6);
        let a = s.accounting();
        assert_eq!(
            (a.received, a.indexed, a.evicted, a.traces, a.traces_evicted),
            (20, 6, 14, 3, 7)
        );
        assert!(a.balanced(), "{a:?}");
        // a late span of an evicted trace starts it again, as a partial trace
        s.insert(src, span("t0", "late", Some("root"), 1, 2));
        s.refresh();
        assert_eq!(s.trace_count(), 4);
        assert!(s.accounting().balanced());
        s.enforce_retention();
        let ids: Vec<&str> = s.trace_ids().map(|t| s.str(s.trace(t).id)).collect();
        assert_eq!(ids, ["t8", "t9", "t0"]);
    }

    #[test]
    fn compaction_keeps_what_is_live_exactly() {
        let mut kept = Store::new();
        let src = kept.add_source("t");
        kept.set_retention(Retention {
            max_traces: Some(50),
            max_bytes: None,
        });
        feed(&mut kept, src, 0..200);
        let mut fresh = Store::new();
        let src2 = fresh.add_source("t");
        feed(&mut fresh, src2, 150..200);
        assert_eq!(listing(&kept), listing(&fresh));
        let before_strings = kept.strings.len();
        let remap = kept.compact();
        assert_eq!(listing(&kept), listing(&fresh));
        assert!(kept.strings.len() < before_strings / 2, "strings reclaimed");
        assert_eq!(kept.traces.len(), 50);
        assert_eq!(kept.spans.len(), 100);
        assert_eq!(remap.trace(TraceIdx(0)), None);
        assert_eq!(remap.trace(TraceIdx(150)), Some(TraceIdx(0)));
        // lookups work on the new indexes, and more records merge into the kept traces
        let t = kept.trace_by_id("t199").unwrap();
        assert_eq!(kept.str(kept.trace(t).id), "t199");
        kept.insert(src, span("t199", "root", None, 0, 10));
        assert_eq!(kept.source(src).duplicates, 1);
        feed(&mut kept, src, 200..210);
        feed(&mut fresh, src2, 200..210);
        fresh.set_retention(Retention {
            max_traces: Some(50),
            max_bytes: None,
        });
        assert_eq!(listing(&kept), listing(&fresh));
    }

    #[test]
    fn max_memory_lets_in_memory_payloads_go() {
        let mut s = Store::new();
        let src = s.add_source("t");
        let body = Arc::new(vec![b'x'; 100_000]);
        let mut blobs = Vec::new();
        for i in 0..20 {
            let blob = s.add_blob(Blob::Memory(Arc::clone(&body)));
            blobs.push(blob);
            let Record::Span(mut r) = span(&format!("t{i}"), "root", None, 0, 10) else {
                unreachable!()
            };
            r.payload = Some((
                0,
                PayloadRef {
                    blob,
                    offset: 0,
                    len: 10,
                    format: crate::model::payload::RecordFormat::Request,
                    locator: PayloadRef::WHOLE,
                },
            ));
            s.insert(src, Record::Span(r));
        }
        assert!(s.memory() > 2_000_000, "{}", s.memory());
        s.set_retention(Retention {
            max_traces: None,
            max_bytes: Some(550_000),
        });
        assert!(s.memory() <= 550_000, "{}", s.memory());
        assert_eq!(s.trace_count(), 5);
        assert!(matches!(s.blob(blobs[0]), Blob::Gone(_)));
        assert!(matches!(s.blob(blobs[19]), Blob::Memory(_)));
        assert!(s.accounting().balanced());
    }
}
