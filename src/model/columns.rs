//! A trace's derived row, one vector per field: a pass over a million traces reads a few
//! megabytes of one column instead of every row. The store sets them from each
//! [`TraceSummary`] it derives (in `refresh`), clears a trace's on eviction and rebuilds them on
//! compaction; [`TraceColumns::summary`] puts one row back together.

use super::idx::SpanIdx;
use super::trace::TraceSummary;
use super::trace::{Outcome, Score};
use super::{Nanodollars, Nanos, Sym, Tokens, TraceStatus};
use foldhash::HashMap;

/// Bits of [`TraceColumns::flags`].
pub mod flag {
    /// Held by the store (not evicted).
    pub const LIVE: u8 = 1;
    /// The trace's status is error.
    pub const ERROR: u8 = 2;
    /// The trace's status is running.
    pub const RUNNING: u8 = 4;
    /// Some span of the trace failed.
    pub const ERROR_SPANS: u8 = 8;
    /// Every span naming a model names the model column's: no need to read the spans.
    pub const ONE_MODEL: u8 = 16;
    /// Some span was laid out sequentially.
    pub const SEQUENTIAL: u8 = 32;
}

/// No symbol: a trace without a name or a model.
pub use super::intern::NO_SYM;

/// Columns indexed by `TraceIdx`.
#[derive(Debug, Default, Clone)]
pub struct TraceColumns {
    pub start: Vec<Nanos>,
    pub duration: Vec<Nanos>,
    /// The token total plus one; 0 when the trace has no count (so "none" sorts below 0).
    pub tokens: Vec<u64>,
    pub span_count: Vec<u32>,
    pub llm_calls: Vec<u32>,
    /// The summary's name and model symbols, [`NO_SYM`] when absent.
    pub name: Vec<u32>,
    pub model: Vec<u32>,
    pub flags: Vec<u8>,
    /// The rest of the summary, read when one trace is shown.
    rest: Vec<Rest>,
    /// What each trace's priced LM calls cost, in nanodollars ([`NO_COST`]: none priced).
    cost: Vec<u64>,
    /// How many of each trace's LM calls have no price: dense, as every trace of a model no
    /// table knows has some, and the list's header sums it on every rebuild.
    unpriced: Vec<u32>,
    /// Cached and reasoning tokens, of the traces that have any: most traces of most logs
    /// have none, so they cost those nothing.
    usage: HashMap<u32, Usage>,
    /// The session of the traces that have one (most have none).
    session: HashMap<u32, Sym>,
    /// The scores of the traces an evaluation scored: most traces have none.
    scores: HashMap<u32, Score>,
}

/// The cost column's value for a trace with no priced call.
const NO_COST: u64 = u64::MAX;

/// What a trace's LM calls cost and the token details of its total.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Usage {
    cache_read: u64,
    cache_write: u64,
    reasoning: u64,
}

/// What the columns scanned by filters do not hold of a summary.
#[derive(Debug, Clone, Copy, Default)]
struct Rest {
    /// Prompt and completion tokens (the total is [`TraceColumns::tokens`]).
    prompt: u64,
    completion: u64,
    error_spans: u32,
    orphans: u32,
    /// The root span's index plus one; 0 for none.
    root: u32,
    error_message: u32,
}

impl TraceColumns {
    /// Bytes per trace.
    pub const ROW_BYTES: usize = 8 + 8 + 8 + 4 + 4 + 4 + 4 + 1 + 8 + 4 + size_of::<Rest>();

    /// Room for `traces` traces in all, reserved exactly.
    pub fn reserve_total(&mut self, traces: usize) {
        let more = traces.saturating_sub(self.flags.len());
        self.start.reserve_exact(more);
        self.duration.reserve_exact(more);
        self.tokens.reserve_exact(more);
        self.span_count.reserve_exact(more);
        self.llm_calls.reserve_exact(more);
        self.name.reserve_exact(more);
        self.model.reserve_exact(more);
        self.flags.reserve_exact(more);
        self.cost.reserve_exact(more);
        self.unpriced.reserve_exact(more);
        self.rest.reserve_exact(more);
    }

    /// A new live trace with an empty summary.
    pub fn push(&mut self) {
        self.start.push(0);
        self.duration.push(0);
        self.tokens.push(0);
        self.span_count.push(0);
        self.llm_calls.push(0);
        self.name.push(NO_SYM);
        self.model.push(NO_SYM);
        self.flags.push(flag::LIVE);
        self.cost.push(NO_COST);
        self.unpriced.push(0);
        self.rest.push(Rest {
            error_message: NO_SYM,
            ..Rest::default()
        });
    }

    /// Trace `i`'s summary was derived again.
    pub fn set(&mut self, i: usize, s: &TraceSummary) {
        self.start[i] = s.start;
        self.duration[i] = s.duration;
        self.tokens[i] = s.tokens.map_or(0, |t| t.total.saturating_add(1));
        self.span_count[i] = s.span_count;
        self.llm_calls[i] = s.llm_calls;
        self.name[i] = s.name.map_or(NO_SYM, |n| n.0);
        self.model[i] = s.model.map_or(NO_SYM, |m| m.0);
        let status = match s.status {
            TraceStatus::Ok => 0,
            TraceStatus::Error => flag::ERROR,
            TraceStatus::Running => flag::RUNNING,
        };
        let failed_step = if s.error_spans > 0 {
            flag::ERROR_SPANS
        } else {
            0
        };
        let one_model = if s.one_model { flag::ONE_MODEL } else { 0 };
        let sequential = if s.sequential { flag::SEQUENTIAL } else { 0 };
        self.flags[i] =
            (self.flags[i] & flag::LIVE) | status | failed_step | one_model | sequential;
        let usage = Usage {
            cache_read: s.tokens.map_or(0, |t| t.cache_read),
            cache_write: s.tokens.map_or(0, |t| t.cache_write),
            reasoning: s.tokens.map_or(0, |t| t.reasoning),
        };
        self.cost[i] = s.cost.map_or(NO_COST, |c| c.0.min(NO_COST - 1));
        self.unpriced[i] = s.unpriced;
        // a trace index fits a u32: the store counts traces in u32
        let key = u32::try_from(i).unwrap_or(u32::MAX);
        if usage == Usage::default() {
            self.usage.remove(&key);
        } else {
            self.usage.insert(key, usage);
        }
        match s.session {
            Some(sym) => self.session.insert(key, sym),
            None => self.session.remove(&key),
        };
        self.set_score(i, s.score);
        self.rest[i] = Rest {
            prompt: s.tokens.map_or(0, |t| t.prompt),
            completion: s.tokens.map_or(0, |t| t.completion),
            error_spans: s.error_spans,
            orphans: s.orphans,
            root: s.root.map_or(0, |r| r.0.saturating_add(1)),
            error_message: s.error_message.map_or(NO_SYM, |m| m.0),
        };
    }

    /// Trace `i`'s summary, put back together.
    #[must_use]
    pub fn summary(&self, i: usize) -> TraceSummary {
        let rest = &self.rest[i];
        let f = self.flags[i];
        let usage = self.usage_of(i);
        TraceSummary {
            name: Self::sym(self.name[i]),
            start: self.start[i],
            duration: self.duration[i],
            status: self.status(i),
            span_count: self.span_count[i],
            error_spans: rest.error_spans,
            llm_calls: self.llm_calls[i],
            tokens: self.tokens[i].checked_sub(1).map(|total| Tokens {
                prompt: rest.prompt,
                completion: rest.completion,
                total,
                cache_read: usage.cache_read,
                cache_write: usage.cache_write,
                reasoning: usage.reasoning,
                stated_cost: None,
            }),
            cost: self.cost(i),
            unpriced: self.unpriced[i],
            model: Self::sym(self.model[i]),
            root: self.root(i),
            orphans: rest.orphans,
            sequential: f & flag::SEQUENTIAL != 0,
            error_message: Self::sym(rest.error_message),
            one_model: f & flag::ONE_MODEL != 0,
            session: self.session(i),
            score: self.score(i),
        }
    }

    /// Trace `i`'s root span, without putting its whole summary together.
    #[must_use]
    pub fn root(&self, i: usize) -> Option<SpanIdx> {
        self.rest[i].root.checked_sub(1).map(SpanIdx)
    }

    /// The session of trace `i`, if it is a turn of a conversation.
    #[must_use]
    pub fn session(&self, i: usize) -> Option<Sym> {
        if self.session.is_empty() {
            return None;
        }
        u32::try_from(i)
            .ok()
            .and_then(|k| self.session.get(&k))
            .copied()
    }

    /// Whether any trace has a session.
    #[must_use]
    pub fn has_sessions(&self) -> bool {
        !self.session.is_empty()
    }

    /// Trace `i`'s score, if an evaluation gave it one.
    #[must_use]
    pub fn score(&self, i: usize) -> Option<Score> {
        if self.scores.is_empty() {
            return None;
        }
        u32::try_from(i)
            .ok()
            .and_then(|k| self.scores.get(&k))
            .copied()
    }

    /// Trace `i`'s score is now `score`.
    pub fn set_score(&mut self, i: usize, score: Option<Score>) {
        let Ok(key) = u32::try_from(i) else { return };
        match score {
            Some(s) => self.scores.insert(key, s),
            None => self.scores.remove(&key),
        };
    }

    /// Whether some held trace has a score (the list shows a SCORE column then).
    #[must_use]
    pub fn any_score(&self) -> bool {
        !self.scores.is_empty()
    }

    fn usage_of(&self, i: usize) -> Usage {
        if self.usage.is_empty() {
            return Usage::default();
        }
        u32::try_from(i)
            .ok()
            .and_then(|k| self.usage.get(&k))
            .copied()
            .unwrap_or_default()
    }

    /// What trace `i`'s LM calls cost (the ones with a price).
    #[must_use]
    pub fn cost(&self, i: usize) -> Option<Nanodollars> {
        Some(self.cost[i])
            .filter(|&c| c != NO_COST)
            .map(Nanodollars)
    }

    /// How many of trace `i`'s LM calls have no known cost.
    #[must_use]
    pub fn unpriced(&self, i: usize) -> u32 {
        self.unpriced[i]
    }

    /// Trace `i` was evicted.
    pub fn kill(&mut self, i: usize) {
        self.flags[i] &= !flag::LIVE;
        if let Ok(k) = u32::try_from(i) {
            self.usage.remove(&k);
            self.session.remove(&k);
            self.scores.remove(&k);
        }
    }

    #[must_use]
    pub fn is_live(&self, i: usize) -> bool {
        self.flags.get(i).is_some_and(|f| f & flag::LIVE != 0)
    }

    /// How many traces fit before the columns grow.
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.flags.capacity()
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.flags.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.flags.is_empty()
    }

    /// The status of trace `i`.
    #[must_use]
    pub fn status(&self, i: usize) -> TraceStatus {
        let f = self.flags[i];
        if f & flag::ERROR != 0 {
            TraceStatus::Error
        } else if f & flag::RUNNING != 0 {
            TraceStatus::Running
        } else {
            TraceStatus::Ok
        }
    }

    /// The outcome of trace `i`: its status, or recovered when ok with a failed step.
    #[must_use]
    pub fn outcome(&self, i: usize) -> Outcome {
        let failed_step = u32::from(self.flags[i] & flag::ERROR_SPANS != 0);
        Outcome::of(self.status(i), failed_step)
    }

    /// Failed, or ok with a failed step: what the "failed" toggle keeps.
    #[must_use]
    pub fn failed(&self, i: usize) -> bool {
        self.flags[i] & (flag::ERROR | flag::ERROR_SPANS) != 0
    }

    /// Failed first, then running, then recovered (ok with a failed step), then ok.
    #[must_use]
    pub fn status_rank(&self, i: usize) -> u8 {
        let f = self.flags[i];
        if f & flag::ERROR != 0 {
            0
        } else if f & flag::RUNNING != 0 {
            1
        } else if f & flag::ERROR_SPANS != 0 {
            2
        } else {
            3
        }
    }

    /// Whether the model column alone says which models trace `i`'s spans name.
    #[must_use]
    pub fn one_model(&self, i: usize) -> bool {
        self.flags[i] & flag::ONE_MODEL != 0
    }

    /// The symbol in a name or model column.
    #[must_use]
    pub fn sym(raw: u32) -> Option<Sym> {
        (raw != NO_SYM).then_some(Sym(raw))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Tokens;

    #[test]
    fn a_row_follows_its_summary() {
        let mut c = TraceColumns::default();
        c.push();
        assert!(c.is_live(0));
        assert_eq!(c.status_rank(0), 3);
        let s = TraceSummary {
            start: 5,
            duration: 7,
            status: TraceStatus::Ok,
            error_spans: 1,
            span_count: 3,
            llm_calls: 2,
            tokens: Some(Tokens {
                prompt: 1,
                completion: 1,
                total: 0,
                ..Tokens::default()
            }),
            name: Some(Sym(4)),
            ..TraceSummary::default()
        };
        c.set(0, &s);
        assert_eq!(c.summary(0), s, "the columns hold the whole summary");
        let every = TraceSummary {
            root: Some(SpanIdx(0)),
            orphans: 2,
            sequential: true,
            one_model: true,
            error_message: Some(Sym(9)),
            model: Some(Sym(8)),
            status: TraceStatus::Error,
            ..s.clone()
        };
        c.set(0, &every);
        assert_eq!(c.summary(0), every);
        let costly = TraceSummary {
            tokens: Some(Tokens {
                cache_read: 1,
                reasoning: 2,
                ..Tokens::counts(5, 4, 9)
            }),
            cost: Some(Nanodollars(7)),
            unpriced: 1,
            ..s.clone()
        };
        c.set(0, &costly);
        assert_eq!(c.summary(0), costly);
        assert_eq!((c.cost(0), c.unpriced(0)), (Some(Nanodollars(7)), 1));
        let turn = TraceSummary {
            session: Some(Sym(3)),
            ..s.clone()
        };
        c.set(0, &turn);
        assert_eq!((c.summary(0), c.session(0)), (turn, Some(Sym(3))));
        let scored = TraceSummary {
            score: Some(Score {
                value: 0.5,
                label: Some(Sym(3)),
            }),
            ..s.clone()
        };
        c.set(0, &scored);
        assert_eq!(c.summary(0), scored);
        assert!(c.any_score());
        c.set(0, &s);
        assert_eq!((c.start[0], c.duration[0], c.tokens[0]), (5, 7, 1));
        assert_eq!((c.span_count[0], c.llm_calls[0]), (3, 2));
        assert_eq!(
            (TraceColumns::sym(c.name[0]), TraceColumns::sym(c.model[0])),
            (Some(Sym(4)), None)
        );
        assert_eq!((c.status(0), c.status_rank(0)), (TraceStatus::Ok, 2));
        assert_eq!(c.outcome(0), Outcome::Recovered);
        assert!(c.failed(0));
        c.set(
            0,
            &TraceSummary {
                status: TraceStatus::Running,
                ..TraceSummary::default()
            },
        );
        assert_eq!(
            (c.status(0), c.status_rank(0), c.tokens[0]),
            (TraceStatus::Running, 1, 0)
        );
        c.set_score(0, scored.score);
        c.kill(0);
        assert!(!c.any_score(), "an evicted trace's score goes with it");
        assert!(!c.is_live(0));
        assert_eq!(c.status(0), TraceStatus::Running);
    }
}
