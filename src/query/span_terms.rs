//! Span terms over the span table's columns: for one span (a trace's spans, when one trace is
//! asked about), or for the whole table a clause at a time (when every trace is listed): the
//! first clause is a pass over one column of every span, each next one a pass over the spans
//! still in the running, and the traces of the spans left match.

use super::ast::{Clause, Cmp, Query, Term, status_in};
use super::names::Names;
use crate::model::span::flags;
use crate::model::{Outcome, SpanId, Store, shares};
use std::ops::Range;

/// What reading a span term costs per span, lowest first: the state byte, the name, the
/// duration, the trace's duration too, the side table, the ids, the attributes.
pub(super) fn cost(term: &Term) -> u8 {
    match term {
        Term::Kind(_) => 0,
        Term::Status(_) => 1,
        Term::Name(_) => 2,
        Term::Dur(..) => 3,
        Term::Pct(..) => 4,
        Term::Model(_) | Term::Tokens(..) | Term::Cost(..) => 5,
        Term::Id(_) => 6,
        _ => 7,
    }
}

/// Keep the items of `v` that `keep` accepts, in order at the start of `v`; returns how many.
/// A loop of its own that the test is inlined into.
pub(super) fn keep<I: Copy>(v: &mut [I], mut keep: impl FnMut(I) -> bool) -> usize {
    let mut n = 0;
    for r in 0..v.len() {
        let x = v[r];
        if keep(x) {
            v[n] = x;
            n += 1;
        }
    }
    n
}

/// Keep the items of `v` whose value (`get`) compares with `rhs` as `cmp` says (or, `neg`,
/// does not), as [`keep`] does: the comparison is chosen once, outside the loop.
pub(super) fn retain_cmp<I: Copy, T: PartialOrd + Copy>(
    v: &mut [I],
    cmp: Cmp,
    rhs: T,
    neg: bool,
    get: impl Fn(I) -> T,
) -> usize {
    match cmp {
        Cmp::Gt => keep(v, |i| (get(i) > rhs) != neg),
        Cmp::Ge => keep(v, |i| (get(i) >= rhs) != neg),
        Cmp::Lt => keep(v, |i| (get(i) < rhs) != neg),
        Cmp::Le => keep(v, |i| (get(i) <= rhs) != neg),
        Cmp::Eq => keep(v, |i| (get(i) == rhs) != neg),
    }
}

/// Keep, of the spans still in the running (all of `rows` when `None`), those `keep` accepts.
fn narrow(cand: &mut Option<Vec<u32>>, rows: &Range<usize>, mut keep: impl FnMut(usize) -> bool) {
    *cand = Some(match cand.take() {
        None => rows
            .clone()
            .filter(|&i| keep(i))
            // a row of the span table: its index fits (checked when the span went in)
            .map(|i| u32::try_from(i).unwrap_or(u32::MAX))
            .collect(),
        Some(mut v) => {
            let n = self::keep(&mut v, |i| keep(i as usize));
            v.truncate(n);
            v
        }
    });
}

/// Whether span row `i` satisfies every clause of `clauses` (span clauses, with their index in
/// the query).
pub(super) fn span_ok(names: &Names<'_>, clauses: &[(usize, &Clause)], i: usize) -> bool {
    clauses
        .iter()
        .all(|&(ci, c)| span_term(names, ci, i, &c.term) != c.negated)
}

/// Span term `term` (of clause `ci`) on span row `i`.
#[allow(clippy::cast_precision_loss)]
fn span_term(names: &Names<'_>, ci: usize, i: usize, term: &Term) -> bool {
    let store = names.store;
    let table = store.spans();
    match term {
        Term::Dur(cmp, ns) => table.duration(i).is_some_and(|d| cmp.eval(d, *ns)),
        Term::Status(set) => {
            let st = if table.is_error(i) {
                Outcome::Error
            } else if table.effective_end(i).is_none() {
                Outcome::Running
            } else {
                Outcome::Ok
            };
            status_in(set, st)
        }
        Term::Name(n) => names.contains(ci, table.name(i), n),
        Term::Model(m) => table.model(i).is_some_and(|sym| names.contains(ci, sym, m)),
        Term::Tokens(cmp, n) => cmp.eval(table.tokens(i).map_or(0, |t| t.total), *n),
        Term::Cost(cmp, n) => u32::try_from(i)
            .ok()
            .and_then(|i| store.span_cost(crate::model::SpanIdx(i)))
            .is_some_and(|c| cmp.eval(c.0, *n)),
        Term::Kind(set) => set.contains(&table.kind(i)),
        // a step's share: the request's own spans are all of it
        Term::Pct(cmp, p) => {
            let total = store.columns().duration[table.trace(i).0 as usize];
            let request_root = table.parent(i).is_none() || table.has(i, flags::SYNTHETIC_ROOT);
            total > 0
                && !request_root
                && table
                    .duration(i)
                    .is_some_and(|d| cmp.eval(d as f64 * 100.0 / total as f64, *p))
        }
        Term::Attr { key, test } => names.attr_ok(ci, table.attrs(i), key, test),
        Term::Id(prefix) => match table.id(i) {
            SpanId::Text(sym) => {
                names.text_match(ci, sym, |id| id.to_lowercase().starts_with(prefix.as_str()))
            }
            id => store
                .id_of(table.trace(i), id)
                .to_lowercase()
                .starts_with(prefix.as_str()),
        },
        Term::Spans(..) | Term::Score(..) | Term::Session(_) | Term::Fuzzy(_) | Term::Text(_) => {
            true
        }
    }
}

/// Per trace index: whether some span of the trace satisfies every clause of `clauses` (of
/// `query`). A long table is read in shares, each with names of its own.
pub(super) fn traces_with_matching_span(
    store: &Store,
    query: &Query,
    clauses: &[(usize, &Clause)],
) -> Vec<bool> {
    let table = store.spans();
    let found = shares::in_shares(shares::ranges(table.len()), |rows| {
        let names = Names::new(store, query.clauses.len());
        matching_spans(&names, clauses, rows)
    });
    let mut hit = vec![false; store.columns().len()];
    for i in found.iter().flatten() {
        hit[table.trace(*i as usize).0 as usize] = true;
    }
    hit
}

/// The span rows of `rows` that satisfy every clause of `clauses`.
fn matching_spans(names: &Names<'_>, clauses: &[(usize, &Clause)], rows: Range<usize>) -> Vec<u32> {
    let table = names.store.spans();
    let mut cand = None;
    for &(ci, c) in clauses {
        let neg = c.negated;
        // the common terms read their column in a loop of their own
        match &c.term {
            Term::Kind(set) => {
                let mask = set.iter().fold(0u8, |m, &k| m | 1 << k as u8);
                narrow(&mut cand, &rows, |i| (table.kind_bit(i) & mask != 0) != neg);
            }
            Term::Dur(cmp, ns) => narrow(&mut cand, &rows, |i| {
                table.duration(i).is_some_and(|d| cmp.eval(d, *ns)) != neg
            }),
            Term::Name(name) => {
                let mut hit = names.tester(ci, |s| s.to_lowercase().contains(name.as_str()));
                narrow(&mut cand, &rows, |i| hit(table.name(i)) != neg);
            }
            term => narrow(&mut cand, &rows, |i| span_term(names, ci, i, term) != neg),
        }
    }
    cand.unwrap_or_default()
}
