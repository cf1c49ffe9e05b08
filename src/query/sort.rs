//! Ordering traces by a [`SortKey`]: keys read once from the store's columns, ties broken by
//! start then trace id so the order is total.

use crate::model::{Nanos, Store, TraceColumns, TraceIdx, shares};

/// What to sort traces by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SortKey {
    /// Slowest first.
    Dur,
    /// Oldest first.
    Start,
    /// Failed first, then running, then recovered, then ok.
    Status,
    /// Most tokens first.
    Tokens,
    /// Most expensive first (unpriced traces last).
    Cost,
    /// Lowest evaluation score first (unscored traces last).
    Score,
    /// Most spans first.
    Spans,
    /// Most LM calls first.
    Llm,
    /// A to Z.
    Name,
    /// Model, A to Z (traces without one last).
    Model,
}

/// A float as a `u64` in the same order (never `u64::MAX`: that is "no score").
fn ordered(v: f64) -> u64 {
    let bits = v.to_bits();
    let key = if bits >> 63 == 1 {
        !bits
    } else {
        bits ^ (1 << 63)
    };
    key.min(u64::MAX - 1)
}

/// Sort traces in place; `reverse` inverts the key's natural order. Ties keep start order, then
/// trace id order, so the order is total and the same whatever the input order.
///
/// The traces are put in start order (arrival order usually is: a list sorted by another key
/// is put back in index order, and then nothing else moves), each one's key is read once from
/// the store's columns, and a stable radix sort orders them on the key alone: no row is read
/// inside a comparison. A key that fits beside the trace's position in 64 bits once its least
/// value is taken away is sorted packed with it into 8 bytes, half of what a key and a trace
/// take: the sort's passes move that much less memory.
pub fn sort(store: &Store, traces: &mut [TraceIdx], key: SortKey, reverse: bool) {
    let cols = store.columns();
    let start = |t: &TraceIdx| cols.start[t.0 as usize];
    let mut order = start_order(cols, traces);
    if key == SortKey::Start && order == StartOrder::Increasing {
        // no ties, nothing to sort
        if reverse {
            traces.reverse();
        }
        return;
    }
    // names and models sort as strings: rank the distinct symbols once
    let ranks = match key {
        SortKey::Name => sym_ranks(store, traces, &cols.name, false),
        SortKey::Model => sym_ranks(store, traces, &cols.model, true),
        _ => Vec::new(),
    };
    // a name's or model's rank: "no symbol"'s is last
    let ranked = |raw: u32| {
        let at = TraceColumns::sym(raw).map_or(ranks.len().saturating_sub(1), |s| s.0 as usize);
        ranks.get(at).copied().map_or(0, u64::from)
    };
    // ascending `u64`s in the key's natural order
    let asc = |x: Nanos| (x as u64) ^ (1 << 63);
    if order == StartOrder::Unsorted {
        // index order is arrival order, usually start order: a radix sort on the index first
        radsort::sort_by_key(traces, |t| t.0);
        order = start_order(cols, traces);
        if order == StartOrder::Unsorted {
            let mut keyed: Vec<(u64, u32)> = traces.iter().map(|t| (asc(start(t)), t.0)).collect();
            radsort::sort_by_key(&mut keyed, |k| k.0);
            for (slot, &(_, t)) in traces.iter_mut().zip(&keyed) {
                *slot = TraceIdx(t);
            }
            order = start_order(cols, traces);
        }
    }
    let starts_tie = order == StartOrder::Ties;
    if key == SortKey::Start {
        if reverse {
            traces.reverse();
        }
        if starts_tie {
            // equal starts are adjacent: ordered by id
            break_ties(store, traces, |_, t| start(&t), reverse);
        }
        return;
    }
    // every trace's key, a loop per key: no choice made per trace
    fn each(traces: &[TraceIdx], f: impl Fn(usize) -> u64) -> Vec<u64> {
        traces.iter().map(|t| f(t.0 as usize)).collect()
    }
    let mut keys = match key {
        SortKey::Dur => each(traces, |i| !asc(cols.duration[i])),
        // (sorted above)
        SortKey::Start => vec![0; traces.len()],
        SortKey::Tokens => each(traces, |i| !cols.tokens[i]),
        SortKey::Cost => each(traces, |i| {
            !cols.cost(i).map_or(0, |c| c.0.saturating_add(1))
        }),
        SortKey::Score => each(traces, |i| {
            cols.score(i).map_or(u64::MAX, |s| ordered(s.value))
        }),
        SortKey::Spans => each(traces, |i| !u64::from(cols.span_count[i])),
        SortKey::Llm => each(traces, |i| !u64::from(cols.llm_calls[i])),
        SortKey::Status => each(traces, |i| u64::from(cols.status_rank(i))),
        SortKey::Name => each(traces, |i| ranked(cols.name[i])),
        SortKey::Model => each(traces, |i| ranked(cols.model[i])),
    };
    if reverse {
        for k in &mut keys {
            *k = !*k;
        }
    }
    let least = keys.iter().copied().min().unwrap_or(0);
    let most = keys.iter().copied().max().unwrap_or(0);
    // in start order, traces that are also in index order (arrival order usually is) are told
    // apart by their index as by their position: no gather after the sort
    let by_index = traces.is_sorted();
    let positions = if by_index {
        traces.last().map_or(0, |t| t.0 as usize + 1)
    } else {
        traces.len()
    };
    // bits for a trace's position, and for its key once the least is taken away
    let at_bits = usize::BITS - positions.leading_zeros();
    let key_bits = u64::BITS - (most - least).leading_zeros();
    if at_bits <= 32 && key_bits + at_bits <= u64::BITS {
        let mut packed: Vec<u64> = if by_index {
            keys.iter()
                .zip(traces.iter())
                .map(|(&k, t)| (k - least) << at_bits | u64::from(t.0))
                .collect()
        } else {
            keys.iter()
                .zip(0u64..)
                .map(|(&k, p)| (k - least) << at_bits | p)
                .collect()
        };
        drop(keys);
        // stable: equal keys stay in start order; bytes every key shares are skipped
        if key_bits <= 32 {
            radsort::sort_by_key(&mut packed, |x| (x >> at_bits) as u32);
        } else {
            radsort::sort_by_key(&mut packed, |x| x >> at_bits);
        }
        let low = (1u64 << at_bits) - 1;
        if by_index {
            for (slot, x) in traces.iter_mut().zip(&packed) {
                // the low bits hold an index that came from a `u32`
                *slot = TraceIdx((x & low) as u32);
            }
        } else {
            let by_start = traces.to_vec();
            for (slot, x) in traces.iter_mut().zip(&packed) {
                *slot = by_start[(x & low) as usize];
            }
        }
        if starts_tie {
            // equal key and equal start: adjacent now (in start order, equal starts are)
            break_ties(
                store,
                traces,
                |j, t| (packed[j] >> at_bits, start(&t)),
                false,
            );
        }
    } else {
        let mut keyed: Vec<(u64, u32)> = keys
            .into_iter()
            .zip(traces.iter())
            .map(|(k, t)| (k, t.0))
            .collect();
        radsort::sort_by_key(&mut keyed, |k| k.0);
        for (slot, &(_, t)) in traces.iter_mut().zip(&keyed) {
            *slot = TraceIdx(t);
        }
        if starts_tie {
            break_ties(store, traces, |j, t| (keyed[j].0, start(&t)), false);
        }
    }
}

/// How a list of traces stands in start order (each next one worse than the last).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum StartOrder {
    /// Every start later than the one before.
    Increasing,
    /// In start order, with equal starts.
    Ties,
    Unsorted,
}

/// How `traces` stand in start order: a long list is read in shares, each with the first
/// trace of the next so that every pair of neighbours is looked at.
fn start_order(cols: &TraceColumns, traces: &[TraceIdx]) -> StartOrder {
    let of = |traces: &[TraceIdx]| {
        let mut order = StartOrder::Increasing;
        for w in traces.windows(2) {
            let (a, b) = (cols.start[w[0].0 as usize], cols.start[w[1].0 as usize]);
            if a > b {
                return StartOrder::Unsorted;
            }
            if a == b {
                order = StartOrder::Ties;
            }
        }
        order
    };
    let shares: Vec<_> = shares::ranges(traces.len())
        .into_iter()
        .map(|r| r.start..(r.end + 1).min(traces.len()))
        .collect();
    shares::in_shares(shares, |r| of(&traces[r]))
        .into_iter()
        .max()
        .unwrap_or(StartOrder::Increasing)
}

/// Order each run of adjacent traces with the same `tie` (of their position and trace) by
/// trace id (descending with `reversed`).
fn break_ties<T: PartialEq>(
    store: &Store,
    traces: &mut [TraceIdx],
    tie: impl Fn(usize, TraceIdx) -> T,
    reversed: bool,
) {
    let mut hex: Vec<(u128, TraceIdx)> = Vec::new();
    let mut i = 0;
    while i < traces.len() {
        let head = tie(i, traces[i]);
        let run = 1
            + (i + 1..traces.len())
                .take_while(|&j| tie(j, traces[j]) == head)
                .count();
        if run > 1 {
            let tied = &mut traces[i..i + run];
            // ids of 32 hex digits are numbers in text order: read each once, sort the numbers
            hex.clear();
            hex.extend(
                tied.iter()
                    .map_while(|&t| store.trace_hex(t).map(|h| (h, t))),
            );
            if hex.len() == run {
                hex.sort_unstable();
                if reversed {
                    hex.reverse();
                }
                for (slot, &(_, t)) in tied.iter_mut().zip(&hex) {
                    *slot = t;
                }
            } else {
                tied.sort_by(|&a, &b| {
                    let o = store.cmp_trace_ids(a, b);
                    if reversed { o.reverse() } else { o }
                });
            }
        }
        i += run;
    }
}

/// The rank of each distinct symbol of `col` among `traces`, in string order (equal strings,
/// equal ranks), indexed by the column's value. A trace without one sorts as "" or, with
/// `none_last`, after every string.
fn sym_ranks(store: &Store, traces: &[TraceIdx], col: &[u32], none_last: bool) -> Vec<u32> {
    let mut distinct: Vec<u32> = traces.iter().map(|t| col[t.0 as usize]).collect();
    distinct.sort_unstable();
    distinct.dedup();
    let key = |raw: u32| {
        let sym = TraceColumns::sym(raw);
        (none_last && sym.is_none(), sym.map_or("", |s| store.str(s)))
    };
    distinct.sort_by(|&a, &b| key(a).cmp(&key(b)));
    // the symbols' ranks, then "no symbol"'s (the column's largest value) last
    let size = distinct
        .iter()
        .filter_map(|&raw| TraceColumns::sym(raw))
        .map(|s| s.0 as usize + 1)
        .max()
        .unwrap_or(0);
    let mut ranks = vec![0u32; size + 1];
    let mut rank = 0u32;
    for (i, &raw) in distinct.iter().enumerate() {
        if i > 0 && key(distinct[i - 1]) != key(raw) {
            rank += 1;
        }
        match TraceColumns::sym(raw) {
            Some(s) => ranks[s.0 as usize] = rank,
            None => ranks[size] = rank,
        }
    }
    ranks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TraceStatus;
    use crate::model::store::{Record, SpanRecord};
    use crate::model::trace::TraceSummary;
    use crate::model::{Nanodollars, SpanKind, SpanStatus, Tokens};
    use std::cmp::Ordering;

    /// The sort as a plain comparison over the trace rows: what the columnar sort must equal.
    fn reference(store: &Store, traces: &mut [TraceIdx], key: SortKey, reverse: bool) {
        fn rank(s: &TraceSummary) -> u8 {
            match s.status {
                TraceStatus::Error => 0,
                TraceStatus::Running => 1,
                TraceStatus::Ok if s.error_spans > 0 => 2,
                TraceStatus::Ok => 3,
            }
        }
        traces.sort_by(|a, b| {
            let (ta, tb) = (store.trace(*a), store.trace(*b));
            let (sa, sb) = (&ta.summary, &tb.summary);
            let primary = match key {
                SortKey::Dur => sb.duration.cmp(&sa.duration),
                SortKey::Start => Ordering::Equal,
                SortKey::Tokens => sb.tokens.map(|t| t.total).cmp(&sa.tokens.map(|t| t.total)),
                SortKey::Cost => sb.cost.cmp(&sa.cost),
                SortKey::Score => match (sa.score, sb.score) {
                    (Some(x), Some(y)) => x.value.total_cmp(&y.value),
                    (x, y) => x.is_none().cmp(&y.is_none()),
                },
                SortKey::Spans => sb.span_count.cmp(&sa.span_count),
                SortKey::Llm => sb.llm_calls.cmp(&sa.llm_calls),
                SortKey::Status => rank(sa).cmp(&rank(sb)),
                SortKey::Model => match (sa.model, sb.model) {
                    (Some(x), Some(y)) => store.str(x).cmp(store.str(y)),
                    (x, y) => x.is_none().cmp(&y.is_none()),
                },
                SortKey::Name => {
                    let n = |s: &TraceSummary| s.name.map_or("", |n| store.str(n));
                    n(sa).cmp(n(sb))
                }
            };
            let primary = if reverse { primary.reverse() } else { primary };
            let start = sa
                .start
                .cmp(&sb.start)
                .then_with(|| store.id_str(ta.id).cmp(&store.id_str(tb.id)));
            primary.then(if reverse && key == SortKey::Start {
                start.reverse()
            } else {
                start
            })
        });
    }

    /// Trace ids of both kinds: 32 hex digits (held as numbers) and short ones (held as text),
    /// so ties are broken across the two.
    fn id(n: i64) -> String {
        let v = (n * 7_919) % 1_000_003;
        if n % 2 == 0 {
            format!("{v:032x}")
        } else {
            format!("{v:08x}")
        }
    }

    /// 300 traces with many ties: 7 durations, 5 starts, 4 names (one empty), 3 models or none,
    /// tokens or none, every status.
    fn store() -> Store {
        store_with(id, |n| n % 5, 10)
    }

    /// A span of trace `n` lasts `(n % 7) * step`.
    fn store_with(id: fn(i64) -> String, start: fn(i64) -> i64, step: i64) -> Store {
        let mut s = Store::new();
        let src = s.add_source("t");
        for n in 0..300i64 {
            let mut r = SpanRecord {
                trace_id: id(n),
                span_id: "r".into(),
                name: Some(["b", "a", "", "c"][(n % 4) as usize].into()),
                kind: Some(SpanKind::Llm),
                start: Some(start(n)),
                end: if n % 11 == 0 {
                    None
                } else {
                    Some(start(n) + (n % 7) * step)
                },
                status: Some(if n % 6 == 0 {
                    SpanStatus::Error
                } else {
                    SpanStatus::Ok
                }),
                model: [None, Some("m2"), Some("m1"), Some("m3")][(n % 4) as usize].map(Into::into),
                complete: true,
                ..SpanRecord::default()
            };
            if n % 3 != 0 {
                r.tokens = Some(Tokens {
                    prompt: 1,
                    completion: 1,
                    total: (n % 4) as u64,
                    // costs with ties, and unpriced calls (no table knows the models)
                    stated_cost: (n % 5 != 0).then_some(Nanodollars((n % 3) as u64)),
                    ..Tokens::default()
                });
            }
            s.insert(src, Record::Span(r));
            if n % 4 != 0 {
                // scores with ties, negative ones, and unscored traces
                s.insert(
                    src,
                    Record::Trace(crate::model::store::TraceRecord {
                        trace_id: id(n),
                        score: Some(crate::model::ScoreRecord {
                            value: (n % 3) as f64 * 0.5 - 0.5,
                            label: None,
                        }),
                        ..Default::default()
                    }),
                );
            }
            if n % 9 == 0 {
                let child = SpanRecord {
                    trace_id: id(n),
                    span_id: "c".into(),
                    parent_id: Some("r".into()),
                    name: Some("x".into()),
                    start: Some(start(n)),
                    end: Some(start(n) + 1),
                    status: Some(SpanStatus::Error),
                    complete: true,
                    ..SpanRecord::default()
                };
                s.insert(src, Record::Span(child));
            }
        }
        s.refresh();
        s
    }

    #[test]
    fn the_columnar_sort_orders_like_the_row_comparison() {
        for s in [
            store(),
            store_with(
                |n| format!("{:032x}", (n * 7_919) % 1_000_003),
                |n| n % 5,
                10,
            ),
            // every start different: no ties to break after the key
            store_with(id, |n| (n * 31) % 300, 10),
            // arrival order is start order; durations of up to 100 minutes need more than 32 bits
            store_with(id, |n| n, 1_000_000_000_000),
        ] {
            columnar_sort_orders_like_the_row_comparison(&s);
        }
    }

    fn columnar_sort_orders_like_the_row_comparison(s: &Store) {
        let all: Vec<TraceIdx> = s.trace_ids().collect();
        let every_third: Vec<TraceIdx> = all.iter().copied().step_by(3).collect();
        let keys = [
            SortKey::Dur,
            SortKey::Start,
            SortKey::Status,
            SortKey::Tokens,
            SortKey::Cost,
            SortKey::Score,
            SortKey::Spans,
            SortKey::Llm,
            SortKey::Name,
            SortKey::Model,
        ];
        for key in keys {
            for reverse in [false, true] {
                // backwards, in arrival order, and a filtered list in arrival order
                let mut backwards = all.clone();
                backwards.reverse();
                for input in [backwards, all.clone(), every_third.clone()] {
                    let mut want = input.clone();
                    reference(s, &mut want, key, reverse);
                    let mut got = input;
                    sort(s, &mut got, key, reverse);
                    assert_eq!(got, want, "{key:?} reverse {reverse}");
                }
            }
        }
    }
}
