//! A trace's spans arranged as a tree: parents, children, depth-first order, orphans.
//!
//! Inputs are plain slices so every rule is unit-tested without a store. Spans may arrive in any
//! order; a declared parent that is missing makes the span an orphan (a top-level span, or a child
//! of the request's synthesized root when the format has one); self-parents and cycles are broken
//! the same way, so every span appears exactly once. Deriving a trace's summary and laying out
//! its waterfall both start here.

use super::Nanos;
use super::ids::SpanId;
use foldhash::{HashMap, HashMapExt as _};

/// What the tree needs to know of one span.
#[derive(Debug, Clone, Copy)]
pub struct TreeInput {
    pub id: SpanId,
    pub parent: Option<SpanId>,
    pub start: Option<Nanos>,
    pub end: Option<Nanos>,
    pub synthetic_root: bool,
}

/// The spans of one trace arranged as a tree.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tree {
    /// Indexes into the input, depth-first, children by start time (then arrival).
    pub order: Vec<usize>,
    /// Per input index: depth (0 = top level).
    pub depth: Vec<u16>,
    /// Per input index: the effective parent.
    pub parent: Vec<Option<usize>>,
    /// Per input index: the declared parent never arrived (or formed a cycle).
    pub orphan: Vec<bool>,
    /// Per input index: children in display order.
    pub children: Vec<Vec<usize>>,
    /// Top-level spans in display order.
    pub tops: Vec<usize>,
}

/// Up to this many spans, a parent is found by looking through the trace rather than by hashing.
const SMALL: usize = 16;

impl Tree {
    /// Arrange `items` (one trace) as a tree.
    #[must_use]
    pub fn build(items: &[TreeInput]) -> Tree {
        let n = items.len();
        let (parent, orphan) = Self::links(items);
        let key = |i: &usize| (items[*i].start.unwrap_or(Nanos::MAX), *i);
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut tops = Vec::new();
        for (i, p) in parent.iter().enumerate() {
            match *p {
                Some(p) => children[p].push(i),
                None => tops.push(i),
            }
        }
        for c in &mut children {
            c.sort_by_key(key);
        }
        tops.sort_by_key(|i| (!items[*i].synthetic_root, key(i)));
        let mut order = Vec::with_capacity(n);
        let mut depth = vec![0u16; n];
        let mut stack: Vec<(usize, u16)> = tops.iter().rev().map(|&t| (t, 0)).collect();
        while let Some((i, d)) = stack.pop() {
            order.push(i);
            depth[i] = d;
            for &c in children[i].iter().rev() {
                stack.push((c, d.saturating_add(1)));
            }
        }
        Tree {
            order,
            depth,
            parent,
            orphan,
            children,
            tops,
        }
    }

    /// Each span's effective parent (by input index) and whether it is an orphan: the first
    /// half of [`Tree::build`], for a caller that needs no display order. A missing declared
    /// parent, a self-parent and the span that closes a cycle make an orphan, under the
    /// synthesized root if there is one.
    #[must_use]
    pub fn links(items: &[TreeInput]) -> (Vec<Option<usize>>, Vec<bool>) {
        let n = items.len();
        // a few spans are found faster by looking than by hashing (the first of an id wins)
        let by_id: Option<HashMap<SpanId, usize>> = (n > SMALL).then(|| {
            let mut m = HashMap::with_capacity(n);
            for (i, it) in items.iter().enumerate() {
                m.entry(it.id).or_insert(i);
            }
            m
        });
        let find = |id: SpanId| match &by_id {
            Some(m) => m.get(&id).copied(),
            None => items.iter().position(|it| it.id == id),
        };
        let synth = items.iter().position(|it| it.synthetic_root);
        let mut parent: Vec<Option<usize>> = vec![None; n];
        let mut orphan = vec![false; n];
        for (i, it) in items.iter().enumerate() {
            if Some(i) == synth {
                continue;
            }
            match it.parent {
                Some(p) => match find(p) {
                    Some(pi) if pi != i => parent[i] = Some(pi),
                    _ => {
                        orphan[i] = true;
                        parent[i] = synth;
                    }
                },
                None => parent[i] = synth,
            }
        }
        // Break cycles: walk up from each span; a walk that revisits a span of its own path
        // cuts the link of the span where it started looping.
        let mut state = vec![0u8; n]; // 0 unvisited, 1 on the current path, 2 done
        let mut path = Vec::new();
        for i in 0..n {
            path.clear();
            let mut cur = Some(i);
            while let Some(c) = cur {
                match state[c] {
                    2 => break,
                    1 => {
                        // `c` closes a cycle: detach it.
                        parent[c] = if Some(c) == synth { None } else { synth };
                        orphan[c] = true;
                        break;
                    }
                    _ => {
                        state[c] = 1;
                        path.push(c);
                        cur = parent[c];
                    }
                }
            }
            for &p in &path {
                state[p] = 2;
            }
        }
        (parent, orphan)
    }

    /// Whether input index `a` is an ancestor of `b`.
    #[must_use]
    pub fn is_ancestor(&self, a: usize, b: usize) -> bool {
        let mut cur = self.parent[b];
        while let Some(c) = cur {
            if c == a {
                return true;
            }
            cur = self.parent[c];
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::inp;
    use pretty_assertions::assert_eq;

    #[test]
    fn parents_are_found_alike_in_small_and_large_traces() {
        // the same shape (a missing parent, a self-parent, a two-span cycle) padded past the
        // size where parents are looked up in a table
        for pad in [0u32, 30] {
            let mut items = vec![
                inp(1, None, 0, 100),
                inp(2, Some(1), 0, 10),
                inp(3, Some(99), 0, 10),
                inp(4, Some(4), 0, 10),
                inp(5, Some(6), 0, 10),
                inp(6, Some(5), 0, 10),
            ];
            items.extend((0..pad).map(|k| inp(100 + k, Some(1), 0, 1)));
            let (parent, orphan) = Tree::links(&items);
            assert_eq!(
                parent[..6],
                [None, Some(0), None, None, None, Some(4)],
                "pad {pad}"
            );
            assert_eq!(
                orphan[..6],
                [false, false, true, true, true, false],
                "pad {pad}"
            );
            assert!(parent[6..].iter().all(|p| *p == Some(0)));
        }
    }

    #[test]
    fn orders_depth_first_with_children_by_start() {
        // arrival order: children before parents, as OTLP batches send them
        let items = [
            inp(3, Some(1), 50, 90),
            inp(2, Some(1), 10, 40),
            inp(1, None, 0, 100),
        ];
        let t = Tree::build(&items);
        assert_eq!(t.order, vec![2, 1, 0]);
        assert_eq!(t.depth, vec![1, 1, 0]);
        assert_eq!(t.tops, vec![2]);
        assert!(t.orphan.iter().all(|o| !o));
    }

    #[test]
    fn missing_parent_makes_an_orphan_top_level_span() {
        let items = [inp(1, None, 0, 100), inp(2, Some(9), 10, 20)];
        let t = Tree::build(&items);
        assert_eq!(t.tops, vec![0, 1]);
        assert!(t.orphan[1]);
        assert!(!t.orphan[0]);
    }

    #[test]
    fn orphans_hang_under_a_synthesized_root() {
        let mut root = inp(1, None, 0, 100);
        root.synthetic_root = true;
        let items = [inp(2, Some(9), 10, 20), root, inp(3, None, 30, 40)];
        let t = Tree::build(&items);
        assert_eq!(t.tops, vec![1]);
        assert_eq!(t.parent[0], Some(1));
        assert_eq!(t.parent[2], Some(1));
        assert!(t.orphan[0] && !t.orphan[2]);
        assert_eq!(t.order, vec![1, 0, 2]);
    }

    #[test]
    fn self_parent_and_cycles_are_broken() {
        let items = [
            inp(1, Some(1), 0, 10),
            inp(2, Some(3), 0, 10),
            inp(3, Some(2), 5, 10),
        ];
        let t = Tree::build(&items);
        assert_eq!(t.order.len(), 3, "every span appears once");
        assert!(t.orphan[0]);
        assert!(t.orphan[1] || t.orphan[2]);
        let mut seen = t.order.clone();
        seen.sort_unstable();
        assert_eq!(seen, vec![0, 1, 2]);
    }

    #[test]
    fn ancestors() {
        let items = [
            inp(1, None, 0, 10),
            inp(2, Some(1), 0, 5),
            inp(3, Some(2), 0, 1),
        ];
        let t = Tree::build(&items);
        assert!(t.is_ancestor(0, 2));
        assert!(!t.is_ancestor(2, 0));
    }
}
