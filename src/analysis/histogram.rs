//! Latency distribution: durations counted in log-spaced buckets with round edges (1, 1.5, 2,
//! 3, 5 and 7 times a power of ten), for the explorer's histogram (`H`).

use crate::model::Nanos;

/// One bucket: `lo <= duration < hi`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bucket {
    pub lo: Nanos,
    pub hi: Nanos,
    pub count: usize,
}

/// Round edges: 1, 1.5, 2, 3, 5 and 7 times a power of ten, in nanoseconds.
fn edge(k: i32) -> Nanos {
    const STEPS: [i64; 6] = [10, 15, 20, 30, 50, 70];
    let decade = k.div_euclid(6);
    let step = STEPS[usize::try_from(k.rem_euclid(6)).unwrap_or(0)];
    // 10^decade * step / 10, from 1 µs up
    let mut v: i64 = step * 100; // 1 µs = 1000 ns at decade 0 with step 10
    for _ in 0..decade.max(0) {
        v = v.saturating_mul(10);
    }
    v
}

/// The buckets that cover `durations`, each with its count; empty for no durations.
#[must_use]
pub fn buckets(durations: &[Nanos]) -> Vec<Bucket> {
    let (Some(&min), Some(&max)) = (durations.iter().min(), durations.iter().max()) else {
        return Vec::new();
    };
    // the last edge at or below the fastest, the first above the slowest
    let mut k0 = 0;
    while edge(k0 + 1) <= min && edge(k0 + 1) < Nanos::MAX / 10 {
        k0 += 1;
    }
    let mut k1 = k0 + 1;
    while edge(k1) <= max && edge(k1) < Nanos::MAX / 10 {
        k1 += 1;
    }
    let mut edges: Vec<Nanos> = (k0..=k1).map(edge).collect();
    if min < edges[0] {
        edges[0] = 0;
    }
    if let Some(last) = edges.last_mut()
        && *last <= max
    {
        *last = max + 1;
    }
    let mut out: Vec<Bucket> = edges
        .windows(2)
        .map(|w| Bucket {
            lo: w[0],
            hi: w[1],
            count: 0,
        })
        .collect();
    let last = out.len() - 1;
    for &d in durations {
        let i = edges.partition_point(|&e| e <= d).saturating_sub(1);
        out[i.min(last)].count += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Nanos = 1_000_000;

    #[test]
    fn edges_are_round_and_increasing() {
        let e: Vec<Nanos> = (0..14).map(edge).collect();
        assert_eq!(e[0], 1_000);
        assert_eq!(e[6], 10_000);
        assert_eq!(e[12], 100_000);
        assert!(e.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(edge(18), MS);
        assert_eq!(edge(19), 3 * MS / 2);
        assert_eq!(edge(22), 5 * MS);
    }

    #[test]
    fn buckets_cover_every_duration_once() {
        let d = [64 * MS, 71 * MS, 107 * MS, 597 * MS, 742 * MS];
        let b = buckets(&d);
        assert_eq!(b.first().unwrap().lo, 50 * MS);
        assert_eq!(b.last().unwrap().hi, 1000 * MS);
        assert_eq!(b.iter().map(|x| x.count).sum::<usize>(), d.len());
        assert!(b.windows(2).all(|w| w[0].hi == w[1].lo));
        for x in &d {
            let n = b.iter().filter(|k| k.lo <= *x && *x < k.hi).count();
            assert_eq!(n, 1);
        }
        assert!(buckets(&[]).is_empty());
        let same = buckets(&[5 * MS; 3]);
        assert_eq!(same.iter().map(|x| x.count).sum::<usize>(), 3);
        let zero = buckets(&[0, 0]);
        assert_eq!(zero[0].lo, 0);
        assert_eq!(zero.iter().map(|x| x.count).sum::<usize>(), 2);
    }
}
