//! Deriving a trace's row from its spans and trace-level records: root, start and duration,
//! status, LM calls, tokens without double counting, model, name and error message.
//!
//! Pure functions over the span table's columns: the store calls them for each trace a record
//! changed, before it lets anyone read that trace again.

use super::idx::{self, Table};
use super::rows::SpanTable;
use super::span::{Nanodollars, SpanIdx, SpanKind, Tokens, flags};
use super::trace::{TraceInfo, TraceRow, TraceStatus, TraceSummary};
use super::tree::{Tree, TreeInput};

/// What the tree needs of each of `spans`, in the order given.
#[must_use]
pub fn tree_inputs(table: &SpanTable, spans: &[SpanIdx]) -> Vec<TreeInput> {
    let mut out = Vec::with_capacity(spans.len());
    fill_inputs(table, spans, &mut out);
    out
}

fn fill_inputs(table: &SpanTable, spans: &[SpanIdx], out: &mut Vec<TreeInput>) {
    out.clear();
    out.extend(spans.iter().map(|s| {
        let i = s.0 as usize;
        TreeInput {
            id: table.id(i),
            parent: table.parent(i),
            start: table.start(i),
            end: table.effective_end(i),
            synthetic_root: table.has(i, flags::SYNTHETIC_ROOT),
        }
    }));
}

/// What deriving one trace after another reuses.
#[derive(Debug, Default)]
pub struct Scratch {
    items: Vec<TreeInput>,
}

/// What one LM call cost, from its usage, its model and when it started (`prices::call_cost`
/// with the store's names); `None` when unpriced.
pub type CostOf<'a> =
    dyn Fn(&Tokens, Option<super::Sym>, Option<super::Nanos>) -> Option<Nanodollars> + 'a;

/// The summary of trace `tr`, whose spans are rows of `table`; `stated`: the token total a
/// trace-level record gave, if one did.
///
/// # Panics
/// Never for a trace of the store: its counts are counts of span rows, which the store keeps
/// within the capacity of its span table.
#[must_use]
pub fn summary(
    tr: &TraceRow,
    stated: Option<Tokens>,
    table: &SpanTable,
    cost_of: &CostOf<'_>,
    scratch: &mut Scratch,
) -> TraceSummary {
    fill_inputs(table, &tr.spans, &mut scratch.items);
    let items = &scratch.items;
    // the row of the trace's i-th span
    let row = |i: usize| tr.spans[i].0 as usize;
    let n = tr.spans.len();
    let tree = Tree::build(items);
    let root = match tree.tops.as_slice() {
        [only] if !tree.orphan[*only] => Some(*only),
        _ => None,
    };
    let min_start = items.iter().filter_map(|i| i.start).min();
    let max_end = items.iter().filter_map(|i| i.end).max();
    let start = root.and_then(|r| items[r].start).or(min_start).unwrap_or(0);
    let root_end = root.and_then(|r| items[r].end);
    let end = root_end.or(max_end).unwrap_or(start);
    let failed = |i: usize| table.is_error(row(i));
    let error_spans = (0..n).filter(|&i| failed(i)).count();
    let status = request_status(&tr.info, items, &failed, &tree, root);

    // LM calls: LLM spans with no LLM ancestor (an instrumented client under a DSPy LM span
    // is the same call).
    let is_llm = |i: usize| table.kind(row(i)) == SpanKind::Llm;
    let llm_calls = (0..n)
        .filter(|&i| is_llm(i) && !ancestors(&tree, i).any(is_llm))
        .count();

    let carried: Vec<Option<Tokens>> = (0..n).map(|i| table.tokens(row(i))).collect();
    let tokens = stated
        .or_else(|| {
            let cumulative: Vec<bool> = (0..n)
                .map(|i| table.has(row(i), flags::TOKENS_CUMULATIVE))
                .collect();
            trace_tokens(&carried, &cumulative, &tree)
        })
        .map(|t| Tokens {
            stated_cost: None,
            ..t
        });
    let (cost, mut unpriced) = trace_cost(&carried, &tree, &|i, t| {
        cost_of(t, table.model(row(i)), items[i].start)
    });
    let model_of = |i: usize| table.model(row(i));
    let model = tree
        .order
        .iter()
        .copied()
        .find(|&i| {
            model_of(i).is_some()
                && table.tokens(row(i)).is_some()
                && !table.has(row(i), flags::TOKENS_CUMULATIVE)
        })
        .or_else(|| tree.order.iter().copied().find(|&i| model_of(i).is_some()))
        .and_then(model_of);
    let name_of = |i: usize| table.name(row(i));
    let name = tr
        .info
        .name()
        .or_else(|| root.map(name_of))
        .or_else(|| tree.tops.first().map(|&i| name_of(i)));
    let error_of = |i: usize| table.error(row(i));
    let error_message = tr.info.error_message().or_else(|| {
        root.and_then(error_of)
            .or_else(|| tree.order.iter().find_map(|&i| error_of(i)))
    });
    // each is a count of some of the trace's spans, at most the span table's capacity
    let spans_u32 = |n: usize| idx::count(n, Table::Spans).expect("a trace's spans are rows");
    if carried.iter().all(Option::is_none) {
        // LM calls without any usage: what they cost is not known
        unpriced = llm_calls;
    }
    TraceSummary {
        name,
        start,
        duration: (end - start).max(0),
        status,
        span_count: spans_u32(n),
        error_spans: spans_u32(error_spans),
        llm_calls: spans_u32(llm_calls),
        tokens,
        model,
        root: root.map(|r| tr.spans[r]),
        orphans: spans_u32(tree.orphan.iter().filter(|o| **o).count()),
        sequential: (0..n).any(|i| table.has(row(i), flags::SEQUENTIAL)),
        error_message,
        one_model: (0..n).all(|i| model_of(i).is_none() || model_of(i) == model),
        cost,
        unpriced: spans_u32(unpriced),
        // the store finds it in the spans' attributes (`session.rs`)
        session: None,
        score: None,
    }
}

/// What a trace's calls cost and how many have no known cost. The calls are the innermost
/// spans that carry usage (one call reported by a DSPy LM span and the client span under it
/// is counted once, as for tokens; for producers whose usage covers a subtree these are its
/// LM spans). A call's cost is the one its producer stated, on its span or on an enclosing
/// span that reports the same call, else what its model's price makes of its tokens.
fn trace_cost(
    carried: &[Option<Tokens>],
    tree: &Tree,
    cost_of: &dyn Fn(usize, &Tokens) -> Option<Nanodollars>,
) -> (Option<Nanodollars>, usize) {
    let n = carried.len();
    let mut has_carrying_descendant = vec![false; n];
    for i in (0..n).filter(|&i| carried[i].is_some()) {
        for a in ancestors(tree, i) {
            has_carrying_descendant[a] = true;
        }
    }
    let mut total: Option<Nanodollars> = None;
    let mut unpriced = 0;
    for i in (0..n).filter(|&i| !has_carrying_descendant[i]) {
        let Some(t) = carried[i] else { continue };
        let stated = t.stated_cost.or_else(|| {
            ancestors(tree, i)
                .filter_map(|a| carried[a])
                .find_map(|a| a.stated_cost)
        });
        match stated.or_else(|| cost_of(i, &t)) {
            Some(c) => total = Some(total.unwrap_or_default() + c),
            None => unpriced += 1,
        }
    }
    (total, unpriced)
}

/// The request's outcome (README "What failed means"): the outcome a record states (a request
/// line's error, an event stream's `trace_end`, MLflow's trace state), else its root span's.
/// Failed steps under a root that ended ok do not make the request failed: that is a recovered
/// request. Without a single root, the declared top-level spans stand for the request; when
/// every top-level span names a parent that has not arrived, the root is yet to come and the
/// request is running.
fn request_status(
    info: &TraceInfo,
    items: &[TreeInput],
    failed: &dyn Fn(usize) -> bool,
    tree: &Tree,
    root: Option<usize>,
) -> TraceStatus {
    if let Some(stated) = info.final_status {
        return stated;
    }
    if info.error {
        return TraceStatus::Error;
    }
    let tops: Vec<usize> = match root {
        Some(r) => vec![r],
        None => tree
            .tops
            .iter()
            .copied()
            .filter(|&i| !tree.orphan[i])
            .collect(),
    };
    let root_missing = tops.is_empty() && !tree.tops.is_empty();
    if tops.iter().any(|&i| failed(i)) {
        TraceStatus::Error
    } else if info.running || root_missing || tops.iter().any(|&i| items[i].end.is_none()) {
        TraceStatus::Running
    } else {
        TraceStatus::Ok
    }
}

fn ancestors(tree: &Tree, i: usize) -> impl Iterator<Item = usize> + '_ {
    std::iter::successors(tree.parent[i], |&p| tree.parent[p])
}

/// A trace's tokens without double counting (`carried[i]`: what span i reports, `cumulative[i]`:
/// whether that covers its subtree): where producers report cumulative usage (MLflow module
/// spans), sum the top-most such spans; otherwise sum the innermost spans that carry usage (an
/// LLM span whose child reports the same call is not counted twice).
fn trace_tokens(carried: &[Option<Tokens>], cumulative: &[bool], tree: &Tree) -> Option<Tokens> {
    let n = carried.len();
    let carries = |i: usize| carried[i].is_some();
    let cumulative = |i: usize| carries(i) && cumulative[i];
    let picked: Vec<usize> = if (0..n).any(cumulative) {
        (0..n)
            .filter(|&i| cumulative(i) && !ancestors(tree, i).any(cumulative))
            .collect()
    } else {
        let mut has_carrying_descendant = vec![false; n];
        for i in (0..n).filter(|&i| carries(i)) {
            for a in ancestors(tree, i) {
                has_carrying_descendant[a] = true;
            }
        }
        (0..n)
            .filter(|&i| carries(i) && !has_carrying_descendant[i])
            .collect()
    };
    picked
        .iter()
        .filter_map(|&i| carried[i])
        .reduce(|a, b| a + b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ids::{SpanId, TraceId};
    use crate::model::intern::Sym;
    use crate::model::sources::SourceId;
    use crate::model::span::{Span, SpanStatus};
    use crate::model::trace::{TraceIdx, TraceInfo};

    fn span(id: u32, parent: Option<u32>, kind: SpanKind, tokens: Option<u64>) -> Span {
        Span {
            trace: TraceIdx(0),
            span_id: SpanId::Hex(id.into()),
            parent_id: parent.map(|p| SpanId::Hex(p.into())),
            name: Sym(100 + id),
            kind,
            start: Some(0),
            end: Some(10),
            dur_hint: None,
            status: SpanStatus::Ok,
            error: None,
            model: None,
            tokens: tokens.map(|n| Tokens {
                prompt: n,
                completion: 0,
                total: n,
                ..Tokens::default()
            }),
            flags: 0,
            payload: [None, None],
            attrs: (0, 0),
        }
    }

    fn trace_of(spans: &[Span]) -> TraceRow {
        TraceRow {
            id: TraceId::Text(Sym(0)),
            source: SourceId(0),
            spans: (0..spans.len())
                .map(|i| SpanIdx(u32::try_from(i).unwrap()))
                .collect(),
            info: TraceInfo::default(),
            dirty: false,
            seq: 0,
            bytes: 0,
            revision: 0,
        }
    }

    fn table(spans: &[Span]) -> SpanTable {
        let mut t = SpanTable::default();
        for s in spans {
            t.push(s);
        }
        t
    }

    /// The summary of a trace of `spans`, with what a trace-level record said.
    fn summarize(spans: &[Span], info: TraceInfo) -> TraceSummary {
        let mut tr = trace_of(spans);
        tr.info = info;
        summary(
            &tr,
            None,
            &table(spans),
            &|_, _, _| None,
            &mut Scratch::default(),
        )
    }

    #[test]
    fn a_tree_input_ends_where_a_reported_duration_says() {
        let mut s = span(1, None, SpanKind::Chain, None);
        (s.start, s.end, s.dur_hint) = (Some(5), None, Some(7));
        s.flags = flags::SYNTHETIC_ROOT;
        let [input] = tree_inputs(&table(&[s]), &[SpanIdx(0)])[..] else {
            panic!("one input per span")
        };
        assert_eq!(
            (input.start, input.end, input.synthetic_root),
            (Some(5), Some(12), true)
        );
    }

    #[test]
    fn a_summary_counts_nested_lm_spans_once_and_their_innermost_tokens() {
        let spans = [
            span(1, None, SpanKind::Chain, None),
            span(2, Some(1), SpanKind::Llm, Some(100)),
            span(3, Some(2), SpanKind::Llm, Some(100)),
            span(4, Some(9), SpanKind::Tool, None),
        ];
        let t = summarize(&spans, TraceInfo::default());
        assert_eq!((t.span_count, t.llm_calls, t.orphans), (4, 1, 1));
        assert_eq!(t.tokens.map(|t| t.total), Some(100));
        // an orphan makes two top-level spans: no single root to measure the trace by
        assert_eq!((t.root, t.name), (None, Some(Sym(101))));
        assert_eq!(t.status, TraceStatus::Ok);
    }

    /// The status `summary` derives for `spans`, with what a trace-level record said.
    fn status_of(spans: &[Span], info: TraceInfo) -> (TraceStatus, u32) {
        let t = summarize(spans, info);
        (t.status, t.error_spans)
    }

    fn failed(mut s: Span) -> Span {
        s.status = SpanStatus::Error;
        s
    }

    fn unset(mut s: Span) -> Span {
        s.status = SpanStatus::Unset;
        s
    }

    fn open(mut s: Span) -> Span {
        s.end = None;
        s
    }

    const NOTHING_STATED: TraceInfo = TraceInfo::NONE;

    #[test]
    fn a_request_is_as_its_root_ended_whatever_failed_inside() {
        let root = || span(1, None, SpanKind::Agent, None);
        let tool = || span(2, Some(1), SpanKind::Tool, None);
        // a tool failed, the agent went on and answered: recovered
        assert_eq!(
            status_of(&[root(), failed(tool())], NOTHING_STATED),
            (TraceStatus::Ok, 1)
        );
        // a root that says nothing (OTLP UNSET) did not fail either
        assert_eq!(
            status_of(&[unset(root()), failed(tool())], NOTHING_STATED),
            (TraceStatus::Ok, 1)
        );
        // the failure reached the root: the request failed
        assert_eq!(
            status_of(&[failed(root()), failed(tool())], NOTHING_STATED),
            (TraceStatus::Error, 2)
        );
        // a root that failed on its own, every step fine
        assert_eq!(
            status_of(&[failed(root()), tool()], NOTHING_STATED),
            (TraceStatus::Error, 1)
        );
        // not ended yet: running, its failed step counted
        assert_eq!(
            status_of(&[open(root()), failed(tool())], NOTHING_STATED),
            (TraceStatus::Running, 1)
        );
    }

    #[test]
    fn an_outcome_a_record_states_decides() {
        let spans = [
            span(1, None, SpanKind::Chain, None),
            failed(span(2, Some(1), SpanKind::Tool, None)),
        ];
        let stated = |s| {
            let mut info = NOTHING_STATED;
            info.final_status = Some(s);
            info
        };
        for s in [TraceStatus::Ok, TraceStatus::Error, TraceStatus::Running] {
            assert_eq!(status_of(&spans, stated(s)), (s, 1));
        }
        // a record that only says the request failed (MLflow's ERROR state)
        let mut said_failed = NOTHING_STATED;
        said_failed.error = true;
        assert_eq!(
            status_of(&[span(1, None, SpanKind::Chain, None)], said_failed),
            (TraceStatus::Error, 0)
        );
        let mut said_running = NOTHING_STATED;
        said_running.running = true;
        assert_eq!(status_of(&spans, said_running), (TraceStatus::Running, 1));
    }

    #[test]
    fn without_a_single_root_the_declared_top_level_spans_stand_for_the_request() {
        let top = |id| span(id, None, SpanKind::Chain, None);
        let orphan = |id| span(id, Some(99), SpanKind::Tool, None);
        // the root has not arrived: running, even when what did arrive failed
        assert_eq!(
            status_of(&[orphan(2), failed(orphan(3))], NOTHING_STATED),
            (TraceStatus::Running, 1)
        );
        // two roots: failed when one of them failed
        assert_eq!(
            status_of(&[top(1), failed(top(2))], NOTHING_STATED),
            (TraceStatus::Error, 1)
        );
        assert_eq!(
            status_of(&[top(1), open(top(2))], NOTHING_STATED),
            (TraceStatus::Running, 0)
        );
        // a root beside an orphan that failed: the root decides
        assert_eq!(
            status_of(&[top(1), failed(orphan(2))], NOTHING_STATED),
            (TraceStatus::Ok, 1)
        );
        // no span at all yet
        assert_eq!(status_of(&[], NOTHING_STATED), (TraceStatus::Ok, 0));
    }

    #[test]
    fn a_trace_costs_each_call_once_and_counts_the_unpriced() {
        let with = |mut s: Span, model: u32, cost: Option<u64>| {
            s.model = Some(Sym(model));
            if let Some(t) = s.tokens.as_mut() {
                t.stated_cost = cost.map(Nanodollars);
            }
            s
        };
        let spans = [
            span(1, None, SpanKind::Chain, None),
            // a DSPy LM span that states its cost, and the client span of the same call
            with(span(2, Some(1), SpanKind::Llm, Some(100)), 7, Some(500)),
            with(span(3, Some(2), SpanKind::Llm, Some(100)), 7, None),
            // a priced call, and one of a model no table knows
            with(span(4, Some(1), SpanKind::Llm, Some(10)), 7, None),
            with(span(5, Some(1), SpanKind::Llm, Some(10)), 8, None),
        ];
        let tr = trace_of(&spans);
        // model 7 costs 3 a token, model 8 is unknown
        let price = |t: &Tokens, m: Option<Sym>, _: Option<i64>| {
            (m == Some(Sym(7))).then(|| Nanodollars(3 * t.total))
        };
        let t = summary(&tr, None, &table(&spans), &price, &mut Scratch::default());
        assert_eq!(t.llm_calls, 3);
        assert_eq!(t.tokens.map(|t| t.total), Some(120));
        assert_eq!((t.cost, t.unpriced), (Some(Nanodollars(530)), 1));
        // LM calls that reported no usage at all: none is priced
        let bare = [span(1, None, SpanKind::Llm, None)];
        let t = summary(
            &trace_of(&bare),
            None,
            &table(&bare),
            &price,
            &mut Scratch::default(),
        );
        assert_eq!((t.cost, t.unpriced), (None, 1));
    }
}
