//! Pure waterfall maths over a trace's [`Tree`]: offset, % of trace, self time.
//!
//! Inputs are plain slices so every rule is unit-tested without a store; the tree itself (order,
//! depth, orphans, broken cycles) is built in `tree.rs`, which the store's derivation shares.

pub use super::tree::{Tree, TreeInput};
use super::{Nanos, SpanIdx, Store, TraceIdx};

/// One laid-out waterfall row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Row {
    /// Index into the input.
    pub idx: usize,
    pub depth: u16,
    /// Start relative to the trace start.
    pub offset: Nanos,
    pub duration: Nanos,
    /// Duration as a share of the trace duration, 0–100 (can exceed 100 for a span that
    /// outlives its trace's root).
    pub pct: f64,
    /// Duration minus the union of the children's intervals.
    pub self_time: Nanos,
}

/// Lay out the rows of `tree` against the trace's time axis.
#[must_use]
#[allow(clippy::cast_precision_loss)]
pub fn layout(items: &[TreeInput], tree: &Tree, trace_start: Nanos, trace_dur: Nanos) -> Vec<Row> {
    tree.order
        .iter()
        .map(|&i| {
            let it = &items[i];
            let start = it.start.unwrap_or(trace_start);
            // a span still running has lasted, so far, until the last thing the trace knows
            let dur = (it.end.unwrap_or(trace_start + trace_dur) - start).max(0);
            let kids: Vec<(Nanos, Nanos)> = tree.children[i]
                .iter()
                .filter_map(|&c| Some((items[c].start?, items[c].end?)))
                .collect();
            Row {
                idx: i,
                depth: tree.depth[i],
                offset: start - trace_start,
                duration: dur,
                pct: if trace_dur > 0 {
                    dur as f64 * 100.0 / trace_dur as f64
                } else {
                    0.0
                },
                self_time: self_time(start, start + dur, &kids),
            }
        })
        .collect()
}

/// `[start, end)` minus the union of `children` intervals (clipped to the parent).
#[must_use]
pub fn self_time(start: Nanos, end: Nanos, children: &[(Nanos, Nanos)]) -> Nanos {
    let mut iv: Vec<(Nanos, Nanos)> = children
        .iter()
        .map(|&(s, e)| (s.max(start), e.min(end)))
        .filter(|(s, e)| e > s)
        .collect();
    iv.sort_unstable();
    let mut covered = 0;
    let mut cur: Option<(Nanos, Nanos)> = None;
    for (s, e) in iv {
        match cur {
            Some((cs, ce)) if s <= ce => cur = Some((cs, ce.max(e))),
            Some((cs, ce)) => {
                covered += ce - cs;
                cur = Some((s, e));
            }
            None => cur = Some((s, e)),
        }
    }
    if let Some((cs, ce)) = cur {
        covered += ce - cs;
    }
    (end - start - covered).max(0)
}

/// How many levels of a waterfall are indented; deeper rows show their nearest levels.
pub const MAX_INDENT: usize = 32;

/// A trace's spans laid out as a waterfall.
#[derive(Debug, Clone)]
pub struct Waterfall {
    pub spans: Vec<SpanIdx>,
    pub tree: Tree,
    pub rows: Vec<Row>,
}

impl Waterfall {
    /// Lay out trace `t` of `store`.
    #[must_use]
    pub fn new(store: &Store, t: TraceIdx) -> Self {
        let tr = store.trace(t);
        let items = store.tree_inputs(t);
        let tree = Tree::build(&items);
        let rows = layout(&items, &tree, tr.summary.start, tr.summary.duration);
        Waterfall {
            spans: tr.spans.to_vec(),
            tree,
            rows,
        }
    }

    /// Tree connectors for each row (`├─`, `└─`, `│ `), from the tree. Below
    /// [`MAX_INDENT`] levels the indentation stops growing: the row starts with `…` and shows
    /// its nearest levels only (a chain a million spans deep stays drawable).
    #[must_use]
    pub fn prefixes(&self) -> Vec<String> {
        let wf = self;
        let tree = &wf.tree;
        let is_last = |i: usize| match tree.parent[i] {
            Some(p) => tree.children[p].last() == Some(&i),
            None => tree.tops.last() == Some(&i),
        };
        wf.rows
            .iter()
            .map(|r| {
                let mut chain = Vec::new();
                let mut cur = tree.parent[r.idx];
                while let Some(p) = cur {
                    if chain.len() == MAX_INDENT + 1 {
                        break;
                    }
                    chain.push(p);
                    cur = tree.parent[p];
                }
                if chain.is_empty() {
                    return String::new();
                }
                let mut s = String::new();
                // more ancestors than were walked
                let deep = cur.is_some();
                if deep {
                    s.push_str("… ");
                }
                // ancestors below the top level (or the nearest ones), outermost first
                let shown = if deep { MAX_INDENT } else { chain.len() - 1 };
                for &a in chain[..shown].iter().rev() {
                    s.push_str(if is_last(a) { "   " } else { "│  " });
                }
                s.push_str(if is_last(r.idx) { "└─ " } else { "├─ " });
                s
            })
            .collect()
    }

    /// The store index of a row's span.
    #[must_use]
    pub fn span(&self, row: &Row) -> SpanIdx {
        self.spans[row.idx]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::inp;
    use pretty_assertions::assert_eq;

    #[test]
    fn self_time_subtracts_the_union_of_children() {
        assert_eq!(self_time(0, 100, &[]), 100);
        assert_eq!(self_time(0, 100, &[(10, 30), (20, 40)]), 70);
        assert_eq!(self_time(0, 100, &[(10, 20), (50, 60)]), 80);
        // children outside the parent are clipped
        assert_eq!(self_time(0, 100, &[(-10, 10), (90, 150)]), 80);
        assert_eq!(self_time(0, 100, &[(0, 100)]), 0);
    }

    #[test]
    fn layout_gives_offset_pct_and_self_time() {
        let items = [
            inp(1, None, 1000, 1100),
            inp(2, Some(1), 1010, 1060),
            inp(3, Some(1), 1060, 1085),
        ];
        let t = Tree::build(&items);
        let rows = layout(&items, &t, 1000, 100);
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].pct, 100.0);
        assert_eq!(rows[0].self_time, 25);
        assert_eq!(rows[1].offset, 10);
        assert_eq!(rows[1].pct, 50.0);
        assert_eq!(rows[2].duration, 25);
        assert_eq!(rows[2].self_time, 25);
    }
}
