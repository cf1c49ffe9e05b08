//! Reading a long table in shares, one per core: a rebuild of the trace list over a million
//! traces reads each column once, and two cores read it in about half the time.

use std::cell::Cell;
use std::num::NonZero;
use std::ops::Range;

thread_local! {
    /// Set by [`alone`]: this thread reads its tables by itself.
    static ALONE: Cell<bool> = const { Cell::new(false) };
}

/// Run `f` with every table it reads in shares read by the calling thread alone: for work that
/// should leave the other cores to other threads (a list rebuilt because data arrived, while
/// the parsers want every core).
pub fn alone<R>(f: impl FnOnce() -> R) -> R {
    /// Puts back what was there, even when `f` panics.
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            ALONE.set(self.0);
        }
    }
    let _restore = Restore(ALONE.replace(true));
    f()
}

/// Rows read by one thread: fewer are not worth starting another. The unit tests cut their
/// small tables in shares too, so every reader in shares is checked against its answer.
#[cfg(not(test))]
pub const SHARE: usize = 1 << 16;
#[cfg(test)]
pub const SHARE: usize = 16;

/// The rows `0..len` cut into consecutive ranges, one per core, each of at least [`SHARE`]
/// rows: a short table is one range.
#[must_use]
pub fn ranges(len: usize) -> Vec<Range<usize>> {
    let cores = if ALONE.get() {
        1
    } else {
        std::thread::available_parallelism().map_or(1, NonZero::get)
    };
    let threads = cores.min(len / SHARE).max(1);
    let share = len.div_ceil(threads);
    (0..threads)
        .map(|k| (k * share).min(len)..((k + 1) * share).min(len))
        .collect()
}

/// `f` over each of `parts`, the first on the calling thread and each other one on a thread of
/// its own; the results in the parts' order. A panic in a part is passed on as it is.
pub fn in_shares<T: Send, R: Send>(parts: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    let mut parts = parts.into_iter();
    let Some(first) = parts.next() else {
        return Vec::new();
    };
    if parts.len() == 0 {
        // one part: no scope to open
        return vec![f(first)];
    }
    let f = &f;
    std::thread::scope(|scope| {
        let others: Vec<_> = parts.map(|p| scope.spawn(move || f(p))).collect();
        let mut results = Vec::with_capacity(others.len() + 1);
        results.push(f(first));
        for h in others {
            results.push(h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
        }
        results
    })
}

/// `slots` cut as `ranges` cut their rows (consecutive ranges from 0 that cover `slots`).
pub fn split_mut<'a, T>(mut slots: &'a mut [T], ranges: &[Range<usize>]) -> Vec<&'a mut [T]> {
    ranges
        .iter()
        .map(|r| {
            let (head, rest) = std::mem::take(&mut slots).split_at_mut(r.len());
            slots = rest;
            head
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every row is read once, in order, with its own slot.
    #[test]
    fn shares_cover_the_rows_in_order() {
        let cores = std::thread::available_parallelism().map_or(1, NonZero::get);
        for n in [0, 1, SHARE - 1, SHARE * 2 + 7, SHARE * 5 + 3] {
            let ranges = ranges(n);
            assert_eq!(ranges.len(), cores.min(n / SHARE).max(1), "{n}");
            let mut slots = vec![0; n];
            let parts = split_mut(&mut slots, &ranges);
            let read = in_shares(ranges.iter().cloned().zip(parts).collect(), |(r, out)| {
                for (o, i) in out.iter_mut().zip(r.clone()) {
                    *o = i * 2;
                }
                r.collect::<Vec<_>>()
            });
            assert_eq!(read.concat(), (0..n).collect::<Vec<_>>(), "{n}");
            assert!(slots.iter().enumerate().all(|(i, &o)| o == i * 2), "{n}");
            assert_eq!(alone(|| super::ranges(n)).len(), 1, "{n}");
        }
        // and after `alone`, shares again
        assert_eq!(ranges(SHARE * 5).len(), cores.min(5));
    }
}
