//! Where a trace's time went: the steps of its critical path with the time the request waited
//! on each and its share, in path order, and the span with the largest self time. Computed once
//! per layout of a trace; the waterfall's header and `show` print the same answer.

use super::critical::{CriticalPath, critical_path};
use crate::model::tree::{Tree, TreeInput};
use crate::model::waterfall::Row;
use crate::model::{Nanos, SpanIdx, Store};

/// A step of the critical path below this share of the path is glue (an adapter formatting a
/// prompt, a parent's own bookkeeping between children) and is left out of the summary.
pub const MIN_STEP_PCT: f64 = 1.0;

/// One span the request waited on: its time on the critical path (its own sections, not its
/// children's) and that time's share of the whole path.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PathStep {
    /// Index into the tree's input.
    pub node: usize,
    pub time: Nanos,
    /// 0–100.
    pub pct: f64,
}

/// Where the time of one trace went.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Breakdown {
    pub path: CriticalPath,
    /// The length of the critical path: the time from the start to the end of the span it
    /// starts from.
    pub total: Nanos,
    /// The spans of the path with at least [`MIN_STEP_PCT`] of its time, in the order the
    /// request reached them (by their first stretch on the path); when none has that much, the
    /// one with the most.
    pub steps: Vec<PathStep>,
    /// The span with the largest self time (by input index): none for a trace of one span, and
    /// a synthesized request root is never it.
    pub largest_self: Option<usize>,
}

impl Breakdown {
    /// The breakdown of a trace's spans `items`, arranged as `tree` and laid out as `rows`.
    #[must_use]
    pub fn new(items: &[TreeInput], tree: &Tree, rows: &[Row]) -> Self {
        let path = critical_path(items, tree);
        let (total, steps) = path_steps(&path);
        Breakdown {
            total,
            steps,
            largest_self: largest_self(items, rows),
            path,
        }
    }

    /// The steps as (span name, time on the path, share): what a line of where the time went
    /// shows. `spans` are the store's spans in the tree's input order.
    #[must_use]
    pub fn named_steps<'s>(
        &self,
        store: &'s Store,
        spans: &[SpanIdx],
    ) -> Vec<(&'s str, Nanos, f64)> {
        self.steps
            .iter()
            .map(|s| (store.str(store.span(spans[s.node]).name), s.time, s.pct))
            .collect()
    }

    /// Whether the span at input index `i` is on the critical path.
    #[must_use]
    pub fn on_path(&self, i: usize) -> bool {
        self.path.on_path.get(i).copied().unwrap_or(false)
    }
}

/// The path's length and its steps (see [`Breakdown::steps`]).
#[must_use]
#[allow(clippy::cast_precision_loss)]
pub fn path_steps(path: &CriticalPath) -> (Nanos, Vec<PathStep>) {
    let total: Nanos = path.sections.iter().map(|s| s.end - s.start).sum();
    if total <= 0 {
        return (0, Vec::new());
    }
    // sections run latest first: walk them forward in time, one entry per span
    let mut steps: Vec<PathStep> = Vec::new();
    let mut at: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
    for s in path.sections.iter().rev() {
        let i = *at.entry(s.node).or_insert_with(|| {
            steps.push(PathStep {
                node: s.node,
                time: 0,
                pct: 0.0,
            });
            steps.len() - 1
        });
        steps[i].time += s.end - s.start;
    }
    for s in &mut steps {
        s.pct = s.time as f64 * 100.0 / total as f64;
    }
    let biggest = steps
        .iter()
        .copied()
        .max_by_key(|s| (s.time, std::cmp::Reverse(s.node)));
    steps.retain(|s| s.pct >= MIN_STEP_PCT);
    if steps.is_empty() {
        steps.extend(biggest);
    }
    (total, steps)
}

/// The input index of the span with the largest self time among `rows` (ties: the first row);
/// none when fewer than two spans are laid out. A synthesized request root has no code of its
/// own, so it is never the answer.
#[must_use]
pub fn largest_self(items: &[TreeInput], rows: &[Row]) -> Option<usize> {
    if rows.len() < 2 {
        return None;
    }
    rows.iter()
        .filter(|r| !items[r.idx].synthetic_root && r.self_time > 0)
        .fold(None, |best: Option<&Row>, r| match best {
            Some(b) if b.self_time >= r.self_time => Some(b),
            _ => Some(r),
        })
        .map(|r| r.idx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::inp;
    use crate::model::waterfall::layout;

    fn breakdown(items: &[TreeInput]) -> Breakdown {
        let tree = Tree::build(items);
        let rows = layout(items, &tree, 0, 100);
        Breakdown::new(items, &tree, &rows)
    }

    fn steps(b: &Breakdown) -> Vec<(usize, Nanos, u32)> {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        b.steps
            .iter()
            .map(|s| (s.node, s.time, s.pct.round() as u32))
            .collect()
    }

    #[test]
    fn a_slow_retrieval_then_the_lm_call_in_path_order() {
        // HandbookQA: root 0..1000, Retrieve 2..920, ChainOfThought 921..999 > Predict >
        // format, DummyLM 922..997, parse
        let items = [
            inp(1, None, 0, 1000),
            inp(2, Some(1), 2, 920),
            inp(3, Some(1), 921, 999),
            inp(4, Some(3), 921, 999),
            inp(5, Some(4), 921, 922),
            inp(6, Some(4), 922, 997),
            inp(7, Some(4), 997, 998),
        ];
        let b = breakdown(&items);
        assert_eq!(b.total, 1000);
        // the glue under 1% (the root's, the adapter's, the modules' own moments) is left out
        assert_eq!(steps(&b), vec![(1, 918, 92), (5, 75, 8)]);
        assert_eq!(b.largest_self, Some(1));
        assert!((0..7).all(|i| b.on_path(i)));
    }

    #[test]
    fn a_span_reached_twice_is_one_step_at_its_first_place() {
        // the parent waits on its own between two children, before and after the second
        let items = [
            inp(1, None, 0, 100),
            inp(2, Some(1), 0, 30),
            inp(3, Some(1), 50, 80),
        ];
        let b = breakdown(&items);
        assert_eq!(steps(&b), vec![(1, 30, 30), (0, 40, 40), (2, 30, 30)]);
        assert_eq!(b.largest_self, Some(0));
    }

    #[test]
    fn parallel_work_off_the_path_is_not_a_step_but_can_hold_the_most_self_time() {
        // two branches: the one that ends last is the path; the other did more work of its own
        // but the request did not wait for all of it
        let items = [
            inp(1, None, 0, 100),
            inp(2, Some(1), 0, 95),
            inp(3, Some(1), 1, 99),
            inp(4, Some(3), 1, 50),
        ];
        let b = breakdown(&items);
        assert!(!b.on_path(1));
        assert_eq!(steps(&b), vec![(0, 2, 2), (3, 49, 49), (2, 49, 49)]);
        assert_eq!(b.largest_self, Some(1));
    }

    #[test]
    fn tiny_steps_only_keep_the_biggest_and_one_span_has_no_hot_spot() {
        // a hundred steps of a little under 1% each, the root's own moments 0.5%: none
        // reaches the bar, so the first of the biggest stands for them
        let mut items = vec![inp(1, None, 0, 100_000)];
        items.extend((0..100).map(|i| {
            let at = i64::from(i) * 1000;
            inp(i + 2, Some(1), at, at + 995)
        }));
        let tree = Tree::build(&items);
        let rows = layout(&items, &tree, 0, 100_000);
        let b = Breakdown::new(&items, &tree, &rows);
        assert_eq!(steps(&b), vec![(1, 995, 1)]);
        let one = [inp(1, None, 0, 10)];
        let b = breakdown(&one);
        assert_eq!(steps(&b), vec![(0, 10, 100)]);
        assert_eq!(b.largest_self, None);
        assert_eq!(breakdown(&[]), Breakdown::default());
    }

    #[test]
    fn a_synthesized_root_is_never_the_hot_spot() {
        let mut root = inp(1, None, 0, 100);
        root.synthetic_root = true;
        let items = [root, inp(2, Some(1), 0, 20), inp(3, Some(1), 20, 40)];
        let b = breakdown(&items);
        assert_eq!(
            b.largest_self,
            Some(1),
            "the first of equals, not the root's 60"
        );
        // the request's time outside its steps is still time the request waited
        assert_eq!(steps(&b), vec![(1, 20, 20), (2, 20, 20), (0, 60, 60)]);
    }
}
