//! Per-step statistics: count, latency percentiles, error rate, tokens. Pure functions over
//! samples; grouping (by name, model or kind) is the caller's.

use super::{Nanodollars, Nanos, SpanKind, Tokens, shares};

/// Linear-interpolated percentile (`p` in 0–100) of an ascending slice, as numpy's default.
#[must_use]
pub fn percentile(sorted: &[Nanos], p: f64) -> Option<Nanos> {
    let (lo, hi, frac) = rank(sorted.len(), p)?;
    Some(lerp(sorted[lo], sorted[hi], frac))
}

/// The two ranks (0-based) percentile `p` of `n` samples lies between, and how far along.
#[allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]
fn rank(n: usize, p: f64) -> Option<(usize, usize, f64)> {
    if n == 0 {
        return None;
    }
    let rank = (p.clamp(0.0, 100.0) / 100.0) * (n - 1) as f64;
    let lo = rank.floor() as usize;
    Some((lo, rank.ceil() as usize, rank - lo as f64))
}

#[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
fn lerp(lo: Nanos, hi: Nanos, frac: f64) -> Nanos {
    lo + ((hi - lo) as f64 * frac).round() as Nanos
}

/// The same percentile as [`percentile`] of the sorted samples, in linear time: `samples` is
/// reordered (partially sorted), not sorted.
#[must_use]
pub fn percentile_of(samples: &mut [Nanos], p: f64) -> Option<Nanos> {
    let [v] = percentiles_of(samples, [p]);
    v
}

/// Several percentiles as [`percentile_of`] finds one, each selection narrowed by the one
/// before: after the p95's, the p50 is among the samples below it.
#[must_use]
pub fn percentiles_of<const N: usize>(samples: &mut [Nanos], ps: [f64; N]) -> [Option<Nanos>; N] {
    if samples.len() >= BUCKETED {
        let range = samples
            .iter()
            .fold((Nanos::MAX, Nanos::MIN), |(lo, hi), &x| {
                (lo.min(x), hi.max(x))
            });
        return percentiles_in(samples, range, ps);
    }
    selected(samples, ps)
}

/// Percentiles by selecting in place.
fn selected<const N: usize>(samples: &mut [Nanos], ps: [f64; N]) -> [Option<Nanos>; N] {
    let mut out = [None; N];
    let mut order: [usize; N] = std::array::from_fn(|i| i);
    order.sort_by(|&a, &b| ps[b].total_cmp(&ps[a]));
    // samples[..end] holds the `end` smallest ones
    let mut end = samples.len();
    for i in order {
        let Some((lo, hi, frac)) = rank(samples.len(), ps[i]) else {
            break;
        };
        if hi >= end {
            end = samples.len();
        }
        let (_, &mut at_lo, above) = samples[..end].select_nth_unstable(lo);
        let at_hi = if hi > lo {
            above.iter().copied().min().unwrap_or(at_lo)
        } else {
            at_lo
        };
        out[i] = Some(lerp(at_lo, at_hi, frac));
        end = lo + 1;
    }
    out
}

/// From this many samples on, percentiles are found by [`percentiles_in`]: selecting in place
/// moves the samples around many times, and a million of them do not fit in a cache.
const BUCKETED: usize = 1 << 16;

/// Percentiles as [`percentiles_of`] finds them; many samples with [`nth_smallest`]'s two
/// reading passes. `range` holds the least and the greatest sample: a caller that read them
/// while collecting the samples saves a pass.
#[must_use]
pub fn percentiles_in<const N: usize>(
    samples: &mut [Nanos],
    range: (Nanos, Nanos),
    ps: [f64; N],
) -> [Option<Nanos>; N] {
    if samples.len() < BUCKETED {
        return selected(samples, ps);
    }
    let ranks = ps.map(|p| rank(samples.len(), p));
    let wanted: Vec<usize> = ranks
        .iter()
        .flatten()
        .flat_map(|&(lo, hi, _)| [lo, hi])
        .collect();
    let mut at = nth_smallest(samples, range, &wanted).into_iter();
    ranks.map(|r| {
        let (_, _, frac) = r?;
        Some(lerp(at.next()?, at.next()?, frac))
    })
}

/// The `k`-th smallest of `samples` (0-based) for each `k` of `ranks` (each below the number of
/// samples), `min` and `max` being the least and greatest sample, in two reading passes: one
/// counts the samples in 4096 buckets of their value's high bits, and the other gathers the few
/// buckets that hold the wanted ranks, where each rank is then selected.
fn nth_smallest(samples: &[Nanos], (min, max): (Nanos, Nanos), ranks: &[usize]) -> Vec<Nanos> {
    const BITS: u32 = 12;
    let shift = (u64::BITS - max.abs_diff(min).leading_zeros()).saturating_sub(BITS);
    // every sample is at least `min`: its distance from it, shifted, is below 4096
    let bucket = |x: Nanos| usize::try_from(x.abs_diff(min) >> shift).unwrap_or(0);
    // each pass reads a long list in shares, one per core
    let ranges = shares::ranges(samples.len());
    let mut counts = vec![0usize; 1 << BITS];
    let counted = shares::in_shares(ranges.clone(), |r| {
        let mut counts = vec![0usize; 1 << BITS];
        for &x in &samples[r] {
            counts[bucket(x)] += 1;
        }
        counts
    });
    for part in counted {
        for (c, n) in counts.iter_mut().zip(part) {
            *c += n;
        }
    }
    // where each bucket starts in the sorted order
    let mut first = Vec::with_capacity(counts.len());
    let mut below = 0;
    for &c in &counts {
        first.push(below);
        below += c;
    }
    // a rank's bucket, and its rank among the bucket's samples
    let locate = |r: usize| {
        let b = first.partition_point(|&f| f <= r).saturating_sub(1);
        (b, r - first[b])
    };
    // the buckets to gather, each to a slot of its own
    let mut slot = vec![usize::MAX; counts.len()];
    let mut gathered: Vec<Vec<Nanos>> = Vec::new();
    for &r in ranks {
        let (b, _) = locate(r);
        if slot[b] == usize::MAX {
            slot[b] = gathered.len();
            gathered.push(Vec::with_capacity(counts[b]));
        }
    }
    let parts = shares::in_shares(ranges, |r| {
        let mut part: Vec<Vec<Nanos>> = vec![Vec::new(); gathered.len()];
        for &x in &samples[r] {
            if let Some(g) = part.get_mut(slot[bucket(x)]) {
                g.push(x);
            }
        }
        part
    });
    for part in parts {
        for (g, p) in gathered.iter_mut().zip(part) {
            g.extend(p);
        }
    }
    ranks
        .iter()
        .map(|&r| {
            let (b, k) = locate(r);
            *gathered[slot[b]].select_nth_unstable(k).1
        })
        .collect()
}

/// Accumulates the samples of one group.
#[derive(Debug, Clone, Default)]
pub struct StatsAcc {
    durations: Vec<Nanos>,
    pct_sum: f64,
    pct_n: u64,
    count: u64,
    errors: u64,
    self_time: Nanos,
    tokens: Option<Tokens>,
    cost: Option<Nanodollars>,
    unpriced: u64,
    /// Spans per kind, indexed by `SpanKind as usize`.
    kinds: [u64; SpanKind::ALL.len()],
    /// The scores of the scored traces the group's spans ran in, each trace once.
    score_sum: f64,
    scored: u64,
    last_scored: Option<u32>,
}

/// The statistics of one group.
#[derive(Debug, Clone, PartialEq)]
pub struct StepStats {
    pub count: u64,
    pub p50: Option<Nanos>,
    pub p95: Option<Nanos>,
    pub p99: Option<Nanos>,
    pub max: Option<Nanos>,
    pub mean_pct: Option<f64>,
    pub errors: u64,
    pub error_rate: f64,
    /// The group's self time, summed: its own work, its children's apart.
    pub self_time: Nanos,
    pub tokens: Option<Tokens>,
    /// What the group's LM calls cost, the ones with a price (`prices.rs`).
    pub cost: Option<Nanodollars>,
    /// The group's LM calls whose cost is not known.
    pub unpriced: u64,
    /// The most frequent kind in the group.
    pub kind: SpanKind,
    /// The mean evaluation score of the scored traces the group ran in, each trace once;
    /// `None` when none was scored.
    pub mean_score: Option<f64>,
}

impl StatsAcc {
    /// Add one span: its duration (if it ended), its share of its trace, whether it failed.
    pub fn push(
        &mut self,
        dur: Option<Nanos>,
        pct: Option<f64>,
        error: bool,
        tokens: Option<Tokens>,
        kind: SpanKind,
    ) {
        self.count += 1;
        if let Some(d) = dur {
            self.durations.push(d);
        }
        if let Some(p) = pct {
            self.pct_sum += p;
            self.pct_n += 1;
        }
        self.errors += u64::from(error);
        if let Some(t) = tokens {
            self.tokens = Some(self.tokens.unwrap_or_default() + t);
        }
        self.kinds[kind as usize] += 1;
    }

    /// A span of the group ran in trace `trace` (a trace's spans come one after another), which
    /// an evaluation scored `score`: a trace counts once however many of its spans are in the
    /// group.
    pub fn add_score(&mut self, trace: u32, score: f64) {
        if self.last_scored != Some(trace) {
            self.last_scored = Some(trace);
            self.score_sum += score;
            self.scored += 1;
        }
    }

    /// Add one span's self time (nothing for a span still running).
    pub fn add_self_time(&mut self, ns: Option<Nanos>) {
        self.self_time += ns.unwrap_or(0).max(0);
    }

    /// Add what one span that reported usage cost (`None`: unpriced).
    pub fn add_cost(&mut self, cost: Option<Nanodollars>) {
        match cost {
            Some(c) => self.cost = Some(self.cost.unwrap_or_default() + c),
            None => self.unpriced += 1,
        }
    }

    #[must_use]
    #[allow(clippy::cast_precision_loss)]
    pub fn finish(mut self) -> StepStats {
        let d = &mut self.durations;
        let kind = SpanKind::ALL
            .into_iter()
            .filter(|k| self.kinds[*k as usize] > 0)
            .max_by_key(|k| (self.kinds[*k as usize], std::cmp::Reverse(*k)))
            .unwrap_or(SpanKind::Other);
        StepStats {
            count: self.count,
            p99: percentile_of(d, 99.0),
            p95: percentile_of(d, 95.0),
            p50: percentile_of(d, 50.0),
            max: d.iter().copied().max(),
            mean_pct: (self.pct_n > 0).then(|| self.pct_sum / self.pct_n as f64),
            errors: self.errors,
            error_rate: if self.count > 0 {
                self.errors as f64 / self.count as f64
            } else {
                0.0
            },
            self_time: self.self_time,
            tokens: self.tokens,
            cost: self.cost,
            unpriced: self.unpriced,
            kind,
            mean_score: (self.scored > 0).then(|| self.score_sum / self.scored as f64),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_percentiles_at_once_agree_with_one_at_a_time() {
        let mut x: u64 = 11;
        for n in [0usize, 1, 2, 3, 7, 20, 101, 1000] {
            let v: Vec<Nanos> = (0..n)
                .map(|_| {
                    x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                    Nanos::try_from(x >> 58).unwrap_or(0)
                })
                .collect();
            let mut sorted = v.clone();
            sorted.sort_unstable();
            for ps in [
                [95.0, 50.0, 99.0],
                [50.0, 50.0, 0.0],
                [10.0, 10.5, 100.0],
                [99.9, 99.8, 1.0],
            ] {
                let want = ps.map(|p| percentile(&sorted, p));
                assert_eq!(percentiles_of(&mut v.clone(), ps), want, "n {n} ps {ps:?}");
            }
        }
    }

    /// Enough samples to be counted in buckets first: spread wide, clustered on a few values,
    /// all equal, negative, and the whole range of the type.
    #[test]
    fn percentiles_of_many_samples_agree_with_the_sorted_ones() {
        let mut x: u64 = 3;
        let mut next = move || {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            x
        };
        let shapes: [&dyn Fn(u64) -> Nanos; 6] = [
            &|r| Nanos::try_from(r >> 30).unwrap_or(0),
            &|r| Nanos::try_from((r >> 60) * 40_000_000).unwrap_or(0),
            &|_| 7,
            &|r| Nanos::try_from(r >> 40).unwrap_or(0) - 1_000_000,
            &|r| Nanos::from_ne_bytes(r.to_ne_bytes()),
            &|r| {
                if r >> 63 == 0 {
                    5
                } else {
                    Nanos::try_from(r >> 50).unwrap_or(0)
                }
            },
        ];
        for (k, shape) in shapes.iter().enumerate() {
            for n in [BUCKETED, BUCKETED + 1, 3 * BUCKETED + 7] {
                let v: Vec<Nanos> = (0..n).map(|_| shape(next())).collect();
                let mut sorted = v.clone();
                sorted.sort_unstable();
                let ranks = [0, 1, n / 2, n / 2 + 1, n * 95 / 100, n - 2, n - 1];
                let want: Vec<Nanos> = ranks.iter().map(|&r| sorted[r]).collect();
                let range = (sorted[0], sorted[n - 1]);
                assert_eq!(nth_smallest(&v, range, &ranks), want, "shape {k} n {n}");
                // the whole range is left out: interpolating between its ends overflows
                if k != 4 {
                    for ps in [[95.0, 50.0, 99.0], [0.0, 100.0, 33.3], [50.0, 50.0, 99.9]] {
                        let want = ps.map(|p| percentile(&sorted, p));
                        assert_eq!(percentiles_of(&mut v.clone(), ps), want, "shape {k} n {n}");
                    }
                }
            }
        }
    }

    #[test]
    fn percentile_of_unsorted_samples_agrees_with_the_sorted_one() {
        let mut x: u64 = 7;
        for n in [1usize, 2, 3, 10, 101, 1000] {
            let mut v: Vec<Nanos> = (0..n)
                .map(|_| {
                    x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                    Nanos::try_from(x >> 44).unwrap_or(0)
                })
                .collect();
            let mut sorted = v.clone();
            sorted.sort_unstable();
            for p in [0.0, 1.0, 50.0, 95.0, 99.0, 100.0] {
                assert_eq!(
                    percentile_of(&mut v, p),
                    percentile(&sorted, p),
                    "n {n} p {p}"
                );
            }
        }
        assert_eq!(percentile_of(&mut [], 50.0), None);
    }

    #[test]
    fn percentiles_interpolate_like_numpy() {
        let v = [10, 20, 30, 40];
        assert_eq!(percentile(&v, 50.0), Some(25));
        assert_eq!(percentile(&v, 0.0), Some(10));
        assert_eq!(percentile(&v, 100.0), Some(40));
        assert_eq!(percentile(&v, 90.0), Some(37));
        assert_eq!(percentile(&[7], 99.0), Some(7));
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn accumulates_counts_errors_tokens_and_kind() {
        let mut acc = StatsAcc::default();
        let t = Tokens {
            prompt: 10,
            completion: 2,
            total: 12,
            ..Tokens::default()
        };
        acc.push(Some(100), Some(50.0), false, Some(t), SpanKind::Llm);
        acc.push(Some(300), Some(25.0), true, Some(t), SpanKind::Llm);
        acc.push(None, None, false, None, SpanKind::Chain);
        let s = acc.finish();
        assert_eq!(s.count, 3);
        assert_eq!(s.p50, Some(200));
        assert_eq!(s.max, Some(300));
        assert_eq!(s.errors, 1);
        assert!((s.error_rate - 1.0 / 3.0).abs() < 1e-9);
        assert_eq!(s.mean_pct, Some(37.5));
        assert_eq!(
            s.tokens,
            Some(Tokens {
                prompt: 20,
                completion: 4,
                total: 24,
                ..Tokens::default()
            })
        );
        assert_eq!(s.kind, SpanKind::Llm);
    }

    #[test]
    fn empty_group_has_no_percentiles() {
        let s = StatsAcc::default().finish();
        assert_eq!(s.count, 0);
        assert_eq!(s.p50, None);
        assert_eq!(s.mean_pct, None);
        assert_eq!(s.tokens, None);
    }

    #[test]
    fn a_group_s_score_is_the_mean_over_its_traces_each_once() {
        let mut acc = StatsAcc::default();
        assert_eq!(acc.clone().finish().mean_score, None);
        for (trace, score) in [(0, 1.0), (0, 1.0), (1, 0.0), (2, 0.5)] {
            acc.add_score(trace, score);
        }
        assert_eq!(acc.finish().mean_score, Some(0.5));
    }
}
