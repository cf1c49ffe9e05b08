//! The critical path of a trace: the chain of work the request waited for (Jaeger's rule,
//! `jaeger-ui` `computeCriticalPath`). From the end of the span that ends last, take the child
//! that finished last before the cursor, move the cursor to that child's end and walk into it;
//! when a span has no such child left, its time from its start to the cursor is on the path, and
//! the walk returns to its parent with the cursor at its start. Children are clipped to their
//! parent's bounds first, so a child that outlives its parent does not drag the path. Sequential
//! steps are therefore all on it, and of parallel ones only the one that finished last.

use crate::model::Nanos;
use crate::model::tree::{Tree, TreeInput};

/// A stretch of time the request waited on span `node` itself (not on one of its children).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Section {
    /// Index into the tree's input.
    pub node: usize,
    pub start: Nanos,
    pub end: Nanos,
}

/// The critical path of the spans in `items` arranged as `tree`: every span the walk went
/// through (`on_path`, by input index) and the sections of time it waited on each, latest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CriticalPath {
    pub on_path: Vec<bool>,
    pub sections: Vec<Section>,
}

impl CriticalPath {
    /// The time the path spent in `node`'s own sections.
    #[must_use]
    pub fn time_in(&self, node: usize) -> Nanos {
        self.sections
            .iter()
            .filter(|s| s.node == node)
            .map(|s| s.end - s.start)
            .sum()
    }
}

/// Each span's interval clipped to its parent's (itself clipped): `None` for a span without
/// both ends, or one that lies wholly outside its parent.
fn clipped(items: &[TreeInput], tree: &Tree) -> Vec<Option<(Nanos, Nanos)>> {
    let mut out: Vec<Option<(Nanos, Nanos)>> = vec![None; items.len()];
    // depth-first order: a parent before its children
    for &i in &tree.order {
        let own = match (items[i].start, items[i].end) {
            (Some(s), Some(e)) if e >= s => Some((s, e)),
            _ => None,
        };
        out[i] = match (own, tree.parent[i].map(|p| out[p])) {
            (Some((s, e)), Some(Some((ps, pe)))) => {
                let (s, e) = (s.max(ps), e.min(pe));
                (s <= e).then_some((s, e))
            }
            (own, _) => own,
        };
    }
    out
}

/// The critical path of a trace.
#[must_use]
pub fn critical_path(items: &[TreeInput], tree: &Tree) -> CriticalPath {
    let span = clipped(items, tree);
    let mut path = CriticalPath {
        on_path: vec![false; items.len()],
        sections: Vec::new(),
    };
    // each parent's timed children, latest end first; `next[p]` is how far the walk has gone
    // down that list (the cursor in a parent only moves back in time)
    let by_end: Vec<Vec<usize>> = tree
        .children
        .iter()
        .map(|kids| {
            let mut k: Vec<usize> = kids
                .iter()
                .copied()
                .filter(|&c| span[c].is_some())
                .collect();
            k.sort_by_key(|&c| std::cmp::Reverse(span[c].map_or(Nanos::MIN, |x| x.1)));
            k
        })
        .collect();
    let mut next = vec![0usize; items.len()];
    let Some(top) = tree
        .tops
        .iter()
        .copied()
        .filter(|&t| span[t].is_some())
        .max_by_key(|&t| (span[t].map_or(Nanos::MIN, |x| x.1), std::cmp::Reverse(t)))
    else {
        return path;
    };
    let (mut node, mut cursor) = (top, span[top].map_or(0, |x| x.1));
    path.on_path[node] = true;
    loop {
        let (start, _) = span[node].expect("only timed spans are walked");
        // the child that finished last at or before the cursor, not walked yet
        let kids = &by_end[node];
        let mut child = None;
        while let Some(&c) = kids.get(next[node]) {
            next[node] += 1;
            let end = span[c].map_or(Nanos::MIN, |x| x.1);
            if end <= cursor && !path.on_path[c] {
                child = Some((c, end));
                break;
            }
        }
        if let Some((c, end)) = child {
            if end < cursor {
                path.sections.push(Section {
                    node,
                    start: end,
                    end: cursor,
                });
            }
            path.on_path[c] = true;
            (node, cursor) = (c, end);
            continue;
        }
        if start < cursor {
            path.sections.push(Section {
                node,
                start,
                end: cursor,
            });
        }
        match tree.parent[node] {
            Some(p) if node != top && span[p].is_some() => (node, cursor) = (p, start),
            _ => return path,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::inp;

    fn path(items: &[TreeInput]) -> (Vec<usize>, Vec<(usize, Nanos, Nanos)>) {
        let p = critical_path(items, &Tree::build(items));
        let on = (0..items.len()).filter(|&i| p.on_path[i]).collect();
        let sections = p
            .sections
            .iter()
            .map(|s| (s.node, s.start, s.end))
            .collect();
        (on, sections)
    }

    #[test]
    fn sequential_steps_are_all_on_the_path() {
        // HandbookQA: a slow retrieval, then the LM call
        let items = [
            inp(1, None, 0, 100),
            inp(2, Some(1), 0, 80),
            inp(3, Some(1), 80, 98),
            inp(4, Some(3), 81, 97),
        ];
        let (on, sections) = path(&items);
        assert_eq!(on, vec![0, 1, 2, 3]);
        assert_eq!(
            sections,
            vec![
                (0, 98, 100),
                (2, 97, 98),
                (3, 81, 97),
                (2, 80, 81),
                (1, 0, 80)
            ]
        );
        // back to back: a step that ends where the next starts is on it too
        let items = [
            inp(1, None, 0, 30),
            inp(2, Some(1), 0, 10),
            inp(3, Some(1), 10, 20),
            inp(4, Some(1), 20, 30),
        ];
        assert_eq!(path(&items).0, vec![0, 1, 2, 3]);
    }

    #[test]
    fn of_parallel_children_only_the_one_that_finished_last() {
        let items = [
            inp(1, None, 0, 100),
            inp(2, Some(1), 0, 60),
            inp(3, Some(1), 10, 95),
            inp(4, Some(3), 20, 90),
            inp(5, Some(3), 20, 50),
        ];
        let (on, sections) = path(&items);
        assert_eq!(on, vec![0, 2, 3]);
        assert_eq!(
            sections,
            vec![
                (0, 95, 100),
                (2, 90, 95),
                (3, 20, 90),
                (2, 10, 20),
                (0, 0, 10)
            ]
        );
    }

    #[test]
    fn overlapping_children_hand_over_at_the_cursor() {
        // b started before a ended: after b, the walk takes a, which ended before b's start
        // only if it did; here it did not, so the parent's own time fills the gap
        let items = [
            inp(1, None, 0, 100),
            inp(2, Some(1), 0, 50),
            inp(3, Some(1), 40, 100),
            inp(4, Some(1), 0, 30),
        ];
        let (on, sections) = path(&items);
        assert_eq!(on, vec![0, 2, 3]);
        assert_eq!(sections, vec![(2, 40, 100), (0, 30, 40), (3, 0, 30)]);
    }

    #[test]
    fn children_are_clipped_to_their_parent() {
        // a child that outlives its parent counts only up to the parent's end
        let items = [
            inp(1, None, 0, 100),
            inp(2, Some(1), 0, 40),
            inp(3, Some(2), 10, 300),
            inp(4, Some(1), 40, 90),
        ];
        let (on, sections) = path(&items);
        assert_eq!(on, vec![0, 1, 2, 3]);
        assert_eq!(
            sections,
            vec![(0, 90, 100), (3, 40, 90), (2, 10, 40), (1, 0, 10)]
        );
    }

    #[test]
    fn orphans_and_spans_without_times() {
        // the orphan is a top of its own; the path is the one of the top that ends last
        let items = [
            inp(1, None, 0, 50),
            inp(2, Some(9), 10, 80),
            inp(3, Some(2), 20, 70),
        ];
        assert_eq!(path(&items).0, vec![1, 2]);
        let mut untimed = inp(2, Some(1), 0, 0);
        untimed.end = None;
        let items = [inp(1, None, 0, 10), untimed];
        assert_eq!(path(&items), (vec![0], vec![(0, 0, 10)]));
        assert_eq!(
            critical_path(&[], &Tree::build(&[])),
            CriticalPath::default()
        );
    }

    #[test]
    fn a_deep_chain_is_walked_without_recursion() {
        let n = 200_000u32;
        let items: Vec<TreeInput> = (0..n)
            .map(|i| inp(i + 1, (i > 0).then_some(i), i64::from(i), 10_000_000))
            .collect();
        let p = critical_path(&items, &Tree::build(&items));
        assert!(p.on_path.iter().all(|&x| x));
        assert_eq!(p.time_in(0), 1);
    }

    /// On the demo's slow request (HandbookQA: Retrieve 1.80 s, then ChainOfThought), the
    /// retrieval that made it slow is on the path, and so is the LM call after it.
    #[test]
    fn the_slow_retrieval_of_the_demo_is_on_the_path() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo.jsonl");
        let mut store = crate::model::Store::new();
        crate::ingest::load_path(&mut store, &path, crate::ingest::Options::default()).unwrap();
        let t = store
            .trace_ids()
            .find(|&t| store.trace_id(t).starts_with("28240bb5"))
            .expect("the demo's HandbookQA request");
        let items = store.tree_inputs(t);
        let tree = Tree::build(&items);
        let p = critical_path(&items, &tree);
        let spans = store.trace_spans(t);
        let on: Vec<&str> = (0..items.len())
            .filter(|&i| p.on_path[i])
            .map(|i| store.str(store.span(spans[i]).name))
            .collect();
        assert!(
            on.contains(&"Retrieve.forward") || on.iter().any(|n| n.starts_with("Retrieve")),
            "{on:?}"
        );
        assert!(
            on.iter().any(|n| n.contains("LM") || n.contains("lm")),
            "{on:?}"
        );
        let retrieve = (0..items.len())
            .find(|&i| store.str(store.span(spans[i]).name).starts_with("Retrieve"))
            .expect("a Retrieve span");
        // nearly all of the request's time went to the retrieval
        let total: Nanos = p.sections.iter().map(|s| s.end - s.start).sum();
        assert!(
            p.time_in(retrieve) * 10 > total * 8,
            "{} of {total}",
            p.time_in(retrieve)
        );
    }
}
