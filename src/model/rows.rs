//! The span table: every span in a few plain vectors instead of one wide struct.
//!
//! - What filters and the derivation scan has a column of its own: the trace, start, duration,
//!   name, and one byte of kind, status and what the duration column holds (`span.dur`,
//!   `span.kind`, `span.status`, `span.name` read only these).
//! - The rest of what every span has is one 32-byte [`Row`]: its id and its parent's (binary,
//!   see `ids.rs`), its flags, where its record is, and its entry in the side table.
//! - What few spans carry (tokens, model, error, a second payload) is an [`Extra`] of the side
//!   table; most spans have none.
//! - Payload references share their record: the spans of one line point to one entry of the
//!   record table, with their own locator.
//!
//! A span's attributes are a range of the store's arena. [`SpanTable::get`] assembles a
//! [`Span`] for readers; [`SpanTable::push`] and [`SpanTable::set`] take one apart.

use super::Nanos;
use super::ids::SpanId;
use super::intern::NO_SYM;
use super::intern::Sym;
use super::payload::{BlobId, PayloadRef, RecordFormat};
use super::retention;
use super::span::{Span, SpanIdx, SpanKind, SpanStatus, Tokens};
use super::trace::TraceIdx;
use foldhash::HashMap;

mod retain;

/// A start not known (yet). A producer's `i64::MIN` (before the year 1678) reads as one
/// nanosecond later.
const NO_TIME: Nanos = Nanos::MIN;
/// No entry of a side table.
const NONE: u32 = u32::MAX;

/// Bits of [`SpanTable::state`]: the kind (three bits), the status (two), and what the
/// duration column holds (two).
mod state {
    pub const KIND: u8 = 0b111;
    pub const STATUS_SHIFT: u32 = 3;
    pub const STATUS: u8 = 0b11 << STATUS_SHIFT;
    pub const END_SHIFT: u32 = 5;
    pub const END: u8 = 0b11 << END_SHIFT;
    /// No end and no duration.
    pub const NO_END: u8 = 0;
    /// The end, as its distance from the start.
    pub const END_REL: u8 = 1 << END_SHIFT;
    /// A duration reported without an end.
    pub const DUR_HINT: u8 = 2 << END_SHIFT;
    /// The end itself (its start is not known, or too far away).
    pub const END_ABS: u8 = 3 << END_SHIFT;
}

/// Bits of [`Row::flags`] above the span's own flags (the low byte): how its id and its
/// parent's are kept, and whether its side-table entry holds tokens.
mod idbits {
    pub const ID_SHIFT: u32 = 8;
    pub const PARENT_SHIFT: u32 = 10;
    pub const MASK: u16 = 0b11;
    pub const TOKENS: u16 = 1 << 12;
    /// A count over `u32::MAX`, or details: the tokens are in the table of wide ones.
    pub const WIDE_TOKENS: u16 = 1 << 13;
}

/// What every span has that filters do not scan: 32 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Row {
    /// The span id's value (see [`id_parts`]).
    id: u64,
    parent: u64,
    /// The record its first payload is in (a row of the record table), or [`NONE`].
    record: u32,
    locator: u32,
    /// Its entry in the side table, or [`NONE`].
    extra: u32,
    /// The span's own flags (low byte) and how its ids are kept ([`idbits`]).
    flags: u16,
}

/// What few spans carry (28 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Extra {
    /// Prompt, completion and total, when [`idbits::TOKENS`] says there are tokens (and
    /// [`idbits::WIDE_TOKENS`] does not).
    tokens: [u32; 3],
    model: u32,
    error: u32,
    /// The second payload (an end line): record and locator.
    record: u32,
    locator: u32,
}

impl Extra {
    const EMPTY: Extra = Extra {
        tokens: [0; 3],
        model: NONE,
        error: NONE,
        record: NONE,
        locator: 0,
    };
}

/// One record payloads point into (a line, a body): shared by the spans it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct RecordAt {
    offset: u64,
    blob: BlobId,
    len: u32,
    format: RecordFormat,
}

/// The spans of the store, indexed by [`SpanIdx`].
#[derive(Debug, Default)]
pub struct SpanTable {
    rows: Vec<Row>,
    trace: Vec<TraceIdx>,
    start: Vec<Nanos>,
    /// What [`state::END`] says: the end's distance from the start, a reported duration, or the
    /// end itself.
    dur: Vec<Nanos>,
    name: Vec<Sym>,
    state: Vec<u8>,
    attrs: Vec<(u32, u32)>,
    extras: Vec<Extra>,
    records: Vec<RecordAt>,
    /// Token counts that do not fit the side table's (a count over `u32::MAX`, or details: cache,
    /// reasoning, a stated cost), by side-table entry.
    wide_tokens: HashMap<u32, Tokens>,
    /// Under a memory budget: the vectors grow by [`retention::step`], not by doubling.
    gentle: bool,
}

/// An id as a kind (2 bits) and a value.
fn id_parts(id: SpanId) -> (u16, u64) {
    match id {
        SpanId::Hex(v) => (0, v),
        SpanId::Text(s) => (1, u64::from(s.0)),
        SpanId::Trace => (2, 0),
    }
}

fn id_of(kind: u16, value: u64) -> SpanId {
    match kind {
        0 => SpanId::Hex(value),
        // a symbol was stored as its u32
        1 => SpanId::Text(Sym(u32::try_from(value).unwrap_or(u32::MAX))),
        _ => SpanId::Trace,
    }
}

fn time(t: Option<Nanos>) -> Nanos {
    t.map_or(NO_TIME, |t| t.max(NO_TIME + 1))
}

fn some_time(t: Nanos) -> Option<Nanos> {
    (t != NO_TIME).then_some(t)
}

fn sym(raw: u32) -> Option<Sym> {
    (raw != NONE).then_some(Sym(raw))
}

fn raw(s: Option<Sym>) -> u32 {
    s.map_or(NO_SYM, |s| s.0)
}

fn status_bits(s: SpanStatus) -> u8 {
    let n = match s {
        SpanStatus::Unset => 0,
        SpanStatus::Ok => 1,
        SpanStatus::Error => 2,
    };
    n << state::STATUS_SHIFT
}

impl SpanTable {
    /// Bytes per span in the vectors every span has a place in.
    pub const ROW_BYTES: usize = size_of::<Row>()
        + size_of::<TraceIdx>()
        + 2 * size_of::<Nanos>()
        + size_of::<Sym>()
        + size_of::<u8>()
        + size_of::<(u32, u32)>();
    /// Bytes of a side-table entry and of a record.
    pub const EXTRA_BYTES: usize = size_of::<Extra>();
    pub const RECORD_BYTES: usize = size_of::<RecordAt>();

    #[must_use]
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Room for `spans` spans in all, `records` records and `extras` side-table entries:
    /// reserved once, exactly.
    pub fn reserve_total(&mut self, spans: usize, records: usize, extras: usize) {
        let more = spans.saturating_sub(self.rows.len());
        self.rows.reserve_exact(more);
        self.trace.reserve_exact(more);
        self.start.reserve_exact(more);
        self.dur.reserve_exact(more);
        self.name.reserve_exact(more);
        self.state.reserve_exact(more);
        self.attrs.reserve_exact(more);
        self.records
            .reserve_exact(records.saturating_sub(self.records.len()));
        self.extras
            .reserve_exact(extras.saturating_sub(self.extras.len()));
    }

    /// How many records payloads point into.
    #[must_use]
    pub fn records(&self) -> usize {
        self.records.len()
    }

    /// How many entries the side table has.
    #[must_use]
    pub fn extras(&self) -> usize {
        self.extras.len()
    }

    /// How many spans fit before the vectors grow.
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.rows.capacity()
    }

    /// Bytes held by the table's vectors (their capacity).
    #[must_use]
    pub fn bytes(&self) -> usize {
        self.rows.capacity() * Self::ROW_BYTES
            + self.extras.capacity() * Self::EXTRA_BYTES
            + self.records.capacity() * Self::RECORD_BYTES
    }

    /// Bytes the spans take (lengths, not capacities): what one more span adds to the
    /// store's estimate of itself.
    #[must_use]
    pub fn footprint(&self) -> usize {
        self.rows.len() * Self::ROW_BYTES
            + self.extras.len() * Self::EXTRA_BYTES
            + self.records.len() * Self::RECORD_BYTES
    }

    /// Grow by [`retention::step`] instead of doubling from now on (the store has a budget).
    pub fn grow_gently(&mut self, on: bool) {
        self.gentle = on;
    }

    /// Add span `sp` as the last row.
    pub fn push(&mut self, sp: &Span) {
        let n = self.rows.len();
        if self.gentle && n == self.rows.capacity() {
            self.reserve_total(n + retention::step(n), 0, 0);
        }
        self.rows.push(Row {
            id: 0,
            parent: 0,
            record: NONE,
            locator: 0,
            extra: NONE,
            flags: 0,
        });
        self.trace.push(sp.trace);
        self.start.push(NO_TIME);
        self.dur.push(0);
        self.name.push(sp.name);
        self.state.push(0);
        self.attrs.push((0, 0));
        self.set(self.rows.len() - 1, sp);
    }

    /// Make row `i` hold `sp` (its trace excepted: a span stays in its trace).
    pub fn set(&mut self, i: usize, sp: &Span) {
        let (id_kind, id) = id_parts(sp.span_id);
        let (parent_kind, parent) = sp.parent_id.map_or((0, 0), |p| {
            let (k, v) = id_parts(p);
            (k + 1, v)
        });
        let start = time(sp.start);
        let (end, dur) = match (sp.end, sp.dur_hint) {
            (Some(end), _) => match end.checked_sub(start) {
                Some(d) if start != NO_TIME => (state::END_REL, d),
                _ => (state::END_ABS, end),
            },
            (None, Some(d)) => (state::DUR_HINT, d),
            (None, None) => (state::NO_END, 0),
        };
        self.start[i] = start;
        self.dur[i] = dur;
        self.name[i] = sp.name;
        self.state[i] = sp.kind as u8 | status_bits(sp.status) | end;
        self.attrs[i] = sp.attrs;
        let (record, locator) = match sp.payload[0] {
            Some(p) => (self.record(p), p.locator),
            None => (NONE, 0),
        };
        // cache, reasoning and a stated cost are rare: such counts live in the wide table
        let narrow = sp.tokens.filter(|t| !t.has_details()).and_then(|t| {
            Some([
                u32::try_from(t.prompt).ok()?,
                u32::try_from(t.completion).ok()?,
                u32::try_from(t.total).ok()?,
            ])
        });
        let mut extra = Extra {
            tokens: narrow.unwrap_or([0; 3]),
            model: raw(sp.model),
            error: raw(sp.error),
            ..Extra::EMPTY
        };
        if let Some(p) = sp.payload[1] {
            extra.record = self.record(p);
            extra.locator = p.locator;
        }
        let row = &mut self.rows[i];
        row.id = id;
        row.parent = parent;
        row.record = record;
        row.locator = locator;
        row.flags =
            u16::from(sp.flags) | id_kind << idbits::ID_SHIFT | parent_kind << idbits::PARENT_SHIFT;
        if sp.tokens.is_some() {
            row.flags |= idbits::TOKENS;
        }
        if extra == Extra::EMPTY && sp.tokens.is_none() {
            if row.extra != NONE {
                self.extras[row.extra as usize] = Extra::EMPTY;
            }
        } else if row.extra == NONE {
            // a side table never holds more entries than there are rows
            row.extra = u32::try_from(self.extras.len()).unwrap_or(NONE);
            if self.gentle {
                retention::room(&mut self.extras);
            }
            self.extras.push(extra);
        } else {
            self.extras[row.extra as usize] = extra;
        }
        let e = row.extra;
        match sp.tokens {
            Some(t) if narrow.is_none() => {
                row.flags |= idbits::WIDE_TOKENS;
                self.wide_tokens.insert(e, t);
            }
            _ if !self.wide_tokens.is_empty() => {
                self.wide_tokens.remove(&e);
            }
            _ => {}
        }
    }

    /// The record table's entry for `p`'s record: the last one when it is the same record (the
    /// spans of one line come together), else a new one.
    fn record(&mut self, p: PayloadRef) -> u32 {
        let at = RecordAt {
            offset: p.offset,
            blob: p.blob,
            len: p.len,
            format: p.format,
        };
        if self.records.last() != Some(&at) {
            if self.gentle {
                retention::room(&mut self.records);
            }
            self.records.push(at);
        }
        // no more records than payload references, which are fewer than 2^32 (two per span)
        u32::try_from(self.records.len() - 1).unwrap_or(NONE)
    }

    fn payload(&self, record: u32, locator: u32) -> Option<PayloadRef> {
        let r = self.records.get(record as usize)?;
        Some(PayloadRef {
            blob: r.blob,
            offset: r.offset,
            len: r.len,
            format: r.format,
            locator,
        })
    }

    fn extra(&self, i: usize) -> &Extra {
        match self.rows[i].extra {
            NONE => &Extra::EMPTY,
            e => &self.extras[e as usize],
        }
    }

    /// Span `i`, assembled.
    #[must_use]
    pub fn get(&self, i: usize) -> Span {
        let row = &self.rows[i];
        let x = self.extra(i);
        let (end, dur_hint) = match self.state[i] & state::END {
            state::DUR_HINT => (None, Some(self.dur[i])),
            state::NO_END => (None, None),
            _ => (self.effective_end(i), None),
        };
        Span {
            trace: self.trace[i],
            span_id: self.id(i),
            parent_id: self.parent(i),
            name: self.name[i],
            kind: self.kind(i),
            start: some_time(self.start[i]),
            end,
            dur_hint,
            status: self.status(i),
            error: sym(x.error),
            model: sym(x.model),
            tokens: self.tokens(i),
            // the low byte: the span's own flags
            flags: (row.flags & 0xff) as u8,
            payload: [
                self.payload(row.record, row.locator),
                self.payload(x.record, x.locator),
            ],
            attrs: self.attrs[i],
        }
    }

    /// The trace of span `i`.
    #[inline]
    #[must_use]
    pub fn trace(&self, i: usize) -> TraceIdx {
        self.trace[i]
    }

    #[inline]
    #[must_use]
    pub fn id(&self, i: usize) -> SpanId {
        let row = &self.rows[i];
        id_of((row.flags >> idbits::ID_SHIFT) & idbits::MASK, row.id)
    }

    /// The parent id span `i` declared.
    #[inline]
    #[must_use]
    pub fn parent(&self, i: usize) -> Option<SpanId> {
        match (self.rows[i].flags >> idbits::PARENT_SHIFT) & idbits::MASK {
            0 => None,
            k => Some(id_of(k - 1, self.rows[i].parent)),
        }
    }

    #[inline]
    #[must_use]
    pub fn name(&self, i: usize) -> Sym {
        self.name[i]
    }

    #[inline]
    #[must_use]
    pub fn kind(&self, i: usize) -> SpanKind {
        SpanKind::ALL[usize::from(self.state[i] & state::KIND)]
    }

    /// The kind of span `i` as a bit (`1 << kind as u8`): a set of kinds tests it with a mask.
    #[inline]
    #[must_use]
    pub fn kind_bit(&self, i: usize) -> u8 {
        1 << (self.state[i] & state::KIND)
    }

    #[inline]
    #[must_use]
    pub fn status(&self, i: usize) -> SpanStatus {
        match (self.state[i] & state::STATUS) >> state::STATUS_SHIFT {
            0 => SpanStatus::Unset,
            1 => SpanStatus::Ok,
            _ => SpanStatus::Error,
        }
    }

    #[inline]
    #[must_use]
    pub fn is_error(&self, i: usize) -> bool {
        self.state[i] & state::STATUS == status_bits(SpanStatus::Error)
    }

    /// Whether span `i` has the span flag `flag` (`span::flags`).
    #[inline]
    #[must_use]
    pub fn has(&self, i: usize, flag: u8) -> bool {
        self.rows[i].flags & u16::from(flag) != 0
    }

    /// Add span flags to span `i`.
    pub fn add_flags(&mut self, i: usize, flag: u8) {
        self.rows[i].flags |= u16::from(flag);
    }

    #[inline]
    #[must_use]
    pub fn start(&self, i: usize) -> Option<Nanos> {
        some_time(self.start[i])
    }

    /// The end, derived from a duration when only that was reported.
    #[inline]
    #[must_use]
    pub fn effective_end(&self, i: usize) -> Option<Nanos> {
        let d = self.dur[i];
        match self.state[i] & state::END {
            state::NO_END => None,
            state::END_ABS => Some(d),
            // the end as its distance from a known start
            state::END_REL => Some(self.start[i] + d),
            _ => Some(self.start(i)?.saturating_add(d)),
        }
    }

    /// Duration when both ends are known: read from the duration column (and the start only
    /// for an end kept as itself).
    #[inline]
    #[must_use]
    pub fn duration(&self, i: usize) -> Option<Nanos> {
        let d = self.dur[i];
        match self.state[i] & state::END {
            state::NO_END => None,
            state::END_REL => Some(d.max(0)),
            state::END_ABS => Some(d.saturating_sub(self.start(i)?).max(0)),
            // a reported duration is one once the start is known
            _ => self
                .start(i)
                .map(|s| s.saturating_add(d).saturating_sub(s).max(0)),
        }
    }

    #[inline]
    #[must_use]
    pub fn tokens(&self, i: usize) -> Option<Tokens> {
        if self.rows[i].flags & idbits::TOKENS == 0 {
            return None;
        }
        let row = &self.rows[i];
        if row.flags & idbits::WIDE_TOKENS != 0 {
            return self.wide_tokens.get(&row.extra).copied();
        }
        let [prompt, completion, total] = self.extra(i).tokens.map(u64::from);
        Some(Tokens::counts(prompt, completion, total))
    }

    #[inline]
    #[must_use]
    pub fn model(&self, i: usize) -> Option<Sym> {
        sym(self.extra(i).model)
    }

    #[inline]
    #[must_use]
    pub fn error(&self, i: usize) -> Option<Sym> {
        sym(self.extra(i).error)
    }

    /// The range of span `i`'s attributes in the store's arena.
    #[inline]
    #[must_use]
    pub fn attrs(&self, i: usize) -> (u32, u32) {
        self.attrs[i]
    }

    /// The payloads of span `i` (for counting references to their blobs).
    #[must_use]
    pub fn payloads(&self, i: usize) -> [Option<PayloadRef>; 2] {
        let row = &self.rows[i];
        let x = self.extra(i);
        [
            self.payload(row.record, row.locator),
            self.payload(x.record, x.locator),
        ]
    }

    /// Whether span `i` has id `id`.
    #[inline]
    #[must_use]
    pub fn has_id(&self, i: usize, id: SpanId) -> bool {
        let (kind, value) = id_parts(id);
        let row = &self.rows[i];
        row.id == value && (row.flags >> idbits::ID_SHIFT) & idbits::MASK == kind
    }

    /// Span indexes in order.
    pub fn indexes(&self) -> impl Iterator<Item = SpanIdx> + use<> {
        // a row of the table: every index fits (checked when the span went in)
        (0..u32::try_from(self.len()).unwrap_or(u32::MAX)).map(SpanIdx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(offset: u64, locator: u32) -> PayloadRef {
        PayloadRef {
            blob: BlobId(3),
            offset,
            len: 10,
            format: RecordFormat::at(2),
            locator,
        }
    }

    fn span(id: SpanId, parent: Option<SpanId>) -> Span {
        Span {
            trace: TraceIdx(7),
            span_id: id,
            parent_id: parent,
            name: Sym(4),
            kind: SpanKind::Retriever,
            start: Some(100),
            end: Some(250),
            dur_hint: None,
            status: SpanStatus::Ok,
            error: None,
            model: None,
            tokens: None,
            flags: crate::model::span::flags::SEQUENTIAL,
            payload: [Some(payload(0, 1)), None],
            attrs: (5, 2),
        }
    }

    #[test]
    fn a_span_reads_back_as_it_went_in() {
        let mut t = SpanTable::default();
        let plain = span(SpanId::Hex(u64::MAX), Some(SpanId::Trace));
        let mut rich = span(SpanId::Text(Sym(9)), Some(SpanId::Hex(0)));
        rich.kind = SpanKind::Evaluator;
        rich.status = SpanStatus::Error;
        rich.error = Some(Sym(1));
        rich.model = Some(Sym(2));
        rich.tokens = Some(Tokens {
            prompt: 1,
            completion: 2,
            total: 3,
            ..Tokens::default()
        });
        rich.payload = [Some(payload(0, 2)), Some(payload(40, PayloadRef::WHOLE))];
        rich.start = None;
        rich.end = None;
        rich.dur_hint = Some(-5);
        let mut root = span(SpanId::Trace, None);
        root.end = None;
        root.dur_hint = Some(30);
        for sp in [&plain, &rich, &root] {
            t.push(sp);
        }
        assert_eq!((t.get(0), t.get(1), t.get(2)), (plain, rich, root));
        // the first two spans share their record; the end line comes between it and the third
        assert_eq!(t.records.len(), 3);
        assert_eq!(
            t.extras.len(),
            1,
            "only the span that carries more has an entry"
        );
        assert_eq!((size_of::<Row>(), size_of::<Extra>()), (32, 28));
        assert_eq!(SpanTable::ROW_BYTES, 65);
    }

    #[test]
    fn the_hot_accessors_agree_with_the_assembled_span() {
        let mut t = SpanTable::default();
        let mut a = span(SpanId::Hex(5), None);
        a.end = None;
        a.dur_hint = Some(50);
        let mut b = span(SpanId::Hex(6), Some(SpanId::Hex(5)));
        b.start = None;
        let mut c = span(SpanId::Hex(7), Some(SpanId::Hex(5)));
        c.status = SpanStatus::Error;
        c.start = Some(300);
        c.end = Some(200);
        for sp in [&a, &b, &c] {
            t.push(sp);
        }
        for i in 0..3 {
            let sp = t.get(i);
            assert_eq!(t.duration(i), sp.duration(), "{i}");
            assert_eq!(t.effective_end(i), sp.effective_end(), "{i}");
            assert_eq!(t.is_error(i), sp.is_error(), "{i}");
            assert!(t.has_id(i, sp.span_id));
            assert_eq!(t.payloads(i), sp.payload);
        }
        assert_eq!(t.duration(0), Some(50));
        assert_eq!(
            t.duration(2),
            Some(0),
            "an end before the start lasts nothing"
        );
        assert!(
            !t.has_id(0, SpanId::Text(Sym(5))),
            "the kind is part of the id"
        );
    }

    #[test]
    fn a_merge_that_drops_what_a_span_carried_frees_nothing_it_shares() {
        let mut t = SpanTable::default();
        let mut a = span(SpanId::Hex(1), None);
        a.model = Some(Sym(3));
        t.push(&a);
        a.model = None;
        a.end = Some(900);
        t.set(0, &a);
        assert_eq!(t.get(0), a);
        // a later carry reuses the span's entry
        a.error = Some(Sym(8));
        t.set(0, &a);
        assert_eq!((t.get(0), t.extras.len()), (a, 1));
    }

    #[test]
    fn token_counts_too_wide_for_the_side_table_are_kept_whole() {
        let mut t = SpanTable::default();
        let mut a = span(SpanId::Hex(1), None);
        a.tokens = Some(Tokens {
            prompt: u64::from(u32::MAX) + 1,
            completion: 0,
            total: u64::MAX,
            ..Tokens::default()
        });
        t.push(&a);
        let mut b = span(SpanId::Hex(2), None);
        b.tokens = Some(Tokens {
            prompt: u64::from(u32::MAX),
            completion: 1,
            total: 0,
            ..Tokens::default()
        });
        t.push(&b);
        assert_eq!((t.get(0), t.get(1)), (a.clone(), b));
        assert_eq!(t.wide_tokens.len(), 1);
        // narrow again: the wide entry goes
        a.tokens = Some(Tokens::default());
        t.set(0, &a);
        assert_eq!((t.get(0), t.wide_tokens.len()), (a, 0));
    }
}
