//! Eviction and compaction: the store drops its oldest whole traces beyond its retention, and
//! later rebuilds its tables without them, saying in a [`Remap`] where every kept row went.

use super::attrs::AttrArena;
use super::columns::TraceColumns;
use super::ids::TraceId;
use super::idx::{self, Table};
use super::intern::{Interner, Sym};
use super::payload::BlobId;
use super::retention::Remap;
use super::span::SpanIdx;
use super::store::Store;
use super::trace::{TraceIdx, TraceRow};
use super::trace_index::TraceIndex;
use foldhash::HashMap;

impl Store {
    fn over_retention(&self) -> bool {
        self.retention.exceeded(self.live_traces, self.memory())
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

    /// Evict every trace with a span whose payload is in `blob`, whose bytes are gone (the
    /// oldest segment of a bounded spool): counted as evicted like any other. Oldest first,
    /// and only until no live span refers to the blob any more.
    pub fn evict_blob(&mut self, blob: BlobId) {
        self.events.drop_blob(blob);
        let refs = |s: &Store| s.blob_refs.get(blob.0 as usize).copied().unwrap_or(0);
        let mut i = self.evict_from;
        while refs(self) > 0 && i < self.traces.len() {
            let refers = self.columns.is_live(i)
                && self.traces[i].spans.iter().any(|&s| {
                    let payload = self.spans.payloads(s.0 as usize);
                    payload.iter().flatten().any(|p| p.blob == blob)
                });
            if refers {
                // a row of the table, so its index fits
                self.evict(TraceIdx(
                    idx::to_u32(i, Table::Traces).expect("a trace row"),
                ));
            }
            i += 1;
        }
    }

    /// Drop trace `t` and its spans from the index. Its rows stay in place (unreachable) until
    /// [`Store::compact`] reclaims them.
    fn evict(&mut self, t: TraceIdx) {
        let i = t.0 as usize;
        self.recent_trace = None;
        let trace_source = self.traces[i].source;
        self.columns.kill(i);
        self.trace_by_id.remove(t, &self.traces);
        self.stated_tokens.remove(&t);
        self.events.drop_trace(self.traces[i].id);
        let spans = std::mem::take(&mut self.traces[i].spans);
        let keyed = spans.len() > Self::FEW_SPANS;
        for &s in &spans {
            let row = s.0 as usize;
            let payload = self.spans.payloads(row);
            let source = self.span_sources.remove(&s).unwrap_or(trace_source);
            let src = &mut self.sources[source.0 as usize];
            src.spans_held -= 1;
            src.spans_evicted += 1;
            if keyed {
                self.span_by_key.remove(&(t, self.spans.id(row)));
            }
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

    /// Whether enough evicted rows have piled up that [`Store::compact`] is worth its cost
    /// (it is linear in what the store holds): an eighth of the live traces, since until then
    /// their rows are held beyond the memory budget.
    #[must_use]
    pub fn needs_compaction(&self) -> bool {
        self.dead_traces > 0 && self.dead_traces >= (self.live_traces / 8).max(1024)
    }

    /// Reclaim the rows of evicted traces: traces, spans, attributes and strings are rebuilt
    /// with what is live, in the same order. Indexes change; the returned [`Remap`] says where
    /// each old one went.
    pub fn compact(&mut self) -> Remap {
        self.recent_trace = None;
        let mut remap = Remap {
            traces: vec![Remap::GONE; self.traces.len()],
            spans: vec![Remap::GONE; self.spans.len()],
        };
        // Every kept row was a row of the same table before, at an index at least as high:
        // none of the conversions below can fail.
        let kept = |n: usize, table| idx::to_u32(n, table).expect("fewer rows than before");
        let mut n = 0;
        for i in 0..self.traces.len() {
            if self.columns.is_live(i) {
                remap.traces[i] = kept(n, Table::Traces);
                n += 1;
            }
        }
        let mut n = 0;
        for i in 0..self.spans.len() {
            if self.columns.is_live(self.spans.trace(i).0 as usize) {
                remap.spans[i] = kept(n, Table::Spans);
                n += 1;
            }
        }
        let old_strings = std::mem::take(&mut self.strings);
        // `u32::MAX`, never a symbol: not interned again yet
        let mut sym_map = vec![u32::MAX; old_strings.len()];
        let mut strings = Interner::default();
        let mut sym = |s: Sym| -> Sym {
            let slot = &mut sym_map[s.0 as usize];
            if *slot == u32::MAX {
                let again = strings.intern(old_strings.resolve(s));
                *slot = again.expect("some of the old strings fit where all did").0;
            }
            Sym(*slot)
        };
        let rt = |t: TraceIdx| TraceIdx(remap.traces[t.0 as usize]);
        let rs = |s: SpanIdx| SpanIdx(remap.spans[s.0 as usize]);

        // the span table is compacted in place: a copy would hold the whole index twice
        let mut spans = std::mem::take(&mut self.spans);
        let keep: Vec<bool> = (0..spans.len())
            .map(|i| self.columns.is_live(spans.trace(i).0 as usize))
            .collect();
        spans.retain(&keep);
        drop(keep);
        spans.relink_all(rt, &mut sym);
        let old_attrs = std::mem::take(&mut self.attrs);
        let mut attrs = AttrArena::default();
        // each distinct list is added once (spans share them): by its old range, its new one
        let mut lists: HashMap<(u32, u32), (u32, u32)> = HashMap::default();
        let mut list = Vec::new();
        spans.relink_attrs(|old| {
            *lists.entry(old).or_insert_with(|| {
                list.clear();
                list.extend(old_attrs.get(old).iter().map(|&(k, v)| (sym(k), sym(v))));
                attrs
                    .add(&list)
                    .expect("some of the old lists fit where all did")
            })
        });
        drop(lists);
        drop(old_attrs);
        // the trace rows too, in place
        let mut traces = std::mem::take(&mut self.traces);
        let mut columns = TraceColumns::default();
        columns.reserve_total(self.live_traces);
        let (mut i, mut n) = (0, 0);
        traces.retain_mut(|tr| {
            i += 1;
            let old = i - 1;
            if !self.columns.is_live(old) {
                return false;
            }
            if let TraceId::Text(s) = tr.id {
                tr.id = TraceId::Text(sym(s));
            }
            tr.info.set_name(tr.info.name().map(&mut sym));
            tr.info
                .set_error_message(tr.info.error_message().map(&mut sym));
            let mut summary = self.columns.summary(old);
            summary.name = summary.name.map(&mut sym);
            summary.model = summary.model.map(&mut sym);
            summary.error_message = summary.error_message.map(&mut sym);
            summary.session = summary.session.map(&mut sym);
            summary.root = summary.root.map(rs);
            for s in &mut tr.spans {
                *s = rs(*s);
            }
            columns.push();
            columns.set(n, &summary);
            n += 1;
            true
        });
        self.dirty = std::mem::take(&mut self.dirty)
            .into_iter()
            .filter_map(|t| remap.trace(t))
            .collect();
        self.trace_by_id = TraceIndex::default();
        self.trace_by_id.reserve(traces.len(), &traces);
        for i in 0..traces.len() {
            self.trace_by_id
                .insert(TraceIdx(kept(i, Table::Traces)), &traces);
        }
        let table = &spans;
        // the old map goes first: both at once would hold it twice
        self.span_by_key = Default::default();
        let big = |tr: &&TraceRow| tr.spans.len() > Self::FEW_SPANS;
        // sized once: grown as it fills, it would be hashed again at every doubling
        let keyed = traces.iter().filter(big).map(|tr| tr.spans.len()).sum();
        self.span_by_key.reserve(keyed);
        for (t, tr) in traces.iter().enumerate().filter(|(_, tr)| big(tr)) {
            let t = TraceIdx(kept(t, Table::Traces));
            for &s in &tr.spans {
                self.span_by_key.insert((t, table.id(s.0 as usize)), s);
            }
        }
        self.span_sources = std::mem::take(&mut self.span_sources)
            .into_iter()
            .filter_map(|(s, src)| Some((remap.span(s)?, src)))
            .collect();
        self.strings = strings;
        self.spans = spans;
        self.attrs = attrs;
        self.stated_tokens = std::mem::take(&mut self.stated_tokens)
            .into_iter()
            .filter_map(|(t, tokens)| Some((remap.trace(t)?, tokens)))
            .collect();
        self.columns = columns;
        self.traces = traces;
        self.dead_traces = 0;
        self.evict_from = 0;
        self.live_bytes = self.footprint() as u64;
        self.generation += 1;
        remap
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::payload::{Blob, PayloadRef, RecordFormat};
    use crate::model::records::{Batch, Record};
    use crate::model::retention::Retention;
    use crate::model::sources::SourceId;
    use crate::model::span::Tokens;
    use crate::model::testing::span;
    use std::sync::Arc;

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
                            s.span_attrs(&sp).map(|(k, v)| format!("{k}={v}")).collect();
                        format!(
                            "{}<{}:{}:{:?}:{}",
                            s.span_id(&sp),
                            s.parent_id(&sp)
                                .map_or_else(|| "-".to_string(), |p| p.to_string()),
                            s.str(sp.name),
                            sp.duration(),
                            attrs.join(",")
                        )
                    })
                    .collect();
                format!(
                    "{} {} {:?} {} [{}]",
                    s.id_str(tr.id),
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
        r.attrs = vec![("k".into(), format!("{trace}/{id}"))].into();
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
        let ids: Vec<String> = s.trace_ids().map(|t| s.trace_id(t).to_string()).collect();
        assert_eq!(ids, ["t7", "t8", "t9"]);
        assert_eq!(s.trace_id_vec(), s.trace_ids().collect::<Vec<_>>());
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
        let ids: Vec<String> = s.trace_ids().map(|t| s.trace_id(t).to_string()).collect();
        assert_eq!(ids, ["t8", "t9", "t0"]);
        assert_eq!(s.trace_id_vec(), s.trace_ids().collect::<Vec<_>>());
    }

    #[test]
    fn under_a_memory_budget_the_tables_grow_by_an_eighth_instead_of_doubling() {
        // compaction keeps the tables' room: a doubling's unused half would be held for good
        let within = |len: usize, cap: usize| cap >= len && cap <= len + len / 8 + 1024;
        let mut s = Store::new();
        let src = s.add_source("t");
        s.set_retention(Retention {
            max_traces: None,
            max_bytes: Some(1 << 40),
        });
        for round in 1..=6 {
            feed(&mut s, src, (round - 1) * 5_000..round * 5_000);
            let (n, cap) = (s.spans.len(), s.spans.capacity());
            assert!(within(n, cap), "{n} spans in room for {cap}");
            let n = s.traces.len();
            assert!(
                within(n, s.traces.capacity()),
                "{n} {}",
                s.traces.capacity()
            );
            assert!(
                within(n, s.columns.capacity()),
                "{n} {}",
                s.columns.capacity()
            );
        }
        // without a budget a table doubles (amortized: what `list` on a pipe wants)
        let mut s = Store::new();
        let src = s.add_source("t");
        feed(&mut s, src, 0..35_000);
        assert!(!within(s.spans.len(), s.spans.capacity()));
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
        assert_eq!(kept.trace_id(t), "t199");
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

    /// Every field of every live span, resolved (strings, ids, payloads), and its trace's.
    fn spans_in_full(s: &Store) -> Vec<String> {
        s.trace_ids()
            .flat_map(|t| s.trace(t).spans.to_vec())
            .map(|i| {
                let sp = s.span(i);
                let attrs: Vec<String> =
                    s.span_attrs(&sp).map(|(k, v)| format!("{k}={v}")).collect();
                format!(
                    "{} {} {:?} {} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {} {:?} [{}]",
                    s.trace_id(sp.trace),
                    s.span_id(&sp),
                    s.parent_id(&sp).map(|p| p.to_string()),
                    s.str(sp.name),
                    sp.kind,
                    sp.start,
                    sp.end,
                    sp.status,
                    sp.error.map(|e| s.str(e)),
                    sp.model.map(|m| s.str(m)),
                    sp.tokens,
                    sp.payload,
                    sp.flags,
                    sp.attrs.1,
                    attrs.join(",")
                )
            })
            .collect()
    }

    #[test]
    fn compaction_in_place_keeps_every_field_of_every_live_span() {
        // traces whose spans interleave in the table, with text and hex ids, tokens narrow and
        // wide, models, errors, first and second payloads (distinct records) and attributes
        let record = |t: u32, id: &str, parent: Option<&str>, k: u32| {
            let trace = if t.is_multiple_of(3) {
                format!("{t:032x}")
            } else {
                format!("trace-{t}")
            };
            let Record::Span(mut r) = span(&trace, id, parent, i64::from(k), i64::from(k) + 7)
            else {
                unreachable!()
            };
            if k.is_multiple_of(2) {
                r.model = Some(format!("model-{}", k % 5));
                r.tokens = Some(if k.is_multiple_of(4) {
                    Tokens::counts(u64::from(k), 2, u64::from(k) + 2)
                } else {
                    Tokens {
                        cache_read: 3,
                        ..Tokens::counts(u64::from(k), 1, u64::from(k) + 1)
                    }
                });
            }
            if k.is_multiple_of(3) {
                r.error = Some(format!("failed {k}"));
            }
            r.payload = Some((
                usize::from(k.is_multiple_of(5)),
                PayloadRef {
                    blob: BlobId(k % 2),
                    offset: u64::from(k) * 100,
                    len: 50,
                    format: RecordFormat::Request,
                    locator: k,
                },
            ));
            r.attrs = vec![("k".into(), format!("{t}/{id}"))].into();
            Record::Span(r)
        };
        let feed = |s: &mut Store, src: SourceId, live: &dyn Fn(u32) -> bool| {
            for round in 0..3 {
                for t in (0..40).filter(|&t| live(t)) {
                    let (id, parent) = match round {
                        0 => ("a1b2c3d4e5f60718".to_string(), None),
                        _ => (format!("step-{round}"), Some("a1b2c3d4e5f60718")),
                    };
                    s.insert(src, record(t, &id, parent, round * 40 + t + 1));
                }
            }
            s.refresh();
        };
        let mut kept = Store::new();
        let src = kept.add_source("t");
        feed(&mut kept, src, &|_| true);
        // evict every trace but one in three, as retention would
        let dead: Vec<TraceIdx> = kept.trace_ids().filter(|t| t.0 % 3 != 1).collect();
        for t in dead {
            kept.evict(t);
        }
        let before = spans_in_full(&kept);
        kept.compact();
        assert_eq!(spans_in_full(&kept), before);
        assert_eq!(kept.spans.len(), before.len());
        // a store that only ever held the live traces holds the same records and entries
        let mut fresh = Store::new();
        let src2 = fresh.add_source("t");
        feed(&mut fresh, src2, &|t| t % 3 == 1);
        assert_eq!(kept.spans.records(), fresh.spans.records());
        assert_eq!(kept.spans.extras(), fresh.spans.extras());
    }

    /// A span of trace `t` whose payload slot `slot` is in `blob`.
    fn with_payload(t: &str, id: &str, parent: Option<&str>, slot: usize, blob: BlobId) -> Record {
        let Record::Span(mut r) = span(t, id, parent, 0, 10) else {
            unreachable!()
        };
        r.payload = Some((
            slot,
            PayloadRef {
                blob,
                offset: 0,
                len: 1,
                format: RecordFormat::Request,
                locator: 0,
            },
        ));
        Record::Span(r)
    }

    #[test]
    fn a_dropped_blob_evicts_exactly_the_traces_that_refer_to_it() {
        let mut s = Store::new();
        let src = s.add_source("t");
        let (gone, kept) = (BlobId(0), BlobId(1));
        let mut b = Batch {
            source: src,
            ..Batch::default()
        };
        b.records = vec![
            with_payload("old", "r", None, 0, gone),
            with_payload("other", "r", None, 0, kept),
            // a trace that refers to the blob through one span's second slot only
            with_payload("mixed", "r", None, 0, kept),
            with_payload("mixed", "c", Some("r"), 1, gone),
            span("bare", "r", None, 0, 10),
            // the payload of this span moved to the kept blob: it no longer refers to it
            with_payload("moved", "r", None, 0, gone),
        ];
        let Record::Span(mut end) = with_payload("moved", "r", None, 0, kept) else {
            unreachable!()
        };
        end.complete = false;
        b.records.push(Record::Span(end));
        b.records.push(with_payload("late", "r", None, 0, gone));
        s.registry.queued(b.records.len());
        s.apply(b);
        assert_eq!(s.trace_count(), 6);
        s.registry.queued(0);
        s.apply(Batch {
            source: src,
            dropped_blobs: vec![gone],
            ..Batch::default()
        });
        let mut held: Vec<String> = s.trace_ids().map(|t| s.trace_id(t).to_string()).collect();
        held.sort_unstable();
        assert_eq!(held, ["bare", "moved", "other"]);
        let a = s.accounting();
        assert_eq!((a.evicted, a.traces_evicted), (4, 3), "{a:?}");
        assert!(a.balanced(), "{a:?}");
        // nothing refers to it any more: announcing it again changes nothing
        let before = s.accounting();
        s.evict_blob(gone);
        assert_eq!(s.accounting(), before);
        // compaction keeps what is left, and the kept blob's traces are still whole
        s.compact();
        assert_eq!(s.trace_count(), 3);
        assert!(s.accounting().balanced());
    }

    /// A trace of more spans than are looked through keeps them by id: a resend is found as a
    /// duplicate and a later record merges, before and after the rows move, and an evicted big
    /// trace leaves no id behind.
    #[test]
    fn the_spans_of_a_big_trace_are_found_by_id_through_eviction_and_compaction() {
        let mut s = Store::new();
        let src = s.add_source("t");
        let n = Store::FEW_SPANS * 3;
        for big in ["old", "big"] {
            s.insert(src, span(big, "root", None, 0, 100));
            for i in 0..n {
                s.insert(src, span(big, &format!("s{i}"), Some("root"), 1, 2));
            }
        }
        s.refresh();
        let resend = |s: &mut Store| {
            let before = s.source(src).duplicates;
            s.insert(src, span("big", "s7", Some("root"), 1, 2));
            s.insert(src, span("big", &format!("s{}", n - 1), Some("root"), 1, 2));
            s.source(src).duplicates - before
        };
        assert_eq!(resend(&mut s), 2);
        assert_eq!(s.span_by_key.len(), 2 * (n + 1));
        s.set_retention(Retention {
            max_traces: Some(1),
            max_bytes: None,
        });
        assert_eq!(
            s.span_by_key.len(),
            n + 1,
            "the evicted trace's ids are gone"
        );
        s.compact();
        assert_eq!(resend(&mut s), 2);
        // a later record of a held span merges into it
        let Record::Span(mut late) = span("big", "s20", Some("root"), 1, 2) else {
            unreachable!()
        };
        late.complete = false;
        late.model = Some("m".into());
        s.insert(src, Record::Span(late));
        s.refresh();
        let t = s.trace_by_id("big").expect("held");
        assert_eq!(s.summary(t).span_count, u32::try_from(n + 1).unwrap());
        assert_eq!(s.summary(t).model.map(|m| s.str(m)), Some("m"));
        assert!(s.accounting().balanced(), "{:?}", s.accounting());
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
                    format: RecordFormat::Request,
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
