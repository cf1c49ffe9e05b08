//! The trace row: derived from its spans (and from trace-level records) whenever they change.
//! The store keeps a small [`TraceRow`] per trace and the derived [`TraceSummary`] in its
//! columns (`columns.rs`); readers get a [`Trace`] by value, assembled from both.

use super::ids::TraceId;
use super::idx::SpanIdx;
pub use super::idx::TraceIdx;
use super::intern::NO_SYM;
use super::{Nanodollars, Nanos, SourceId, Sym, Tokens};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TraceStatus {
    #[default]
    Ok,
    Error,
    Running,
}

impl TraceStatus {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            TraceStatus::Ok => "ok",
            TraceStatus::Error => "error",
            TraceStatus::Running => "running",
        }
    }
}

/// A request's outcome as people read it: its status, with a request that succeeded although
/// some of its steps failed told apart as recovered (its status stays ok).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    Ok,
    /// Status ok, with at least one failed span.
    Recovered,
    Error,
    Running,
}

impl Outcome {
    pub const ALL: [Outcome; 4] = [
        Outcome::Ok,
        Outcome::Recovered,
        Outcome::Error,
        Outcome::Running,
    ];

    /// The outcome of a request with status `status` and `error_spans` failed spans.
    #[must_use]
    pub fn of(status: TraceStatus, error_spans: u32) -> Outcome {
        match status {
            TraceStatus::Ok if error_spans > 0 => Outcome::Recovered,
            TraceStatus::Ok => Outcome::Ok,
            TraceStatus::Error => Outcome::Error,
            TraceStatus::Running => Outcome::Running,
        }
    }

    /// `ok`, `recovered`, `error` or `running`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Recovered => "recovered",
            Outcome::Error => "error",
            Outcome::Running => "running",
        }
    }

    /// A one-cell marker: `✓` ok, `!` recovered, `✗` failed, `…` running.
    #[must_use]
    pub fn glyph(self) -> &'static str {
        match self {
            Outcome::Ok => "✓",
            Outcome::Recovered => "!",
            Outcome::Error => "✗",
            Outcome::Running => "…",
        }
    }
}

/// What a trace-level record said (MLflow trace info, an event stream's trace_start/trace_end).
/// The producer's own token total, which few traces have, the store keeps on the side; the
/// name and error message are symbols or [`NO_SYM`], four bytes each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceInfo {
    name: u32,
    error_message: u32,
    pub error: bool,
    pub running: bool,
    /// The request's own outcome, when a record states it.
    pub final_status: Option<TraceStatus>,
}

impl TraceInfo {
    /// Nothing said.
    pub const NONE: TraceInfo = TraceInfo {
        name: NO_SYM,
        error_message: NO_SYM,
        error: false,
        running: false,
        final_status: None,
    };

    #[must_use]
    pub fn name(&self) -> Option<Sym> {
        (self.name != NO_SYM).then_some(Sym(self.name))
    }

    #[must_use]
    pub fn error_message(&self) -> Option<Sym> {
        (self.error_message != NO_SYM).then_some(Sym(self.error_message))
    }

    pub fn set_name(&mut self, name: Option<Sym>) {
        self.name = name.map_or(NO_SYM, |s| s.0);
    }

    pub fn set_error_message(&mut self, message: Option<Sym>) {
        self.error_message = message.map_or(NO_SYM, |s| s.0);
    }
}

impl Default for TraceInfo {
    fn default() -> Self {
        Self::NONE
    }
}

/// A trace as readers see it ([`Store::trace`](super::Store::trace)): its spans and the
/// summary the list, filters and printers read.
#[derive(Debug, Clone)]
pub struct Trace<'a> {
    /// Its id; [`Store::trace_id`](super::Store::trace_id) prints it.
    pub id: TraceId,
    pub spans: &'a [SpanIdx],
    /// Derived from the spans and what trace-level records said; the store derives it again
    /// before it is read (see `Store::apply` and `Loading`).
    pub summary: TraceSummary,
    /// Arrival order of the first record, for stable ordering.
    pub seq: u64,
    /// How many records were merged into this trace: what is derived from one trace can tell
    /// whether that trace changed, which the store's generation cannot.
    pub revision: u32,
}

/// What the store keeps of a trace besides its columns.
#[derive(Debug, Clone)]
pub struct TraceRow {
    pub id: TraceId,
    /// The source whose record brought it first (and, unless the store notes otherwise, each
    /// of its spans).
    pub source: SourceId,
    pub spans: Vec<SpanIdx>,
    pub info: TraceInfo,
    pub dirty: bool,
    pub seq: u64,
    /// Estimated bytes of index this trace holds (payloads apart).
    pub bytes: u32,
    pub revision: u32,
}

/// The derived row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TraceSummary {
    pub name: Option<Sym>,
    pub start: Nanos,
    pub duration: Nanos,
    pub status: TraceStatus,
    pub span_count: u32,
    pub error_spans: u32,
    pub llm_calls: u32,
    pub tokens: Option<Tokens>,
    pub model: Option<Sym>,
    /// The span the trace is measured by (the single top-level span), if there is one.
    pub root: Option<SpanIdx>,
    pub orphans: u32,
    /// Some span was laid out sequentially (steps without start times).
    pub sequential: bool,
    pub error_message: Option<Sym>,
    /// Every span that names a model names `model` (so `model` alone answers "which models").
    pub one_model: bool,
    /// What the trace's LM calls cost, the ones with a price (see `prices.rs`); `None` when
    /// none has one.
    pub cost: Option<Nanodollars>,
    /// LM calls whose cost is not known: a model no price table knows, or no token counts.
    pub unpriced: u32,
    /// The conversation it is a turn of (`session.rs`), if any.
    pub session: Option<Sym>,
    /// What an evaluation said of the request (`Store::insert` keeps the lowest it was given);
    /// `None` when nothing scored it.
    pub score: Option<Score>,
}

/// An evaluation's verdict on a request: a metric's value (a bool metric is 1 or 0) and the
/// label it came with, if any.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Score {
    pub value: f64,
    pub label: Option<Sym>,
}

impl TraceSummary {
    /// The request's outcome: its status, or recovered when it succeeded despite failed spans.
    #[must_use]
    pub fn outcome(&self) -> Outcome {
        Outcome::of(self.status, self.error_spans)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trace_row_is_small() {
        // the id, the span list, the arrival number, three counters, what records said
        assert_eq!(size_of::<TraceRow>(), 88);
        let mut info = TraceInfo::default();
        assert_eq!((info.name(), info.error_message()), (None, None));
        info.set_name(Some(Sym(0)));
        info.set_error_message(Some(Sym(7)));
        assert_eq!(
            (info.name(), info.error_message()),
            (Some(Sym(0)), Some(Sym(7)))
        );
    }

    #[test]
    fn a_request_that_succeeded_despite_failed_steps_is_recovered() {
        let of = |status, error_spans| {
            TraceSummary {
                status,
                error_spans,
                ..TraceSummary::default()
            }
            .outcome()
        };
        assert_eq!(of(TraceStatus::Ok, 0), Outcome::Ok);
        assert_eq!(of(TraceStatus::Ok, 2), Outcome::Recovered);
        assert_eq!(of(TraceStatus::Error, 1), Outcome::Error);
        assert_eq!(of(TraceStatus::Error, 0), Outcome::Error);
        assert_eq!(of(TraceStatus::Running, 1), Outcome::Running);
        let glyphs: Vec<&str> = Outcome::ALL.iter().map(|o| o.glyph()).collect();
        assert_eq!(glyphs, ["✓", "!", "✗", "…"]);
    }
}
