//! How much the store keeps (`--max-traces`, `--max-memory`), and where compaction moved what
//! it kept. The eviction and compaction themselves are the store's (`compact.rs`).

use super::span::SpanIdx;
use super::trace::TraceIdx;

/// How much the store keeps: the oldest whole traces are evicted beyond either bound.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Retention {
    pub max_traces: Option<usize>,
    /// Bytes of index and in-memory payloads (an estimate; file payloads cost nothing).
    pub max_bytes: Option<u64>,
}

impl Retention {
    #[must_use]
    pub fn is_unbounded(&self) -> bool {
        self.max_traces.is_none() && self.max_bytes.is_none()
    }

    /// Whether a store holding `traces` traces in about `bytes` bytes holds too much. An empty
    /// store never does: there is nothing left to evict.
    #[must_use]
    pub fn exceeded(&self, traces: usize, bytes: u64) -> bool {
        traces > 0
            && (self.max_traces.is_some_and(|n| traces > n)
                || self.max_bytes.is_some_and(|b| bytes > b))
    }
}

/// How much a table of the store grows by when it is full, under a memory budget: an eighth
/// at a time instead of doubling. Compaction keeps a vector's room, so the unused half a last
/// doubling leaves would be held for good: with doubling, resident memory settled at about 1.75
/// times the budget.
#[must_use]
pub(super) fn step(len: usize) -> usize {
    (len / 8).max(1024)
}

/// Room for one more item in `v`: when it is full, [`step`] more (exactly).
pub(super) fn room<T>(v: &mut Vec<T>) {
    if v.len() == v.capacity() {
        v.reserve_exact(step(v.len()));
    }
}

/// Where each trace and span moved when the store was compacted (`None`: it was evicted).
#[derive(Debug, Default)]
pub struct Remap {
    /// Per old trace index, the new one, or [`Remap::GONE`].
    pub(super) traces: Vec<u32>,
    /// Per old span index, the new one, or [`Remap::GONE`].
    pub(super) spans: Vec<u32>,
}

impl Remap {
    /// An evicted row: never an index, since no table addresses `u32::MAX` (see `idx`).
    pub(super) const GONE: u32 = u32::MAX;

    #[must_use]
    pub fn trace(&self, t: TraceIdx) -> Option<TraceIdx> {
        match self.traces.get(t.0 as usize) {
            Some(&n) if n != Self::GONE => Some(TraceIdx(n)),
            _ => None,
        }
    }

    #[must_use]
    pub fn span(&self, s: SpanIdx) -> Option<SpanIdx> {
        match self.spans.get(s.0 as usize) {
            Some(&n) if n != Self::GONE => Some(SpanIdx(n)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn either_bound_is_exceeded_on_its_own() {
        let r = Retention {
            max_traces: Some(2),
            max_bytes: Some(100),
        };
        assert!(!r.exceeded(2, 100));
        assert!(r.exceeded(3, 0));
        assert!(r.exceeded(1, 101));
        assert!(!r.exceeded(0, 1_000), "nothing left to evict");
        assert!(!Retention::default().exceeded(1_000, u64::MAX));
        assert!(Retention::default().is_unbounded());
    }

    #[test]
    fn a_full_table_grows_by_an_eighth_and_a_small_one_by_a_step() {
        let mut v: Vec<u64> = vec![0; 80_000];
        assert_eq!(v.capacity(), 80_000);
        room(&mut v);
        assert_eq!(v.capacity(), 90_000);
        room(&mut v);
        assert_eq!(v.capacity(), 90_000, "room left: no growth");
        let mut small: Vec<u8> = Vec::new();
        room(&mut small);
        assert!(small.capacity() >= 1024);
    }

    #[test]
    fn a_remap_says_gone_for_evicted_and_unknown_rows() {
        let m = Remap {
            traces: vec![Remap::GONE, 0],
            spans: vec![1, Remap::GONE, 0],
        };
        assert_eq!(m.trace(TraceIdx(0)), None);
        assert_eq!(m.trace(TraceIdx(1)), Some(TraceIdx(0)));
        assert_eq!(m.trace(TraceIdx(2)), None);
        assert_eq!(m.span(SpanIdx(0)), Some(SpanIdx(1)));
        assert_eq!(m.span(SpanIdx(1)), None);
    }
}
