//! The accounting invariant under random interleavings of sources, records, bad lines,
//! duplicates, retention and compaction: for every source, each span record it delivered is
//! indexed, merged, a duplicate, evicted or rejected, and exactly one of those; and the spans
//! a source is said to hold are the spans in the index that came from it.

#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use spanscope::model::store::{Batch, Record, Rejection, Retention, SpanRecord};
use spanscope::model::{SourceId, Store};

/// One step of a session.
#[derive(Debug, Clone)]
enum Op {
    /// A batch from source `src`: span records (trace, span, whole or a start/end half) and
    /// bad lines.
    Batch {
        src: usize,
        spans: Vec<(u8, u8, Half)>,
        bad: u8,
    },
    /// A new bound on the number of traces.
    Retain(Option<usize>),
    /// Reclaim evicted rows.
    Compact,
}

#[derive(Debug, Clone, Copy)]
enum Half {
    /// A whole span (OTLP): a second copy is a duplicate.
    Whole,
    /// A start record, completed later by an end record (events, callbacks).
    Start,
    End,
}

fn half() -> impl Strategy<Value = Half> {
    prop_oneof![Just(Half::Whole), Just(Half::Start), Just(Half::End)]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (0..3usize, prop::collection::vec((0..12u8, 0..6u8, half()), 0..20), 0..3u8)
            .prop_map(|(src, spans, bad)| Op::Batch { src, spans, bad }),
        1 => prop::option::of(1..8usize).prop_map(Op::Retain),
        1 => Just(Op::Compact),
    ]
}

fn record(trace: u8, span: u8, half: Half) -> Record {
    let start = i64::from(trace) * 1_000 + i64::from(span);
    Record::Span(SpanRecord {
        trace_id: format!("t{trace}"),
        span_id: format!("s{span}"),
        parent_id: (span > 0).then(|| format!("s{}", span - 1)),
        name: Some(format!("step{span}")),
        start: (!matches!(half, Half::End)).then_some(start),
        end: (!matches!(half, Half::Start)).then_some(start + 10),
        complete: matches!(half, Half::Whole),
        ..SpanRecord::default()
    })
}

fn check(store: &Store, sources: &[SourceId], sent: &[u64]) -> Result<(), TestCaseError> {
    let mut held = vec![0u64; sources.len()];
    for t in store.trace_ids() {
        for &s in store.trace_spans(t) {
            let src = store.span_source(s);
            let i = sources.iter().position(|&x| x == src).unwrap();
            held[i] += 1;
        }
    }
    let mut total = 0;
    for (i, &id) in sources.iter().enumerate() {
        let stats = &store.sources()[id.0 as usize];
        let a = stats.accounting();
        prop_assert!(a.balanced(), "source {i}: {a:?}");
        prop_assert_eq!(a.received, sent[i], "source {} lost or invented records", i);
        prop_assert_eq!(
            a.indexed,
            held[i],
            "source {} holds other spans than it says",
            i
        );
        total += a.indexed;
    }
    let all = store.accounting();
    prop_assert!(all.balanced(), "{:?}", all);
    prop_assert_eq!(all.indexed, total);
    prop_assert_eq!(all.received, sent.iter().sum::<u64>());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn every_record_is_accounted_for(ops in prop::collection::vec(op(), 1..60)) {
        let mut store = Store::new();
        let sources: Vec<SourceId> = (0..3).map(|i| store.add_source(format!("s{i}"))).collect();
        let mut sent = vec![0u64; sources.len()];
        for op in ops {
            match op {
                Op::Batch { src, spans, bad } => {
                    sent[src] += spans.len() as u64 + u64::from(bad);
                    store.apply(Batch {
                        source: sources[src],
                        records: spans.iter().map(|&(t, s, h)| record(t, s, h)).collect(),
                        units: spans.len() as u64 + u64::from(bad),
                        rejections: (0..bad)
                            .map(|i| Rejection { line: u64::from(i) + 1, reason: "not JSON".into() })
                            .collect(),
                        ..Batch::default()
                    });
                }
                Op::Retain(max) => store.set_retention(Retention { max_traces: max, max_bytes: None }),
                Op::Compact => {
                    store.compact();
                }
            }
            store.refresh();
            check(&store, &sources, &sent)?;
        }
    }
}
