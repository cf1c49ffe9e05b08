//! The Store: every source feeds it records; it links spans into traces in any arrival order,
//! keeps each (trace id, span id) once, and derives again the trace rows a record changed
//! before anyone reads them ([`Store::apply`], [`Loading`](super::Loading)).
//!
//! Its parts live next to it: interning (`intern.rs`), ids (`ids.rs`), the span table
//! (`rows.rs`), records and batches (`records.rs`), sources and accounting (`sources.rs`), the
//! retention policy (`retention.rs`), adding a record (`insert.rs`), eviction and compaction
//! (`compact.rs`), and deriving a trace's row (`derive.rs`).

pub use super::intern::{Interner, Sym};
pub use super::records::{Batch, Record, ScoreRecord, SpanRecord, TraceRecord};
pub use super::retention::{Remap, Retention};
pub use super::sources::{Accounting, Registry, Rejection, SourceId, SourceStats};

use super::attrs::AttrArena;
use super::columns::TraceColumns;
use super::derive;
use super::ids::{self, IdStr, SpanId, TraceId};
use super::idx::{self, Table};
use super::payload::{Blob, BlobId, PayloadRef};
use super::prices;
use super::rows::SpanTable;
use super::span::{Nanodollars, Span, SpanIdx, Tokens};
use super::trace::{Trace, TraceIdx, TraceRow, TraceSummary};
use super::trace_index::TraceIndex;
use super::tree::TreeInput;
use foldhash::HashMap;
use std::sync::Arc;

/// The in-memory index.
///
/// Invariants: every row index fits its table (a record that would overflow one is refused,
/// see `idx.rs`); a trace's row is derived from its spans except while records go in one by
/// one through [`Store::insert`], until the [`Loading`](super::Loading) guard drops or [`Store::refresh`] runs.
/// The fields are the model's own: `insert.rs` adds to them, `compact.rs` rebuilds them all.
#[derive(Debug, Default)]
pub struct Store {
    pub strings: Interner,
    pub(super) traces: Vec<TraceRow>,
    /// What filters and sorts scan, in step with the trace rows.
    pub(super) columns: TraceColumns,
    pub(super) trace_by_id: TraceIndex,
    pub(super) spans: SpanTable,
    /// The spans of traces with more than [`Store::FEW_SPANS`] spans by id (a span of a smaller
    /// trace is found by looking through its trace).
    pub(super) span_by_key: HashMap<(TraceIdx, SpanId), SpanIdx>,
    /// The source of each span that did not come from its trace's first source.
    pub(super) span_sources: HashMap<SpanIdx, SourceId>,
    /// The token totals trace-level records stated (few traces have one).
    pub(super) stated_tokens: HashMap<TraceIdx, Tokens>,
    /// Log events by the ids of their span, held before the span arrives.
    pub(super) events: super::events::SpanEvents,
    /// The attributes of all spans, `(key, value)`, sliced by `Span::attrs`; each distinct
    /// list once.
    pub(super) attrs: AttrArena,
    /// A list of attributes being put together (kept for its room).
    pub(super) attr_scratch: Vec<(Sym, Sym)>,
    pub(super) registry: Arc<Registry>,
    pub(super) sources: Vec<SourceStats>,
    /// Traces changed since they were last derived.
    pub(super) dirty: Vec<TraceIdx>,
    pub(super) generation: u64,
    pub(super) seq: u64,
    pub(super) retention: Retention,
    /// Live traces and spans (evicted ones stay in the vectors until [`Store::compact`]).
    pub(super) live_traces: usize,
    pub(super) live_spans: usize,
    pub(super) evicted_traces: u64,
    /// Evicted traces still taking room in the vectors.
    pub(super) dead_traces: usize,
    /// The first trace that may still be live: traces are in arrival order, so the oldest live
    /// one is at or after it.
    pub(super) evict_from: usize,
    /// Estimated bytes of the live index (payload bytes apart).
    pub(super) live_bytes: u64,
    /// Span payload references per blob; in-memory blobs are let go when they reach zero.
    pub(super) blob_refs: Vec<u32>,
    /// Bytes of in-memory blobs that live spans refer to.
    pub(super) payload_bytes: u64,
    /// Bytes the sources read so far, for sizing the tables from what is announced
    /// ([`Registry::expect`]).
    pub(super) bytes_read: u64,
    /// The id and row of the trace the last record named (cleared when rows move or go).
    pub(super) recent_trace: Option<(String, TraceIdx)>,
    /// The tables were sized for what the sources announced ([`Store::plan_room`]).
    pub(super) planned: bool,
    /// The attribute `--session-key` names, looked for before the usual ones (`session.rs`).
    pub(super) session_key: Option<String>,
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

    /// Index a batch a parsing thread sent, and derive the traces it changed: the store is
    /// whole again when this returns.
    pub fn apply(&mut self, batch: Batch) {
        self.apply_all([batch]);
    }

    /// Index batches a parsing thread sent, then derive the traces they changed, each once:
    /// the store is whole again when this returns. A loop that drains a queue hands all it
    /// drained here rather than each batch to [`Store::apply`], so that a big trace which every
    /// batch adds a span to is derived once, not once per batch.
    pub fn apply_all(&mut self, batches: impl IntoIterator<Item = Batch>) {
        for batch in batches {
            self.index(batch);
        }
        self.refresh();
    }

    /// Index one batch, within the retention: what is evicted is never derived.
    pub(super) fn index(&mut self, batch: Batch) {
        let Batch {
            source,
            records,
            units,
            bytes,
            requests,
            rejections,
            state,
            dropped_blobs,
        } = batch;
        self.count_read(source, units, bytes);
        let s = self.source_mut(source);
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
        self.registry.applied_bytes(bytes);
        for blob in dropped_blobs {
            self.evict_blob(blob);
        }
        self.generation += 1;
        self.enforce_retention();
    }

    #[must_use]
    pub fn sources(&self) -> &[SourceStats] {
        &self.sources
    }

    /// `units` more lines (or documents) and `bytes` more bytes were read from `source`, and
    /// their records come next. Before they go in, the tables are sized for what the sources
    /// announced ([`Registry::expect`]), from what the bytes read so far held.
    pub fn count_read(&mut self, source: SourceId, units: u64, bytes: u64) {
        self.plan_room();
        self.bytes_read += bytes;
        let s = self.source_mut(source);
        s.units += units;
        s.bytes += bytes;
    }

    /// Reserve room, exactly, for what the bytes announced and not read yet will hold, at
    /// the rate of the bytes read so far (their records are in): once a sample is read (a
    /// thirty-second of what was announced, at most 8 MiB), and again only if the rest turns
    /// out denser, then by at least an eighth more. Growing by doubling instead would, at the
    /// last doubling, hold twice the index for a moment and up to half of it unused for good.
    fn plan_room(&mut self) {
        const SAMPLE: u64 = 8 << 20;
        let (read, expected) = (self.bytes_read, self.registry.expected());
        if expected <= read || read < (expected / 32).min(SAMPLE) || self.spans.is_empty() {
            return;
        }
        // what `n` items in the bytes read scale to in all, with a margin of 1/32
        let estimate = |n: usize| {
            let all =
                u128::try_from(n).unwrap_or(u128::MAX) * u128::from(expected) / u128::from(read);
            usize::try_from(all + all / 32).unwrap_or(usize::MAX)
        };
        if estimate(self.spans.len()) <= self.spans.capacity() {
            return;
        }
        // a second estimate means the first was short: leave room for the next to be short too
        let again = std::mem::replace(&mut self.planned, true);
        let scale = |n: usize| {
            let all = estimate(n);
            if again { all.max(n + n / 8) } else { all }
        };
        let (records, extras) = (self.spans.records(), self.spans.extras());
        self.spans
            .reserve_total(scale(self.spans.len()), scale(records), scale(extras));
        let traces = scale(self.traces.len());
        self.traces
            .reserve_exact(traces.saturating_sub(self.traces.len()));
        self.columns.reserve_total(traces);
        self.trace_by_id
            .reserve(traces.saturating_sub(self.trace_by_id.len()), &self.traces);
        self.attrs.reserve_total(scale(self.attrs.len()));
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

    /// The traces held, in arrival order, collected into a vector sized for them.
    #[must_use]
    pub fn trace_id_vec(&self) -> Vec<TraceIdx> {
        let rows = self.evict_from..self.traces.len();
        if rows.len() == self.live_traces
            && let (Ok(from), Ok(to)) = (u32::try_from(rows.start), u32::try_from(rows.end))
        {
            // every row from the first held one is held: the list is that range
            return (from..to).map(TraceIdx).collect();
        }
        let mut v = Vec::with_capacity(self.live_traces);
        v.extend(self.trace_ids());
        v
    }

    /// The traces held, in arrival order.
    pub fn trace_ids(&self) -> impl DoubleEndedIterator<Item = TraceIdx> + '_ {
        (self.evict_from..self.traces.len())
            .filter(|&i| self.columns.is_live(i))
            // a row of the table: its index was checked when the trace went in
            .map(|i| TraceIdx(idx::to_u32(i, Table::Traces).expect("a trace row")))
    }

    /// Rows of the trace table: held traces, and evicted ones until [`Store::compact`].
    #[must_use]
    pub fn trace_rows(&self) -> usize {
        self.traces.len()
    }

    /// The rows of the trace table from `from` on, held or evicted: a reader that remembers
    /// how far it looked finds the traces added since, and those evicted before it saw them.
    pub fn rows_from(&self, from: usize) -> impl Iterator<Item = TraceIdx> + '_ {
        (from..self.traces.len())
            .map(|i| TraceIdx(idx::to_u32(i, Table::Traces).expect("a trace row")))
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

    /// The trace rows' scanned fields as columns.
    #[must_use]
    pub fn columns(&self) -> &TraceColumns {
        &self.columns
    }

    /// Trace `idx`, with its summary put back together from the columns.
    #[must_use]
    pub fn trace(&self, idx: TraceIdx) -> Trace<'_> {
        let row = &self.traces[idx.0 as usize];
        Trace {
            id: row.id,
            spans: &row.spans,
            summary: self.summary(idx),
            seq: row.seq,
            revision: row.revision,
        }
    }

    /// The spans of trace `idx`, in arrival order.
    #[must_use]
    pub fn trace_spans(&self, idx: TraceIdx) -> &[SpanIdx] {
        &self.traces[idx.0 as usize].spans
    }

    /// The summary derived for trace `idx`.
    #[must_use]
    pub fn summary(&self, idx: TraceIdx) -> TraceSummary {
        self.columns.summary(idx.0 as usize)
    }

    /// Span `idx`, assembled from the span table.
    #[must_use]
    pub fn span(&self, idx: SpanIdx) -> Span {
        self.spans.get(idx.0 as usize)
    }

    /// The source whose record first brought span `s` (its accounting holds it).
    #[must_use]
    pub fn span_source(&self, s: SpanIdx) -> SourceId {
        let trace = self.spans.trace(s.0 as usize);
        self.span_sources
            .get(&s)
            .copied()
            .unwrap_or(self.traces[trace.0 as usize].source)
    }

    /// The span table, for loops over many spans (filters, statistics): its columns answer
    /// without assembling each span.
    #[must_use]
    pub fn spans(&self) -> &SpanTable {
        &self.spans
    }

    /// The id of trace `t`, as the producer wrote it.
    #[must_use]
    pub fn trace_id(&self, t: TraceIdx) -> IdStr<'_> {
        self.id_str(self.traces[t.0 as usize].id)
    }

    /// The order of two traces' ids as text, without writing hex ids out: a hex id's text is
    /// its 32 lowercase digits, so their numeric order is their text order.
    #[must_use]
    pub fn cmp_trace_ids(&self, a: TraceIdx, b: TraceIdx) -> std::cmp::Ordering {
        match (self.traces[a.0 as usize].id, self.traces[b.0 as usize].id) {
            (TraceId::Hex { hi: ah, lo: al }, TraceId::Hex { hi: bh, lo: bl }) => {
                (ah, al).cmp(&(bh, bl))
            }
            _ => self.trace_id(a).as_str().cmp(self.trace_id(b).as_str()),
        }
    }

    /// The value of trace `t`'s id when it is 32 hex digits (their order is the text's).
    #[must_use]
    pub fn trace_hex(&self, t: TraceIdx) -> Option<u128> {
        match self.traces[t.0 as usize].id {
            TraceId::Hex { hi, lo } => Some(u128::from(hi) << 64 | u128::from(lo)),
            TraceId::Text(_) => None,
        }
    }

    /// When trace `t` first arrived: a number that grows with every new trace.
    #[must_use]
    pub fn arrival(&self, t: TraceIdx) -> u64 {
        self.traces[t.0 as usize].seq
    }

    /// Trace id `id`, as the producer wrote it.
    #[must_use]
    pub fn id_str(&self, id: TraceId) -> IdStr<'_> {
        match id {
            TraceId::Hex { hi, lo } => IdStr::hex(u128::from(hi) << 64 | u128::from(lo), 32),
            TraceId::Text(sym) => IdStr::text(self.str(sym)),
        }
    }

    /// Span id `id` of a span of trace `t`, as the producer wrote it.
    #[must_use]
    pub fn id_of(&self, t: TraceIdx, id: SpanId) -> IdStr<'_> {
        match id {
            SpanId::Hex(v) => IdStr::hex(u128::from(v), 16),
            SpanId::Text(sym) => IdStr::text(self.str(sym)),
            SpanId::Trace => self.trace_id(t),
        }
    }

    /// The id of span `sp`, as the producer wrote it.
    #[must_use]
    pub fn span_id(&self, sp: &Span) -> IdStr<'_> {
        self.id_of(sp.trace, sp.span_id)
    }

    /// The parent id span `sp` declared, as the producer wrote it.
    #[must_use]
    pub fn parent_id(&self, sp: &Span) -> Option<IdStr<'_>> {
        sp.parent_id.map(|p| self.id_of(sp.trace, p))
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

    /// The attributes of a span, as kept (a long value cut to its beginning).
    pub fn span_attrs(&self, span: &Span) -> impl Iterator<Item = (&str, &str)> {
        self.span_attr_syms(span)
            .iter()
            .map(|&(k, v)| (self.str(k), self.str(v)))
    }

    /// Raw `(key, value)` symbols of a span's attributes.
    #[must_use]
    pub fn span_attr_syms(&self, span: &Span) -> &[(Sym, Sym)] {
        self.attr_syms(span.attrs)
    }

    /// Raw `(key, value)` symbols of the attributes in `range` of the arena (a span's, see
    /// [`SpanTable::attrs`]).
    #[must_use]
    pub fn attr_syms(&self, range: (u32, u32)) -> &[(Sym, Sym)] {
        self.attrs.get(range)
    }

    /// What span `s`'s LM call cost (`prices.rs`): the producer's figure, else its model's
    /// price of its tokens; `None` without tokens or a price.
    #[must_use]
    pub fn span_cost(&self, s: SpanIdx) -> Option<Nanodollars> {
        let i = s.0 as usize;
        let t = self.spans.tokens(i)?;
        let model = self.spans.model(i).map(|m| self.strings.resolve(m));
        prices::call_cost(model, &t, self.spans.start(i))
    }

    /// Find a trace by its exact id.
    #[must_use]
    pub fn trace_by_id(&self, id: &str) -> Option<TraceIdx> {
        let key = match ids::trace_hex(id) {
            Some(hex) => hex,
            None => TraceId::Text(self.strings.get(id)?),
        };
        self.trace_by_id.get(key, &self.traces)
    }

    /// The tree inputs of a trace's spans, in the trace's span order.
    #[must_use]
    pub fn tree_inputs(&self, t: TraceIdx) -> Vec<TreeInput> {
        derive::tree_inputs(&self.spans, self.trace_spans(t))
    }

    /// Name the attribute (or MLflow metadata key) that says which conversation a trace is a
    /// turn of, looked for before the usual ones; every trace's session is derived again.
    pub fn set_session_key(&mut self, key: Option<&str>) {
        self.session_key = key.map(str::to_string);
        self.dirty = self.trace_ids().collect();
        self.refresh();
    }

    /// What the index holds, estimated from its parts (payload bytes apart).
    pub(super) fn footprint(&self) -> usize {
        self.strings.footprint()
            + self.attrs.len() * std::mem::size_of::<(Sym, Sym)>()
            + self.spans.footprint()
            + self.spans.len() * std::mem::size_of::<SpanIdx>()
            + self.traces.len() * (std::mem::size_of::<TraceRow>() + TraceColumns::ROW_BYTES + 48)
    }

    /// Count a span's reference to a payload's blob (`delta` ±1). An in-memory blob counts
    /// towards `--max-memory` while referenced and is let go when no span refers to it.
    pub(super) fn payload_ref(&mut self, p: Option<PayloadRef>, delta: i32) {
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
        self.spans.grow_gently(r.max_bytes.is_some());
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::span::{SpanKind, SpanStatus, Tokens, flags};
    use crate::model::testing::span;
    use crate::model::trace::{TraceStatus, TraceSummary};

    fn one_trace(store: &Store) -> TraceSummary {
        assert_eq!(store.trace_count(), 1);
        store.summary(TraceIdx(0))
    }

    #[test]
    fn the_tables_are_sized_from_the_announced_bytes_instead_of_doubling() {
        let mut s = Store::new();
        let src = s.add_source("t");
        // 1,100 traces of 4 spans in 100 bytes each, announced up front
        s.registry.expect(110_000);
        for t in 0..1_100 {
            s.count_read(src, 1, 100);
            let id = format!("t{t}");
            s.insert(src, span(&id, "r", None, 0, 10));
            for c in ["a", "b", "c"] {
                s.insert(src, span(&id, c, Some("r"), 1, 2));
            }
        }
        s.refresh();
        let (spans, traces) = (s.spans.capacity(), s.traces.capacity());
        // doubling would have left 8,192 and 2,048
        assert!((4_400..=4_400 * 35 / 32).contains(&spans), "{spans}");
        assert!((1_100..=1_100 * 35 / 32).contains(&traces), "{traces}");
        // what was not announced grows as vectors do
        for t in 1_100..1_200 {
            s.count_read(src, 1, 100);
            s.insert(src, span(&format!("t{t}"), "r", None, 0, 10));
        }
        assert_eq!(s.trace_count(), 1_200);
    }

    /// While a source is read, a trace is derived when it is new or has doubled its spans
    /// since; what is left is derived by the refresh at the end.
    #[test]
    fn traces_are_derived_while_read_when_new_or_doubled() {
        let mut s = Store::new();
        let src = s.add_source("t");
        let derived = |s: &Store| s.summary(TraceIdx(0)).span_count;
        s.insert(src, span("t", "r", None, 0, 100));
        s.refresh_grown();
        assert_eq!(derived(&s), 1);
        s.insert(src, span("t", "a", Some("r"), 1, 2));
        s.refresh_grown();
        assert_eq!(derived(&s), 2);
        s.insert(src, span("t", "b", Some("r"), 1, 2));
        s.refresh_grown();
        assert_eq!(derived(&s), 2, "3 spans are not twice 2: left for later");
        s.insert(src, span("u", "r", None, 0, 10));
        s.refresh_grown();
        assert_eq!(
            s.summary(TraceIdx(1)).span_count,
            1,
            "a new trace is derived"
        );
        assert_eq!(derived(&s), 2);
        s.refresh();
        assert_eq!(derived(&s), 3);
        assert!(s.dirty.is_empty());
        // a big trace waits for the end
        let big = Store::DERIVED_WHILE_READ;
        for i in 0..=big {
            s.insert(src, span("v", &format!("s{i}"), None, 0, 10));
        }
        s.refresh_grown();
        assert_eq!(s.summary(TraceIdx(2)).span_count, 0);
        s.refresh();
        assert_eq!(s.summary(TraceIdx(2)).span_count as usize, big + 1);
    }

    /// However a producer wrote its ids, they print back exactly, find their trace, and link
    /// children to parents: hex ids as values, the rest as text.
    #[test]
    fn ids_print_back_exactly_as_written() {
        let mut s = Store::new();
        let src = s.add_source("t");
        let traces = [
            "46685257bdd640fb06671ad11c80317f",
            "46685257BDD640FB06671AD11C80317F",
            "46685257-bdd6-40fb-0667-1ad11c80317f",
            "t1",
        ];
        let spans = ["00f067aa0ba902b7", "00F067AA0BA902B7", "step-1"];
        for t in traces {
            // the root's id is the trace's own, as a request line's is
            s.insert(src, span(t, t, None, 0, 100));
            let mut parent = t;
            for id in spans {
                s.insert(src, span(t, id, Some(parent), 10, 20));
                parent = id;
            }
        }
        s.refresh();
        assert_eq!(s.trace_count(), 4, "upper and lower case are different ids");
        for t in traces {
            let idx = s.trace_by_id(t).expect(t);
            assert_eq!(s.trace_id(idx).as_str(), t);
            let ids: Vec<(String, Option<String>)> = s
                .trace_spans(idx)
                .iter()
                .map(|&i| {
                    let sp = s.span(i);
                    (
                        s.span_id(&sp).to_string(),
                        s.parent_id(&sp).map(String::from),
                    )
                })
                .collect();
            assert_eq!(ids[0], (t.to_string(), None));
            assert_eq!(ids[1], (spans[0].to_string(), Some(t.to_string())));
            assert_eq!(ids[3], (spans[2].to_string(), Some(spans[1].to_string())));
            let sum = s.summary(idx);
            assert_eq!((sum.orphans, sum.root), (0, Some(s.trace_spans(idx)[0])));
        }
        assert_eq!(s.trace_by_id("46685257bdd640fb06671ad11c80317e"), None);
        assert_eq!(s.trace_by_id("T1"), None);
        // only the ids that are not lowercase hex of their width took a string
        assert!(s.strings.get("46685257bdd640fb06671ad11c80317f").is_none());
        assert!(s.strings.get("00f067aa0ba902b7").is_none());
        assert!(s.strings.get("00F067AA0BA902B7").is_some());
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
    fn a_batch_is_derived_when_apply_returns() {
        let mut s = Store::new();
        let src = s.add_source("t");
        let records = vec![
            span("t1", "c", Some("r"), 10, 20),
            span("t1", "r", None, 0, 100),
        ];
        s.registry.queued(records.len());
        s.apply(Batch {
            source: src,
            records,
            ..Batch::default()
        });
        let t = one_trace(&s);
        assert_eq!(
            (t.span_count, t.duration, t.root),
            (2, 100, Some(SpanIdx(1)))
        );
        assert_eq!(s.columns().duration[0], 100);
        assert_eq!(s.registry.in_flight(), 0);
    }

    #[test]
    fn batches_applied_together_are_derived_when_apply_all_returns() {
        let mut s = Store::new();
        let src = s.add_source("t");
        let batches: Vec<Batch> = [
            span("t1", "c", Some("r"), 10, 20),
            span("t1", "r", None, 0, 100),
            span("t2", "r", None, 5, 7),
        ]
        .into_iter()
        .map(|r| Batch {
            source: src,
            records: vec![r],
            ..Batch::default()
        })
        .collect();
        s.registry.queued(batches.len());
        s.apply_all(batches);
        let t1 = s.trace(TraceIdx(0)).summary.clone();
        assert_eq!(
            (t1.span_count, t1.duration, t1.root),
            (2, 100, Some(SpanIdx(1)))
        );
        assert_eq!(s.trace(TraceIdx(1)).summary.duration, 2);
        assert_eq!((s.registry.in_flight(), s.accounting().indexed), (0, 3));
    }

    #[test]
    fn a_loading_guard_derives_what_went_through_it_when_dropped() {
        let mut s = Store::new();
        let src = s.add_source("t");
        {
            let mut loading = s.loading();
            loading.insert(src, span("t1", "c", Some("r"), 10, 20));
            loading.insert(src, span("t1", "r", None, 0, 100));
        }
        assert_eq!(one_trace(&s).span_count, 2);
        {
            let mut loading = s.loading();
            for r in [
                span("t1", "d", Some("r"), 20, 30),
                span("t1", "e", Some("r"), 30, 40),
            ] {
                loading.registry.queued(1);
                loading.apply(Batch {
                    source: src,
                    records: vec![r],
                    ..Batch::default()
                });
            }
        }
        assert_eq!(one_trace(&s).span_count, 4);
        assert_eq!(s.registry.in_flight(), 0);
        // nothing left to derive: refresh is cheap and changes nothing
        let before = s.generation();
        s.refresh();
        assert_eq!((s.generation(), one_trace(&s).duration), (before, 100));
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
            ..Tokens::default()
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
                total: 220,
                ..Tokens::default()
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
                    ..Tokens::default()
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
                    ..Tokens::default()
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
        a.attrs = vec![("k1".into(), "v1".into())].into();
        s.insert(src, Record::Span(a.clone()));
        a.attrs = vec![("k2".into(), "v2".into()), ("k1".into(), "v9".into())].into();
        s.insert(src, Record::Span(a));
        let sp = s.span(SpanIdx(0));
        let got: Vec<(&str, &str)> = s.span_attrs(&sp).collect();
        assert_eq!(got, vec![("k1", "v9"), ("k2", "v2")]);
    }
}
