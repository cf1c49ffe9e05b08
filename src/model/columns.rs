//! The fields of the trace rows that filters and sorts scan, one vector each: a pass over a
//! million traces reads a few megabytes of one column instead of every row. Kept by the store in
//! step with [`super::TraceSummary`] (set in `refresh`, cleared on eviction, rebuilt on compaction).

use super::trace::Outcome;
use super::trace::TraceSummary;
use super::{Nanos, Sym, TraceStatus};

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
}

/// No symbol: a trace without a name or a model.
pub const NO_SYM: u32 = u32::MAX;

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
}

impl TraceColumns {
    /// Bytes per trace.
    pub const ROW_BYTES: usize = 8 + 8 + 8 + 4 + 4 + 4 + 4 + 1;

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
        self.flags[i] = (self.flags[i] & flag::LIVE) | status | failed_step | one_model;
    }

    /// Trace `i` was evicted.
    pub fn kill(&mut self, i: usize) {
        self.flags[i] &= !flag::LIVE;
    }

    #[must_use]
    pub fn is_live(&self, i: usize) -> bool {
        self.flags.get(i).is_some_and(|f| f & flag::LIVE != 0)
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
            }),
            name: Some(Sym(4)),
            ..TraceSummary::default()
        };
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
        c.kill(0);
        assert!(!c.is_live(0));
        assert_eq!(c.status(0), TraceStatus::Running);
    }
}
