//! Two traces side by side (`spanscope diff`, and the explorer's `m` then `=`): the span trees
//! aligned by name and position, latency and token deltas per step, steps present in only one,
//! and a line diff of the prompt and response of each aligned LM call that differs.

use crate::ingest::detail::span_detail;
use crate::model::waterfall::Waterfall;
use crate::model::{Nanos, SpanIdx, SpanKind, Store, TraceIdx};
use crate::text::{human_count, human_dur};
use serde::Serialize;

/// One step of the aligned trees: a span of A, of B, or of both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub depth: u16,
    pub a: Option<SpanIdx>,
    pub b: Option<SpanIdx>,
}

/// The line diff of one aligned LM call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TextDiff {
    /// Index of the step in [`TraceDiff::steps`].
    #[serde(skip)]
    pub step: usize,
    pub name: String,
    /// Unified diffs (`---`/`+++`/`@@` lines); empty when that text is the same.
    pub prompt: String,
    pub response: String,
}

/// Two traces compared.
#[derive(Debug, Clone)]
pub struct TraceDiff {
    pub a: TraceIdx,
    pub b: TraceIdx,
    pub steps: Vec<Step>,
    /// Aligned LM calls whose prompt or response differ.
    pub texts: Vec<TextDiff>,
    /// Aligned LM calls compared in all.
    pub lm_pairs: usize,
    /// Steps only in A, only in B, and aligned with another status.
    pub only_a: usize,
    pub only_b: usize,
    pub changed: usize,
}

/// Above this many name comparisons a children list is aligned by occurrence instead of by a
/// longest common subsequence (a trace with a million siblings must not take minutes).
const LCS_MAX_CELLS: usize = 4_000_000;

/// Pair up two lists of names: the longest common subsequence, so the same step repeated
/// (a ReAct loop) pairs in order and an inserted step shows as inserted. Returns
/// `(Some(i), Some(j))` pairs and one-sided entries, in an order that keeps both sequences.
fn pair<T: PartialEq>(a: &[T], b: &[T]) -> Vec<(Option<usize>, Option<usize>)> {
    let (n, m) = (a.len(), b.len());
    let mut out = Vec::with_capacity(n.max(m));
    if n.saturating_mul(m) > LCS_MAX_CELLS {
        // k-th occurrence of a name in A with the k-th in B, in A's order; the rest of B after
        let mut used = vec![false; m];
        for (i, x) in a.iter().enumerate() {
            match (0..m).find(|&j| !used[j] && b[j] == *x) {
                Some(j) => {
                    used[j] = true;
                    out.push((Some(i), Some(j)));
                }
                None => out.push((Some(i), None)),
            }
        }
        out.extend((0..m).filter(|&j| !used[j]).map(|j| (None, Some(j))));
        return out;
    }
    // lengths of the LCS of the suffixes
    let mut l = vec![0u32; (n + 1) * (m + 1)];
    let at = |i: usize, j: usize| i * (m + 1) + j;
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            l[at(i, j)] = if a[i] == b[j] {
                l[at(i + 1, j + 1)] + 1
            } else {
                l[at(i + 1, j)].max(l[at(i, j + 1)])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            out.push((Some(i), Some(j)));
            i += 1;
            j += 1;
        } else if j < m && (i == n || l[at(i, j + 1)] >= l[at(i + 1, j)]) {
            out.push((None, Some(j)));
            j += 1;
        } else {
            out.push((Some(i), None));
            i += 1;
        }
    }
    out
}

struct Side<'a> {
    store: &'a Store,
    wf: Waterfall,
}

impl Side<'_> {
    fn key(&self, i: usize) -> (&str, SpanKind) {
        let sp = self.store.span(self.wf.spans[i]);
        (self.store.str(sp.name), sp.kind)
    }

    /// `i` and its subtree, depth first.
    fn subtree(&self, i: usize, depth: u16, a_side: bool, out: &mut Vec<Step>) {
        let s = Some(self.wf.spans[i]);
        out.push(if a_side {
            Step {
                depth,
                a: s,
                b: None,
            }
        } else {
            Step {
                depth,
                a: None,
                b: s,
            }
        });
        for &c in &self.wf.tree.children[i] {
            self.subtree(c, depth.saturating_add(1), a_side, out);
        }
    }
}

fn align(a: &Side<'_>, b: &Side<'_>, la: &[usize], lb: &[usize], depth: u16, out: &mut Vec<Step>) {
    let ka: Vec<_> = la.iter().map(|&i| a.key(i)).collect();
    let kb: Vec<_> = lb.iter().map(|&i| b.key(i)).collect();
    for p in pair(&ka, &kb) {
        match p {
            (Some(i), Some(j)) => {
                out.push(Step {
                    depth,
                    a: Some(a.wf.spans[la[i]]),
                    b: Some(b.wf.spans[lb[j]]),
                });
                align(
                    a,
                    b,
                    &a.wf.tree.children[la[i]],
                    &b.wf.tree.children[lb[j]],
                    depth.saturating_add(1),
                    out,
                );
            }
            (Some(i), None) => a.subtree(la[i], depth, true, out),
            (None, Some(j)) => b.subtree(lb[j], depth, false, out),
            (None, None) => {}
        }
    }
}

/// The prompt (messages, one `[role]` header each) and response of the LM call at `i`, from
/// the span or, when it has none, its first LLM descendant that has them (an instrumented
/// client below it).
fn lm_texts(side: &Side<'_>, i: usize) -> (String, String) {
    let (store, wf) = (side.store, &side.wf);
    let parts = super::calls::lm_call_parts(store, wf, i);
    let details: Vec<_> = parts
        .iter()
        .map(|&c| span_detail(store, wf.spans[c]))
        .collect();
    let prompt = details
        .iter()
        .map(|d| &d.messages)
        .find(|m| !m.is_empty())
        .map(|ms| {
            ms.iter()
                .map(|m| format!("[{}]\n{}\n", m.role, m.content.trim_end()))
                .collect::<String>()
        })
        .unwrap_or_default();
    let response = details
        .iter()
        .find_map(|d| d.response.clone())
        .map(|r| format!("{}\n", r.trim_end()))
        .unwrap_or_default();
    (prompt, response)
}

/// The unified diff of `a` to `b` (`--- A what`, `+++ B what`), empty when they are equal.
#[must_use]
pub fn unified(a: &str, b: &str, what: &str) -> String {
    if a == b {
        return String::new();
    }
    similar::TextDiff::from_lines(a, b)
        .unified_diff()
        .context_radius(3)
        .header(&format!("A {what}"), &format!("B {what}"))
        .to_string()
}

/// Compare trace `a` with trace `b`.
#[must_use]
pub fn compare(store: &Store, a: TraceIdx, b: TraceIdx) -> TraceDiff {
    let sa = Side {
        store,
        wf: Waterfall::new(store, a),
    };
    let sb = Side {
        store,
        wf: Waterfall::new(store, b),
    };
    let mut steps = Vec::new();
    align(&sa, &sb, &sa.wf.tree.tops, &sb.wf.tree.tops, 0, &mut steps);
    let index = |side: &Side<'_>| -> std::collections::HashMap<SpanIdx, usize> {
        side.wf
            .spans
            .iter()
            .enumerate()
            .map(|(i, &s)| (s, i))
            .collect()
    };
    let (ia, ib) = (index(&sa), index(&sb));
    let mut texts = Vec::new();
    let mut lm_pairs = 0;
    for (k, st) in steps.iter().enumerate() {
        let (Some(x), Some(y)) = (st.a, st.b) else {
            continue;
        };
        if !is_outermost_llm(&steps, k, store) {
            continue;
        }
        lm_pairs += 1;
        let (pa, ra) = lm_texts(&sa, ia[&x]);
        let (pb, rb) = lm_texts(&sb, ib[&y]);
        let prompt = unified(&pa, &pb, "prompt");
        let response = unified(&ra, &rb, "response");
        if !prompt.is_empty() || !response.is_empty() {
            texts.push(TextDiff {
                step: k,
                name: store.str(store.span(x).name).to_string(),
                prompt,
                response,
            });
        }
    }
    let mut d = TraceDiff {
        a,
        b,
        steps,
        texts,
        lm_pairs,
        only_a: 0,
        only_b: 0,
        changed: 0,
    };
    for st in &d.steps {
        match d.change(store, st) {
            "only_a" => d.only_a += 1,
            "only_b" => d.only_b += 1,
            "changed" => d.changed += 1,
            _ => {}
        }
    }
    d
}

/// Whether step `k` is an LLM step with no LLM step above it in the aligned tree.
fn is_outermost_llm(steps: &[Step], k: usize, store: &Store) -> bool {
    let kind = |s: &Step| s.a.or(s.b).map(|x| store.span(x).kind);
    if kind(&steps[k]) != Some(SpanKind::Llm) {
        return false;
    }
    let mut depth = steps[k].depth;
    for p in steps[..k].iter().rev() {
        if p.depth < depth {
            if kind(p) == Some(SpanKind::Llm) {
                return false;
            }
            depth = p.depth;
        }
    }
    true
}

impl TraceDiff {
    /// How a step changed: `same`, `changed` (its status differs), `only_a` or `only_b`.
    #[must_use]
    pub fn change(&self, store: &Store, st: &Step) -> &'static str {
        match (st.a, st.b) {
            (Some(a), Some(b)) if store.span(a).outcome() == store.span(b).outcome() => "same",
            (Some(_), Some(_)) => "changed",
            (Some(_), None) => "only_a",
            _ => "only_b",
        }
    }

    /// B's duration minus A's, when both ran to their end.
    #[must_use]
    pub fn delta(store: &Store, st: &Step) -> Option<Nanos> {
        Some(store.span(st.b?).duration()? - store.span(st.a?).duration()?)
    }

    /// The total tokens of a step's span on one side.
    #[must_use]
    pub fn tokens(store: &Store, s: Option<SpanIdx>) -> Option<u64> {
        store.span(s?).tokens.map(|t| t.total)
    }

    /// One table row per step: marker, name, A, B, Δ, Δ%, tokens A, tokens B.
    #[must_use]
    pub fn rows(&self, store: &Store) -> Vec<[String; 8]> {
        self.steps
            .iter()
            .map(|st| {
                let sp = store.span(st.a.or(st.b).expect("a step has a side"));
                let mark = match self.change(store, st) {
                    "same" => " ",
                    "changed" => "~",
                    "only_a" => "-",
                    _ => "+",
                };
                let dur = |s: Option<SpanIdx>| match s {
                    None => "·".to_string(),
                    Some(s) => {
                        let x = store.span(s);
                        let d = x.duration().map_or_else(|| "running".into(), human_dur);
                        if x.is_error() { format!("{d} ✗") } else { d }
                    }
                };
                let delta = Self::delta(store, st);
                let pct = delta
                    .zip(st.a.and_then(|a| store.span(a).duration()))
                    .map_or_else(String::new, |(d, a)| {
                        if a == 0 {
                            String::new()
                        } else {
                            #[allow(clippy::cast_precision_loss)]
                            let p = d as f64 * 100.0 / a as f64;
                            format!("{p:+.0}%")
                        }
                    });
                let tok = |s: Option<SpanIdx>| {
                    Self::tokens(store, s).map_or_else(String::new, human_count)
                };
                [
                    mark.to_string(),
                    format!(
                        "{}{} {}",
                        "  ".repeat(usize::from(st.depth)),
                        sp.kind.glyph(),
                        store.str(sp.name)
                    ),
                    dur(st.a),
                    dur(st.b),
                    delta.map_or_else(String::new, signed_dur),
                    pct,
                    tok(st.a),
                    tok(st.b),
                ]
            })
            .collect()
    }
}

/// A signed duration: `+1.20s`, `-35ms`.
#[must_use]
pub fn signed_dur(d: Nanos) -> String {
    if d < 0 {
        format!("-{}", human_dur(-d))
    } else {
        format!("+{}", human_dur(d))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(a: &str, b: &str) -> Vec<(Option<usize>, Option<usize>)> {
        let a: Vec<char> = a.chars().collect();
        let b: Vec<char> = b.chars().collect();
        pair(&a, &b)
    }

    #[test]
    fn pairing_keeps_both_orders_and_repeats() {
        assert_eq!(
            pairs("abc", "abc"),
            vec![(Some(0), Some(0)), (Some(1), Some(1)), (Some(2), Some(2))]
        );
        // an inserted step
        assert_eq!(
            pairs("ac", "abc"),
            vec![(Some(0), Some(0)), (None, Some(1)), (Some(1), Some(2))]
        );
        // a ReAct loop that ran one more round
        let p = pairs("rtrtf", "rtrtrtf");
        assert_eq!(
            p.iter().filter(|x| x.0.is_some() && x.1.is_some()).count(),
            5
        );
        assert_eq!(p.iter().filter(|x| x.0.is_none()).count(), 2);
        assert_eq!(pairs("", "ab"), vec![(None, Some(0)), (None, Some(1))]);
    }
}
